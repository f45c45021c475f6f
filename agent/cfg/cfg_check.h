/*
 * cfg_check.h - the libconfig checking layer shared by roomwatch's config readers: the main
 * config and the device profiles (cfg_load.c, cfg_profile.c) and roomwatch-devsim's config
 * (tools/devsim/devsim_config.c).
 *
 * It turns each problem into a "file:line: message" diagnostic at the file and line
 * libconfig recorded for the setting, and counts it, so a reader can check everything in one
 * pass and fail at the end. Types are strict (libconfig's auto-conversion stays off): an
 * integer is accepted where a number is expected, never the reverse. A key the schema does
 * not know is an error, with a did-you-mean for near misses.
 *
 * Ownership: a struct cfgc borrows the caller's cfg_diags and path for as long as it is
 * used; it allocates nothing, so there is nothing to free. Strings the getters hand out are
 * libconfig's, valid until the config_t they came from is destroyed. Functions returning
 * char * (cfgc_strdup, cfgc_asprintf, cfgc_dir_of, cfgc_path_join) return malloc()ed
 * strings the caller frees.
 *
 * Nothing here logs. Not thread-safe per struct cfgc; separate ones are independent.
 */
#ifndef ROOMWATCH_CFG_CHECK_H
#define ROOMWATCH_CFG_CHECK_H

#include <stddef.h>

#include <libconfig.h>

#include "cfg/cfg.h"

#define CFGC_QBUF 256     /* a value quoted into a message, at most (see cfgc_quote) */
#define CFGC_TEXT_MAX 256 /* bytes of free text (site name, model), including the NUL */

/*
 * One file being checked: where its problems go, and whether there were any. Callers
 * keep it on their stack, but its members belong to cfg_check.c: set it up with
 * cfgc_init() and go through the functions below.
 */
struct cfgc {
    struct cfg_diags *diags; /* borrowed */
    const char *path;        /* borrowed: names the file when libconfig has no name for it */
    int nerr;
    int nomem;
};

/*
 * The group being checked, as messages name it ("device \"meter1\""); what is "" at top
 * level and in a group that needs no name. s is borrowed from libconfig.
 */
struct cfgc_obj {
    const config_setting_t *s;
    char what[CFG_ID_MAX + 32];
};

/* Characters an id-like string may hold (cfgc_valid_id, cfgc_get_id). */
enum cfgc_idset {
    CFGC_ID_ANY,   /* ids: A-Z a-z 0-9 _ - */
    CFGC_ID_LOWER, /* point names and quantities: a-z 0-9 _ */
    CFGC_ID_KIND,  /* device kinds: a-z _ */
};

/* State and outcome. diags and path must outlive ck's use. */
void cfgc_init(struct cfgc *ck, struct cfg_diags *diags, const char *path);
/* The list ck reports to (borrowed). */
struct cfg_diags *cfgc_diags(const struct cfgc *ck);
/* Records that memory ran out: the outcome becomes CFG_ERR_NOMEM. */
void cfgc_nomem(struct cfgc *ck);
/* Counts a problem that is already in the diagnostics (a nested load reported it). */
void cfgc_fail(struct cfgc *ck);
/* CFG_ERR_NOMEM if memory ran out, else CFG_ERR_INVALID if any problem, else CFG_OK. */
enum cfg_status cfgc_status(const struct cfgc *ck);

/*
 * Reports a problem at setting at (or at o's group if at is NULL; the file as a whole if
 * both are NULL), prefixed with o's name when it has one. o may be NULL.
 */
void cfgc_problem(struct cfgc *ck, const struct cfgc_obj *o, const config_setting_t *at,
                  const char *fmt, ...) __attribute__((format(printf, 4, 5)));
