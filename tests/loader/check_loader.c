/* SPDX-License-Identifier: MIT */
/*
 * check_loader - the module loader through the public API: every
 * fixture module is refused by its own check with its own error and a
 * detail naming the file; the good one loads and runs a NOP; the search
 * path order, COMPIO_BACKEND/COMPIO_CONFIG, absolute and relative paths,
 * auto selection, fallback, sharing and name clashes; the scan that
 * compio-info prints; and the hijack rules (a module file or directory
 * writable by group or others, or owned by another user, is refused).
 * The Windows forms of the last two (broken PE files, ACLs and owners)
 * are in check_loader_win32.c.
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <compio.h>
#include <compio/module.h>

#include "cio_test.h"
#include "cio_test_loader.h"

/* Search-path entries are separated by ';' on Windows. */
#ifdef _WIN32
#define SEP ";"
#define INI_ONE "C:/ini/one"
#define INI_TWO "C:/ini/two"
#else
#define SEP ":"
#define INI_ONE "/ini/one"
#define INI_TWO "/ini/two"
#endif

/* One NOP through push and poll: the module really runs. */
static void
nop_round_trip(cio_driver *drv)
{
    cio_entry e[4];
    cio_op op;
    int n;

    cio_op_nop(&op);
    op.user_data = 0xfeedu;
    ck_assert_int_eq(cio_driver_push(drv, &op), 0);
    n = cio_driver_poll(drv, 1000, e, 4);
    ck_assert_int_eq(n, 1);
    ck_assert_ptr_eq(e[0].op, &op);
    ck_assert_uint_eq(e[0].user_data, 0xfeedu);
    ck_assert_int_eq(e[0].result, 0);
}

/* ---- each broken fixture, refused by its own check ---- */

static const struct refuse_case {
    const char *name;
    int rc;
    const char *hint;
} refuse_cases[] = {
    {"nosym", CIO_ENOEXEC, "cio_backend_nosym"},
    {"badmagic", CIO_EBADMSG, "not a compio module or built for a different"},
    {"major", CIO_EPROTONOSUPPORT, "rebuild the module"},
    {"minor", CIO_EPROTO,
     "rebuild the module against this compio or "
     "upgrade compio"},
    {"short", CIO_EMSGSIZE, "smaller than"},
    {"bigpriv", CIO_E2BIG, "CIO_OP_PRIV_MAX"},
    {"wrongname", CIO_ENXIO, "calls itself 'other'"},
    {"nullop", CIO_EFAULT, "ops->wait"},
    {"nocaps", CIO_ENOTSUP, "CIO_CAP_NOTIFY"},
    {"probefail", CIO_ENOSYS, "fixture_setup: Function not implemented"},
};

START_TEST(fixture_refused)
{
    const struct refuse_case *c = &refuse_cases[_i];
    char file[PATH_MAX];

    ck_assert_int_eq(try_open(c->name, "no"), c->rc);
    path_in(file, sizeof(file), fixdir, "cio_");
    strcat(file, c->name);
    strcat(file, SO);
    assert_detail_has(file);
    assert_detail_has(c->hint);
    assert_detail_has("backend '");
}
END_TEST

START_TEST(missing_module_lists_dirs)
{
    ck_assert_int_eq(try_open("nosuch", "no"), CIO_ENOENT);
    assert_detail_has("cio_nosuch" SO " not found in");
    assert_detail_has(fixdir);
}
END_TEST

START_TEST(garbage_file_refused)
{
    char dir[PATH_MAX], file[PATH_MAX];
    unsigned char junk[4096];
    size_t i;
    FILE *fp;

    ck_assert_ptr_nonnull(cio_test_mkdtemp(dir, sizeof(dir)));
    path_in(file, sizeof(file), dir, "cio_garbage" SO);
    for (i = 0; i < sizeof(junk); i++)
        junk[i] = (unsigned char)(i * 7919u + 13u);
    fp = fopen(file, "wb");
    ck_assert_ptr_nonnull(fp);
    ck_assert_uint_eq(fwrite(junk, 1, sizeof(junk), fp), sizeof(junk));
    fclose(fp);
    ck_assert_int_eq(try_open(file, "no"), CIO_ELIBBAD);
    assert_detail_has(file);
    unlink(file);
    rmdir(dir);
}
END_TEST

