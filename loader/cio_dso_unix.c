/* SPDX-License-Identifier: MIT */
/*
 * cio_dso_unix.c - dlopen and friends: the only place outside
 * cio_dso_win32.c that touches the platform's dynamic loader.
 */
#include "config.h"

#include <dirent.h>
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#if defined(__ELF__) && defined(__has_include)
#if __has_include(<elf.h>)
#include <elf.h>
#define CIO_CHECK_ELF 1
#endif
#endif

#include "cio_loader_priv.h"

#ifndef CIO_MODULEDIR
#define CIO_MODULEDIR "/usr/local/lib/compio/modules"
#endif

const char cio__dso_suffix[] = ".so";

#ifdef CIO_CHECK_ELF
/*
 * Every PT_LOAD segment and the program header table must lie inside the
 * file. The dynamic linker maps segments without comparing them with the
 * file size, so a truncated module would be mapped past its end and the
 * first touch of such a page (while relocating) kills the process with
 * SIGBUS instead of failing dlopen. 0, or -1 with @err filled; files that
 * are not ELF at all are left to dlopen's own message.
 */
static int
elf_check(int fd, off_t size, char *err, size_t errlen)
{
    unsigned char ident[EI_NIDENT];
    uint64_t phoff, off, filesz;
    unsigned phnum, phentsize, i;
    int is64;

    if (pread(fd, ident, sizeof(ident), 0) != (ssize_t)sizeof(ident) ||
        memcmp(ident, ELFMAG, SELFMAG) != 0)
        return 0;
    is64 = ident[EI_CLASS] == ELFCLASS64;
    if (is64) {
        Elf64_Ehdr eh;
        if (pread(fd, &eh, sizeof(eh), 0) != (ssize_t)sizeof(eh))
            goto short_file;
        phoff = eh.e_phoff;
        phnum = eh.e_phnum;
        phentsize = eh.e_phentsize;
        if (phentsize != sizeof(Elf64_Phdr))
            return 0;
    } else {
        Elf32_Ehdr eh;
        if (pread(fd, &eh, sizeof(eh), 0) != (ssize_t)sizeof(eh))
            goto short_file;
        phoff = eh.e_phoff;
        phnum = eh.e_phnum;
        phentsize = eh.e_phentsize;
        if (phentsize != sizeof(Elf32_Phdr))
            return 0;
    }
    if (phoff > (uint64_t)size ||
        (uint64_t)phnum * phentsize > (uint64_t)size - phoff)
        goto short_file;
    for (i = 0; i < phnum; i++) {
        uint32_t type;
        if (is64) {
            Elf64_Phdr ph;
            if (pread(fd, &ph, sizeof(ph), (off_t)(phoff + i * phentsize)) !=
                (ssize_t)sizeof(ph))
                goto short_file;
            type = ph.p_type;
            off = ph.p_offset;
            filesz = ph.p_filesz;
        } else {
            Elf32_Phdr ph;
            if (pread(fd, &ph, sizeof(ph), (off_t)(phoff + i * phentsize)) !=
                (ssize_t)sizeof(ph))
                goto short_file;
            type = ph.p_type;
            off = ph.p_offset;
            filesz = ph.p_filesz;
        }
        if (type == PT_LOAD &&
            (off > (uint64_t)size || filesz > (uint64_t)size - off))
            goto short_file;
    }
    return 0;

short_file:
    snprintf(err, errlen,
             "file is truncated: its ELF headers describe data beyond its "
             "%lld bytes",
             (long long)size);
    return -1;
}
#endif

/* Refuses files the dynamic linker would crash on rather than reject. */
static int
precheck(const char *path, char *err, size_t errlen)
{
#ifdef CIO_CHECK_ELF
    struct stat st;
    int fd = open(path, O_RDONLY | O_CLOEXEC), rc;

    if (fd < 0)
        return 0; /* dlopen will say why */
    rc = fstat(fd, &st) == 0 ? elf_check(fd, st.st_size, err, errlen) : 0;
    close(fd);
    return rc;
#else
    return 0;
#endif
}

