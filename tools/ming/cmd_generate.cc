// `ming generate invitations`: writes Ming's invitation records as CSV.
#include "cli.h"
#include "data/invitations.h"
#include "util/file.h"

namespace ming::cli {

Runner AddGenerate(CLI::App& app) {
  auto* cmd = app.add_subcommand("generate", "Generate a built-in data set as CSV");
  struct Opts {
    std::string dataset;
    int64_t rows = 1000;
    uint64_t seed = 1;
    std::string out = "-";
  };
  auto o = std::make_shared<Opts>();
  cmd->add_option("dataset", o->dataset, "Data set to generate (invitations)")
      ->required()
      ->check(CLI::IsMember({"invitations"}));
  cmd->add_option("--rows", o->rows, "Number of rows")->check(CLI::Range(int64_t{1}, int64_t{100000000}));
  cmd->add_option("--seed", o->seed, "Random seed");
  cmd->add_option("-o,--output", o->out, "Output CSV file ('-' for stdout)");
  return [o] {
    const std::string csv = GenerateInvitations(o->rows, o->seed);
    if (o->out == "-") {
      std::fwrite(csv.data(), 1, csv.size(), stdout);
      return 0;
    }
    Status st = WriteFileAtomic(o->out, csv);
    return st.ok() ? 0 : Fail(st);
  };
}

}  // namespace ming::cli
