// Shared pieces of the ming CLI: subcommand registration and Status -> exit code mapping.
// Each subcommand file registers its options and returns the function that runs it.
#pragma once

#include <CLI/CLI.hpp>

#include <functional>
#include <string>

#include "data/csv.h"
#include "ming/status.h"
#include "runtime/model_file.h"

namespace ming::cli {

using Runner = std::function<int()>;

Runner AddGenerate(CLI::App& app);
Runner AddTrain(CLI::App& app);
Runner AddEval(CLI::App& app);
Runner AddPredict(CLI::App& app);
Runner AddInfo(CLI::App& app);
Runner AddDemo(CLI::App& app);
Runner AddFreeze(CLI::App& app);
Runner AddBench(CLI::App& app);
Runner AddPrune(CLI::App& app);
Runner AddQuantize(CLI::App& app);
Runner AddServe(CLI::App& app);
Runner AddExplain(CLI::App& app);
Runner AddCalibrate(CLI::App& app);

// Prints "ming: <message>" to stderr for a failed status and returns its exit code.
int Fail(const Status& st);

// The --delimiter flag's value as one character.
Result<char> ParseDelimiter(const std::string& flag);

struct ModelAndTable {
  ModelData model;
  CsvTable table;
};
// Loads a model file and a CSV read with `delimiter` (what eval and predict start with).
Result<ModelAndTable> LoadModelAndCsv(const std::string& model_path, const std::string& csv_path,
                                      const std::string& delimiter);

}  // namespace ming::cli
