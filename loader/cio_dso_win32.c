/* SPDX-License-Identifier: MIT */
/*
 * cio_dso_win32.c - LoadLibrary and friends. Paths arrive as UTF-8 (like
 * every string in compio) and go to the wide APIs as UTF-16, so module
 * directories with non-ASCII names work.
 */
#include "config.h"

#define WIN32_LEAN_AND_MEAN
#include <windows.h>
#include <aclapi.h>
#include <sddl.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <wchar.h>

#include "cio_loader_priv.h"
#include "cio_sys.h"

const char cio__dso_suffix[] = ".dll";

/*
 * UTF-8 to a malloc'd UTF-16 string, with '/' turned into '\': the
 * LoadLibraryEx documentation asks for backslashes in paths.
 */
static wchar_t *
to_wide(const char *s)
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

/* UTF-16 to UTF-8 into @buf; 0 or -1 when it does not fit. */
static int
to_utf8(const wchar_t *w, char *buf, size_t len)
{
    int n = WideCharToMultiByte(CP_UTF8, 0, w, -1, buf, (int)len, NULL, NULL);

    return n > 0 ? 0 : -1;
}

/* The system's text for @code, without the trailing CR LF. */
static void
format_error(DWORD code, char *err, size_t errlen)
{
    wchar_t wmsg[512];
    DWORD n = FormatMessageW(
        FORMAT_MESSAGE_FROM_SYSTEM | FORMAT_MESSAGE_IGNORE_INSERTS, NULL, code,
        0, wmsg, (DWORD)(sizeof(wmsg) / sizeof(wmsg[0])), NULL);

    while (n > 0 && (wmsg[n - 1] == L'\r' || wmsg[n - 1] == L'\n' ||
                     wmsg[n - 1] == L' ' || wmsg[n - 1] == L'.'))
        wmsg[--n] = L'\0';
    if (n == 0 || to_utf8(wmsg, err, errlen) < 0)
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

    format_error(code, sys, sizeof(sys));
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

/* The machine this library runs as: a module must be built for it. */
#if defined(__x86_64__) || defined(_M_X64)
#define HOST_MACHINE IMAGE_FILE_MACHINE_AMD64
#elif defined(__aarch64__) || defined(_M_ARM64)
#define HOST_MACHINE IMAGE_FILE_MACHINE_ARM64
#elif defined(__i386__) || defined(_M_IX86)
#define HOST_MACHINE IMAGE_FILE_MACHINE_I386
#endif

static const char *
machine_name(unsigned m)
{
    switch (m) {
    case IMAGE_FILE_MACHINE_AMD64:
        return "x86-64";
    case IMAGE_FILE_MACHINE_I386:
        return "32-bit x86";
    case IMAGE_FILE_MACHINE_ARM64:
        return "ARM64";
    case IMAGE_FILE_MACHINE_ARMNT:
        return "32-bit ARM";
    default:
        return "another machine";
    }
}

/* Little-endian fields of the headers, whatever the alignment. */
static unsigned
le16(const unsigned char *p)
{
    return (unsigned)p[0] | (unsigned)p[1] << 8;
}

static unsigned long
le32(const unsigned char *p)
{
    return (unsigned long)le16(p) | (unsigned long)le16(p + 2) << 16;
}

/*
 * A look at the PE headers before LoadLibrary, for the mistakes whose
 * system message says little ("%1 is not a valid Win32 application"),
 * each with its own sentence: not a Windows program at all, a program
 * rather than a DLL, a DLL for another machine, or a file cut short
 * (its sections lie past its end; Windows refuses it, but with a
 * message about the format). 0, or -1 with @err filled; a file that
 * cannot be read is left to LoadLibrary's own message. The headers of
 * any real DLL fit in the first 64 KiB; a section table further on is
 * not checked.
 */
#define PE_READ_MAX 65536u

static int
pe_check(const wchar_t *wpath, char *err, size_t errlen)
{
    HANDLE h =
        CreateFileW(wpath, GENERIC_READ,
                    FILE_SHARE_READ | FILE_SHARE_WRITE | FILE_SHARE_DELETE,
                    NULL, OPEN_EXISTING, FILE_ATTRIBUTE_NORMAL, NULL);
    LARGE_INTEGER size;
    unsigned char *b = NULL;
    DWORD got = 0;
    unsigned long pe, sect, i, nsect, raw, rawlen;
    unsigned machine, chars, optlen;
    int rc = 0;

    if (h == INVALID_HANDLE_VALUE)
        return 0;
    if (!GetFileSizeEx(h, &size) || (b = malloc(PE_READ_MAX)) == NULL ||
        !ReadFile(h, b, PE_READ_MAX, &got, NULL))
        goto out;
    if (got < 64 || b[0] != 'M' || b[1] != 'Z') {
        snprintf(err, errlen,
                 "not a Windows DLL: the file does not start with the "
                 "\"MZ\" of Windows programs");
        rc = -1;
        goto out;
    }
    pe = le32(b + 0x3c);
    if (pe > got - 24 || memcmp(b + pe, "PE\0\0", 4) != 0) {
        if (pe + 24 > (unsigned long long)size.QuadPart)
            goto truncated;
        snprintf(err, errlen,
                 "not a Windows DLL: an \"MZ\" file without a PE header "
                 "(a DOS program?)");
        rc = -1;
        goto out;
    }
    machine = le16(b + pe + 4);
    nsect = le16(b + pe + 6);
    optlen = le16(b + pe + 20);
    chars = le16(b + pe + 22);
#ifdef HOST_MACHINE
    if (machine != HOST_MACHINE) {
        snprintf(err, errlen,
                 "a DLL for %s (PE machine 0x%04x), but this program runs "
                 "as %s; a %s build of the module is needed",
                 machine_name(machine), machine, machine_name(HOST_MACHINE),
                 machine_name(HOST_MACHINE));
        rc = -1;
        goto out;
    }
#endif
    if ((chars & IMAGE_FILE_DLL) == 0) {
        snprintf(err, errlen,
                 "a Windows program (.exe), not a DLL: modules are built "
                 "as DLLs (-shared)");
        rc = -1;
        goto out;
    }
    sect = pe + 24 + optlen;
    for (i = 0; i < nsect; i++, sect += 40) {
        if (sect + 40 > got) {
            if (sect + 40 > (unsigned long long)size.QuadPart)
                goto truncated;
            break; /* a table beyond what was read: not checked */
        }
        rawlen = le32(b + sect + 16);
        raw = le32(b + sect + 20);
        if ((unsigned long long)raw + rawlen >
            (unsigned long long)size.QuadPart)
            goto truncated;
    }
    goto out;

truncated:
    snprintf(err, errlen,
             "file is truncated: its PE headers describe data beyond its "
             "%lld bytes",
             (long long)size.QuadPart);
    rc = -1;
out:
    free(b);
    CloseHandle(h);
    return rc;
}

/*
 * LOAD_WITH_ALTERED_SEARCH_PATH makes the module's own directory the one
 * searched for its dependencies (liburing has no Windows twin, but a
 * third-party module may bring DLLs along), not the application's.
 */
int
cio__dso_open(const char *path, void **handle, char *err, size_t errlen)
{
    wchar_t *wpath = to_wide(path);
    HMODULE h;
    UINT old_mode;

    *handle = NULL;
    if (wpath == NULL) {
        snprintf(err, errlen, "path is not valid UTF-8 or out of memory");
        return CIO_ELIBBAD;
    }
    if (pe_check(wpath, err, errlen) < 0) {
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
        if (n > 0 && n < MAX_PATH && to_utf8(wpath, dir, sizeof(dir)) == 0) {
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

/*
 * Loading that cannot be hijacked: the Windows form of the rules in
 * cio_dso_unix.c. A module is code that runs with the full rights of
 * the program, so nobody but the user the program runs as, or the
 * system itself, may have been able to put code in it: neither by
 * writing the file, nor by swapping it for another, which adding files
 * to or deleting files from its directory allows. Windows keeps who may
 * do what in each file's security descriptor, so the two POSIX rules
 * become:
 *
 *   the ACL lets someone else write or replace it    CIO_EACCES
 *   owned by someone else                            CIO_EPERM
 *
 * checked on the file, then on its directory, then (for a symbolic link
 * or a junction on the way) on the directory of the file it resolves
 * to. Ancestors further up are not checked, as on POSIX.
 *
 * "Someone else" is any account outside a small trusted set: the user
 * of this process's token, BUILTIN\Administrators (the owner of what an
 * elevated installer creates), LocalSystem, and NT SERVICE\
 * TrustedInstaller (the owner of the system's own DLLs). Any of those
 * can replace the program itself, so trusting them costs nothing.
 */

/* Room for the text of the longest SID: 15 sub-authorities of 10 digits. */
#define SID_TEXT_MAX 256

/*
 * NT SERVICE\TrustedInstaller: S-1-5-80-956008885-3418522649-
 * 1831038044-1853292631-2271478464, a service SID that has no
 * WELL_KNOWN_SID_TYPE of its own, so it is compared part by part.
 */
static int
is_trusted_installer(PSID sid)
{
    static const DWORD sub[] = {80u,         956008885u,  3418522649u,
                                1831038044u, 1853292631u, 2271478464u};
    static const BYTE nt[6] = {0, 0, 0, 0, 0, 5};
    PSID_IDENTIFIER_AUTHORITY auth = GetSidIdentifierAuthority(sid);
    DWORD i;

    if (*GetSidSubAuthorityCount(sid) != 6 ||
        memcmp(auth->Value, nt, sizeof(nt)) != 0)
        return 0;
    for (i = 0; i < 6; i++)
        if (*GetSidSubAuthority(sid, i) != sub[i])
            return 0;
    return 1;
}

/* May @sid own a module? @me is this process's user. */
static int
owner_trusted(PSID sid, PSID me)
{
    return EqualSid(sid, me) ||
           IsWellKnownSid(sid, WinBuiltinAdministratorsSid) ||
           IsWellKnownSid(sid, WinLocalSystemSid) || is_trusted_installer(sid);
}

/*
 * May an ACL entry for @sid grant write access? The trusted owners, the
 * object's own owner (who may rewrite the ACL anyway: WRITE_DAC is
 * implied for the owner, so an entry adds nothing; a foreign owner is
 * the owner rule's business), and the two placeholder SIDs: CREATOR
 * OWNER stands for whoever creates a child and grants nothing on the
 * object itself, OWNER RIGHTS only narrows what the owner may do.
 */
static int
writer_trusted(PSID sid, PSID owner, PSID me)
{
    return owner_trusted(sid, me) || (owner != NULL && EqualSid(sid, owner)) ||
           IsWellKnownSid(sid, WinCreatorOwnerSid) ||
           IsWellKnownSid(sid, WinCreatorOwnerRightsSid);
}

/*
 * The rights that let their holder change what gets loaded, with the
 * names the messages use. On the file: writing its bytes, changing its
 * ACL or owner (and then writing it), and deleting or renaming it (the
 * search then goes on to a module of the same name further down the
 * path). On a directory: adding a file (a module of the name looked
 * for, or a DLL the module imports), deleting any file in it whatever
 * that file's own ACL says, and adding a subdirectory (less direct, but
 * the loader cannot know which names under the directory a module will
 * look for, so it counts like adding a file). DELETE on
 * the directory itself is left out: renaming a directory away also
 * needs the right to add to its parent, which is not checked. The
 * generic rights are listed because an ACE may hold them unmapped.
 */
typedef struct right {
    DWORD bit;
    const char *name;
} right;

static const right file_rights[] = {
    {FILE_WRITE_DATA, "FILE_WRITE_DATA"},
    {FILE_APPEND_DATA, "FILE_APPEND_DATA"},
    {WRITE_DAC, "WRITE_DAC"},
    {WRITE_OWNER, "WRITE_OWNER"},
    {DELETE, "DELETE"},
    {GENERIC_WRITE, "GENERIC_WRITE"},
    {GENERIC_ALL, "GENERIC_ALL"},
};

static const right dir_rights[] = {
    {FILE_ADD_FILE, "FILE_ADD_FILE"},
    {FILE_ADD_SUBDIRECTORY, "FILE_ADD_SUBDIRECTORY"},
    {FILE_DELETE_CHILD, "FILE_DELETE_CHILD"},
    {WRITE_DAC, "WRITE_DAC"},
    {WRITE_OWNER, "WRITE_OWNER"},
    {GENERIC_WRITE, "GENERIC_WRITE"},
    {GENERIC_ALL, "GENERIC_ALL"},
};

/* The names of the rights of @mask in @set, joined by '|', into @buf. */
static void
rights_text(ACCESS_MASK mask, const right *set, size_t n, char *buf, size_t len)
{
    size_t i, used = 0;

    buf[0] = '\0';
    for (i = 0; i < n; i++) {
        int k;
        if ((mask & set[i].bit) == 0)
            continue;
        k = snprintf(buf + used, len - used, "%s%s", used > 0 ? "|" : "",
                     set[i].name);
        if (k < 0 || (size_t)k >= len - used)
            break;
        used += (size_t)k;
    }
}

/*
 * "DOMAIN\name (S-1-...)" into @buf, or the SID alone when it names no
 * account here, and the bare SID string into @sidbuf (what icacls takes
 * as "*S-1-..."). The lookup may ask a domain controller, but it only
 * runs when a module is refused.
 */
static void
sid_text(PSID sid, char *buf, size_t len, char *sidbuf, size_t sidlen)
{
    wchar_t name[256], domain[256], *wsid = NULL;
    DWORD nn = 256, dn = 256;
    SID_NAME_USE use;
    char nameu[768], domu[768];

    if (!ConvertSidToStringSidW(sid, &wsid) ||
        to_utf8(wsid, sidbuf, sidlen) < 0)
        snprintf(sidbuf, sidlen, "an unreadable SID");
    if (wsid != NULL)
        LocalFree(wsid);
    if (LookupAccountSidW(NULL, sid, name, &nn, domain, &dn, &use) &&
        to_utf8(name, nameu, sizeof(nameu)) == 0 &&
        to_utf8(domain, domu, sizeof(domu)) == 0) {
        snprintf(buf, len, "%s%s%s (%s)", domu, domu[0] != '\0' ? "\\" : "",
                 nameu, sidbuf);
        return;
    }
    snprintf(buf, len, "%s", sidbuf);
}

/*
 * The SID an allow entry grants @mask to, or NULL for entries that grant
 * nothing: deny entries (ignored, so a file whose writer is also denied
 * is still refused; weighing entry order is the access check's job, and
 * refusing a safe module is the cheaper mistake), audit and integrity
 * labels, and inherit-only entries, which only reach future children.
 * Object entries (directory-service objects; not seen on files) are
 * read all the same, their SID after the optional GUIDs.
 */
static PSID
ace_grant(const ACE_HEADER *h, ACCESS_MASK *mask)
{
    const BYTE *p;

    if ((h->AceFlags & INHERIT_ONLY_ACE) != 0)
        return NULL;
    switch (h->AceType) {
    case ACCESS_ALLOWED_ACE_TYPE:
    case ACCESS_ALLOWED_CALLBACK_ACE_TYPE:
        *mask = ((const ACCESS_ALLOWED_ACE *)h)->Mask;
        return (PSID) & ((const ACCESS_ALLOWED_ACE *)h)->SidStart;
    case ACCESS_ALLOWED_OBJECT_ACE_TYPE:
    case ACCESS_ALLOWED_CALLBACK_OBJECT_ACE_TYPE: {
        const ACCESS_ALLOWED_OBJECT_ACE *o = (const void *)h;
        *mask = o->Mask;
        p = (const BYTE *)&o->ObjectType;
        if ((o->Flags & ACE_OBJECT_TYPE_PRESENT) != 0)
            p += sizeof(GUID);
        if ((o->Flags & ACE_INHERITED_OBJECT_TYPE_PRESENT) != 0)
            p += sizeof(GUID);
        return (PSID)p;
    }
    default:
        return NULL;
    }
}

/*
 * One file or directory judged by its owner and DACL. @dir is NULL for
 * the module file, else the directory's name for the message and @what
 * says which directory it is.
 */
static int
trust_node(const char *path, const char *what, const char *dir, PSID owner,
           const ACL *dacl, PSID me, char *why, size_t whylen)
{
    const right *set = dir == NULL ? file_rights : dir_rights;
    size_t nset = dir == NULL ? sizeof(file_rights) / sizeof(file_rights[0])
                              : sizeof(dir_rights) / sizeof(dir_rights[0]);
    char who[SID_TEXT_MAX + 1024], rights[160], mine[SID_TEXT_MAX + 1024];
    char sid_s[SID_TEXT_MAX];
    DWORD i;

    if (dacl == NULL) {
        /* No DACL at all: everyone has every right. */
        if (dir == NULL)
            snprintf(why, whylen,
                     "%s: refused: the module file has no ACL (a NULL DACL "
                     "gives everyone full control), so someone else could "
                     "have put code in it; give it an ACL (icacls /reset)",
                     path);
        else
            snprintf(why, whylen,
                     "%s: refused: %s %s has no ACL (a NULL DACL gives "
                     "everyone full control), so someone else could have "
                     "swapped the module; give the directory an ACL or move "
                     "the module",
                     path, what, dir);
        return CIO_EACCES;
    }
    for (i = 0; i < dacl->AceCount; i++) {
        ACE_HEADER *h;
        ACCESS_MASK mask = 0, bad = 0;
        PSID sid;
        size_t k;

        if (!GetAce((PACL)dacl, i, (void **)&h))
            continue;
        sid = ace_grant(h, &mask);
        if (sid == NULL || !IsValidSid(sid))
            continue;
        for (k = 0; k < nset; k++)
            bad |= mask & set[k].bit;
        if (bad == 0 || writer_trusted(sid, owner, me))
            continue;
        sid_text(sid, who, sizeof(who), sid_s, sizeof(sid_s));
        rights_text(bad, set, nset, rights, sizeof(rights));
        if (dir == NULL)
            snprintf(why, whylen,
                     "%s: refused: the module file is writable by %s: an "
                     "entry of its ACL grants %s, so someone else could "
                     "have put code in it; remove that entry (icacls FILE "
                     "/remove *%s)",
                     path, who, rights, sid_s);
        else
            snprintf(why, whylen,
                     "%s: refused: %s %s is writable by %s: an entry of its "
                     "ACL grants %s, so someone else could have swapped the "
                     "module; remove that entry (icacls DIR /remove *%s) or "
                     "move the module",
                     path, what, dir, who, rights, sid_s);
        return CIO_EACCES;
    }
    if (owner == NULL || !IsValidSid(owner)) {
        /* A descriptor without an owner: nobody vouches for the file. */
        snprintf(who, sizeof(who), "nobody (no owner recorded)");
    } else if (owner_trusted(owner, me)) {
        return 0;
    } else {
        sid_text(owner, who, sizeof(who), sid_s, sizeof(sid_s));
    }
    sid_text(me, mine, sizeof(mine), sid_s, sizeof(sid_s));
    if (dir == NULL)
        snprintf(why, whylen,
                 "%s: refused: the module file is owned by %s, neither the "
                 "user this program runs as, %s, nor Administrators, SYSTEM "
                 "or TrustedInstaller; install the module as one of them or "
                 "give it to one (icacls FILE /setowner)",
                 path, who, mine);
    else
        snprintf(why, whylen,
                 "%s: refused: %s %s is owned by %s, neither the user this "
                 "program runs as, %s, nor Administrators, SYSTEM or "
                 "TrustedInstaller; move the module to a directory owned "
                 "by one of them",
                 path, what, dir, who, mine);
    return CIO_EPERM;
}

/* An open file or directory with its owner and DACL. */
typedef struct node {
    HANDLE h;
    PSECURITY_DESCRIPTOR sd;
    PSID owner;
    PACL dacl;
    BY_HANDLE_FILE_INFORMATION id;
} node;

/*
 * Open @wpath (following links, as LoadLibrary will) for reading its
 * security descriptor and identity: 0 or a Win32 error code. Backup
 * semantics let the same call open directories; the sharing mode
 * disturbs nobody else's use of the file.
 */
static DWORD
node_open(const wchar_t *wpath, node *n)
{
    DWORD code;

    memset(n, 0, sizeof(*n));
    n->h = CreateFileW(wpath, READ_CONTROL | FILE_READ_ATTRIBUTES,
                       FILE_SHARE_READ | FILE_SHARE_WRITE | FILE_SHARE_DELETE,
                       NULL, OPEN_EXISTING, FILE_FLAG_BACKUP_SEMANTICS, NULL);
    if (n->h == INVALID_HANDLE_VALUE)
        return GetLastError();
    if (!GetFileInformationByHandle(n->h, &n->id)) {
        code = GetLastError();
        CloseHandle(n->h);
        n->h = INVALID_HANDLE_VALUE;
        return code;
    }
    code =
        GetSecurityInfo(n->h, SE_FILE_OBJECT,
                        OWNER_SECURITY_INFORMATION | DACL_SECURITY_INFORMATION,
                        &n->owner, NULL, &n->dacl, NULL, &n->sd);
    if (code != ERROR_SUCCESS) {
        CloseHandle(n->h);
        n->h = INVALID_HANDLE_VALUE;
    }
    return code;
}

static void
node_close(node *n)
{
    if (n->sd != NULL)
        LocalFree(n->sd);
    if (n->h != NULL && n->h != INVALID_HANDLE_VALUE)
        CloseHandle(n->h);
    memset(n, 0, sizeof(*n));
}

static int
same_node(const node *a, const node *b)
{
    return a->id.dwVolumeSerialNumber == b->id.dwVolumeSerialNumber &&
           a->id.nFileIndexHigh == b->id.nFileIndexHigh &&
           a->id.nFileIndexLow == b->id.nFileIndexLow;
}

/*
 * The directory part of @w in a malloc'd string: up to its last '\',
 * which is kept for a drive's root ("C:\x.dll" gives "C:\").
 */
static wchar_t *
wdir_of(const wchar_t *w)
{
    const wchar_t *slash = wcsrchr(w, L'\\');
    size_t n;
    wchar_t *d;

    if (slash == NULL)
        return NULL;
    n = (size_t)(slash - w);
    if (n == 0 || w[n - 1] == L':')
        n++;
    d = malloc((n + 1) * sizeof(*d));
    if (d == NULL)
        return NULL;
    memcpy(d, w, n * sizeof(*d));
    d[n] = L'\0';
    return d;
}

/* Why @code stops the check of @what (@dir, if a directory). */
static int
check_failed(const char *path, const char *what, const char *dir, DWORD code,
             char *why, size_t whylen)
{
    char sys[512];

    format_error(code, sys, sizeof(sys));
    snprintf(why, whylen, "%s: cannot check %s%s%s: %s (error %lu)", path, what,
             dir != NULL ? " " : "", dir != NULL ? dir : "", sys,
             (unsigned long)code);
    return cio__sys_win32_error(code);
}

/* Open the directory @wdir and judge it; @dirnode receives it open. */
static int
trust_dir(const char *path, const wchar_t *wdir, const char *what, PSID me,
          node *dirnode, char *why, size_t whylen)
{
    char dir[MAX_PATH * 3];
    const wchar_t *shown = wdir;
    DWORD code;

    /* Messages show "C:\x", not the "\\?\C:\x" of final paths. */
    if (wcsncmp(shown, L"\\\\?\\", 4) == 0 && shown[4] != L'\0' &&
        shown[5] == L':')
        shown += 4;
    if (to_utf8(shown, dir, sizeof(dir)) < 0)
        snprintf(dir, sizeof(dir), "(a path too long to show)");
    code = node_open(wdir, dirnode);
    if (code != 0)
        return check_failed(path, what, dir, code, why, whylen);
    return trust_node(path, what, dir, dirnode->owner, dirnode->dacl, me, why,
                      whylen);
}

/* This process's user into @buf (sized for any TOKEN_USER): 0 or code. */
static DWORD
token_user(void *buf, DWORD len, PSID *me)
{
    HANDLE t;
    DWORD got, code = 0;

    if (!OpenProcessToken(GetCurrentProcess(), TOKEN_QUERY, &t))
        return GetLastError();
    if (!GetTokenInformation(t, TokenUser, buf, len, &got))
        code = GetLastError();
    CloseHandle(t);
    if (code == 0)
        *me = ((TOKEN_USER *)buf)->User.Sid;
    return code;
}

int
cio__dso_trusted(const char *path, char *why, size_t whylen)
{
    union {
        TOKEN_USER tu;
        BYTE b[sizeof(TOKEN_USER) + SECURITY_MAX_SID_SIZE];
    } tok;
    wchar_t *wpath = to_wide(path), *wdir = NULL, *wreal = NULL, *wrdir = NULL;
    node file = {0}, dir = {0}, rdir = {0};
    PSID me = NULL;
    DWORD code, n;
    int rc;

    if (wpath == NULL) {
        snprintf(why, whylen,
                 "%s: cannot check the module file: path is not valid "
                 "UTF-8 or out of memory",
                 path);
        return CIO_EINVAL;
    }
    code = token_user(&tok, sizeof(tok), &me);
    if (code != 0) {
        rc = check_failed(path, "the user this program runs as", NULL, code,
                          why, whylen);
        goto out;
    }
    code = node_open(wpath, &file);
    if (code != 0) {
        rc = check_failed(path, "the module file", NULL, code, why, whylen);
        goto out;
    }
    rc = trust_node(path, "the module file", NULL, file.owner, file.dacl, me,
                    why, whylen);
    if (rc < 0)
        goto out;
    wdir = wdir_of(wpath);
    if (wdir == NULL) {
        snprintf(why, whylen, "%s: out of memory", path);
        rc = CIO_ENOMEM;
        goto out;
    }
    rc = trust_dir(path, wdir, "its directory", me, &dir, why, whylen);
    if (rc < 0)
        goto out;
    /*
     * Where the file really is, after symbolic links and junctions:
     * when that directory is another one, it must be safe as well.
     */
    n = GetFinalPathNameByHandleW(file.h, NULL, 0, FILE_NAME_NORMALIZED);
    wreal = n > 0 ? malloc((size_t)(n + 1) * sizeof(*wreal)) : NULL;
    if (wreal == NULL || GetFinalPathNameByHandleW(file.h, wreal, n + 1,
                                                   FILE_NAME_NORMALIZED) == 0) {
        rc = check_failed(path, "where the module file resolves to", NULL,
                          wreal == NULL && n > 0 ? ERROR_NOT_ENOUGH_MEMORY
                                                 : GetLastError(),
                          why, whylen);
        goto out;
    }
    wrdir = wdir_of(wreal);
    if (wrdir == NULL) {
        snprintf(why, whylen, "%s: out of memory", path);
        rc = CIO_ENOMEM;
        goto out;
    }
    code = node_open(wrdir, &rdir);
    if (code != 0) {
        rc = check_failed(path, "the directory the link points into", NULL,
                          code, why, whylen);
        goto out;
    }
    if (!same_node(&dir, &rdir)) {
        node_close(&rdir);
        rc = trust_dir(path, wrdir, "the directory the link points into", me,
                       &rdir, why, whylen);
    }

out:
    node_close(&rdir);
    node_close(&dir);
    node_close(&file);
    free(wrdir);
    free(wreal);
    free(wdir);
    free(wpath);
    return rc;
}

int
cio__dso_exists(const char *path)
{
    wchar_t *wpath = to_wide(path);
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
    wpattern = to_wide(pattern);
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
            to_utf8(fd.cFileName, name, sizeof(name)) < 0)
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
