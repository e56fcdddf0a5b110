/* SPDX-License-Identifier: MIT */
/*
 * cio_ctx_x86_64.S - task context switch for x86-64 (System V ABI).
 *
 * The SysV ABI makes rbx, rbp, r12-r15, the x87 control word and the
 * control bits of MXCSR callee-saved; everything else is already saved
 * by the caller of cio__ctx_swap, so this is all a switch has to keep.
 * Frame (from the saved stack pointer up):
 *   0: MXCSR (4 bytes), x87 control word (2 bytes), pad
 *   8: r15, 16: r14, 24: r13, 32: r12, 40: rbx, 48: rbp, 56: return
 * cio__ctx_make (cio_ctx_asm.c) builds the same frame for a new task,
 * with r12 = entry, r13 = arg and the return into cio__ctx_trampoline.
 *
 * Shadow stacks (CET SHSTK) cannot follow a stack switch done with ret,
 * so only IBT is claimed in the property note: linking this object then
 * turns SHSTK off for libcompio instead of crashing at the first switch.
 */
#if defined(__CET__) && (__CET__ & 1)
#define CIO_ENDBR endbr64
#else
#define CIO_ENDBR
#endif

    .text

    .globl  cio__ctx_swap
    .hidden cio__ctx_swap
    .type   cio__ctx_swap, @function
    .p2align 4
cio__ctx_swap:
    .cfi_startproc
    CIO_ENDBR
    pushq   %rbp
    pushq   %rbx
    pushq   %r12
    pushq   %r13
    pushq   %r14
    pushq   %r15
    subq    $8, %rsp
    stmxcsr (%rsp)
    fnstcw  4(%rsp)
    /* The words just saved, kept in rax to compare after the switch. */
    movq    (%rsp), %rax
    movq    %rsp, (%rdi)
    movq    %rsi, %rsp
    /*
     * Loading the control words is the slow part (fldcw serialises the
     * x87 unit) and they almost never differ between tasks: load each
     * only when it changes.
     */
    cmpl    (%rsp), %eax
    je      1f
    ldmxcsr (%rsp)
1:
    shrq    $32, %rax
    cmpw    4(%rsp), %ax
    je      2f
    fldcw   4(%rsp)
2:
    addq    $8, %rsp
    popq    %r15
    popq    %r14
    popq    %r13
    popq    %r12
    popq    %rbx
    popq    %rbp
    ret
    .cfi_endproc
    .size   cio__ctx_swap, .-cio__ctx_swap

/*
 * First code of a new context, reached by the ret above with the stack
 * 16-byte aligned: call entry(arg), which never returns.
 */
    .globl  cio__ctx_trampoline
    .hidden cio__ctx_trampoline
    .type   cio__ctx_trampoline, @function
    .p2align 4
cio__ctx_trampoline:
    .cfi_startproc
    .cfi_undefined rip
    CIO_ENDBR
    movq    %r13, %rdi
    callq   *%r12
    ud2
    .cfi_endproc
    .size   cio__ctx_trampoline, .-cio__ctx_trampoline

    .section .note.GNU-stack, "", @progbits

#if defined(__CET__) && (__CET__ & 1)
    /* GNU_PROPERTY_X86_FEATURE_1_AND = IBT only (see the header). */
    .section .note.gnu.property, "a"
    .p2align 3
    .long   4
    .long   16
    .long   5
    .asciz  "GNU"
    .long   0xc0000002
    .long   4
    .long   1
    .p2align 3
#endif
