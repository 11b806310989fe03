// Datatype names of the Open Inference Protocol.
#include "server/protocol.h"

#include <algorithm>
#include <array>

namespace ming::server {
namespace {

constexpr std::array<const char*, static_cast<size_t>(DataType::kCount)> kNames = {
    "BOOL", "INT8", "INT16", "INT32", "INT64", "UINT8", "UINT16", "UINT32", "UINT64",
    "FP32", "FP64", "BYTES"};
constexpr std::array<int, static_cast<size_t>(DataType::kCount)> kSizes = {1, 1, 2, 4, 8, 1, 2, 4, 8,
                                                                            4, 8, 0};
static_assert(kNames.size() == static_cast<size_t>(DataType::kCount));

}  // namespace

DataType ParseDataType(std::string_view s) {
  for (size_t i = 0; i < kNames.size(); ++i) {
    if (s == kNames[i]) return static_cast<DataType>(i);
  }
  return DataType::kCount;
}

const char* DataTypeName(DataType t) {
  return t == DataType::kCount ? "?" : kNames[static_cast<size_t>(t)];
}

int DataTypeSize(DataType t) { return t == DataType::kCount ? 0 : kSizes[static_cast<size_t>(t)]; }

const char* RowExplanations::Method() const {
  const bool any_exact = std::find(exact.begin(), exact.end(), 1) != exact.end();
  const bool any_sampled = std::find(exact.begin(), exact.end(), 0) != exact.end();
  return any_exact && any_sampled ? "mixed" : any_sampled ? "sampling" : "exact";
}

}  // namespace ming::server