START_TEST(truncated_module_refused)
{
    char dir[PATH_MAX], src[PATH_MAX], file[PATH_MAX];
    struct stat st;

    ck_assert_ptr_nonnull(cio_test_mkdtemp(dir, sizeof(dir)));
    path_in(src, sizeof(src), fixdir, "cio_good" SO);
    path_in(file, sizeof(file), dir, "cio_good" SO);
    ck_assert_int_eq(stat(src, &st), 0);
    copy_file(src, file, (size_t)st.st_size / 3);
    ck_assert_int_eq(try_open(file, "no"), CIO_ELIBBAD);
    assert_detail_has(file);
    assert_detail_has("cannot load");
    unlink(file);
    rmdir(dir);
}
END_TEST

/* ---- the good module ---- */

START_TEST(good_module_runs_a_nop)
{
    cio_config *cfg = config_for("good", "no");
    cio_driver *drv = NULL;

    ck_assert_msg(cio_driver_open(&drv, cfg) == 0, "%s", cio_error_detail());
    cio_config_free(cfg);
    ck_assert_str_eq(cio_driver_backend(drv), "good");
    ck_assert_int_eq(cio_driver_supports(drv, CIO_OP_NOP), CIO_SUPPORT_NATIVE);
    ck_assert_int_eq(cio_driver_supports(drv, CIO_OP_READ), CIO_SUPPORT_POOLED);
    nop_round_trip(drv);
    cio_driver_close(drv);
}
END_TEST

/* Two drivers share one load; closing one leaves the other working. */
START_TEST(module_is_refcounted)
{
    cio_config *cfg = config_for("good", "no");
    cio_driver *a = NULL, *b = NULL;

    ck_assert_int_eq(cio_driver_open(&a, cfg), 0);
    ck_assert_int_eq(cio_driver_open(&b, cfg), 0);
    cio_config_free(cfg);
    cio_driver_close(a);
    nop_round_trip(b);
    cio_driver_close(b);
}
END_TEST

START_TEST(backend_as_absolute_path)
{
    char file[PATH_MAX];
    cio_config *cfg;
    cio_driver *drv = NULL;

    /* Not on the search path at all: the path alone must do. */
    setenv("COMPIO_MODULE_PATH", "/nonexistent", 1);
    path_in(file, sizeof(file), fixdir, "cio_good" SO);
    cfg = config_for(file, "no");
    ck_assert_msg(cio_driver_open(&drv, cfg) == 0, "%s", cio_error_detail());
    ck_assert_str_eq(cio_driver_backend(drv), "good");
    nop_round_trip(drv);
    cio_driver_close(drv);
    cio_config_free(cfg);
}
END_TEST

START_TEST(relative_path_refused)
{
    cio_config *cfg = config_for(NULL, NULL);

    ck_assert_int_eq(
        cio_config_set(cfg, "runtime", "backend", "fixtures/.libs/cio_good" SO),
        CIO_EINVAL);
    assert_detail_has("relative");
    cio_config_free(cfg);
}
END_TEST

/* A copy of a loaded module under the same name is a clash. */
#ifndef _WIN32 /* symlink(2): see loader_suite. */
START_TEST(same_name_other_file_refused)
{
    char dir[PATH_MAX], src[PATH_MAX], copy[PATH_MAX], link[PATH_MAX];
    cio_config *cfg = config_for("good", "no");
    cio_driver *held = NULL;

    ck_assert_int_eq(cio_driver_open(&held, cfg), 0);
    cio_config_free(cfg);
    ck_assert_ptr_nonnull(cio_test_mkdtemp(dir, sizeof(dir)));
    path_in(src, sizeof(src), fixdir, "cio_good" SO);
    path_in(copy, sizeof(copy), dir, "copy");
    ck_assert_int_eq(mkdir(copy, 0755), 0);
    strcat(copy, "/cio_good" SO);
    copy_file(src, copy, 0);
    ck_assert_int_eq(try_open(copy, "no"), CIO_EEXIST);
    assert_detail_has(copy);
    assert_detail_has(src);

    /* Another path to the very same file is shared, not a clash. */
    path_in(link, sizeof(link), dir, "cio_good" SO);
    ck_assert_int_eq(symlink(src, link), 0);
    ck_assert_msg(try_open(link, "no") == 0, "%s", cio_error_detail());

    cio_driver_close(held);
    /* With the first one gone, the copy loads. */
    ck_assert_msg(try_open(copy, "no") == 0, "%s", cio_error_detail());
    unlink(link);
    unlink(copy);
    *strrchr(copy, '/') = '\0';
    rmdir(copy);
    rmdir(dir);
}
END_TEST
#endif

/* ---- search path ---- */

