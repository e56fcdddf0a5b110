/* SPDX-License-Identifier: MIT */
/*
 * compio/backend.h - what backends exist here and which one would be
 * used: the introspection behind compio-info.
 */
#ifndef COMPIO_BACKEND_H
#define COMPIO_BACKEND_H

#include <stdint.h>

#include "config.h"
#include "platform.h"

#ifdef __cplusplus
extern "C" {
#endif

/** One module file found on the search path, and its verdict. */
typedef struct cio_backend_info {
    const char *name;        /**< Backend name from the file name. */
    const char *path;        /**< Absolute path of the module file. */
    const char *version;     /**< Module version, or NULL if unreadable. */
    const char *description; /**< One line, or NULL. */
    unsigned abi_major;      /**< ABI the module was built for. */
    unsigned abi_minor;      /**< (both 0 when not readable). */
    uint64_t caps;           /**< CIO_CAP_* bits. */
    /** 0 when usable; else the loader's error for the first failed check. */
    int status;
    /** Why it is usable or not, in words; never NULL. */
    const char *reason;
    /** Non-zero when an earlier directory holds a module of this name. */
    int shadowed;
} cio_backend_info;

/** The result of a scan. */
typedef struct cio_backend_list {
    size_t count;            /**< Entries in items. */
    cio_backend_info *items; /**< In search-path order. */
    /** Directories searched, in order, NULL-terminated. */
    const char *const *search_path;
    /** The backend the configuration selects, or NULL if none works. */
    const char *chosen;
    /** 0, or the error the selection would fail with. */
    int chosen_status;
    /**
     * How the choice was made: one line per candidate tried, with the
     * reason each refused one was refused.
     */
    const char *chosen_why;
} cio_backend_list;

/**
 * Find every cio_*.so (cio_*.dll) on the search path that @cfg (NULL:
 * default lookup) implies, check and probe each one, and work out which
 * backend a driver opened with @cfg would use. Loading for a scan never
 * creates a driver. 0 or -errno (only for out-of-memory or a bad @cfg).
 */
CIO_EXTERN int cio_backend_scan(const cio_config *cfg,
                                cio_backend_list **out);

/** Free a scan result. NULL is fine. */
CIO_EXTERN void cio_backend_list_free(cio_backend_list *list);

#ifdef __cplusplus
}
#endif

#endif /* COMPIO_BACKEND_H */
