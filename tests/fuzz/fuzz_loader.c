/* SPDX-License-Identifier: MIT */
/*
 * fuzz_loader.c - the module loader on corrupted shared objects.
 *
 * Each input is written as cio_fuzz.so into a private directory (mode
 * 0700, ours) and loaded through the public API, as "backend =
 * /that/dir/cio_fuzz.so" with fallback = no: cio_driver_open, then a
 * cio_backend_scan of that directory. Whatever the bytes, the result
 * must be a driver (only for a real module) or a clean negative errno
 * with a cio_error_detail naming the file; the scan must give the same
 * verdict; no file descriptor may leak. The input's length picks how it
 * is installed, to exercise the hijack checks that run before dlopen:
 * a plain 0644 file, a group-writable 0664 one (must be refused with
 * CIO_EACCES whatever it holds), or a symbolic link to the file.
 *
 * Threat model. The loader trusts the module directory: a module is
 * code that runs with the program's rights, so its defence is refusing
 * files someone else could have written (cio__dso_trusted), not
 * surviving hostile ELF. dlopen of a crafted ELF for this machine can
 * run anything (constructors, IFUNC resolvers, relocations that write
 * where they like) and glibc does not claim otherwise. This fuzzer
 * therefore checks the robustness of compio's checks before dlopen (the
 * trust rules, the ELF bounds check that turns a truncated module into
 * an error instead of SIGBUS) and of dlopen's own refusal paths (not
 * ELF, wrong class, byte order, machine, type, header sizes). An input
 * that is an ELF file for this very machine would get past those
 * refusals into mapping and relocation, so unless it is byte-for-byte
 * the trusted reference module it is neutralised first: its
 * e_ident[EI_VERSION] is cleared, which glibc refuses before mapping
 * anything, while compio's own checks still see every other byte. The
 * reference module (CIO_FUZZ_MODULE, else the cio_fuzz fixture of the
 * build tree) is loaded once at start-up and whenever an input equals
 * it, so the path where dlopen succeeds is covered too.
 */
#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <link.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <compio/backend.h>
#include <compio/config.h>
#include <compio/driver.h>
#include <compio/error.h>

#define CHECK(c)                                                               \
    do {                                                                       \
        if (!(c)) {                                                            \
            fprintf(stderr, "fuzz_loader: invariant failed: %s (line %d)\n",   \
                    #c, __LINE__);                                             \
            abort();                                                           \
        }                                                                      \
    } while (0)

#if __ELF_NATIVE_CLASS == 64
#define HOST_CLASS ELFCLASS64
#else
#define HOST_CLASS ELFCLASS32
#endif
#if __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
#define HOST_DATA ELFDATA2LSB
#else
#define HOST_DATA ELFDATA2MSB
#endif

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static char tmpdir[] = "/tmp/cio-fuzz-loader-XXXXXX";
static char mod_path[sizeof(tmpdir) + 32];  /* .../cio_fuzz.so */
static char real_path[sizeof(tmpdir) + 32]; /* .../real.bin, link target */
static uint8_t *ref;                        /* the reference module */
static size_t ref_size;
static int fd_mark; /* lowest free descriptor at start-up */

static void
cleanup(void)
{
    unlink(mod_path);
    unlink(real_path);
    rmdir(tmpdir);
}

static int
lowest_free_fd(void)
{
    int fd = open("/dev/null", O_RDONLY | O_CLOEXEC);

    CHECK(fd >= 0);
    close(fd);
    return fd;
}

/* The e_machine of this process, read from its own program headers. */
static unsigned
host_machine(void)
{
    static unsigned m;
    FILE *fp;
    ElfW(Ehdr) eh;

    if (m != 0)
        return m;
    fp = fopen("/proc/self/exe", "rb");
    CHECK(fp != NULL && fread(&eh, sizeof(eh), 1, fp) == 1);
    fclose(fp);
    m = eh.e_machine;
    return m;
}

/*
 * Non-zero when glibc would accept the identification and machine of
 * @data and go on to map and relocate it. Deliberately broader than
 * glibc's checks: anything it might load counts.
 */
static int
loadable_elf(const uint8_t *data, size_t size)
{
    uint16_t machine;

    if (size < EI_NIDENT + 2 + 2 || memcmp(data, ELFMAG, SELFMAG) != 0 ||
        data[EI_CLASS] != HOST_CLASS || data[EI_DATA] != HOST_DATA)
        return 0;
    memcpy(&machine, data + EI_NIDENT + 2, sizeof(machine));
    return data[EI_VERSION] == EV_CURRENT && machine == host_machine();
}

static void
write_file(const char *path, const uint8_t *data, size_t size, mode_t mode)
{
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);

    CHECK(fd >= 0);
    CHECK(size == 0 || write(fd, data, size) == (ssize_t)size);
    CHECK(fchmod(fd, mode) == 0); /* exact, whatever the umask */
    CHECK(close(fd) == 0);
}

static cio_config *
make_config(void)
{
    cio_config *cfg;

    CHECK(cio_config_new(&cfg) == 0);
    CHECK(cio_config_set(cfg, "runtime", "backend", mod_path) == 0);
    CHECK(cio_config_set(cfg, "runtime", "fallback", "no") == 0);
    CHECK(cio_config_set(cfg, "runtime", "module_path", tmpdir) == 0);
    return cfg;
}

