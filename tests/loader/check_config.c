/* SPDX-License-Identifier: MIT */
/*
 * check_config - compio.ini parsing and validation through the public
 * API: the corpus under tests/loader/ini, cio_config_set, the default
 * lookup (COMPIO_CONFIG, COMPIO_BACKEND), and the promise that a failed
 * load leaves the configuration as it was. Every error must name the
 * file, the line and the key.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <compio.h>

#include "cio_test.h"

static cio_config *
new_config(void)
{
    cio_config *cfg = NULL;

    ck_assert_int_eq(cio_config_new(&cfg), 0);
    ck_assert_ptr_nonnull(cfg);
    return cfg;
}

/*
 * Paths differ by platform: Windows needs a drive or a UNC prefix to
 * call a path absolute, separates module_path entries with ';', and
 * names modules .dll. The two good-*.ini files have a Windows twin.
 */
#ifdef _WIN32
#define GOOD_ALL_INI "good-all-win32.ini"
#define GOOD_ALL_PATH "C:/opt/compio/modules;D:\\lib\\compio\\modules"
#define GOOD_CRLF_INI "good-crlf-win32.ini"
#define GOOD_CRLF_BACKEND "C:\\opt\\compio\\cio_custom.dll"
#define ABS "C:"
#define SEP ";"
#define SO ".dll"
#else
#define GOOD_ALL_INI "good-all.ini"
#define GOOD_ALL_PATH "/opt/compio/modules:/usr/lib/compio/modules"
#define GOOD_CRLF_INI "good-crlf.ini"
#define GOOD_CRLF_BACKEND "/opt/compio/cio_custom.so"
#define ABS ""
#define SEP ":"
#define SO ".so"
#endif

static const char *
ini(char *buf, size_t len, const char *name)
{
    char rel[256];

    snprintf(rel, sizeof(rel), "loader/ini/%s", name);
    return cio_test_srcpath(buf, len, rel);
}

static void
assert_detail_has(const char *needle)
{
    const char *d = cio_error_detail();

    ck_assert_msg(strstr(d, needle) != NULL, "detail '%s' lacks '%s'", d,
                  needle);
}

/* ---- the broken corpus: code, line, key, and something of the fix ---- */

static const struct bad_case {
    const char *file;
    int rc;
    unsigned line;
    const char *key;  /* or the section, quoted as the detail quotes it */
    const char *hint; /* a word of the suggested fix */
} bad_cases[] = {
    {"bad-unknown-key.ini", CIO_EINVAL, 3, "'backnd'", "takes backend"},
    {"bad-value.ini", CIO_EINVAL, 3, "'fallback'", "expected yes or no"},
    {"bad-section.ini", CIO_EINVAL, 3, "[foo]", "expected [runtime]"},
    {"bad-section-empty-module.ini", CIO_EINVAL, 1, "[module.]",
     "expected [runtime]"},
    {"bad-section-module-name.ini", CIO_EINVAL, 2, "[module.Bad-Name]",
     "a-z, 0-9 and _"},
    {"bad-outside.ini", CIO_EINVAL, 2, "'backend'", "put it under [runtime]"},
    {"bad-duplicate.ini", CIO_EINVAL, 4, "'entries'", "already set on line 2"},
    {"bad-long-line.ini", CIO_EINVAL, 3, "'module_path'", "longer than"},
    {"bad-entries.ini", CIO_EINVAL, 2, "'entries'", "from 1 to 65536"},
    {"bad-threadpool.ini", CIO_EINVAL, 2, "'threadpool_max'", "1 to 4096"},
    {"bad-stack-small.ini", CIO_EINVAL, 2, "'stack_size'", "16k to 1g"},
    {"bad-stack-suffix.ini", CIO_EINVAL, 2, "'stack_size'", "suffix"},
    {"bad-backend-relative.ini", CIO_EINVAL, 2, "'backend'", "absolute path"},
    {"bad-backend-name.ini", CIO_EINVAL, 2, "'backend'", "a-z, 0-9 and _"},
    {"bad-module-path.ini", CIO_EINVAL, 2, "'module_path'", "absolute"},
    {"bad-syntax.ini", CIO_EINVAL, 2, "'this line has no equals sign'",
     "write key = value"},
    {"bad-partial.ini", CIO_EINVAL, 4, "'threadpool_max'", "whole number"},
};

