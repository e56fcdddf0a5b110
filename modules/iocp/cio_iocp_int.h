/* SPDX-License-Identifier: MIT */
/*
 * cio_iocp_int.h - state shared by the files of the IOCP module:
 * cio_iocp.c (descriptor, probe, create/destroy, wait, notify, cancel),
 * cio_iocp_submit.c (opcode -> overlapped call, completion results),
 * cio_iocp_handle.c (attach and the table of attached handles),
 * cio_iocp_timer.c (the TIMEOUT heap) and cio_iocp_err.c (the one
 * Windows error -> CIO_E* table). Never installed. Cross-file names
 * carry the iocp__ prefix and stay hidden: the DLL exports only
 * cio_backend_iocp.
 */
#ifndef CIO_IOCP_INT_H
#define CIO_IOCP_INT_H

#ifndef WIN32_LEAN_AND_MEAN
#define WIN32_LEAN_AND_MEAN
#endif
#include <winsock2.h>
#include <ws2tcpip.h>
#include <mswsock.h>
#include <windows.h>

#include <stdatomic.h>
#include <stdint.h>

#include <compio/module.h>

/* Completion keys of the port: ops use IOCP_KEY_OP, notify() its own. */
#define IOCP_KEY_OP 0u
#define IOCP_KEY_NOTIFY 1u

/* What the module learnt about an attached handle (iocp_handle.kind). */
enum iocp_kind {
    IOCP_KIND_FILE = 1, /* A disk file: offsets matter. */
    IOCP_KIND_PIPE,     /* A named pipe (or another stream handle). */
    IOCP_KIND_STREAM,   /* A SOCK_STREAM socket. */
    IOCP_KIND_DGRAM,    /* Any other socket (UDP, raw). */
    IOCP_KIND_SOCKH,    /* A socket Winsock does not know under this
                           value (a DuplicateHandle copy): read and
                           written with ReadFile/WriteFile. */
    IOCP_KIND_OTHER,    /* A character device or unknown. */
    IOCP_KIND_POOLED    /* Opened without overlapped IO (or a console):
                           not associated; its IO goes to the pool. */
};

/* One entry of the table of attached handles. */
typedef struct iocp_handle {
    cio_fd h;     /* CIO_INVALID_FD: an empty slot. */
    uint8_t kind; /* enum iocp_kind. */
    uint8_t skip; /* FILE_SKIP_COMPLETION_PORT_ON_SUCCESS is set. */
} iocp_handle;

/* How an op held by the module waits (iocp_opriv.where). */
enum iocp_where {
    IOCP_AT_NONE = 0, /* Not held. */
    IOCP_AT_KERNEL,   /* Overlapped call pending: a packet will come. */
    IOCP_AT_HEAP      /* A TIMEOUT in the heap. */
};

/* WSABUFs kept inside the op; more are allocated. */
#define IOCP_INLINE_BUFS 3

/*
 * The module's per-op state, overlaid on op->priv. The OVERLAPPED comes
 * first, so a completion packet's lpOverlapped is the priv address and
 * the op is found from it by subtraction. Everything the kernel reads
 * after the call returned (WSARecv flags, the from-length of
 * WSARecvFrom, the WSABUF array) lives here or in "extra", never on the
 * submitting function's stack.
 */
typedef struct iocp_opriv {
    union {
        OVERLAPPED ov; /* Ops the kernel performs. */
        struct {
            uint64_t deadline; /* Absolute, host->now_ns clock. */
            uint32_t heap_idx; /* Slot in the heap. */
        } t;                   /* TIMEOUT. */
    } u;
    struct iocp_opriv *next; /* Held list (cancel_all, destroy). */
    struct iocp_opriv *prev;
    void *extra;    /* Allocation freed at completion. */
    uintptr_t aux;  /* ACCEPT: the new socket; READ: position. */
    DWORD wflags;   /* WSARecv flags, written by the kernel. */
    uint8_t where;  /* enum iocp_where. */
    uint8_t kind;   /* The handle's kind at submit time. */
    uint8_t bounce; /* extra is a bounce buffer to scatter. */
    uint8_t pad;
    WSABUF bufs[IOCP_INLINE_BUFS];
} iocp_opriv;

