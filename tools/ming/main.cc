// ming: the command-line entry point. Parses argv with CLI11 and runs one subcommand.
// Exit codes: 0 ok, 1 runtime failure, 2 bad input or usage.
#include <cstdio>
#include <exception>
#include <map>

#include "cli.h"

namespace ming::cli {

int Fail(const Status& st) {
  std::fprintf(stderr, "ming: %s\n", st.message().c_str());
  return st.exit_code();
}

Result<char> ParseDelimiter(const std::string& flag) {
  if (flag.size() != 1) return Status::InvalidInput("--delimiter must be one character");
  return flag[0];
}

Result<ModelAndTable> LoadModelAndCsv(const std::string& model_path, const std::string& csv_path,
                                      const std::string& delimiter) {
  MING_ASSIGN_OR_RETURN(char delim, ParseDelimiter(delimiter));
  ModelAndTable mt;
  MING_ASSIGN_OR_RETURN(mt.model, LoadModel(model_path));
  MING_ASSIGN_OR_RETURN(mt.table, ReadCsv(csv_path, CsvOptions{delim}));
  return mt;
}

}  // namespace ming::cli

int main(int argc, char** argv) {
  using namespace ming::cli;
  CLI::App app{"ming: train, freeze and serve neural networks for tabular prediction"};
  app.require_subcommand(1);
  app.set_version_flag("--version", "ming 0.1.0");
  std::map<CLI::App*, Runner> runners;
  auto add = [&](Runner (*fn)(CLI::App&)) {
    Runner r = fn(app);
    runners[app.get_subcommands({}).back()] = std::move(r);
  };
  add(AddGenerate);
  add(AddTrain);
  add(AddEval);
  add(AddPredict);
  add(AddInfo);
  add(AddDemo);
  add(AddFreeze);
  add(AddBench);
  add(AddPrune);
  add(AddQuantize);
  add(AddServe);
  add(AddExplain);
  add(AddCalibrate);
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    const int rc = app.exit(e);
    return rc == 0 ? 0 : 2;
  }
  try {
    for (auto& [sub, run] : runners) {
      if (sub->parsed()) return run();
    }
  } catch (const std::exception& e) {
    std::fprintf(stderr, "ming: internal error: %s\n", e.what());
    return 1;
  }
  return 2;
}
