#include "llmp/cpp/code_assist_models.hpp"

#include <cctype>

#include "llmp/cpp/json.hpp"

namespace llmp::code_assist {

const std::vector<std::string>& defaultModels() {
  static const std::vector<std::string> models = {
      "gemini-2.5-pro",         "gemini-2.5-flash",       "gemini-2.5-flash-lite",
      "gemini-3-pro-preview",   "gemini-3-flash-preview", "gemini-3.1-pro-preview",
      "gemini-3.1-flash-lite",
  };
  return models;
}

std::string displayName(std::string_view id) {
  std::string out;
  bool upper = true;
  for (char c : id) {
    if (c == '-') {
      out.push_back(' ');
      upper = true;
      continue;
    }
    out.push_back(upper ? static_cast<char>(std::toupper(static_cast<unsigned char>(c))) : c);
    upper = false;
  }
  return out;
}

std::string modelListJson(const std::vector<std::string>& ids,
                          std::string_view descriptionSuffix) {
  Json out = Json::array();
  for (const auto& id : ids) {
    std::string name = displayName(id);
    out.push_back({{"name", "models/" + id},
                   {"baseModelId", id},
                   {"version", "code-assist"},
                   {"displayName", name},
                   {"description", name + " " + std::string(descriptionSuffix)},
                   {"inputTokenLimit", 1048576},
                   {"outputTokenLimit", 65536},
                   {"supportedGenerationMethods",
                    {"generateContent", "streamGenerateContent", "countTokens"}},
                   {"thinking", true}});
  }
  return dumpJson(out);
}

}  // namespace llmp::code_assist