START_TEST(corpus_bad_file)
{
    const struct bad_case *c = &bad_cases[_i];
    char path[PATH_MAX], where[PATH_MAX + 16];
    cio_config *cfg = new_config();

    ini(path, sizeof(path), c->file);
    ck_assert_int_eq(cio_config_load(cfg, path), c->rc);
    /* "FILE:LINE:" names both at once; the key and a hint follow. */
    snprintf(where, sizeof(where), "%s:%u:", path, c->line);
    assert_detail_has(where);
    assert_detail_has(c->key);
    assert_detail_has(c->hint);
    cio_config_free(cfg);
}
END_TEST

/* A failed load changes nothing, not even the keys before the error. */
START_TEST(failed_load_leaves_config_unchanged)
{
    char path[PATH_MAX];
    cio_config *cfg = new_config();

    ck_assert_int_eq(cio_config_set(cfg, "runtime", "entries", "7"), 0);
    ck_assert_int_eq(
        cio_config_load(cfg, ini(path, sizeof(path), "bad-partial.ini")),
        CIO_EINVAL);
    ck_assert_str_eq(cio_config_get(cfg, "runtime", "entries"), "7");
    ck_assert_ptr_null(cio_config_get(cfg, "runtime", "backend"));
    cio_config_free(cfg);
}
END_TEST

START_TEST(missing_file)
{
    cio_config *cfg = new_config();
    const char *path = "/nonexistent/compio-test/compio.ini";

    ck_assert_int_eq(cio_config_load(cfg, path), CIO_ENOENT);
    assert_detail_has(path);
    cio_config_free(cfg);
}
END_TEST

/* A directory opens but cannot be read as a file. */
START_TEST(unreadable_file)
{
    char dir[PATH_MAX];
    cio_config *cfg = new_config();
    int rc;

    ck_assert_ptr_nonnull(cio_test_mkdtemp(dir, sizeof(dir)));
    rc = cio_config_load(cfg, dir);
    ck_assert_msg(rc == CIO_EISDIR || rc == CIO_EACCES, "rc %d", rc);
    assert_detail_has(dir);
#ifdef _WIN32
    /* The C runtime refuses to open a directory at all. */
    assert_detail_has("cannot open");
#else
    assert_detail_has("cannot read");
#endif
    rmdir(dir);
    cio_config_free(cfg);
}
END_TEST

START_TEST(empty_file_gives_defaults)
{
    char path[PATH_MAX];
    cio_config *cfg = new_config();

    ck_assert_int_eq(cio_config_load(cfg, ini(path, sizeof(path), "empty.ini")),
                     0);
    ck_assert_ptr_null(cio_config_get(cfg, "runtime", "backend"));
    ck_assert_ptr_null(cio_config_get(cfg, "runtime", "entries"));
    cio_config_free(cfg);
}
END_TEST

/* Every key, a list, a path, k/m suffixes, comments, CRLF, case. */
START_TEST(every_valid_key)
{
    char path[PATH_MAX];
    cio_config *cfg = new_config();

    ck_assert_int_eq(
        cio_config_load(cfg, ini(path, sizeof(path), GOOD_ALL_INI)), 0);
    ck_assert_str_eq(cio_config_get(cfg, "runtime", "backend"), "uring,epoll");
    ck_assert_str_eq(cio_config_get(cfg, "runtime", "fallback"), "no");
    ck_assert_str_eq(cio_config_get(cfg, "runtime", "module_path"),
                     GOOD_ALL_PATH);
    ck_assert_str_eq(cio_config_get(cfg, "runtime", "entries"), "65536");
    ck_assert_str_eq(cio_config_get(cfg, "runtime", "threadpool_max"), "1");
    ck_assert_str_eq(cio_config_get(cfg, "runtime", "stack_size"), "1048576");
    ck_assert_str_eq(cio_config_get(cfg, "module.uring", "sqpoll"), "no");
    ck_assert_str_eq(cio_config_get(cfg, "module.good", "anything"),
                     "goes here");
    ck_assert_ptr_null(cio_config_get(cfg, "module.uring", "nothing"));

    ck_assert_int_eq(
        cio_config_load(cfg, ini(path, sizeof(path), GOOD_CRLF_INI)), 0);
    ck_assert_str_eq(cio_config_get(cfg, "runtime", "backend"),
                     GOOD_CRLF_BACKEND);
    ck_assert_str_eq(cio_config_get(cfg, "runtime", "fallback"), "yes");
    ck_assert_str_eq(cio_config_get(cfg, "runtime", "stack_size"), "16384");
    /* Later files override earlier ones; untouched keys stay. */
    ck_assert_str_eq(cio_config_get(cfg, "runtime", "entries"), "65536");
    cio_config_free(cfg);
}
END_TEST

