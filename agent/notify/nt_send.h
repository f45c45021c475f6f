/*
 * nt_send.h - sending a notification request (nt_msg.h) with libcurl: an HTTP(S) POST of
 * JSON, or a mail over SMTP (STARTTLS when the channel asks for it, auth when it has a
 * user). Never follows redirects; only the scheme the channel's type takes is allowed.
 *
 * Threads: nt_send_init() once per process before any thread sends (curl_global_init);
 * then nt_send() may run in any thread (each call has its own handle).
 * Errors come back as text without the URL or any secret, for the caller to log once.
 */
#ifndef ROOMWATCH_NT_SEND_H
#define ROOMWATCH_NT_SEND_H

#include <stddef.h>

struct cfg_notify;
struct nt_request;

/* 0, or -1 when libcurl cannot start. */
int nt_send_init(void);

/*
 * Sends req over ch, waiting at most ch->timeout. 0 when delivered: an HTTP 2xx whose body,
 * if it is a robot's JSON reply, says success (errcode or code 0); the SMTP server took the
 * mail. -1 otherwise, with why in err ("HTTP 502", "errcode 310000: sign not match",
 * "Couldn't connect to server").
 */
int nt_send(const struct cfg_notify *ch, const struct nt_request *req, char *err, size_t len);

#endif
