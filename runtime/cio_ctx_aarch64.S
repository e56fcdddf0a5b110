/* SPDX-License-Identifier: MIT */
/*
 * cio_ctx_aarch64.S - task context switch for AArch64 (AAPCS64).
 *
 * Callee-saved: x19-x28, the frame pointer x29, the link register x30,
 * sp and the low 64 bits of v8-v15 (d8-d15). FPCR is kept per context
 * too, like MXCSR on x86-64, but only written when it differs because
 * msr fpcr can be slow. Frame (176 bytes, from the saved sp up):
 *   0: x19 x20, 16: x21 x22, 32: x23 x24, 48: x25 x26, 64: x27 x28,
 *   80: x29 x30, 96: d8 d9, 112: d10 d11, 128: d12 d13, 144: d14 d15,
 *   160: fpcr, 168: pad
 * cio__ctx_make (cio_ctx_asm.c) builds the same frame for a new task
 * with x19 = entry, x20 = arg and x30 = cio__ctx_trampoline.
 */
#if defined(__ARM_FEATURE_BTI_DEFAULT) && __ARM_FEATURE_BTI_DEFAULT
#define CIO_BTI_C hint 34
#else
#define CIO_BTI_C
#endif

    .text

    .globl  cio__ctx_swap
    .hidden cio__ctx_swap
    .type   cio__ctx_swap, %function
    .p2align 4
cio__ctx_swap:
    .cfi_startproc
    CIO_BTI_C
    sub     sp, sp, #176
    stp     x19, x20, [sp, #0]
    stp     x21, x22, [sp, #16]
    stp     x23, x24, [sp, #32]
    stp     x25, x26, [sp, #48]
    stp     x27, x28, [sp, #64]
    stp     x29, x30, [sp, #80]
    stp     d8, d9, [sp, #96]
    stp     d10, d11, [sp, #112]
    stp     d12, d13, [sp, #128]
    stp     d14, d15, [sp, #144]
    mrs     x9, fpcr
    str     x9, [sp, #160]
    mov     x10, sp
    str     x10, [x0]
    mov     sp, x1
    ldr     x10, [sp, #160]
    cmp     x9, x10
    b.eq    1f
    msr     fpcr, x10
1:
    ldp     x19, x20, [sp, #0]
    ldp     x21, x22, [sp, #16]
    ldp     x23, x24, [sp, #32]
    ldp     x25, x26, [sp, #48]
    ldp     x27, x28, [sp, #64]
    ldp     x29, x30, [sp, #80]
    ldp     d8, d9, [sp, #96]
    ldp     d10, d11, [sp, #112]
    ldp     d12, d13, [sp, #128]
    ldp     d14, d15, [sp, #144]
    add     sp, sp, #176
    ret
    .cfi_endproc
    .size   cio__ctx_swap, .-cio__ctx_swap

/*
 * First code of a new context, reached by the ret above (a ret is not a
 * BTI branch, so no landing pad is needed): call entry(arg), which never
 * returns.
 */
    .globl  cio__ctx_trampoline
    .hidden cio__ctx_trampoline
    .type   cio__ctx_trampoline, %function
    .p2align 4
cio__ctx_trampoline:
    .cfi_startproc
    .cfi_undefined x30
    mov     x0, x20
    blr     x19
    brk     #0
    .cfi_endproc
    .size   cio__ctx_trampoline, .-cio__ctx_trampoline

    .section .note.GNU-stack, "", %progbits

#if defined(__ARM_FEATURE_BTI_DEFAULT) && __ARM_FEATURE_BTI_DEFAULT
    /* GNU_PROPERTY_AARCH64_FEATURE_1_AND = BTI. */
    .section .note.gnu.property, "a"
    .p2align 3
    .long   4
    .long   16
    .long   5
    .asciz  "GNU"
    .long   0xc0000000
    .long   4
    .long   1
    .p2align 3
#endif
