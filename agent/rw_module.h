/*
 * rw_module.h - the parts of roomwatchd a config may not use, loaded only when it does, the
 * way collectd loads its plugins: the SNMP poller (net-snmp), the service prober (libcurl,
 * c-ares) and the notifier (libcurl, OpenSSL's HMAC). Linked into the daemon, those libraries
 * and what they pull in (GnuTLS, Kerberos, LDAP, libcrypto...) were 6 MiB of the daemon's
 * 10 MiB resident for a room of one Modbus device (tests/bench/README.md).
 *
 * A module is the shared object roomwatch-NAME.so, exporting one table, rw_module_NAME, that
 * starts with a struct rw_module_head; the rest of the table is the module's interface,
 * declared in the header of what it implements (snmp_poller.h, probe.h, notifier.h). A module
 * calls back into roomwatchd (logging, the queue, the store), which exports its symbols for
 * that: a module runs only in the daemon it was built with (RW_MODULE_ABI and the size of the
 * table are checked at load).
 *
 * Where modules are: MODULE_DIR below the prefix of the running binary (two folders up from
 * it: /usr/sbin/roomwatchd finds /usr/lib/roomwatch, a build tree's agent/roomwatchd finds
 * lib/roomwatch in the build tree), as profiles are found; else the compiled-in
 * ROOMWATCH_MODULE_DIR.
 *
 * Global state: the loaded modules, by name (loaded from the main thread only). A module is
 * never unloaded: net-snmp, libcurl and OpenSSL leave thread keys and exit handlers behind.
 */
#ifndef ROOMWATCH_RW_MODULE_H
#define ROOMWATCH_RW_MODULE_H

#include <stddef.h>
#include <stdint.h>

/* Bumped whenever a module table, or what modules call in roomwatchd, changes. */
#define RW_MODULE_ABI 1
#define RW_MODULE_SUBDIR "lib/roomwatch"

/* The start of every module's table. */
struct rw_module_head {
    uint32_t abi;  /* RW_MODULE_ABI of the module's build */
    uint32_t size; /* sizeof the whole table */
};

/* Marks a module's table: the only symbol a module exports (the rest is hidden). */
#define RW_MODULE_EXPORT __attribute__((visibility("default")))

/*
 * The folder modules are loaded from (see above); malloc()ed, or NULL without memory.
 */
char *rw_module_dir(void);

/*
 * Loads roomwatch-NAME.so (once; later calls return the same table) and returns its table
 * rw_module_NAME, checked to be `size` bytes of this build's ABI. On failure returns NULL and
 * writes into err (errlen bytes) a message naming the file and what went wrong (dlerror()).
 */
const void *rw_module_load(const char *name, size_t size, char *err, size_t errlen);

#endif
