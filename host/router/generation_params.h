// Model parameters from the selector (?temperature=0.2) and from config (model_defaults:),
// applied to an IR request. Precedence: selector > request body > model defaults.
#pragma once

#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include <optional>

namespace llmp::host {

using ParamList = std::vector<std::pair<std::string, std::string>>;

// Returns the IR with the parameters applied, or nothing when there is nothing to apply (the
// caller then passes the IR on as it came, without a copy of the prompt). Throws
// SelectorError(400) naming an unknown parameter or a bad value, and for an IR that is not a
// JSON object.
std::optional<std::string> applyGenerationParams(std::string_view ir, const ParamList& overrides,
                                                 const nlohmann::json* defaults);

// The thinking budget the IR uses for a reasoning effort (docs/ir.md); -2 for an unknown effort.
int reasoningEffortBudget(const std::string& effort);

}  // namespace llmp::host
