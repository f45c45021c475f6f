/*
 * cfg.h - roomwatch's configuration: a libconfig file describing the site, the MQTT
 * connection, the buses and the devices on them, plus the device profiles (register maps of
 * device models) it references from the profile directory.
 *
 * cfg_load() checks everything it can in one pass and collects every problem as a
 * "file:line: message" diagnostic, so that `roomwatchd -t` shows all of them at once. A
 * config with any diagnostic is refused whole.
 *
 * Ownership: cfg_load() returns a struct rw_config that the caller frees with cfg_free();
 * every string and array in it belongs to it. The struct is read-only after loading and may
 * be read from any thread.
 */
#ifndef ROOMWATCH_CFG_H
#define ROOMWATCH_CFG_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "engine/target.h"
#include "rw_ctrust.h"

#define CFG_ID_MAX 64 /* ids and point names, including the NUL */
#define CFG_STATE_DIR_DEFAULT "/var/lib/roomwatch"
#define CFG_CHECKPOINT_DEFAULT 60.0 /* s */
/* The sample archive (config/README.md, "archive"): on, 400 days (a year and the weeks of
 * the self-evaluation after it), 3 GB at most: the demo room's 400 days are 2.6 GB. */
#define CFG_ARCHIVE_MAX_MB_DEFAULT 3000.0
#define CFG_ARCHIVE_MAX_DAYS_DEFAULT 400
#define CFG_OID_MAX 64    /* sub-identifiers of an SNMP OID in a profile (net-snmp allows 128) */
#define CFG_LABEL_MAX 32  /* an enumerated value's label, including the NUL */
#define CFG_INDEX_MAX 256 /* table indexes a device may list in "index" */
/*
 * The agent itself, as a pseudo-device no configured device may be: the outcome of each
 * telemetry report of device D is a sample of point "agent.delivery.D" (delivery
 * indicators), in the daemon's engine and in replayed traces.
 */
#define CFG_AGENT_ID "agent"
#define CFG_DELIVERY_POINT "delivery" /* agent.delivery.<device> */
#define CFG_DELIVERY_DEADLINE_DEFAULT 60.0 /* s */
#define CFG_DELIVERY_STALE 1.0 /* s: the engine wants a staleness limit; delivery ignores it */
#define CFG_PROFILE_DIRS_MAX 8 /* folders "profile_dir" may list */

enum cfg_status {
    CFG_OK = 0,
    CFG_ERR_INVALID, /* the diagnostics say why */
    CFG_ERR_NOMEM,
};

/* Register data types. BIT is the type of coils and discrete inputs (fc 1, 2). */
enum cfg_dtype {
    CFG_T_BIT = 0,
    CFG_T_INT16,
    CFG_T_UINT16,
    CFG_T_INT32,
    CFG_T_UINT32,
    CFG_T_FLOAT32,
};

/*
 * Byte order of a 32-bit value across its two registers, named by where the bytes of the
 * big-endian value A B C D land on the wire: ABCD is high word first (Modbus' usual order),
 * CDAB is low word first, BADC and DCBA swap the bytes inside each register. For 16-bit types
 * only the byte swap matters (AB or BA): ABCD/CDAB read AB, BADC/DCBA read BA.
 */
enum cfg_order {
    CFG_O_ABCD = 0,
    CFG_O_BADC,
    CFG_O_CDAB,
    CFG_O_DCBA,
};

/* What a device is polled with, and what a profile maps: Modbus registers or SNMP OIDs. */
enum cfg_proto {
    CFG_PROTO_MODBUS = 0,
    CFG_PROTO_SNMP,
    CFG_PROTO_ANY, /* cfg_profile_load_as(): take the profile's own "protocol" */
    CFG_PROTO_PROBE, /* a service probe (a "probe" group): its profile is built in */
};

/*
 * SNMP value types a point expects (a varbind of another type is a decode error).
 * ENTITY_SENSOR is an entPhySensorValue (ENTITY-SENSOR-MIB, RFC 3433) whose sibling columns
 * entPhySensorScale and entPhySensorPrecision are fetched in the same request and applied.
 */
