/*
 * scan_snmp.c - roomwatch scan over SNMP: synchronous GETs and GETNEXTs on one session.
 */
#include "scan_snmp.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <net-snmp/net-snmp-config.h>
#include <net-snmp/net-snmp-includes.h>

static const oid SYS_DESCR[] = {1, 3, 6, 1, 2, 1, 1, 1, 0};
static const oid SYS_OBJECT_ID[] = {1, 3, 6, 1, 2, 1, 1, 2, 0};

/* One request of type (GET, GETNEXT) for name; *resp on success (snmp_free_pdu()). */
static int
ask(void *ss, int type, const oid *name, size_t len, netsnmp_pdu **resp)
{
    netsnmp_pdu *pdu = snmp_pdu_create(type);

    *resp = NULL;
    if (pdu == NULL)
        return -1;
    snmp_add_null_var(pdu, name, len);
    if (snmp_sess_synch_response(ss, pdu, resp) != STAT_SUCCESS || *resp == NULL) {
        if (*resp != NULL)
            snmp_free_pdu(*resp);
        *resp = NULL;
        return -1;
    }
    if ((*resp)->errstat != SNMP_ERR_NOERROR || (*resp)->variables == NULL) {
        snmp_free_pdu(*resp);
        *resp = NULL;
        return -1;
    }
    return 0;
}

static int
is_exception(const netsnmp_variable_list *v)
{
    return v->type == SNMP_NOSUCHOBJECT || v->type == SNMP_NOSUCHINSTANCE ||
           v->type == SNMP_ENDOFMIBVIEW;
}

/* The number of a numeric varbind; 0 if it is not numeric. */
static int
number(const netsnmp_variable_list *v, double *out)
{
    switch (v->type) {
    case ASN_INTEGER:
        *out = (double)*v->val.integer;
        return 1;
    case ASN_GAUGE:
    case ASN_COUNTER:
    case ASN_TIMETICKS:
        *out = (double)(unsigned long)*v->val.integer;
        return 1;
    case ASN_COUNTER64:
        *out = (double)v->val.counter64->high * 4294967296.0 + (double)v->val.counter64->low;
        return 1;
    default:
        return 0;
    }
}

/* A plain (not indexed, not walked) point: present, and within range if numeric. */
static int
scalar_ok(void *ss, const struct cfg_point *pt)
{
    oid name[CFG_OID_MAX];
    netsnmp_pdu *resp;
    double v;
    int ok;

    for (int i = 0; i < pt->oid_len; i++)
        name[i] = pt->oid[i];
    if (ask(ss, SNMP_MSG_GET, name, (size_t)pt->oid_len, &resp) < 0)
        return 0;
    ok = !is_exception(resp->variables);
    if (ok && number(resp->variables, &v))
        ok = v * pt->scale + pt->offset >= pt->min && v * pt->scale + pt->offset <= pt->max;
    if (ok && pt->stype == CFG_ST_ENTITY_SENSOR)
        ok = resp->variables->type == ASN_INTEGER;
    snmp_free_pdu(resp);
    return ok;
}

/* The rows of an "{index}" column (the sub-identifiers after its prefix), up to max; the
 * number found, or -1 if the column has none. */
static int
column_rows(void *ss, const struct cfg_point *pt, int *rows, size_t max)
{
    oid prefix[CFG_OID_MAX], name[MAX_OID_LEN];
    size_t plen = (size_t)pt->oid_index_at, len = plen, n = 0;

    for (size_t i = 0; i < plen; i++)
        prefix[i] = name[i] = pt->oid[i];
    while (n < max) {
        netsnmp_pdu *resp;
        const netsnmp_variable_list *v;
        int under;

        if (ask(ss, SNMP_MSG_GETNEXT, name, len, &resp) < 0)
            break;
        v = resp->variables;
        under = !is_exception(v) && v->name_length == plen + 1 &&
                snmp_oid_compare(v->name, plen, prefix, plen) == 0;
        if (under) {
            rows[n++] = (int)v->name[plen];
            memcpy(name, v->name, v->name_length * sizeof(oid));
            len = v->name_length;
        }
        snmp_free_pdu(resp);
        if (!under)
            break;
    }
    return n > 0 ? (int)n : -1;
}

