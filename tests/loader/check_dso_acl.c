/* SPDX-License-Identifier: MIT */
/*
 * check_dso_acl - the Windows module trust rules
 * (loader/cio_dso_trust_win32.c) judged on security descriptors built
 * in memory: every right that lets someone swap a module, on a file and
 * on a directory, the SIDs that may hold them, NULL DACLs, inherit-only,
 * deny and object entries, and the owner rule. check_loader_win32 tests
 * the same rules on real files, but wine 8 keeps only what Unix mode
 * bits can say (an owner, an Everyone entry), so the rest is tested
 * here, on the judging function itself: the source file is compiled
 * into this program for its static functions (the rest of the Windows
 * loader is linked in beside it, see tests/loader/include.am).
 */
#include "cio_dso_trust_win32.c"

#include <check.h>

#include "cio_test.h"

/*
 * The loader's getenv wrapper (core/cio_log.c); only dso_close, linked
 * in with cio_dso_win32.c, uses it.
 */
const char *
cio__getenv(const char *name)
{
    return getenv(name);
}

#define ME "S-1-5-21-1-2-3-1001"
#define OTHER "S-1-5-21-1-2-3-1002"
#define USERS "S-1-5-32-545"
#define EVERYONE "S-1-1-0"
#define ADMINS "S-1-5-32-544"
#define SYSTEM "S-1-5-18"
#define TRUSTED_INSTALLER                                                      \
    "S-1-5-80-956008885-3418522649-1831038044-1853292631-2271478464"
#define CREATOR_OWNER "S-1-3-0"
#define OWNER_RIGHTS "S-1-3-4"

#define FILE_PATH "C:\\mods\\cio_x.dll"
#define DIR_PATH "C:\\mods"

/* SIDs made by sid(), freed by the teardown. */
static PSID sids[128];
static size_t nsids;
static union {
    ACL acl;
    BYTE b[4096];
} acl_buf;
static char why[CIO__REASON_MAX];

static PSID
sid(const char *s)
{
    PSID p = NULL;

    ck_assert_msg(ConvertStringSidToSidA(s, &p), "SID %s", s);
    ck_assert_uint_lt(nsids, sizeof(sids) / sizeof(sids[0]));
    sids[nsids++] = p;
    return p;
}

static void
teardown(void)
{
    while (nsids > 0)
        LocalFree(sids[--nsids]);
}

/* A fresh DACL with the usual trusted entries: SYSTEM, Admins, me. */
static PACL
dacl_base(void)
{
    PACL a = &acl_buf.acl;

    why[0] = '\0';
    ck_assert(InitializeAcl(a, sizeof(acl_buf), ACL_REVISION_DS));
    ck_assert(
        AddAccessAllowedAce(a, ACL_REVISION, FILE_ALL_ACCESS, sid(SYSTEM)));
    ck_assert(
        AddAccessAllowedAce(a, ACL_REVISION, FILE_ALL_ACCESS, sid(ADMINS)));
    ck_assert(AddAccessAllowedAce(a, ACL_REVISION, FILE_ALL_ACCESS, sid(ME)));
    ck_assert(AddAccessAllowedAce(
        a, ACL_REVISION, FILE_GENERIC_READ | FILE_GENERIC_EXECUTE, sid(USERS)));
    return a;
}

static void
allow(PACL a, DWORD flags, DWORD mask, const char *who)
{
    ck_assert(AddAccessAllowedAceEx(a, ACL_REVISION, flags, mask, sid(who)));
}

/* Judge the module file (@is_dir 0) or its directory. */
static int
judge(int is_dir, const char *owner, const ACL *dacl)
{
    return trust_node(FILE_PATH, "its directory", is_dir ? DIR_PATH : NULL,
                      owner != NULL ? sid(owner) : NULL, dacl, sid(ME), why,
                      sizeof(why));
}

static void
why_has(const char *needle)
{
    ck_assert_msg(strstr(why, needle) != NULL, "'%s' lacks '%s'", why, needle);
}