enum cfg_snmp_type {
    CFG_ST_INTEGER = 0, /* INTEGER / Integer32 */
    CFG_ST_GAUGE,       /* Gauge32 / Unsigned32 */
    CFG_ST_COUNTER32,
    CFG_ST_COUNTER64,
    CFG_ST_TIMETICKS,   /* hundredths of a second; a decrease means the agent restarted */
    CFG_ST_ENTITY_SENSOR,
    /*
     * Walk points ("walk" instead of "oid"): the column is read with GETBULK each cycle, to
     * its end, and the point is derived from its rows. ROWS is the number of rows; HAS_OID is
     * 1 if some row's value is the OBJECT IDENTIFIER "match" (upsAlarmDescr = upsAlarmOnBattery),
     * else 0. Points walking the same column share one walk.
     */
    CFG_ST_ROWS,
    CFG_ST_HAS_OID,
};

/* One value -> label pair of an enumerated point ("3" = "normal"). */
struct cfg_enum {
    long long value;
    char label[CFG_LABEL_MAX];
};

struct cfg_point {
    char name[CFG_ID_MAX];     /* "v_l1": addressed as device.point */
    char quantity[CFG_ID_MAX]; /* "voltage", "temperature", ... */
    char unit[16];             /* "V", "°C", "kWh", ... ("" for none) */
    int fc;                    /* Modbus function code 1..4 */
    int address;               /* wire address, 0..65535 */
    enum cfg_dtype type;
    enum cfg_order order;
    double scale;  /* value = raw * scale + offset */
    double offset;
    double min, max; /* plausible range of the scaled value, inclusive; -inf/+inf if open */
    int line;        /* in the profile file */
    /* SNMP points (profile protocol "snmp"); fc, address, type and order are unused. */
    enum cfg_snmp_type stype;
    uint32_t oid[CFG_OID_MAX];
    int oid_len;
    int oid_index_at; /* sub-identifier that "{index}" stands for, or -1 */
    int walk;         /* oid is a table column to walk (stype ROWS or HAS_OID), not a GET */
    uint32_t match[CFG_OID_MAX]; /* HAS_OID: the value looked for */
    int match_len;
    size_t enum_first, nenum; /* labels: cfg_profile.enums[enum_first .. + nenum] */
};

struct cfg_profile {
    char name[CFG_ID_MAX]; /* what devices reference: the file name without ".cfg" */
    char *model;           /* "Eastron SDM630" */
    char *file;            /* path it was loaded from */
    int max_read_registers; /* per request, <= 125 (MODBUS_MAX_READ_REGISTERS) */
    int max_read_bits;      /* per request, <= 2000 (MODBUS_MAX_READ_BITS) */
    int register_multiple;  /* reads start and span multiples of this (SDM630: 2), >= 1 */
    int request_gap_ms;     /* pause between two requests to the device */
    enum cfg_proto protocol; /* CFG_PROTO_MODBUS or CFG_PROTO_SNMP */
    size_t npoints;
    struct cfg_point *points;
    size_t nenums;
    struct cfg_enum *enums; /* the labels of every enumerated point */
};

enum cfg_bus_type {
    CFG_BUS_TCP = 0,
    CFG_BUS_RTU,
};

struct cfg_bus {
    char id[CFG_ID_MAX];
    enum cfg_bus_type type;
    /* tcp */
    char *host;
    int port;
    /* rtu */
    char *device; /* "/dev/ttyUSB0" */
    int baud;
    char parity; /* 'N', 'E' or 'O' */
    int data_bits;
    int stop_bits;
    int rs485; /* switch the port into RS-485 mode (ioctl; fails on a pty) */
    int line;
};

enum cfg_snmp_level {
    CFG_SL_NOAUTH = 0, /* noAuthNoPriv */
    CFG_SL_AUTHNOPRIV,
    CFG_SL_AUTHPRIV,
};

enum cfg_snmp_auth {
    CFG_SA_SHA = 0, /* HMAC-SHA-96 (RFC 3414) */
    CFG_SA_SHA256,  /* HMAC-SHA-256-192 (RFC 7860) */
};

