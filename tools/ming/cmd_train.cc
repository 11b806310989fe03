// `ming train DATA.csv --label COL -o MODEL.ming [options]`: the whole training pipeline.
// Every option may also come from a TOML file (--config); command-line flags override it.
#include <cmath>
#include <cstdio>

#include "cli.h"
#include "config_file.h"
#include "progress.h"
#include "runtime/model_file.h"
#include "train/options.h"
#include "train/pipeline.h"
#include "report.h"
#include "util/file.h"

namespace ming::cli {
namespace {

struct TrainFlags {
  PipelineOptions p = DefaultPipelineOptions();
  std::string out = "model.ming";
  std::string task = "auto", activation = Name(p.train.net.activation), norm = Name(p.train.net.norm);
  std::string loss = "auto", optimizer = Name(p.train.optim.kind), schedule = Name(p.train.schedule.kind);
  std::string types, ignore, checkpoint_dir, embed = "auto";
  std::string delimiter = ",";
  std::vector<int> hidden = p.train.net.hidden;
  bool json = false, quiet = false;
  std::shared_ptr<std::string> config;
};

void AddOptions(CLI::App* cmd, TrainFlags& f) {
  PipelineOptions& p = f.p;
  TrainOptions& t = p.train;
  cmd->add_option("data", p.data_path, "Training CSV (with a header row)");
  cmd->add_option("--label", p.fit.label, "Label column (required)");
  cmd->add_option("-o,--output", f.out, "Model file to write")->capture_default_str();
  cmd->add_option("--task", f.task, "auto, binary, multiclass or regression")->capture_default_str();
  cmd->add_option("--types", f.types, "Override inferred types: col=numeric|boolean|categorical,...");
  cmd->add_option("--ignore", f.ignore, "Columns not used as inputs: a,b,...");
  cmd->add_option("--delimiter", f.delimiter, "CSV field delimiter (one character)")->capture_default_str();
  cmd->add_option("--max-categories", p.fit.max_categories, "One-hot slots kept per categorical field")->capture_default_str();
  cmd->add_option("--embed", f.embed,
                  "Learned embeddings for categorical fields: auto (fields with more distinct values "
                  "than --max-categories), none, or col[:dim],... (these, and auto for the rest)")
      ->capture_default_str();
  cmd->add_option("--val", p.val_path, "Validation CSV (instead of --val-fraction)");
  cmd->add_option("--test", p.test_path, "Test CSV (instead of --test-fraction)");
  cmd->add_option("--val-fraction", p.val_fraction, "Share of rows held out for validation")->capture_default_str();
  cmd->add_option("--test-fraction", p.test_fraction, "Share of rows held out for testing")->capture_default_str();
  cmd->add_option("--hidden", f.hidden, "Hidden layer widths, e.g. 128,64 (0 for a linear model)")->delimiter(',')->capture_default_str();
  cmd->add_option("--activation", f.activation, "relu, leaky_relu, gelu, tanh or sigmoid")->capture_default_str();
  cmd->add_option("--dropout", t.net.dropout, "Dropout probability after each hidden layer")->capture_default_str();
  cmd->add_option("--norm", f.norm, "none, layer or batch normalisation")->capture_default_str();
  cmd->add_option("--loss", f.loss, "auto (from the task), or mse / huber for regression")->capture_default_str();
  cmd->add_option("--huber-delta", t.net.huber_delta, "Huber loss threshold (standardised units)")->capture_default_str();
  cmd->add_option("--class-weight", p.class_weight, "none, balanced, or class=weight,...")->capture_default_str();
  cmd->add_option("--optimizer", f.optimizer, "sgd, adam or adamw")->capture_default_str();
  cmd->add_option("--lr", t.optim.lr, "Learning rate")->capture_default_str();
  cmd->add_option("--momentum", t.optim.momentum, "SGD momentum")->capture_default_str();
  cmd->add_flag("--nesterov", t.optim.nesterov, "Nesterov momentum (SGD)");
  cmd->add_option("--weight-decay", t.optim.weight_decay, "Weight decay (decoupled for adamw)")->capture_default_str();
  cmd->add_option("--beta1", t.optim.beta1, "Adam beta1")->capture_default_str();
  cmd->add_option("--beta2", t.optim.beta2, "Adam beta2")->capture_default_str();
  cmd->add_option("--clip-norm", t.optim.clip_norm, "Clip the gradient's global norm (0: off)")->capture_default_str();
  cmd->add_option("--schedule", f.schedule, "constant, step or cosine learning rate")->capture_default_str();
  cmd->add_option("--warmup-epochs", t.warmup_epochs, "Linear learning-rate warm-up")->capture_default_str();
  cmd->add_option("--step-epochs", t.step_epochs, "Step schedule: decay every N epochs")->capture_default_str();
  cmd->add_option("--gamma", t.schedule.gamma, "Step schedule decay factor")->capture_default_str();
  cmd->add_option("--min-lr-ratio", t.schedule.min_lr_ratio, "Cosine schedule floor, fraction of --lr")->capture_default_str();
  cmd->add_option("--epochs", t.epochs, "Maximum epochs")->capture_default_str();
  cmd->add_option("--batch-size", t.batch_size, "Rows per mini-batch")->capture_default_str();
  cmd->add_option("--patience", t.patience, "Stop after this many epochs without validation improvement (0: off)")->capture_default_str();
  cmd->add_option("--seed", t.seed, "Random seed (splits, initialisation, shuffling, dropout)")->capture_default_str();
  cmd->add_option("--threads", t.threads, "Threads (0: all cores)")->capture_default_str();
  cmd->add_option("--checkpoint", f.checkpoint_dir, "Directory for a checkpoint saved after every epoch");
  cmd->add_flag("--resume", p.resume, "Continue from the checkpoint in --checkpoint");
  cmd->add_flag("--json", f.json, "Print one JSON object per epoch on stdout");
  cmd->add_flag("-q,--quiet", f.quiet, "No progress output");
}

template <class E>
Status ParseEnum(const std::string& s, const char* flag, E* out) {
  if (!Parse(s, out)) return Status::InvalidInput(std::string(flag) + ": unknown value '" + s + "'");
  return Status::Ok();
}

std::vector<std::string> SplitList(const std::string& s) {
  std::vector<std::string> out;
  size_t pos = 0;
  while (pos <= s.size() && !s.empty()) {
    size_t comma = s.find(',', pos);
    if (comma == std::string::npos) comma = s.size();
    if (comma > pos) out.push_back(s.substr(pos, comma - pos));
    pos = comma + 1;
  }
  return out;
}

// --embed: "auto", "none" or "col[:dim],...".
Status ParseEmbed(const std::string& spec, FitOptions* fit) {
  fit->embed_auto = spec != "none";
  if (spec == "auto" || spec == "none") return Status::Ok();
  for (const std::string& item : SplitList(spec)) {
    // A number after the last ':' is the dimension; otherwise the ':' is part of the name.
    size_t colon = item.rfind(':');
    int dim = 0;
    double v = 0;
    if (colon != std::string::npos && ParseNumber(item.substr(colon + 1), &v)) {
      if (v != std::floor(v) || v < 1 || v > 1024) {
        return Status::InvalidInput("--embed: '" + item + "': the dimension must be an integer in [1, 1024]");
      }
      dim = static_cast<int>(v);
    } else {
      colon = item.size();
    }
    const std::string name = item.substr(0, colon);
    if (name.empty()) return Status::InvalidInput("--embed: '" + item + "' names no column");
    fit->embed.emplace_back(name, dim);
  }
  if (fit->embed.empty()) return Status::InvalidInput("--embed: expected auto, none or col[:dim],...");
  return Status::Ok();
}

Status Resolve(TrainFlags& f) {
  PipelineOptions& p = f.p;
  TrainOptions& t = p.train;
  MING_ASSIGN_OR_RETURN(p.csv.delimiter, ParseDelimiter(f.delimiter));
  if (f.task != "auto") MING_RETURN_IF_ERROR(ParseEnum(f.task, "--task", &p.fit.task));
  for (const std::string& item : SplitList(f.types)) {
    const size_t eq = item.find('=');
    FieldType type;
    if (eq == std::string::npos || !Parse(item.substr(eq + 1), &type)) {
      return Status::InvalidInput("--types: '" + item + "' is not column=numeric|boolean|categorical");
    }
    p.fit.overrides.emplace_back(item.substr(0, eq), type);
  }
  p.fit.ignore = SplitList(f.ignore);
  MING_RETURN_IF_ERROR(ParseEmbed(f.embed, &p.fit));
  t.net.hidden = f.hidden;
  if (f.hidden == std::vector<int>{0}) t.net.hidden.clear();  // --hidden 0: a linear model
  MING_RETURN_IF_ERROR(ParseEnum(f.activation, "--activation", &t.net.activation));
  MING_RETURN_IF_ERROR(ParseEnum(f.norm, "--norm", &t.net.norm));
  MING_RETURN_IF_ERROR(ParseEnum(f.optimizer, "--optimizer", &t.optim.kind));
  MING_RETURN_IF_ERROR(ParseEnum(f.schedule, "--schedule", &t.schedule.kind));
  if (f.loss != "auto") {
    MING_RETURN_IF_ERROR(ParseEnum(f.loss, "--loss", &t.net.loss));
    if (t.net.loss != LossKind::kMse && t.net.loss != LossKind::kHuber) {
      return Status::InvalidInput("--loss: only mse or huber can be chosen (classification losses follow the task)");
    }
  }
  if (!(t.optim.lr > 0) || !(t.optim.lr < 10)) return Status::InvalidInput("--lr must be in (0, 10)");
  if (t.epochs < 1) return Status::InvalidInput("--epochs must be at least 1");
  if (t.batch_size < 1) return Status::InvalidInput("--batch-size must be at least 1");
  if (t.threads < 0 || t.threads > 1024) return Status::InvalidInput("--threads must be in [0, 1024]");
  if (t.patience < 0) return Status::InvalidInput("--patience must be >= 0");
  if (p.fit.max_categories < 1) return Status::InvalidInput("--max-categories must be at least 1");
  if (p.resume && f.checkpoint_dir.empty()) return Status::InvalidInput("--resume needs --checkpoint DIR");
  if (!f.checkpoint_dir.empty()) {
    MING_RETURN_IF_ERROR(MakeDirs(f.checkpoint_dir));
    t.checkpoint_path = f.checkpoint_dir + "/checkpoint.ming";
  }
  p.config = {{"data", p.data_path}, {"label", p.fit.label}, {"task", f.task},
              {"types", f.types}, {"ignore", f.ignore}, {"val", p.val_path}, {"test", p.test_path},
              {"val_fraction", p.val_fraction}, {"test_fraction", p.test_fraction},
              {"class_weight", p.class_weight}, {"max_categories", p.fit.max_categories}, {"embed", f.embed},
              {"delimiter", f.delimiter}};
  return Status::Ok();
}

}  // namespace

Runner AddTrain(CLI::App& app) {
  auto* cmd = app.add_subcommand("train", "Train a network on a labelled CSV and write a model file");
  auto f = std::make_shared<TrainFlags>();
  AddOptions(cmd, *f);
  f->config = AddConfigOption(cmd);
  return [f, cmd] {
    Status st = f->config->empty() ? Status::Ok() : ApplyConfigFile(cmd, *f->config);
    if (st.ok() && f->p.data_path.empty()) st = Status::InvalidInput("train: a training CSV is required (ming train DATA.csv --label COL)");
    if (st.ok() && f->p.fit.label.empty()) st = Status::InvalidInput("train: --label is required");
    if (st.ok()) st = Resolve(*f);
    if (!st.ok()) return Fail(st);
    Progress progress(f->json ? ProgressMode::kJson : f->quiet ? ProgressMode::kQuiet : ProgressMode::kAuto);
    PipelineCallbacks cb;
    cb.on_step = [&](const StepReport& s) { progress.OnStep(s); };
    cb.on_epoch = [&](const EpochReport& e, const nlohmann::json& vm) { progress.OnEpoch(e, vm); };
    if (!f->json && !f->quiet) cb.on_data = PrintDataSummary;
    auto res = RunPipeline(f->p, cb);
    progress.Finish();
    if (!res.ok()) return Fail(res.status());
    st = SaveModel(f->out, res->model);
    if (!st.ok()) return Fail(st);
    if (f->json) {
      nlohmann::json j = SummaryJson(*res);
      j["model"] = f->out;
      std::printf("%s\n", j.dump().c_str());
    } else if (!f->quiet) {
      PrintSummary(*res, f->out);
    }
    return 0;
  };
}

}  // namespace ming::cli
