/* SPDX-License-Identifier: MIT */
/*
 * check_loader_win32 - the Windows-only loader cases, through the public
 * API: broken PE files refused before LoadLibrary, each with its own
 * message, and the Windows form of the hijack rules (a module file or
 * directory writable through an ACL entry, or owned by someone else, is
 * refused). The cases both platforms share are in check_loader.c.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <compio.h>

#include "cio_test.h"
#include "cio_test_loader.h"

#include <aclapi.h>
#include <sddl.h>

/* ---- PE files the loader refuses before LoadLibrary ---- */

/*
 * Copies of the good fixture DLL, each broken in one way, loaded by
 * absolute Windows path (backend = C:\...\cio_x.dll): every one is
 * CIO_ELIBBAD, as on Linux, with a message saying which way it is
 * broken (loader/cio_dso_win32.c, pe_check). The DLL without the
 * module's entry symbol is the "nosym" fixture above.
 */
enum pe_break {
    PE_I386,        /* machine field: 32-bit x86 */
    PE_ARM64,       /* machine field: ARM64 */
    PE_EXE,         /* IMAGE_FILE_DLL cleared: a program */
    PE_DOS,         /* MZ header whose PE offset points at no PE header */
    PE_CUT_THIRD,   /* the first third of the file */
    PE_CUT_HEADERS, /* cut inside the PE header */
    PE_NO_MZ,       /* random bytes */
};

static const struct pe_case {
    enum pe_break how;
    const char *hint;
} pe_cases[] = {
    {PE_I386, "a DLL for 32-bit x86 (PE machine 0x014c), but this program "
              "runs as x86-64"},
    {PE_ARM64, "a DLL for ARM64 (PE machine 0xaa64)"},
    {PE_EXE, "a Windows program (.exe), not a DLL"},
    {PE_DOS, "an \"MZ\" file without a PE header"},
    {PE_CUT_THIRD, "file is truncated: its PE headers describe data beyond"},
    {PE_CUT_HEADERS, "file is truncated"},
    {PE_NO_MZ, "does not start with the \"MZ\" of Windows programs"},
};

START_TEST(pe_broken_refused)
{
    const struct pe_case *pc = &pe_cases[_i];
    char dir[PATH_MAX], src[PATH_MAX], file[PATH_MAX];
    unsigned char *b;
    size_t n, pe, i;
    long len;
    FILE *fp;

    path_in(src, sizeof(src), fixdir, "cio_good" SO);
    fp = fopen(src, "rb");
    ck_assert_ptr_nonnull(fp);
    ck_assert_int_eq(fseek(fp, 0, SEEK_END), 0);
    len = ftell(fp);
    ck_assert_int_gt(len, 1024);
    rewind(fp);
    b = malloc((size_t)len);
    ck_assert_ptr_nonnull(b);
    ck_assert_uint_eq(fread(b, 1, (size_t)len, fp), (size_t)len);
    fclose(fp);
    n = (size_t)len;
    pe = (size_t)b[0x3c] | (size_t)b[0x3d] << 8;
    ck_assert(pe + 24 < n && memcmp(b + pe, "PE\0\0", 4) == 0);
    switch (pc->how) {
    case PE_I386:
        b[pe + 4] = 0x4c, b[pe + 5] = 0x01;
        break;
    case PE_ARM64:
        b[pe + 4] = 0x64, b[pe + 5] = 0xaa;
        break;
    case PE_EXE:
        b[pe + 23] &= (unsigned char)~(IMAGE_FILE_DLL >> 8);
        break;
    case PE_DOS:
        b[pe] = 'N';
        break;
    case PE_CUT_THIRD:
        n /= 3;
        break;
    case PE_CUT_HEADERS:
        n = pe + 12;
        break;
    case PE_NO_MZ:
        for (i = 0; i < n; i++)
            b[i] = (unsigned char)(i * 7919u + 13u);
        break;
    }
    /* An absolute path in Windows form, as an ini file would hold it. */
    ck_assert_ptr_nonnull(cio_test_mkdtemp(dir, sizeof(dir)));
    snprintf(file, sizeof(file), "%s\\cio_broken.dll", dir);
    fp = fopen(file, "wb");
    ck_assert_ptr_nonnull(fp);
    ck_assert_uint_eq(fwrite(b, 1, n, fp), n);
    fclose(fp);
    free(b);
    ck_assert_int_eq(try_open(file, "no"), CIO_ELIBBAD);
    assert_detail_has(file);
    assert_detail_has("cannot load");
    assert_detail_has(pc->hint);
    DeleteFileA(file);
    RemoveDirectoryA(dir);
}
END_TEST

