// Checkpoint sections: META (caller's bytes), TRST (state JSON), PARM/BUFS (current
// weights), OPTM/OPTV (optimiser moments), BEST/BBUF (best weights so far).
#include "train/checkpoint.h"

#include <cmath>

#include <nlohmann/json.hpp>

#include "format/container.h"
#include "train/options.h"
#include "util/file.h"
#include "util/json_int.h"

namespace ming {

using nlohmann::json;

namespace {

json HistoryToJson(const std::vector<EpochReport>& h) {
  json a = json::array();
  for (const auto& r : h) {
    a.push_back({{"epoch", r.epoch}, {"train_loss", r.train_loss}, {"val_loss", r.val_loss},
                 {"seconds", r.seconds}, {"rows_per_s", r.rows_per_s}, {"lr", r.lr},
                 {"improved", r.improved}});
  }
  return a;
}

constexpr int64_t kMaxEpoch = 1 << 30;

std::vector<EpochReport> HistoryFromJson(const json& a) {
  std::vector<EpochReport> h;
  for (const auto& e : a) {
    EpochReport r;
    r.epoch = static_cast<int>(JsonInt(e.at("epoch"), 1, kMaxEpoch));
    r.train_loss = e.at("train_loss").get<double>();
    r.val_loss = e.at("val_loss").get<double>();
    r.seconds = e.at("seconds").get<double>();
    r.rows_per_s = e.at("rows_per_s").get<double>();
    r.lr = e.at("lr").get<double>();
    r.improved = e.at("improved").get<bool>();
    h.push_back(r);
  }
  return h;
}

Status Floats(const Container& c, const char* tag, std::vector<float>* out, size_t n,
              const std::string& path) {
  const Section* s = c.Find(tag);
  if (s == nullptr) return Status::InvalidInput(path + ": checkpoint has no section '" + tag + "'");
  out->assign(n, 0.0f);
  return DecodeFloats(s->bytes, out->data(), n, path + ": section '" + tag + "'");
}

}  // namespace

Status WriteCheckpoint(const std::string& path, const TrainOptions& opts, const TrainState& st) {
  const std::pair<const char*, const std::vector<float>*> arrays[] = {
      {"PARM", &st.params}, {"BUFS", &st.buffers}, {"OPTM", &st.m},
      {"OPTV", &st.v},      {"BEST", &st.best_params}, {"BBUF", &st.best_buffers}};
  for (const auto& [tag, values] : arrays) {
    for (float x : *values) {
      if (!std::isfinite(x)) {
        return Status::Runtime(path + ": refusing to checkpoint non-finite values (section " +
                               tag + ")");
      }
    }
  }
  json state = {{"fingerprint", TrainingFingerprint(opts)}, {"step", st.step},
                {"epoch", st.epoch},  {"best_epoch", st.best_epoch},
                {"best_val_loss", st.best_val_loss}, {"bad_epochs", st.bad_epochs},
                {"history", HistoryToJson(st.history)}};
  Container c;
  c.kind = FileKind::kCheckpoint;
  c.sections.push_back({"META", opts.checkpoint_meta});
  c.sections.push_back({"TRST", state.dump()});
  c.sections.push_back({"PARM", EncodeFloats(st.params.data(), st.params.size())});
  c.sections.push_back({"BUFS", EncodeFloats(st.buffers.data(), st.buffers.size())});
  c.sections.push_back({"OPTM", EncodeFloats(st.m.data(), st.m.size())});
  c.sections.push_back({"OPTV", EncodeFloats(st.v.data(), st.v.size())});
  c.sections.push_back({"BEST", EncodeFloats(st.best_params.data(), st.best_params.size())});
  c.sections.push_back({"BBUF", EncodeFloats(st.best_buffers.data(), st.best_buffers.size())});
  return WriteContainer(path, c);
}

Result<std::string> ReadCheckpointMeta(const std::string& path) {
  MING_ASSIGN_OR_RETURN(Container c, ReadContainer(path));
  if (c.kind != FileKind::kCheckpoint) return Status::InvalidInput(path + ": not a checkpoint");
  const Section* s = c.Find("META");
  if (s == nullptr) return Status::InvalidInput(path + ": checkpoint has no section 'META'");
  return s->bytes;
}

Status ParseCheckpoint(std::string_view bytes, const std::string& path, const TrainOptions& opts,
                       const NetLayout& layout, TrainState* st) {
  MING_ASSIGN_OR_RETURN(Container c, ParseContainer(bytes, path));
  if (c.kind != FileKind::kCheckpoint) return Status::InvalidInput(path + ": not a checkpoint");
  const Section* trst = c.Find("TRST");
  if (trst == nullptr) return Status::InvalidInput(path + ": checkpoint has no section 'TRST'");
  try {
    const json j = json::parse(trst->bytes);
    const json want = TrainingFingerprint(opts);
    const json& have = j.at("fingerprint");
    if (have != want) {
      const json diff = json::diff(have, want);
      return Status::InvalidInput(path + ": checkpoint was made with other settings (" +
                                  (diff.empty() ? std::string("?") : diff[0].value("path", "?")) +
                                  "); resume with the same options or remove it");
    }
    // Bounds that keep a resumed loop finite and its step counter from overflowing; the
    // relations between them are those EndEpoch maintains.
    st->epoch = static_cast<int>(JsonInt(j.at("epoch"), 0, kMaxEpoch));
    st->step = JsonInt(j.at("step"), 0, int64_t{1} << 62);
    st->best_epoch = static_cast<int>(JsonInt(j.at("best_epoch"), 0, st->epoch));
    st->best_val_loss = j.at("best_val_loss").get<double>();
    st->bad_epochs = static_cast<int>(JsonInt(j.at("bad_epochs"), 0, st->epoch));
    st->history = HistoryFromJson(j.at("history"));
  } catch (const json::exception& e) {
    return Status::InvalidInput(path + ": bad training state: " + e.what());
  }
  if (st->history.size() != static_cast<size_t>(st->epoch)) {
    return Status::InvalidInput(path + ": bad training state: " + std::to_string(st->history.size()) +
                                " history entries for " + std::to_string(st->epoch) + " epochs");
  }
  const size_t np = static_cast<size_t>(layout.num_params());
  const size_t nb = static_cast<size_t>(layout.num_buffers());
  MING_RETURN_IF_ERROR(Floats(c, "PARM", &st->params, np, path));
  MING_RETURN_IF_ERROR(Floats(c, "BUFS", &st->buffers, nb, path));
  MING_RETURN_IF_ERROR(Floats(c, "OPTM", &st->m, np, path));
  MING_RETURN_IF_ERROR(Floats(c, "OPTV", &st->v, np, path));
  MING_RETURN_IF_ERROR(Floats(c, "BEST", &st->best_params, np, path));
  MING_RETURN_IF_ERROR(Floats(c, "BBUF", &st->best_buffers, nb, path));
  return Status::Ok();
}

Status ReadCheckpoint(const std::string& path, const TrainOptions& opts, const NetLayout& layout,
                      TrainState* st) {
  MING_ASSIGN_OR_RETURN(std::string bytes, ReadFile(path, uint64_t{1} << 36));
  return ParseCheckpoint(bytes, path, opts, layout, st);
}

}  // namespace ming
