/* SPDX-License-Identifier: MIT */
/*
 * check_fs_dir.c - reading directories: 1,000 files and one entry of
 * every other type, each name seen exactly once with the right type;
 * 300 names long enough to overflow a batch's name buffer;
 * an empty directory; a close in the middle; the error paths.
 */
#include "check_fs.h"

#ifndef _WIN32
#ifndef _WIN32
#include <sys/socket.h>
#endif
#include <sys/un.h>
#endif

#define NFILES 1000
/*
 * Names of 250 bytes, in a directory of their own: a batch of them
 * overflows the batch's name buffer (16 KiB) again and again.
 */
#define NLONG 300
#define LONGLEN 250

/* What the directory holds besides the f%04d files. */
static const struct {
    const char *name;
    cio_file_type type;
} extras[] = {
    {"sub", CIO_FT_DIR},
#ifndef _WIN32 /* No symlinks, FIFOs or socket files made on Windows. */
    {"link", CIO_FT_SYMLINK},
    {"fifo", CIO_FT_FIFO},
    {"sock", CIO_FT_SOCKET},
#endif
};
#define NEXTRAS (sizeof extras / sizeof extras[0])

static void
populate(void)
{
#ifndef _WIN32
    struct sockaddr_un sun;
    int s;
#endif
    char name[32];
    int i;

    ck_assert_int_eq(mkdir(fs_path("big"), 0755), 0);
    for (i = 0; i < NFILES; i++) {
        snprintf(name, sizeof name, "big/f%04d", i);
        fs_put(name, "", 0);
    }
    ck_assert_int_eq(mkdir(fs_path("big/sub"), 0755), 0);
#ifndef _WIN32
    ck_assert_int_eq(symlink("f0000", fs_path("big/link")), 0);
    ck_assert_int_eq(mkfifo(fs_path("big/fifo"), 0644), 0);
    s = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    ck_assert_int_ge(s, 0);
    memset(&sun, 0, sizeof sun);
    sun.sun_family = AF_UNIX;
    ck_assert_uint_lt(strlen(fs_path("big/sock")), sizeof sun.sun_path);
    strcpy(sun.sun_path, fs_path("big/sock"));
    ck_assert_int_eq(bind(s, (struct sockaddr *)&sun, sizeof sun), 0);
    close(s);
#endif
}

static int
read_dir_main(void *arg)
{
    static unsigned char seen[NFILES], xseen[NEXTRAS];
    cio_dir_entry e;
    cio_dir *d;
    unsigned long k;
    size_t x;
    int r, n = 0;
    char *end;

    (void)arg;
    populate();
    memset(seen, 0, sizeof seen);
    memset(xseen, 0, sizeof xseen);
    ck_assert_int_eq(cio_dir_open(&d, fs_path("big")), 0);
    while ((r = cio_dir_next(d, &e)) == 1) {
        n++;
        ck_assert_str_ne(e.name, ".");
        ck_assert_str_ne(e.name, "..");
#ifndef _WIN32 /* Windows: no inode numbers in directory entries. */
        ck_assert_uint_ne(e.ino, 0);
#endif
        if (e.name[0] == 'f' && strlen(e.name) == 5) {
            k = strtoul(e.name + 1, &end, 10);
            ck_assert_int_eq(*end, '\0');
            ck_assert_uint_lt(k, NFILES);
            ck_assert_msg(seen[k] == 0, "%s seen twice", e.name);
            seen[k] = 1;
            ck_assert_int_eq(e.type, CIO_FT_REGULAR);
            continue;
        }

        for (x = 0; x < NEXTRAS; x++)
            if (strcmp(e.name, extras[x].name) == 0)
                break;
        ck_assert_msg(x < NEXTRAS, "unexpected entry %s", e.name);
        ck_assert_msg(xseen[x] == 0, "%s seen twice", e.name);
        xseen[x] = 1;
        ck_assert_msg(e.type == extras[x].type, "%s: type %d, want %d", e.name,
                      e.type, extras[x].type);
    }
    ck_assert_int_eq(r, 0);
    ck_assert_int_eq(n, NFILES + (int)NEXTRAS);
    /* At the end it stays at the end. */
    ck_assert_int_eq(cio_dir_next(d, &e), 0);
    ck_assert_int_eq(cio_dir_close(d), 0);
    return 0;
}