/* Printable ASCII of an OCTET STRING, the rest as '?'. */
static void
text_of(const netsnmp_variable_list *v, char *buf, size_t len)
{
    size_t n = 0;

    if (v->type == ASN_OCTET_STR)
        for (size_t i = 0; i < v->val_len && n + 1 < len; i++) {
            unsigned char c = v->val.string[i];
            buf[n++] = c >= 0x20 && c < 0x7f && c != '"' && c != '\\' ? (char)c : '?';
        }
    buf[n] = '\0';
}

static int
profile_answers(void *ss, const struct cfg_profile *p, struct scan_snmp_match *m)
{
    int have_index = 0;

    m->profile = p;
    m->nindex = 0;
    for (size_t i = 0; i < p->npoints; i++) {
        const struct cfg_point *pt = &p->points[i];

        if (pt->walk)
            continue; /* alarm tables: empty is fine */
        if (pt->oid_index_at >= 0) {
            int rows[SCAN_SNMP_ROWS];
            int nr = column_rows(ss, pt, rows, SCAN_SNMP_ROWS);

            if (nr < 0)
                return 0;
            if (!have_index) {
                memcpy(m->index, rows, (size_t)nr * sizeof(int));
                m->nindex = (size_t)nr;
                have_index = 1;
            }
        } else if (!scalar_ok(ss, pt)) {
            return 0;
        }
    }
    return 1;
}

int
scan_snmp_host(const char *host, int port, const char *community, double timeout,
               const struct cfg_profile *profiles, size_t n, struct scan_snmp_host *out,
               char *err, size_t errlen)
{
    netsnmp_session s;
    netsnmp_pdu *resp;
    char peer[300];
    void *ss;

    memset(out, 0, sizeof(*out));
    snprintf(peer, sizeof(peer), "udp:%s:%d", host, port);
    snmp_sess_init(&s);
    s.peername = peer;
    s.version = SNMP_VERSION_2c;
    s.community = (u_char *)strdup(community);
    s.community_len = strlen(community);
    s.timeout = (long)(timeout * 1e6);
    s.retries = 1;
    if (s.community == NULL || (ss = snmp_sess_open(&s)) == NULL) {
        snprintf(err, errlen, "cannot open a session to %s", peer);
        free(s.community);
        return -1;
    }
    free(s.community);
    if (ask(ss, SNMP_MSG_GET, SYS_DESCR, OID_LENGTH(SYS_DESCR), &resp) < 0) {
        snprintf(err, errlen, "no answer to a GET of sysDescr.0 (wrong community, or no agent)");
        snmp_sess_close(ss);
        return -1;
    }
    text_of(resp->variables, out->descr, sizeof(out->descr));
    snmp_free_pdu(resp);
    if (ask(ss, SNMP_MSG_GET, SYS_OBJECT_ID, OID_LENGTH(SYS_OBJECT_ID), &resp) == 0) {
        if (resp->variables->type == ASN_OBJECT_ID) {
            size_t len = 0;
            for (size_t i = 0; i < resp->variables->val_len / sizeof(oid) &&
                               len + 12 < sizeof(out->object_id);
                 i++)
                len += (size_t)snprintf(out->object_id + len, sizeof(out->object_id) - len,
                                        "%s%lu", i ? "." : "",
                                        (unsigned long)resp->variables->val.objid[i]);
        }
        snmp_free_pdu(resp);
    }
    out->match = calloc(n > 0 ? n : 1, sizeof(*out->match));
    if (out->match == NULL) {
        snprintf(err, errlen, "out of memory");
        snmp_sess_close(ss);
        return -1;
    }
    for (size_t i = 0; i < n; i++)
        if (profiles[i].protocol == CFG_PROTO_SNMP &&
            profile_answers(ss, &profiles[i], &out->match[out->nmatch]))
            out->nmatch++;
    snmp_sess_close(ss);
    return 0;
}

void
scan_snmp_host_clear(struct scan_snmp_host *h)
{
    free(h->match);
    memset(h, 0, sizeof(*h));
}
