/* SPDX-License-Identifier: MIT */
/*
 * cio_dso_trust_win32.c - cio__dso_trusted for Windows: may anyone but
 * this user, or the system itself, have put code in a module? Read from
 * the owner and DACL of the file, its directory and the directory a link
 * leads into.
 */
#include "config.h"

#define WIN32_LEAN_AND_MEAN
#include <windows.h>
#include <aclapi.h>
#include <sddl.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <wchar.h>

#include "cio_dso_win32.h"
#include "cio_loader_priv.h"
#include "cio_sys.h"

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
        cio__dso_to_utf8(wsid, sidbuf, sidlen) < 0)
        snprintf(sidbuf, sidlen, "an unreadable SID");
    if (wsid != NULL)
        LocalFree(wsid);
    if (LookupAccountSidW(NULL, sid, name, &nn, domain, &dn, &use) &&
        cio__dso_to_utf8(name, nameu, sizeof(nameu)) == 0 &&
        cio__dso_to_utf8(domain, domu, sizeof(domu)) == 0) {
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

    cio__dso_format_error(code, sys, sizeof(sys));
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
    if (cio__dso_to_utf8(shown, dir, sizeof(dir)) < 0)
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
    wchar_t *wpath = cio__dso_to_wide(path), *wdir = NULL, *wreal = NULL,
            *wrdir = NULL;
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
