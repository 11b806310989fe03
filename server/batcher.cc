// The batching queue and its thread (see batcher.h).
#include "server/batcher.h"

#include "runtime/model_impl.h"

namespace ming::server {

Batcher::Batcher(int max_batch, int max_delay_us, int max_queue, Finish finish)
    : max_batch_(std::max(1, max_batch)), max_delay_us_(max_delay_us), max_queue_(max_queue),
      finish_(std::move(finish)), thread_([this] { Loop(); }) {}

Batcher::~Batcher() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    stop_ = true;
  }
  cv_.notify_all();
  thread_.join();
}

bool Batcher::Submit(BatchItem& item) {
  bool wake;
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (static_cast<int>(queue_.size()) >= max_queue_) return false;
    queue_.push_back(std::move(item));
    // The batcher waits for a first row, then for a full batch or its deadline: only those
    // two events wake it. Waking it for every row would cost a context switch per request
    // while it cannot act on any of them.
    const int n = static_cast<int>(queue_.size());
    wake = n == 1 || n == max_batch_;
  }
  if (wake) cv_.notify_one();
  return true;
}

int64_t Batcher::depth() const {
  std::lock_guard<std::mutex> lock(mu_);
  return static_cast<int64_t>(queue_.size());
}

void Batcher::Loop() {
  std::vector<BatchItem> batch;
  std::unique_lock<std::mutex> lock(mu_);
  for (;;) {
    cv_.wait(lock, [this] { return stop_ || !queue_.empty(); });
    if (queue_.empty()) return;  // stopping and nothing left
    // Wait for more rows until the batch is full or the first row has waited max_delay_us.
    const auto deadline = queue_.front().start + std::chrono::microseconds(max_delay_us_);
    cv_.wait_until(lock, deadline, [this] { return stop_ || static_cast<int>(queue_.size()) >= max_batch_; });
    const ServedModel* model = queue_.front().model.get();
    while (!queue_.empty() && static_cast<int>(batch.size()) < max_batch_ && queue_.front().model.get() == model) {
      batch.push_back(std::move(queue_.front()));
      queue_.pop_front();
    }
    lock.unlock();
    RunBatch(batch);
    batch.clear();
    lock.lock();
  }
}

void Batcher::RunBatch(std::vector<BatchItem>& batch) {
  const Plan& plan = batch[0].model->model->impl().plan;
  const int B = static_cast<int>(batch.size()), W = plan.inputs(), O = plan.outputs();
  X_.resize(static_cast<size_t>(B * W));
  out_.resize(static_cast<size_t>(B * O));
  for (int r = 0; r < B; ++r) std::copy_n(batch[static_cast<size_t>(r)].x.data(), W, X_.data() + r * W);
  if (!scratch_ || !scratch_->Fits(plan, max_batch_)) scratch_ = std::make_unique<PlanScratch>(plan, max_batch_);
  plan.Run(X_.data(), B, out_.data(), *scratch_);
  for (int r = 0; r < B; ++r) finish_(batch[static_cast<size_t>(r)], out_.data() + r * O, r == 0 ? B : 0);
}

}  // namespace ming::server
