/*
 * increc.c - the fault-handling record as JSON (see increc.h).
 */
#include "increc.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

#include "rw_calendar.h"

struct walk {
    const struct rw_config *cfg;
    int64_t from, to;
    json_t *list;
};

const struct increc_column increc_columns[INCREC_NCOLUMNS] = {
    {"id", "id", "编号", 0, 0},
    {"state", "state", "状态", 0, 0},
    {"rule", "rule", "规则", 0, 0},
    {"name", "name", "名称", 1, 0},
    {"severity", "severity", "级别", 0, 0},
    {"category", "category", "类别", 0, 0},
    {"device", "device", "设备", 0, 0},
    {"point", "point", "测点", 0, 0},
    {"value", "value", "值", 0, 0},
    {"started", "started", "开始", 0, 1},
    {"detected", "detected", "发现", 0, 1},
    {"acknowledged", "acknowledged", "确认", 0, 1},
    {"acknowledged_by", "acknowledged_by", "确认人", 1, 0},
    {"ack_note", "ack_note", "确认说明", 1, 0},
    {"time_to_ack_s", "time_to_ack_s", "响应用时(秒)", 0, 0},
    {"cleared", "cleared", "恢复", 0, 1},
    {"resolved", "resolved", "解决", 0, 1},
    {"resolution", "resolution", "解决方式", 0, 0},
    {"resolved_by", "resolved_by", "解决人", 1, 0},
    {"cause", "cause", "原因", 1, 0},
    {"measure", "measure", "措施", 1, 0},
    {"duration_s", "time_to_resolve_s", "处理用时(秒)", 0, 0},
    {"flags", "flags", "标记", 0, 0},
};
_Static_assert(sizeof(increc_columns) / sizeof(increc_columns[0]) == INCREC_NCOLUMNS &&
                   INCREC_NCOLUMNS == 23,
               "one entry per column");

const char *
increc_text(const json_t *v, char *buf, size_t len)
{
    const json_t *f;
    size_t k, off = 0;

    if (json_is_string(v))
        return json_string_value(v);
    if (len == 0)
        return NULL;
    if (json_is_number(v)) {
        snprintf(buf, len, "%.15g", json_number_value(v));
        return buf;
    }
    if (!json_is_array(v) || json_array_size(v) == 0)
        return NULL;
    buf[0] = '\0';
    json_array_foreach(v, k, f)
    {
        if (off < len)
            off += (size_t)snprintf(buf + off, len - off, "%s%s", k ? ";" : "",
                                    json_is_string(f) ? json_string_value(f) : "");
    }
    return buf;
}

static json_t *
time_or_null(const char *tz, int64_t t)
{
    char buf[RW_CAL_TIME_LEN];

    return t != 0 ? json_string(rw_calendar_rfc3339(tz, t, buf, sizeof(buf))) : json_null();
}

static json_t *
text_or_null(const char *s)
{
    return s != NULL ? json_string(s) : json_null();
}

const char *
increc_rule_name(const struct rw_config *cfg, const char *id)
{
    for (size_t i = 0; id != NULL && i < cfg->nalarms; i++)
        if (strcmp(cfg->alarms[i].id, id) == 0)
            return cfg->alarms[i].name;
    return NULL;
}

json_t *
increc_object(const struct rw_config *cfg, const struct store_incident *in)
{
    const char *tz = cfg->site.timezone;
    json_t *o = json_object(), *flags = json_array();

    if (o == NULL || flags == NULL) {
        json_decref(o);
        json_decref(flags);
        return NULL;
    }
    if (in->flags & STORE_INC_CLEARED_WHILE_DOWN)
        json_array_append_new(flags, json_string("cleared_while_down"));
    json_object_set_new(o, "id", json_integer(in->id));
    json_object_set_new(o, "state", json_string(in->resolved != 0 ? "resolved" : "open"));
    json_object_set_new(o, "rule", text_or_null(in->rule));
    json_object_set_new(o, "name", text_or_null(increc_rule_name(cfg, in->rule)));
    json_object_set_new(o, "severity", text_or_null(in->severity));
    json_object_set_new(o, "category", text_or_null(in->category));
    json_object_set_new(o, "device", text_or_null(in->device));
    json_object_set_new(o, "point", text_or_null(in->point));
    json_object_set_new(o, "started", time_or_null(tz, in->started));
    json_object_set_new(o, "detected", time_or_null(tz, in->detected));
    json_object_set_new(o, "value", isfinite(in->value) ? json_real(in->value) : json_null());
    json_object_set_new(o, "acknowledged", time_or_null(tz, in->acked));
    json_object_set_new(o, "acknowledged_by", text_or_null(in->acked_by));
    json_object_set_new(o, "ack_note", text_or_null(in->ack_note));
    json_object_set_new(o, "time_to_ack_s",
                        in->acked != 0 ? json_real((double)(in->acked - in->detected) / 1000.0)
                                       : json_null());
    json_object_set_new(o, "cleared", time_or_null(tz, in->cleared));
    json_object_set_new(o, "resolved", time_or_null(tz, in->resolved));
    json_object_set_new(o, "resolution", text_or_null(in->resolved_how));
    json_object_set_new(o, "resolved_by", text_or_null(in->resolved_by));
    json_object_set_new(o, "cause", text_or_null(in->cause));
    json_object_set_new(o, "measure", text_or_null(in->measure));
    json_object_set_new(o, "duration_s",
                        in->resolved != 0
                            ? json_real((double)(in->resolved - in->detected) / 1000.0)
                            : json_null());
    json_object_set_new(o, "flags", flags);
    return o;
}

static int
each(const struct store_incident *in, void *arg)
{
    struct walk *w = arg;
    json_t *o;

    if (w->to != 0 && (in->detected < w->from || in->detected >= w->to))
        return 0;
    if ((o = increc_object(w->cfg, in)) == NULL)
        return 1;
    return json_array_append_new(w->list, o) == 0 ? 0 : 1;
}

int
increc_list(const struct rw_config *cfg, struct store *st, int64_t from, int64_t to, json_t **out)
{
    struct walk w = {cfg, from, to, json_array()};
    int r;

    *out = NULL;
    if (w.list == NULL)
        return 1;
    r = store_incident_each(st, 0, each, &w);
    if (r != 0) {
        json_decref(w.list);
        return r < 0 ? -1 : 1;
    }
    *out = w.list;
    return 0;
}
