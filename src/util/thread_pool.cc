// Dynamic task claiming on one 64-bit word (task count, next task). A worker that wakes
// late finds every task claimed and goes back to sleep; one that reads a stale word fails
// its compare-and-swap. A successful claim always belongs to the current job, whose fn_
// is read after the claim.
#include "util/thread_pool.h"

#include <immintrin.h>

namespace ming {
namespace {

constexpr int kSpinIterations = 4000;  // a few microseconds, then sleep

template <class T, class Pred>
void SpinThenWait(std::atomic<T>& a, Pred done) {
  for (int i = 0; i < kSpinIterations; ++i) {
    if (done()) return;
    _mm_pause();
  }
  for (;;) {
    const T seen = a.load(std::memory_order_acquire);
    if (done()) return;
    a.wait(seen, std::memory_order_acquire);
  }
}

}  // namespace

ThreadPool::ThreadPool(int threads) : size_(threads < 1 ? 1 : threads) {
  for (int t = 1; t < size_; ++t) workers_.emplace_back([this, t] { WorkerLoop(t); });
}

ThreadPool::~ThreadPool() {
  stop_.store(true, std::memory_order_release);
  wake_.fetch_add(1, std::memory_order_acq_rel);
  wake_.notify_all();
  for (auto& w : workers_) w.join();
}

int ThreadPool::HardwareThreads() {
  unsigned n = std::thread::hardware_concurrency();
  return n == 0 ? 1 : static_cast<int>(n);
}

void ThreadPool::Drain(int t) {
  for (;;) {
    uint64_t w = claim_.load(std::memory_order_acquire);
    const uint64_t n = w >> 32, next = w & 0xffffffffu;
    if (next >= n) return;
    if (!claim_.compare_exchange_weak(w, w + 1, std::memory_order_acq_rel)) continue;
    (*fn_)(static_cast<int>(next), t);
    if (done_.fetch_add(1, std::memory_order_acq_rel) + 1 == static_cast<int>(n)) done_.notify_all();
  }
}

void ThreadPool::ParallelFor(int n, const std::function<void(int, int)>& fn) {
  if (n <= 0) return;
  if (size_ == 1 || n == 1) {
    for (int i = 0; i < n; ++i) fn(i, 0);
    return;
  }
  fn_ = &fn;
  done_.store(0, std::memory_order_relaxed);
  claim_.store(static_cast<uint64_t>(n) << 32, std::memory_order_release);
  wake_.fetch_add(1, std::memory_order_acq_rel);
  wake_.notify_all();
  Drain(0);
  SpinThenWait(done_, [&] { return done_.load(std::memory_order_acquire) == n; });
}

void ThreadPool::Run(const std::function<void(int)>& fn) {
  ParallelFor(size_, [&](int task, int) { fn(task); });
}

void ThreadPool::WorkerLoop(int t) {
  uint32_t seen = 0;  // wake_ starts at 0 and cannot move before workers exist
  for (;;) {
    SpinThenWait(wake_, [&] { return wake_.load(std::memory_order_acquire) != seen; });
    seen = wake_.load(std::memory_order_acquire);
    if (stop_.load(std::memory_order_acquire)) return;
    Drain(t);
  }
}

}  // namespace ming
