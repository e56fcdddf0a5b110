/* SPDX-License-Identifier: MIT */
/*
 * check_fiber.c - the raw context switch (runtime/cio_ctx_*), linked in
 * directly: many switches between fibers keep every callee-saved value
 * and the floating point control state of each fiber.
 */
#include "config.h"

#include <fenv.h>
#include <stdint.h>
#include <stdlib.h>
#ifdef _WIN32
#include <windows.h>
#else
#include <sys/mman.h>
#endif

#include "cio_fiber.h"
#include "cio_test.h"

#ifdef HAVE_VALGRIND_VALGRIND_H
#include <valgrind/valgrind.h>
#else
#define VALGRIND_STACK_REGISTER(lo, hi) 0u
#define VALGRIND_STACK_DEREGISTER(id) ((void)(id))
#endif

#define SWITCHES 200000
#define STACK (256 * 1024)

static cio__fiber main_fib;
static cio__fiber fib[2];
static volatile uint64_t seed[2] = {0x9e3779b97f4a7c15ull,
                                    0x0123456789abcdefull};
static int errors[2];
static int done[2];
static int round_mode[2] = {FE_UPWARD, FE_DOWNWARD};

/* Opaque to the optimiser, so values really live across the switch. */
static void __attribute__((noinline)) hop(int self)
{
    cio__fiber_switch(&fib[self], self == 0 ? &fib[1] : &main_fib, 0);
}

static void
fiber_body(void *arg)
{
    int self = (int)(intptr_t)arg;
    /*
     * Twelve integers and four doubles live across every switch: more
     * than the callee-saved registers, so the compiler keeps some in
     * them and spills the rest to this fiber's stack.
     */
    uint64_t a = seed[self], b = a * 3, c = a ^ 0x5555, d = a + 7, e = a * 11,
             f = a >> 3, g = ~a, h = a * a, i = a + b, j = c * d, k = e ^ f,
             l = g + h;
    double x = (double)(a & 0xffff) / 3.0, y = x * 1.5, z = y - 0.25,
           w = z / 7.0;
    int n;

    cio__fiber_entered();
    fesetround(round_mode[self]);
    for (n = 0; n < SWITCHES; n++) {
        uint64_t sum = a + b + c + d + e + f + g + h + i + j + k + l;
        double fsum = x + y + z + w;
        hop(self);
        if (sum != a + b + c + d + e + f + g + h + i + j + k + l ||
            fsum != x + y + z + w || fegetround() != round_mode[self])
            errors[self]++;
        a++, b++, c++, d++, e++, f++, g++, h++, i++, j++, k++, l++;
        x += 1.0, y += 1.0, z += 1.0, w += 1.0;
    }
    done[self] = 1;
    for (;;)
        hop(self);
}

START_TEST(test_switch_preserves_state)
{
    void *st[2];
    unsigned vg[2];
    int i, n = 0;

    ck_assert_int_eq(cio__fiber_thread(&main_fib), 0);
    for (i = 0; i < 2; i++) {
#ifdef _WIN32
        /* Fibers bring their own stacks; this one is only passed along. */
        st[i] = VirtualAlloc(NULL, STACK, MEM_RESERVE | MEM_COMMIT,
                             PAGE_READWRITE);
        ck_assert_ptr_nonnull(st[i]);
#else
        st[i] = mmap(NULL, STACK, PROT_READ | PROT_WRITE,
                     MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
        ck_assert_ptr_ne(st[i], MAP_FAILED);
#endif
        /* Tell valgrind, as the runtime does for its stacks. */
        vg[i] = VALGRIND_STACK_REGISTER(st[i], (char *)st[i] + STACK);
        ck_assert_int_eq(cio__fiber_make(&fib[i], st[i], STACK, fiber_body,
                                         (void *)(intptr_t)i),
                         0);
    }
    fesetround(FE_TONEAREST);
    /* main -> fiber 0 -> fiber 1 -> main, round and round. */
    while (!done[0] || !done[1]) {
        cio__fiber_switch(&main_fib, &fib[0], 0);
        ck_assert_int_eq(fegetround(), FE_TONEAREST);
        n++;
    }
    ck_assert_int_eq(errors[0], 0);
    ck_assert_int_eq(errors[1], 0);
    ck_assert_int_ge(n, SWITCHES);
    for (i = 0; i < 2; i++) {
        cio__fiber_destroy(&fib[i]);
        VALGRIND_STACK_DEREGISTER(vg[i]);
#ifdef _WIN32
        VirtualFree(st[i], 0, MEM_RELEASE);
#else
        munmap(st[i], STACK);
#endif
    }
    cio__fiber_thread_fini(&main_fib);
}
END_TEST

int
main(void)
{
    Suite *s = suite_create("fiber");
    TCase *tc = tcase_create("switch");

    tcase_add_test(tc, test_switch_preserves_state);
    suite_add_tcase(s, tc);
    return cio_test_run(s);
}