/* ---- loading that cannot be hijacked: ACLs and owners ---- */

/*
 * The Windows form of the hijack rules (loader/cio_dso_win32.c): an ACL
 * entry that lets someone other than this user, Administrators, SYSTEM
 * or TrustedInstaller write the module file or add to its directory is
 * CIO_EACCES; a file or directory owned by anyone else is CIO_EPERM.
 *
 * Under wine 8 a file's security descriptor is made from its Unix mode
 * and owner, nothing else is kept: the file's owner is this user when
 * the Unix uid is wine's, ANONYMOUS LOGON (S-1-5-7) otherwise; "others"
 * write becomes an Everyone entry; group bits and entries for any other
 * SID are dropped, and a NULL DACL turns into mode 0777. So an Everyone
 * entry set with SetNamedSecurityInfoW is honoured (wine chmods the
 * file), an owner can only be changed with a Unix chown, and the cases
 * wine cannot express are probed once and reported as TAP SKIPs with
 * the reason instead of passing without checking anything.
 */
/* Open @path with fallback = no: the code, and the detail checked. */
static int
open_path_win(const char *path)
{
    return try_open(path, "no");
}

typedef struct acl_copy {
    char dir[PATH_MAX];
    char file[PATH_MAX];
} acl_copy;

/* A private copy of the good fixture in a fresh directory of %TEMP%. */
static void
acl_make(acl_copy *c)
{
    char src[PATH_MAX];

    ck_assert_ptr_nonnull(cio_test_mkdtemp(c->dir, sizeof(c->dir)));
    path_in(src, sizeof(src), fixdir, "cio_good" SO);
    path_in(c->file, sizeof(c->file), c->dir, "cio_good" SO);
    copy_file(src, c->file, 0);
    /* Not on the search path: only the absolute path leads to it. */
    setenv("COMPIO_MODULE_PATH", "C:\\nonexistent", 1);
}

static void
acl_free(acl_copy *c)
{
    /* Files wine chmods 0777 stay deletable; errors do not matter. */
    DeleteFileA(c->file);
    RemoveDirectoryA(c->dir);
}

/*
 * Add an allow entry granting @mask to the SID @ssid (string form) on
 * @path, with ACE flags @flags: 0 or the Win32 error.
 */
static DWORD
acl_grant(const char *path, const char *ssid, DWORD mask, DWORD flags)
{
    PSECURITY_DESCRIPTOR sd = NULL;
    PACL dacl = NULL, ndacl = NULL;
    EXPLICIT_ACCESSA ea;
    PSID sid = NULL;
    DWORD rc;

    if (!ConvertStringSidToSidA(ssid, &sid))
        return GetLastError();
    rc = GetNamedSecurityInfoA(path, SE_FILE_OBJECT, DACL_SECURITY_INFORMATION,
                               NULL, NULL, &dacl, NULL, &sd);
    if (rc == 0) {
        memset(&ea, 0, sizeof(ea));
        ea.grfAccessPermissions = mask;
        ea.grfAccessMode = GRANT_ACCESS;
        ea.grfInheritance = flags;
        ea.Trustee.TrusteeForm = TRUSTEE_IS_SID;
        ea.Trustee.ptstrName = (LPSTR)sid;
        rc = SetEntriesInAclA(1, &ea, dacl, &ndacl);
    }
    if (rc == 0)
        rc = SetNamedSecurityInfoA((LPSTR)path, SE_FILE_OBJECT,
                                   DACL_SECURITY_INFORMATION, NULL, NULL, ndacl,
                                   NULL);
    LocalFree(ndacl);
    LocalFree(sd);
    LocalFree(sid);
    return rc;
}

