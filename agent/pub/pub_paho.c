/*
 * pub_paho.c - loading paho's MQTTAsync library for the broker's scheme (see pub_paho.h).
 */
#include "pub/pub_paho.h"

#include <dlfcn.h>
#include <stdio.h>
#include <string.h>

#define PAHO_PLAIN "libpaho-mqtt3a.so.1"
#define PAHO_TLS "libpaho-mqtt3as.so.1"

static struct paho_api variants[2]; /* [0] plain, [1] TLS; .file set once loaded */

int
paho_uri_is_tls(const char *uri)
{
    /* paho 1.3.12 takes mqtts:// as it is (MQTTAsync_createWithOptions): no rewrite needed. */
    return strncmp(uri, "ssl://", 6) == 0 || strncmp(uri, "mqtts://", 8) == 0 ||
           strncmp(uri, "wss://", 6) == 0;
}

/* dlsym() of name into *fn; 0, or -1 with err filled. */
static int
sym(void *dl, const char *file, const char *name, void *fn, char *err, size_t errlen)
{
    void *f = dlsym(dl, name);

    if (f == NULL) {
        snprintf(err, errlen, "mqtt: %s has no %s: %s", file, name, dlerror());
        return -1;
    }
    memcpy(fn, &f, sizeof(f)); /* object pointer to function pointer, as POSIX allows */
    return 0;
}

const struct paho_api *
paho_load(const char *uri, char *err, size_t errlen)
{
    int tls = uri != NULL && paho_uri_is_tls(uri);
    const char *file = tls ? PAHO_TLS : PAHO_PLAIN;
    struct paho_api a = {0};
    __typeof__(MQTTAsync_global_init) *global_init;
    MQTTAsync_init_options io = MQTTAsync_init_options_initializer;
    void *dl;

    if (variants[tls].file != NULL)
        return &variants[tls];
    /* RTLD_LOCAL: 3a and 3as export the same names; each keeps its own. */
    if ((dl = dlopen(file, RTLD_NOW | RTLD_LOCAL)) == NULL) {
        snprintf(err, errlen, "mqtt: cannot load %s (the %s MQTT library): %s", file,
                 tls ? "TLS-capable" : "plain", dlerror());
        return NULL;
    }
    if (sym(dl, file, "MQTTAsync_createWithOptions", &a.createWithOptions, err, errlen) < 0 ||
        sym(dl, file, "MQTTAsync_setCallbacks", &a.setCallbacks, err, errlen) < 0 ||
        sym(dl, file, "MQTTAsync_setConnected", &a.setConnected, err, errlen) < 0 ||
        sym(dl, file, "MQTTAsync_connect", &a.connect, err, errlen) < 0 ||
        sym(dl, file, "MQTTAsync_disconnect", &a.disconnect, err, errlen) < 0 ||
        sym(dl, file, "MQTTAsync_isConnected", &a.isConnected, err, errlen) < 0 ||
        sym(dl, file, "MQTTAsync_sendMessage", &a.sendMessage, err, errlen) < 0 ||
        sym(dl, file, "MQTTAsync_subscribe", &a.subscribe, err, errlen) < 0 ||
        sym(dl, file, "MQTTAsync_destroy", &a.destroy, err, errlen) < 0 ||
        sym(dl, file, "MQTTAsync_freeMessage", &a.freeMessage, err, errlen) < 0 ||
        sym(dl, file, "MQTTAsync_free", &a.free, err, errlen) < 0 ||
        sym(dl, file, "MQTTAsync_strerror", &a.strerror, err, errlen) < 0 ||
        sym(dl, file, "MQTTAsync_global_init", &global_init, err, errlen) < 0) {
        dlclose(dl);
        return NULL;
    }
    /* Before the first client: OpenSSL 3 initialises itself when TLS is first used, so paho
     * need not load all its tables up front (1.3 MiB resident, tests/bench). */
    io.do_openssl_init = 0;
    global_init(&io);
    a.file = file;
    variants[tls] = a;
    return &variants[tls];
}
