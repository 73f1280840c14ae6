#include "fiber/stack_switch.h"

#include <cstdint>
#include <cstring>

#if defined(__SANITIZE_ADDRESS__)
#include <sanitizer/asan_interface.h>
#endif

#if defined(__x86_64__)

// llmp_fiber_switch(void** saveSp, void* loadSp), System V AMD64: pushes the callee-saved
// registers and the SSE (MXCSR) and x87 control words on the running stack, stores the stack
// pointer in *saveSp, takes loadSp as the stack pointer and pops the same frame from it. The
// `ret` then continues wherever that stack last called llmp_fiber_switch (or, on a fresh stack,
// enters the entry function prepareStack put there).
asm(R"(
  .text
  .p2align 4
  .globl llmp_fiber_switch
  .hidden llmp_fiber_switch
  .type llmp_fiber_switch, @function
llmp_fiber_switch:
  .cfi_startproc
  pushq %rbp
  pushq %rbx
  pushq %r12
  pushq %r13
  pushq %r14
  pushq %r15
  subq $8, %rsp
  stmxcsr (%rsp)
  fnstcw 4(%rsp)
  movq %rsp, (%rdi)
  movq %rsi, %rsp
  ldmxcsr (%rsp)
  fldcw 4(%rsp)
  addq $8, %rsp
  popq %r15
  popq %r14
  popq %r13
  popq %r12
  popq %rbx
  popq %rbp
  ret
  .cfi_endproc
  .size llmp_fiber_switch, .-llmp_fiber_switch
)");

extern "C" void llmp_fiber_switch(void** saveSp, void* loadSp);

namespace llmp::host::fiber {

void prepareStack(StackContext* into, char* stack, size_t size, void (*entry)()) {
#if defined(__SANITIZE_ADDRESS__)
  // A recycled stack still carries the redzones of the last fiber's frames in AddressSanitizer's
  // shadow memory; the frame written below (and the new fiber's frames) must not land on them.
  ASAN_UNPOISON_MEMORY_REGION(stack, size);
#endif
  // The frame llmp_fiber_switch pops, from the lowest address: the control words, r15, r14, r13,
  // r12, rbx, rbp, then the address `ret` jumps to (entry) and a null return address for entry
  // itself, where a debugger's backtrace stops. entry then starts with the stack pointer 8 bytes
  // below a 16-byte boundary, as after a call.
  auto top = reinterpret_cast<uintptr_t>(stack + size) & ~uintptr_t{15};
  auto* frame = reinterpret_cast<uint64_t*>(top) - 9;
  uint32_t mxcsr = 0;
  uint16_t fcw = 0;
  asm volatile("stmxcsr %0" : "=m"(mxcsr));
  asm volatile("fnstcw %0" : "=m"(fcw));
  uint64_t controls = mxcsr | (uint64_t{fcw} << 32);
  frame[0] = controls;
  for (int i = 1; i <= 6; ++i) {
    frame[i] = 0;
  }
  frame[7] = reinterpret_cast<uint64_t>(entry);
  frame[8] = 0;
  into->sp = frame;
}

void switchStack(StackContext* from, StackContext* to) { llmp_fiber_switch(&from->sp, to->sp); }

}  // namespace llmp::host::fiber

#else

namespace llmp::host::fiber {

void prepareStack(StackContext* into, char* stack, size_t size, void (*entry)()) {
  ::getcontext(&into->uc);
  into->uc.uc_stack.ss_sp = stack;
  into->uc.uc_stack.ss_size = size;
  into->uc.uc_link = nullptr;
  ::makecontext(&into->uc, entry, 0);
}

void switchStack(StackContext* from, StackContext* to) { ::swapcontext(&from->uc, &to->uc); }

}  // namespace llmp::host::fiber

#endif
