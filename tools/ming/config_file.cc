// TOML option files (toml++), merged under the command line.
#include "config_file.h"

#include <toml++/toml.h>

#include <sstream>

namespace ming::cli {
namespace {

Status ScalarToString(const toml::node& n, const std::string& where, std::string* out) {
  if (auto s = n.value<std::string>()) {
    *out = *s;
  } else if (auto b = n.value<bool>(); b && n.is_boolean()) {
    *out = *b ? "true" : "false";
  } else if (n.is_integer()) {
    *out = std::to_string(*n.value<int64_t>());
  } else if (n.is_floating_point()) {
    std::ostringstream os;
    os.precision(17);
    os << *n.value<double>();
    *out = os.str();
  } else {
    return Status::InvalidInput(where + ": expected a string, number or boolean");
  }
  return Status::Ok();
}

}  // namespace

std::shared_ptr<std::string> AddConfigOption(CLI::App* cmd) {
  auto path = std::make_shared<std::string>();
  cmd->add_option("--config", *path, "TOML file of options (key = value, keys are the long flags; flags win)");
  return path;
}

Status ApplyConfigFile(CLI::App* cmd, const std::string& path) {
  toml::table table;
  try {
    table = toml::parse_file(path);
  } catch (const toml::parse_error& e) {
    const auto& src = e.source();
    return Status::InvalidInput(path + ":" + std::to_string(src.begin.line) + ": " + std::string(e.description()));
  }
  for (const auto& [key, node] : table) {
    const std::string name(key.str());
    const std::string where = path + ": '" + name + "'";
    CLI::Option* opt = cmd->get_option_no_throw(name.size() == 1 ? "-" + name : "--" + name);
    if (opt == nullptr) opt = cmd->get_option_no_throw(name);  // positionals
    if (opt == nullptr || name == "config") return Status::InvalidInput(where + " is not an option of '" + cmd->get_name() + "'");
    if (opt->count() > 0) continue;  // the command line wins
    std::vector<std::string> values;
    if (const toml::array* arr = node.as_array()) {
      for (const auto& item : *arr) {
        std::string v;
        MING_RETURN_IF_ERROR(ScalarToString(item, where, &v));
        values.push_back(v);
      }
    } else {
      std::string v;
      MING_RETURN_IF_ERROR(ScalarToString(node, where, &v));
      values.push_back(v);
    }
    try {
      if (opt->get_type_size() == 0) {  // a flag
        if (values.size() != 1 || (values[0] != "true" && values[0] != "false")) {
          return Status::InvalidInput(where + ": expected true or false");
        }
        if (values[0] == "false") continue;
      }
      for (const auto& v : values) opt->add_result(v);
      opt->run_callback();
    } catch (const CLI::Error& e) {
      return Status::InvalidInput(where + ": " + e.what());
    }
  }
  return Status::Ok();
}

}  // namespace ming::cli
