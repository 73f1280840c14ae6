#include "llmp/cpp/model_id.hpp"

#include <cctype>

#include "llmp/cpp/errors.hpp"

namespace llmp {

namespace {

bool stripPrefix(std::string_view* s, std::string_view prefix) {
  if (s->substr(0, prefix.size()) != prefix) {
    return false;
  }
  s->remove_prefix(prefix.size());
  return true;
}

}  // namespace

std::string normalizeModelId(std::string_view model, const ModelIdRules& rules) {
  stripPrefix(&model, "models/");
  std::string_view id = model;
  if (rules.allowTunedModels) {
    stripPrefix(&id, "tunedModels/");
  }
  bool ok = !id.empty() && (rules.maxLength == 0 || id.size() <= rules.maxLength);
  for (char c : id) {
    if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_' || c == '.')) {
      ok = false;
      break;
    }
  }
  if (!ok) {
    std::string shown(model.substr(0, 100));
    throw Error(LLMP_E_INVALID, 400,
                shown.empty() ? std::string("no model given")
                              : "invalid model id \"" + shown +
                                    "\" (letters, digits, '-', '_' and '.' only)");
  }
  return std::string(model);
}

}  // namespace llmp
