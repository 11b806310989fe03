// Spellings of the network configuration enums, as used by the CLI and the model file.
#include "nn/config.h"

#include <array>

namespace ming {
namespace {

constexpr std::array<const char*, static_cast<size_t>(Activation::kCount)> kActivation = {
    "relu", "leaky_relu", "gelu", "tanh", "sigmoid"};
constexpr std::array<const char*, static_cast<size_t>(Norm::kCount)> kNorm = {"none", "layer",
                                                                               "batch"};
constexpr std::array<const char*, static_cast<size_t>(LossKind::kCount)> kLoss = {
    "bce", "cross_entropy", "mse", "huber"};
constexpr std::array<const char*, static_cast<size_t>(OptimizerKind::kCount)> kOptimizer = {
    "sgd", "adam", "adamw"};
constexpr std::array<const char*, static_cast<size_t>(ScheduleKind::kCount)> kSchedule = {
    "constant", "step", "cosine"};
constexpr std::array<const char*, static_cast<size_t>(Task::kCount)> kTask = {
    "binary", "multiclass", "regression"};

template <class E, size_t N>
bool ParseIn(const std::array<const char*, N>& names, std::string_view s, E* out) {
  for (size_t i = 0; i < N; ++i) {
    if (s == names[i]) {
      *out = static_cast<E>(i);
      return true;
    }
  }
  return false;
}

template <class E, size_t N>
const char* NameIn(const std::array<const char*, N>& names, E v) {
  size_t i = static_cast<size_t>(v);
  return i < N ? names[i] : "?";
}

}  // namespace

const char* Name(Activation v) { return NameIn(kActivation, v); }
const char* Name(Norm v) { return NameIn(kNorm, v); }
const char* Name(LossKind v) { return NameIn(kLoss, v); }
const char* Name(OptimizerKind v) { return NameIn(kOptimizer, v); }
const char* Name(ScheduleKind v) { return NameIn(kSchedule, v); }
const char* Name(Task v) { return NameIn(kTask, v); }
bool Parse(std::string_view s, Activation* out) { return ParseIn(kActivation, s, out); }
bool Parse(std::string_view s, Norm* out) { return ParseIn(kNorm, s, out); }
bool Parse(std::string_view s, LossKind* out) { return ParseIn(kLoss, s, out); }
bool Parse(std::string_view s, OptimizerKind* out) { return ParseIn(kOptimizer, s, out); }
bool Parse(std::string_view s, ScheduleKind* out) { return ParseIn(kSchedule, s, out); }
bool Parse(std::string_view s, Task* out) { return ParseIn(kTask, s, out); }

}  // namespace ming
