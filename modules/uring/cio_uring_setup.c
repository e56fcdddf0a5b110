/* SPDX-License-Identifier: MIT */
/*
 * cio_uring_setup.c - the [module.uring] knobs, ring set-up with a
 * fallback for set-up flags the kernel rejects, and the per-op probe.
 *
 * Knobs (all optional; a bad value makes create() fail with CIO_EINVAL
 * and a reason naming the key):
 *   entries = N          SQ size, 1..32768 (default: [runtime] entries)
 *   cq_entries = N       CQ size, entries..65536 (default: 2 * entries)
 *   sqpoll = yes|no      kernel SQ polling thread (default no)
 *   sqpoll_idle_ms = N   its idle time before sleeping (needs sqpoll)
 *   sqpoll_cpu = N       pin it to CPU N (needs sqpoll)
 *   single_issuer = yes|no   IORING_SETUP_SINGLE_ISSUER (default yes)
 *   defer_taskrun = yes|no   IORING_SETUP_DEFER_TASKRUN (default yes
 *                        when single_issuer and not sqpoll)
 *   coop_taskrun = yes|no    IORING_SETUP_COOP_TASKRUN (default no)
 *   taskrun_flag = yes|no    IORING_SETUP_TASKRUN_FLAG (default no; needs
 *                        coop_taskrun or defer_taskrun)
 *   disable_ops = a,b    debugging knob: cio opcode names ("ftruncate,
 *                        statx") the module reports unsupported, so the
 *                        core runs them on its pool (or, for read_fixed,
 *                        write_fixed and send_zc, emulates them). For
 *                        tests of the per-op fallback and for bisecting
 *                        kernel bugs.
 *   disable_opflags = a,b  the same for op flags: multishot,
 *                        buffer_select, fixed_file are left to the
 *                        core's emulation (tests run the emulation on a
 *                        completion backend with it).
 *   cancel_any = yes|no  debugging knob: no makes cancel_all() (driver
 *                        close) cancel op by op from the module's own
 *                        list, as on kernels without
 *                        IORING_ASYNC_CANCEL_ANY (Linux < 5.19), so
 *                        tests cover that path (default yes where the
 *                        kernel has it).
 *   notify_multishot = yes|no  debugging knob: no watches the notify
 *                        eventfd with one-shot polls, re-armed and the
 *                        eventfd emptied with read(2) after each, as on
 *                        kernels without multishot poll (Linux < 5.13),
 *                        so tests cover that path (default yes).
 *   valgrind = auto|no   auto (the default): when running under
 *                        valgrind, wait in poll(2) without
 *                        DEFER_TASKRUN and mark what the kernel wrote
 *                        as defined (cio_uring_int.h). no: behave as
 *                        natively even there - for callgrind counts of
 *                        single-threaded programs, where those
 *                        adaptations would be counted as the module's
 *                        cost; memcheck then reports kernel-written
 *                        buffers as uninitialised and a wait for the
 *                        pool may hang.
 *
 * Why single_issuer + defer_taskrun by default. A driver belongs to one
 * thread (compio/driver.h), which is exactly the contract of these two
 * flags: the kernel skips the locking it needs for several submitters,
 * and completion work is batched and run only when the owner enters the
 * kernel to wait, instead of interrupting it with task-work IPIs.
 * notify() from other threads never submits (it writes an eventfd that
 * the owner polls through the ring), so the one-submitter rule holds.
 * The ring starts disabled (IORING_SETUP_R_DISABLED) and is enabled by
 * the first thread that submits or waits, so a driver may be opened on
 * one thread and run on another.
 *
 * The measurement, honestly: a NOP batch (push 256, poll until all are
 * back) and a pipe ping-pong (a READ completed by task work when a WRITE
 * lands) through cio_driver_push/poll, best of 3-4 runs of 0.5-1 s, on
 * this 2-vCPU VM under Linux 6.18 while other builds ran (load 3-6):
 *
 *   flags                  NOP Mops/s (3 rounds)   pipe round trips/s
 *   none                   6.9   6.7   4.5         277k  230k  158k
 *   coop                   7.7   8.3   3.5         312k  310k  116k
 *   single                 8.9   8.5   3.4         302k  300k  144k
 *   single+coop            8.0   7.2   4.5         250k  252k  188k
 *   single+defer           8.2   5.7   5.9         242k  236k  230k
 *   single+defer+tflag     4.8   5.9   8.9         184k  240k  334k
 *
 * Run-to-run noise (2x) swamps any difference between the flag sets on
 * a loaded two-CPU machine, and neither micro-benchmark has the case
 * DEFER_TASKRUN exists for (many network completions arriving while the
 * owner runs user code, each otherwise an IPI and a task-work run). So
 * the default rests on the contract above, not on these numbers; the
 * knobs are there to re-measure on real hardware.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "cio_uring_int.h"

/* Kernel limits (IORING_MAX_ENTRIES, IORING_MAX_CQ_ENTRIES). */
#define URING_MAX_ENTRIES 32768u
#define URING_MAX_CQ_ENTRIES (2u * URING_MAX_ENTRIES)

