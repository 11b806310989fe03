// CHECK for invariants the code itself guarantees (never for user input: that gets a Status).
// A failed check prints the place and aborts.
#pragma once

#include <cstdio>
#include <cstdlib>

#define MING_CHECK(cond)                                                          \
  do {                                                                            \
    if (!(cond)) {                                                                \
      std::fprintf(stderr, "%s:%d: internal check failed: %s\n", __FILE__, __LINE__, #cond); \
      std::abort();                                                               \
    }                                                                             \
  } while (0)
