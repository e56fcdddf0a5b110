/* SPDX-License-Identifier: MIT */
/*
 * cio_internal.h - the contracts between core/ and loader/ inside
 * libcompio. Never installed. Names are cio__ (hidden visibility).
 */
#ifndef CIO_INTERNAL_H
#define CIO_INTERNAL_H

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include "compio/backend.h"
#include "compio/config.h"
#include "compio/driver.h"
#include "compio/error.h"
#include "compio/module.h"
#include "compio/op.h"

#if defined(__GNUC__)
#define CIO__PRINTF(f, a) __attribute__((format(printf, f, a)))
#else
#define CIO__PRINTF(f, a)
#endif

/* ---- errors and diagnostics (core/cio_error.c, core/cio_log.c) ---- */

/** Set this thread's cio_error_detail() text. */
void cio__set_detail(const char *fmt, ...) CIO__PRINTF(1, 2);
/** Clear it (done at the start of every loader/config entry point). */
void cio__clear_detail(void);
/** Log to stderr when @level <= the COMPIO_LOG level (default warn). */
void cio__log(int level, const char *fmt, ...) CIO__PRINTF(2, 3);
void cio__vlog(int level, const char *prefix, const char *fmt, va_list ap);
/** secure_getenv where it exists, else getenv. */
const char *cio__getenv(const char *name);

/* ---- configuration (loader/cio_config.c) ---- */

/** Typed views of [runtime]; all have defaults. */
const char *cio__config_backend(const cio_config *cfg);     /* "auto" */
int cio__config_fallback(const cio_config *cfg);            /* 1 */
const char *cio__config_module_path(const cio_config *cfg); /* NULL */
unsigned cio__config_entries(const cio_config *cfg);        /* 1024 */
unsigned cio__config_threadpool_max(const cio_config *cfg); /* 256 */
size_t cio__config_stack_size(const cio_config *cfg);       /* 256 KiB */
/** A key of [module.<module>], or NULL. */
const char *cio__config_module_get(const cio_config *cfg, const char *module,
                                   const char *key);
/**
 * The configuration cio_driver_open(NULL) and cio_backend_scan(NULL) use:
 * a new config with cio_config_load_default applied. Caller frees it.
 */
int cio__config_default(cio_config **out);

/* ---- host side of the module ABI (core/cio_host.c) ---- */

/** The one host API table every module is given. */
extern const cio_host_api cio__host_api;

/**
 * Per-driver (or per-probe) link handed to a module. For a probe, drv is
 * NULL and complete/pool_submit must not be called.
 */
struct cio_host {
    struct cio_driver *drv;  /**< Owning driver; NULL during probe. */
    const cio_config *cfg;   /**< For config_get; may be NULL. */
    const char *module_name; /**< For log prefixes and config_get. */
    char reason[512];        /**< Last set_reason text. */
};

void cio__host_init(cio_host *host, struct cio_driver *drv,
                    const cio_config *cfg, const char *module_name);

/* ---- dynamic loading (loader/cio_dso_unix.c, cio_dso_win32.c) ---- */

/** dlopen(RTLD_NOW|RTLD_LOCAL); on failure -ELIBBAD and @err filled. */
int cio__dso_open(const char *path, void **handle, char *err, size_t errlen);
/** dlsym; NULL when absent. */
void *cio__dso_sym(void *handle, const char *symbol);
/** dlclose, unless COMPIO_NO_DLCLOSE is set (keeps symbols for ASan). */
void cio__dso_close(void *handle);
/** Platform file suffix of modules: ".so" or ".dll". */
extern const char cio__dso_suffix[];
/** The compiled-in module directory (next to the DLL on Windows). */
const char *cio__dso_default_dir(void);

/* ---- the loader (loader/cio_loader.c) ---- */

/** A loaded, checked, probed module. Shared by the drivers using it. */
typedef struct cio__module {
    const cio_backend_module *desc; /**< Validated descriptor. */
    void *dso;                      /**< Handle for cio__dso_close. */
    char *path;                     /**< File it came from. */
    unsigned refs;                  /**< Drivers (and scans) holding it. */
    struct cio__module *next;       /**< Loader's list of loaded modules. */
} cio__module;

/**
 * Choose, load, check and probe the backend @cfg selects (backend =
 * auto | name | list | path, with fallback). On success *out holds a
 * reference. On failure returns the error of the decisive check and sets
 * the detail text, which names the file and suggests the fix.
 */
int cio__loader_acquire(const cio_config *cfg, cio__module **out);
/** Drop a reference; the DSO is closed when the last one goes. */
void cio__loader_release(cio__module *mod);
/**
 * Host API module_open (ABI 1.4): load @name_or_path (a name on the
 * search path @cfg gives, or an absolute path) with every check and its
 * probe, for the wrapping module @caller (refused as its own inner
 * module, CIO_ELOOP, as is nesting beyond CIO_MODULE_WRAP_MAX). On
 * failure @why says what went wrong and what to do.
 */
int cio__loader_open(const cio_config *cfg, const char *caller,
                     const char *name_or_path, cio__module **out, char *why,
                     size_t whylen);

/* ---- the op table (core/cio_op_table.c) ---- */

/** The description of @opcode, or NULL when out of range. */
const cio_op_desc *cio__op_desc(unsigned opcode);
/**
 * Non-zero when the platform has no form of @opcode: its pool entry
 * only answers CIO_ENOSYS (SPLICE off Linux, STATX without statx(2)).
 */
int cio__op_unsupported(unsigned opcode);

/* ---- the blocking pool (core/cio_pool.c) ---- */

/**
 * Where a pool job's completion goes. The driver embeds one; the pool
 * appends finished ops under the mutex and calls wake(wake_arg).
 */
typedef struct cio__pool_sink cio__pool_sink;

/** Set the pool's maximum thread count (the largest value asked wins). */
void cio__pool_configure(unsigned max_threads);
/**
 * Run @op's blocking implementation on a pool thread, then hand it to
 * @sink. 0 or -errno (-ENOMEM, -EAGAIN when no thread can be started).
 */
int cio__pool_submit(cio__pool_sink *sink, cio_op *op);
/**
 * Take @op out of the pool's queue if no thread has started it: 0 (then
 * the caller completes it with -ECANCELED), -EALREADY when running,
 * -ENOENT when not in the pool.
 */
int cio__pool_cancel(cio__pool_sink *sink, cio_op *op);

#endif /* CIO_INTERNAL_H */
