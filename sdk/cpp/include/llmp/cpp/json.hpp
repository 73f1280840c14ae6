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

// True when text is one JSON value (RFC 8259, UTF-8), exactly what nlohmann::json::accept says,
// without building or copying anything: for checking an upstream's answer before passing it on.
bool isValidJson(std::string_view text);

// Serializes without throwing on invalid UTF-8 (replaces bad bytes).
std::string dumpJson(const Json& value);

// object[key] when object is an object holding key with a value of the fallback's type, else
// fallback. Returns a reference, so reading a nested array costs no copy (nlohmann's value()
// returns by value: a deep copy of the whole subtree, one heap node per element).
const Json& memberOr(const Json& object, std::string_view key, const Json& fallback);

// Shared immutable empty values to pass as memberOr fallbacks.
const Json& emptyJsonArray();
const Json& emptyJsonObject();

}  // namespace llmp
