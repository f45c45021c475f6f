/*
 * cmd.h - the subcommands of the roomwatch command line tool, one file each.
 *
 * A subcommand gets argv from its own name on (argv[0] is "target") and returns the exit
 * status: 0 success, 2 for bad usage or bad input (as roomwatchd -t does).
 */
#ifndef ROOMWATCH_CMD_H
#define ROOMWATCH_CMD_H

struct rw_config;

/* main.c: loads and checks the config at path; NULL after printing its `file:line:`
 * diagnostics on stderr (the subcommand then exits 2). cfg_free() what it returns. */
struct rw_config *cmd_config(const char *path);
/* --year and --month arguments: 0 and the number, or -1 after saying what is wrong. */
int cmd_parse_year(const char *arg, int *year);
int cmd_parse_month(const char *arg, int *month);

/* cmd_record.c: the fault-handling record's commands */
/* The reasons rcmd gives name the JSON keys ("by" is missing); on the command line they are
 * options (--by is missing): err rewritten so into out, which is returned. */
const char *cmd_as_options(const char *err, char *out, size_t len);
int cmd_ack(int argc, char **argv);
int cmd_resolve(int argc, char **argv);
int cmd_event(int argc, char **argv);
/* cmd_alerts.c */
int cmd_alerts(int argc, char **argv);
/* cmd_incidents.c */
int cmd_incidents(int argc, char **argv);
/* cmd_notify.c */
int cmd_notify(int argc, char **argv);
/* cmd_replay.c */
int cmd_replay(int argc, char **argv);
/* cmd_report.c */
int cmd_report(int argc, char **argv);
/* cmd_silence.c */
int cmd_silence(int argc, char **argv);
/* cmd_scan.c */
int cmd_scan(int argc, char **argv);
/* cmd_status.c */
int cmd_status(int argc, char **argv);
/* cmd_target.c */
int cmd_target(int argc, char **argv);
/* cmd_verify.c */
int cmd_verify(int argc, char **argv);

#endif /* ROOMWATCH_CMD_H */