enum cfg_snmp_priv {
    CFG_SP_AES = 0, /* CFB128-AES-128 (RFC 3826) */
};

/*
 * An SNMP agent. Secrets (community, passphrases) are read from files that only their owner
 * may read (or, for the community, given inline) and are never logged: print "***".
 */
struct cfg_snmp {
    char *host;
    int port;    /* UDP, default 161 */
    int version; /* 2 (v2c) or 3 */
    char *community; /* v2c; secret */
    char *community_file;
    char *user; /* v3 securityName */
    enum cfg_snmp_level level;
    enum cfg_snmp_auth auth_protocol;
    char *auth_passphrase; /* secret, >= 8 characters */
    char *auth_passphrase_file;
    enum cfg_snmp_priv priv_protocol;
    char *priv_passphrase; /* secret, >= 8 characters */
    char *priv_passphrase_file;
    int retries; /* resends after a timeout, default 1 */
};

/* What a service probe does each cycle (the "probe" group of a device). */
enum cfg_probe_type {
    CFG_PROBE_TCP = 0, /* connect to host:port */
    CFG_PROBE_HTTP,    /* GET or HEAD a URL (http or https) */
    CFG_PROBE_ICMP,    /* echo requests to host */
    CFG_PROBE_DNS,     /* resolve name against server */
};

#define CFG_PROBE_EXPECT_MAX 16 /* HTTP statuses an http probe may list */
/* The built-in profiles of probes are named "probe-<type>"; "probe-https" adds cert_days. */
#define CFG_PROBE_PROFILE_PREFIX "probe-"

struct cfg_probe {
    enum cfg_probe_type type;
    char *host; /* tcp, icmp: a host name or IP address */
    int port;   /* tcp: the port; dns: the server's port (default 53) */
    /* http */
    char *url;
    int tls;  /* the URL is https */
    int head; /* method HEAD, else GET */
    int nexpect; /* statuses that mean up; 0: any 2xx or 3xx */
    int expect[CFG_PROBE_EXPECT_MAX];
    char *body;    /* a substring the body must hold (GET only); NULL if none */
    char *ca_file; /* trust anchors for https; NULL: the system's */
    int verify;    /* verify the server's certificate and name (default 1) */
    /* icmp */
    int count; /* echo requests per cycle (default 3) */
    /* dns */
    char *name;   /* what is resolved */
    char *server; /* the resolver, an IP address */
    int aaaa;     /* record AAAA, else A */
    int backoff; /* back a failing probe off like a silent device (default 0) */
};

struct cfg_device {
    char id[CFG_ID_MAX];
    char kind[CFG_ID_MAX]; /* meter, ups, th_sensor, pdu, switch, server, ... */
    enum cfg_proto source; /* CFG_PROTO_MODBUS (bus + unit), CFG_PROTO_SNMP (snmp) or
                              CFG_PROTO_PROBE (probe) */
    size_t bus;            /* index into rw_config.buses; SIZE_MAX for SNMP and probes */
    int unit;              /* Modbus unit id (slave), 0..247 */
    double interval;       /* poll interval, s */
    double timeout;        /* response timeout, s */
    double stale;          /* how long a sample holds at most, s (default 3 x interval) */
    size_t profile;        /* index into rw_config.profiles */
    int line;
    struct cfg_snmp snmp;  /* source CFG_PROTO_SNMP only */
    struct cfg_probe probe; /* source CFG_PROTO_PROBE only */
    /*
     * SNMP table rows (e.g. ifIndex values) that the profile's "{index}" OIDs are polled for.
     * A device with indexes gets its own copy of the profile, whose indexed points are
     * repeated per index and named <point>_<index> ("oper_status_3").
     */
    size_t nindex;
    int *index;
};

