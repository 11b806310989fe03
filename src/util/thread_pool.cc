// Fork-join pool: a generation counter wakes workers, a pending counter tells the caller
// when they are done. Both wait with a short spin, then sleep in the kernel.
#include "util/thread_pool.h"

#include <immintrin.h>

namespace ming {
namespace {

constexpr int kSpinIterations = 4000;  // a few microseconds, then sleep

template <class T, class Pred>
void SpinThenWait(std::atomic<T>& a, T old, Pred done) {
  for (int i = 0; i < kSpinIterations; ++i) {
    if (done()) return;
    _mm_pause();
  }
  while (!done()) a.wait(old, std::memory_order_acquire);
}

}  // namespace

ThreadPool::ThreadPool(int threads) : size_(threads < 1 ? 1 : threads) {
  for (int t = 1; t < size_; ++t) workers_.emplace_back([this, t] { WorkerLoop(t); });
}

ThreadPool::~ThreadPool() {
  stop_.store(true, std::memory_order_release);
  generation_.fetch_add(1, std::memory_order_acq_rel);
  generation_.notify_all();
  for (auto& w : workers_) w.join();
}

int ThreadPool::HardwareThreads() {
  unsigned n = std::thread::hardware_concurrency();
  return n == 0 ? 1 : static_cast<int>(n);
}

void ThreadPool::Run(const std::function<void(int)>& fn) {
  if (size_ == 1) {
    fn(0);
    return;
  }
  fn_ = &fn;
  pending_.store(size_ - 1, std::memory_order_release);
  generation_.fetch_add(1, std::memory_order_acq_rel);
  generation_.notify_all();
  fn(0);
  for (;;) {
    int p = pending_.load(std::memory_order_acquire);
    if (p == 0) break;
    SpinThenWait(pending_, p, [&] { return pending_.load(std::memory_order_acquire) != p; });
  }
  fn_ = nullptr;
}

void ThreadPool::WorkerLoop(int t) {
  uint32_t seen = 0;  // generation_ starts at 0 and cannot move before workers exist
  for (;;) {
    SpinThenWait(generation_, seen,
                 [&] { return generation_.load(std::memory_order_acquire) != seen; });
    seen = generation_.load(std::memory_order_acquire);
    if (stop_.load(std::memory_order_acquire)) return;
    (*fn_)(t);
    if (pending_.fetch_sub(1, std::memory_order_acq_rel) == 1) pending_.notify_one();
  }
}

}  // namespace ming
