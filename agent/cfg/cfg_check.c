/*
 * cfg_check.c - the libconfig checking layer shared by the config readers: diagnostics,
 * typed getters, unknown keys with a did-you-mean, id and text checks, reading a file, and
 * the path helpers relative paths in configs need. See cfg_check.h.
 *
 * Every getter reports and goes on: the readers run every check even after one has failed,
 * so that one `roomwatchd -t` lists every problem.
 */
#include "cfg/cfg_check.h"

#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>

#include <libconfig.h>

#include "cfg/cfg.h"

static const char *src_file(const struct cfgc *ck, const config_setting_t *s);
static int edit_distance(const char *a, const char *b);

/* ------------------------------------------------------------------------------------- */
/* Diagnostics and getters                                                                */

static const char *
src_file(const struct cfgc *ck, const config_setting_t *s)
{
    const char *f = s != NULL ? config_setting_source_file(s) : NULL;

    return f != NULL ? f : ck->path;
}

int
cfgc_src_line(const config_setting_t *s)
{
    return s != NULL ? (int)config_setting_source_line(s) : 0;
}

/*
 * Reports a problem at setting at (or at o's group if at is NULL), prefixed with the name
 * of the object o it belongs to.
 */
void
cfgc_problem(struct cfgc *ck, const struct cfgc_obj *o, const config_setting_t *at, const char *fmt,
             ...)
{
    size_t n0 = ck->diags->n;
    char msg[1024];
    va_list ap;

    if (at == NULL && o != NULL)
        at = o->s;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    if (o != NULL && o->what[0] != '\0')
        cfg_diag_add(ck->diags, src_file(ck, at), cfgc_src_line(at), "%s: %s", o->what, msg);
    else
        cfg_diag_add(ck->diags, src_file(ck, at), cfgc_src_line(at), "%s", msg);
    ck->nerr++;
    if (ck->diags->n == n0)
        ck->nomem = 1;
}

/* Reports a problem with a file as a whole ("path: message"). */
void
cfgc_file_problem(struct cfgc *ck, const char *file, const char *fmt, ...)
{
    size_t n0 = ck->diags->n;
    char msg[1024];
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    cfg_diag_add(ck->diags, file, 0, "%s", msg);
    ck->nerr++;
    if (ck->diags->n == n0)
        ck->nomem = 1;
}

char *
cfgc_strdup(struct cfgc *ck, const char *s)
{
    char *d = strdup(s);

    if (d == NULL)
        ck->nomem = 1;
    return d;
}

char *
cfgc_asprintf(struct cfgc *ck, const char *fmt, ...)
{
    va_list ap;
    int len;
    char *s;

    va_start(ap, fmt);
    len = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    if (len < 0 || (s = malloc((size_t)len + 1)) == NULL) {
        ck->nomem = 1;
        return NULL;
    }
    va_start(ap, fmt);
    vsnprintf(s, (size_t)len + 1, fmt, ap);
    va_end(ap);
    return s;
}

/*
 * Writes s into buf in double quotes, escaping quotes, backslashes and control bytes and
 * shortening it with "...", so that a value taken from a file cannot break a diagnostic
 * line or flood it. Returns buf.
 */
const char *
cfgc_quote(char *buf, size_t size, const char *s)
{
    size_t lim = size - 5; /* room for "...", the closing quote and the NUL */
    size_t n = 0;

    buf[n++] = '"';
    for (; *s != '\0'; s++) {
        unsigned char ch = (unsigned char)*s;

        if (ch == '"' || ch == '\\') {
            if (n + 2 > lim)
                break;
            buf[n++] = '\\';
            buf[n++] = (char)ch;
        } else if (ch < 0x20 || ch == 0x7f) {
            if (n + 4 > lim)
                break;
            snprintf(buf + n, 5, "\\x%02x", ch);
            n += 4;
        } else {
            if (n + 1 > lim)
                break;
            buf[n++] = (char)ch;
        }
    }
    if (*s != '\0') {
        /* Do not end inside a UTF-8 sequence: drop its continuation and lead bytes. */
        while (n > 1 && ((unsigned char)buf[n - 1] & 0xc0) == 0x80)
            n--;
        if (n > 1 && (unsigned char)buf[n - 1] >= 0xc0)
            n--;
        memcpy(buf + n, "...", 3);
        n += 3;
    }
    buf[n++] = '"';
    buf[n] = '\0';
    return buf;
}

