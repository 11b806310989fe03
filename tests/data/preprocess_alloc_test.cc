// EncodeRow must not allocate: global operator new is replaced here (for this test binary
// only) by a counting pass-through to malloc, and the count must not move across calls.
#include <gtest/gtest.h>

#include <atomic>
#include <cstdlib>
#include <new>
#include <vector>

#include "data/invitations.h"
#include "data/preprocess.h"

// The replacement new/delete pair both use malloc/free, which GCC cannot see across inlining.
#pragma GCC diagnostic ignored "-Wmismatched-new-delete"

namespace {
std::atomic<long> g_allocations{0};
std::vector<int>* volatile g_sink = nullptr;  // keeps the compiler from eliding a new
}  // namespace

void* operator new(std::size_t n) {
  g_allocations.fetch_add(1, std::memory_order_relaxed);
  if (void* p = std::malloc(n ? n : 1)) return p;
  throw std::bad_alloc();
}
void* operator new[](std::size_t n) { return ::operator new(n); }
void operator delete(void* p) noexcept { std::free(p); }
void operator delete[](void* p) noexcept { std::free(p); }
void operator delete(void* p, std::size_t) noexcept { std::free(p); }
void operator delete[](void* p, std::size_t) noexcept { std::free(p); }

namespace ming {
namespace {

TEST(PreprocessAlloc, CounterSeesAllocations) {
  long before = g_allocations.load();
  g_sink = new std::vector<int>(100);
  delete g_sink;
  EXPECT_GE(g_allocations.load() - before, 2);
}

TEST(PreprocessAlloc, EncodeRowAllocatesNothing) {
  Result<CsvTable> t = ParseCsv(GenerateInvitations(300, 5), "inv.csv");
  ASSERT_TRUE(t.ok());
  std::vector<size_t> rows(t->rows());
  for (size_t i = 0; i < rows.size(); ++i) rows[i] = i;
  FitOptions o;
  o.label = "accepted";
  Result<Preprocessor> p = Preprocessor::Fit(*t, rows, o);
  ASSERT_TRUE(p.ok()) << p.status().message();
  const Preprocessor& pre = *p;

  // Raw cells for every row, in field order, prepared before counting.
  const size_t nf = pre.fields().size();
  std::vector<std::string_view> raw(rows.size() * nf);
  for (size_t f = 0; f < nf; ++f) {
    int c = t->column_index(pre.fields()[f].name);
    ASSERT_GE(c, 0);
    for (size_t r = 0; r < rows.size(); ++r) raw[r * nf + f] = t->cell(r, static_cast<size_t>(c));
  }
  // Unseen category, odd spacing, missing tokens: all still allocation-free.
  std::vector<std::string_view> odd(raw.begin(), raw.begin() + static_cast<ptrdiff_t>(nf));
  odd[static_cast<size_t>(pre.field_index("venue"))] = "bowling alley with a very long name";
  odd[static_cast<size_t>(pre.field_index("temperature"))] = "  NaN ";
  odd[static_cast<size_t>(pre.field_index("holiday"))] = " YES";

  std::vector<float> out(static_cast<size_t>(pre.encoded_width()));
  ASSERT_TRUE(pre.EncodeRow(raw.data(), out.data()).ok());  // warm-up
  const long before = g_allocations.load();
  bool all_ok = true;
  for (size_t r = 0; r < rows.size(); ++r) all_ok &= pre.EncodeRow(&raw[r * nf], out.data()).ok();
  all_ok &= pre.EncodeRow(odd.data(), out.data()).ok();
  const long allocated = g_allocations.load() - before;
  EXPECT_TRUE(all_ok);
  EXPECT_EQ(allocated, 0);
}

}  // namespace
}  // namespace ming