/* dir/cio_good.so holding garbage: loading it fails, naming dir. */
static void
make_broken_good(char *dir, size_t len)
{
    char file[PATH_MAX];
    FILE *fp;

    ck_assert_ptr_nonnull(cio_test_mkdtemp(dir, len));
    path_in(file, sizeof(file), dir, "cio_good" SO);
    fp = fopen(file, "w");
    ck_assert_ptr_nonnull(fp);
    fputs("not an ELF file\n", fp);
    fclose(fp);
}

static void
remove_broken_good(const char *dir)
{
    char file[PATH_MAX];

    path_in(file, sizeof(file), dir, "cio_good" SO);
    unlink(file);
    rmdir(dir);
}

START_TEST(first_directory_wins)
{
    char broken[PATH_MAX], env[2 * PATH_MAX + 2];

    make_broken_good(broken, sizeof(broken));
    snprintf(env, sizeof(env), "%s" SEP "%s", fixdir, broken);
    setenv("COMPIO_MODULE_PATH", env, 1);
    ck_assert_msg(try_open("good", "no") == 0, "%s", cio_error_detail());

    snprintf(env, sizeof(env), "%s" SEP "%s", broken, fixdir);
    setenv("COMPIO_MODULE_PATH", env, 1);
    ck_assert_int_eq(try_open("good", "no"), CIO_ELIBBAD);
    assert_detail_has(broken);
    remove_broken_good(broken);
}
END_TEST

START_TEST(env_path_before_ini_path)
{
    char broken[PATH_MAX];
    cio_config *cfg;
    cio_driver *drv = NULL;

    make_broken_good(broken, sizeof(broken));
    /* Environment: the broken one; ini: the good one. Env wins. */
    setenv("COMPIO_MODULE_PATH", broken, 1);
    cfg = config_for("good", "no");
    ck_assert_int_eq(cio_config_set(cfg, "runtime", "module_path", fixdir), 0);
    ck_assert_int_eq(cio_driver_open(&drv, cfg), CIO_ELIBBAD);
    assert_detail_has(broken);
    /* Swapped: env good, ini broken. */
    setenv("COMPIO_MODULE_PATH", fixdir, 1);
    ck_assert_int_eq(cio_config_set(cfg, "runtime", "module_path", broken), 0);
    ck_assert_msg(cio_driver_open(&drv, cfg) == 0, "%s", cio_error_detail());
    cio_driver_close(drv);
    /* Without the env var the ini path is used. */
    unsetenv("COMPIO_MODULE_PATH");
    ck_assert_int_eq(cio_config_set(cfg, "runtime", "module_path", fixdir), 0);
    ck_assert_msg(cio_driver_open(&drv, cfg) == 0, "%s", cio_error_detail());
    cio_driver_close(drv);
    cio_config_free(cfg);
    remove_broken_good(broken);
}
END_TEST

/* Env, then ini, then the built-in directory, each once. */
START_TEST(search_path_order)
{
    cio_config *cfg = config_for(NULL, NULL);
    cio_backend_list *list = NULL;
    char env[4 * PATH_MAX];

    snprintf(env, sizeof(env), "%s" SEP "relative/dir" SEP "%s/", fixdir, autodir);
    setenv("COMPIO_MODULE_PATH", env, 1);
    ck_assert_int_eq(
        cio_config_set(cfg, "runtime", "module_path", INI_ONE SEP INI_TWO),
        0);
    ck_assert_int_eq(cio_backend_scan(cfg, &list), 0);
    ck_assert_str_eq(list->search_path[0], fixdir);
    ck_assert_str_eq(list->search_path[1], autodir);
    ck_assert_str_eq(list->search_path[2], INI_ONE);
    ck_assert_str_eq(list->search_path[3], INI_TWO);
    /* The built-in directory comes last; relative entries never. */
    ck_assert_ptr_nonnull(list->search_path[4]);
    ck_assert_ptr_null(list->search_path[5]);
#ifdef _WIN32
    {
        /* On Windows that is the directory of libcompio's own DLL. */
        char self[MAX_PATH];
        HMODULE h = GetModuleHandleA("libcompio-0.dll");
        DWORD n;

        ck_assert_ptr_nonnull(h);
        n = GetModuleFileNameA(h, self, sizeof(self));
        ck_assert(n > 0 && n < sizeof(self));
        *strrchr(self, '\\') = '\0';
        ck_assert_str_eq(list->search_path[4], self);
    }
#endif
    cio_backend_list_free(list);
    cio_config_free(cfg);
}
END_TEST

