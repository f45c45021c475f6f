/*
 * probe_http.c - http(s) probes on libcurl's multi interface: one easy handle per device,
 * added to the prober's multi handle each cycle.
 *
 * Each probe opens a fresh connection (no reuse): availability is about a client reaching
 * the service, TCP and TLS handshake included, and only a fresh handshake shows the
 * certificate whose expiry cert_days reports (CURLOPT_CERTINFO). Redirects are not followed:
 * a 302 is the answer, and "expect" says whether it is fine (by default any 2xx or 3xx).
 * The body is read for the "body" string up to PRB_BODY_MAX bytes, and then the transfer
 * is cut short.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE /* strptime, timegm, memmem */
#endif
#include "source/probe_priv.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "rw_clock.h"
#include "rw_log.h"

#define PRB_BODY_MAX (1024 * 1024) /* bytes of a body searched for the "body" string */

static size_t on_body(char *ptr, size_t size, size_t nmemb, void *arg);
static int cert_days(struct prb_dev *d, double *days);

int
prb_http_setup(struct prb_dev *d)
{
    const struct cfg_probe *p = d->probe;
    CURL *e = curl_easy_init();
    long ms = (long)ceil(d->cfg->timeout * 1000.0);

    if (e == NULL)
        return -1;
    d->easy = e;
    if (p->body != NULL && strlen(p->body) > 1 && (d->tail = malloc(2 * strlen(p->body))) == NULL)
        return -1;
    curl_easy_setopt(e, CURLOPT_URL, p->url);
    curl_easy_setopt(e, CURLOPT_PRIVATE, (char *)d);
    curl_easy_setopt(e, CURLOPT_ERRORBUFFER, d->errbuf);
    curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(e, CURLOPT_PROTOCOLS_STR, "http,https");
    curl_easy_setopt(e, CURLOPT_TIMEOUT_MS, ms);
    curl_easy_setopt(e, CURLOPT_CONNECTTIMEOUT_MS, ms);
    curl_easy_setopt(e, CURLOPT_FRESH_CONNECT, 1L);
    curl_easy_setopt(e, CURLOPT_FORBID_REUSE, 1L);
    curl_easy_setopt(e, CURLOPT_FOLLOWLOCATION, 0L);
    curl_easy_setopt(e, CURLOPT_USERAGENT, "roomwatch-probe/1");
    curl_easy_setopt(e, CURLOPT_NOBODY, p->head ? 1L : 0L);
    curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, on_body);
    curl_easy_setopt(e, CURLOPT_WRITEDATA, d);
    /* Probes go to the service itself, never through a proxy from the environment. */
    curl_easy_setopt(e, CURLOPT_PROXY, "");
    if (p->tls) {
        curl_easy_setopt(e, CURLOPT_CERTINFO, 1L);
        curl_easy_setopt(e, CURLOPT_SSL_VERIFYPEER, p->verify ? 1L : 0L);
        curl_easy_setopt(e, CURLOPT_SSL_VERIFYHOST, p->verify ? 2L : 0L);
        if (p->ca_file != NULL)
            curl_easy_setopt(e, CURLOPT_CAINFO, p->ca_file);
    }
    return 0;
}

void
prb_http_free(struct prb_dev *d)
{
    if (d->easy != NULL)
        curl_easy_cleanup(d->easy);
    d->easy = NULL;
    free(d->tail);
    d->tail = NULL;
}

void
prb_http_send(struct prb_dev *d)
{
    CURLMcode mc;

    d->body_read = 0;
    d->body_found = 0;
    d->tail_len = 0;
    d->errbuf[0] = '\0';
    if ((mc = curl_multi_add_handle(d->pr->multi, d->easy)) != CURLM_OK) {
        d->local_error = 1;
        prb_fail(d, RW_Q_IO_ERROR, 0, "cannot start the request: %s", curl_multi_strerror(mc));
        prb_finish(d);
    }
}

/* Looks for the body string, across chunk boundaries, in the first PRB_BODY_MAX bytes. */
static size_t
on_body(char *ptr, size_t size, size_t nmemb, void *arg)
{
    struct prb_dev *d = arg;
    const char *want = d->probe->body;
    size_t n = size * nmemb, wl;

    if (want == NULL || d->body_found)
        return n; /* read and dropped */
    if (d->body_read + n > PRB_BODY_MAX)
        return 0; /* CURLE_WRITE_ERROR: enough read, and it was not there */
    d->body_read += n;
    wl = strlen(want);
    if (memmem(ptr, n, want, wl) != NULL) {
        d->body_found = 1;
        return n;
    }
    if (wl > 1) {
        /*
         * The string may start in the bytes kept from earlier chunks: look in those and the
         * start of this one, then keep the last wl - 1 bytes seen (tail has room for 2 wl).
         */
        size_t head = n < wl - 1 ? n : wl - 1;

        memcpy(d->tail + d->tail_len, ptr, head);
        if (memmem(d->tail, d->tail_len + head, want, wl) != NULL) {
            d->body_found = 1;
            return n;
        }
        if (n >= wl - 1) {
            memcpy(d->tail, ptr + n - (wl - 1), wl - 1);
            d->tail_len = wl - 1;
        } else {
            size_t all = d->tail_len + n, keep = all > wl - 1 ? wl - 1 : all;

            memmove(d->tail, d->tail + all - keep, keep);
            d->tail_len = keep;
        }
    }
    return n;
}