/* One driver. Everything hangs off this: no global mutable state. */
typedef struct iocp_state {
    const cio_host_api *api;
    cio_host *host;
    HANDLE port;
    int wsa;        /* WSAStartup succeeded: call WSACleanup. */
    unsigned batch; /* Entries fetched per GQCSEx. */
    OVERLAPPED_ENTRY *entries;
    /* Extension functions, from WSAIoctl(SIO_GET_EXTENSION_...). */
    LPFN_ACCEPTEX accept_ex;
    LPFN_CONNECTEX connect_ex;
    LPFN_GETACCEPTEXSOCKADDRS accept_addrs;
    LPFN_WSARECVMSG recv_msg; /* NULL: WSARecvFrom, without control. */
    /* Attached handles: open addressing, a power-of-two size. */
    iocp_handle *handles;
    unsigned nhandles; /* Slots. */
    unsigned used;     /* Occupied slots. */
    /* Ops the kernel holds (circular list through iocp_opriv). */
    iocp_opriv held;
    unsigned nheld;
    /* TIMEOUT ops, a min-heap on deadline. */
    cio_op **heap;
    unsigned heap_len;
    unsigned heap_cap;
    /* skip_mode = no in [module.iocp]: never skip the port. */
    int no_skip;
    /* While wait_batch() runs: completions go to out[nout..out_max). */
    cio_completion *out;
    unsigned nout;
    unsigned out_max;
    /*
     * notify() protocol, see iocp_wait: "pending" says a wake-up was
     * asked for, "sleeping" says the owner may be blocked in GQCSEx.
     */
    atomic_int pending;
    atomic_int sleeping;
    /* A notify packet is queued and not yet dequeued. */
    atomic_int posted;
} iocp_state;

/* The module's part of @op->priv. */
static inline iocp_opriv *
iocp__priv(cio_op *op)
{
    return (iocp_opriv *)(void *)op->priv.u64;
}

/* The op whose priv is @p. */
static inline cio_op *
iocp__op_of(iocp_opriv *p)
{
    return (cio_op *)(void *)((char *)p - offsetof(cio_op, priv));
}

/* Deliver @op's final completion (into st->out during wait_batch). */
void iocp__deliver(iocp_state *st, cio_op *op, int32_t result);

/* A call failed at once with a warning status (cio_iocp.c). */
void iocp__sync_warning(iocp_state *st, cio_op *op, DWORD code);

/* Held list. */
void iocp__hold(iocp_state *st, cio_op *op);
void iocp__unhold(iocp_state *st, cio_op *op);

/* Attached handles (cio_iocp_handle.c). */
int iocp__attach(void *state, cio_fd fd);
const iocp_handle *iocp__handle_get(iocp_state *st, cio_fd fd, int *err);
int iocp__sock_kind(SOCKET s);
void iocp__handles_free(iocp_state *st);

/* Submissions and their results (cio_iocp_submit.c). */
int iocp__submit(void *state, cio_op *op);
unsigned iocp__submit_batch(void *state, cio_op *const *ops, unsigned n,
                            int *err);
int iocp__supports(void *state, unsigned opcode);
int32_t iocp__finish(iocp_state *st, cio_op *op, DWORD status_win32,
                     DWORD bytes);
int iocp__load_extensions(iocp_state *st);

/* Timer heap (cio_iocp_timer.c). */
int iocp__timer_add(iocp_state *st, cio_op *op);
void iocp__timer_remove(iocp_state *st, cio_op *op);
unsigned iocp__timer_expire(iocp_state *st, uint64_t now);
uint64_t iocp__timer_next(const iocp_state *st);

/* Errors (cio_iocp_err.c): one table for Win32, WSA and NTSTATUS. */
int32_t iocp__err_win32(DWORD code);
DWORD iocp__ntstatus_win32(LONG status);
int32_t iocp__err_last(void);
int32_t iocp__err_wsa(void);

#endif /* CIO_IOCP_INT_H */