struct cfg_mqtt {
    char *uri;       /* tcp://host:port, ssl://host:port, mqtts://... */
    char *client_id;
    char *prefix;    /* topic root, default roomwatch/v1/<site>/<gateway> */
    int qos;         /* for telemetry, 0 or 1 */
    int keepalive;   /* s */
    char *username;  /* NULL if none */
    char *password;  /* read from password_file; NULL if none. Never log it. */
    char *password_file;
    char *ca_file;   /* TLS: trust anchors; NULL = system default */
    char *cert_file; /* TLS client certificate, optional */
    char *key_file;
    int buffer;      /* messages kept while the broker is away */
    int outbox;      /* QoS 1 messages kept on disk until acknowledged (daemon/outbox.h) */
    /* Telemetry that could not go out live, sent late from the archive (daemon/late.h). */
    int late_max_hours; /* the oldest sent late; older is given up */
    int late_max_mb;    /* the archive files the backlog spans, at most (10^6 bytes) */
    int late_rate;      /* late documents a second, at most */
};

enum cfg_period {
    CFG_PERIOD_YEAR = 0,
    CFG_PERIOD_MONTH,
};

struct cfg_site {
    char id[CFG_ID_MAX];
    char *name;
    char *timezone; /* default "Asia/Shanghai" */
    char gateway[CFG_ID_MAX];
    enum cfg_period period; /* the reporting period, default the calendar year */
    int english;            /* language = "en": alerts' explanations in English; default zh */
};

/* What an indicator computes (DESIGN.md, "Indicators"); the value's unit follows the kind. */
enum cfg_ind_kind {
    CFG_IND_BAND = 0,     /* % of in-band time */
    CFG_IND_SUPPLY_DAYS,  /* days */
    CFG_IND_AVAILABILITY, /* % up */
    CFG_IND_DOWNTIME,     /* hours down */
    CFG_IND_FAULT_RATE,   /* % down */
    CFG_IND_DUTY_DAYS,    /* days */
    CFG_IND_ENERGY,       /* kWh */
    CFG_IND_DELIVERY,     /* % of the agent's reports delivered within the deadline */
    /* Incident indicators (engine/incstat.h): computed from the fault-handling record, not
     * from points; they live in rw_config.inc_indicators. */
    CFG_IND_MTTR,            /* h: mean repair time */
    CFG_IND_MTTA,            /* h: mean (or longest) response time */
    CFG_IND_WITHIN,          /* % of incidents responded to (or resolved) within a limit */
    CFG_IND_RESOLUTION_RATE, /* % of the incidents detected that were resolved */
    CFG_IND_COUNT,           /* a number: events of a kind, incidents, or an inventory */
};
#define CFG_IND_FIRST_INCIDENT CFG_IND_MTTR /* kinds from here on are incident indicators */

/* A condition on a held value ("in = [3,4,5]", "above = 150.0"); as struct eng_cond. */
enum cfg_cond_op {
    CFG_COND_NONE = 0, /* any valid value */
    CFG_COND_IN,
    CFG_COND_ABOVE,    /* value > lo */
    CFG_COND_AT_LEAST, /* value >= lo */
    CFG_COND_BELOW,    /* value < hi */
    CFG_COND_RANGE,    /* lo <= value <= hi */
};

#define CFG_COND_MAX_SET 16

struct cfg_cond {
    enum cfg_cond_op op;
    double lo, hi;
    int nset;
    double set[CFG_COND_MAX_SET];
};

/*
 * A device.point an indicator reads. A delivery indicator reads the agent's own point of
 * each device it counts: point CFG_POINT_DELIVERY, "agent.delivery.<device>".
 */
struct cfg_pointref {
    size_t device; /* index into rw_config.devices */
    size_t point;  /* index into that device's profile's points, or CFG_POINT_DELIVERY */
};

#define CFG_POINT_DELIVERY SIZE_MAX

