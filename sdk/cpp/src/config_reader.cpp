#include "llmp/cpp/config_reader.hpp"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <cstdlib>

#include "llmp/cpp/errors.hpp"

namespace llmp::config {

std::string trim(std::string_view text) {
  while (!text.empty() && std::isspace(static_cast<unsigned char>(text.front()))) {
    text.remove_prefix(1);
  }
  while (!text.empty() && std::isspace(static_cast<unsigned char>(text.back()))) {
    text.remove_suffix(1);
  }
  return std::string(text);
}

std::string withoutTrailingSlash(std::string text) {
  while (!text.empty() && text.back() == '/') {
    text.pop_back();
  }
  return text;
}

std::string envValue(const EnvFn& env, const char* name) {
  const char* value = env ? env(name) : nullptr;
  return value != nullptr ? trim(value) : std::string();
}

Reader Reader::forBackend(std::string_view instance, std::string_view type) {
  return Reader("backend '" + std::string(instance) + "' (type " + std::string(type) + "): ");
}

void Reader::fail(const std::string& what) const {
  throw Error(LLMP_E_INVALID, httpStatus_, prefix_ + what);
}

Json Reader::parseObject(std::string_view configJson) const {
  if (trim(configJson).empty()) {
    return Json::object();
  }
  std::string error;
  auto parsed = parseJson(configJson, &error);
  if (!parsed) {
    fail("config is not valid JSON: " + error);
  }
  if (parsed->is_object()) {
    return std::move(*parsed);
  }
  if (!parsed->is_null()) {
    fail("config must be a mapping");
  }
  return Json::object();
}

Json Reader::mergeExtra(const Json& doc) const {
  Json merged = Json::object();
  auto extra = doc.find("extra");
  if (extra != doc.end() && extra->is_object()) {
    merged = *extra;
  } else if (extra != doc.end() && !extra->is_null()) {
    fail("extra must be a mapping");
  }
  for (auto it = doc.begin(); it != doc.end(); ++it) {
    if (it.key() != "extra") {
      merged[it.key()] = it.value();
    }
  }
  return merged;
}

int64_t Reader::readInt(const Json& value, const std::string& name, int64_t maxValue) const {
  double v = 0;
  if (value.is_number()) {
    v = value.get<double>();
  } else if (value.is_string()) {
    const auto& s = value.get_ref<const std::string&>();
    char* end = nullptr;
    v = std::strtod(s.c_str(), &end);
    if (s.empty() || end == nullptr || *end != '\0') {
      fail(name + " must be a number, got \"" + s + "\"");
    }
  } else {
    fail(name + " must be a number");
  }
  if (!(v >= 0) || v > static_cast<double>(maxValue) || std::floor(v) != v) {
    fail(name + " must be a whole number between 0 and " + std::to_string(maxValue));
  }
  return static_cast<int64_t>(v);
}

std::string Reader::readString(const Json& value, const std::string& name) const {
  if (!value.is_string()) {
    fail(name + " must be a string");
  }
  return value.get<std::string>();
}

std::string Reader::readScalar(const Json& value, const std::string& name) const {
  if (value.is_string()) {
    return trim(value.get<std::string>());
  }
  if (value.is_number_integer() || value.is_number_unsigned()) {
    return value.dump();
  }
  fail(name + " must be a string");
}

bool Reader::readBool(const Json& value, const std::string& name) const {
  if (value.is_boolean()) {
    return value.get<bool>();
  }
  if (value.is_string()) {
    std::string s = value.get<std::string>();
    std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return std::tolower(c); });
    if (s == "true" || s == "yes" || s == "on" || s == "1") {
      return true;
    }
    if (s == "false" || s == "no" || s == "off" || s == "0") {
      return false;
    }
  }
  fail(name + " must be true or false");
}

std::vector<std::string> Reader::readStringList(const Json& value, const std::string& name) const {
  std::vector<std::string> out;
  if (value.is_string()) {
    out.push_back(trim(value.get<std::string>()));
    return out;
  }
  if (!value.is_array()) {
    fail(name + " must be a list of strings");
  }
  for (const auto& item : value) {
    if (!item.is_string()) {
      fail(name + " must be a list of strings");
    }
    std::string s = trim(item.get<std::string>());
    if (!s.empty() && std::find(out.begin(), out.end(), s) == out.end()) {
      out.push_back(s);
    }
  }
  return out;
}

Timeouts Reader::readTimeouts(const Json& value, const std::string& name) const {
  Timeouts timeouts;
  if (!value.is_object()) {
    fail(name + " must be a mapping with connect_ms, first_byte_ms, idle_ms");
  }
  for (auto t = value.begin(); t != value.end(); ++t) {
    const auto v =
        static_cast<uint32_t>(readInt(t.value(), name + "." + t.key(), 24 * 3600 * 1000));
    if (t.key() == "connect_ms") {
      timeouts.connectMs = v;
    } else if (t.key() == "first_byte_ms") {
      timeouts.firstByteMs = v;
    } else if (t.key() == "idle_ms") {
      timeouts.idleMs = v;
    } else {
      fail("unknown key " + name + "." + t.key() + " (known: connect_ms, first_byte_ms, idle_ms)");
    }
  }
  return timeouts;
}

void warnUnknownSettings(const Host& host, std::string_view owner,
                         const std::vector<std::string>& keys, std::string_view hint) {
  for (const auto& key : keys) {
    host.log(LLMP_LOG_WARN, std::string(owner) + ": unknown setting '" + key + "' ignored" +
                                std::string(hint));
  }
}

}  // namespace llmp::config
