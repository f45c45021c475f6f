/*
 * fuzz_files.h - a scratch folder for the harnesses of file parsers (libconfig reads files,
 * not buffers): the input is written to a file there and loaded by path, as roomwatchd
 * loads /etc/roomwatch/roomwatch.cfg. The folder also holds what a config may name next to
 * it, so that fuzzed configs reach the code behind those names: the test profiles
 * ("profiles", "profiles-local"), TLS files ("tls") and the include files of the fixtures
 * (symbolic links into tests/fixtures/config), and secret files of mode 0600 ("secret",
 * "secret-short") for password_file and the SNMP passphrase files.
 */
#ifndef ROOMWATCH_FUZZ_FILES_H
#define ROOMWATCH_FUZZ_FILES_H

#include <dirent.h>
#include <fcntl.h>
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

/* Called once from LLVMFuzzerInitialize; the folder is left for the system's tmp cleaner
 * (libFuzzer exits through exit(), no hook runs after the last input). */
static void
fz_files_init(void)
{
    const char *tmp = getenv("TMPDIR");
    DIR *d;
    struct dirent *e;

    snprintf(fz_dir, sizeof(fz_dir), "%s/roomwatch-fuzz-XXXXXX", tmp != NULL ? tmp : "/tmp");
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