/* Does @path's DACL hold an allow entry for @ssid with all of @mask? */
static int
acl_has(const char *path, const char *ssid, DWORD mask, DWORD flags)
{
    PSECURITY_DESCRIPTOR sd = NULL;
    PACL dacl = NULL;
    PSID sid = NULL;
    DWORD i;
    int found = 0;

    if (!ConvertStringSidToSidA(ssid, &sid))
        return 0;
    if (GetNamedSecurityInfoA(path, SE_FILE_OBJECT, DACL_SECURITY_INFORMATION,
                              NULL, NULL, &dacl, NULL, &sd) == 0 &&
        dacl != NULL)
        for (i = 0; i < dacl->AceCount && !found; i++) {
            ACCESS_ALLOWED_ACE *a;
            if (GetAce(dacl, i, (void **)&a) &&
                a->Header.AceType == ACCESS_ALLOWED_ACE_TYPE &&
                EqualSid((PSID)&a->SidStart, sid) && (a->Mask & mask) == mask &&
                (a->Header.AceFlags & flags) == flags)
                found = 1;
        }
    LocalFree(sd);
    LocalFree(sid);
    return found;
}

/* Remove @path's DACL altogether (everyone may do anything): 0 or error. */
static DWORD
acl_set_null(const char *path)
{
    return SetNamedSecurityInfoA((LPSTR)path, SE_FILE_OBJECT,
                                 DACL_SECURITY_INFORMATION, NULL, NULL, NULL,
                                 NULL);
}

static int
acl_is_null(const char *path)
{
    PSECURITY_DESCRIPTOR sd = NULL;
    PACL dacl = (PACL)1;
    int null;

    if (GetNamedSecurityInfoA(path, SE_FILE_OBJECT, DACL_SECURITY_INFORMATION,
                              NULL, NULL, &dacl, NULL, &sd) != 0)
        return 0;
    null = dacl == NULL;
    LocalFree(sd);
    return null;
}

/* Is @path owned by anyone but this process's user? */
static int
acl_foreign_owner(const char *path)
{
    union {
        TOKEN_USER tu;
        BYTE b[sizeof(TOKEN_USER) + SECURITY_MAX_SID_SIZE];
    } me;
    PSECURITY_DESCRIPTOR sd = NULL;
    PSID owner = NULL;
    HANDLE t;
    DWORD n;
    int foreign = 0;

    if (!OpenProcessToken(GetCurrentProcess(), TOKEN_QUERY, &t))
        return 0;
    if (GetTokenInformation(t, TokenUser, &me, sizeof(me), &n) &&
        GetNamedSecurityInfoA(path, SE_FILE_OBJECT, OWNER_SECURITY_INFORMATION,
                              &owner, NULL, NULL, NULL, &sd) == 0)
        foreign = owner != NULL && !EqualSid(owner, me.tu.User.Sid) &&
                  !IsWellKnownSid(owner, WinBuiltinAdministratorsSid) &&
                  !IsWellKnownSid(owner, WinLocalSystemSid);
    CloseHandle(t);
    LocalFree(sd);
    return foreign;
}

/*
 * Give @path to another owner, which only works under wine: Windows
 * lets nobody but a holder of SeRestorePrivilege make someone else the
 * owner, and wine ignores owners set through the API (it keeps none),
 * but it runs Unix programs, so /bin/chown gives the Unix file another
 * uid, which wine shows as ANONYMOUS LOGON. Needs root, like the POSIX
 * case. Non-zero when the owner did change.
 */
#define ACL_OTHER_UID "12345"

