// Typed reads from an instance's config subtree (the host hands it over as JSON). Every failure
// throws llmp::Error(LLMP_E_INVALID) whose message starts with a prefix naming the instance,
// e.g. "backend 'work' (type gemini): timeouts.idle_ms must be a number".
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "host.hpp"
#include "json.hpp"

namespace llmp::config {

// Environment lookup; returns nullptr when unset (std::getenv, or a fake in tests).
using EnvFn = std::function<const char*(const char*)>;

// HTTP timeouts of an upstream; 0 = the host's default.
struct Timeouts {
  uint32_t connectMs = 0;
  uint32_t firstByteMs = 0;
  uint32_t idleMs = 0;
};

// Leading and trailing ASCII white space removed.
std::string trim(std::string_view text);

// Strips every trailing '/'.
std::string withoutTrailingSlash(std::string text);

// The trimmed value of an environment variable; "" when unset or when env is empty.
std::string envValue(const EnvFn& env, const char* name);

class Reader {
 public:
  // messagePrefix starts every error message; httpStatus goes into the thrown Error.
  explicit Reader(std::string messagePrefix, int32_t httpStatus = 0)
      : prefix_(std::move(messagePrefix)), httpStatus_(httpStatus) {}
  // The prefix "backend '<instance>' (type <type>): ".
  static Reader forBackend(std::string_view instance, std::string_view type);

  [[noreturn]] void fail(const std::string& what) const;

  // The config text as an object: blank text or JSON null give {}; anything but an object fails
  // ("config is not valid JSON: ...", "config must be a mapping").
  Json parseObject(std::string_view configJson) const;
  // The keys of `extra:` (the original tool's config shape) overlaid by the top-level keys, so
  // both `key` and `extra.key` work and the top level wins. `extra` itself is dropped.
  Json mergeExtra(const Json& doc) const;

  // A whole number 0..maxValue; YAML scalars may arrive as strings ("300") or numbers.
  int64_t readInt(const Json& value, const std::string& name, int64_t maxValue) const;
  // A JSON string, as is.
  std::string readString(const Json& value, const std::string& name) const;
  // A trimmed string; an integer is accepted too (a YAML project id made of digits).
  std::string readScalar(const Json& value, const std::string& name) const;
  // true/false, or the strings true|yes|on|1 / false|no|off|0 (any case).
  bool readBool(const Json& value, const std::string& name) const;
  // A string (one item) or a list of strings; items trimmed, empty and repeated items dropped.
  std::vector<std::string> readStringList(const Json& value, const std::string& name) const;
  // A mapping with connect_ms, first_byte_ms and idle_ms (each 0..24h); other keys fail.
  Timeouts readTimeouts(const Json& value, const std::string& name = "timeouts") const;

 private:
  std::string prefix_;
  int32_t httpStatus_;
};

// Logs "<owner>: unknown setting '<key>' ignored<hint>" at WARN through the host, once per key.
void warnUnknownSettings(const Host& host, std::string_view owner,
                         const std::vector<std::string>& keys, std::string_view hint = {});

}  // namespace llmp::config
