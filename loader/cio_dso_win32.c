/* SPDX-License-Identifier: MIT */
/*
 * cio_dso_win32.c - LoadLibrary and friends. Paths arrive as UTF-8 (like
 * every string in compio) and go to the wide APIs as UTF-16, so module
 * directories with non-ASCII names work. The PE header check lives in
 * cio_dso_pe_win32.c, the owner and ACL check in cio_dso_trust_win32.c.
 */
#include "config.h"

#define WIN32_LEAN_AND_MEAN
#include <windows.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <wchar.h>

#include "cio_dso_win32.h"
#include "cio_loader_priv.h"
#include "cio_sys.h"

const char cio__dso_suffix[] = ".dll";

/* Documented in cio_dso_win32.h. */
wchar_t *
cio__dso_to_wide(const char *s)
{
    int n = MultiByteToWideChar(CP_UTF8, MB_ERR_INVALID_CHARS, s, -1, NULL, 0);
    wchar_t *w, *p;

    if (n <= 0)
        return NULL;
    w = malloc((size_t)n * sizeof(*w));
    if (w == NULL)
        return NULL;
    if (MultiByteToWideChar(CP_UTF8, MB_ERR_INVALID_CHARS, s, -1, w, n) <= 0) {
        free(w);
        return NULL;
    }
    for (p = w; *p != L'\0'; p++)
        if (*p == L'/')
            *p = L'\\';
    return w;
}

int
cio__dso_to_utf8(const wchar_t *w, char *buf, size_t len)
{
    int n = WideCharToMultiByte(CP_UTF8, 0, w, -1, buf, (int)len, NULL, NULL);

    return n > 0 ? 0 : -1;
}

void
cio__dso_format_error(DWORD code, char *err, size_t errlen)
{
    wchar_t wmsg[512];
    DWORD n = FormatMessageW(
        FORMAT_MESSAGE_FROM_SYSTEM | FORMAT_MESSAGE_IGNORE_INSERTS, NULL, code,
        0, wmsg, (DWORD)(sizeof(wmsg) / sizeof(wmsg[0])), NULL);

    while (n > 0 && (wmsg[n - 1] == L'\r' || wmsg[n - 1] == L'\n' ||
                     wmsg[n - 1] == L' ' || wmsg[n - 1] == L'.'))
        wmsg[--n] = L'\0';
    if (n == 0 || cio__dso_to_utf8(wmsg, err, errlen) < 0)
        snprintf(err, errlen, "error %lu", (unsigned long)code);
}

/*
 * What LoadLibraryEx's failure means for a file that exists (the loader
 * checked that first): the three common causes get a sentence naming
 * the likely fix, anything else the system's text. The code is always
 * given, for searching.
 */
static void
load_error(DWORD code, char *err, size_t errlen)
{
    char sys[512];

    cio__dso_format_error(code, sys, sizeof(sys));
    switch (code) {
    case ERROR_MOD_NOT_FOUND:
        snprintf(err, errlen,
                 "a DLL it needs is missing (error 126: %s); put the "
                 "module's dependencies next to it or on PATH",
                 sys);
        break;
    case ERROR_PROC_NOT_FOUND:
        snprintf(err, errlen,
                 "a DLL it needs lacks a function it imports (error 127: "
                 "%s); the module was built against another version of "
                 "that DLL",
                 sys);
        break;
    case ERROR_BAD_EXE_FORMAT:
    case ERROR_EXE_MACHINE_TYPE_MISMATCH:
        snprintf(err, errlen,
                 "not a DLL for this system (error %lu: %s); a 64-bit "
                 "Windows build of the module is needed",
                 (unsigned long)code, sys);
        break;
    default:
        snprintf(err, errlen, "error %lu: %s", (unsigned long)code, sys);
        break;
    }
}

/*
 * LOAD_WITH_ALTERED_SEARCH_PATH makes the module's own directory the one
 * searched for its dependencies (liburing has no Windows twin, but a
 * third-party module may bring DLLs along), not the application's.
 */
int
cio__dso_open(const char *path, void **handle, char *err, size_t errlen)
{
    wchar_t *wpath = cio__dso_to_wide(path);
    HMODULE h;
    UINT old_mode;

    *handle = NULL;
    if (wpath == NULL) {
        snprintf(err, errlen, "path is not valid UTF-8 or out of memory");
        return CIO_ELIBBAD;
    }
    if (cio__dso_pe_check(wpath, err, errlen) < 0) {
        free(wpath);
        return CIO_ELIBBAD;
    }
    /* No "cannot load" dialog box in a library call. */
    old_mode = SetErrorMode(SEM_FAILCRITICALERRORS | SEM_NOOPENFILEERRORBOX);
    h = LoadLibraryExW(wpath, NULL, LOAD_WITH_ALTERED_SEARCH_PATH);
    if (h == NULL)
        load_error(GetLastError(), err, errlen);
    SetErrorMode(old_mode);
    free(wpath);
    if (h == NULL)
        return CIO_ELIBBAD;
    *handle = (void *)h;
    return 0;
}

