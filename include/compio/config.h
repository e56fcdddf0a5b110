/* SPDX-License-Identifier: MIT */
/*
 * compio/config.h - runtime configuration: compio.ini, environment
 * overrides and programmatic settings.
 *
 * Lookup when a driver is opened with a NULL config: COMPIO_CONFIG (a
 * file) > $(sysconfdir)/compio.ini if present > built-in defaults, then
 * COMPIO_BACKEND overrides [runtime] backend and COMPIO_MODULE_PATH is
 * searched before module_path. Environment variables are read with
 * secure_getenv, so setuid programs ignore them.
 *
 *     [runtime]
 *     backend = auto          ; auto | name | "uring, epoll" | /path/cio_x.so
 *     fallback = yes          ; no: a named backend that fails is an error
 *     module_path = /usr/lib/compio/modules   ; colon-separated
 *     entries = 1024          ; queue / event batch size, 1..65536
 *     threadpool_max = 256    ; blocking pool threads, 1..4096
 *     stack_size = 256k       ; per task, guard page included
 *     [module.uring]          ; key/values handed to that module
 *     sqpoll = no
 */
#ifndef COMPIO_CONFIG_H
#define COMPIO_CONFIG_H

#include "platform.h"

#ifdef __cplusplus
extern "C" {
#endif

/** A configuration: [runtime] settings plus [module.*] sections. */
typedef struct cio_config cio_config;

/** Make a configuration holding the built-in defaults. 0 or -ENOMEM. */
CIO_EXTERN int cio_config_new(cio_config **out);

/**
 * Read an ini file into @cfg; later values override earlier ones.
 * CIO_ENOENT (or another open error) when the file cannot be read,
 * CIO_EINVAL for bad content; cio_error_detail() then names the file,
 * the line and the key and suggests the fix. @cfg is unchanged on error.
 */
CIO_EXTERN int cio_config_load(cio_config *cfg, const char *path);

/**
 * Parse ini text from memory (@name is used in messages). Same rules
 * and errors as cio_config_load.
 */
CIO_EXTERN int cio_config_load_string(cio_config *cfg, const char *name,
                                      const char *text);

/**
 * Apply the default lookup: COMPIO_CONFIG, else the system compio.ini if
 * it exists; then the COMPIO_BACKEND override. 0 or -errno.
 */
CIO_EXTERN int cio_config_load_default(cio_config *cfg);

/**
 * Set one key, validated as if read from a file: @section is "runtime"
 * or "module.<name>". CIO_EINVAL for an unknown key or a bad value.
 */
CIO_EXTERN int cio_config_set(cio_config *cfg, const char *section,
                              const char *key, const char *value);

/**
 * The value of @key in @section as a string (runtime values in their
 * normalised form), or NULL when unset.
 */
CIO_EXTERN const char *cio_config_get(const cio_config *cfg,
                                      const char *section, const char *key);

/** Free a configuration. NULL is fine. */
CIO_EXTERN void cio_config_free(cio_config *cfg);

#ifdef __cplusplus
}
#endif

#endif /* COMPIO_CONFIG_H */