struct cfg_indicator {
    char id[CFG_ID_MAX];
    char *name;        /* the form's 三级指标, verbatim */
    char *category;    /* 一级指标; NULL if not given */
    char *subcategory; /* 二级指标; NULL if not given */
    enum cfg_ind_kind kind;
    size_t npoints;
    struct cfg_pointref *points;
    /* band: lo <= mean <= hi is in; assess_lo/hi the optional wider assessment band */
    double lo, hi;
    int has_assess;
    double assess_lo, assess_hi;
    double window; /* s; 0 classifies held samples second by second */
    int each;      /* combine = "each" */
    struct cfg_cond cond;
    double duty_share; /* duty_days, 0..1 */
    double deadline;   /* delivery: s from a report's publication to its acknowledgement */
    /* The form's target as written, its unit column, and what it parses to. */
    char *target_text; /* NULL if none */
    char *target_unit; /* NULL if none */
    struct tgt target;
    /* A qualitative target's rule ("rule = \">=97\""): how the value decides it. */
    char *rule_text; /* NULL if none */
    struct tgt rule;
    /* Incident indicators: which incidents count (empty: all); the strings are the rule
     * ids, category and severity names as the store keeps them. */
    size_t nsel_rules, nsel_categories, nsel_severities;
    char **sel_rules, **sel_categories, **sel_severities;
    int max;          /* mtta: aggregate = "max" */
    int on_resolve;   /* within: of = "resolve" */
    double limit;     /* within: s */
    char *event;      /* count: event kind counted; NULL if none */
    int has_inventory; /* count: inventory = N; with its source */
    double inventory;
    char *source;
    double weight; /* report.weights: the line's 分值 in the self-evaluation; 0: none */
    /* alert { }: the known share of the period's time below which the value is unverified
     * (0: never), and the alert tiers and timings (report/rpt_alert.h); alert_set says which
     * were given (bits CFG_ALERT_*), the rest default by the period's length. */
    double coverage_floor;
    unsigned alert_set;
    size_t alert_ntiers;
    double alert_tier[4][3]; /* long s, short s, burn */
    double alert_hold, alert_min_interval, alert_left_low, alert_clear_ratio; /* s, s, s, 0..1 */
    int line;
};
#define CFG_ALERT_TIERS 1u
#define CFG_ALERT_HOLD 2u
#define CFG_ALERT_MIN_INTERVAL 4u
#define CFG_ALERT_LEFT_LOW 8u
#define CFG_ALERT_CLEAR_RATIO 16u
#define CFG_COVERAGE_FLOOR_DEFAULT 0.9

/* A form line the agent cannot measure, entered by hand (config report.entered): 满意度
 * surveys, 预算执行率, qualitative lines such as 健全. Strings NULL when not given. */
struct cfg_entered {
    char id[CFG_ID_MAX];
    char *name, *category, *subcategory; /* 三级, 一级, 二级指标 */
    char *target_text;                   /* 年度指标值, verbatim */
    struct tgt target;
    char *rule_text; /* how a number decides a qualitative target; NULL if none */
    struct tgt rule;
    double value; /* the result as a number, in the target's unit; NaN when text */
    char *unit;   /* the value's unit as written; NULL if none */
    char *text;   /* the result as words (健全); NULL when a number */
    int met;      /* given: 1 or 0; -1 decided from value against rule or target */
    double score; /* 得分 given by hand; NaN: scored as a measured line */
    double weight; /* 分值; 0: none */
    char *by, *basis; /* who entered it, and on what evidence */
    int line;
};

/* The self-evaluation workbook's header block (config "report"): NULL when not given. */
struct cfg_report {
    char *project;     /* 项目名称 */
    char *department;  /* 主管部门 */
    char *implementer; /* 实施单位 */
    int publish_interval; /* s between builds of the retained report document, at most */
    size_t nentered;
    struct cfg_entered *entered;
};

/* Alarm rules (config "alarms"): what opens an incident. */
enum cfg_alarm_cond {
    CFG_ALARM_OUTSIDE = 0, /* value < lo or value > hi */
    CFG_ALARM_ABOVE,       /* value > lo */
    CFG_ALARM_BELOW,       /* value < hi */
    CFG_ALARM_IN,          /* value in a set of states (values or the profile's labels) */
    CFG_ALARM_NO_ANSWER,   /* the device did not answer polls cycles in a row */
};

enum cfg_severity {
    CFG_SEV_CRITICAL = 0,
    CFG_SEV_MAJOR,
    CFG_SEV_MINOR,
    CFG_SEV_WARNING,
};