void *
cio__dso_sym(void *handle, const char *symbol)
{
    FARPROC p = GetProcAddress((HMODULE)handle, symbol);
    void *v;

    /* FARPROC to data pointer: copy the bits, as POSIX dlsym does. */
    memcpy(&v, &p, sizeof(v));
    return v;
}

void
cio__dso_close(void *handle)
{
    const char *keep = cio__getenv("COMPIO_NO_DLCLOSE");

    if (handle == NULL || (keep != NULL && keep[0] != '\0'))
        return;
    FreeLibrary((HMODULE)handle);
}

/*
 * Windows has no meaningful compile-time library path: modules live
 * next to the core DLL. Computed once; the answer cannot change while
 * the DLL is loaded.
 */
const char *
cio__dso_default_dir(void)
{
    static char dir[MAX_PATH * 3];
    static INIT_ONCE once = INIT_ONCE_STATIC_INIT;
    BOOL pending;
    HMODULE self;
    wchar_t wpath[MAX_PATH];
    DWORD n;
    char *slash;

    if (!InitOnceBeginInitialize(&once, 0, &pending, NULL))
        return NULL;
    if (!pending)
        return dir[0] != '\0' ? dir : NULL;
    if (GetModuleHandleExW(GET_MODULE_HANDLE_EX_FLAG_FROM_ADDRESS |
                               GET_MODULE_HANDLE_EX_FLAG_UNCHANGED_REFCOUNT,
                           (LPCWSTR)(void *)&cio__dso_default_dir, &self)) {
        n = GetModuleFileNameW(self, wpath, MAX_PATH);
        if (n > 0 && n < MAX_PATH &&
            cio__dso_to_utf8(wpath, dir, sizeof(dir)) == 0) {
            slash = strrchr(dir, '\\');
            if (slash != NULL)
                *slash = '\0';
            else
                dir[0] = '\0';
        }
    }
    InitOnceComplete(&once, 0, NULL);
    return dir[0] != '\0' ? dir : NULL;
}

int
cio__dso_exists(const char *path)
{
    wchar_t *wpath = cio__dso_to_wide(path);
    DWORD attr;

    if (wpath == NULL)
        return 0;
    attr = GetFileAttributesW(wpath);
    free(wpath);
    return attr != INVALID_FILE_ATTRIBUTES &&
           (attr & FILE_ATTRIBUTE_DIRECTORY) == 0;
}

static int
name_cmp(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static int
map_error(DWORD code)
{
    switch (code) {
    case ERROR_FILE_NOT_FOUND:
    case ERROR_PATH_NOT_FOUND:
        return CIO_ENOENT;
    case ERROR_ACCESS_DENIED:
        return CIO_EACCES;
    case ERROR_DIRECTORY:
        return CIO_ENOTDIR;
    case ERROR_NOT_ENOUGH_MEMORY:
    case ERROR_OUTOFMEMORY:
        return CIO_ENOMEM;
    default:
        return CIO_EIO;
    }
}

int
cio__dso_list_dir(const char *dir, int (*fn)(void *arg, const char *name),
                  void *arg)
{
    size_t dlen = strlen(dir), n = 0, cap = 0, i;
    char *pattern = malloc(dlen + 16), **names = NULL;
    wchar_t *wpattern;
    WIN32_FIND_DATAW fd;
    HANDLE h;
    int rc = 0;

    if (pattern == NULL)
        return CIO_ENOMEM;
    snprintf(pattern, dlen + 16, "%s\\cio_*.dll", dir);
    wpattern = cio__dso_to_wide(pattern);
    free(pattern);
    if (wpattern == NULL)
        return CIO_ENOMEM;
    h = FindFirstFileW(wpattern, &fd);
    free(wpattern);
    if (h == INVALID_HANDLE_VALUE) {
        DWORD code = GetLastError();
        /* A directory without modules is not an error. */
        return code == ERROR_FILE_NOT_FOUND ? 0 : map_error(code);
    }
    do {
        char name[MAX_PATH * 3], **nn;
        if ((fd.dwFileAttributes & FILE_ATTRIBUTE_DIRECTORY) != 0 ||
            cio__dso_to_utf8(fd.cFileName, name, sizeof(name)) < 0)
            continue;
        if (n == cap) {
            nn = realloc(names, (cap ? cap * 2 : 16) * sizeof(*nn));
            if (nn == NULL) {
                rc = CIO_ENOMEM;
                break;
            }
            names = nn;
            cap = cap ? cap * 2 : 16;
        }
        names[n] = _strdup(name);
        if (names[n] == NULL) {
            rc = CIO_ENOMEM;
            break;
        }
        n++;
    } while (FindNextFileW(h, &fd));
    FindClose(h);
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
