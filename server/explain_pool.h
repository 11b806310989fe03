// Explainers for one served model version, reused across requests. An Explainer owns
// scratch and is not thread-safe, so a request borrows one for its duration (a new one is
// made when none is free; the pool never holds more than the peak number of concurrent
// explain requests). The pool lives in the ServedModel, so a request explains with the
// model version it started with, and a reloaded version's explainers go away with it.
// Thread-safety: Borrow may be called from any thread; a Lease belongs to one thread.
#pragma once

#include <memory>
#include <mutex>
#include <vector>

#include "ming/explain.h"
#include "ming/status.h"

namespace ming::server {

class ExplainerPool {
 public:
  // An explainer on loan; it goes back to its pool when the lease ends.
  class Lease {
   public:
    Lease(ExplainerPool* pool, std::unique_ptr<Explainer> ex) : pool_(pool), ex_(std::move(ex)) {}
    Lease(Lease&&) = default;
    Lease& operator=(Lease&&) = delete;
    ~Lease();
    Explainer& operator*() const { return *ex_; }
    Explainer* operator->() const { return ex_.get(); }

   private:
    ExplainerPool* pool_;
    std::unique_ptr<Explainer> ex_;
  };

  // An explainer for `model` with ExplainOptions' defaults (those of `ming explain`), so
  // the server's contributions equal the CLI's. Errors: the model has no background rows.
  Result<Lease> Borrow(const std::shared_ptr<const Model>& model);

 private:
  std::mutex mu_;
  std::vector<std::unique_ptr<Explainer>> idle_;
};

}  // namespace ming::server
