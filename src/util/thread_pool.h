// A fork-join pool for data-parallel work: Run(fn) calls fn(t) once on each of the pool's
// threads (t = 0 is the caller) and returns when all are done. Idle workers sleep on a
// futex (std::atomic::wait) after a short bounded spin, so the pool never burns a core that
// another process needs; size 1 runs fn(0) inline with no synchronisation at all.
// Thread-safety: Run() must be called from one thread at a time.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <thread>
#include <vector>

namespace ming {

class ThreadPool {
 public:
  // REQUIRES: threads >= 1. threads - 1 workers are started.
  explicit ThreadPool(int threads);
  ~ThreadPool();
  ThreadPool(const ThreadPool&) = delete;
  ThreadPool& operator=(const ThreadPool&) = delete;

  int size() const { return size_; }
  void Run(const std::function<void(int)>& fn);

  // Number of hardware threads (at least 1).
  static int HardwareThreads();

 private:
  void WorkerLoop(int t);

  int size_;
  std::vector<std::thread> workers_;
  const std::function<void(int)>* fn_ = nullptr;
  std::atomic<uint32_t> generation_{0};
  std::atomic<int> pending_{0};
  std::atomic<bool> stop_{false};
};

// Splits [0, n) into `parts` contiguous chunks; returns chunk i as [*begin, *end).
inline void SplitRange(int64_t n, int parts, int i, int64_t* begin, int64_t* end) {
  const int64_t base = n / parts, rem = n % parts;
  *begin = i * base + (i < rem ? i : rem);
  *end = *begin + base + (i < rem ? 1 : 0);
}

}  // namespace ming
