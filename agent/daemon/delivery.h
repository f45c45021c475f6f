/*
 * delivery.h - roomwatchd's telemetry as the delivery indicators count it (数据传输及时率):
 * each report a delivery indicator counts is published tracked (pub_publish_tracked(), kept
 * for the longest deadline among the indicators counting its device), and its outcome goes
 * to the core as core_report() at the moment the publisher hands it over: the latency, or
 * late. A report the publisher refuses is fed at once, late. Reports still awaiting their
 * outcome at dlv_free() are not fed: they count neither way.
 *
 * DESIGN: runs on the main thread, which owns the publisher, the core and this object. The
 * engine time of an outcome is the daemon's (rw_etime at the outcome's monotonic time).
 * Without a delivery indicator every report goes out untracked.
 *
 * Ownership: cfg, pub, core and et are borrowed and must outlive the object (core may be
 * NULL: no indicators). Errors: dlv_new returns NULL (out of memory).
 */
#ifndef ROOMWATCH_DELIVERY_H
#define ROOMWATCH_DELIVERY_H

#include <stddef.h>

struct core;
struct dlv;
struct pub;
struct rw_config;
struct rw_etime;

struct dlv *dlv_new(const struct rw_config *cfg, struct pub *pub, struct core *core,
                    const struct rw_etime *et);
/*
 * Publishes device dev's telemetry document payload on <prefix>/<subtopic> at the config's
 * QoS, tracked if a delivery indicator counts it; mono is now. Returns pub_publish()'s result
 * (a refusal is counted and logged by pub, and is a late report).
 */
int dlv_publish(struct dlv *d, size_t dev, const char *subtopic, const char *payload, double mono);
/* Device dev's report does not go out live at mono (the broker is away; it goes out late,
 * agent/daemon/late.h): a report a delivery indicator counts is fed at once, late. Accepts
 * NULL. */
void dlv_skip(struct dlv *d, size_t dev, double mono);
/* Gives the publisher's outcome hook back. Accepts NULL. */
void dlv_free(struct dlv *d);

#endif