START_TEST(t_read_dir)
{
    fs_run(_i, read_dir_main, NULL);
}
END_TEST

static int
long_names_main(void *arg)
{
    static unsigned char seen[NLONG];
    char ln[16 + LONGLEN];
    cio_dir_entry e;
    unsigned long k;
    cio_dir *d;
    char *end;
    int i, r, n = 0;

    (void)arg;
    ck_assert_int_eq(mkdir(fs_path("long"), 0755), 0);
    for (i = 0; i < NLONG; i++) {
        /* "long/L%03d" and x's up to LONGLEN bytes of name. */
        snprintf(ln, sizeof ln, "long/L%03d", i);
        memset(ln + 9, 'x', LONGLEN - 4);
        ln[5 + LONGLEN] = '\0';
        fs_put(ln, "", 0);
    }
    memset(seen, 0, sizeof seen);
    ck_assert_int_eq(cio_dir_open(&d, fs_path("long")), 0);
    while ((r = cio_dir_next(d, &e)) == 1) {
        n++;
        ck_assert_uint_eq(strlen(e.name), LONGLEN);
        ck_assert_int_eq(e.name[0], 'L');
        k = strtoul(e.name + 1, &end, 10);
        ck_assert_int_eq(*end, 'x');
        ck_assert_uint_lt(k, NLONG);
        ck_assert_msg(seen[k] == 0, "L%03lu seen twice", k);
        seen[k] = 1;
        ck_assert_int_eq(e.type, CIO_FT_REGULAR);
    }
    ck_assert_int_eq(r, 0);
    ck_assert_int_eq(n, NLONG);
    ck_assert_int_eq(cio_dir_close(d), 0);
    return 0;
}

START_TEST(t_long_names)
{
    fs_run(_i, long_names_main, NULL);
}
END_TEST

static int
dir_misc_main(void *arg)
{
    cio_dir_entry e;
    cio_dir *d = (cio_dir *)1;

    (void)arg;
    /* Empty. */
    ck_assert_int_eq(mkdir(fs_path("empty"), 0755), 0);
    ck_assert_int_eq(cio_dir_open(&d, fs_path("empty")), 0);
    ck_assert_int_eq(cio_dir_next(d, &e), 0);
    ck_assert_int_eq(cio_dir_close(d), 0);
    /* Closed before the first read, and in the middle. */
    ck_assert_int_eq(cio_dir_open(&d, fs_dir), 0);
    ck_assert_int_eq(cio_dir_close(d), 0);
    fs_put("x", "", 0);
    fs_put("y", "", 0);
    ck_assert_int_eq(cio_dir_open(&d, fs_dir), 0);
    ck_assert_int_eq(cio_dir_next(d, &e), 1);
    ck_assert_int_eq(cio_dir_close(d), 0);
    ck_assert_int_eq(cio_dir_close(NULL), 0);
    /* Errors. */
    ck_assert_int_eq(cio_dir_open(&d, fs_path("nope")), CIO_ENOENT);
    ck_assert_ptr_null(d);
    ck_assert_int_eq(cio_dir_open(&d, fs_path("x")), CIO_ENOTDIR);
    ck_assert_int_eq(cio_dir_open(&d, NULL), CIO_EINVAL);
    ck_assert_int_eq(cio_dir_open(NULL, fs_dir), CIO_EINVAL);
    ck_assert_int_eq(cio_dir_next(NULL, &e), CIO_EINVAL);
    return 0;
}

START_TEST(t_dir_misc)
{
    fs_run(_i, dir_misc_main, NULL);
}
END_TEST

TCase *
check_fs_dir_tcase(void)
{
    TCase *tc = tcase_create("dir");

    tcase_add_loop_test(tc, t_read_dir, 0, CIO_TEST_NBACKENDS);
    tcase_add_loop_test(tc, t_long_names, 0, CIO_TEST_NBACKENDS);
    tcase_add_loop_test(tc, t_dir_misc, 0, CIO_TEST_NBACKENDS);
    return tc;
}
