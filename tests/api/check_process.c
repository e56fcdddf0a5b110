/* SPDX-License-Identifier: MIT */
/*
 * check_process.c - compio/process.h on each backend: spawning with
 * arguments, environment and cwd; piped stdin/stdout/stderr as streams
 * (a multi-MiB round trip through cat); exit codes and signals decoded;
 * exec errors returned by spawn; the builder's errors; output(). The
 * waits (deadline, cancel, pidfd and fallback) are in
 * check_process_wait.c. Every body ends with no child left, and the
 * harness checks that no descriptor leaked.
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "check_process.h"

/* ---- echo: arguments and stdout ---- */

static int
echo_body(void *arg)
{
    static const char *const args[] = {"hello", "world", NULL};
    cio_command *cmd = proc_cmd("/bin/echo", args);
    cio_exit_status st;
    cio_child *child;
    char *out;

    (void)arg;
    ck_assert_int_eq(cio_command_stdout(cmd, CIO_STDIO_PIPED), 0);
    ck_assert_int_eq(cio_command_spawn(cmd, &child), 0);
    cio_command_free(cmd);
    ck_assert_int_gt(cio_child_pid(child), 0);
    ck_assert_ptr_null(cio_child_stdin(child));
    ck_assert_ptr_nonnull(cio_child_stdout(child));
    ck_assert_ptr_null(cio_child_stderr(child));
    out = proc_read_all(cio_child_stdout(child), NULL);
    ck_assert_str_eq(out, "hello world\n");
    free(out);
    ck_assert_int_eq(cio_child_wait(child, &st), 0);
    ck_assert_int_eq(st.code, 0);
    ck_assert_int_eq(st.signal, 0);
    ck_assert(cio_exit_success(&st));
    /* Reaped: the same status again, at once; a kill is a no-op. */
    memset(&st, 0xff, sizeof st);
    ck_assert_int_eq(cio_child_wait(child, &st), 0);
    ck_assert_int_eq(st.code, 0);
    ck_assert_int_eq(cio_child_try_wait(child, &st), 1);
    ck_assert_int_eq(cio_child_kill(child, SIGKILL), 0);
    cio_child_free(child);
    proc_assert_no_children();
    return 0;
}

START_TEST(t_echo)
{
    cio_test_api_run(_i, echo_body, NULL);
}
END_TEST

/* ---- sh -c with args, env and cwd ---- */

static int
sh_body(void *arg)
{
    static const char *const args[] = {
        "-c",
        "printf '%s|%s|%s|%s|%s|%s' \"$0\" \"$1\" \"$CIO_T_FOO\" "
        "\"${CIO_T_GONE-unset}\" \"$CIO_T_INH\" \"$(pwd -P)\"",
        "zero", "one", NULL};
    char dir[PATH_MAX], real[PATH_MAX], want[3 * PATH_MAX];
    cio_command *cmd = proc_cmd("sh", args); /* Found in PATH. */
    cio_exit_status st;
    cio_child *child;
    char *out;

    (void)arg;
    ck_assert_ptr_nonnull(cio_test_mkdtemp(dir, sizeof dir));
    ck_assert_ptr_nonnull(realpath(dir, real));
    ck_assert_int_eq(setenv("CIO_T_GONE", "still here", 1), 0);
    ck_assert_int_eq(setenv("CIO_T_INH", "inherited", 1), 0);
    ck_assert_int_eq(setenv("CIO_T_FOO", "parent's", 1), 0);
    ck_assert_int_eq(cio_command_env(cmd, "CIO_T_FOO", "first"), 0);
    ck_assert_int_eq(cio_command_env(cmd, "CIO_T_FOO", "bar baz"), 0);
    ck_assert_int_eq(cio_command_env_remove(cmd, "CIO_T_GONE"), 0);
    ck_assert_int_eq(cio_command_cwd(cmd, dir), 0);
    ck_assert_int_eq(cio_command_stdout(cmd, CIO_STDIO_PIPED), 0);
    ck_assert_int_eq(cio_command_spawn(cmd, &child), 0);
    out = proc_read_all(cio_child_stdout(child), NULL);
    snprintf(want, sizeof want, "zero|one|bar baz|unset|inherited|%s", real);
    ck_assert_str_eq(out, want);
    free(out);
    ck_assert_int_eq(cio_child_wait(child, &st), 0);
    ck_assert(cio_exit_success(&st));
    cio_child_free(child);

    /* The command is reusable; the caller's cwd was never changed. */
    ck_assert_int_eq(cio_command_spawn(cmd, &child), 0);
    out = proc_read_all(cio_child_stdout(child), NULL);
    ck_assert_str_eq(out, want);
    free(out);
    ck_assert_int_eq(cio_child_wait(child, NULL), 0);
    cio_child_free(child);
    cio_command_free(cmd);
    ck_assert_int_eq(rmdir(dir), 0);
    unsetenv("CIO_T_GONE");
    unsetenv("CIO_T_INH");
    unsetenv("CIO_T_FOO");
    proc_assert_no_children();
    return 0;
}

