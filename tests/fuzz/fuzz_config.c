/* SPDX-License-Identifier: MIT */
/*
 * fuzz_config.c - compio.ini parsing (inih plus our line reader) and
 * config validation on arbitrary bytes, through the public API only.
 *
 * Each input is used three ways:
 *  1. as ini text, through cio_config_load_string and, written to a
 *     file, through cio_config_load: both must give the same result and
 *     the same cio_error_detail (when the input holds no NUL byte);
 *  2. as "section\nkey\nvalue" for cio_config_set;
 *  3. as a value for one [runtime] key picked by the first byte.
 * Invariants: results are 0 or a negative errno; a failure names the
 * file (or cio_config_set) in a non-empty detail and leaves the config
 * exactly as it was; every [runtime] value that was accepted is in
 * normal form (setting it again, or reading it back from an ini file,
 * gives the same string). ASan's leak check covers "never leaks".
 */
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <compio/config.h>
#include <compio/error.h>

#ifdef _WIN32
#include <direct.h>
#include <io.h>

/* Binary mode: text mode would write CR LF and the file would no longer
 * hold the bytes the string reader saw. */
#define O_CLOEXEC (O_BINARY | O_NOINHERIT)

/* mingw has no mkdtemp: a unique name from _mktemp, then the directory. */
static char *
mkdtemp(char *tpl)
{
    return _mktemp(tpl) != NULL && _mkdir(tpl) == 0 ? tpl : NULL;
}
#endif

#define CHECK(c)                                                               \
    do {                                                                       \
        if (!(c)) {                                                            \
            fprintf(stderr, "fuzz_config: invariant failed: %s (line %d)\n",   \
                    #c, __LINE__);                                             \
            abort();                                                           \
        }                                                                      \
    } while (0)

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char *const runtime_keys[] = {
    "backend",    "fallback",   "module_path", "entries",
    "threadpool_max", "stack_size", "stack_cache",
};
#define NKEYS (sizeof(runtime_keys) / sizeof(runtime_keys[0]))

static char tmpdir[4096];
static char ini_path[sizeof(tmpdir) + 16];

static void
cleanup(void)
{
    unlink(ini_path);
    rmdir(tmpdir);
}

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
#ifdef _WIN32
    {
        /* Windows has no /tmp: the user's temporary directory. */
        const char *t = getenv("TEMP");

        snprintf(tmpdir, sizeof(tmpdir), "%s\\cio-fuzz-config-XXXXXX",
                 t != NULL ? t : ".");
    }
#else
    snprintf(tmpdir, sizeof(tmpdir), "/tmp/cio-fuzz-config-XXXXXX");
#endif
    CHECK(mkdtemp(tmpdir) != NULL);
    snprintf(ini_path, sizeof(ini_path), "%s/fuzz.ini", tmpdir);
    atexit(cleanup);
    return 0;
}

/* A config holding a few values, so "unchanged on error" means something. */
static cio_config *
preset(void)
{
    cio_config *cfg;

    CHECK(cio_config_new(&cfg) == 0);
    CHECK(cio_config_set(cfg, "runtime", "entries", "77") == 0);
    CHECK(cio_config_set(cfg, "runtime", "backend", "epoll, uring") == 0);
    CHECK(cio_config_set(cfg, "module.x", "k", "v") == 0);
    return cfg;
}

typedef struct snap {
    char *v[NKEYS];
    char *mod;
} snap;

static char *
dup_or_null(const char *s)
{
    char *d = s != NULL ? strdup(s) : NULL;

    CHECK(s == NULL || d != NULL);
    return d;
}

static void
snap_take(const cio_config *cfg, snap *s)
{
    size_t i;

    for (i = 0; i < NKEYS; i++)
        s->v[i] = dup_or_null(cio_config_get(cfg, "runtime", runtime_keys[i]));
    s->mod = dup_or_null(cio_config_get(cfg, "module.x", "k"));
}

static int
same(const char *a, const char *b)
{
    return (a == NULL && b == NULL) ||
           (a != NULL && b != NULL && strcmp(a, b) == 0);
}

static void
snap_check_free(const cio_config *cfg, snap *s)
{
    size_t i;

    for (i = 0; i < NKEYS; i++) {
        CHECK(same(s->v[i], cio_config_get(cfg, "runtime", runtime_keys[i])));
        free(s->v[i]);
    }
    CHECK(same(s->mod, cio_config_get(cfg, "module.x", "k")));
    free(s->mod);
}

static void
snap_free(snap *s)
{
    size_t i;

    for (i = 0; i < NKEYS; i++)
        free(s->v[i]);
    free(s->mod);
}

static void
check_error(int rc, const char *origin)
{
    const char *d = cio_error_detail();

    CHECK(rc < 0 && rc >= -4095);
    CHECK(d != NULL && d[0] != '\0');
    CHECK(strncmp(d, origin, strlen(origin)) == 0);
}

/* Append "@key = @value\n" to the heap string *@text of length *@len
 * (open_memstream would do, but the MS C runtime has none). */