/* ---- value parsing ---- */

/* A yes/no value: 1, 0, or -1 when it is neither. */
static int
uring_parse_bool(const char *v)
{
    static const char *const yes[] = {"yes", "true", "on", "1"};
    static const char *const no[] = {"no", "false", "off", "0"};
    for (size_t i = 0; i < sizeof(yes) / sizeof(yes[0]); i++) {
        if (strcasecmp(v, yes[i]) == 0)
            return 1;
        if (strcasecmp(v, no[i]) == 0)
            return 0;
    }
    return -1;
}

/*
 * Read boolean @key into *@out (left alone when unset). 1 when set,
 * 0 when unset, CIO_EINVAL (with a reason) when malformed.
 */
static int
uring_knob_bool(const cio_host_api *api, cio_host *host, const char *key,
                int *out)
{
    const char *v = api->config_get(host, key);
    int b;
    if (v == NULL)
        return 0;
    b = uring_parse_bool(v);
    if (b < 0) {
        api->set_reason(host, "[module.uring] %s = '%s': want yes or no", key,
                        v);
        return CIO_EINVAL;
    }
    *out = b;
    return 1;
}

/*
 * Read @key, which is "auto" or "no", into *@out (1 for auto, left
 * alone when unset); same returns as uring_knob_bool.
 */
static int
uring_knob_auto(const cio_host_api *api, cio_host *host, const char *key,
                int *out)
{
    const char *v = api->config_get(host, key);
    if (v == NULL)
        return 0;
    if (strcasecmp(v, "auto") == 0 || strcasecmp(v, "no") == 0) {
        *out = strcasecmp(v, "auto") == 0;
        return 1;
    }
    api->set_reason(host, "[module.uring] %s = '%s': want auto or no", key,
                    v);
    return CIO_EINVAL;
}

/* Read unsigned @key in [@lo, @hi]; same returns as uring_knob_bool. */
static int
uring_knob_uint(const cio_host_api *api, cio_host *host, const char *key,
                unsigned lo, unsigned hi, unsigned *out)
{
    const char *v = api->config_get(host, key);
    unsigned long n;
    char *end;
    if (v == NULL)
        return 0;
    errno = 0;
    n = strtoul(v, &end, 10);
    if (*v < '0' || *v > '9' || *end != '\0' || errno != 0 || n < lo ||
        n > hi) {
        api->set_reason(host, "[module.uring] %s = '%s': want %u..%u", key, v,
                        lo, hi);
        return CIO_EINVAL;
    }
    *out = (unsigned)n;
    return 1;
}

/*
 * Parse disable_ops: cio opcode names separated by commas (blanks
 * around them ignored) into a bit set. 0 or CIO_EINVAL with a reason.
 */
static int
uring_knob_ops(const cio_host_api *api, cio_host *host, uint64_t *out)
{
    const char *v = api->config_get(host, "disable_ops");
    const char *p;
    *out = 0;
    if (v == NULL)
        return 0;
    for (p = v; *p != '\0';) {
        const char *s, *e;
        unsigned i;
        while (*p == ' ' || *p == '\t' || *p == ',')
            p++;
        if (*p == '\0')
            break;
        s = p;
        while (*p != '\0' && *p != ',')
            p++;
        e = p;
        while (e > s && (e[-1] == ' ' || e[-1] == '\t'))
            e--;
        for (i = 0; i < CIO_OP__COUNT; i++) {
            const cio_op_desc *d = api->op_desc(i);
            if (d != NULL && strlen(d->name) == (size_t)(e - s) &&
                strncmp(d->name, s, (size_t)(e - s)) == 0)
                break;
        }
        if (i == CIO_OP__COUNT) {
            api->set_reason(host,
                            "[module.uring] disable_ops: unknown opcode "
                            "'%.*s' (want names like read_at, statx)",
                            (int)(e - s), s);
            return CIO_EINVAL;
        }
        *out |= (uint64_t)1 << i;
    }
    return 0;
}