/* "line 12", or "inc.cfg:12" when first lies in another file than here. */
const char *
cfgc_where(char *buf, size_t size, const config_setting_t *first, const config_setting_t *here)
{
    const char *ff = config_setting_source_file(first);
    const char *hf = config_setting_source_file(here);

    if (ff != NULL && (hf == NULL || strcmp(ff, hf) != 0))
        snprintf(buf, size, "%s:%d", ff, cfgc_src_line(first));
    else
        snprintf(buf, size, "line %d", cfgc_src_line(first));
    return buf;
}

/* Names o as kind "id" if its id is known, else as kind #index (1-based), else as kind. */
void
cfgc_obj_init(struct cfgc_obj *o, const config_setting_t *s, const char *kind, const char *id,
              int index)
{
    o->s = s;
    if (id != NULL)
        snprintf(o->what, sizeof(o->what), "%s \"%s\"", kind, id);
    else if (index > 0)
        snprintf(o->what, sizeof(o->what), "%s #%d", kind, index);
    else
        snprintf(o->what, sizeof(o->what), "%s", kind);
}

/* Levenshtein distance; names longer than CFG_ID_MAX are "far" from everything. */
static int
edit_distance(const char *a, const char *b)
{
    size_t la = strlen(a), lb = strlen(b);
    int row[CFG_ID_MAX + 1];

    if (la > CFG_ID_MAX || lb > CFG_ID_MAX)
        return CFG_ID_MAX;
    for (size_t j = 0; j <= lb; j++)
        row[j] = (int)j;
    for (size_t i = 1; i <= la; i++) {
        int diag = row[0];

        row[0] = (int)i;
        for (size_t j = 1; j <= lb; j++) {
            int up = row[j];
            int best = diag + (a[i - 1] != b[j - 1]);

            if (up + 1 < best)
                best = up + 1;
            if (row[j - 1] + 1 < best)
                best = row[j - 1] + 1;
            row[j] = best;
            diag = up;
        }
    }
    return row[lb];
}

/*
 * The candidate name is most likely a misspelling of, or NULL if none is close: the same
 * name in other case ("QoS"), else the nearest within one edit for short names, two from
 * five characters, three from nine ("intervall" finds "interval", "foo" does not find
 * "bus"), else one the name begins ("password" finds "password_file").
 */
const char *
cfgc_closest(const char *name, const char *const *cands, size_t n)
{
    size_t len = strlen(name);
    int limit = len >= 9 ? 3 : len >= 5 ? 2 : 1;
    const char *best = NULL;
    int bestd = limit + 1;

    for (size_t i = 0; i < n; i++)
        if (strcasecmp(name, cands[i]) == 0)
            return cands[i];
    for (size_t i = 0; i < n; i++) {
        int d = edit_distance(name, cands[i]);

        if (d < bestd) {
            bestd = d;
            best = cands[i];
        }
    }
    for (size_t i = 0; best == NULL && len >= 3 && i < n; i++)
        if (strncmp(name, cands[i], len) == 0)
            best = cands[i];
    return best;
}

int
cfgc_check_keys(struct cfgc *ck, const struct cfgc_obj *o, const char *const *known)
{
    size_t nknown = 0;
    int nbad = 0;
    int n = config_setting_length(o->s);

    while (known[nknown] != NULL)
        nknown++;
    for (int i = 0; i < n; i++) {
        const config_setting_t *m = config_setting_get_elem(o->s, (unsigned)i);
        const char *name = config_setting_name(m);
        const char *hint;
        size_t k;

        if (name == NULL)
            continue;
        for (k = 0; k < nknown; k++)
            if (strcmp(name, known[k]) == 0)
                break;
        if (k < nknown)
            continue;
        /* libconfig names are [A-Za-z*][-A-Za-z0-9_*]*: safe to print unquoted. */
        hint = cfgc_closest(name, known, nknown);
        cfgc_problem(ck, NULL, m, "unknown key \"%s\"%s%s%s%s%s", name, o->what[0] ? " in " : "",
                     o->what, hint ? " (did you mean \"" : "", hint ? hint : "",
                     hint ? "\"?)" : "");
        nbad++;
    }
    return nbad;
}