START_TEST(current_directory_never_searched)
{
    char dir[PATH_MAX], src[PATH_MAX], file[PATH_MAX];

    ck_assert_ptr_nonnull(cio_test_mkdtemp(dir, sizeof(dir)));
    path_in(src, sizeof(src), fixdir, "cio_good" SO);
    path_in(file, sizeof(file), dir, "cio_good" SO);
    copy_file(src, file, 0);
    ck_assert_int_eq(chdir(dir), 0);
    /* "." and "" in the variable are relative: ignored, with a warning. */
    setenv("COMPIO_MODULE_PATH", ".::./", 1);
    ck_assert_int_eq(try_open("good", "no"), CIO_ENOENT);
    ck_assert_ptr_null(strstr(cio_error_detail(), dir));
    unlink(file);
    rmdir(dir);
}
END_TEST

/* ---- environment and ini ---- */

START_TEST(compio_backend_honoured)
{
    cio_driver *drv = NULL;

    setenv("COMPIO_BACKEND", "good", 1);
    ck_assert_msg(cio_driver_open(&drv, NULL) == 0, "%s", cio_error_detail());
    ck_assert_str_eq(cio_driver_backend(drv), "good");
    cio_driver_close(drv);

    setenv("COMPIO_BACKEND", "badmagic", 1);
    ck_assert_int_eq(cio_driver_open(&drv, NULL), CIO_EBADMSG);
}
END_TEST

START_TEST(compio_config_honoured)
{
    char dir[PATH_MAX], file[PATH_MAX];
    cio_driver *drv = NULL;
    FILE *fp;

    ck_assert_ptr_nonnull(cio_test_mkdtemp(dir, sizeof(dir)));
    path_in(file, sizeof(file), dir, "compio.ini");
    fp = fopen(file, "w");
    ck_assert_ptr_nonnull(fp);
    fprintf(fp,
            "[runtime]\nbackend = good\nfallback = no\n"
            "module_path = %s\n",
            fixdir);
    fclose(fp);
    unsetenv("COMPIO_MODULE_PATH");
    setenv("COMPIO_CONFIG", file, 1);
    ck_assert_msg(cio_driver_open(&drv, NULL) == 0, "%s", cio_error_detail());
    ck_assert_str_eq(cio_driver_backend(drv), "good");
    cio_driver_close(drv);
    /* COMPIO_BACKEND beats the file. */
    setenv("COMPIO_BACKEND", "nosuch", 1);
    ck_assert_int_eq(cio_driver_open(&drv, NULL), CIO_ENOENT);
    assert_detail_has("cio_nosuch" SO);
    unlink(file);
    rmdir(dir);
}
END_TEST

/* ---- selection ---- */

#ifndef _WIN32 /* the Linux auto order: see loader_suite. */
START_TEST(auto_skips_broken_modules)
{
    cio_driver *drv = NULL;
    cio_config *cfg = config_for("auto", NULL);

    setenv("COMPIO_MODULE_PATH", autodir, 1);
    ck_assert_msg(cio_driver_open(&drv, cfg) == 0, "%s", cio_error_detail());
    ck_assert_str_eq(cio_driver_backend(drv), "epoll");
    nop_round_trip(drv);
    cio_driver_close(drv);
    cio_config_free(cfg);
}
END_TEST
#endif

#ifndef _WIN32 /* the Linux auto order: see loader_suite. */
START_TEST(auto_failure_lists_every_candidate)
{
    char dir[PATH_MAX], src[PATH_MAX], file[PATH_MAX];

    /* Only the refused uring: every candidate and its reason. */
    ck_assert_ptr_nonnull(cio_test_mkdtemp(dir, sizeof(dir)));
    path_in(src, sizeof(src), autodir, "cio_uring" SO);
    path_in(file, sizeof(file), dir, "cio_uring" SO);
    copy_file(src, file, 0);
    setenv("COMPIO_MODULE_PATH", dir, 1);
    ck_assert_int_eq(try_open("auto", NULL), CIO_ENOSYS);
    assert_detail_has("no usable backend");
    assert_detail_has("uring: ");
    assert_detail_has("fixture_setup: Function not implemented");
    assert_detail_has("epoll: ");
    assert_detail_has("cio_epoll" SO " not found");
    unlink(file);
    rmdir(dir);
}
END_TEST
#endif

