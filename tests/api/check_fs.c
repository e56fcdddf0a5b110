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

#ifdef _WIN32
/*
 * Remove @p and everything under it (plain Win32 calls, wide ones:
 * some cases make paths longer than MAX_PATH).
 */
static int
rm_tree(const wchar_t *p)
{
    wchar_t pat[1100], sub[1100];
    WIN32_FIND_DATAW fd;
    HANDLE h;
    int r = 0;

    _snwprintf(pat, 1100, L"%ls\\*", p);
    pat[1099] = 0;
    h = FindFirstFileW(pat, &fd);
    if (h != INVALID_HANDLE_VALUE) {
        do {
            if (wcscmp(fd.cFileName, L".") == 0 ||
                wcscmp(fd.cFileName, L"..") == 0)
                continue;
            _snwprintf(sub, 1100, L"%ls\\%ls", p, fd.cFileName);
            sub[1099] = 0;
            if (fd.dwFileAttributes & FILE_ATTRIBUTE_DIRECTORY) {
                if (rm_tree(sub) < 0)
                    r = -1;
            } else {
                SetFileAttributesW(sub, FILE_ATTRIBUTE_NORMAL);
                if (!DeleteFileW(sub))
                    r = -1;
            }
        } while (FindNextFileW(h, &fd));
        FindClose(h);
    }
    if (!RemoveDirectoryW(p))
        r = -1;
    return r;
}

void
fs_tmp_end(void)
{
    wchar_t w[PATH_MAX + 1];

    if (fs_dir[0] != '\0') {
        ck_assert_int_gt(MultiByteToWideChar(CP_UTF8, 0, fs_dir, -1, w,
                                             PATH_MAX + 1),
                         0);
        ck_assert_int_eq(rm_tree(w), 0);
    }
    fs_dir[0] = '\0';
}
#else
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
#endif

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
        open(fs_path(name),
             O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | FS_O_BINARY, 0644);

    ck_assert_int_ge(fd, 0);
    ck_assert_int_eq(write(fd, data, (unsigned)len), (int)len);
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
#ifndef _WIN32
    /* Redirected descriptors, ttys and sockets as stdio: POSIX only. */
    suite_add_tcase(s, check_fs_stdio_tcase());
#endif
    return cio_test_run(s);
}