void
cfgc_missing(struct cfgc *ck, const struct cfgc_obj *o, const char *key)
{
    cfgc_problem(ck, o, o->s, "missing required key \"%s\"", key);
}

/*
 * The getters read one member of o. Each returns 1 and sets *out when the key is there and
 * valid; 0, leaving *out alone (it holds the default), when it is absent; and -1 after
 * reporting why when it is there but wrong.
 */
int
cfgc_get_string(struct cfgc *ck, const struct cfgc_obj *o, const char *key, const char **out)
{
    const config_setting_t *s = config_setting_get_member(o->s, key);

    if (s == NULL)
        return 0;
    if (config_setting_type(s) != CONFIG_TYPE_STRING) {
        cfgc_problem(ck, o, s, "\"%s\" must be a string", key);
        return -1;
    }
    *out = config_setting_get_string(s);
    return 1;
}

int
cfgc_get_int(struct cfgc *ck, const struct cfgc_obj *o, const char *key, long long lo, long long hi,
             int *out)
{
    const config_setting_t *s = config_setting_get_member(o->s, key);
    long long v;

    if (s == NULL)
        return 0;
    if (config_setting_type(s) != CONFIG_TYPE_INT && config_setting_type(s) != CONFIG_TYPE_INT64) {
        cfgc_problem(ck, o, s, "\"%s\" must be an integer", key);
        return -1;
    }
    v = config_setting_get_int64(s);
    if (v < lo || v > hi) {
        cfgc_problem(ck, o, s, "\"%s\" must be between %lld and %lld (is %lld)", key, lo, hi, v);
        return -1;
    }
    *out = (int)v;
    return 1;
}

/*
 * Both libconfig integers and floats: libconfig keeps 30 and 30.0 apart, and either is fine
 * where a number is expected.
 */
int
cfgc_setting_number(const config_setting_t *s, double *out)
{
    double v;

    switch (config_setting_type(s)) {
    case CONFIG_TYPE_INT:
    case CONFIG_TYPE_INT64:
        v = (double)config_setting_get_int64(s);
        break;
    case CONFIG_TYPE_FLOAT:
        v = config_setting_get_float(s);
        break;
    default:
        return -1;
    }
    if (!isfinite(v))
        return -2;
    *out = v;
    return 0;
}

int
cfgc_get_number(struct cfgc *ck, const struct cfgc_obj *o, const char *key, double lo, double hi,
                double *out)
{
    const config_setting_t *s = config_setting_get_member(o->s, key);
    double v;

    if (s == NULL)
        return 0;
    switch (cfgc_setting_number(s, &v)) {
    case -1:
        cfgc_problem(ck, o, s, "\"%s\" must be a number", key);
        return -1;
    case -2:
        cfgc_problem(ck, o, s, "\"%s\" must be a finite number", key);
        return -1;
    }
    if (v < lo || v > hi) {
        cfgc_problem(ck, o, s, "\"%s\" must be between %.10g and %.10g (is %.10g)", key, lo, hi, v);
        return -1;
    }
    *out = v;
    return 1;
}

int
cfgc_get_bool(struct cfgc *ck, const struct cfgc_obj *o, const char *key, int *out)
{
    const config_setting_t *s = config_setting_get_member(o->s, key);

    if (s == NULL)
        return 0;
    if (config_setting_type(s) != CONFIG_TYPE_BOOL) {
        cfgc_problem(ck, o, s, "\"%s\" must be true or false", key);
        return -1;
    }
    *out = config_setting_get_bool(s);
    return 1;
}

