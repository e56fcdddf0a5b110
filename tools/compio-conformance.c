/* SPDX-License-Identifier: MIT */
/*
 * compio-conformance - the backend conformance suite, installed, so that
 * a module author tests a module exactly as compio tests its own:
 *
 *     compio-conformance --backend NAME|/abs/path/cio_NAME.so
 *                        [--config FILE] [--suite conformance|beyond|all]
 *                        [--test NAME[,NAME...]] [--expect native|emulated]
 *                        [--tap] [--list]
 *
 * The suites are the sources "make check" runs (tests/conformance/
 * check_conformance.c and check_beyond.c), compiled into this program
 * on a Check-compatible runner (cio_minicheck.c), so nothing but
 * libcompio is needed at run time. Each test opens its own driver on the
 * backend with fallback = no, in its own process.
 *
 * Exit status: 0 when every test passed, 1 when a test failed or the
 * module was refused by the loader or not found, 77 when the module's
 * probe says it cannot work on this machine (the automake SKIP code),
 * 2 for usage errors.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <compio.h>
#include <compio/module.h>

#include "cio_minicheck.h"
#include "conformance/cio_suite.h"

#define EXIT_SKIP 77
#define EXIT_USAGE 2

int cio_suite_native;

/* The ini given with --config, re-read for every test's config. */
static const char *config_file;

int
cio_suite_config_new(cio_config **cfg)
{
    int rc = cio_config_new(cfg);

    if (rc < 0)
        return rc;
    rc = config_file != NULL ? cio_config_load(*cfg, config_file)
                             : cio_config_load_default(*cfg);
    if (rc < 0) {
        cio_config_free(*cfg);
        *cfg = NULL;
    }
    return rc;
}

static void
usage(FILE *fp)
{
    fprintf(fp,
            "usage: compio-conformance [--backend NAME|PATH] [--config FILE]\n"
            "                          [--suite conformance|beyond|all]\n"
            "                          [--test NAME[,NAME...]]\n"
            "                          [--expect native|emulated] [--tap] "
            "[--list]\n"
            "  --backend B    the module to test: a name looked up on the "
            "module path,\n"
            "                 or an absolute path to cio_<name>.so "
            "(default: the\n"
            "                 config's backend)\n"
            "  --config FILE  start every test's config from FILE (default: "
            "COMPIO_CONFIG\n"
            "                 or the system compio.ini)\n"
            "  --suite S      conformance (every backend), beyond (multishot, "
            "buffer\n"
            "                 pools, registered files/buffers, SEND_ZC) or "
            "all (default)\n"
            "  --test NAMES   run only these tests (see --list)\n"
            "  --expect E     the beyond suite asserts that every feature is "
            "native or\n"
            "                 emulated; default: what the module reports\n"
            "  --tap          print TAP instead of a summary\n"
            "  --list         list the tests and exit\n"
            "exit status: 0 passed, 1 failed or refused, 77 backend cannot "
            "run here,\n"
            "2 usage error\n");
}

/*
 * Loader errors that mean "this file is wrong" (refused before its probe
 * ran) are failures; the probe's own verdict is a skip. The loader words
 * a probe failure as "<path>: probe failed: <reason>".
 */
static int
is_probe_failure(const char *why)
{
    return why != NULL && strstr(why, ": probe failed: ") != NULL;
}

/* The why text on one line, without the "name: " prefix of the list. */
static void
print_why(FILE *fp, const char *why)
{
    const char *p = why != NULL ? why : "unknown";
    size_t n = strlen(p);

    while (n > 0 && p[n - 1] == '\n')
        n--;
    for (size_t i = 0; i < n; i++)
        fputc(p[i] == '\n' ? ' ' : p[i], fp);
    fputc('\n', fp);
}

/*
 * Which native/emulated expectation the beyond suite gets: the driver's
 * own features. 1 native, 0 emulated, -1 mixed, or a negative errno
 * below -1 when no driver opens.
 */