enum cfg_category {
    CFG_CAT_POWER = 0,
    CFG_CAT_ENVIRONMENT,
    CFG_CAT_NETWORK,
    CFG_CAT_DEVICE,
    CFG_CAT_SECURITY,
};

#define CFG_ALARM_MAX_SET 16
#define CFG_NO_POINT SIZE_MAX /* cfg_alarm_target.point of a device (no_answer) rule */

/* One point (or, for no_answer, one device) a rule watches; the states of "in" are
 * resolved against that point's labels. */
struct cfg_alarm_target {
    size_t device; /* index into rw_config.devices */
    size_t point;  /* index into its profile's points; CFG_NO_POINT for no_answer */
    int nset;
    double set[CFG_ALARM_MAX_SET];
};

struct cfg_alarm {
    char id[CFG_ID_MAX];
    char *name; /* a description for people; NULL if none */
    enum cfg_severity severity;
    enum cfg_category category;
    enum cfg_alarm_cond cond;
    double lo, hi; /* outside: [lo, hi] is fine; above: lo; below: hi */
    int polls;     /* no_answer */
    double hold;       /* s the condition must last before an incident opens */
    double clear_hold; /* s it must be clear before the incident resolves */
    size_t ntargets;
    struct cfg_alarm_target *targets;
    int line;
};

/* Notification channels (config "notify"; cfg_notify.c). */
enum cfg_nt_type {
    CFG_NT_WECOM = 0, /* 企业微信 group robot */
    CFG_NT_DINGTALK,  /* 钉钉 custom robot */
    CFG_NT_FEISHU,    /* 飞书 custom bot */
    CFG_NT_ALERTMANAGER,
    CFG_NT_WEBHOOK,   /* generic JSON */
    CFG_NT_EMAIL,     /* SMTP */
};

/* Events a route takes (bits of cfg_nt_route.events), as in the notification log. */
#define CFG_NT_EV_OPENED 0x01u    /* incident opened */
#define CFG_NT_EV_ESCALATED 0x02u /* incident not acknowledged in time */
#define CFG_NT_EV_RESOLVED 0x04u  /* incident resolved */
#define CFG_NT_EV_RAISED 0x08u    /* alert raised (a target at risk) */
#define CFG_NT_EV_RECOVERED 0x10u
#define CFG_NT_EV_LOST 0x20u
#define CFG_NT_EV_ALL 0x3fu

/* What a channel is sent: an event matches a route when its bit is in events and its
 * severity and category are in the masks (bit 1 << enum cfg_severity / cfg_category); alerts
 * have neither, and match on events alone. */
struct cfg_nt_route {
    unsigned events, severities, categories;
};

struct cfg_notify {
    char id[CFG_ID_MAX];
    enum cfg_nt_type type;
    char *url;         /* the endpoint without its secret (the robots have defaults) */
    char *key;         /* robots: the webhook key / access token / hook id; secret */
    char *key_file;
    char *secret;      /* DingTalk, Feishu: the signing secret; NULL if none; secret */
    char *secret_file;
    int english;       /* language = "en"; default Chinese */
    size_t nroutes;
    struct cfg_nt_route *routes; /* at least one (the default takes everything) */
    int quiet_from, quiet_to;    /* minutes of the local day; -1 when no quiet hours */
    int rate_limit;              /* messages a minute; 0 = no limit */
    char *ca_file;               /* TLS trust anchors (https, smtps, STARTTLS); NULL: the
                                    system's */
    double timeout;              /* s per send */
    double resend;               /* alertmanager: s between re-sends of the firing ones */
    /* email */
    char *from;
    size_t nto;
    char **to;
    char *username;
    char *password; /* secret */
    char *password_file;
    int starttls;   /* require STARTTLS (default on for smtp://) */
    int line;
};

/* The sample archive under <state_dir>/archive (agent/archive/archive.h). */
struct cfg_archive {
    int enabled;   /* record every sample and command (default 1) */
    double max_mb; /* bound on its size on disk, MB (10^6 bytes) */
    int max_days;  /* bound on its age: hour files older than this many days go */
};

