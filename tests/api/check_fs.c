/* SPDX-License-Identifier: MIT */
/*
 * check_fs.c - the compio/fs.h suite: shared helpers and main(). Each
 * case runs its body as a task on epoll and on uring (cio_test_api_run,
 * which also checks that no descriptor leaked).
 */
#include "check_fs.h"

char fs_dir[PATH_MAX];
const char *fs_backend = "?";

void
fs_tmp_begin(void)
{
    ck_assert_ptr_nonnull(cio_test_mkdtemp(fs_dir, sizeof fs_dir));
}

static int
rm_one(const char *p, const struct stat *sb, int flag, struct FTW *ftw)
{
    (void)sb;
    (void)ftw;
    if (flag == FTW_DP)
        return rmdir(p) == 0 ? 0 : -1;
    /* A directory left without permissions by a case: fix, go on. */
    if (flag == FTW_DNR) {
        chmod(p, 0700);
        return 0;
    }
    return unlink(p) == 0 ? 0 : -1;
}

void
fs_tmp_end(void)
{
    if (fs_dir[0] != '\0')
        ck_assert_int_eq(nftw(fs_dir, rm_one, 16, FTW_DEPTH | FTW_PHYS), 0);
    fs_dir[0] = '\0';
}

const char *
fs_path(const char *name)
{
    static char bufs[4][PATH_MAX + 64];
    static unsigned n;
    char *b = bufs[n++ % 4];

    snprintf(b, sizeof bufs[0], "%s/%s", fs_dir, name);
    return b;
}

void
fs_put(const char *name, const void *data, size_t len)
{
    int fd =
        open(fs_path(name), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);

    ck_assert_int_ge(fd, 0);
    ck_assert_int_eq(write(fd, data, len), (ssize_t)len);
    ck_assert_int_eq(close(fd), 0);
}

void
fs_run(int i, cio_task_fn body, void *arg)
{
    fs_tmp_begin();
    fs_backend = cio_test_backends[i];
    cio_test_api_run(i, body, arg);
    fs_tmp_end();
}

int
main(void)
{
    Suite *s = suite_create("fs");

    cio_test_api_require_one();
    suite_add_tcase(s, check_fs_file_tcase());
    suite_add_tcase(s, check_fs_path_tcase());
    suite_add_tcase(s, check_fs_dir_tcase());
    suite_add_tcase(s, check_fs_pipe_tcase());
    suite_add_tcase(s, check_fs_stdio_tcase());
    return cio_test_run(s);
}