START_TEST(t_sh_args_env_cwd)
{
    cio_test_api_run(_i, sh_body, NULL);
}
END_TEST

/* ---- a cleared environment ---- */

static int
env_clear_body(void *arg)
{
    cio_command *cmd = proc_cmd("/usr/bin/env", NULL);
    cio_exit_status st;
    char *out;
    size_t len;

    (void)arg;
    ck_assert_int_eq(cio_command_env(cmd, "DROPPED", "by clear"), 0);
    ck_assert_int_eq(cio_command_env_clear(cmd), 0);
    ck_assert_int_eq(cio_command_env(cmd, "A", "1"), 0);
    ck_assert_int_eq(cio_command_env(cmd, "B", "2"), 0);
    ck_assert_int_eq(cio_command_env_remove(cmd, "B"), 0);
    ck_assert_int_eq(cio_command_env(cmd, "C", ""), 0);
    ck_assert_int_eq(cio_command_output(cmd, &out, &len, &st), 0);
    ck_assert_str_eq(out, "A=1\nC=\n");
    ck_assert_uint_eq(len, 7);
    ck_assert(cio_exit_success(&st));
    free(out);
    cio_command_free(cmd);
    proc_assert_no_children();
    return 0;
}

START_TEST(t_env_clear)
{
    if (access("/usr/bin/env", X_OK) != 0) {
        printf("# no /usr/bin/env: not run\n");
        return;
    }
    cio_test_api_run(_i, env_clear_body, NULL);
}
END_TEST

/* ---- a few MiB through cat ---- */

#define BIG (4u << 20)

typedef struct feed {
    cio_stream *in;
    const char *data;
} feed;

static int
feed_task(void *arg)
{
    feed *f = arg;

    proc_write_all(f->in, f->data, BIG);
    /* End of input for cat. */
    return cio_stream_close(f->in);
}

static int
cat_body(void *arg)
{
    cio_command *cmd = proc_cmd("cat", NULL);
    cio_exit_status st;
    cio_child *child;
    cio_task *t;
    char *data, *out;
    size_t i, len;
    feed f;

    (void)arg;
    data = malloc(BIG);
    ck_assert_ptr_nonnull(data);
    for (i = 0; i < BIG; i++)
        data[i] = (char)((i * 2654435761u) >> 13);
    ck_assert_int_eq(cio_command_stdin(cmd, CIO_STDIO_PIPED), 0);
    ck_assert_int_eq(cio_command_stdout(cmd, CIO_STDIO_PIPED), 0);
    ck_assert_int_eq(cio_command_spawn(cmd, &child), 0);
    cio_command_free(cmd);
    f.in = cio_child_take_stdio(child, 0);
    ck_assert_ptr_nonnull(f.in);
    ck_assert_ptr_null(cio_child_stdin(child));
    ck_assert_ptr_null(cio_child_take_stdio(child, 0));
    ck_assert_ptr_null(cio_child_take_stdio(child, 3));
    f.data = data;
    /* Write and read at once: a pipe holds far less than 4 MiB. */
    ck_assert_int_eq(cio_spawn(&t, feed_task, &f), 0);
    out = proc_read_all(cio_child_stdout(child), &len);
    ck_assert_int_eq(cio_join(t), 0);
    ck_assert_uint_eq(len, BIG);
    ck_assert(memcmp(out, data, BIG) == 0);
    free(out);
    free(data);
    ck_assert_int_eq(cio_child_wait(child, &st), 0);
    ck_assert(cio_exit_success(&st));
    cio_child_free(child);
    proc_assert_no_children();
    return 0;
}

