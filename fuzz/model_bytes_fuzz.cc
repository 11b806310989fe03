// Fuzz target: a model file as raw bytes through the loader (container, checksums, META,
// preprocessing, network, weights) and, when it loads, one prediction through the
// inference plan, so a file that validates can also be run.
#include <cstdint>
#include <string>
#include <vector>

#include "runtime/model_file.h"
#include "fuzz_model.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view bytes(reinterpret_cast<const char*>(data), size);
  auto m = ming::ParseModel(bytes, "fuzz.ming");
  if (m.ok()) ming::fuzz::PredictOnce(std::move(m).value());
  return 0;
}