/*
 * RTLD_NOW: an unresolved symbol fails here, with a message, rather than
 * at the first call. RTLD_LOCAL: modules never see each other's symbols
 * (nor need to).
 */
int
cio__dso_open(const char *path, void **handle, char *err, size_t errlen)
{
    const char *msg;

    *handle = NULL;
    if (precheck(path, err, errlen) < 0)
        return CIO_ELIBBAD;
    /* Clear any stale error so the one we report is ours. */
    (void)dlerror();
    *handle = dlopen(path, RTLD_NOW | RTLD_LOCAL);
    if (*handle != NULL)
        return 0;
    msg = dlerror();
    snprintf(err, errlen, "%s", msg != NULL ? msg : "unknown dlopen error");
    return CIO_ELIBBAD;
}

void *
cio__dso_sym(void *handle, const char *symbol)
{
    return dlsym(handle, symbol);
}

/*
 * With COMPIO_NO_DLCLOSE set the module stays mapped, so ASan and
 * valgrind can still symbolise its frames in leak reports at exit.
 */
void
cio__dso_close(void *handle)
{
    const char *keep = cio__getenv("COMPIO_NO_DLCLOSE");

    if (handle == NULL || (keep != NULL && keep[0] != '\0'))
        return;
    dlclose(handle);
}

const char *
cio__dso_default_dir(void)
{
    return CIO_MODULEDIR;
}

int
cio__dso_exists(const char *path)
{
    struct stat st;

    return stat(path, &st) == 0 && S_ISREG(st.st_mode);
}

/*
 * Loading that cannot be hijacked. A module is code that runs with the
 * full rights of the program, so its file must be as trustworthy as the
 * program: nobody but root or the user the program runs as (the
 * effective uid: a setuid program trusts root and its owner, never the
 * caller) may have been able to write it, or to swap it for another
 * file, which write access to its directory allows. OpenSSH applies the
 * same two rules to authorized_keys. Each rule has its own error:
 *
 *   writable by group or others    CIO_EACCES
 *   owned by somebody else         CIO_EPERM
 *
 * checked on the file, then on its directory, then (for a symbolic link)
 * on the directory of the file it resolves to. Ancestors further up are
 * not checked: /usr/lib and /opt belong to root anyway, and a module in
 * a private tree under a shared one (/tmp/x, mode 0700) is fine.
 */
static int
trust_node(const char *path, const char *what, const char *dir,
           const struct stat *st, char *why, size_t whylen)
{
    uid_t me = geteuid();

    if (st->st_mode & (S_IWGRP | S_IWOTH)) {
        if (dir == NULL)
            snprintf(why, whylen,
                     "%s: refused: the module file is writable by %s (mode "
                     "%04o), so someone else could have put code in it; "
                     "run chmod go-w on it",
                     path, (st->st_mode & S_IWOTH) ? "others" : "its group",
                     (unsigned)(st->st_mode & 07777));
        else
            snprintf(why, whylen,
                     "%s: refused: %s %s is writable by %s (mode %04o), so "
                     "someone else could have swapped the module; run "
                     "chmod go-w on the directory or move the module",
                     path, what, dir,
                     (st->st_mode & S_IWOTH) ? "others" : "its group",
                     (unsigned)(st->st_mode & 07777));
        return CIO_EACCES;
    }
    if (st->st_uid != 0 && st->st_uid != me) {
        if (dir == NULL)
            snprintf(why, whylen,
                     "%s: refused: the module file is owned by uid %lu, "
                     "neither root nor the user this program runs as (uid "
                     "%lu); install the module as root or as that user",
                     path, (unsigned long)st->st_uid, (unsigned long)me);
        else
            snprintf(why, whylen,
                     "%s: refused: %s %s is owned by uid %lu, neither root "
                     "nor the user this program runs as (uid %lu); move the "
                     "module to a directory owned by root or by that user",
                     path, what, dir, (unsigned long)st->st_uid,
                     (unsigned long)me);
        return CIO_EPERM;
    }
    return 0;
}

