/* SPDX-License-Identifier: MIT */
/*
 * cio_loader_priv.h - contracts between the files of loader/ only: name
 * and path rules shared by the config parser and the loader, the search
 * path, the few platform helpers the DSO files add, and the check-and-
 * select engine that cio_scan.c reuses. Never seen by core/.
 */
#ifndef CIO_LOADER_PRIV_H
#define CIO_LOADER_PRIV_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "cio_internal.h"

/* Separator of COMPIO_MODULE_PATH and module_path entries. */
#if defined(_WIN32)
#define CIO__PATH_SEP ';'
#else
#define CIO__PATH_SEP ':'
#endif

/* Room for one check's explanation (a path plus a sentence or two). */
#define CIO__REASON_MAX 1024

/* ---- names and paths (loader/cio_config.c) ---- */

/** Non-zero when @s[0..n) is a valid backend name: [a-z0-9_]+. */
int cio__name_valid(const char *s, size_t n);
/** Non-zero when @path is absolute for this platform. */
int cio__path_is_absolute(const char *path);
/**
 * The backend name of module file @path (cio_<name><suffix>) into @name.
 * 0, or -EINVAL when the file name does not have that form.
 */
int cio__path_module_name(const char *path, char *name, size_t len);

/* ---- configuration internals (cio_config*.c) ---- */

/** Non-zero for "runtime" and "module.<name>". */
int cio__config_section_valid(const char *section);
/**
 * Validate @value for @key in @section and store its normalised form in
 * *@norm (malloc'd). 0, -ENOMEM, or -EINVAL with @err saying what is
 * wrong and what is expected ("bad value 'x'; expected yes or no").
 */
int cio__config_check(const char *section, const char *key, const char *value,
                      char **norm, char *err, size_t errlen);
/** Store a copy of @value (replacing any). 0 or -ENOMEM. */
int cio__config_put(cio_config *cfg, const char *section, const char *key,
                    const char *value);
/** The stored value or NULL. */
const char *cio__config_find(const cio_config *cfg, const char *section,
                             const char *key);
/** A deep copy of @cfg (NULL: an empty one); NULL when out of memory. */
cio_config *cio__config_clone(const cio_config *cfg);
/** Move @src's contents into @dst and free the rest of @src. */
void cio__config_commit(cio_config *dst, cio_config *src);
/**
 * Parse ini text into @cfg, from @fp or else @text; @name is used in
 * messages. 0, or -errno with the detail set. @cfg may be half-filled on
 * error: callers parse into a scratch copy.
 */
int cio__config_parse(cio_config *cfg, const char *name, FILE *fp,
                      const char *text);

/* ---- platform helpers (cio_dso_unix.c; cio_dso_*win32.c) ---- */

/** Non-zero when @path names an existing regular file. */
int cio__dso_exists(const char *path);
/**
 * May @path be loaded at all? Refuses, before anything of the file is
 * mapped, a module that someone other than root or this process's user
 * could have written: the file or its directory (for a symbolic link,
 * also the directory of the file it names) writable by group or others
 * (CIO_EACCES), or owned by another user than root or the effective one
 * (CIO_EPERM). On Windows the same two rules read the ACL and the owner:
 * an entry letting anyone but this user, Administrators, SYSTEM or
 * TrustedInstaller write or replace it, or another owner. 0, or that
 * error with @why naming the file, the rule and the fix.
 */
int cio__dso_trusted(const char *path, char *why, size_t whylen);
/**
 * Call @fn(@arg, name) for every entry of directory @dir whose name
 * starts with "cio_" and ends with cio__dso_suffix, in sorted order so
 * that scans are reproducible. 0, or -errno when @dir cannot be read.
 */
int cio__dso_list_dir(const char *dir, int (*fn)(void *arg, const char *name),
                      void *arg);

/* ---- search path (loader/cio_search.c) ---- */

/** The directories searched for modules, in order, without duplicates. */
typedef struct cio__search {
    char **dirs;  /**< NULL-terminated. */
    size_t count; /**< Entries in dirs. */
} cio__search;

/**
 * Build the search path: COMPIO_MODULE_PATH, then @cfg's module_path,
 * then the compiled-in directory. Relative entries of the environment
 * variable are skipped with a warning. 0 or -ENOMEM.
 */
int cio__search_build(const cio_config *cfg, cio__search *sp);
void cio__search_free(cio__search *sp);
/** The directories joined with ", " for messages; caller frees. */
char *cio__search_describe(const cio__search *sp);
/** @dir + "/" + @file; NULL when out of memory. Caller frees. */
char *cio__path_join(const char *dir, const char *file);
/**
 * Find cio_<name><suffix> in the first directory holding it; *@path is
 * malloc'd. 0, -ENOENT (with @why explaining where it looked) or -ENOMEM.
 */
int cio__search_find(const cio__search *sp, const char *name, char **path,
                     char *why, size_t whylen);

/* ---- checks (loader/cio_loader.c) and selection (cio_select.c) ---- */

/** What a check could read of a descriptor, copied out for scans. */
typedef struct cio__module_info {
    int readable;          /**< Non-zero once the magic matched. */
    unsigned abi_major;    /**< The module's ABI. */
    unsigned abi_minor;    /**< (0 when not readable). */
    uint64_t caps;         /**< CIO_CAP_* bits (when the size covers it). */
    char version[64];      /**< Module version, or "". */
    char description[256]; /**< One line, or "". */
} cio__module_info;

/**
 * Load @path as module @name and run every check and the probe. On
 * success *@out holds a reference (release with cio__loader_release).
 * On failure returns the check's error and fills @why with a sentence
 * naming the file and suggesting a fix; on success @why holds the
 * probe's positive remark or "usable". @info (may be NULL) receives what
 * could be read of the descriptor, also on failure.
 */
int cio__loader_try(const char *path, const char *name, const cio_config *cfg,
                    cio__module **out, cio__module_info *info, char *why,
                    size_t whylen);

/** Outcome of a selection, for acquire and for scans. */
typedef struct cio__selection {
    cio__module *mod; /**< The chosen module (a reference), or NULL. */
    int status;       /**< 0, or the error selection fails with. */
    char *why;        /**< One line per candidate tried; malloc'd. */
    char *detail;     /**< The one-paragraph error detail; malloc'd. */
} cio__selection;

/**
 * Walk the candidates @cfg names in order (auto, a name with or without
 * fallback, a list, a path) over @sp. @quiet suppresses the fallback
 * warning (scans are dry runs). Fills @sel; free it with
 * cio__selection_free (which also releases sel->mod unless taken).
 */
int cio__loader_select(const cio_config *cfg, const cio__search *sp, int quiet,
                       cio__selection *sel);
void cio__selection_free(cio__selection *sel);

/** The platform's auto order, NULL-terminated. */
extern const char *const cio__auto_order[];

#endif /* CIO_LOADER_PRIV_H */
