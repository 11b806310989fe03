// A pool for data-parallel work with dynamic task claiming: ParallelFor(n, fn) runs
// fn(task, thread) once for every task in [0, n), on whichever threads are awake; the
// calling thread takes tasks too. If another process holds a core and a worker is not
// scheduled, the caller simply runs that worker's share: it never waits for a thread that
// has not started a task. Results must not depend on which thread ran a task (callers give
// each task its own output buffer and combine them in task order).
// Idle workers spin for a few microseconds, then sleep on a futex (std::atomic::wait).
// Thread-safety: ParallelFor/Run must be called from one thread at a time.
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
  // fn(task, thread) for task in [0, n); thread in [0, size()) identifies the executing
  // thread (for per-thread scratch). REQUIRES: n < 2^31.
  void ParallelFor(int n, const std::function<void(int task, int thread)>& fn);
  // fn(i) for i in [0, size()): one task per thread's worth of work.
  void Run(const std::function<void(int)>& fn);

  // Number of hardware threads (at least 1).
  static int HardwareThreads();

 private:
  void WorkerLoop(int t);
  void Drain(int t);

  int size_;
  std::vector<std::thread> workers_;
  const std::function<void(int, int)>* fn_ = nullptr;
  std::atomic<uint64_t> claim_{0};  // (tasks << 32) | next unclaimed task
  std::atomic<uint32_t> wake_{0};   // bumped to wake workers
  std::atomic<int> done_{0};        // tasks finished in the current job
  std::atomic<bool> stop_{false};
};

// Splits [0, n) into `parts` contiguous chunks; returns chunk i as [*begin, *end).
inline void SplitRange(int64_t n, int parts, int i, int64_t* begin, int64_t* end) {
  const int64_t base = n / parts, rem = n % parts;
  *begin = i * base + (i < rem ? i : rem);
  *end = *begin + base + (i < rem ? 1 : 0);
}

}  // namespace ming