config_setting_t *
cfgc_get_group(struct cfgc *ck, const struct cfgc_obj *o, const char *key, int required)
{
    config_setting_t *s = config_setting_get_member(o->s, key);

    if (s == NULL) {
        if (required)
            cfgc_missing(ck, o, key);
        return NULL;
    }
    if (!config_setting_is_group(s)) {
        cfgc_problem(ck, o, s, "\"%s\" must be a group { ... }", key);
        return NULL;
    }
    return s;
}

config_setting_t *
cfgc_get_list(struct cfgc *ck, const struct cfgc_obj *o, const char *key, int required)
{
    config_setting_t *s = config_setting_get_member(o->s, key);

    if (s == NULL) {
        if (required)
            cfgc_missing(ck, o, key);
        return NULL;
    }
    if (!config_setting_is_list(s)) {
        cfgc_problem(ck, o, s, "\"%s\" must be a list ( ... )", key);
        return NULL;
    }
    return s;
}

int
cfgc_valid_id(const char *s, enum cfgc_idset set)
{
    size_t n = 0;

    for (; s[n] != '\0'; n++) {
        char ch = s[n];
        int ok;

        if (ch >= 'a' && ch <= 'z')
            ok = 1;
        else if (ch == '_')
            ok = 1;
        else if (ch >= '0' && ch <= '9')
            ok = set != CFGC_ID_KIND;
        else if ((ch >= 'A' && ch <= 'Z') || ch == '-')
            ok = set == CFGC_ID_ANY;
        else
            ok = 0;
        if (!ok)
            return 0;
    }
    return n > 0 && n < CFG_ID_MAX;
}

/* An id-like string: ids, point names, kinds. Returns as the getters do. */
int
cfgc_get_id(struct cfgc *ck, const struct cfgc_obj *o, const char *key, enum cfgc_idset set,
            int required, const char **out)
{
    static const char *const charset[] = {
        [CFGC_ID_ANY] = "A-Z a-z 0-9 _ -",
        [CFGC_ID_LOWER] = "a-z 0-9 _",
        [CFGC_ID_KIND] = "a-z _",
    };
    const char *v;
    char q[CFGC_QBUF];
    int r = cfgc_get_string(ck, o, key, &v);

    if (r == 0 && required)
        cfgc_missing(ck, o, key);
    if (r <= 0)
        return r;
    if (!cfgc_valid_id(v, set)) {
        cfgc_problem(ck, o, config_setting_get_member(o->s, key),
                     "\"%s\" must be 1 to %d characters of %s (is %s)", key, CFG_ID_MAX - 1,
                     charset[set], cfgc_quote(q, sizeof(q), v));
        return -1;
    }
    *out = v;
    return 1;
}

/* Valid UTF-8 without control characters, shorter than max bytes. */
int
cfgc_valid_text(const char *s, size_t max)
{
    /* The smallest code point each sequence length may encode: shorter ones are overlong. */
    static const unsigned least[4] = {0, 0x80, 0x800, 0x10000};
    const unsigned char *p = (const unsigned char *)s;

    if (strlen(s) >= max)
        return 0;
    while (*p != '\0') {
        unsigned cp;
        int more;

        if (*p < 0x20 || *p == 0x7f)
            return 0;
        if (*p < 0x80) {
            p++;
            continue;
        }
        if (*p >= 0xc2 && *p <= 0xdf) {
            cp = *p & 0x1fu;
            more = 1;
        } else if (*p >= 0xe0 && *p <= 0xef) {
            cp = *p & 0x0fu;
            more = 2;
        } else if (*p >= 0xf0 && *p <= 0xf4) {
            cp = *p & 0x07u;
            more = 3;
        } else {
            return 0;
        }
        p++;
        for (int k = 0; k < more; k++, p++) {
            if ((*p & 0xc0) != 0x80)
                return 0;
            cp = cp << 6 | (*p & 0x3fu);
        }
        /* Overlong forms, UTF-16 surrogates and code points past U+10FFFF. */
        if (cp < least[more] || (cp >= 0xd800 && cp <= 0xdfff) || cp > 0x10ffff)
            return 0;
    }
    return 1;
}

