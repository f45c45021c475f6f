/*
 * cmd_target.c - `roomwatch target 'STRING' [--unit U] [--json]`: print what a form's target
 * string parses to, so anyone can check a form line against the parser.
 *
 * JSON numbers: a bound that is integral (and exact in a double, |x| < 2^53) is printed as a
 * JSON integer ("2", not "2.0"); any other as a real with 15 significant digits
 * (JSON_REAL_PRECISION(15): "19.246", "0.418"). Readers should compare numerically. A missing
 * bound is null and its "_inclusive" false.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "cmd.h"
#include "engine/target.h"

#define EXACT_INT_MAX 9007199254740992.0 /* 2^53 */

static void target_usage(FILE *fp);
static json_t *number_or_null(bool has, double v);
static int print_json(const char *text, const struct tgt *t);

static void
target_usage(FILE *fp)
{
    fprintf(fp, "usage: roomwatch target 'STRING' [--unit U] [--json]\n"
                "  --unit U  the form's separate unit column (度量单位), e.g. %%\n"
                "  --json    print {\"text\", \"qualitative\", \"lower\", \"lower_inclusive\",\n"
                "            \"upper\", \"upper_inclusive\", \"unit\"}\n"
                "exit status: 0 parsed (or qualitative), 2 unparseable target or bad usage\n");
}

static json_t *
number_or_null(bool has, double v)
{
    if (!has)
        return json_null();
    if (v == floor(v) && fabs(v) < EXACT_INT_MAX)
        return json_integer((json_int_t)v);
    return json_real(v);
}

static int
print_json(const char *text, const struct tgt *t)
{
    json_t *o;
    char *s;

    o = json_object();
    if (o == NULL)
        return -1;
    json_object_set_new(o, "text", json_string(text));
    json_object_set_new(o, "qualitative", json_boolean(t->qualitative));
    json_object_set_new(o, "lower", number_or_null(t->has_lower, t->lower));
    json_object_set_new(o, "lower_inclusive", json_boolean(t->has_lower && t->lower_inclusive));
    json_object_set_new(o, "upper", number_or_null(t->has_upper, t->upper));
    json_object_set_new(o, "upper_inclusive", json_boolean(t->has_upper && t->upper_inclusive));
    json_object_set_new(o, "unit", json_string(t->unit));
    /* jansson keeps insertion order (>= 2.8), so the keys come out as listed above. */
    s = json_dumps(o, JSON_REAL_PRECISION(15));
    json_decref(o);
    if (s == NULL)
        return -1;
    puts(s);
    free(s);
    return 0;
}

int
cmd_target(int argc, char **argv)
{
    const char *text = NULL, *unit = NULL;
    bool json = false;
    struct tgt t;
    char err[TGT_ERR_LEN], canon[256];
    enum tgt_status st;
    int i;

    for (i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--json") == 0) {
            json = true;
        } else if (strcmp(argv[i], "--unit") == 0 && i + 1 < argc) {
            unit = argv[++i];
        } else if (strcmp(argv[i], "-h") == 0 || strcmp(argv[i], "--help") == 0) {
            target_usage(stdout);
            return 0;
        } else if (strcmp(argv[i], "--") == 0 && i + 2 == argc && text == NULL) {
            text = argv[++i];
        } else if (text == NULL && (argv[i][0] != '-' || argv[i][1] == '\0')) {
            text = argv[i];
        } else {
            fprintf(stderr, "roomwatch target: unexpected argument \"%s\"\n", argv[i]);
            target_usage(stderr);
            return 2;
        }
    }
    if (text == NULL) {
        target_usage(stderr);
        return 2;
    }
    st = tgt_parse(text, unit, &t, err, sizeof(err));
    if (st != TGT_OK) {
        fprintf(stderr, "roomwatch target: \"%s\": %s\n", text, err);
        return 2;
    }
    if (json) {
        if (print_json(text, &t) != 0) {
            fprintf(stderr, "roomwatch target: out of memory\n");
            return 2;
        }
        return 0;
    }
    if (t.qualitative) {
        printf("%s: qualitative (needs an explicit rule in the config)\n", text);
        return 0;
    }
    tgt_format(&t, canon, sizeof(canon));
    printf("%s: %s\n", text, canon);
    return 0;
}
