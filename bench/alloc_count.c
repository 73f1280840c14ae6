/* LD_PRELOAD shim for bench/per_request.sh: counts heap allocations (malloc, calloc, realloc,
 * and operator new, which calls malloc) of the process it is loaded into. On SIGUSR2 it writes
 * "<allocations> <bytes>" to the file named by LLMP_ALLOC_COUNT_FILE, so a script can read the
 * count before and after a run of known length. Allocations per request do not depend on how
 * busy the machine is, unlike CPU time. Bench only: never loaded by tests or the product. */
#define _GNU_SOURCE
#include <fcntl.h>
#include <signal.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

extern void* __libc_malloc(size_t);
extern void* __libc_calloc(size_t, size_t);
extern void* __libc_realloc(void*, size_t);

static atomic_ulong allocations;
static atomic_ulong bytes;

void* malloc(size_t n) {
  atomic_fetch_add_explicit(&allocations, 1, memory_order_relaxed);
  atomic_fetch_add_explicit(&bytes, n, memory_order_relaxed);
  return __libc_malloc(n);
}

void* calloc(size_t count, size_t n) {
  atomic_fetch_add_explicit(&allocations, 1, memory_order_relaxed);
  atomic_fetch_add_explicit(&bytes, count * n, memory_order_relaxed);
  return __libc_calloc(count, n);
}

void* realloc(void* p, size_t n) {
  atomic_fetch_add_explicit(&allocations, 1, memory_order_relaxed);
  atomic_fetch_add_explicit(&bytes, n, memory_order_relaxed);
  return __libc_realloc(p, n);
}

/* Async-signal-safe decimal formatting. */
static size_t put(char* out, unsigned long v) {
  char tmp[24];
  size_t n = 0;
  do {
    tmp[n++] = (char)('0' + v % 10);
    v /= 10;
  } while (v != 0);
  for (size_t i = 0; i < n; ++i) {
    out[i] = tmp[n - 1 - i];
  }
  return n;
}

static char path[512]; /* read once at load: getenv is not async-signal-safe */

static void report(int sig) {
  (void)sig;
  if (path[0] == '\0') {
    return;
  }
  char line[64];
  size_t len = put(line, atomic_load(&allocations));
  line[len++] = ' ';
  len += put(line + len, atomic_load(&bytes));
  line[len++] = '\n';
  int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd >= 0) {
    ssize_t rc = write(fd, line, len);
    (void)rc;
    close(fd);
  }
}

__attribute__((constructor)) static void install(void) {
  const char* file = getenv("LLMP_ALLOC_COUNT_FILE");
  if (file != NULL && strlen(file) < sizeof path) {
    strcpy(path, file);
  }
  struct sigaction sa;
  memset(&sa, 0, sizeof sa);
  sa.sa_handler = report;
  sa.sa_flags = SA_RESTART;
  sigaction(SIGUSR2, &sa, NULL);
}