/* Parse disable_opflags into CIO_OPF_* bits. 0 or CIO_EINVAL. */
static int
uring_knob_opflags(const cio_host_api *api, cio_host *host, uint32_t *out)
{
    static const struct {
        const char *name;
        uint32_t bit;
    } names[] = {{"multishot", CIO_OPF_MULTISHOT},
                 {"buffer_select", CIO_OPF_BUFFER_SELECT},
                 {"fixed_file", CIO_OPF_FIXED_FILE}};
    const char *v = api->config_get(host, "disable_opflags");
    const char *p;
    *out = 0;
    if (v == NULL)
        return 0;
    for (p = v; *p != '\0';) {
        const char *s, *e;
        size_t i;
        while (*p == ' ' || *p == '\t' || *p == ',')
            p++;
        if (*p == '\0')
            break;
        s = p;
        while (*p != '\0' && *p != ',')
            p++;
        e = p;
        while (e > s && (e[-1] == ' ' || e[-1] == '\t'))
            e--;
        for (i = 0; i < sizeof(names) / sizeof(names[0]); i++)
            if (strlen(names[i].name) == (size_t)(e - s) &&
                strncmp(names[i].name, s, (size_t)(e - s)) == 0)
                break;
        if (i == sizeof(names) / sizeof(names[0])) {
            api->set_reason(host,
                            "[module.uring] disable_opflags: unknown flag "
                            "'%.*s' (want multishot, buffer_select, "
                            "fixed_file)",
                            (int)(e - s), s);
            return CIO_EINVAL;
        }
        *out |= names[i].bit;
    }
    return 0;
}

int
uring__knobs_read(const cio_host_api *api, cio_host *host, unsigned entries,
                  uring_knobs *k)
{
    int sqpoll = 0, single = 1, defer = -1, coop = 0, tflag = 0, cany = 1;
    int nmulti = 1;
    int vg = 1;
    int r, has_idle, has_cpu, has_defer, has_coop, has_tflag;

    memset(k, 0, sizeof(*k));
    k->entries = entries == 0 ? 1024u
                 : entries > URING_MAX_ENTRIES ? URING_MAX_ENTRIES
                                               : entries;
    if ((r = uring_knob_uint(api, host, "entries", 1, URING_MAX_ENTRIES,
                             &k->entries)) < 0 ||
        (r = uring_knob_uint(api, host, "cq_entries", 1, URING_MAX_CQ_ENTRIES,
                             &k->cq_entries)) < 0 ||
        (r = uring_knob_bool(api, host, "sqpoll", &sqpoll)) < 0 ||
        (r = has_idle = uring_knob_uint(api, host, "sqpoll_idle_ms", 0,
                                        3600000u, &k->sq_idle_ms)) < 0 ||
        (r = has_cpu = uring_knob_uint(api, host, "sqpoll_cpu", 0, INT_MAX,
                                       &k->sq_cpu)) < 0 ||
        (r = uring_knob_bool(api, host, "single_issuer", &single)) < 0 ||
        (r = has_defer = uring_knob_bool(api, host, "defer_taskrun",
                                         &defer)) < 0 ||
        (r = has_coop = uring_knob_bool(api, host, "coop_taskrun", &coop)) <
            0 ||
        (r = has_tflag = uring_knob_bool(api, host, "taskrun_flag", &tflag)) <
            0 ||
        (r = uring_knob_bool(api, host, "cancel_any", &cany)) < 0 ||
        (r = uring_knob_bool(api, host, "notify_multishot", &nmulti)) < 0 ||
        (r = uring_knob_auto(api, host, "valgrind", &vg)) < 0 ||
        (r = uring_knob_ops(api, host, &k->disabled)) < 0 ||
        (r = uring_knob_opflags(api, host, &k->disabled_opflags)) < 0)
        return r;

    /* The kernel rounds the SQ up to a power of two; compare unrounded. */
    if (k->cq_entries != 0 && k->cq_entries < k->entries) {
        api->set_reason(host,
                        "[module.uring] cq_entries = %u is less than "
                        "entries = %u",
                        k->cq_entries, k->entries);
        return CIO_EINVAL;
    }
    if ((has_idle || has_cpu) && !sqpoll) {
        api->set_reason(host, "[module.uring] %s needs sqpoll = yes",
                        has_idle ? "sqpoll_idle_ms" : "sqpoll_cpu");
        return CIO_EINVAL;
    }
    /*
     * defer_taskrun is only ever the default where the kernel allows it,
     * and not under valgrind, where the wait is a poll(2) that deferred
     * task work would not wake (cio_uring_int.h).
     */
    k->vg = vg && URING_UNDER_VALGRIND();
    if (!has_defer)
        defer = single && !sqpoll && !k->vg;
    if (defer && !single) {
        api->set_reason(host, "[module.uring] defer_taskrun = yes needs "
                              "single_issuer = yes");
        return CIO_EINVAL;
    }
    if (tflag && !coop && !defer) {
        api->set_reason(host, "[module.uring] taskrun_flag = yes needs "
                              "coop_taskrun or defer_taskrun");
        return CIO_EINVAL;
    }
    (void)has_coop;
    (void)has_tflag;
    k->no_cancel_any = !cany;
    k->no_notify_multi = !nmulti;

    if (k->cq_entries != 0)
        k->flags |= IORING_SETUP_CQSIZE;
    if (sqpoll)
        k->flags |= IORING_SETUP_SQPOLL;
    if (has_cpu)
        k->flags |= IORING_SETUP_SQ_AFF;
    if (single)
        k->flags |= IORING_SETUP_SINGLE_ISSUER;
    if (defer)
        k->flags |= IORING_SETUP_DEFER_TASKRUN;
    if (coop)
        k->flags |= IORING_SETUP_COOP_TASKRUN;
    if (tflag)
        k->flags |= IORING_SETUP_TASKRUN_FLAG;
    return 0;
}

