/*
 * cfg_diag.c - the list of "file:line: message" diagnostics that config and profile loading
 * fill, and that `roomwatchd -t` prints.
 *
 * Adding never fails loudly: when memory runs out the diagnostic is dropped and the list
 * stays as it was. The loaders notice (the count did not grow) and report CFG_ERR_NOMEM.
 */
#include "cfg/cfg.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static char *vformat(const char *fmt, va_list ap) __attribute__((format(printf, 1, 0)));

static char *
vformat(const char *fmt, va_list ap)
{
    va_list ap2;
    int len;
    char *s;

    va_copy(ap2, ap);
    len = vsnprintf(NULL, 0, fmt, ap2);
    va_end(ap2);
    if (len < 0)
        return NULL;
    s = malloc((size_t)len + 1);
    if (s == NULL)
        return NULL;
    vsnprintf(s, (size_t)len + 1, fmt, ap);
    return s;
}

void
cfg_diag_add(struct cfg_diags *d, const char *file, int line, const char *fmt, ...)
{
    struct cfg_diag *dg;
    va_list ap;

    if (d->n == d->cap) {
        size_t cap = d->cap ? d->cap * 2 : 16;
        struct cfg_diag *v = realloc(d->v, cap * sizeof(*v));

        if (v == NULL)
            return;
        d->v = v;
        d->cap = cap;
    }
    dg = &d->v[d->n];
    dg->file = NULL;
    if (file != NULL && (dg->file = strdup(file)) == NULL)
        return;
    dg->line = line;
    va_start(ap, fmt);
    dg->msg = vformat(fmt, ap);
    va_end(ap);
    if (dg->msg == NULL) {
        free(dg->file);
        return;
    }
    d->n++;
}

void
cfg_diags_print(const struct cfg_diags *d, FILE *fp)
{
    for (size_t i = 0; i < d->n; i++) {
        const struct cfg_diag *dg = &d->v[i];

        if (dg->file == NULL)
            fprintf(fp, "%s\n", dg->msg);
        else if (dg->line > 0)
            fprintf(fp, "%s:%d: %s\n", dg->file, dg->line, dg->msg);
        else
            fprintf(fp, "%s: %s\n", dg->file, dg->msg);
    }
}

void
cfg_diags_free(struct cfg_diags *d)
{
    if (d == NULL)
        return;
    for (size_t i = 0; i < d->n; i++) {
        free(d->v[i].file);
        free(d->v[i].msg);
    }
    free(d->v);
    d->n = 0;
    d->cap = 0;
    d->v = NULL;
}
