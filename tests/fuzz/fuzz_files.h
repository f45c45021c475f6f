/*
 * fuzz_files.h - a scratch folder for the harnesses of file parsers (libconfig reads files,
 * not buffers): the input is written to a file there and loaded by path, as roomwatchd
 * loads /etc/roomwatch/roomwatch.cfg. The folder also holds what a config may name next to
 * it, so that fuzzed configs reach the code behind those names: the test profiles
 * ("profiles", "profiles-local"), TLS files ("tls") and the include files of the fixtures
 * (symbolic links into tests/fixtures/config), and secret files of mode 0600 ("secret",
 * "secret-short") for password_file and the SNMP passphrase files.
 *
 * It also frees, after each input, the string tokens libconfig 1.5 leaks on a syntax error
 * (lsan.supp, hyperrealm/libconfig#142). Left leaked, every input that breaks the syntax
 * (most mutations) allocated more than it freed, so libFuzzer ran it a second time and
 * scanned the whole heap for leaks: 13 of every 14 seconds went there, and after 1000 such
 * checks libFuzzer switched its leak detection off for the rest of the run. Freeing exactly
 * what lsan.supp suppresses keeps that detection on for roomwatch's own code at no cost.
 */
#ifndef ROOMWATCH_FUZZ_FILES_H
#define ROOMWATCH_FUZZ_FILES_H

#include <dirent.h>
#include <dlfcn.h>
#include <fcntl.h>
#include <pthread.h>
#include <sanitizer/allocator_interface.h>
#include <sanitizer/asan_interface.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static char fz_dir[256];

static void
fz_link(const char *name)
{
    char from[512], to[512];

    snprintf(from, sizeof(from), "%s/%s", RW_FIXTURES_CONFIG, name);
    snprintf(to, sizeof(to), "%s/%s", fz_dir, name);
    if (symlink(from, to) != 0)
        abort();
}

static void
fz_secret(const char *name, const char *text)
{
    char path[512];
    int fd;

    snprintf(path, sizeof(path), "%s/%s", fz_dir, name);
    if ((fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600)) < 0 ||
        write(fd, text, strlen(text)) != (ssize_t)strlen(text))
        abort();
    close(fd);
}

/*
 * The blocks allocated by the harness's thread during one input and not freed yet: an open
 * addressing table of FZ_SLOTS (freed blocks leave a tombstone), with the slots used listed
 * in fz_used so that the end of an input visits those only. An input that allocates more
 * than FZ_USED blocks is not tracked further; its leaks, libconfig's too, are left to
 * libFuzzer and lsan.supp, as before.
 */
#define FZ_SLOTS (1u << 17)
#define FZ_USED (FZ_SLOTS / 2)
#define FZ_FREED ((const void *)1)

static const void *fz_slot[FZ_SLOTS];
static uint32_t fz_used[FZ_USED];
static size_t fz_nused;
static int fz_tracking, fz_overflow;
static pthread_t fz_thread;

static uint32_t
fz_hash(const volatile void *p)
{
    return (uint32_t)(((uintptr_t)p >> 4) * 0x9E3779B97F4A7C15ull >> 40) & (FZ_SLOTS - 1);
}

/* Sanitizer hooks: they run inside malloc and free, so no allocation and no locking here. */
static void
fz_malloc_hook(const volatile void *p, size_t size)
{
    uint32_t i;

    (void)size;
    if (!fz_tracking || fz_overflow || !pthread_equal(pthread_self(), fz_thread))
        return;
    if (fz_nused == FZ_USED) {
        fz_overflow = 1;
        return;
    }
    for (i = fz_hash(p); fz_slot[i] != NULL; i = (i + 1) & (FZ_SLOTS - 1))
        ;
    fz_slot[i] = (const void *)p;
    fz_used[fz_nused++] = i;
}

