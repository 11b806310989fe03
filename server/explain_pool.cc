// The per-model-version pool of Explainers (see explain_pool.h).
#include "server/explain_pool.h"

namespace ming::server {

ExplainerPool::Lease::~Lease() {
  if (!ex_) return;  // moved from
  std::lock_guard<std::mutex> lock(pool_->mu_);
  pool_->idle_.push_back(std::move(ex_));
}

Result<ExplainerPool::Lease> ExplainerPool::Borrow(const std::shared_ptr<const Model>& model) {
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (!idle_.empty()) {
      std::unique_ptr<Explainer> ex = std::move(idle_.back());
      idle_.pop_back();
      return Lease(this, std::move(ex));
    }
  }
  MING_ASSIGN_OR_RETURN(std::unique_ptr<Explainer> ex, Explainer::Create(model));
  return Lease(this, std::move(ex));
}

}  // namespace ming::server