/* The quality of a transfer that failed with rc. */
static enum rw_quality
fail_quality(CURLcode rc)
{
    switch (rc) {
    case CURLE_OPERATION_TIMEDOUT:
        return RW_Q_TIMEOUT;
    case CURLE_WEIRD_SERVER_REPLY:
    case CURLE_BAD_CONTENT_ENCODING:
    case CURLE_HTTP2:
    case CURLE_HTTP2_STREAM:
    case CURLE_HTTP3:
        return RW_Q_DECODE_ERROR;
    default:
        return RW_Q_IO_ERROR;
    }
}

void
prb_http_done(struct prb_dev *d, CURLcode rc)
{
    const struct cfg_probe *p = d->probe;
    long status = 0;
    curl_off_t us = 0;
    double days;
    int expected = 0;

    if (!d->active)
        return;
    /* A write error after the body limit is an answer; every other error is not. */
    if (rc != CURLE_OK && !(rc == CURLE_WRITE_ERROR && p->body != NULL)) {
        prb_fail(d, fail_quality(rc), 0, "%s", d->errbuf[0] ? d->errbuf : curl_easy_strerror(rc));
        prb_finish(d);
        return;
    }
    curl_easy_getinfo(d->easy, CURLINFO_RESPONSE_CODE, &status);
    curl_easy_getinfo(d->easy, CURLINFO_TOTAL_TIME_T, &us);
    prb_set(d, PRB_P_LATENCY, RW_Q_GOOD, (double)us / 1000.0, 0);
    if (status >= 100 && status <= 599)
        prb_set(d, PRB_P_STATUS, RW_Q_GOOD, (double)status, 0);
    if (p->tls) {
        if (cert_days(d, &days) == 0)
            prb_set(d, PRB_P_CERT, RW_Q_GOOD, days, 0);
        else
            prb_set(d, PRB_P_CERT, RW_Q_DECODE_ERROR, 0, 0);
    }
    if (p->nexpect == 0) {
        expected = status >= 200 && status <= 399;
    } else {
        for (int i = 0; i < p->nexpect; i++)
            expected |= p->expect[i] == status;
    }
    if (status < 100 || status > 599)
        prb_fail(d, RW_Q_DECODE_ERROR, 0, "no HTTP status in the answer");
    else if (!expected)
        prb_fail(d, RW_Q_EXCEPTION, (uint16_t)status, "HTTP status %ld", status);
    else if (p->body != NULL && !d->body_found)
        prb_fail(d, RW_Q_EXCEPTION, (uint16_t)status, "the body lacks \"%.64s\"", p->body);
    else
        prb_set(d, PRB_P_UP, RW_Q_GOOD, 1, 0);
    prb_finish(d);
}

/*
 * Days from now until the server certificate's notAfter, to the hundredth; negative once it
 * has expired (only seen with verify = false). Returns 0, or -1 when curl has no certificate
 * information.
 */
static int
cert_days(struct prb_dev *d, double *days)
{
    struct curl_certinfo *ci = NULL;
    struct curl_slist *sl;
    struct tm tm;
    time_t t;

    if (curl_easy_getinfo(d->easy, CURLINFO_CERTINFO, &ci) != CURLE_OK || ci == NULL ||
        ci->num_of_certs < 1)
        return -1;
    /* The first certificate is the server's own; OpenSSL prints "Mar  7 12:00:00 2027 GMT". */
    for (sl = ci->certinfo[0]; sl != NULL; sl = sl->next) {
        const char *v;

        if (strncmp(sl->data, "Expire date:", 12) != 0)
            continue;
        v = sl->data + 12;
        memset(&tm, 0, sizeof(tm));
        if (strptime(v, " %b %d %H:%M:%S %Y GMT", &tm) == NULL)
            return -1;
        t = timegm(&tm);
        *days = round(((double)t - rw_clock_wall()) / 864.0) / 100.0; /* 864 s: 0.01 day */
        return 0;
    }
    return -1;
}