static const struct size_case {
    const char *in;
    const char *out; /* NULL: refused */
} size_cases[] = {
    {"16384", "16384"},   {"16k", "16384"},     {"16K", "16384"},
    {"256k", "262144"},   {"1m", "1048576"},    {"64M", "67108864"},
    {"1g", "1073741824"}, {"1G", "1073741824"}, {"1024m", "1073741824"},
    {"16383", NULL},      {"15k", NULL},        {"2g", NULL},
    {"1025m", NULL},      {"k", NULL},          {"-16k", NULL},
    {"16 k", NULL},       {"0x4000", NULL},     {"99999999999999999999k", NULL},
};

START_TEST(stack_size_suffixes)
{
    const struct size_case *c = &size_cases[_i];
    cio_config *cfg = new_config();
    int rc = cio_config_set(cfg, "runtime", "stack_size", c->in);

    if (c->out != NULL) {
        ck_assert_int_eq(rc, 0);
        ck_assert_str_eq(cio_config_get(cfg, "runtime", "stack_size"), c->out);
    } else {
        ck_assert_int_eq(rc, CIO_EINVAL);
        assert_detail_has("'stack_size'");
        assert_detail_has(c->in);
    }
    cio_config_free(cfg);
}
END_TEST

static const struct set_case {
    const char *section, *key, *value, *norm; /* norm NULL: refused */
} set_cases[] = {
    {"runtime", "backend", "auto", "auto"},
    {"runtime", "backend", "epoll", "epoll"},
    {"runtime", "backend", " uring ,epoll , kqueue", "uring,epoll,kqueue"},
    {"runtime", "backend", ABS "/abs/dir/cio_custom" SO,
     ABS "/abs/dir/cio_custom" SO},
    {"runtime", "backend", "uring, " ABS "/abs/cio_x" SO,
     "uring," ABS "/abs/cio_x" SO},
    {"runtime", "backend", "cio_epoll" SO, NULL},
    {"runtime", "backend", "./cio_epoll" SO, NULL},
    {"runtime", "backend", ABS "/abs/dir/libfoo" SO, NULL},
#ifdef _WIN32
    /* Without a drive, a path is relative to the current drive. */
    {"runtime", "backend", "/abs/dir/cio_custom.dll", NULL},
    {"runtime", "backend", "C:cio_custom.dll", NULL},
    {"runtime", "backend", "\\\\srv\\share\\cio_custom.dll",
     "\\\\srv\\share\\cio_custom.dll"},
#endif
    {"runtime", "backend", "auto, epoll", NULL},
    {"runtime", "backend", "uring,,epoll", NULL},
    {"runtime", "backend", "", NULL},
    {"runtime", "backend", "e-poll", NULL},
    {"runtime", "fallback", "YES", "yes"},
    {"runtime", "fallback", "on", "yes"},
    {"runtime", "fallback", "1", "yes"},
    {"runtime", "fallback", "true", "yes"},
    {"runtime", "fallback", "Off", "no"},
    {"runtime", "fallback", "0", "no"},
    {"runtime", "fallback", "false", "no"},
    {"runtime", "fallback", "nope", NULL},
    {"runtime", "module_path", ABS "/a" SEP ABS "/b/c", ABS "/a" SEP ABS "/b/c"},
    {"runtime", "module_path", ABS "/a" SEP SEP ABS "/b",
     ABS "/a" SEP SEP ABS "/b"},
    {"runtime", "module_path", "a", NULL},
    {"runtime", "module_path", "", NULL},
    {"runtime", "stack_cache", "0", "0"},
    {"runtime", "stack_cache", "4096", "4096"},
    {"runtime", "stack_cache", "1048577", NULL},
    {"runtime", "stack_cache", "-1", NULL},
    {"runtime", "entries", "1", "1"},
    {"runtime", "entries", "65536", "65536"},
    {"runtime", "entries", "65537", NULL},
    {"runtime", "entries", "0", NULL},
    {"runtime", "entries", "+5", NULL},
    {"runtime", "entries", "12abc", NULL},
    {"runtime", "threadpool_max", "4096", "4096"},
    {"runtime", "threadpool_max", "0", NULL},
    {"runtime", "nosuchkey", "1", NULL},
    {"module.uring", "sqpoll", "anything at all", "anything at all"},
    {"module.Bad", "x", "1", NULL},
    {"module.", "x", "1", NULL},
    {"modules.uring", "x", "1", NULL},
    {"Runtime", "entries", "1", NULL},
};