/* Free text (names, units, models) that ends up in JSON and logs. */
int
cfgc_get_text(struct cfgc *ck, const struct cfgc_obj *o, const char *key, size_t max,
              const char **out)
{
    const char *v;
    int r = cfgc_get_string(ck, o, key, &v);

    if (r <= 0)
        return r;
    if (!cfgc_valid_text(v, max)) {
        cfgc_problem(ck, o, config_setting_get_member(o->s, key),
                     "\"%s\" must be UTF-8 text of at most %zu bytes without control characters",
                     key, max - 1);
        return -1;
    }
    *out = v;
    return 1;
}

/*
 * libconfig 1.5 opens an @include's file with fopen() and reads it through flex, whose
 * handler for a read error calls exit(2): an @include naming a folder ("" names the
 * include folder itself) ended the process, roomwatchd on a SIGHUP reload too, instead of
 * being a problem at its line (found by fuzz_config). So before libconfig reads a file, the
 * @include lines in it and in the files they include are found as libconfig's lexer finds
 * them, and one that names anything but a regular file is refused. The scan follows
 * lib/scanner.l of 1.5: an include opens a line (blanks before it) outside comments and
 * strings; the start condition carries over from an included file to the rest of the
 * includer; each [^"\\]+ run of a name is cut at a NUL (appended as a C string); names are
 * joined to the include folder, not to the includer's. It stops where libconfig stops on
 * its own (an include it cannot open, nesting too deep), so it reads no more than
 * libconfig would.
 */
#define INC_MAX_DEPTH 10 /* libconfig 1.5's MAX_INCLUDE_DEPTH (lib/scanctx.h) */

enum inc_cond { INC_CODE, INC_COMMENT, INC_STRING };

/*
 * Reads an @include's name as scanctx_push_include() gets it; fp is just past the opening
 * quote. Returns 0, or 1 when the file ends first or the name does not fit (libconfig
 * opens nothing, or fails to).
 */
static int
inc_name(FILE *fp, int *line, char *name, size_t size)
{
    size_t n = 0;
    int c, cut = 0;

    while ((c = getc(fp)) != '"') {
        if (c == EOF)
            return 1;
        if (c == '\\') {
            cut = 0; /* ends a [^"\\]+ run */
            if ((c = getc(fp)) != '\\' && c != '"') {
                if (c != EOF)
                    ungetc(c, fp); /* a lone backslash: flex's default rule drops it */
                continue;
            }
        } else {
            if (c == '\n')
                (*line)++;
            if (c == '\0')
                cut = 1;
            if (cut)
                continue;
        }
        if (n + 1 == size)
            return 1;
        name[n++] = (char)c;
    }
    name[n] = '\0';
    return 0;
}

/* Whether fp, at the start of a line whose first character c was read, holds
 * [ \t]*@include[ \t]+" there; if not, the character that differs is pushed back, the
 * ones before it (blanks, "@include") changing nothing for the scan. */
static int
inc_directive(FILE *fp, int c)
{
    const char *k = "include";

    while (c == ' ' || c == '\t')
        c = getc(fp);
    if (c == '@') {
        while (*k != '\0' && (c = getc(fp)) == *k)
            k++;
        if (*k == '\0' && ((c = getc(fp)) == ' ' || c == '\t')) {
            while ((c = getc(fp)) == ' ' || c == '\t')
                ;
            if (c == '"')
                return 1;
        }
    }
    if (c != EOF)
        ungetc(c, fp);
    return 0;
}

static int inc_check_file(struct cfgc *, FILE *, const char *, const char *, int,
                          enum inc_cond *);

/* The @include of name at file:line, depth files deep: 0 to go on, -1 after reporting it,
 * 1 to stop (libconfig stops there too). */
