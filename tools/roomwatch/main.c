/*
 * main.c - roomwatch, the command line tool: dispatches to one subcommand per cmd_*.c.
 *
 * Only implemented subcommands are listed in the usage text.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cfg/cfg.h"
#include "cmd.h"

static void usage(FILE *fp);

static const struct {
    const char *name;
    int (*run)(int argc, char **argv);
    const char *summary;
} commands[] = {
    {"ack", cmd_ack,
     "ack ID --by NAME [--note TEXT] [-c FILE]\n"
     "                      acknowledge an incident"},
    {"alerts", cmd_alerts,
     "alerts [--year Y] [--json] [-c FILE]\n"
     "                      list the alerts the agent raised (targets at risk, lost, back)"},
    {"event", cmd_event,
     "event add --kind KIND --at TIME --by NAME --note TEXT [--incident ID] [-c FILE]\n"
     "                      record a maintenance visit, an inspection or a security incident"},
    {"incidents", cmd_incidents,
     "incidents [--open] [--json] [-c FILE]\n"
     "          --year Y --format csv|json [--bom] [-c FILE]\n"
     "                      list the incidents in the agent's store; the year's\n"
     "                      fault-handling record"},
    {"notify", cmd_notify,
     "notify test CHANNEL [-c FILE]\n"
     "                      send a test message over a notification channel"},
    {"replay", cmd_replay,
     "replay -c FILE (--trace TRACE.csv | --archive DIR --year Y) [--year Y] [--month M]\n"
     "              [--max-skew S] [--db OUT.db] [--json]\n"
     "                      run a trace or the sample archive through the core and print\n"
     "                      the indicators"},
    {"report", cmd_report,
     "report -c FILE [-c FILE ...] --year Y [--month M] [--format xlsx|html|csv|json]\n"
     "       [--lang zh|en] [-o FILE]\n"
     "                      the year-end self-evaluation (绩效自评) workbook"},
    {"resolve", cmd_resolve,
     "resolve ID --by NAME --cause TEXT --measure TEXT [-c FILE]\n"
     "                      resolve an incident by hand, or note the cause and measure"},
    {"scan", cmd_scan,
     "scan [--rtu DEVICE]... [--tcp HOST[:PORT]]... [--snmp HOST[:PORT]]... [...]\n"
     "                      find the devices on a line, gateway or SNMP agent and print\n"
     "                      their config (reads only)"},
    {"silence", cmd_silence,
     "silence add --from TIME --to TIME (--rule ID | --device ID | --all) --by NAME\n"
     "                  --note TEXT [-c FILE]\n"
     "          list [--json] [-c FILE]\n"
     "                      hold notifications back during maintenance; what was held\n"
     "                      back"},
    {"status", cmd_status,
     "status -c FILE [--year Y [--month M]] [--json]\n"
     "                      the daemon's indicators as of its last checkpoint"},
    {"verify", cmd_verify,
     "verify -c FILE --year Y [--month M] [--archive DIR] [--db FILE]\n"
     "                      recompute a period from the sample archive and compare it with\n"
     "                      the store: exit 0 only when nothing differs"},
    {"target", cmd_target,
     "target 'STRING' [--unit U] [--json]\n"
     "                      show what a form's target string parses to"},
};

struct rw_config *
cmd_config(const char *path)
{
    struct cfg_diags diags = {0};
    struct rw_config *cfg = NULL;

    if (cfg_load(path, &cfg, &diags) != CFG_OK) {
        cfg_diags_print(&diags, stderr);
        cfg_diags_free(&diags);
        return NULL;
    }
    cfg_diags_free(&diags);
    return cfg;
}

int
cmd_parse_year(const char *arg, int *year)
{
    char *end;
    long y = strtol(arg, &end, 10);

    if (end == arg || *end != '\0' || y < 1970 || y > 9999) {
        fprintf(stderr, "roomwatch: --year must be 1970 to 9999 (is \"%s\")\n", arg);
        return -1;
    }
    *year = (int)y;
    return 0;
}

int
cmd_parse_month(const char *arg, int *month)
{
    char *end;
    long m = strtol(arg, &end, 10);

    if (end == arg || *end != '\0' || m < 1 || m > 12) {
        fprintf(stderr, "roomwatch: --month must be 1 to 12 (is \"%s\")\n", arg);
        return -1;
    }
    *month = (int)m;
    return 0;
}

static void
usage(FILE *fp)
{
    size_t i;

    fprintf(fp, "usage: roomwatch COMMAND [ARGS]\n"
                "       roomwatch -V | --version\n"
                "commands:\n");
    for (i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
        fprintf(fp, "  %s\n", commands[i].summary);
}

int
main(int argc, char **argv)
{
    size_t i;

    if (argc < 2) {
        usage(stderr);
        return 2;
    }
    if (strcmp(argv[1], "-h") == 0 || strcmp(argv[1], "--help") == 0 ||
        strcmp(argv[1], "help") == 0) {
        usage(stdout);
        return 0;
    }
    if (strcmp(argv[1], "-V") == 0 || strcmp(argv[1], "--version") == 0) {
        printf("roomwatch %s\n", ROOMWATCH_VERSION);
        return 0;
    }
    for (i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
        if (strcmp(argv[1], commands[i].name) == 0)
            return commands[i].run(argc - 1, argv + 1);
    fprintf(stderr, "roomwatch: unknown command \"%s\"\n", argv[1]);
    usage(stderr);
    return 2;
}