#ifndef _WIN32 /* the Linux auto order: see loader_suite. */
START_TEST(fallback_no_names_the_fix)
{
    char env[4 * PATH_MAX];

    snprintf(env, sizeof(env), "%s" SEP "%s", fixdir, autodir);
    setenv("COMPIO_MODULE_PATH", env, 1);
    ck_assert_int_eq(try_open("probefail", "no"), CIO_ENOSYS);
    assert_detail_has("backend 'probefail' unavailable (");
    assert_detail_has("fixture_setup: Function not implemented");
    assert_detail_has("set backend = epoll or fallback = yes");
}
END_TEST
#endif

#ifndef _WIN32 /* the Linux auto order: see loader_suite. */
START_TEST(fallback_yes_uses_auto_order)
{
    char env[4 * PATH_MAX];
    cio_config *cfg = config_for("probefail", "yes");
    cio_driver *drv = NULL;

    snprintf(env, sizeof(env), "%s" SEP "%s", fixdir, autodir);
    setenv("COMPIO_MODULE_PATH", env, 1);
    ck_assert_msg(cio_driver_open(&drv, cfg) == 0, "%s", cio_error_detail());
    ck_assert_str_eq(cio_driver_backend(drv), "epoll");
    cio_driver_close(drv);
    cio_config_free(cfg);
}
END_TEST
#endif

START_TEST(list_tried_in_order)
{
    cio_config *cfg = config_for("badmagic, nosuch, good", "no");
    cio_driver *drv = NULL;

    ck_assert_msg(cio_driver_open(&drv, cfg) == 0, "%s", cio_error_detail());
    ck_assert_str_eq(cio_driver_backend(drv), "good");
    cio_driver_close(drv);
    cio_config_free(cfg);

    /* A list does not fall back; the most telling error is returned. */
    ck_assert_int_eq(try_open("nosuch, badmagic", "yes"), CIO_EBADMSG);
    assert_detail_has("nosuch: ");
    assert_detail_has("badmagic: ");
}
END_TEST

/* ---- scan ---- */

static const cio_backend_info *
find_item(const cio_backend_list *list, const char *name)
{
    size_t i;

    for (i = 0; i < list->count; i++)
        if (strcmp(list->items[i].name, name) == 0)
            return &list->items[i];
    return NULL;
}

START_TEST(scan_reports_every_fixture)
{
    cio_config *cfg = config_for("good", "no");
    cio_backend_list *list = NULL;
    const cio_backend_info *it;
    size_t i;

    ck_assert_int_eq(cio_backend_scan(cfg, &list), 0);
    for (i = 0; i < sizeof(refuse_cases) / sizeof(refuse_cases[0]); i++) {
        it = find_item(list, refuse_cases[i].name);
        ck_assert_msg(it != NULL, "%s not scanned", refuse_cases[i].name);
        ck_assert_int_eq(it->status, refuse_cases[i].rc);
        ck_assert_ptr_nonnull(strstr(it->reason, it->path));
        ck_assert_int_eq(it->shadowed, 0);
    }
    it = find_item(list, "good");
    ck_assert_ptr_nonnull(it);
    ck_assert_int_eq(it->status, 0);
    ck_assert_str_eq(it->version, "1.0-fixture");
    ck_assert_uint_eq(it->abi_major, CIO_MODULE_ABI_MAJOR);
    ck_assert(it->caps & CIO_CAP_NOTIFY);
    ck_assert_str_eq(list->chosen, "good");
    ck_assert_int_eq(list->chosen_status, 0);
    ck_assert_ptr_nonnull(strstr(list->chosen_why, "good: chosen"));
    cio_backend_list_free(list);
    cio_config_free(cfg);
}
END_TEST

START_TEST(scan_marks_shadowed)
{
    char env[4 * PATH_MAX];
    cio_config *cfg = config_for("auto", NULL);
    cio_backend_list *list = NULL;
    size_t i, seen = 0;

    /* auto/ twice under different spellings: dedup keeps one. Then the
     * fixture dir, whose cio_good.so is not shadowed. */
    snprintf(env, sizeof(env), "%s" SEP "%s/" SEP "%s", autodir, autodir, fixdir);
    setenv("COMPIO_MODULE_PATH", env, 1);
    ck_assert_int_eq(cio_backend_scan(cfg, &list), 0);
    for (i = 0; i < list->count; i++)
        if (strcmp(list->items[i].name, "epoll") == 0)
            seen++;
    ck_assert_uint_eq(seen, 1);
#ifndef _WIN32
    /* The choice follows the auto order, which is Linux's here. */
    ck_assert_str_eq(list->chosen, "epoll");
    ck_assert_ptr_nonnull(strstr(list->chosen_why, "uring: "));
    ck_assert_ptr_nonnull(strstr(list->chosen_why, "Function not "
                                                   "implemented"));
#endif
    cio_backend_list_free(list);
    cio_config_free(cfg);
}
END_TEST