START_TEST(t_cat_roundtrip)
{
    cio_test_api_run(_i, cat_body, NULL);
}
END_TEST

/* ---- stderr piped, exit code ---- */

static int
stderr_body(void *arg)
{
    static const char *const args[] = {"-c", "echo out; echo err >&2; exit 3",
                                       NULL};
    cio_command *cmd = proc_cmd("/bin/sh", args);
    cio_exit_status st;
    cio_child *child;
    char *out;

    (void)arg;
    ck_assert_int_eq(cio_command_stdout(cmd, CIO_STDIO_PIPED), 0);
    ck_assert_int_eq(cio_command_stderr(cmd, CIO_STDIO_PIPED), 0);
    ck_assert_int_eq(cio_command_stdin(cmd, CIO_STDIO_NULL), 0);
    ck_assert_int_eq(cio_command_spawn(cmd, &child), 0);
    cio_command_free(cmd);
    out = proc_read_all(cio_child_stdout(child), NULL);
    ck_assert_str_eq(out, "out\n");
    free(out);
    out = proc_read_all(cio_child_stderr(child), NULL);
    ck_assert_str_eq(out, "err\n");
    free(out);
    ck_assert_int_eq(cio_child_wait(child, &st), 0);
    ck_assert_int_eq(st.code, 3);
    ck_assert_int_eq(st.signal, 0);
    ck_assert(!cio_exit_success(&st));
    cio_child_free(child);
    proc_assert_no_children();
    return 0;
}

START_TEST(t_stderr)
{
    cio_test_api_run(_i, stderr_body, NULL);
}
END_TEST

/* ---- stdin from /dev/null; stdin closed by wait ---- */

static int
null_stdin_body(void *arg)
{
    cio_command *cmd = proc_cmd("cat", NULL);
    cio_exit_status st;
    cio_child *child;
    char *out;

    (void)arg;
    ck_assert_int_eq(cio_command_stdin(cmd, CIO_STDIO_NULL), 0);
    ck_assert_int_eq(cio_command_stdout(cmd, CIO_STDIO_PIPED), 0);
    ck_assert_int_eq(cio_command_spawn(cmd, &child), 0);
    out = proc_read_all(cio_child_stdout(child), NULL);
    ck_assert_str_eq(out, "");
    free(out);
    ck_assert_int_eq(cio_child_wait(child, &st), 0);
    ck_assert(cio_exit_success(&st));
    cio_child_free(child);

    /* A piped stdin still held by the child is closed by the wait. */
    ck_assert_int_eq(cio_command_stdin(cmd, CIO_STDIO_PIPED), 0);
    ck_assert_int_eq(cio_command_stdout(cmd, CIO_STDIO_NULL), 0);
    ck_assert_int_eq(cio_command_spawn(cmd, &child), 0);
    ck_assert_ptr_nonnull(cio_child_stdin(child));
    ck_assert_ptr_null(cio_child_stdout(child));
    cio_deadline_set(cio_now() + 60000 * MS); /* Only a hang reaches it. */
    ck_assert_int_eq(cio_child_wait(child, &st), 0);
    ck_assert(cio_exit_success(&st));
    ck_assert_ptr_null(cio_child_stdin(child));
    cio_child_free(child);
    cio_command_free(cmd);
    proc_assert_no_children();
    return 0;
}

START_TEST(t_null_stdin)
{
    cio_test_api_run(_i, null_stdin_body, NULL);
}
END_TEST

/* ---- exit codes and signals decoded ---- */

static void
run_status(const char *script, cio_exit_status *st)
{
    const char *const args[] = {"-c", script, NULL};
    cio_command *cmd = proc_cmd("/bin/sh", args);
    cio_child *child;

    ck_assert_int_eq(cio_command_spawn(cmd, &child), 0);
    cio_command_free(cmd);
    ck_assert_int_eq(cio_child_wait(child, st), 0);
    cio_child_free(child);
}

