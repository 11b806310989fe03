// Shared pieces of the ming CLI: subcommand registration and Status -> exit code mapping.
// Each subcommand file registers its options and returns the function that runs it.
#pragma once

#include <CLI/CLI.hpp>

#include <functional>
#include <string>

#include "ming/status.h"

namespace ming::cli {

using Runner = std::function<int()>;

Runner AddGenerate(CLI::App& app);
Runner AddTrain(CLI::App& app);
Runner AddEval(CLI::App& app);
Runner AddPredict(CLI::App& app);
Runner AddInfo(CLI::App& app);
Runner AddDemo(CLI::App& app);

// Prints "ming: <message>" to stderr for a failed status and returns its exit code.
int Fail(const Status& st);

}  // namespace ming::cli
