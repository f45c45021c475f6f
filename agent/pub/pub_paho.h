/*
 * pub_paho.h - the paho MQTTAsync library the publisher uses, chosen at run time: the plain
 * libpaho-mqtt3a for a tcp:// (or ws://) broker, the TLS-capable libpaho-mqtt3as only for
 * ssl://, mqtts:// or wss://. The API is the same; linking 3as always put OpenSSL (libssl,
 * libcrypto) in the daemon's memory for brokers that never use TLS (tests/bench/README.md).
 *
 * The library is dlopen()ed by its soname, so the package depends on libpaho-mqtt1.3 as
 * before, and both variants come from it. Each variant is loaded at most once and told once
 * not to initialise OpenSSL itself (OpenSSL 3 initialises on first use), then kept for the
 * life of the process; a reload that turns TLS on loads 3as beside 3a.
 *
 * Global state: the loaded variants (main thread; the publisher's one client uses one).
 */
#ifndef ROOMWATCH_PUB_PAHO_H
#define ROOMWATCH_PUB_PAHO_H

#include <stddef.h>

#include <MQTTAsync.h>

/* The functions the publisher calls, with paho's own prototypes. */
struct paho_api {
    const char *file; /* the library's soname */
    __typeof__(MQTTAsync_createWithOptions) *createWithOptions;
    __typeof__(MQTTAsync_setCallbacks) *setCallbacks;
    __typeof__(MQTTAsync_setConnected) *setConnected;
    __typeof__(MQTTAsync_connect) *connect;
    __typeof__(MQTTAsync_disconnect) *disconnect;
    __typeof__(MQTTAsync_isConnected) *isConnected;
    __typeof__(MQTTAsync_sendMessage) *sendMessage;
    __typeof__(MQTTAsync_subscribe) *subscribe;
    __typeof__(MQTTAsync_destroy) *destroy;
    __typeof__(MQTTAsync_freeMessage) *freeMessage;
    __typeof__(MQTTAsync_free) *free;
    __typeof__(MQTTAsync_strerror) *strerror;
};

/* 1 for a broker URI that needs TLS (ssl://, mqtts://, wss://). */
int paho_uri_is_tls(const char *uri);

/*
 * The library for a broker at uri, loaded if it is not yet. Returns NULL on failure, with a
 * message naming the library and dlerror() in err (errlen bytes).
 */
const struct paho_api *paho_load(const char *uri, char *err, size_t errlen);

#endif