/* ---- ring set-up ---- */

/*
 * The flags that may be dropped when the kernel says EINVAL, in the
 * order they are tried, each with the flags that cannot stay without it.
 */
static const struct {
    unsigned flag;
    unsigned also;
    const char *name;
} uring_optional[] = {
    {IORING_SETUP_SUBMIT_ALL, 0, "IORING_SETUP_SUBMIT_ALL"},
    {IORING_SETUP_SQ_AFF, 0, "sqpoll_cpu (IORING_SETUP_SQ_AFF)"},
    {IORING_SETUP_TASKRUN_FLAG, 0, "taskrun_flag"},
    {IORING_SETUP_DEFER_TASKRUN, 0, "defer_taskrun"},
    {IORING_SETUP_COOP_TASKRUN, 0, "coop_taskrun"},
    {IORING_SETUP_SQPOLL, IORING_SETUP_SQ_AFF, "sqpoll"},
    {IORING_SETUP_SINGLE_ISSUER,
     IORING_SETUP_DEFER_TASKRUN | IORING_SETUP_R_DISABLED, "single_issuer"},
};
#define URING_NOPTIONAL (sizeof(uring_optional) / sizeof(uring_optional[0]))

/* One io_uring_setup with @flags; 0 or -errno. */
static int
uring_try_init(uring_state *st, const uring_knobs *k, unsigned flags)
{
    struct io_uring_params p;
    int r;
    memset(&p, 0, sizeof(p));
    p.flags = flags;
    p.cq_entries = k->cq_entries;
    p.sq_thread_idle = k->sq_idle_ms;
    p.sq_thread_cpu = k->sq_cpu;
    r = io_uring_queue_init_params(k->entries, &st->ring, &p);
    if (r == 0) {
        st->flags = flags;
        st->features = p.features;
    }
    return r;
}

/*
 * Set up the ring with the flags @k asks for. When the kernel answers
 * EINVAL (a flag it does not know, or a combination or value it refuses)
 * find the culprit: the first optional flag whose removal alone makes
 * set-up succeed is dropped with a warning. If no single removal helps,
 * the first present flag goes and the search repeats. 0 or -errno with
 * a reason.
 */