static int
inc_open(struct cfgc *ck, const char *file, int line, const char *dir, const char *name,
         int depth, enum inc_cond *cond)
{
    char full[PATH_MAX];
    struct stat st;
    FILE *fp;
    int r;

    if (depth == INC_MAX_DEPTH ||
        (size_t)snprintf(full, sizeof(full), "%s/%s", dir, name) >= sizeof(full) ||
        stat(full, &st) != 0)
        return 1;
    if (!S_ISREG(st.st_mode)) {
        size_t n0 = ck->diags->n;
        int shown = cfgc_valid_text(name, 256);

        cfg_diag_add(ck->diags, file, line, "@include%s%s%s names %s, not a file",
                     shown ? " \"" : "", shown ? name : "", shown ? "\"" : "",
                     S_ISDIR(st.st_mode) ? "a folder" : "a special file");
        ck->nerr++;
        if (ck->diags->n == n0)
            ck->nomem = 1;
        return -1;
    }
    if ((fp = fopen(full, "r")) == NULL)
        return 1;
    r = inc_check_file(ck, fp, name, dir, depth + 1, cond);
    fclose(fp);
    return r;
}

/* Scans fp (named file in diagnostics, as libconfig names it) in start condition *cond. */
static int
inc_check_file(struct cfgc *ck, FILE *fp, const char *file, const char *dir, int depth,
               enum inc_cond *cond)
{
    char name[PATH_MAX];
    int line = 1, bol = 1, c, d, r;

    while ((c = getc(fp)) != EOF) {
        if (*cond == INC_COMMENT) {
            if (c == '*') {
                if ((d = getc(fp)) == '/')
                    *cond = INC_CODE;
                else if (d != EOF)
                    ungetc(d, fp);
            }
        } else if (*cond == INC_STRING) {
            if (c == '"')
                *cond = INC_CODE;
            else if (c == '\\' && (d = getc(fp)) != EOF && d != '"' && d != '\\')
                ungetc(d, fp);
        } else if (bol && (c == ' ' || c == '\t' || c == '@') && inc_directive(fp, c)) {
            int at = line;

            if (inc_name(fp, &line, name, sizeof(name)) != 0)
                return 1;
            if ((r = inc_open(ck, file, at, dir, name, depth, cond)) != 0)
                return r;
        } else if (c == '"') {
            *cond = INC_STRING;
        } else if (c == '#' || c == '/') {
            if (c == '/' && (d = getc(fp)) != '/') {
                if (d == '*')
                    *cond = INC_COMMENT;
                else if (d != EOF)
                    ungetc(d, fp);
            } else {
                while ((d = getc(fp)) != EOF && d != '\n')
                    ; /* a comment to the end of the line */
                if (d == '\n')
                    ungetc(d, fp);
            }
        }
        if (c == '\n')
            line++;
        bol = c == '\n';
    }
    return 0;
}

/* Whether libconfig may read path: -1 after reporting an @include it must not open. */
static int
inc_check(struct cfgc *ck, const char *path, const char *dir)
{
    enum inc_cond cond = INC_CODE;
    FILE *fp;
    int r;

    if ((fp = fopen(path, "r")) == NULL)
        return 0; /* libconfig reports it */
    r = inc_check_file(ck, fp, path, dir, 0, &cond);
    fclose(fp);
    return r < 0 ? -1 : 0;
}

/*
 * Parses path into lc (which the caller has config_init()ed and destroys), with @include
 * relative to the file's folder. Returns 0, or -1 after reporting why.
 */
int
cfgc_read_file(struct cfgc *ck, config_t *lc, const char *path)
{
    struct stat st;
    char *dir;

    /* libconfig reports I/O errors without a file or errno: look first. */
    if (stat(path, &st) != 0) {
        cfgc_file_problem(ck, path, "%s", strerror(errno));
        return -1;
    }
    if (S_ISDIR(st.st_mode)) {
        cfgc_file_problem(ck, path, "%s", strerror(EISDIR));
        return -1;
    }
    if ((dir = cfgc_dir_of(path)) == NULL) {
        ck->nomem = 1;
        return -1;
    }
    if (inc_check(ck, path, dir) != 0) {
        free(dir);
        return -1;
    }
    config_set_include_dir(lc, dir); /* libconfig keeps a copy */
    free(dir);
    errno = 0;
    if (config_read_file(lc, path) == CONFIG_TRUE)
        return 0;
    if (config_error_type(lc) == CONFIG_ERR_FILE_IO) {
        cfgc_file_problem(ck, path, "%s", strerror(errno != 0 ? errno : EIO));
        return -1;
    }
    cfg_diag_add(ck->diags, config_error_file(lc) ? config_error_file(lc) : path,
                 config_error_line(lc), "%s", config_error_text(lc));
    ck->nerr++;
    return -1;
}

