/* A deliberately leaking allocator for the load test's self-check: preloaded into
 * `ming serve`, it drops one free() in 8 of blocks of at least 256 bytes, so the server's
 * memory grows with its request count. The load test must report that growth as a failure;
 * if it does not, the RSS check cannot catch a real leak. */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <malloc.h>
#include <stddef.h>

static void (*real_free)(void*);
static unsigned long calls;

void free(void* p) {
  if (!real_free) real_free = (void (*)(void*))dlsym(RTLD_NEXT, "free");
  if (p && malloc_usable_size(p) >= 256 && (__atomic_add_fetch(&calls, 1, __ATOMIC_RELAXED) & 7) == 0) return;
  real_free(p);
}