START_TEST(installer_acl_passes)
{
    ck_assert_int_eq(judge(0, ME, dacl_base()), 0);
    ck_assert_int_eq(judge(1, ME, dacl_base()), 0);
}
END_TEST

/* Every owner of the trusted set passes. */
static const char *const good_owners[] = {ME, ADMINS, SYSTEM,
                                          TRUSTED_INSTALLER};

START_TEST(trusted_owners_pass)
{
    ck_assert_int_eq(judge(0, good_owners[_i], dacl_base()), 0);
    ck_assert_int_eq(judge(1, good_owners[_i], dacl_base()), 0);
}
END_TEST

START_TEST(foreign_owner_refused)
{
    ck_assert_int_eq(judge(0, OTHER, dacl_base()), CIO_EPERM);
    why_has(FILE_PATH ": refused: the module file is owned by " OTHER);
    why_has("neither the user this program runs as, " ME);
    ck_assert_int_eq(judge(1, OTHER, dacl_base()), CIO_EPERM);
    why_has("its directory " DIR_PATH " is owned by " OTHER);
    /* A look-alike of TrustedInstaller: one sub-authority differs. */
    ck_assert_int_eq(
        judge(0,
              "S-1-5-80-956008885-3418522649-1831038044-1853292631-2271478465",
              dacl_base()),
        CIO_EPERM);
    /* Users, Everyone: groups, never trusted owners. */
    ck_assert_int_eq(judge(0, USERS, dacl_base()), CIO_EPERM);
    ck_assert_int_eq(judge(0, EVERYONE, dacl_base()), CIO_EPERM);
}
END_TEST

START_TEST(no_owner_refused)
{
    ck_assert_int_eq(judge(0, NULL, dacl_base()), CIO_EPERM);
    why_has("owned by nobody (no owner recorded)");
}
END_TEST

START_TEST(null_dacl_refused)
{
    ck_assert_int_eq(judge(0, ME, NULL), CIO_EACCES);
    why_has("the module file has no ACL (a NULL DACL gives everyone full "
            "control)");
    ck_assert_int_eq(judge(1, ME, NULL), CIO_EACCES);
    why_has("its directory " DIR_PATH " has no ACL");
}
END_TEST

/* Each right that lets its holder swap the module, on its own. */
static const struct {
    DWORD bit;
    const char *name;
} file_bad[] =
    {
        {FILE_WRITE_DATA, "FILE_WRITE_DATA"},
        {FILE_APPEND_DATA, "FILE_APPEND_DATA"},
        {WRITE_DAC, "WRITE_DAC"},
        {WRITE_OWNER, "WRITE_OWNER"},
        {DELETE, "DELETE"},
        {GENERIC_WRITE, "GENERIC_WRITE"},
        {GENERIC_ALL, "GENERIC_ALL"},
},
  dir_bad[] = {
      {FILE_ADD_FILE, "FILE_ADD_FILE"},
      {FILE_ADD_SUBDIRECTORY, "FILE_ADD_SUBDIRECTORY"},
      {FILE_DELETE_CHILD, "FILE_DELETE_CHILD"},
      {WRITE_DAC, "WRITE_DAC"},
      {WRITE_OWNER, "WRITE_OWNER"},
      {GENERIC_WRITE, "GENERIC_WRITE"},
      {GENERIC_ALL, "GENERIC_ALL"},
};

START_TEST(file_right_refused)
{
    PACL a = dacl_base();

    allow(a, 0, file_bad[_i].bit, USERS);
    ck_assert_int_eq(judge(0, ME, a), CIO_EACCES);
    why_has(FILE_PATH ": refused: the module file is writable by");
    why_has(USERS);
    why_has(file_bad[_i].name);
    why_has("icacls FILE /remove *" USERS);
}
END_TEST

START_TEST(dir_right_refused)
{
    PACL a = dacl_base();

    allow(a, 0, dir_bad[_i].bit, EVERYONE);
    ck_assert_int_eq(judge(1, ME, a), CIO_EACCES);
    why_has("its directory " DIR_PATH " is writable by");
    why_has(EVERYONE);
    why_has(dir_bad[_i].name);
    why_has("icacls DIR /remove *" EVERYONE);
}
END_TEST

