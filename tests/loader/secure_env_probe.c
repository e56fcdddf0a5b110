/* SPDX-License-Identifier: MIT */
/*
 * secure_env_probe - prints what libcompio makes of the environment:
 * the ids it runs with, the configuration the default lookup yields
 * (COMPIO_CONFIG, COMPIO_BACKEND) and the module search path
 * (COMPIO_MODULE_PATH). secure-env.sh runs it once plainly and once as a
 * setuid copy, where all three variables must be ignored.
 *
 * Linked with -no-install: the binary itself (no libtool wrapper script)
 * carries the build tree's library directory as its run path, which the
 * dynamic linker honours in a setuid program, unlike LD_LIBRARY_PATH.
 */
#include <stdio.h>
#include <unistd.h>

#include <compio.h>

#if defined(__SANITIZE_ADDRESS__)
#define PROBE_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define PROBE_ASAN 1
#endif
#endif

#ifdef PROBE_ASAN
/*
 * LeakSanitizer cannot inspect a setuid (non-dumpable) process, and the
 * sanitizer ignores ASAN_OPTIONS there: switch it off from inside.
 */
__attribute__((visibility("default"))) const char *__asan_default_options(void);

__attribute__((visibility("default"))) const char *
__asan_default_options(void)
{
    return "detect_leaks=0";
}
#endif

int
main(void)
{
    cio_backend_list *list = NULL;
    cio_config *cfg = NULL;
    const char *v;
    int rc;

    printf("uid %lu euid %lu\n", (unsigned long)getuid(),
           (unsigned long)geteuid());
    if (cio_config_new(&cfg) < 0)
        return 1;
    rc = cio_config_load_default(cfg);
    printf("load_default %d\n", rc);
    v = cio_config_get(cfg, "runtime", "backend");
    printf("backend %s\n", v != NULL ? v : "(unset)");
    v = cio_config_get(cfg, "runtime", "module_path");
    printf("module_path %s\n", v != NULL ? v : "(unset)");
    rc = cio_backend_scan(cfg, &list);
    if (rc == 0) {
        for (size_t i = 0; list->search_path[i] != NULL; i++)
            printf("search %s\n", list->search_path[i]);
        cio_backend_list_free(list);
    }
    cio_config_free(cfg);
    return rc == 0 ? 0 : 1;
}
