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