static int
status_body(void *arg)
{
    /* Killed below; ten minutes so that it is surely still running. */
    static const char *const long_sleep[] = {"600", NULL};
    cio_exit_status st;
    cio_command *cmd;
    cio_child *child;

    (void)arg;
    run_status("exit 42", &st);
    ck_assert_int_eq(st.code, 42);
    ck_assert_int_eq(st.signal, 0);
    run_status("exit 255", &st);
    ck_assert_int_eq(st.code, 255);
    run_status("kill -TERM $$", &st);
    ck_assert_int_eq(st.code, -1);
    ck_assert_int_eq(st.signal, SIGTERM);
    ck_assert_int_eq(st.core_dumped, 0);
    ck_assert(!cio_exit_success(&st));

    /* cio_child_kill, and try_wait on a running child. */
    cmd = proc_cmd("sleep", long_sleep);
    ck_assert_int_eq(cio_command_spawn(cmd, &child), 0);
    ck_assert_int_eq(cio_child_try_wait(child, &st), 0);
    ck_assert_int_eq(cio_child_kill(child, 0), 0); /* Alive. */
    ck_assert_int_eq(cio_child_kill(child, -1), CIO_EINVAL);
    ck_assert_int_eq(cio_child_kill(child, 100000), CIO_EINVAL);
    ck_assert_int_eq(cio_child_kill(child, SIGKILL), 0);
    ck_assert_int_eq(cio_child_wait(child, &st), 0);
    ck_assert_int_eq(st.code, -1);
    ck_assert_int_eq(st.signal, SIGKILL);
    cio_child_free(child);

    /* A new process group: the child leads it. */
    ck_assert_int_eq(cio_command_process_group(cmd, 0), 0);
    ck_assert_int_eq(cio_command_spawn(cmd, &child), 0);
    ck_assert_int_eq(getpgid(cio_child_pid(child)), cio_child_pid(child));
    ck_assert_int_eq(cio_child_kill(child, SIGTERM), 0);
    ck_assert_int_eq(cio_child_wait(child, &st), 0);
    ck_assert_int_eq(st.signal, SIGTERM);
    cio_child_free(child);
    cio_command_free(cmd);
    proc_assert_no_children();
    return 0;
}

START_TEST(t_status)
{
    cio_test_api_run(_i, status_body, NULL);
}
END_TEST

/* ---- exec errors come back from spawn ---- */

static int
spawn_error(const char *prog, const char *cwd)
{
    cio_command *cmd = proc_cmd(prog, NULL);
    cio_child *child = (void *)1;
    int r;

    ck_assert_int_eq(cio_command_stdout(cmd, CIO_STDIO_PIPED), 0);
    ck_assert_int_eq(cio_command_stdin(cmd, CIO_STDIO_PIPED), 0);
    if (cwd != NULL)
        ck_assert_int_eq(cio_command_cwd(cmd, cwd), 0);
    r = cio_command_spawn(cmd, &child);
    ck_assert_ptr_null(child);
    cio_command_free(cmd);
    return r;
}

static int
sleeper(void *arg)
{
    (void)arg;
    ck_assert_int_eq(cio_sleep(3600 * 1000 * MS), CIO_ECANCELED);
    return spawn_error("/bin/true", NULL);
}