int
uring__ring_init(uring_state *st, const uring_knobs *k)
{
    const cio_host_api *api = st->api;
    unsigned flags = k->flags;
    int r;

    /*
     * SUBMIT_ALL (Linux 5.18): one bad SQE must not leave the ones
     * behind it in the SQ, or a "flush to make room" would not.
     */
    flags |= IORING_SETUP_SUBMIT_ALL;
    /* See the top comment: the first user enables a single-issuer ring. */
    if (flags & IORING_SETUP_SINGLE_ISSUER)
        flags |= IORING_SETUP_R_DISABLED;
    r = uring_try_init(st, k, flags);
    while (r == -EINVAL) {
        size_t i, first = URING_NOPTIONAL;
        for (i = 0; i < URING_NOPTIONAL; i++) {
            unsigned drop = uring_optional[i].flag | uring_optional[i].also;
            if (!(flags & uring_optional[i].flag))
                continue;
            if (first == URING_NOPTIONAL)
                first = i;
            r = uring_try_init(st, k, flags & ~drop);
            if (r != -EINVAL)
                break;
        }
        if (i == URING_NOPTIONAL && first == URING_NOPTIONAL)
            break; /* Nothing left to drop: the EINVAL is final. */
        if (i == URING_NOPTIONAL)
            i = first;
        api->log(st->host, CIO_LOG_WARN,
                 "the kernel rejected %s (io_uring_setup: EINVAL); "
                 "running without it",
                 uring_optional[i].name);
        flags &= ~(uring_optional[i].flag | uring_optional[i].also);
        if (r == -EINVAL)
            r = uring_try_init(st, k, flags);
    }
    if (r < 0) {
        api->set_reason(st->host, "io_uring_setup(entries %u, flags 0x%x): %s",
                        k->entries, flags, strerror(-r));
        return r;
    }
    api->log(st->host, CIO_LOG_INFO,
             "ring: %u SQ / %u CQ entries, setup flags 0x%x, features 0x%x",
             st->ring.sq.ring_entries, st->ring.cq.ring_entries, st->flags,
             st->features);
    return 0;
}

/* ---- per-op probe ---- */

unsigned
uring__kernel_opcode(unsigned opcode)
{
    switch (opcode) {
    case CIO_OP_NOP:
        return IORING_OP_NOP;
    case CIO_OP_READ:
    case CIO_OP_READ_AT:
        return IORING_OP_READ;
    case CIO_OP_WRITE:
    case CIO_OP_WRITE_AT:
        return IORING_OP_WRITE;
    case CIO_OP_READV:
    case CIO_OP_READV_AT:
        return IORING_OP_READV;
    case CIO_OP_WRITEV:
    case CIO_OP_WRITEV_AT:
        return IORING_OP_WRITEV;
    case CIO_OP_FSYNC:
    case CIO_OP_FDATASYNC:
        return IORING_OP_FSYNC;
    case CIO_OP_OPENAT:
        return IORING_OP_OPENAT;
    case CIO_OP_CLOSE:
        return IORING_OP_CLOSE;
    case CIO_OP_STATX:
        return IORING_OP_STATX;
    case CIO_OP_FTRUNCATE:
        return URING_OP_FTRUNCATE;
    case CIO_OP_UNLINKAT:
        return IORING_OP_UNLINKAT;
    case CIO_OP_RENAMEAT:
        return IORING_OP_RENAMEAT;
    case CIO_OP_MKDIRAT:
        return IORING_OP_MKDIRAT;
    case CIO_OP_SYMLINKAT:
        return IORING_OP_SYMLINKAT;
    case CIO_OP_LINKAT:
        return IORING_OP_LINKAT;
    case CIO_OP_SOCKET:
        return IORING_OP_SOCKET;
    case CIO_OP_ACCEPT:
        return IORING_OP_ACCEPT;
    case CIO_OP_CONNECT:
        return IORING_OP_CONNECT;
    case CIO_OP_RECV:
        return IORING_OP_RECV;
    case CIO_OP_SEND:
        return IORING_OP_SEND;
    case CIO_OP_RECVMSG:
        return IORING_OP_RECVMSG;
    case CIO_OP_SENDMSG:
        return IORING_OP_SENDMSG;
    case CIO_OP_SHUTDOWN:
        return IORING_OP_SHUTDOWN;
    case CIO_OP_POLL_ADD:
        return IORING_OP_POLL_ADD;
    case CIO_OP_SPLICE:
        return IORING_OP_SPLICE;
    case CIO_OP_TIMEOUT:
        return IORING_OP_TIMEOUT;
    case CIO_OP_READ_FIXED:
        return IORING_OP_READ_FIXED;
    case CIO_OP_WRITE_FIXED:
        return IORING_OP_WRITE_FIXED;
    case CIO_OP_SEND_ZC:
        return IORING_OP_SEND_ZC;
    default:
        /* ASYNC_CANCEL is the facade's, BLOCKING the pool's. */
        return UINT_MAX;
    }
}