static int
acl_give_away(const char *path)
{
    typedef char *(CDECL * unix_name_fn)(const WCHAR *);
    HMODULE k32 = GetModuleHandleA("kernel32.dll");
    HMODULE ntdll = GetModuleHandleA("ntdll.dll");
    unix_name_fn unix_name;
    WCHAR wpath[MAX_PATH];
    STARTUPINFOA si;
    PROCESS_INFORMATION pi;
    char cmd[3 * MAX_PATH], *upath;
    FARPROC p;
    int i;

    if (ntdll == NULL || GetProcAddress(ntdll, "wine_get_version") == NULL ||
        k32 == NULL)
        return 0;
    p = GetProcAddress(k32, "wine_get_unix_file_name");
    if (p == NULL ||
        MultiByteToWideChar(CP_UTF8, 0, path, -1, wpath, MAX_PATH) <= 0)
        return 0;
    memcpy(&unix_name, &p, sizeof(unix_name));
    upath = unix_name(wpath);
    if (upath == NULL)
        return 0;
    snprintf(cmd, sizeof(cmd), "/bin/chown " ACL_OTHER_UID " \"%s\"", upath);
    HeapFree(GetProcessHeap(), 0, upath);
    memset(&si, 0, sizeof(si));
    si.cb = sizeof(si);
    if (!CreateProcessA(NULL, cmd, NULL, NULL, FALSE, 0, NULL, NULL, &si, &pi))
        return 0;
    /*
     * Wine's handle for a Unix process cannot be waited for, so the
     * owner itself is polled (the chown takes milliseconds).
     */
    CloseHandle(pi.hThread);
    CloseHandle(pi.hProcess);
    for (i = 0; i < 100; i++) {
        if (acl_foreign_owner(path))
            return 1;
        Sleep(20);
    }
    return 0;
}

/* Everyone, BUILTIN\Users. */
#define SID_EVERYONE "S-1-1-0"
#define SID_USERS "S-1-5-32-545"

START_TEST(acl_safe_copy_loads)
{
    acl_copy c;

    acl_make(&c);
    ck_assert_msg(open_path_win(c.file) == 0, "%s", cio_error_detail());
    acl_free(&c);
}
END_TEST

START_TEST(acl_file_writable_by_everyone)
{
    acl_copy c;

    acl_make(&c);
    ck_assert_int_eq(acl_grant(c.file, SID_EVERYONE, FILE_GENERIC_WRITE, 0), 0);
    ck_assert(acl_has(c.file, SID_EVERYONE, FILE_WRITE_DATA, 0));
    ck_assert_int_eq(open_path_win(c.file), CIO_EACCES);
    assert_detail_has(c.file);
    assert_detail_has("the module file is writable by");
    assert_detail_has("(" SID_EVERYONE ")");
    assert_detail_has("FILE_WRITE_DATA");
    assert_detail_has("icacls FILE /remove *" SID_EVERYONE);
    acl_free(&c);
}
END_TEST

START_TEST(acl_dir_writable_by_everyone)
{
    acl_copy c;

    acl_make(&c);
    ck_assert_int_eq(acl_grant(c.dir, SID_EVERYONE, FILE_ADD_FILE, 0), 0);
    ck_assert(acl_has(c.dir, SID_EVERYONE, FILE_ADD_FILE, 0));
    ck_assert_int_eq(open_path_win(c.file), CIO_EACCES);
    assert_detail_has(c.file);
    assert_detail_has("its directory");
    assert_detail_has("is writable by");
    assert_detail_has("(" SID_EVERYONE ")");
    assert_detail_has("FILE_ADD_FILE");
    acl_free(&c);
}
END_TEST

/* Found by name in an unsafe directory of the search path: refused too. */
START_TEST(acl_search_path_dir)
{
    acl_copy c;

    acl_make(&c);
    ck_assert_int_eq(acl_grant(c.dir, SID_EVERYONE, FILE_ADD_FILE, 0), 0);
    setenv("COMPIO_MODULE_PATH", c.dir, 1);
    ck_assert_int_eq(try_open("good", "no"), CIO_EACCES);
    assert_detail_has("its directory");
    acl_free(&c);
}
END_TEST

