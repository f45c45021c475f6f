/*
 * nt_send.c - sending with libcurl (see nt_send.h).
 */
#include "notify/nt_send.h"

#include <stdio.h>
#include <string.h>

#include <curl/curl.h>
#include <jansson.h>

#include "cfg/cfg.h"
#include "notify/nt_msg.h"

#define REPLY_MAX 4096 /* bytes of a reply kept to read its error code */

int
nt_send_init(void)
{
    return curl_global_init(CURL_GLOBAL_DEFAULT) == CURLE_OK ? 0 : -1;
}

struct reply {
    char buf[REPLY_MAX];
    size_t n;
};

static size_t
on_data(char *p, size_t size, size_t nmemb, void *arg)
{
    struct reply *r = arg;
    size_t n = size * nmemb, take = n;

    if (take > sizeof(r->buf) - 1 - r->n)
        take = sizeof(r->buf) - 1 - r->n;
    memcpy(r->buf + r->n, p, take);
    r->n += take;
    r->buf[r->n] = '\0';
    return n;
}

/* The mail's text, read out by libcurl. */
struct upload {
    const char *p;
    size_t left;
};

static size_t
on_read(char *buf, size_t size, size_t nmemb, void *arg)
{
    struct upload *u = arg;
    size_t n = size * nmemb;

    if (n > u->left)
        n = u->left;
    memcpy(buf, u->p, n);
    u->p += n;
    u->left -= n;
    return n;
}

/* A robot answers 200 with {"errcode":N,"errmsg":...} (WeCom, DingTalk) or {"code":N,"msg":...}
 * (Feishu): non-zero is a refusal. */
static int
robot_refused(const char *body, char *err, size_t len)
{
    json_t *j = json_loads(body, 0, NULL), *c;
    const char *msg;
    int refused = 0;

    if (j == NULL)
        return 0;
    c = json_object_get(j, "errcode");
    msg = json_string_value(json_object_get(j, "errmsg"));
    if (c == NULL) {
        c = json_object_get(j, "code");
        msg = json_string_value(json_object_get(j, "msg"));
    }
    if (json_is_integer(c) && json_integer_value(c) != 0) {
        snprintf(err, len, "errcode %lld: %.200s", (long long)json_integer_value(c),
                 msg ? msg : "");
        refused = 1;
    }
    json_decref(j);
    return refused;
}

int
nt_send(const struct cfg_notify *ch, const struct nt_request *req, char *err, size_t len)
{
    CURL *c = curl_easy_init();
    struct curl_slist *hdr = NULL, *rcpt = NULL;
    struct reply rep = {.n = 0};
    struct upload up = {req->body, strlen(req->body)};
    char from[320];
    long code = 0;
    CURLcode rc;
    int ok = 0;

    if (c == NULL) {
        snprintf(err, len, "cannot start libcurl");
        return -1;
    }
    curl_easy_setopt(c, CURLOPT_URL, req->url);
    curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, (long)(ch->timeout * 1000));
    curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS, (long)(ch->timeout * 1000));
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_data);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, &rep);
    if (ch->ca_file != NULL)
        curl_easy_setopt(c, CURLOPT_CAINFO, ch->ca_file);
    if (ch->type == CFG_NT_EMAIL) {
        curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "smtp,smtps");
        snprintf(from, sizeof(from), "<%s>", ch->from);
        curl_easy_setopt(c, CURLOPT_MAIL_FROM, from);
        for (size_t i = 0; i < ch->nto; i++) {
            char to[320];
            struct curl_slist *n;

            snprintf(to, sizeof(to), "<%s>", ch->to[i]);
            if ((n = curl_slist_append(rcpt, to)) == NULL)
                break;
            rcpt = n;
        }
        curl_easy_setopt(c, CURLOPT_MAIL_RCPT, rcpt);
        curl_easy_setopt(c, CURLOPT_READFUNCTION, on_read);
        curl_easy_setopt(c, CURLOPT_READDATA, &up);
        curl_easy_setopt(c, CURLOPT_UPLOAD, 1L);
        if (ch->starttls && strncmp(req->url, "smtp://", 7) == 0)
            curl_easy_setopt(c, CURLOPT_USE_SSL, (long)CURLUSESSL_ALL);
        if (ch->username != NULL) {
            curl_easy_setopt(c, CURLOPT_USERNAME, ch->username);
            if (ch->password != NULL)
                curl_easy_setopt(c, CURLOPT_PASSWORD, ch->password);
        }
    } else {
        curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
        hdr = curl_slist_append(NULL, "Content-Type: application/json; charset=utf-8");
        curl_easy_setopt(c, CURLOPT_HTTPHEADER, hdr);
        curl_easy_setopt(c, CURLOPT_POSTFIELDS, req->body);
        curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE, (long)strlen(req->body));
    }
    rc = curl_easy_perform(c);
    if (rc != CURLE_OK) {
        snprintf(err, len, "%s", curl_easy_strerror(rc));
    } else if (ch->type != CFG_NT_EMAIL) {
        curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &code);
        if (code < 200 || code > 299)
            snprintf(err, len, "HTTP %ld", code);
        else if (!(ch->type == CFG_NT_WECOM || ch->type == CFG_NT_DINGTALK ||
                   ch->type == CFG_NT_FEISHU) ||
                 !robot_refused(rep.buf, err, len))
            ok = 1;
    } else {
        ok = 1;
    }
    curl_slist_free_all(hdr);
    curl_slist_free_all(rcpt);
    curl_easy_cleanup(c);
    return ok ? 0 : -1;
}
