#include "llmp/cpp/json.hpp"

namespace llmp {

std::optional<Json> parseJson(std::string_view text, std::string* error) {
  try {
    return Json::parse(text.begin(), text.end());
  } catch (const std::exception& e) {
    if (error != nullptr) {
      *error = e.what();
    }
    return std::nullopt;
  }
}

std::string dumpJson(const Json& value) {
  return value.dump(-1, ' ', false, Json::error_handler_t::replace);
}

}  // namespace llmp

namespace llmp {

const Json& memberOr(const Json& object, std::string_view key, const Json& fallback) {
  if (!object.is_object()) {
    return fallback;
  }
  auto it = object.find(key);
  if (it == object.end() || it->type() != fallback.type()) {
    return fallback;
  }
  return *it;
}

const Json& emptyJsonArray() {
  static const Json empty = Json::array();
  return empty;
}

const Json& emptyJsonObject() {
  static const Json empty = Json::object();
  return empty;
}

}  // namespace llmp