/* When the wall clock is trusted to date samples (rw_ctrust.h): the "clock" group. */
struct cfg_clock {
    enum rw_ctrust_mode trust; /* default RW_CTRUST_FLOOR */
    int64_t floor;             /* s since the epoch, UTC: default the build's date */
};

struct rw_config {
    char *file;        /* the main config file */
    /* Where profiles are looked up, in order: the first folder holding <name>.cfg wins.
     * Each absolute, or joined to the config file's folder; at least one. */
    char **profile_dirs;
    size_t nprofile_dirs;
    size_t queue_size; /* sample queue capacity, messages */
    char *state_dir;   /* the store's folder (absolute, or joined to the config's folder) */
    double checkpoint_interval; /* s between writes of the engine's state to the store */
    struct cfg_archive archive;
    struct cfg_clock clock;
    struct cfg_site site;
    struct cfg_mqtt mqtt;
    size_t nbuses;
    struct cfg_bus *buses;
    size_t ndevices;
    struct cfg_device *devices;
    size_t nprofiles;
    struct cfg_profile *profiles;
    size_t nindicators;
    struct cfg_indicator *indicators; /* the engine's (kinds before CFG_IND_FIRST_INCIDENT) */
    size_t ninc_indicators;
    struct cfg_indicator *inc_indicators; /* incident indicators, in config order */
    size_t nalarms;
    struct cfg_alarm *alarms;
    struct cfg_report report;
    size_t nnotify;
    struct cfg_notify *notify; /* notification channels, in config order */
    /* "escalation": s an open incident may stay unacknowledged, per enum cfg_severity,
     * before it is told again as escalated; 0 = never. */
    double escalate[4];
};

/* One problem found in a config or profile file. */
struct cfg_diag {
    char *file;
    int line; /* 0 when the problem is with the file as a whole */
    char *msg;
};

struct cfg_diags {
    size_t n;
    size_t cap;
    struct cfg_diag *v;
};

/*
 * Loads and validates the config at path and every profile its devices use.
 * Returns CFG_OK and sets *out, or CFG_ERR_INVALID / CFG_ERR_NOMEM with *out NULL and the
 * problems appended to diags (which the caller owns and frees with cfg_diags_free()).
 */
enum cfg_status cfg_load(const char *path, struct rw_config **out, struct cfg_diags *diags);
/* Accepts NULL. */
void cfg_free(struct rw_config *cfg);

struct eng_ind_cfg;
/*
 * Fills out, the engine's settings for indicator in: kind, band, window, combination,
 * condition and duty share. The points are left to the caller, which maps them to its own
 * point indices (roomwatchd and `roomwatch replay` number points differently).
 */
void cfg_indicator_engine(const struct cfg_indicator *in, struct eng_ind_cfg *out);

struct alm_rule_cfg;
struct alm_target;
/*
 * The alarm detector's settings (engine/alarm.h) for cfg's rules: one detector rule and
 * target per point (or device) a rule watches, alarm by alarm in config order, target k of
 * alarm a before those of alarm a + 1. *rules and *targets are new (free() them), *n long;
 * 0, or -1 when memory runs out. roomwatchd and `roomwatch replay` detect with the same.
 */
int cfg_alarm_detector(const struct rw_config *cfg, struct alm_rule_cfg **rules,
                       struct alm_target **targets, size_t *n);

struct ist_cfg;
/*
 * Fills out, the incident statistics' settings (engine/incstat.h) for incident indicator in.
 * Its string lists point into in: valid while cfg is.
 */
void cfg_indicator_incstat(const struct cfg_indicator *in, struct ist_cfg *out);
/* 1 if kind k is an incident indicator (rw_config.inc_indicators). */
int cfg_ind_is_incident(enum cfg_ind_kind k);

/*
 * The installed profile folder, where a config without "profile_dir" (and without a
 * "profiles" folder beside it) takes its profiles from: share/roomwatch/profiles beside the
 * running binary's bin/sbin folder if it exists, else the compiled-in ROOMWATCH_PROFILE_DIR.
 * Returns a malloc()ed path, NULL when out of memory.
 */