static int
spawn_errors_body(void *arg)
{
    char dir[PATH_MAX], file[PATH_MAX + 16];
    cio_task *t;
    uint64_t prev;
    int fd;

    (void)arg;
    /*
     * valgrind runs exec itself in the child and reports a failed exec
     * only after the spawn returned: it cannot show the error path.
     */
    if (cio_test_under_valgrind()) {
        printf("# under valgrind: exec failures not checked\n");
        goto cancelled;
    }
    ck_assert_int_eq(spawn_error("/nonexistent/cio-program", NULL), CIO_ENOENT);
    ck_assert_int_eq(spawn_error("cio-no-such-program-in-path", NULL),
                     CIO_ENOENT);
    ck_assert_int_eq(spawn_error("/bin/true", "/nonexistent/cio-dir"),
                     CIO_ENOENT);
    /* A file without execute permission. */
    ck_assert_ptr_nonnull(cio_test_mkdtemp(dir, sizeof dir));
    snprintf(file, sizeof file, "%s/prog", dir);
    fd = open(file, O_WRONLY | O_CREAT | O_CLOEXEC, 0644);
    ck_assert_int_ge(fd, 0);
    ck_assert_int_eq(write(fd, "#!/bin/sh\n", 10), 10);
    close(fd);
    if (geteuid() != 0)
        ck_assert_int_eq(spawn_error(file, NULL), CIO_EACCES);
    ck_assert_int_eq(unlink(file), 0);
    ck_assert_int_eq(rmdir(dir), 0);

cancelled:
    /* A cancelled task, and one past its deadline, start nothing. */
    ck_assert_int_eq(cio_spawn(&t, sleeper, NULL), 0);
    ck_assert_int_eq(cio_sleep(5 * MS), 0);
    ck_assert_int_eq(cio_cancel(t), 0);
    ck_assert_int_eq(cio_join(t), CIO_ECANCELED);
    prev = cio_deadline_set(cio_now() - 1);
    ck_assert_int_eq(spawn_error("/bin/true", NULL), CIO_ETIMEDOUT);
    cio_deadline_set(prev);
    proc_assert_no_children();
    return 0;
}

START_TEST(t_spawn_errors)
{
    cio_test_api_run(_i, spawn_errors_body, NULL);
}
END_TEST

/* ---- builder errors ---- */

static int
builder_body(void *arg)
{
    cio_command *cmd = (void *)1;
    cio_child *child = (void *)1;

    (void)arg;
    ck_assert_int_eq(cio_command_new(NULL, "x"), CIO_EINVAL);
    ck_assert_int_eq(cio_command_new(&cmd, NULL), CIO_EINVAL);
    ck_assert_ptr_null(cmd);
    ck_assert_int_eq(cio_command_new(&cmd, ""), CIO_EINVAL);
    ck_assert_int_eq(cio_command_arg(NULL, "x"), CIO_EINVAL);
    ck_assert_int_eq(cio_command_spawn(NULL, &child), CIO_EINVAL);
    ck_assert_ptr_null(child);
    ck_assert_int_eq(cio_command_stdin(NULL, CIO_STDIO_NULL), CIO_EINVAL);
    cio_command_free(NULL);
    cio_child_free(NULL);
    ck_assert_int_eq(cio_child_wait(NULL, NULL), CIO_EINVAL);
    ck_assert_int_eq(cio_child_try_wait(NULL, NULL), CIO_EINVAL);
    ck_assert_int_eq(cio_child_kill(NULL, SIGKILL), CIO_EINVAL);
    ck_assert_int_eq(cio_child_pid(NULL), CIO_EINVAL);
    ck_assert_ptr_null(cio_child_stdout(NULL));

    /* A setter's error sticks and is what spawn returns. */
    ck_assert_int_eq(cio_command_new(&cmd, "/bin/true"), 0);
    ck_assert_int_eq(cio_command_env(cmd, "A=B", "x"), CIO_EINVAL);
    ck_assert_int_eq(cio_command_arg(cmd, "fine"), 0);
    ck_assert_int_eq(cio_command_spawn(cmd, &child), CIO_EINVAL);
    cio_command_free(cmd);
    ck_assert_int_eq(cio_command_new(&cmd, "/bin/true"), 0);
    ck_assert_int_eq(cio_command_stdout(cmd, (cio_stdio)7), CIO_EINVAL);
    ck_assert_int_eq(cio_command_spawn(cmd, &child), CIO_EINVAL);
    cio_command_free(cmd);
    ck_assert_int_eq(cio_command_new(&cmd, "/bin/true"), 0);
    ck_assert_int_eq(cio_command_env(cmd, "", "x"), CIO_EINVAL);
    ck_assert_int_eq(cio_command_env(cmd, "A", NULL), CIO_EINVAL);
    ck_assert_int_eq(cio_command_env_remove(cmd, NULL), CIO_EINVAL);
    ck_assert_int_eq(cio_command_arg(cmd, NULL), CIO_EINVAL);
    ck_assert_int_eq(cio_command_args(cmd, NULL), CIO_EINVAL);
    ck_assert_int_eq(cio_command_process_group(cmd, -2), CIO_EINVAL);
    cio_command_free(cmd);
    proc_assert_no_children();
    return 0;
}