START_TEST(config_set_validates)
{
    const struct set_case *c = &set_cases[_i];
    cio_config *cfg = new_config();
    int rc = cio_config_set(cfg, c->section, c->key, c->value);

    if (c->norm != NULL) {
        ck_assert_msg(rc == 0, "%s.%s=%s: %d %s", c->section, c->key, c->value,
                      rc, cio_error_detail());
        ck_assert_str_eq(cio_config_get(cfg, c->section, c->key), c->norm);
    } else {
        ck_assert_msg(rc == CIO_EINVAL, "%s.%s=%s accepted", c->section, c->key,
                      c->value);
        ck_assert_ptr_null(cio_config_get(cfg, c->section, c->key));
        assert_detail_has(c->section);
    }
    cio_config_free(cfg);
}
END_TEST

START_TEST(load_string_names_its_source)
{
    cio_config *cfg = new_config();

    ck_assert_int_eq(
        cio_config_load_string(cfg, "inline", "[runtime]\nentries = 8\n"), 0);
    ck_assert_str_eq(cio_config_get(cfg, "runtime", "entries"), "8");
    ck_assert_int_eq(
        cio_config_load_string(cfg, "inline", "[runtime]\n\nentries = x\n"),
        CIO_EINVAL);
    assert_detail_has("inline:3:");
    assert_detail_has("'entries'");
    ck_assert_str_eq(cio_config_get(cfg, "runtime", "entries"), "8");
    cio_config_free(cfg);
}
END_TEST

/* An indented key is a key, not a continuation of the previous value. */
START_TEST(indented_key_is_not_a_continuation)
{
    cio_config *cfg = new_config();

    ck_assert_int_eq(cio_config_load_string(cfg, "s",
                                            "[runtime]\nentries = 8\n"
                                            "   threadpool_max = 3\n"),
                     0);
    ck_assert_str_eq(cio_config_get(cfg, "runtime", "entries"), "8");
    ck_assert_str_eq(cio_config_get(cfg, "runtime", "threadpool_max"), "3");
    cio_config_free(cfg);
}
END_TEST

/* The same key in two files is an override, not a duplicate. */
START_TEST(duplicate_only_within_one_file)
{
    cio_config *cfg = new_config();

    ck_assert_int_eq(
        cio_config_load_string(cfg, "a", "[runtime]\nentries = 8\n"), 0);
    ck_assert_int_eq(
        cio_config_load_string(cfg, "b", "[runtime]\nentries = 9\n"), 0);
    ck_assert_str_eq(cio_config_get(cfg, "runtime", "entries"), "9");
    cio_config_free(cfg);
}
END_TEST

START_TEST(default_lookup_uses_compio_config)
{
    char path[PATH_MAX];
    cio_config *cfg = new_config();

    setenv("COMPIO_CONFIG", ini(path, sizeof(path), GOOD_ALL_INI), 1);
    unsetenv("COMPIO_BACKEND");
    ck_assert_int_eq(cio_config_load_default(cfg), 0);
    ck_assert_str_eq(cio_config_get(cfg, "runtime", "entries"), "65536");
    ck_assert_str_eq(cio_config_get(cfg, "runtime", "backend"), "uring,epoll");
    cio_config_free(cfg);
}
END_TEST

START_TEST(default_lookup_backend_override)
{
    char path[PATH_MAX];
    cio_config *cfg = new_config();

    setenv("COMPIO_CONFIG", ini(path, sizeof(path), GOOD_ALL_INI), 1);
    setenv("COMPIO_BACKEND", "epoll", 1);
    ck_assert_int_eq(cio_config_load_default(cfg), 0);
    ck_assert_str_eq(cio_config_get(cfg, "runtime", "backend"), "epoll");
    ck_assert_str_eq(cio_config_get(cfg, "runtime", "entries"), "65536");
    cio_config_free(cfg);
}
END_TEST

