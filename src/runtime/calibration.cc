// JSON form of the stored probability calibration (META key "calibration").
#include "runtime/calibration.h"

#include <cmath>

#include "util/json_int.h"

namespace ming {

const char* Name(CalibrationMethod m) {
  switch (m) {
    case CalibrationMethod::kNone:
      return "none";
    case CalibrationMethod::kTemperature:
      return "temperature";
    case CalibrationMethod::kPlatt:
      return "platt";
    case CalibrationMethod::kCount:
      break;
  }
  return "?";
}

nlohmann::json ToJson(const Calibration& c) {
  return {{"method", Name(c.method)},   {"scale", c.scale},         {"shift", c.shift},
          {"ece_before", c.ece_before}, {"ece_after", c.ece_after}, {"rows", c.rows}};
}

Result<Calibration> CalibrationFromJson(const nlohmann::json& j, int outputs) {
  Calibration c;
  try {
    const std::string m = j.at("method").get<std::string>();
    bool found = false;
    for (int i = 0; i < static_cast<int>(CalibrationMethod::kCount); ++i) {
      if (m == Name(static_cast<CalibrationMethod>(i))) {
        c.method = static_cast<CalibrationMethod>(i);
        found = true;
      }
    }
    if (!found) return Status::InvalidInput("calibration: unknown method '" + m + "'");
    c.scale = j.at("scale").get<double>();
    c.shift = j.at("shift").get<double>();
    c.ece_before = j.value("ece_before", -1.0);
    c.ece_after = j.value("ece_after", -1.0);
    c.rows = j.contains("rows") ? JsonInt(j["rows"], 0, INT64_MAX) : 0;
  } catch (const nlohmann::json::exception& e) {
    return Status::InvalidInput(std::string("calibration: ") + e.what());
  }
  if (!(std::isfinite(c.scale) && c.scale > 0) || !std::isfinite(c.shift)) {
    return Status::InvalidInput("calibration: scale must be finite and > 0, shift finite");
  }
  if (c.method == CalibrationMethod::kPlatt && outputs != 1) {
    return Status::InvalidInput("calibration: Platt scaling needs a binary model");
  }
  if (c.method == CalibrationMethod::kTemperature && c.shift != 0.0) {
    return Status::InvalidInput("calibration: temperature scaling has no shift");
  }
  return c;
}

}  // namespace ming
