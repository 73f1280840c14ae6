#include "models.hpp"

#include <llmp/cpp/errors.hpp>
#include <llmp/cpp/json.hpp>

#include <algorithm>
#include <cctype>

namespace llmp::plugins::antigravity {

namespace {

bool startsWith(std::string_view s, std::string_view prefix) {
  return s.substr(0, prefix.size()) == prefix;
}
bool endsWith(std::string_view s, std::string_view suffix) {
  return s.size() >= suffix.size() && s.substr(s.size() - suffix.size()) == suffix;
}
bool contains(const std::vector<std::string>& list, const std::string& id) {
  return std::find(list.begin(), list.end(), id) != list.end();
}
bool allDigits(std::string_view s) {
  return !s.empty() && std::all_of(s.begin(), s.end(), [](unsigned char c) { return std::isdigit(c); });
}

// claude-<family>-<major>[-<minor>] with '.' allowed between the numbers; also the
// family-last spelling claude-<major>[.-<minor>]-<family>.
std::string canonicalClaude(std::string name) {
  // Drop -latest and a trailing date.
  if (endsWith(name, "-latest")) {
    name.resize(name.size() - 7);
  }
  size_t dash = name.rfind('-');
  if (dash != std::string::npos && name.size() - dash - 1 == 8 && allDigits(name.substr(dash + 1))) {
    name.resize(dash);
  }
  bool thinking = endsWith(name, "-thinking");
  if (thinking) {
    name.resize(name.size() - 9);
  }
  std::replace(name.begin(), name.end(), '.', '-');
  // Family-last: claude-4-5-sonnet -> claude-sonnet-4-5.
  for (const char* family : {"sonnet", "opus", "haiku"}) {
    std::string suffix = std::string("-") + family;
    if (endsWith(name, suffix) && name.size() > 7 + suffix.size() &&
        std::isdigit(static_cast<unsigned char>(name[7]))) {
      std::string version = name.substr(7, name.size() - 7 - suffix.size());
      name = "claude-" + std::string(family) + "-" + version;
      break;
    }
  }
  return thinking ? name + "-thinking" : name;
}

}  // namespace

bool isClaudeModel(std::string_view upstream) { return startsWith(upstream, "claude-"); }

ModelChoice resolveModel(std::string_view requested, bool thinkingRequested,
                         const std::map<std::string, std::string>& aliases,
                         const std::vector<std::string>& known) {
  std::string name(requested);
  if (startsWith(name, "models/")) {
    name.erase(0, 7);
  }
  if (name.empty()) {
    throw Error(LLMP_E_INVALID, 400, "the model name is empty");
  }
  for (char c : name) {
    if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_' || c == '.')) {
      throw Error(LLMP_E_INVALID, 400,
                  "model \"" + name.substr(0, 80) + "\" has characters a model id cannot have");
    }
  }
  ModelChoice choice;
  auto alias = aliases.find(name);
  if (alias != aliases.end()) {
    choice.upstream = alias->second;
  } else {
    std::string lower = name;
    std::transform(lower.begin(), lower.end(), lower.begin(),
                   [](unsigned char c) { return std::tolower(c); });
    if (startsWith(lower, "gemini-claude-")) {
      lower.erase(0, 7);
    }
    if (startsWith(lower, "claude-")) {
      std::string canonical = canonicalClaude(lower);
      bool explicitThinking = endsWith(canonical, "-thinking");
      std::string thinkingId = explicitThinking ? canonical : canonical + "-thinking";
      if (contains(known, canonical) && !(thinkingRequested && contains(known, thinkingId))) {
        choice.upstream = canonical;
      } else if (contains(known, thinkingId)) {
        choice.upstream = thinkingId;  // the only variant offered, or thinking was asked for
      } else {
        choice.upstream = canonical;  // unknown here: let the upstream judge it
      }
    } else if (contains(known, lower)) {
      choice.upstream = lower;
    } else if (lower == "gemini-3-pro-preview") {
      choice.upstream = "gemini-3-pro-high";
    } else if (lower == "gemini-3-flash-preview") {
      choice.upstream = "gemini-3-flash";
    } else {
      choice.upstream = lower;
    }
  }
  choice.claude = isClaudeModel(choice.upstream);
  choice.thinking = endsWith(choice.upstream, "-thinking");
  return choice;
}

bool isInternalModel(std::string_view id) {
  static const char* const internal[] = {"chat_20706",
                                         "chat_23310",
                                         "tab_flash_lite_preview",
                                         "tab_jump_flash_lite_preview",
                                         "gemini-2.5-flash-thinking",
                                         "gemini-2.5-pro"};
  for (const char* i : internal) {
    if (id == i) {
      return true;
    }
  }
  return false;
}

std::vector<ModelInfo> parseAvailableModels(std::string_view body) {
  std::vector<ModelInfo> out;
  auto doc = parseJson(body);
  if (!doc || !doc->is_object()) {
    return out;
  }
  auto models = doc->find("models");
  if (models == doc->end()) {
    return out;
  }
  auto add = [&](const std::string& id, const Json& info) {
    if (id.empty() || isInternalModel(id)) {
      return;
    }
    ModelInfo m;
    m.id = id;
    if (info.is_object()) {
      m.displayName = info.value("displayName", std::string());
      auto num = [&](const char* key) -> int64_t {
        auto it = info.find(key);
        if (it == info.end()) {
          return 0;
        }
        if (it->is_number()) {
          return it->get<int64_t>();
        }
        if (it->is_string()) {
          return std::atoll(it->get_ref<const std::string&>().c_str());
        }
        return 0;
      };
      m.inputTokenLimit = num("maxTokens");
      m.outputTokenLimit = num("maxOutputTokens");
    }
    out.push_back(std::move(m));
  };
  if (models->is_object()) {
    for (auto it = models->begin(); it != models->end(); ++it) {
      add(it.key(), it.value());
    }
  } else if (models->is_array()) {
    for (const auto& m : *models) {
      if (m.is_object()) {
        std::string id = m.value("id", m.value("name", std::string()));
        if (startsWith(id, "models/")) {
          id.erase(0, 7);
        }
        add(id, m);
      }
    }
  }
  return out;
}

std::vector<ModelInfo> staticModels(const std::vector<std::string>& ids) {
  std::vector<ModelInfo> out;
  for (const auto& id : ids) {
    ModelInfo m;
    m.id = id;
    if (isClaudeModel(id)) {
      m.inputTokenLimit = 200000;
      m.outputTokenLimit = 64000;
    } else if (startsWith(id, "gemini-")) {
      m.inputTokenLimit = 1048576;
      m.outputTokenLimit = 65536;
    }
    out.push_back(std::move(m));
  }
  return out;
}

std::string modelListJson(const std::vector<ModelInfo>& models) {
  Json out = Json::array();
  for (const auto& m : models) {
    Json model = {{"name", "models/" + m.id},
                  {"baseModelId", m.id},
                  {"displayName", m.displayName.empty() ? m.id : m.displayName},
                  {"description", isClaudeModel(m.id) ? "Anthropic Claude through Antigravity"
                                                       : "Through Antigravity (Code Assist)"},
                  {"supportedGenerationMethods",
                   Json::array({"generateContent", "streamGenerateContent", "countTokens"})}};
    if (m.inputTokenLimit > 0) {
      model["inputTokenLimit"] = m.inputTokenLimit;
    }
    if (m.outputTokenLimit > 0) {
      model["outputTokenLimit"] = m.outputTokenLimit;
    }
    out.push_back(std::move(model));
  }
  return dumpJson(out);
}

}  // namespace llmp::plugins::antigravity