/* Every right found is named, not just the first. */
START_TEST(all_rights_named)
{
    PACL a = dacl_base();

    allow(a, 0, FILE_GENERIC_WRITE | DELETE, OTHER);
    ck_assert_int_eq(judge(0, ME, a), CIO_EACCES);
    why_has("FILE_WRITE_DATA|FILE_APPEND_DATA|DELETE");
}
END_TEST

/*
 * Rights that change nothing loadable: attributes, and DELETE on the
 * directory itself (renaming it away needs the parent too).
 */
START_TEST(harmless_rights_pass)
{
    PACL a = dacl_base();

    allow(a, 0,
          FILE_WRITE_ATTRIBUTES | FILE_WRITE_EA | FILE_GENERIC_READ |
              FILE_EXECUTE,
          EVERYONE);
    ck_assert_int_eq(judge(0, ME, a), 0);
    allow(a, 0, DELETE, EVERYONE);
    ck_assert_int_eq(judge(1, ME, a), 0);
}
END_TEST

/* Writers of the trusted set, and the placeholder SIDs. */
static const char *const good_writers[] = {
    ME, ADMINS, SYSTEM, TRUSTED_INSTALLER, CREATOR_OWNER, OWNER_RIGHTS};

START_TEST(trusted_writers_pass)
{
    PACL a = dacl_base();

    allow(a, 0, FILE_ALL_ACCESS | GENERIC_ALL, good_writers[_i]);
    ck_assert_int_eq(judge(0, ME, a), 0);
    ck_assert_int_eq(judge(1, ME, a), 0);
}
END_TEST

/* An entry only for future children grants nothing on this object. */
START_TEST(inherit_only_passes)
{
    PACL a = dacl_base();

    allow(a, OBJECT_INHERIT_ACE | CONTAINER_INHERIT_ACE | INHERIT_ONLY_ACE,
          FILE_ALL_ACCESS, EVERYONE);
    ck_assert_int_eq(judge(1, ME, a), 0);
    /* Inherited (not inherit-only) entries count like any other. */
    allow(a, INHERITED_ACE, FILE_ADD_FILE, EVERYONE);
    ck_assert_int_eq(judge(1, ME, a), CIO_EACCES);
}
END_TEST

/*
 * Deny entries are not weighed: denying alone grants nothing, and an
 * allow after a deny still refuses (the safe mistake).
 */
START_TEST(deny_entries_ignored)
{
    PACL a = dacl_base();

    ck_assert(
        AddAccessDeniedAce(a, ACL_REVISION, FILE_ALL_ACCESS, sid(EVERYONE)));
    ck_assert_int_eq(judge(0, ME, a), 0);
    allow(a, 0, FILE_WRITE_DATA, EVERYONE);
    ck_assert_int_eq(judge(0, ME, a), CIO_EACCES);
}
END_TEST

/*
 * An object entry's SID sits after its GUIDs: found all the same. Made
 * by hand (AddAccessAllowedObjectAce fails under wine 8): the header,
 * the mask, the flags, both GUIDs, then the SID.
 */