/* Reports a problem with a file as a whole ("path: message"). */
void cfgc_file_problem(struct cfgc *ck, const char *file, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* "missing required key \"key\"" at o's group. */
void cfgc_missing(struct cfgc *ck, const struct cfgc_obj *o, const char *key);
/*
 * Reports each member of o's group not in known (NULL-terminated), suggesting the closest;
 * returns how many there were.
 */
int cfgc_check_keys(struct cfgc *ck, const struct cfgc_obj *o, const char *const *known);

/* Names o as kind "id" if id is not NULL, else as kind #index (1-based) if index > 0, else
 * as kind. */
void cfgc_obj_init(struct cfgc_obj *o, const config_setting_t *s, const char *kind, const char *id,
                   int index);

/*
 * The getters read one member of o's group. Each returns 1 and sets *out when the key is
 * there and valid; 0, leaving *out alone (it holds the default), when it is absent; and -1
 * after reporting why when it is there but wrong. get_group/get_list return the setting or
 * NULL, and report an absent key only if required.
 */
int cfgc_get_string(struct cfgc *ck, const struct cfgc_obj *o, const char *key, const char **out);
int cfgc_get_int(struct cfgc *ck, const struct cfgc_obj *o, const char *key, long long lo,
                 long long hi, int *out);
int cfgc_get_number(struct cfgc *ck, const struct cfgc_obj *o, const char *key, double lo,
                    double hi, double *out);
int cfgc_get_bool(struct cfgc *ck, const struct cfgc_obj *o, const char *key, int *out);
config_setting_t *cfgc_get_group(struct cfgc *ck, const struct cfgc_obj *o, const char *key,
                                 int required);
config_setting_t *cfgc_get_list(struct cfgc *ck, const struct cfgc_obj *o, const char *key,
                                int required);
/* An id-like string of set, 1 to CFG_ID_MAX - 1 characters; reports an absent one if
 * required. */
int cfgc_get_id(struct cfgc *ck, const struct cfgc_obj *o, const char *key, enum cfgc_idset set,
                int required, const char **out);
/* Free text that ends up in JSON and logs: UTF-8, no control characters, under max bytes. */
int cfgc_get_text(struct cfgc *ck, const struct cfgc_obj *o, const char *key, size_t max,
                  const char **out);

/* Setting s as a number, reporting nothing: 0 and *out set, -1 if it is not a number, -2 if
 * it is not finite. */
int cfgc_setting_number(const config_setting_t *s, double *out);
int cfgc_valid_id(const char *s, enum cfgc_idset set);
int cfgc_valid_text(const char *s, size_t max);
/* Line libconfig recorded for s; 0 for NULL. */
int cfgc_src_line(const config_setting_t *s);

/*
 * The candidate name is most likely a misspelling of, or NULL if none is close. Returns one
 * of cands (borrowed).
 */
const char *cfgc_closest(const char *name, const char *const *cands, size_t n);
/* Writes s into buf (size >= 8) quoted and escaped, shortened to fit; returns buf. */
const char *cfgc_quote(char *buf, size_t size, const char *s);
/* Writes "line 12", or "inc.cfg:12" when first lies in another file than here; returns buf. */
const char *cfgc_where(char *buf, size_t size, const config_setting_t *first,
                       const config_setting_t *here);

/* strdup() and a formatting strdup that record running out of memory in ck. */
char *cfgc_strdup(struct cfgc *ck, const char *s);
char *cfgc_asprintf(struct cfgc *ck, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/*
 * Parses path into lc (which the caller has config_init()ed and destroys), with @include
 * relative to the file's folder. Returns 0, or -1 after reporting why.
 */
int cfgc_read_file(struct cfgc *ck, config_t *lc, const char *path);
/*
 * Orders the diagnostics added since from by file (in the order the files first appear)
 * and line, keeping the order of those on one line.
 */
void cfgc_sort_diags(struct cfg_diags *d, size_t from);

/* Paths: NULL when memory runs out. */
/* The folder of path: "." for a bare file name. */
char *cfgc_dir_of(const char *path);
/* rel as seen from dir; kept as written when absolute or when dir is ".". */
char *cfgc_path_join(const char *dir, const char *rel);
int cfgc_is_dir(const char *path);

#endif