static void
fz_free_hook(const volatile void *p)
{
    uint32_t i;

    if (!fz_tracking || fz_overflow || p == NULL || !pthread_equal(pthread_self(), fz_thread))
        return;
    for (i = fz_hash(p); fz_slot[i] != NULL; i = (i + 1) & (FZ_SLOTS - 1))
        if (fz_slot[i] == (const void *)p) {
            fz_slot[i] = FZ_FREED;
            return;
        }
}

/* Whether block p was allocated by libconfig's lexer: the frames lsan.supp suppresses. */
static int
fz_lexer_block(const void *p)
{
    void *trace[64];
    int tid;
    size_t n = __asan_get_alloc_stack((void *)p, trace, 64, &tid);

    for (size_t i = 0; i < n; i++) {
        Dl_info di;

        /* A return address: one byte before it lies inside the calling function. */
        if (dladdr((char *)trace[i] - 1, &di) != 0 && di.dli_sname != NULL &&
            di.dli_fname != NULL && strstr(di.dli_fname, "libconfig") != NULL &&
            (strcmp(di.dli_sname, "strbuf_append") == 0 ||
             strcmp(di.dli_sname, "libconfig_yylex") == 0))
            return 1;
    }
    return 0;
}

/* Around the work on each input: from here on the harness's allocations are tracked... */
static void
fz_leaks_begin(void)
{
    fz_nused = 0;
    fz_overflow = 0;
    fz_tracking = 1;
}

/* ...and here libconfig's leaked tokens are freed. Any other block still allocated is
 * roomwatch's, left for libFuzzer's leak check after the input to judge. */
static void
fz_leaks_end(void)
{
    fz_tracking = 0;
    for (size_t k = 0; k < fz_nused; k++) {
        const void *p = fz_slot[fz_used[k]];

        if (!fz_overflow && p != FZ_FREED && fz_lexer_block(p))
            free((void *)p);
        fz_slot[fz_used[k]] = NULL;
    }
    fz_nused = 0;
}

/*
 * Called once from LLVMFuzzerInitialize. The folder is made under TMPDIR, which
 * tests/fuzz/run.sh sets to a folder of its own and removes at the end (a crash ends the
 * process with _Exit, so no hook of ours could). Without TMPDIR (a harness run by hand) it
 * goes to /dev/shm when there is one and stays until a reboot: on ext4 (/tmp here)
 * truncating and rewriting the input's file made the kernel allocate and flush its blocks
 * at close (auto_da_alloc), a third of fuzz_config's time; tmpfs keeps it in memory.
 */
static void
fz_files_init(void)
{
    const char *tmp = getenv("TMPDIR");
    DIR *d;
    struct dirent *e;

    if (tmp == NULL)
        tmp = access("/dev/shm", W_OK | X_OK) == 0 ? "/dev/shm" : "/tmp";
    snprintf(fz_dir, sizeof(fz_dir), "%s/roomwatch-fuzz-XXXXXX", tmp);
    if (mkdtemp(fz_dir) == NULL)
        abort();
    fz_link("profiles");
    fz_link("profiles-local");
    fz_link("tls");
    if ((d = opendir(RW_FIXTURES_CONFIG)) == NULL)
        abort();
    while ((e = readdir(d)) != NULL) {
        size_t n = strlen(e->d_name);

        if (n > 4 && strcmp(e->d_name + n - 4, ".inc") == 0)
            fz_link(e->d_name);
    }
    closedir(d);
    fz_secret("secret", "s3cret-passphrase\n");
    fz_secret("secret-short", "abc\n");
    fz_thread = pthread_self();
    if (__sanitizer_install_malloc_and_free_hooks(fz_malloc_hook, fz_free_hook) == 0)
        abort();
}

/* Writes the input to <dir>/name; the path is in path. */
static void
fz_write(const char *name, const uint8_t *data, size_t size, char *path, size_t len)
{
    int fd;

    snprintf(path, len, "%s/%s", fz_dir, name);
    if ((fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600)) < 0)
        abort();
    while (size > 0) {
        ssize_t got = write(fd, data, size);

        if (got <= 0)
            abort();
        data += got;
        size -= (size_t)got;
    }
    close(fd);
}

#endif