/* The scan (compio-info) shows the refusal with the same error. */
START_TEST(acl_scan_reports_refusal)
{
    cio_backend_list *list = NULL;
    cio_config *cfg;
    size_t i;
    acl_copy c;

    acl_make(&c);
    ck_assert_int_eq(acl_grant(c.file, SID_EVERYONE, FILE_GENERIC_WRITE, 0), 0);
    setenv("COMPIO_MODULE_PATH", c.dir, 1);
    cfg = config_for("good", "no");
    ck_assert_int_eq(cio_backend_scan(cfg, &list), 0);
    for (i = 0; i < list->count; i++)
        if (strstr(list->items[i].path, "cio_good" SO) != NULL &&
            strncmp(list->items[i].path, c.dir, strlen(c.dir)) == 0)
            break;
    ck_assert_uint_lt(i, list->count);
    ck_assert_int_eq(list->items[i].status, CIO_EACCES);
    ck_assert_ptr_nonnull(strstr(list->items[i].reason, "writable by"));
    ck_assert_ptr_null(list->chosen);
    cio_backend_list_free(list);
    cio_config_free(cfg);
    acl_free(&c);
}
END_TEST

/* Read-and-execute for Everyone is what installers grant: fine. */
START_TEST(acl_read_execute_for_everyone_loads)
{
    acl_copy c;

    acl_make(&c);
    ck_assert_int_eq(
        acl_grant(c.file, SID_EVERYONE, FILE_GENERIC_READ | FILE_EXECUTE, 0),
        0);
    ck_assert_msg(open_path_win(c.file) == 0, "%s", cio_error_detail());
    acl_free(&c);
}
END_TEST

/* Cases wine cannot express: run only where the probe saw them stick. */
START_TEST(acl_file_writable_by_users)
{
    acl_copy c;

    acl_make(&c);
    ck_assert_int_eq(acl_grant(c.file, SID_USERS, FILE_APPEND_DATA, 0), 0);
    ck_assert_int_eq(open_path_win(c.file), CIO_EACCES);
    assert_detail_has("(" SID_USERS ")");
    assert_detail_has("FILE_APPEND_DATA");
    acl_free(&c);
}
END_TEST

START_TEST(acl_file_null_dacl)
{
    acl_copy c;

    acl_make(&c);
    ck_assert_int_eq(acl_set_null(c.file), 0);
    ck_assert_int_eq(open_path_win(c.file), CIO_EACCES);
    assert_detail_has("the module file has no ACL (a NULL DACL");
    acl_free(&c);
}
END_TEST

/* An entry that only reaches future children grants nothing here. */
START_TEST(acl_dir_inherit_only_loads)
{
    acl_copy c;

    acl_make(&c);
    ck_assert_int_eq(
        acl_grant(c.dir, SID_EVERYONE, FILE_ALL_ACCESS,
                  SUB_CONTAINERS_AND_OBJECTS_INHERIT | INHERIT_ONLY),
        0);
    ck_assert(acl_has(c.dir, SID_EVERYONE, FILE_ALL_ACCESS, INHERIT_ONLY_ACE));
    ck_assert_msg(open_path_win(c.file) == 0, "%s", cio_error_detail());
    acl_free(&c);
}
END_TEST

START_TEST(acl_file_foreign_owner)
{
    acl_copy c;

    acl_make(&c);
    ck_assert(acl_give_away(c.file));
    ck_assert_int_eq(open_path_win(c.file), CIO_EPERM);
    assert_detail_has(c.file);
    assert_detail_has("the module file is owned by");
    assert_detail_has("neither the user this program runs as");
    acl_free(&c);
}
END_TEST

START_TEST(acl_dir_foreign_owner)
{
    acl_copy c;

    acl_make(&c);
    ck_assert(acl_give_away(c.dir));
    ck_assert_int_eq(open_path_win(c.file), CIO_EPERM);
    assert_detail_has("its directory");
    assert_detail_has("is owned by");
    acl_free(&c);
}
END_TEST

/*
 * Register @t, or, when @ok is 0, a stand-in whose TCase name carries a
 * TAP "# SKIP @reason" directive (Check prints the TCase name in each
 * TAP line), so the case counts as skipped, never as passed.
 */
START_TEST(acl_skipped)
{
}
END_TEST