START_TEST(object_entry_read)
{
    static const GUID type = {
        0x12345678, 0x1234, 0x5678, {1, 2, 3, 4, 5, 6, 7, 8}};
    union {
        ACCESS_ALLOWED_OBJECT_ACE ace;
        BYTE b[sizeof(ACCESS_ALLOWED_OBJECT_ACE) + SECURITY_MAX_SID_SIZE];
    } e;
    PSID other = sid(OTHER);
    DWORD len = GetLengthSid(other);
    BYTE *p;
    PACL a = dacl_base();

    memset(&e, 0, sizeof(e));
    e.ace.Header.AceType = ACCESS_ALLOWED_OBJECT_ACE_TYPE;
    e.ace.Mask = FILE_WRITE_DATA;
    e.ace.Flags = ACE_OBJECT_TYPE_PRESENT | ACE_INHERITED_OBJECT_TYPE_PRESENT;
    e.ace.ObjectType = type;
    e.ace.InheritedObjectType = type;
    p = (BYTE *)&e.ace.SidStart;
    ck_assert(CopySid(len, p, other));
    e.ace.Header.AceSize = (WORD)((size_t)(p - e.b) + len);
    ck_assert(AddAce(a, ACL_REVISION_DS, MAXDWORD, &e, e.ace.Header.AceSize));
    ck_assert_int_eq(judge(0, ME, a), CIO_EACCES);
    why_has(OTHER);
    why_has("FILE_WRITE_DATA");
    /* Without the GUIDs the SID moves up; still found. */
    memset(&e, 0, sizeof(e));
    a = dacl_base();
    e.ace.Header.AceType = ACCESS_ALLOWED_OBJECT_ACE_TYPE;
    e.ace.Mask = FILE_APPEND_DATA;
    p = (BYTE *)&e.ace.ObjectType;
    ck_assert(CopySid(len, p, other));
    e.ace.Header.AceSize = (WORD)((size_t)(p - e.b) + len);
    ck_assert(AddAce(a, ACL_REVISION_DS, MAXDWORD, &e, e.ace.Header.AceSize));
    ck_assert_int_eq(judge(0, ME, a), CIO_EACCES);
    why_has(OTHER);
    why_has("FILE_APPEND_DATA");
}
END_TEST

/*
 * The writers rule comes first, as on POSIX; a foreign owner's own
 * entry is the owner rule's business.
 */
START_TEST(rule_order)
{
    PACL a = dacl_base();

    allow(a, 0, FILE_ALL_ACCESS, OTHER);
    ck_assert_int_eq(judge(0, OTHER, a), CIO_EPERM);
    allow(a, 0, FILE_WRITE_DATA, EVERYONE);
    ck_assert_int_eq(judge(0, OTHER, a), CIO_EACCES);
}
END_TEST

/* The path helpers the check uses on real files. */
START_TEST(dir_of_paths)
{
    static const struct {
        const wchar_t *in, *out;
    } cases[] = {
        {L"C:\\mods\\cio_x.dll", L"C:\\mods"},
        {L"C:\\cio_x.dll", L"C:\\"},
        {L"\\\\?\\C:\\cio_x.dll", L"\\\\?\\C:\\"},
        {L"\\\\?\\Z:\\a\\b\\cio_x.dll", L"\\\\?\\Z:\\a\\b"},
        {L"\\\\server\\share\\cio_x.dll", L"\\\\server\\share"},
    };
    size_t i;

    for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        wchar_t *d = wdir_of(cases[i].in);
        ck_assert_ptr_nonnull(d);
        ck_assert_msg(wcscmp(d, cases[i].out) == 0, "case %u: %ls", (unsigned)i,
                      d);
        free(d);
    }
    ck_assert_ptr_null(wdir_of(L"cio_x.dll"));
}
END_TEST

#define N(a) ((int)(sizeof(a) / sizeof((a)[0])))

int
main(void)
{
    Suite *s = suite_create("dso_acl");
    TCase *tc = tcase_create("acl");

    tcase_add_checked_fixture(tc, NULL, teardown);
    tcase_add_test(tc, installer_acl_passes);
    tcase_add_loop_test(tc, trusted_owners_pass, 0, N(good_owners));
    tcase_add_test(tc, foreign_owner_refused);
    tcase_add_test(tc, no_owner_refused);
    tcase_add_test(tc, null_dacl_refused);
    tcase_add_loop_test(tc, file_right_refused, 0, N(file_bad));
    tcase_add_loop_test(tc, dir_right_refused, 0, N(dir_bad));
    tcase_add_test(tc, all_rights_named);
    tcase_add_test(tc, harmless_rights_pass);
    tcase_add_loop_test(tc, trusted_writers_pass, 0, N(good_writers));
    tcase_add_test(tc, inherit_only_passes);
    tcase_add_test(tc, deny_entries_ignored);
    tcase_add_test(tc, object_entry_read);
    tcase_add_test(tc, rule_order);
    tcase_add_test(tc, dir_of_paths);
    suite_add_tcase(s, tc);
    return cio_test_run(s);
}