/*
 * Load the installed candidate. @trusted: it is the reference module,
 * so it must load; @expect: the error it must fail with, or 0 for any.
 */
static void
load_once(int trusted, int expect)
{
    cio_config *cfg = make_config();
    cio_backend_list *list = NULL;
    cio_driver *drv = NULL;
    const char *detail;
    size_t i;
    int rc, found = 0;

    rc = cio_driver_open(&drv, cfg);
    detail = cio_error_detail();
    if (rc == 0) {
        CHECK(trusted);
        CHECK(drv != NULL);
        cio_driver_close(drv);
    } else {
        CHECK(rc < 0 && rc >= -4095);
        CHECK(!trusted || expect != 0);
        CHECK(expect == 0 || rc == expect);
        CHECK(detail != NULL && strstr(detail, "cio_fuzz.so") != NULL);
    }

    /* The scan runs the same checks and must reach the same verdict. */
    CHECK(cio_backend_scan(cfg, &list) == 0);
    for (i = 0; i < list->count; i++) {
        const cio_backend_info *it = &list->items[i];
        if (strcmp(it->path, mod_path) != 0)
            continue;
        found = 1;
        CHECK(strcmp(it->name, "fuzz") == 0);
        CHECK(it->reason != NULL && it->reason[0] != '\0');
        CHECK(it->status == rc);
    }
    CHECK(found);
    CHECK(list->chosen_status == rc);
    cio_backend_list_free(list);
    cio_config_free(cfg);
    CHECK(lowest_free_fd() == fd_mark);
}

/* Install @data as cio_fuzz.so in the way @how picks, then load it. */
static void
try_input(const uint8_t *data, size_t size, unsigned how, int trusted)
{
    switch (how) {
    case 1: /* group-writable: refused before anything is mapped */
        write_file(mod_path, data, size, 0664);
        load_once(0, CIO_EACCES);
        break;
    case 2: /* a symbolic link into the same (safe) directory */
        write_file(real_path, data, size, 0644);
        CHECK(symlink("real.bin", mod_path) == 0);
        load_once(trusted, 0);
        break;
    default:
        write_file(mod_path, data, size, 0755);
        load_once(trusted, 0);
        break;
    }
    unlink(mod_path);
    unlink(real_path);
}

static uint8_t *
read_all(const char *path, size_t *size)
{
    FILE *fp = fopen(path, "rb");
    uint8_t *buf = NULL;
    long n;

    if (fp == NULL)
        return NULL;
    if (fseek(fp, 0, SEEK_END) == 0 && (n = ftell(fp)) > 0 &&
        fseek(fp, 0, SEEK_SET) == 0 && (buf = malloc((size_t)n)) != NULL &&
        fread(buf, 1, (size_t)n, fp) != (size_t)n) {
        free(buf);
        buf = NULL;
    }
    fclose(fp);
    if (buf != NULL)
        *size = (size_t)n;
    return buf;
}

static void
free_ref(void)
{
    free(ref);
}

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
    const char *path = getenv("CIO_FUZZ_MODULE");
    const char *build = getenv("CIO_TEST_BUILDDIR");
    char def[4096];

    (void)argc;
    (void)argv;
    /* Only our file is looked at, and a failed load is really unloaded. */
    unsetenv("COMPIO_MODULE_PATH");
    unsetenv("COMPIO_BACKEND");
    unsetenv("COMPIO_NO_DLCLOSE");
    CHECK(mkdtemp(tmpdir) != NULL);
    snprintf(mod_path, sizeof(mod_path), "%s/cio_fuzz.so", tmpdir);
    snprintf(real_path, sizeof(real_path), "%s/real.bin", tmpdir);
    atexit(cleanup);
    fd_mark = lowest_free_fd();
    if ((path == NULL || path[0] == '\0') && build != NULL) {
        snprintf(def, sizeof(def), "%s/fuzz/.libs/cio_fuzz.so", build);
        path = def;
    }
    if (path != NULL && path[0] != '\0') {
        ref = read_all(path, &ref_size);
        if (ref == NULL)
            fprintf(stderr, "fuzz_loader: no reference module %s: %s\n", path,
                    strerror(errno));
    }
    if (ref != NULL) {
        atexit(free_ref);
        try_input(ref, ref_size, 0, 1); /* dlopen succeeds: a driver */
        try_input(ref, ref_size, 2, 1); /* the same through a link */
        try_input(ref, ref_size, 1, 1); /* refused: group-writable */
    }
    return 0;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    int trusted = ref != NULL && size == ref_size &&
                  memcmp(data, ref, size) == 0;
    uint8_t *copy = NULL;

    if (size > 1 << 20)
        return 0;
    if (!trusted && loadable_elf(data, size)) {
        /* See the threat model above: glibc refuses this before mapping. */
        copy = malloc(size);
        CHECK(copy != NULL);
        memcpy(copy, data, size);
        copy[EI_VERSION] = EV_NONE;
        data = copy;
    }
    try_input(data, size, (unsigned)(size % 3), trusted);
    free(copy);
    return 0;
}