static void
acl_add(Suite *s, TCase *tc, const TTest *t, int ok, const char *reason)
{
    char *name;
    TCase *skip;

    if (ok) {
        tcase_add_test(tc, t);
        return;
    }
    name = malloc(strlen(t->name) + strlen(reason) + 16);
    if (name == NULL)
        abort();
    sprintf(name, "%s # SKIP %s", t->name, reason);
    skip = tcase_create(name); /* Check keeps the name: not freed. */
    tcase_add_test(skip, acl_skipped);
    suite_add_tcase(s, skip);
}

/* Which of the cases above can be set up here: tried once on scratch. */
typedef struct acl_probe {
    int users;     /* an entry for BUILTIN\Users sticks */
    int null_dacl; /* a NULL DACL sticks */
    int inherit;   /* an inherit-only entry sticks */
    int owner;     /* a file can be given to another owner */
} acl_probe;

static void
acl_probe_all(acl_probe *p)
{
    char dir[PATH_MAX], file[PATH_MAX];
    HANDLE h;

    memset(p, 0, sizeof(*p));
    if (cio_test_mkdtemp(dir, sizeof(dir)) == NULL)
        return;
    snprintf(file, sizeof(file), "%s\\probe", dir);
    h = CreateFileA(file, GENERIC_WRITE, 0, NULL, CREATE_NEW, 0, NULL);
    if (h != INVALID_HANDLE_VALUE) {
        CloseHandle(h);
        p->users = acl_grant(file, SID_USERS, FILE_APPEND_DATA, 0) == 0 &&
                   acl_has(file, SID_USERS, FILE_APPEND_DATA, 0);
        p->null_dacl = acl_set_null(file) == 0 && acl_is_null(file);
        p->owner = acl_give_away(file);
        DeleteFileA(file);
    }
    p->inherit =
        acl_grant(dir, SID_EVERYONE, FILE_ALL_ACCESS,
                  SUB_CONTAINERS_AND_OBJECTS_INHERIT | INHERIT_ONLY) == 0 &&
        acl_has(dir, SID_EVERYONE, FILE_ALL_ACCESS, INHERIT_ONLY_ACE);
    RemoveDirectoryA(dir);
}

static Suite *
loader_win32_suite(void)
{
    Suite *s = suite_create("loader_win32");
    TCase *tc = tcase_create("pe");
    acl_probe probe;

    tcase_add_checked_fixture(tc, setup, NULL);
    tcase_add_loop_test(tc, pe_broken_refused, 0,
                        (int)(sizeof(pe_cases) / sizeof(pe_cases[0])));
    suite_add_tcase(s, tc);

    acl_probe_all(&probe);
    tc = tcase_create("acl");
    tcase_add_checked_fixture(tc, setup, NULL);
    tcase_add_test(tc, acl_safe_copy_loads);
    tcase_add_test(tc, acl_file_writable_by_everyone);
    tcase_add_test(tc, acl_dir_writable_by_everyone);
    tcase_add_test(tc, acl_search_path_dir);
    tcase_add_test(tc, acl_scan_reports_refusal);
    tcase_add_test(tc, acl_read_execute_for_everyone_loads);
    acl_add(s, tc, acl_file_writable_by_users, probe.users,
            "an entry for BUILTIN\\Users does not stick here (wine 8 keeps "
            "only what Unix mode bits can say)");
    acl_add(s, tc, acl_file_null_dacl, probe.null_dacl,
            "a NULL DACL does not stick here (wine 8 makes it mode 0777, "
            "an Everyone entry)");
    acl_add(s, tc, acl_dir_inherit_only_loads, probe.inherit,
            "an inherit-only entry does not stick here (wine 8 keeps only "
            "what Unix mode bits can say)");
    acl_add(s, tc, acl_file_foreign_owner, probe.owner,
            "cannot give a file to another owner here (needs wine and "
            "root: /bin/chown; Windows needs SeRestorePrivilege)");
    acl_add(s, tc, acl_dir_foreign_owner, probe.owner,
            "cannot give a directory to another owner here (needs wine "
            "and root: /bin/chown; Windows needs SeRestorePrivilege)");
    suite_add_tcase(s, tc);
    return s;
}

int
main(void)
{
    return cio_test_run(loader_win32_suite());
}