START_TEST(default_lookup_bad_backend_override)
{
    cio_config *cfg = new_config();

    unsetenv("COMPIO_CONFIG");
    setenv("COMPIO_BACKEND", "../cio_evil.so", 1);
    ck_assert_int_eq(cio_config_set(cfg, "runtime", "entries", "5"), 0);
    ck_assert_int_eq(cio_config_load_default(cfg), CIO_EINVAL);
    assert_detail_has("COMPIO_BACKEND");
    assert_detail_has("'backend'");
    assert_detail_has("../cio_evil.so");
    ck_assert_ptr_null(cio_config_get(cfg, "runtime", "backend"));
    ck_assert_str_eq(cio_config_get(cfg, "runtime", "entries"), "5");
    cio_config_free(cfg);
}
END_TEST

START_TEST(default_lookup_missing_file)
{
    cio_config *cfg = new_config();

    setenv("COMPIO_CONFIG", "/nonexistent/compio-test.ini", 1);
    ck_assert_int_eq(cio_config_load_default(cfg), CIO_ENOENT);
    assert_detail_has("/nonexistent/compio-test.ini");
    cio_config_free(cfg);
}
END_TEST

START_TEST(default_lookup_bad_file)
{
    char path[PATH_MAX];
    cio_config *cfg = new_config();

    setenv("COMPIO_CONFIG", ini(path, sizeof(path), "bad-value.ini"), 1);
    unsetenv("COMPIO_BACKEND");
    ck_assert_int_eq(cio_config_load_default(cfg), CIO_EINVAL);
    assert_detail_has("bad-value.ini:3:");
    cio_config_free(cfg);
}
END_TEST

/* A driver opened on a broken config fails with the config's error. */
START_TEST(driver_open_reports_config_error)
{
    char path[PATH_MAX];
    cio_driver *drv = NULL;

    setenv("COMPIO_CONFIG", ini(path, sizeof(path), "bad-unknown-key.ini"), 1);
    ck_assert_int_eq(cio_driver_open(&drv, NULL), CIO_EINVAL);
    ck_assert_ptr_null(drv);
    assert_detail_has("bad-unknown-key.ini:3:");
    assert_detail_has("'backnd'");
}
END_TEST

START_TEST(null_arguments)
{
    cio_config *cfg = new_config();

    ck_assert_int_eq(cio_config_load(NULL, "/x"), CIO_EINVAL);
    ck_assert_int_eq(cio_config_load(cfg, NULL), CIO_EINVAL);
    ck_assert_int_eq(cio_config_set(cfg, NULL, "a", "b"), CIO_EINVAL);
    ck_assert_int_eq(cio_config_load_string(cfg, NULL, NULL), CIO_EINVAL);
    ck_assert_ptr_null(cio_config_get(NULL, "runtime", "backend"));
    cio_config_free(NULL);
    cio_config_free(cfg);
}
END_TEST

static Suite *
config_suite(void)
{
    Suite *s = suite_create("config");
    TCase *tc = tcase_create("config");

    tcase_add_loop_test(tc, corpus_bad_file, 0,
                        (int)(sizeof(bad_cases) / sizeof(bad_cases[0])));
    tcase_add_test(tc, failed_load_leaves_config_unchanged);
    tcase_add_test(tc, missing_file);
    tcase_add_test(tc, unreadable_file);
    tcase_add_test(tc, empty_file_gives_defaults);
    tcase_add_test(tc, every_valid_key);
    tcase_add_loop_test(tc, stack_size_suffixes, 0,
                        (int)(sizeof(size_cases) / sizeof(size_cases[0])));
    tcase_add_loop_test(tc, config_set_validates, 0,
                        (int)(sizeof(set_cases) / sizeof(set_cases[0])));
    tcase_add_test(tc, load_string_names_its_source);
    tcase_add_test(tc, indented_key_is_not_a_continuation);
    tcase_add_test(tc, duplicate_only_within_one_file);
    tcase_add_test(tc, default_lookup_uses_compio_config);
    tcase_add_test(tc, default_lookup_backend_override);
    tcase_add_test(tc, default_lookup_bad_backend_override);
    tcase_add_test(tc, default_lookup_missing_file);
    tcase_add_test(tc, default_lookup_bad_file);
    tcase_add_test(tc, driver_open_reports_config_error);
    tcase_add_test(tc, null_arguments);
    suite_add_tcase(s, tc);
    return s;
}

int
main(void)
{
    return cio_test_run(config_suite());
}
