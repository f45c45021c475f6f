/*
 * fuzz_target.c - the forms' target strings (engine/target.c): text, a NUL, then the unit
 * column. A parsed target must format, compare and convert without a crash, and an error
 * must come with a NUL-terminated reason.
 */
#include <math.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "engine/target.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *text = malloc(size + 1);
    const char *hint = NULL;
    struct tgt t;
    char err[TGT_ERR_LEN], buf[256], ubuf[TGT_UNIT_MAX];
    const uint8_t *nul;
    double out;

    if (text == NULL)
        return 0;
    memcpy(text, data, size);
    text[size] = '\0';
    /* "text\0unit": the first NUL splits them (strlen stops there, so text ends at it). */
    nul = memchr(data, '\0', size);
    if (nul != NULL)
        hint = text + (nul - data) + 1;
    memset(err, 'x', sizeof(err));
    if (tgt_parse(text, hint, &t, err, sizeof(err)) == TGT_OK) {
        static const double probes[] = {0.0,   -1.0,   1.0, 97.0,    99.999999999,
                                        1e300, -1e300, NAN, INFINITY};

        if (memchr(t.unit, '\0', sizeof(t.unit)) == NULL)
            abort();
        for (size_t i = 0; i < sizeof(probes) / sizeof(probes[0]); i++)
            (void)tgt_met(&t, probes[i]);
        if (tgt_format(&t, buf, sizeof(buf)) < 0 || memchr(buf, '\0', sizeof(buf)) == NULL)
            abort();
        (void)tgt_format(&t, buf, 3); /* truncation */
        (void)tgt_convert(1.5, t.unit, "h", &out);
        (void)tgt_convert(1.5, "min", t.unit, &out);
    } else if (memchr(err, '\0', sizeof(err)) == NULL) {
        abort();
    }
    (void)tgt_unit_canonical(text, ubuf, sizeof(ubuf));
    if (hint != NULL)
        (void)tgt_unit_canonical(hint, ubuf, 4);
    free(text);
    return 0;
}
