// A numeric input that is a valid double but beyond float range (1e94) used to encode as
// infinity and come back as a NaN probability, written "nan" into the JSON answer (found by
// the oip_json fuzz target). It is now a 400-class error naming the input.
#include <gtest/gtest.h>

#include <memory>

#include "fuzz/server_fixture.h"
#include "runtime/model_impl.h"
#include "server/infer.h"
#include "server/v1_json.h"

namespace ming::server {
namespace {

Status Encode(const std::string& body) {
  auto model = std::make_shared<const Model>(std::make_unique<ModelImpl>(fuzz::TinyModelData()));
  std::string buf = body;
  buf.reserve(body.size() + 64);
  InferRequest req;
  MING_RETURN_IF_ERROR(ParseRowsRequest(*model, buf, buf.capacity(), &req));
  Workspace ws;
  int64_t rows = 0;
  return EncodeRequest(*model, req, 16, ws, &rows);
}

TEST(InferRange, ValuesBeyondFloatRangeAreRejected) {
  EXPECT_TRUE(Encode(R"([{"age": 3e37, "city": "paris"}])").ok());
  const Status st = Encode(R"([{"age": 1.2e94}])");
  ASSERT_FALSE(st.ok());
  EXPECT_EQ(st.code(), StatusCode::kInvalidInput);
  EXPECT_NE(st.message().find("'age'"), std::string::npos) << st.message();
  EXPECT_NE(st.message().find("out of range"), std::string::npos) << st.message();
  EXPECT_FALSE(Encode(R"([{"age": -1e45}])").ok());
}

}  // namespace
}  // namespace ming::server