static void
append_line(char **text, size_t *len, const char *key, const char *value)
{
    size_t n = strlen(key) + strlen(value) + 4;
    char *t = realloc(*text, *len + n + 1);

    CHECK(t != NULL);
    snprintf(t + *len, n + 1, "%s = %s\n", key, value);
    *text = t;
    *len += n;
}

/*
 * Every [runtime] value of @cfg is in normal form: cio_config_set gives
 * it back unchanged, and (@via_ini: values that came from an ini file,
 * so an ini file can spell them) so does an ini file holding them all.
 */
static void
check_normal(const cio_config *cfg, int via_ini)
{
    char *text = strdup("[runtime]\n");
    size_t len = strlen("[runtime]\n"), i;
    cio_config *again;

    CHECK(text != NULL);
    for (i = 0; i < NKEYS; i++) {
        const char *v = cio_config_get(cfg, "runtime", runtime_keys[i]);
        if (v == NULL)
            continue;
        CHECK(cio_config_new(&again) == 0);
        CHECK(cio_config_set(again, "runtime", runtime_keys[i], v) == 0);
        CHECK(same(v, cio_config_get(again, "runtime", runtime_keys[i])));
        cio_config_free(again);
        append_line(&text, &len, runtime_keys[i], v);
    }
    if (!via_ini) {
        free(text);
        return;
    }
    CHECK(cio_config_new(&again) == 0);
    CHECK(cio_config_load_string(again, "normal", text) == 0);
    for (i = 0; i < NKEYS; i++)
        CHECK(same(cio_config_get(cfg, "runtime", runtime_keys[i]),
                   cio_config_get(again, "runtime", runtime_keys[i])));
    cio_config_free(again);
    free(text);
}

/* 1: the bytes as an ini file, from memory and from disk. */
static void
fuzz_ini(const uint8_t *data, size_t size, const char *text)
{
    cio_config *a = preset(), *b = preset();
    char *detail_a;
    int rc_a, rc_b, fd;
    snap s;

    snap_take(a, &s);
    rc_a = cio_config_load_string(a, ini_path, text);
    detail_a = strdup(cio_error_detail());
    CHECK(detail_a != NULL);
    if (rc_a < 0) {
        check_error(rc_a, ini_path);
        snap_check_free(a, &s);
    } else {
        CHECK(rc_a == 0);
        CHECK(detail_a[0] == '\0');
        snap_free(&s);
        check_normal(a, 1);
    }

    fd = open(ini_path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    CHECK(fd >= 0);
    CHECK(size == 0 || write(fd, data, size) == (ssize_t)size);
    CHECK(close(fd) == 0);
    snap_take(b, &s);
    rc_b = cio_config_load(b, ini_path);
    if (rc_b < 0) {
        check_error(rc_b, ini_path);
        snap_check_free(b, &s);
    } else {
        snap_free(&s);
        check_normal(b, 1);
    }
    /* The file reader and the string reader agree on NUL-free input. */
    if (memchr(data, '\0', size) == NULL) {
        CHECK(rc_a == rc_b);
        CHECK(strcmp(detail_a, cio_error_detail()) == 0);
        if (rc_a == 0)
            for (size_t i = 0; i < NKEYS; i++)
                CHECK(same(cio_config_get(a, "runtime", runtime_keys[i]),
                           cio_config_get(b, "runtime", runtime_keys[i])));
    }
    free(detail_a);
    cio_config_free(a);
    cio_config_free(b);
}

/* One cio_config_set; on success the value is a fixed point. */
static void
fuzz_set(const char *section, const char *key, const char *value)
{
    cio_config *cfg = preset();
    char *got;
    int rc;
    snap s;

    snap_take(cfg, &s);
    rc = cio_config_set(cfg, section, key, value);
    if (rc < 0) {
        check_error(rc, "cio_config_set");
        snap_check_free(cfg, &s);
    } else {
        CHECK(rc == 0);
        snap_free(&s);
        got = dup_or_null(cio_config_get(cfg, section, key));
        CHECK(got != NULL);
        CHECK(cio_config_set(cfg, section, key, got) == 0);
        CHECK(same(got, cio_config_get(cfg, section, key)));
        if (strcmp(section, "runtime") != 0)
            CHECK(strcmp(got, value) == 0); /* module values: verbatim */
        free(got);
        check_normal(cfg, 0);
    }
    cio_config_free(cfg);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *text, *key, *value;

    if (size > 65536)
        return 0; /* long inputs only slow the search down */
    text = malloc(size + 1);
    CHECK(text != NULL);
    if (size > 0)
        memcpy(text, data, size);
    text[size] = '\0';

    fuzz_ini(data, size, text);

    /* 3: first byte picks a [runtime] key, the rest is its value. */
    if (size > 0)
        fuzz_set("runtime", runtime_keys[data[0] % NKEYS], text + 1);

    /* 2: "section\nkey\nvalue" (split in place). */
    key = strchr(text, '\n');
    if (key != NULL) {
        *key++ = '\0';
        value = strchr(key, '\n');
        if (value != NULL) {
            *value++ = '\0';
            fuzz_set(text, key, value);
        }
    }
    free(text);
    return 0;
}
