/*
 * sample.c - names of sample qualities, as they appear in telemetry and logs.
 */
#include "source/sample.h"

const char *
rw_quality_name(enum rw_quality q)
{
    switch (q) {
    case RW_Q_GOOD:
        return "good";
    case RW_Q_TIMEOUT:
        return "timeout";
    case RW_Q_EXCEPTION:
        return "exception";
    case RW_Q_DECODE_ERROR:
        return "decode_error";
    case RW_Q_OUT_OF_RANGE:
        return "out_of_range";
    case RW_Q_IO_ERROR:
        return "io_error";
    case RW_Q_AUTH_ERROR:
        return "auth_error";
    }
    return "unknown";
}
