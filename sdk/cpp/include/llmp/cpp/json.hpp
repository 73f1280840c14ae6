// JSON for plugins: nlohmann::json (header-only, Debian nlohmann-json3-dev), with helpers.
#pragma once

#include <nlohmann/json.hpp>

#include <optional>
#include <string>
#include <string_view>

namespace llmp {

using Json = nlohmann::json;

// Parses text; returns std::nullopt (and fills *error) on malformed input. Never throws.
std::optional<Json> parseJson(std::string_view text, std::string* error = nullptr);

// Serializes without throwing on invalid UTF-8 (replaces bad bytes).
std::string dumpJson(const Json& value);

}  // namespace llmp
