/*
 * sample.h - one reading of one point, as it travels from a source thread (Modbus bus worker,
 * SNMP poller) through the sample queue to the main thread.
 *
 * A poll that got no valid answer is a sample too, with a bad quality and no value: the device
 * was asked and did not answer. The samples of one poll cycle of one device share a cycle
 * number; the last of them carries SAMPLE_F_LAST so that the main thread can publish the
 * cycle as one telemetry document.
 */
#ifndef ROOMWATCH_SAMPLE_H
#define ROOMWATCH_SAMPLE_H

#include <stdint.h>

enum rw_quality {
    RW_Q_GOOD = 0,
    RW_Q_TIMEOUT,      /* no answer within the response timeout */
    RW_Q_EXCEPTION,    /* the device refused the point: a Modbus exception (code 1..11), or
                          an SNMP error-status (code 1..18) or exception (code 128
                          noSuchObject, 129 noSuchInstance, 130 endOfMibView) */
    RW_Q_DECODE_ERROR, /* an answer that does not decode: CRC, short frame, NaN float, an SNMP
                          value of another type than the profile says */
    RW_Q_OUT_OF_RANGE, /* decoded, but outside the point's plausible range */
    RW_Q_IO_ERROR,     /* the link itself failed: connection refused or reset, port error */
    RW_Q_AUTH_ERROR,   /* the device refused our credentials (an SNMPv3 USM report: unknown
                          user, wrong digest, decryption error, unsupported security level) */
};

#define SAMPLE_F_LAST 0x1u  /* last sample of its device's poll cycle */
#define SAMPLE_F_RESET 0x2u /* a timeticks value (sysUpTime) went back since the last poll:
                               the device restarted */

struct sample {
    uint32_t device;    /* index into rw_config.devices */
    uint32_t point;     /* index into the device's profile points */
    uint64_t cycle;     /* the device's poll cycle number, from 1 */
    double wall;        /* Unix time the poll was answered (or gave up), s */
    double mono;        /* the same instant on the monotonic clock, s */
    double value;       /* scaled value; meaningful for RW_Q_GOOD and RW_Q_OUT_OF_RANGE */
    double hold;        /* s until the source asks this device again (its poll interval, or
                           the backoff delay of a device that does not answer) */
    uint16_t quality;   /* enum rw_quality */
    uint16_t code;      /* Modbus exception code, SNMP error-status or exception tag, or 0 */
    uint32_t flags;     /* SAMPLE_F_* */
};

const char *rw_quality_name(enum rw_quality q);

#endif