static int
features_of(const char *backend, int *mixed)
{
    cio_config *cfg = NULL;
    cio_driver *drv = NULL;
    int native = 0, emulated = 0, rc;

    *mixed = 0;
    rc = cio_suite_config_new(&cfg);
    if (rc == 0)
        rc = cio_config_set(cfg, "runtime", "backend", backend);
    if (rc == 0)
        rc = cio_config_set(cfg, "runtime", "fallback", "no");
    if (rc == 0)
        rc = cio_driver_open(&drv, cfg);
    cio_config_free(cfg);
    if (rc < 0)
        return rc;
    for (unsigned f = 0; f < CIO_FEATURE__COUNT; f++) {
        int s = cio_driver_feature(drv, f);
        if (s == CIO_SUPPORT_NATIVE)
            native++;
        else
            emulated++;
    }
    cio_driver_close(drv);
    *mixed = native > 0 && emulated > 0;
    return native > 0 && emulated == 0;
}

int
main(int argc, char **argv)
{
    const char *backend = NULL, *suite = "all", *tests = NULL, *expect = NULL;
    const char *chosen_path = NULL;
    static char chosen[4096];
    cio_backend_list *list = NULL;
    cio_config *cfg = NULL;
    SRunner *sr;
    int tap = 0, list_only = 0, run_beyond, failed, total, rc, i;

    for (i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--backend") == 0 && i + 1 < argc) {
            backend = argv[++i];
        } else if (strcmp(argv[i], "--config") == 0 && i + 1 < argc) {
            config_file = argv[++i];
        } else if (strcmp(argv[i], "--suite") == 0 && i + 1 < argc) {
            suite = argv[++i];
        } else if (strcmp(argv[i], "--test") == 0 && i + 1 < argc) {
            tests = argv[++i];
        } else if (strcmp(argv[i], "--expect") == 0 && i + 1 < argc) {
            expect = argv[++i];
        } else if (strcmp(argv[i], "--tap") == 0) {
            tap = 1;
        } else if (strcmp(argv[i], "--list") == 0) {
            list_only = 1;
        } else if (strcmp(argv[i], "--help") == 0 ||
                   strcmp(argv[i], "-h") == 0) {
            usage(stdout);
            return 0;
        } else if (strcmp(argv[i], "--version") == 0) {
            printf("compio-conformance %s (libcompio %s, module ABI %d.%d)\n",
                   CIO_VERSION_STRING, cio_version(), CIO_MODULE_ABI_MAJOR,
                   CIO_MODULE_ABI_MINOR);
            return 0;
        } else {
            fprintf(stderr, "compio-conformance: bad argument '%s'\n", argv[i]);
            usage(stderr);
            return EXIT_USAGE;
        }
    }
    if (strcmp(suite, "conformance") != 0 && strcmp(suite, "beyond") != 0 &&
        strcmp(suite, "all") != 0) {
        fprintf(stderr,
                "compio-conformance: --suite %s: expected "
                "conformance, beyond or all\n",
                suite);
        return EXIT_USAGE;
    }
    if (expect != NULL && strcmp(expect, "native") != 0 &&
        strcmp(expect, "emulated") != 0) {
        fprintf(stderr,
                "compio-conformance: --expect %s: expected native "
                "or emulated\n",
                expect);
        return EXIT_USAGE;
    }
    run_beyond = strcmp(suite, "conformance") != 0;

    /* --list, and --test names checked before anything runs. */
    cio_ck_select(tests);
    sr = srunner_create(NULL);
    if (strcmp(suite, "beyond") != 0)
        srunner_add_suite(sr, cio_suite_conformance("backend"));
    if (run_beyond)
        srunner_add_suite(sr, cio_suite_beyond("backend"));
    if (list_only) {
        cio_ck_select(NULL);
        cio_ck_list(sr);
        srunner_free(sr);
        return 0;
    }
    if (cio_ck_unmatched(sr) != NULL) {
        fprintf(stderr, "compio-conformance: no such test: %s (see --list)\n",
                cio_ck_unmatched(sr));
        srunner_free(sr);
        return EXIT_USAGE;
    }
    srunner_free(sr);

    /*
     * The configuration every test starts from, plus the backend; the
     * same validation as the library's (a relative path is refused).
     */
    rc = cio_suite_config_new(&cfg);
    if (rc < 0) {
        fprintf(stderr, "compio-conformance: %s\n", cio_error_detail());
        return EXIT_USAGE;
    }
    if (backend != NULL &&
        cio_config_set(cfg, "runtime", "backend", backend) < 0) {
        fprintf(stderr, "compio-conformance: --backend: %s\n",
                cio_error_detail());
        cio_config_free(cfg);
        return EXIT_USAGE;
    }
    backend = cio_config_get(cfg, "runtime", "backend");
    if (backend == NULL || strcmp(backend, "auto") == 0 ||
        strchr(backend, ',') != NULL) {
        fprintf(stderr, "compio-conformance: name one backend with "
                        "--backend (or backend = in the config)\n");
        cio_config_free(cfg);
        return EXIT_USAGE;
    }
    snprintf(chosen, sizeof(chosen), "%s", backend);
    backend = chosen;
    cio_config_set(cfg, "runtime", "fallback", "no");

    /* Is the module there, accepted by the loader, and usable here? */
    rc = cio_backend_scan(cfg, &list);
    cio_config_free(cfg);
    if (rc < 0) {
        fprintf(stderr, "compio-conformance: scan: %s\n", cio_strerror(rc));
        return EXIT_FAILURE;
    }
    if (list->chosen == NULL) {
        int probe = is_probe_failure(list->chosen_why);
        if (tap)
            printf(probe ? "1..0 # SKIP " : "Bail out! ");
        fprintf(tap ? stdout : stderr,
                "compio-conformance: backend %s %s (%s): ", backend,
                probe                               ? "cannot run here"
                : list->chosen_status == CIO_ENOENT ? "not found"
                                                    : "refused",
                cio_errname(list->chosen_status));
        print_why(tap ? stdout : stderr, list->chosen_why);
        cio_backend_list_free(list);
        return probe ? EXIT_SKIP : EXIT_FAILURE;
    }
    for (size_t k = 0; k < list->count; k++)
        if (strcmp(list->items[k].name, list->chosen) == 0 &&
            !list->items[k].shadowed)
            chosen_path = list->items[k].path;
    printf("%scompio-conformance %s: backend %s%s%s\n", tap ? "# " : "",
           CIO_VERSION_STRING, list->chosen,
           chosen_path != NULL && strchr(backend, '/') == NULL ? " from " : "",
           chosen_path != NULL && strchr(backend, '/') == NULL ? chosen_path
                                                               : "");
    cio_backend_list_free(list);

    if (run_beyond) {
        int mixed = 0;
        if (expect != NULL) {
            cio_suite_native = strcmp(expect, "native") == 0;
        } else {
            rc = features_of(backend, &mixed);
            if (rc < -1) {
                fprintf(stderr,
                        "compio-conformance: cannot open a driver on "
                        "%s: %s\n",
                        backend, cio_error_detail());
                return EXIT_FAILURE;
            }
            cio_suite_native = rc == 1;
        }
        if (mixed) {
            printf("%sbeyond suite not run: the backend does some "
                   "features natively and emulates others; it asserts all "
                   "or none, so pass --expect native or --expect emulated "
                   "to run it\n",
                   tap ? "# " : "");
            run_beyond = 0;
        } else {
            printf("%sbeyond-compio features expected %s\n", tap ? "# " : "",
                   cio_suite_native ? "native" : "emulated");
        }
    }

    sr = srunner_create(NULL);
    if (strcmp(suite, "beyond") != 0)
        srunner_add_suite(sr, cio_suite_conformance(backend));
    if (run_beyond)
        srunner_add_suite(sr, cio_suite_beyond(backend));
    cio_ck_set_output(tap ? CIO_CK_TAP : CIO_CK_SUMMARY);
    fflush(stdout);
    srunner_run_all(sr, CK_NORMAL);
    failed = srunner_ntests_failed(sr);
    total = srunner_ntests_run(sr);
    srunner_free(sr);
    printf("%s%s: %d passed, %d failed\n", tap ? "# " : "", backend,
           total - failed, failed);
    return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
