// `ming info MODEL.ming [--json]`: architecture, parameter count, schema and metrics.
#include <cstdio>

#include "cli.h"
#include "nn/network.h"
#include "model_summary.h"
#include "report.h"
#include "runtime/model_file.h"
#include "train/options.h"
#include "util/file.h"

namespace ming::cli {
namespace {

nlohmann::json InfoJson(const ModelData& m, const std::string& path, uint64_t file_bytes) {
  nlohmann::json fields = nlohmann::json::array();
  for (const auto& f : m.pre.fields()) {
    nlohmann::json j = {{"name", f.name}, {"type", Name(f.type)}, {"inputs", f.width},
                        {"has_missing", f.has_missing}};
    if (f.type == FieldType::kCategorical) j["categories"] = f.categories;
    if (f.embed_dim > 0) j["embedding_dim"] = f.embed_dim;
    fields.push_back(j);
  }
  const auto& label = m.pre.label();
  nlohmann::json j = {{"model", path},
                      {"file_bytes", file_bytes},
                      {"task", Name(label.task)},
                      {"label", label.name},
                      {"network", ToJson(m.net)},
                      {"parameters", CountParams(m)},
                      {"form", m.frozen ? "frozen" : "trained"},
                      {"layers", ToJson(Summarise(m, file_bytes))["layers"]},
                      {"fields", fields}};
  if (!label.classes.empty()) j["classes"] = label.classes;
  if (label.task == Task::kBinary) j["threshold"] = m.threshold;
  for (const auto& [k, v] : m.info.items()) j[k] = v;
  return j;
}

void PrintInfo(const nlohmann::json& j) {
  const auto& net = j["network"];
  std::printf("model      %s (%llu bytes)\n", j["model"].get<std::string>().c_str(),
              static_cast<unsigned long long>(j["file_bytes"].get<uint64_t>()));
  std::printf("task       %s, label '%s'", j["task"].get<std::string>().c_str(), j["label"].get<std::string>().c_str());
  if (j.contains("classes")) std::printf(", classes %s", j["classes"].dump().c_str());
  std::printf("\nnetwork    %d", net["inputs"].get<int>());
  for (int h : net["hidden"]) std::printf(" -> %d", h);
  std::printf(" -> %d  (%s, norm %s, dropout %g, loss %s)\n", net["outputs"].get<int>(),
              net["activation"].get<std::string>().c_str(), net["norm"].get<std::string>().c_str(),
              net["dropout"].get<double>(), net["loss"].get<std::string>().c_str());
  std::printf("parameters %lld, %s form\n", j["parameters"].get<long long>(), j["form"].get<std::string>().c_str());
  for (const auto& l : j["layers"]) {
    std::printf("  %4d -> %-4d  %8lld/%-8lld weights nonzero  %-6s kernel %s\n", l["in"].get<int>(), l["out"].get<int>(),
                l["nonzeros"].get<long long>(), l["weights"].get<long long>(), l["form"].get<std::string>().c_str(),
                l["kernel"].get<std::string>().c_str());
  }
  if (j.contains("created")) std::printf("created    %s\n", j["created"].get<std::string>().c_str());
  std::printf("fields\n");
  for (const auto& f : j["fields"]) {
    std::string embedded;
    if (f.contains("embedding_dim")) {
      embedded = ", embedded: " + std::to_string(f["categories"].size()) + " categories + unknown";
    }
    std::printf("  %-24s %-12s %3d input%s%s%s\n", f["name"].get<std::string>().c_str(),
                f["type"].get<std::string>().c_str(), f["inputs"].get<int>(), f["inputs"].get<int>() == 1 ? "" : "s",
                embedded.c_str(), f["has_missing"].get<bool>() ? ", missing seen" : "");
  }
  if (j.contains("metrics")) {
    std::printf("metrics\n");
    PrintMetricsTable(j["metrics"]);
  }
}

}  // namespace

Runner AddInfo(CLI::App& app) {
  auto* cmd = app.add_subcommand("info", "Describe a model: architecture, parameters, schema, metrics");
  struct Opts {
    std::string model;
    bool json = false;
  };
  auto o = std::make_shared<Opts>();
  cmd->add_option("model", o->model, "Model file")->required();
  cmd->add_flag("--json", o->json, "Print one JSON object");
  return [o] {
    auto bytes = ReadFile(o->model, uint64_t{1} << 32);
    if (!bytes.ok()) return Fail(bytes.status());
    auto m = ParseModel(*bytes, o->model);
    if (!m.ok()) return Fail(m.status());
    const nlohmann::json j = InfoJson(*m, o->model, bytes->size());
    if (o->json) std::printf("%s\n", j.dump().c_str());
    else PrintInfo(j);
    return 0;
  };
}

}  // namespace ming::cli
