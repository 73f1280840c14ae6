// Identifiers the front end mints: message ids, tool-use ids for function calls that came
// without one, and request ids for the request-id header.
#pragma once

#include <string>
#include <string_view>

namespace llmp::plugins::anthropic {

// `prefix` + "_" + 24 lowercase hex digits, e.g. "toolu_3f0c...". Thread-safe.
std::string mintId(std::string_view prefix);

}  // namespace llmp::plugins::anthropic