/*
 * Orders the diagnostics added since from by file (in the order the files first appear)
 * and line, keeping the order of those on one line: checks run in schema order, readers
 * expect file order.
 */
void
cfgc_sort_diags(struct cfg_diags *d, size_t from)
{
    size_t n = d->n - from;
    struct cfg_diag *v;
    size_t *rank;

    if (n < 2 || (rank = malloc(n * sizeof(*rank))) == NULL)
        return; /* unsorted is still complete */
    v = d->v + from; /* not before: with no diagnostics d->v is NULL (UBSan, fuzzing) */
    for (size_t i = 0; i < n; i++) {
        rank[i] = i;
        for (size_t j = 0; j < i; j++) {
            if ((v[i].file == NULL && v[j].file == NULL) ||
                (v[i].file != NULL && v[j].file != NULL && strcmp(v[i].file, v[j].file) == 0)) {
                rank[i] = rank[j];
                break;
            }
        }
    }
    /* Insertion sort: stable, and n is small. */
    for (size_t i = 1; i < n; i++) {
        struct cfg_diag dg = v[i];
        size_t r = rank[i];
        size_t j = i;

        while (j > 0 && (rank[j - 1] > r || (rank[j - 1] == r && v[j - 1].line > dg.line))) {
            v[j] = v[j - 1];
            rank[j] = rank[j - 1];
            j--;
        }
        v[j] = dg;
        rank[j] = r;
    }
    free(rank);
}

void
cfgc_init(struct cfgc *ck, struct cfg_diags *diags, const char *path)
{
    memset(ck, 0, sizeof(*ck));
    ck->diags = diags;
    ck->path = path;
}

struct cfg_diags *
cfgc_diags(const struct cfgc *ck)
{
    return ck->diags;
}

void
cfgc_nomem(struct cfgc *ck)
{
    ck->nomem = 1;
}

void
cfgc_fail(struct cfgc *ck)
{
    ck->nerr++;
}

enum cfg_status
cfgc_status(const struct cfgc *ck)
{
    if (ck->nomem)
        return CFG_ERR_NOMEM;
    return ck->nerr != 0 ? CFG_ERR_INVALID : CFG_OK;
}

/* ------------------------------------------------------------------------------------- */
/* Paths                                                                                  */

/* The folder of path: "." for a bare file name. */
char *
cfgc_dir_of(const char *path)
{
    const char *slash = strrchr(path, '/');
    char *d;

    if (slash == NULL)
        return strdup(".");
    if (slash == path)
        return strdup("/");
    if ((d = malloc((size_t)(slash - path) + 1)) == NULL)
        return NULL;
    memcpy(d, path, (size_t)(slash - path));
    d[slash - path] = '\0';
    return d;
}

/* rel as seen from dir; kept as written when absolute or when dir is ".". */
char *
cfgc_path_join(const char *dir, const char *rel)
{
    size_t ld, lr;
    char *p;

    if (rel[0] == '/' || strcmp(dir, ".") == 0)
        return strdup(rel);
    ld = strlen(dir);
    lr = strlen(rel);
    if ((p = malloc(ld + lr + 2)) == NULL)
        return NULL;
    memcpy(p, dir, ld);
    if (ld > 0 && dir[ld - 1] != '/')
        p[ld++] = '/';
    memcpy(p + ld, rel, lr + 1);
    return p;
}

int
cfgc_is_dir(const char *path)
{
    struct stat st;

    return stat(path, &st) == 0 && S_ISDIR(st.st_mode);
}
