/*
 * test_sp_library.c - net-snmp's one-time set-up (source/snmp_poller.h): sp_library_init()
 * leaves SNMPv3's security set-up for the first v3 device, and it is that set-up, not
 * init_snmp(), that initialises OpenSSL; sp_library_v3() runs it once.
 *
 * It checks the layout of net-snmp's callbacks that the deferral relies on (Debian bookworm's
 * net-snmp 5.9.3): on a net-snmp where it no longer holds, sp_library_init() falls back to
 * setting v3 up at start, correct but 1.6 MiB larger, and this test says so.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "source/snmp_poller.h"

/* KiB of libcrypto resident in this process (/proc/self/smaps), -1 when it is not mapped. */
static long
libcrypto_kib(void)
{
    FILE *f = fopen("/proc/self/smaps", "r");
    char line[512];
    long kib = -1, v;
    int in = 0;

    if (f == NULL)
        return -1;
    while (fgets(line, sizeof(line), f) != NULL) {
        size_t hex = strspn(line, "0123456789abcdef");

        if (hex > 0 && line[hex] == '-') /* a mapping's first line: "start-end perms ..." */
            in = strstr(line, "/libcrypto.so") != NULL;
        else if (in && sscanf(line, "Rss: %ld kB", &v) == 1)
            kib = (kib < 0 ? 0 : kib) + v;
    }
    fclose(f);
    return kib;
}

static void
test_sp_library_v3_deferred(void **state)
{
    char dir[] = "/tmp/rw-test-sp-library-XXXXXX"; /* mkdtemp()'s template */
    char sub[sizeof(dir) + 16];
    long before, after;

    (void)state;
    assert_non_null(mkdtemp(dir));
    setenv("SNMP_PERSISTENT_DIR", dir, 1);
    assert_int_equal(sp_library_init(), 0);
    if (!sp_library_v3_pending())
        fail_msg("net-snmp's callbacks are not laid out as snmp_poller.c expects: SNMPv3 (and "
                 "OpenSSL) is set up at start for every config");
    before = libcrypto_kib();
    assert_int_equal(sp_library_v3(), 0);
    assert_int_equal(sp_library_v3_pending(), 0);
    after = libcrypto_kib();
    /* Under an emulator smaps may not show the guest's libraries: the order is checked only
     * where they are there. OpenSSL's initialisation touches some 2 MiB of libcrypto. */
    if (before >= 0 && after >= 0) {
        print_message("libcrypto resident: %ld KiB after init_snmp(), %ld KiB after the v3 "
                      "set-up\n",
                      before, after);
        assert_true(after >= before + 512);
    }
    assert_int_equal(sp_library_v3(), 0); /* once */
    sp_library_shutdown();
    assert_int_equal(sp_library_v3_pending(), 0);
    /* init_snmp() made <dir>/cert_indexes, and nothing else. */
    snprintf(sub, sizeof(sub), "%s/cert_indexes", dir);
    assert_int_equal(rmdir(sub), 0);
    assert_int_equal(rmdir(dir), 0);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_sp_library_v3_deferred),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