START_TEST(t_builder)
{
    cio_command *cmd;
    cio_child *child = (void *)1;

    /* No runtime on this thread. */
    ck_assert_int_eq(cio_command_new(&cmd, "/bin/true"), 0);
    ck_assert_int_eq(cio_command_spawn(cmd, &child), CIO_EPERM);
    ck_assert_ptr_null(child);
    cio_command_free(cmd);
    cio_test_api_run(_i, builder_body, NULL);
}
END_TEST

/* ---- SIGPIPE: ours ignored gives CIO_EPIPE; the child's is reset ---- */

static int
sigpipe_body(void *arg)
{
    static const char *const selfpipe[] = {"-c", "kill -PIPE $$; exit 0", NULL};
    void (*old)(int) = signal(SIGPIPE, SIG_IGN);
    cio_command *cmd = proc_cmd("/bin/true", NULL);
    cio_exit_status st;
    cio_child *child;
    cio_stream *in;

    (void)arg;
    ck_assert_int_eq(cio_command_stdin(cmd, CIO_STDIO_PIPED), 0);
    ck_assert_int_eq(cio_command_spawn(cmd, &child), 0);
    cio_command_free(cmd);
    in = cio_child_take_stdio(child, 0);
    ck_assert_int_eq(cio_child_wait(child, &st), 0);
    ck_assert(cio_exit_success(&st));
    ck_assert_int_eq(cio_stream_write(in, "x", 1), CIO_EPIPE);
    ck_assert_int_eq(cio_stream_close(in), 0);
    cio_child_free(child);

    /* A shell cannot undo a SIGPIPE ignored at its start: the signal
     * kills it only because spawn put the default back. */
    cmd = proc_cmd("/bin/sh", selfpipe);
    ck_assert_int_eq(cio_command_spawn(cmd, &child), 0);
    cio_command_free(cmd);
    ck_assert_int_eq(cio_child_wait(child, &st), 0);
    ck_assert_int_eq(st.signal, SIGPIPE);
    cio_child_free(child);
    signal(SIGPIPE, old);
    proc_assert_no_children();
    return 0;
}

START_TEST(t_sigpipe)
{
    cio_test_api_run(_i, sigpipe_body, NULL);
}
END_TEST

/* ---- output() ---- */

static int
output_body(void *arg)
{
    static const char *const hi[] = {"hi", NULL};
    static const char *const long_sleep[] = {"600", NULL};
    static const char *const both[] = {
        "-c", "echo to-out; echo to-err >&2; exit 7", NULL};
    cio_exit_status st;
    cio_command *cmd;
    uint64_t t0, prev;
    char *out = (void *)1;
    size_t len = 1;

    (void)arg;
    cmd = proc_cmd("/bin/echo", hi);
    ck_assert_int_eq(cio_command_output(cmd, &out, &len, &st), 0);
    ck_assert_str_eq(out, "hi\n");
    ck_assert_uint_eq(len, 3);
    ck_assert(cio_exit_success(&st));
    free(out);
    /* Output dropped; status still there. */
    ck_assert_int_eq(cio_command_output(cmd, NULL, &len, &st), 0);
    ck_assert_uint_eq(len, 3);
    cio_command_free(cmd);

    /* Piped stderr becomes /dev/null; the exit code comes through. */
    cmd = proc_cmd("/bin/sh", both);
    ck_assert_int_eq(cio_command_stderr(cmd, CIO_STDIO_PIPED), 0);
    ck_assert_int_eq(cio_command_stdin(cmd, CIO_STDIO_PIPED), 0);
    ck_assert_int_eq(cio_command_output(cmd, &out, &len, &st), 0);
    ck_assert_str_eq(out, "to-out\n");
    ck_assert_int_eq(st.code, 7);
    free(out);
    cio_command_free(cmd);

    /*
     * A deadline: the child (ten minutes of sleep) is killed and reaped,
     * nothing returned. The bound is far from both the sleep and any
     * delay of a slow run.
     */
    cmd = proc_cmd("sleep", long_sleep);
    t0 = cio_now();
    prev = cio_deadline_set(t0 + 50 * MS);
    ck_assert_int_eq(cio_command_output(cmd, &out, &len, &st), CIO_ETIMEDOUT);
    cio_deadline_set(prev);
    ck_assert_ptr_null(out);
    ck_assert_uint_eq(len, 0);
    ck_assert_uint_lt(cio_now() - t0, 60000 * MS);
    cio_command_free(cmd);

    /* Errors (an exec failure is invisible under valgrind, see above). */
    if (!cio_test_under_valgrind()) {
        cmd = proc_cmd("/nonexistent/cio-program", NULL);
        ck_assert_int_eq(cio_command_output(cmd, &out, &len, &st),
                         CIO_ENOENT);
        cio_command_free(cmd);
    }
    ck_assert_int_eq(cio_command_output(NULL, &out, &len, &st), CIO_EINVAL);
    proc_assert_no_children();
    return 0;
}

