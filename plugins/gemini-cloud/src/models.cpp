#include "models.hpp"

#include <llmp/cpp/json.hpp>

#include <cctype>

namespace llmp::plugins::gemini_cloud {

namespace {

// "gemini-2.5-flash-lite" -> "Gemini 2.5 Flash Lite".
std::string displayName(const std::string& id) {
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

}  // namespace

std::string modelListJson(const std::vector<std::string>& ids) {
  Json out = Json::array();
  for (const auto& id : ids) {
    out.push_back({{"name", "models/" + id},
                   {"baseModelId", id},
                   {"version", "code-assist"},
                   {"displayName", displayName(id)},
                   {"description", displayName(id) + " through Gemini Code Assist, billed to "
                                                     "your Google Cloud project"},
                   {"inputTokenLimit", 1048576},
                   {"outputTokenLimit", 65536},
                   {"supportedGenerationMethods",
                    {"generateContent", "streamGenerateContent", "countTokens"}},
                   {"thinking", true}});
  }
  return dumpJson(out);
}

}  // namespace llmp::plugins::gemini_cloud
