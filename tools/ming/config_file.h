// `--config FILE.toml` for any subcommand: each top-level key names a long option of that
// subcommand (`lr = 0.001` is `--lr 0.001`, `hidden = [128, 64]`, `nesterov = true`,
// `data = "train.csv"` for the positional). Options given on the command line win.
#pragma once

#include <CLI/CLI.hpp>

#include <string>

#include "ming/status.h"

namespace ming::cli {

// Adds the --config option to cmd; the returned pointer holds the path after parsing.
std::shared_ptr<std::string> AddConfigOption(CLI::App* cmd);

// Fills every option of cmd that the command line left unset from the TOML file. Errors
// name the file and the key. Call after parsing, before reading the options.
Status ApplyConfigFile(CLI::App* cmd, const std::string& path);

}  // namespace ming::cli
