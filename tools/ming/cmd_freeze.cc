// `ming freeze MODEL.ming -o FROZEN.ming [--json]`: the inference form of a trained model:
// batch norm folded, dropout gone, each layer stored dense or sparse, whichever runs faster.
#include <cstdio>

#include "cli.h"
#include "model_summary.h"
#include "runtime/model_file.h"
#include "util/file.h"

namespace ming::cli {

Runner AddFreeze(CLI::App& app) {
  auto* cmd = app.add_subcommand("freeze", "Write the frozen inference form of a trained model");
  struct Opts {
    std::string model, out;
    bool json = false;
  };
  auto o = std::make_shared<Opts>();
  cmd->add_option("model", o->model, "Trained model file (from ming train)")->required();
  cmd->add_option("-o,--output", o->out, "Frozen model file to write")->required();
  cmd->add_flag("--json", o->json, "Print one JSON object");
  return [o] {
    auto m = LoadModel(o->model);
    if (!m.ok()) return Fail(m.status());
    if (m->frozen) return Fail(Status::InvalidInput(o->model + ": is already frozen"));
    const ModelSummary before = Summarise(*m, SerializeModel(*m).size());
    ModelData frozen = FreezeModel(std::move(m).value());
    const std::string bytes = SerializeModel(frozen);
    Status st = WriteFileAtomic(o->out, bytes);
    if (!st.ok()) return Fail(st);
    const ModelSummary after = Summarise(frozen, bytes.size());
    if (o->json) {
      std::printf("%s\n", nlohmann::json{{"before", ToJson(before)}, {"after", ToJson(after)}, {"output", o->out}}.dump().c_str());
    } else {
      PrintComparison(before, after);
      std::printf("wrote %s\n", o->out.c_str());
    }
    return 0;
  };
}

}  // namespace ming::cli