/* The directory part of @path into a malloc'd string ("/" for "/x"). */
static char *
dir_of(const char *path)
{
    const char *slash = strrchr(path, '/');
    size_t n = slash == NULL ? 0 : (size_t)(slash - path);
    char *d = malloc(n + 2);

    if (d == NULL)
        return NULL;
    if (n == 0) {
        strcpy(d, slash == NULL ? "." : "/");
        return d;
    }
    memcpy(d, path, n);
    d[n] = '\0';
    return d;
}

/* trust_node for the directory of @file; @path is what messages name. */
static int
trust_dir(const char *path, const char *file, const char *what, char *why,
          size_t whylen)
{
    char *dir = dir_of(file);
    struct stat st;
    int rc;

    if (dir == NULL) {
        snprintf(why, whylen, "%s: out of memory", path);
        return CIO_ENOMEM;
    }
    if (stat(dir, &st) < 0) {
        rc = -errno;
        snprintf(why, whylen, "%s: cannot check %s %s: %s", path, what, dir,
                 strerror(errno));
    } else {
        rc = trust_node(path, what, dir, &st, why, whylen);
    }
    free(dir);
    return rc;
}

int
cio__dso_trusted(const char *path, char *why, size_t whylen)
{
    struct stat st;
    char *real;
    int rc;

    if (stat(path, &st) < 0) {
        rc = -errno;
        snprintf(why, whylen, "%s: cannot check the module file: %s", path,
                 strerror(errno));
        return rc;
    }
    rc = trust_node(path, "the module file", NULL, &st, why, whylen);
    if (rc == 0)
        rc = trust_dir(path, path, "its directory", why, whylen);
    if (rc < 0 || lstat(path, &st) < 0 || !S_ISLNK(st.st_mode))
        return rc;
    /* A symbolic link: the real file's directory must be safe as well. */
    real = realpath(path, NULL);
    if (real == NULL) {
        rc = -errno;
        snprintf(why, whylen, "%s: cannot resolve the link: %s", path,
                 strerror(errno));
        return rc;
    }
    rc = trust_dir(path, real, "the directory the link points into", why,
                   whylen);
    free(real);
    return rc;
}

static int
name_cmp(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static int
is_module_name(const char *name)
{
    size_t n = strlen(name), s = strlen(cio__dso_suffix);

    return n > 4 + s && strncmp(name, "cio_", 4) == 0 &&
           strcmp(name + n - s, cio__dso_suffix) == 0;
}

int
cio__dso_list_dir(const char *dir, int (*fn)(void *arg, const char *name),
                  void *arg)
{
    DIR *d = opendir(dir);
    struct dirent *e;
    char **names = NULL;
    size_t n = 0, cap = 0, i;
    int rc = 0;

    if (d == NULL)
        return -errno;
    while ((e = readdir(d)) != NULL) {
        char *copy;
        if (!is_module_name(e->d_name))
            continue;
        if (n == cap) {
            char **nn = realloc(names, (cap ? cap * 2 : 16) * sizeof(*nn));
            if (nn == NULL) {
                rc = CIO_ENOMEM;
                break;
            }
            names = nn;
            cap = cap ? cap * 2 : 16;
        }
        copy = strdup(e->d_name);
        if (copy == NULL) {
            rc = CIO_ENOMEM;
            break;
        }
        names[n++] = copy;
    }
    closedir(d);
    if (rc == 0 && n > 0)
        qsort(names, n, sizeof(*names), name_cmp);
    for (i = 0; i < n; i++) {
        if (rc == 0)
            rc = fn(arg, names[i]);
        free(names[i]);
    }
    free(names);
    return rc;
}