START_TEST(t_output)
{
    cio_test_api_run(_i, output_body, NULL);
}
END_TEST

/*
 * Skip the program when no backend loads. Tried in a child process, so
 * that the runner Check forks each case from has made no runtime (and
 * no pool) of its own. (cio_test_api_require_one asserts outside a
 * running test, which Check refuses.)
 */
static void
require_one_backend(void)
{
    pid_t pid = fork();
    int i, st = 0;

    if (pid < 0)
        return; /* Cannot tell: run, and let the cases say. */
    if (pid == 0) {
        for (i = 0; i < CIO_TEST_NBACKENDS; i++) {
            cio_config *cfg;
            cio_runtime *rt = NULL;

            if (cio_config_new(&cfg) < 0)
                continue;
            cio_config_set(cfg, "runtime", "backend", cio_test_backends[i]);
            cio_config_set(cfg, "runtime", "fallback", "no");
            if (cio_runtime_new(&rt, cfg) == 0) {
                cio_runtime_free(rt);
                cio_config_free(cfg);
                _exit(0);
            }
            cio_config_free(cfg);
        }
        _exit(CIO_TEST_SKIP);
    }
    while (waitpid(pid, &st, 0) < 0 && errno == EINTR)
        ;
    if (WIFEXITED(st) && WEXITSTATUS(st) == CIO_TEST_SKIP)
        cio_test_skip_all("no backend loads here");
}

int
main(void)
{
    Suite *s = suite_create("process");
    TCase *tc = tcase_create("process");

    require_one_backend();
    tcase_add_loop_test(tc, t_echo, 0, CIO_TEST_NBACKENDS);
    tcase_add_loop_test(tc, t_sh_args_env_cwd, 0, CIO_TEST_NBACKENDS);
    tcase_add_loop_test(tc, t_env_clear, 0, CIO_TEST_NBACKENDS);
    tcase_add_loop_test(tc, t_cat_roundtrip, 0, CIO_TEST_NBACKENDS);
    tcase_add_loop_test(tc, t_stderr, 0, CIO_TEST_NBACKENDS);
    tcase_add_loop_test(tc, t_null_stdin, 0, CIO_TEST_NBACKENDS);
    tcase_add_loop_test(tc, t_status, 0, CIO_TEST_NBACKENDS);
    tcase_add_loop_test(tc, t_spawn_errors, 0, CIO_TEST_NBACKENDS);
    tcase_add_loop_test(tc, t_builder, 0, CIO_TEST_NBACKENDS);
    tcase_add_loop_test(tc, t_output, 0, CIO_TEST_NBACKENDS);
    tcase_add_loop_test(tc, t_sigpipe, 0, CIO_TEST_NBACKENDS);
    proc_add_wait_tests(tc);
    suite_add_tcase(s, tc);
    return cio_test_run(s);
}
