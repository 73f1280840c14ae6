#include "model_list.hpp"

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <unordered_set>

namespace llmp::plugins::frontend_gemini {
namespace {

std::string stringMember(const Json& object, const char* name) {
  auto it = object.find(name);
  return it != object.end() && it->is_string() ? it->get<std::string>() : std::string();
}

constexpr std::string_view kTokenPrefix = "llmp-offset-";

const char kBase64Url[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

std::string base64UrlEncode(std::string_view in) {
  std::string out;
  size_t i = 0;
  while (i + 2 < in.size()) {
    uint32_t v = (static_cast<unsigned char>(in[i]) << 16) |
                 (static_cast<unsigned char>(in[i + 1]) << 8) | static_cast<unsigned char>(in[i + 2]);
    out.push_back(kBase64Url[(v >> 18) & 63]);
    out.push_back(kBase64Url[(v >> 12) & 63]);
    out.push_back(kBase64Url[(v >> 6) & 63]);
    out.push_back(kBase64Url[v & 63]);
    i += 3;
  }
  if (i < in.size()) {
    uint32_t v = static_cast<unsigned char>(in[i]) << 16;
    if (i + 1 < in.size()) {
      v |= static_cast<unsigned char>(in[i + 1]) << 8;
    }
    out.push_back(kBase64Url[(v >> 18) & 63]);
    out.push_back(kBase64Url[(v >> 12) & 63]);
    if (i + 1 < in.size()) {
      out.push_back(kBase64Url[(v >> 6) & 63]);
    }
  }
  return out;
}

std::optional<std::string> base64UrlDecode(std::string_view in) {
  std::string out;
  uint32_t acc = 0;
  int bits = 0;
  for (char c : in) {
    if (c == '=') {
      break;
    }
    const char* pos = c == '\0' ? nullptr : std::strchr(kBase64Url, c);
    if (pos == nullptr) {
      return std::nullopt;
    }
    acc = (acc << 6) | static_cast<uint32_t>(pos - kBase64Url);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out.push_back(static_cast<char>((acc >> bits) & 0xFF));
    }
  }
  return out;
}

}  // namespace

std::vector<Json> geminiModels(const Json& routerModels) {
  std::vector<Json> out;
  if (!routerModels.is_array()) {
    return out;
  }
  std::unordered_set<std::string> seen;
  auto add = [&](const Json& base, const std::string& id) {
    std::string name = "models/" + id;
    if (!seen.insert(name).second) {
      return;
    }
    Json model = base;
    model["name"] = name;
    out.push_back(std::move(model));
  };
  for (const Json& entry : routerModels) {
    if (!entry.is_object()) {
      continue;
    }
    std::string backend = stringMember(entry, "backend");
    std::string prefixed = stringMember(entry, "id");
    std::string bare = stringMember(entry, "model");
    if (bare.empty()) {
      bare = stringMember(entry, "name");
      if (bare.rfind("models/", 0) == 0) {
        bare.erase(0, 7);
      }
    }
    if (prefixed.empty() && !bare.empty()) {
      prefixed = backend.empty() ? bare : backend + ":" + bare;
    }
    if (bare.empty()) {
      size_t colon = prefixed.find(':');
      bare = colon == std::string::npos ? prefixed : prefixed.substr(colon + 1);
    }
    if (prefixed.empty()) {
      continue;
    }
    auto def = entry.find("defaultBackend");
    bool isDefault = def != entry.end() && def->is_boolean() && def->get<bool>();

    Json base = entry;
    base.erase("id");
    base.erase("backend");
    base.erase("model");
    base.erase("defaultBackend");
    if (!base.contains("supportedGenerationMethods")) {
      base["supportedGenerationMethods"] = Json::array({"generateContent", "countTokens"});
    }
    if (isDefault) {
      add(base, bare);
    }
    add(base, prefixed);
  }
  return out;
}

std::string renderModelPage(const std::vector<Json>& models, size_t offset, size_t pageSize) {
  Json page = Json::object();
  Json list = Json::array();
  size_t end = offset + pageSize < offset ? models.size() : std::min(models.size(), offset + pageSize);
  for (size_t i = offset; i < end; ++i) {
    list.push_back(models[i]);
  }
  page["models"] = std::move(list);
  if (end < models.size()) {
    page["nextPageToken"] = encodePageToken(end);
  }
  return dumpJson(page);
}

std::string encodePageToken(size_t offset) {
  return base64UrlEncode(std::string(kTokenPrefix) + std::to_string(offset));
}

std::optional<size_t> decodePageToken(std::string_view token) {
  std::optional<std::string> text = base64UrlDecode(token);
  if (!text || text->rfind(kTokenPrefix, 0) != 0) {
    return std::nullopt;
  }
  std::string_view digits = std::string_view(*text).substr(kTokenPrefix.size());
  if (digits.empty() || digits.size() > 9) {
    return std::nullopt;
  }
  size_t value = 0;
  for (char c : digits) {
    if (c < '0' || c > '9') {
      return std::nullopt;
    }
    value = value * 10 + static_cast<size_t>(c - '0');
  }
  return value;
}

const Json* findModel(const std::vector<Json>& models, std::string_view id) {
  size_t question = id.find('?');
  if (question != std::string_view::npos) {
    id = id.substr(0, question);
  }
  std::string name = "models/" + std::string(id);
  for (const Json& model : models) {
    auto it = model.find("name");
    if (it != model.end() && it->is_string() && it->get_ref<const std::string&>() == name) {
      return &model;
    }
  }
  return nullptr;
}

}  // namespace llmp::plugins::frontend_gemini
