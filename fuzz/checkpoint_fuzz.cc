// Fuzz target: a training checkpoint against a fixed small network and training options.
// The first byte chooses raw bytes (the rest of the input is the file) or a checkpoint
// built from the input with the right fingerprint and CRCs but fuzzed counters, history
// and weight sections. ParseCheckpoint (what ReadCheckpoint runs on the file's bytes)
// judges it; when accepted, the file is resumed by Train on a tiny fixed data set, which
// re-reads it through ReadCheckpoint and runs the remaining steps (at most 3 epochs of 2).
#include <unistd.h>

#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>

#include <nlohmann/json.hpp>

#include "format/container.h"
#include "fuzz_input.h"
#include "fuzz_values.h"
#include "json_text.h"
#include "train/checkpoint.h"
#include "train/options.h"
#include "train/trainer.h"

namespace {

using ming::fuzz::FuzzInput;
using ming::fuzz::JsonWriter;
using ming::fuzz::PickFloat;
using ming::fuzz::PickInt;
using nlohmann::json;

std::string g_path;  // this process's checkpoint file, chosen once

ming::TrainOptions Options() {
  ming::TrainOptions o;
  o.net.inputs = 3;
  o.net.hidden = {4};
  o.net.outputs = 1;
  o.net.norm = ming::Norm::kBatch;
  o.net.loss = ming::LossKind::kBce;
  o.optim.kind = ming::OptimizerKind::kAdamW;
  o.optim.weight_decay = 0.1f;  // with the rest: what `ming train` uses (fuzz/make_seeds.sh)
  o.schedule.kind = ming::ScheduleKind::kCosine;
  o.epochs = 3;
  o.batch_size = 4;
  o.patience = 2;
  o.threads = 1;
  o.seed = 7;
  o.checkpoint_path = g_path;
  return o;
}

// 8 rows of 3 features, labels 0/1; validation: the first 4 rows.
ming::Dataset Data(int64_t rows) {
  ming::Dataset d;
  d.rows = rows;
  d.features = 3;
  for (int64_t r = 0; r < rows; ++r) {
    for (int f = 0; f < 3; ++f) d.X.push_back(static_cast<float>((r * 7 + f * 3) % 5) - 2.0f);
    d.y.push_back(static_cast<float>(r % 2));
  }
  return d;
}

// n floats (at most 4096); past the input's end every pick is 0.0f (the reader gives
// zeros), so those are filled in at once.
std::string Floats(FuzzInput& in, int64_t n) {
  const int64_t count = std::clamp<int64_t>(n, 0, 4096);
  std::vector<float> v;
  v.reserve(static_cast<size_t>(count));
  for (int64_t i = 0; i < count && in.remaining() > 0; ++i) v.push_back(in.Byte() < 64 ? PickFloat(in) : 0.25f);
  v.resize(static_cast<size_t>(count), 0.0f);
  return ming::EncodeFloats(v.data(), v.size());
}

// The TRST text is written with JsonWriter rather than through nlohmann::json, which took
// most of this target's time. The input's bytes are read in the same order as when it was
// built with nlohmann, so the corpus keeps its meaning; only the members' order in the text
// differs, which the loader does not see.
std::string Build(FuzzInput& in, const ming::TrainOptions& o) {
  const ming::NetLayout layout(o.net);
  static const std::string kFingerprint = ming::TrainingFingerprint(o).dump();
  std::string fp = kFingerprint;
  if (in.Byte() >= 248) {
    json f = ming::TrainingFingerprint(o);
    f["seed"] = PickInt(in, 0, 9);
    fp = f.dump();
  }
  const int64_t epoch = PickInt(in, 0, 3);
  JsonWriter w;
  w.Open('{').Key("fingerprint").Raw(fp).Key("history").Open('[');
  // The bound is picked again before each entry, as it always was.
  for (int64_t e = 0; e < std::min<int64_t>(PickInt(in, epoch, epoch), 64); ++e) {
    w.Open('{').Key("epoch").Number(PickInt(in, e + 1, e + 1));
    w.Key("train_loss").Number(PickFloat(in));
    w.Key("val_loss").Number(PickFloat(in));
    w.Key("seconds").Raw("0.1").Key("rows_per_s").Raw("80.0");
    w.Key("lr").Number(PickFloat(in));
    w.Key("improved").Bool(in.Bool()).Close('}');
  }
  w.Close(']');
  w.Key("step").Number(PickInt(in, epoch * 2, epoch * 2));
  w.Key("best_epoch").Number(PickInt(in, 0, epoch));
  w.Key("best_val_loss").Number(PickFloat(in));
  w.Key("bad_epochs").Number(PickInt(in, 0, epoch));
  w.Key("epoch");
  if (in.Byte() >= 250) {
    w.Number(-1e300);
  } else {
    w.Number(epoch);
  }
  w.Close('}');
  ming::Container c;
  c.kind = in.Byte() < 250 ? ming::FileKind::kCheckpoint : ming::FileKind::kModel;
  c.sections.push_back({"META", in.Bytes(8)});
  c.sections.push_back({"TRST", w.Take()});
  const int64_t np = layout.num_params(), nb = layout.num_buffers();
  for (const char* tag : {"PARM", "BUFS", "OPTM", "OPTV", "BEST", "BBUF"}) {
    const bool buf = tag[1] == 'U' || tag[1] == 'B';
    if (in.Byte() < 252) c.sections.push_back({tag, Floats(in, PickInt(in, buf ? nb : np, buf ? nb : np))});
  }
  return ming::SerializeContainer(c);
}

}  // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  const char* dir = std::getenv("TMPDIR");
  g_path = std::string(dir && *dir ? dir : "/tmp") + "/ming_checkpoint_fuzz." + std::to_string(getpid());
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  const ming::TrainOptions o = Options();
  const ming::NetLayout layout(o.net);
  FuzzInput in(data + 1, size - 1);
  const std::string bytes = data[0] < 128 ? std::string(in.Rest()) : Build(in, o);
  ming::TrainState st;
  if (!ming::ParseCheckpoint(bytes, "fuzz.ckpt", o, layout, &st).ok()) return 0;
  FILE* f = std::fopen(g_path.c_str(), "wb");
  if (!f) return 0;
  const bool written = std::fwrite(bytes.data(), 1, bytes.size(), f) == bytes.size();
  if (std::fclose(f) != 0 || !written) return 0;
  static const ming::Dataset train = Data(8), val = Data(4);
  (void)ming::Train(train, val, o, /*resume=*/true, {});
  std::remove(g_path.c_str());
  return 0;
}