START_TEST(scan_shadowed_duplicate)
{
    char dir[PATH_MAX], src[PATH_MAX], file[PATH_MAX];
    char env[4 * PATH_MAX];
    cio_backend_list *list = NULL;
    cio_config *cfg = config_for("good", "no");
    size_t i, n = 0;

    ck_assert_ptr_nonnull(cio_test_mkdtemp(dir, sizeof(dir)));
    path_in(src, sizeof(src), fixdir, "cio_good" SO);
    path_in(file, sizeof(file), dir, "cio_good" SO);
    copy_file(src, file, 0);
    snprintf(env, sizeof(env), "%s" SEP "%s", dir, fixdir);
    setenv("COMPIO_MODULE_PATH", env, 1);
    ck_assert_int_eq(cio_backend_scan(cfg, &list), 0);
    for (i = 0; i < list->count; i++) {
        const cio_backend_info *it = &list->items[i];
        if (strcmp(it->name, "good") != 0)
            continue;
        if (n++ == 0) {
            ck_assert_str_eq(it->path, file);
            ck_assert_int_eq(it->shadowed, 0);
        } else {
            ck_assert_int_eq(it->shadowed, 1);
            ck_assert_ptr_nonnull(strstr(it->reason, "shadowed by"));
        }
    }
    ck_assert_uint_eq(n, 2);
    cio_backend_list_free(list);
    cio_config_free(cfg);
    unlink(file);
    rmdir(dir);
}
END_TEST

/* ---- threads ---- */

static void *
open_close_loop(void *arg)
{
    cio_config *cfg = arg;
    cio_backend_list *list;
    int i;

    for (i = 0; i < 50; i++) {
        cio_driver *drv = NULL;
        if (cio_driver_open(&drv, cfg) != 0)
            return (void *)1;
        nop_round_trip(drv);
        cio_driver_close(drv);
        /* Scans load and drop the same modules concurrently. */
        if (i % 10 == 0) {
            if (cio_backend_scan(cfg, &list) != 0)
                return (void *)1;
            cio_backend_list_free(list);
        }
    }
    return NULL;
}

/* The loaded-module list under contention: no clash, no early unload. */
START_TEST(concurrent_open_close)
{
    cio_config *cfg = config_for("good", "no");
    pthread_t t[4];
    void *res;
    int i;

    for (i = 0; i < 4; i++)
        ck_assert_int_eq(pthread_create(&t[i], NULL, open_close_loop, cfg), 0);
    for (i = 0; i < 4; i++) {
        ck_assert_int_eq(pthread_join(t[i], &res), 0);
        ck_assert_ptr_null(res);
    }
    cio_config_free(cfg);
}
END_TEST

/* Without COMPIO_NO_DLCLOSE the module really goes and comes back. */
START_TEST(reload_after_dlclose)
{
    unsetenv("COMPIO_NO_DLCLOSE");
    ck_assert_int_eq(try_open("good", "no"), 0);
    ck_assert_int_eq(try_open("good", "no"), 0);
    ck_assert_int_eq(try_open("badmagic", "no"), CIO_EBADMSG);
    ck_assert_int_eq(try_open("good", "no"), 0);
}
END_TEST

#ifndef _WIN32 /* The hijack rules are POSIX modes and owners. */
/* ---- loading that cannot be hijacked ---- */

/*
 * A private copy of the good fixture: a fresh directory (mode 0700 from
 * mkdtemp) holding cio_good.so (mode 0755). Each test then breaks one
 * rule with chmod or chown and expects its own error and explanation.
 */
typedef struct hijack {
    char dir[PATH_MAX];
    char file[PATH_MAX];
} hijack;

static void
hijack_make(hijack *h)
{
    char src[PATH_MAX];

    ck_assert_ptr_nonnull(cio_test_mkdtemp(h->dir, sizeof(h->dir)));
    path_in(src, sizeof(src), fixdir, "cio_good" SO);
    path_in(h->file, sizeof(h->file), h->dir, "cio_good" SO);
    copy_file(src, h->file, 0);
    ck_assert_int_eq(chmod(h->file, 0755), 0);
    /* Not on the search path: only the absolute path leads to it. */
    setenv("COMPIO_MODULE_PATH", "/nonexistent", 1);
}

static void
hijack_free(hijack *h)
{
    chmod(h->dir, 0700);
    unlink(h->file);
    rmdir(h->dir);
}