char *cfg_default_profile_dir(void);

/*
 * Loads one profile file (also used by roomwatch-devsim, which serves the same register maps).
 * name is what it is called by. Returns CFG_OK and fills *out (free with cfg_profile_clear()),
 * or an error with the problems in diags.
 */
enum cfg_status cfg_profile_load(const char *path, const char *name, struct cfg_profile *out,
                                 struct cfg_diags *diags);
void cfg_profile_clear(struct cfg_profile *p);

/*
 * As cfg_profile_load(), but the profile must be of protocol expect (CFG_PROTO_ANY takes
 * either); a profile of the other protocol is reported at its "protocol" key and checked as
 * the expected one, so that every key that does not belong is named.
 */
enum cfg_status cfg_profile_load_as(const char *path, const char *name, enum cfg_proto expect,
                                    struct cfg_profile *out, struct cfg_diags *diags);

/*
 * Copies src into dst (free with cfg_profile_clear()) with its "{index}" points repeated for
 * each of the nindex indexes, named <point>_<index>. Returns CFG_OK, CFG_ERR_NOMEM, or
 * CFG_ERR_INVALID when a name would not fit (*bad then names the point).
 */
enum cfg_status cfg_profile_expand(const struct cfg_profile *src, const int *index, size_t nindex,
                                   struct cfg_profile *dst, const struct cfg_point **bad);
/* 1 if some point of p has an "{index}" OID. */
int cfg_profile_indexed(const struct cfg_profile *p);
/* The label of value v of an enumerated point, or NULL. */
const char *cfg_point_label(const struct cfg_profile *p, const struct cfg_point *pt, double v);
/* Writes the OID of pt as dotted decimal ("1.3.6.1.2.1.33.1.4.1.0") into buf; returns buf. */
char *cfg_point_oid_text(const struct cfg_point *pt, char *buf, size_t len);
const char *cfg_snmp_type_name(enum cfg_snmp_type t);

/* "tcp", "http", "icmp", "dns". */
const char *cfg_probe_type_name(enum cfg_probe_type t);

/* Finds a point of a profile by name; NULL if none. */
const struct cfg_point *cfg_profile_point(const struct cfg_profile *p, const char *name);

/* Registers (or bits, for CFG_T_BIT) a point occupies: 1 or 2. */
int cfg_point_width(const struct cfg_point *p);

/* Diagnostics. add is printf-like; line 0 means the whole file. */
void cfg_diag_add(struct cfg_diags *d, const char *file, int line, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
/* Writes each as "file:line: message\n" (or "file: message"). */
void cfg_diags_print(const struct cfg_diags *d, FILE *fp);
void cfg_diags_free(struct cfg_diags *d);

const char *cfg_dtype_name(enum cfg_dtype t);
/* "band", "supply_days", ... */
const char *cfg_ind_kind_name(enum cfg_ind_kind k);
/* 1 if some indicator is of kind delivery: then the engine has the agent's points. */
int cfg_has_delivery(const struct rw_config *cfg);
/* Number of devices read from source (CFG_PROTO_SNMP, CFG_PROTO_PROBE...). */
size_t cfg_device_count(const struct rw_config *cfg, enum cfg_proto source);
/* The unit of an indicator kind's value: "%", "day", "h", "kWh", or "" (count). */
const char *cfg_ind_kind_unit(enum cfg_ind_kind k);
/* "critical", ...; "power", ... (as in the config and the incident topic). */
const char *cfg_severity_name(enum cfg_severity s);
const char *cfg_category_name(enum cfg_category c);
/* "wecom", "dingtalk", ... as in the config. */
const char *cfg_nt_type_name(enum cfg_nt_type t);
/* The channel called id, or NULL. */
const struct cfg_notify *cfg_notify_find(const struct rw_config *cfg, const char *id);
/* Finds "device.point"; returns 0 and fills *out, or -1. */
int cfg_find_point(const struct rw_config *cfg, const char *name, struct cfg_pointref *out);
const char *cfg_order_name(enum cfg_order o);

#endif
