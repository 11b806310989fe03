// Dynamic batching: single-row requests, already validated and encoded by the request
// thread, wait in one queue; a batcher thread takes up to max_batch consecutive requests
// for the same model version (or whatever arrived within max_delay_us of the first), runs
// them through the plan as one batch, and hands each request its row of outputs.
// Thread-safety: Submit from any thread; the finish callback runs on the batcher thread.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

#include "runtime/plan.h"
#include "server/http_server.h"
#include "server/model_store.h"
#include "server/protocol.h"

namespace ming::server {

struct BatchItem {
  std::shared_ptr<const ServedModel> model;
  std::vector<float> x;  // the encoded row [inputs]
  InferRequest req;      // id and requested outputs (inputs already consumed)
  Reply reply;
  std::chrono::steady_clock::time_point start;
};

class Batcher {
 public:
  // finish(item, out, rows) is called once per item with its network outputs out[outputs];
  // rows is the batch's size for its first item and 0 for the others.
  using Finish = std::function<void(BatchItem& item, const float* out, int batch_rows)>;
  Batcher(int max_batch, int max_delay_us, int max_queue, Finish finish);
  ~Batcher();  // answers everything queued, then stops
  Batcher(const Batcher&) = delete;
  Batcher& operator=(const Batcher&) = delete;

  // Queues an item; false (item untouched) when the queue is full.
  bool Submit(BatchItem& item);
  int64_t depth() const;

 private:
  void Loop();
  void RunBatch(std::vector<BatchItem>& batch);

  const int max_batch_, max_delay_us_, max_queue_;
  Finish finish_;
  mutable std::mutex mu_;
  std::condition_variable cv_;
  std::deque<BatchItem> queue_;
  bool stop_ = false;
  std::vector<float> X_, out_;
  std::unique_ptr<PlanScratch> scratch_;
  std::thread thread_;
};

}  // namespace ming::server