/* Open @path with fallback = no: the code, and the detail checked. */
static int
open_path(const char *path)
{
    return try_open(path, "no");
}

START_TEST(hijack_safe_copy_loads)
{
    hijack h;

    hijack_make(&h);
    ck_assert_msg(open_path(h.file) == 0, "%s", cio_error_detail());
    hijack_free(&h);
}
END_TEST

START_TEST(hijack_file_writable_by_others)
{
    hijack h;

    hijack_make(&h);
    ck_assert_int_eq(chmod(h.file, 0757), 0);
    ck_assert_int_eq(open_path(h.file), CIO_EACCES);
    assert_detail_has(h.file);
    assert_detail_has("module file is writable by others (mode 0757)");
    assert_detail_has("chmod go-w");
    hijack_free(&h);
}
END_TEST

START_TEST(hijack_file_writable_by_group)
{
    hijack h;

    hijack_make(&h);
    ck_assert_int_eq(chmod(h.file, 0775), 0);
    ck_assert_int_eq(open_path(h.file), CIO_EACCES);
    assert_detail_has("module file is writable by its group (mode 0775)");
    hijack_free(&h);
}
END_TEST

START_TEST(hijack_dir_writable_by_others)
{
    hijack h;

    hijack_make(&h);
    /* The sticky bit (as on /tmp) does not make it safe either. */
    ck_assert_int_eq(chmod(h.dir, 01777), 0);
    ck_assert_int_eq(open_path(h.file), CIO_EACCES);
    assert_detail_has(h.file);
    assert_detail_has("its directory");
    assert_detail_has("is writable by others (mode 1777)");
    hijack_free(&h);
}
END_TEST

START_TEST(hijack_dir_writable_by_group)
{
    hijack h;

    hijack_make(&h);
    ck_assert_int_eq(chmod(h.dir, 0770), 0);
    ck_assert_int_eq(open_path(h.file), CIO_EACCES);
    assert_detail_has("its directory");
    assert_detail_has("writable by its group (mode 0770)");
    hijack_free(&h);
}
END_TEST

/* Found by name in an unsafe directory of the search path: refused too. */
START_TEST(hijack_search_path_dir)
{
    hijack h;

    hijack_make(&h);
    ck_assert_int_eq(chmod(h.dir, 0777), 0);
    setenv("COMPIO_MODULE_PATH", h.dir, 1);
    ck_assert_int_eq(try_open("good", "no"), CIO_EACCES);
    assert_detail_has("its directory");
    hijack_free(&h);
}
END_TEST

/* A safe directory with a link into an unsafe one: the target counts. */
START_TEST(hijack_symlink_into_unsafe_dir)
{
    char dir[PATH_MAX], link[PATH_MAX];
    hijack h;

    hijack_make(&h);
    ck_assert_int_eq(chmod(h.dir, 0777), 0);
    ck_assert_ptr_nonnull(cio_test_mkdtemp(dir, sizeof(dir)));
    path_in(link, sizeof(link), dir, "cio_good" SO);
    ck_assert_int_eq(symlink(h.file, link), 0);
    ck_assert_int_eq(open_path(link), CIO_EACCES);
    assert_detail_has("the directory the link points into");
    /* The same link to a safe directory loads. */
    ck_assert_int_eq(chmod(h.dir, 0755), 0);
    ck_assert_msg(open_path(link) == 0, "%s", cio_error_detail());
    unlink(link);
    rmdir(dir);
    hijack_free(&h);
}
END_TEST

/*
 * Ownership needs another uid: only root can give a file away. Without
 * root the case says so and checks nothing (Check has no per-test skip;
 * the note shows in the TAP output).
 */
#define HIJACK_OTHER_UID 12345

static int
can_chown(void)
{
    if (geteuid() == 0)
        return 1;
    printf("# not root: ownership case not checked (cannot chown)\n");
    fflush(stdout);
    return 0;
}

START_TEST(hijack_file_foreign_owner)
{
    hijack h;

    if (!can_chown())
        return;
    hijack_make(&h);
    ck_assert_int_eq(chown(h.file, HIJACK_OTHER_UID, HIJACK_OTHER_UID), 0);
    ck_assert_int_eq(chmod(h.file, 0755), 0);
    ck_assert_int_eq(open_path(h.file), CIO_EPERM);
    assert_detail_has(h.file);
    assert_detail_has("module file is owned by uid 12345, neither root nor");
    hijack_free(&h);
}
END_TEST

