// Switching the CPU from one stack to another: the one machine-specific part of the fibers.
//
// glibc's swapcontext saves and restores the signal mask on every switch, one rt_sigprocmask
// system call each time (0.55 of them per proxied request in the run-9 profile). Fibers never
// change the signal mask, so on x86-64 a switch saves only what the calling convention says a
// callee keeps (rbx, rbp, r12-r15, the stack pointer, and the SSE and x87 control words) and
// makes no system call. Elsewhere it falls back to ucontext.
#pragma once

#include <cstddef>

#if !defined(__x86_64__)
#include <ucontext.h>
#endif

namespace llmp::host::fiber {

// Where a stack that is not running was left.
struct StackContext {
#if defined(__x86_64__)
  void* sp = nullptr;  // the saved registers sit at the top of the stack, here
#else
  ucontext_t uc{};
#endif
};

// Makes `into` start `entry` on the stack [stack, stack + size) at its first switchStack. entry
// must never return (it switches away for the last time instead).
void prepareStack(StackContext* into, char* stack, size_t size, void (*entry)());

// Saves the running stack into `from` and continues the one saved in `to`; returns when some
// later switch goes back to `from`.
void switchStack(StackContext* from, StackContext* to);

}  // namespace llmp::host::fiber