/*
 * Which op flags the kernel handles for native opcode @i. SQE flags and
 * ioprio bits cannot be probed, so the kernel release is read from an
 * opcode that arrived with them: IORING_OP_SOCKET came in 5.19 with
 * multishot accept and provided-buffer rings, IORING_OP_SEND_ZC in 6.0
 * with multishot recv. Fixed files are as old as io_uring itself. A
 * ring a kernel still refuses (bufpool_create) leaves that pool to the
 * core.
 */
static uint8_t
uring_opflags_of(unsigned i, struct io_uring_probe *p)
{
    int v519 = io_uring_opcode_supported(p, IORING_OP_SOCKET);
    int v60 = io_uring_opcode_supported(p, IORING_OP_SEND_ZC);
    uint8_t f = 0;

    switch (i) {
    case CIO_OP_READ:
    case CIO_OP_WRITE:
    case CIO_OP_READ_AT:
    case CIO_OP_WRITE_AT:
    case CIO_OP_READV:
    case CIO_OP_WRITEV:
    case CIO_OP_READV_AT:
    case CIO_OP_WRITEV_AT:
    case CIO_OP_FSYNC:
    case CIO_OP_FDATASYNC:
    case CIO_OP_CONNECT:
    case CIO_OP_SEND:
    case CIO_OP_RECVMSG:
    case CIO_OP_SENDMSG:
    case CIO_OP_SHUTDOWN:
    case CIO_OP_POLL_ADD:
    case CIO_OP_READ_FIXED:
    case CIO_OP_WRITE_FIXED:
    case CIO_OP_SEND_ZC:
        return CIO_OPF_FIXED_FILE;
    case CIO_OP_ACCEPT:
        f = CIO_OPF_FIXED_FILE;
        if (v519)
            f |= CIO_OPF_MULTISHOT;
        return f;
    case CIO_OP_RECV:
        f = CIO_OPF_FIXED_FILE;
        if (v519)
            f |= CIO_OPF_BUFFER_SELECT;
        if (v60)
            f |= CIO_OPF_MULTISHOT;
        return f;
    default:
        return 0;
    }
}

/*
 * Ask the kernel which opcodes it has (IORING_REGISTER_PROBE) and fill
 * st->native and st->opflags. The module's own machinery needs
 * ASYNC_CANCEL (cancel()) and POLL_ADD (notify()): without them the
 * ring is unusable, ENOSYS.
 */
int
uring__probe_ops(uring_state *st, const uring_knobs *k)
{
    struct io_uring_probe *p = io_uring_get_probe_ring(&st->ring);
    unsigned i, off = 0;
    if (p == NULL) {
        st->api->set_reason(st->host, "io_uring: the kernel has no "
                                      "IORING_REGISTER_PROBE (Linux < 5.6)");
        return CIO_ENOSYS;
    }
    if (!io_uring_opcode_supported(p, IORING_OP_ASYNC_CANCEL) ||
        !io_uring_opcode_supported(p, IORING_OP_POLL_ADD)) {
        io_uring_free_probe(p);
        st->api->set_reason(st->host, "io_uring: the kernel lacks "
                                      "ASYNC_CANCEL or POLL_ADD");
        return CIO_ENOSYS;
    }
    /*
     * IORING_ASYNC_CANCEL_ANY came with IORING_OP_SOCKET (5.19), like
     * the op flags below: without it the module tracks its ops.
     */
    st->track =
        k->no_cancel_any || !io_uring_opcode_supported(p, IORING_OP_SOCKET);
    if (st->track)
        st->api->log(st->host, CIO_LOG_INFO,
                     "no IORING_ASYNC_CANCEL_ANY%s: close cancels op by op",
                     k->no_cancel_any ? " (cancel_any = no)" : "");
    for (i = 0; i < CIO_OP__COUNT; i++) {
        unsigned kop = uring__kernel_opcode(i);
        st->native[i] = kop != UINT_MAX &&
                        io_uring_opcode_supported(p, (int)kop) &&
                        !(k->disabled & ((uint64_t)1 << i));
        if (kop != UINT_MAX && !st->native[i])
            off++;
        if (st->native[i])
            st->opflags[i] =
                (uint8_t)(uring_opflags_of(i, p) & ~k->disabled_opflags);
    }
    io_uring_free_probe(p);
    if (off != 0)
        st->api->log(st->host, CIO_LOG_INFO,
                     "%u opcode(s) unsupported or disabled: on the pool", off);
    return 0;
}