START_TEST(hijack_dir_foreign_owner)
{
    hijack h;

    if (!can_chown())
        return;
    hijack_make(&h);
    ck_assert_int_eq(chown(h.dir, HIJACK_OTHER_UID, HIJACK_OTHER_UID), 0);
    ck_assert_int_eq(open_path(h.file), CIO_EPERM);
    assert_detail_has("its directory");
    assert_detail_has("is owned by uid 12345");
    hijack_free(&h);
}
END_TEST

/* The scan (compio-info) shows the refusal with the same error. */
START_TEST(hijack_scan_reports_refusal)
{
    cio_backend_list *list = NULL;
    cio_config *cfg;
    size_t i;
    hijack h;

    hijack_make(&h);
    ck_assert_int_eq(chmod(h.file, 0666), 0);
    setenv("COMPIO_MODULE_PATH", h.dir, 1);
    cfg = config_for("good", "no");
    ck_assert_int_eq(cio_backend_scan(cfg, &list), 0);
    for (i = 0; i < list->count; i++)
        if (strcmp(list->items[i].path, h.file) == 0)
            break;
    ck_assert_uint_lt(i, list->count);
    ck_assert_int_eq(list->items[i].status, CIO_EACCES);
    ck_assert_ptr_nonnull(strstr(list->items[i].reason, "writable by others"));
    ck_assert_ptr_null(list->chosen);
    cio_backend_list_free(list);
    cio_config_free(cfg);
    hijack_free(&h);
}
END_TEST

#endif

static Suite *
loader_suite(void)
{
    Suite *s = suite_create("loader");
    TCase *tc = tcase_create("loader");

    tcase_add_checked_fixture(tc, setup, NULL);
    tcase_add_loop_test(tc, fixture_refused, 0,
                        (int)(sizeof(refuse_cases) / sizeof(refuse_cases[0])));
    tcase_add_test(tc, missing_module_lists_dirs);
    tcase_add_test(tc, garbage_file_refused);
    tcase_add_test(tc, truncated_module_refused);
    tcase_add_test(tc, good_module_runs_a_nop);
    tcase_add_test(tc, module_is_refcounted);
    tcase_add_test(tc, backend_as_absolute_path);
    tcase_add_test(tc, relative_path_refused);
#ifndef _WIN32
    /* Needs symlink(2), which Windows grants only with a privilege. */
    tcase_add_test(tc, same_name_other_file_refused);
#endif
    tcase_add_test(tc, first_directory_wins);
    tcase_add_test(tc, env_path_before_ini_path);
    tcase_add_test(tc, search_path_order);
    tcase_add_test(tc, current_directory_never_searched);
    tcase_add_test(tc, compio_backend_honoured);
    tcase_add_test(tc, compio_config_honoured);
#ifndef _WIN32
    /* The auto order these expect (uring, epoll) is Linux's. */
    tcase_add_test(tc, auto_skips_broken_modules);
    tcase_add_test(tc, auto_failure_lists_every_candidate);
    tcase_add_test(tc, fallback_no_names_the_fix);
    tcase_add_test(tc, fallback_yes_uses_auto_order);
#endif
    tcase_add_test(tc, list_tried_in_order);
    tcase_add_test(tc, scan_reports_every_fixture);
    tcase_add_test(tc, scan_marks_shadowed);
    tcase_add_test(tc, scan_shadowed_duplicate);
    tcase_add_test(tc, concurrent_open_close);
    tcase_add_test(tc, reload_after_dlclose);
    suite_add_tcase(s, tc);

#ifndef _WIN32
    /* The hijack rules: POSIX modes and owners (ACLs: check_loader_win32). */
    tc = tcase_create("hijack");
    tcase_add_checked_fixture(tc, setup, NULL);
    tcase_add_test(tc, hijack_safe_copy_loads);
    tcase_add_test(tc, hijack_file_writable_by_others);
    tcase_add_test(tc, hijack_file_writable_by_group);
    tcase_add_test(tc, hijack_dir_writable_by_others);
    tcase_add_test(tc, hijack_dir_writable_by_group);
    tcase_add_test(tc, hijack_search_path_dir);
    tcase_add_test(tc, hijack_symlink_into_unsafe_dir);
    tcase_add_test(tc, hijack_file_foreign_owner);
    tcase_add_test(tc, hijack_dir_foreign_owner);
    tcase_add_test(tc, hijack_scan_reports_refusal);
    suite_add_tcase(s, tc);
#endif
    return s;
}

int
main(void)
{
    return cio_test_run(loader_suite());
}
