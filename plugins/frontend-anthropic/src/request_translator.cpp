#include "request_translator.hpp"

#include <llmp/cpp/gemini_schema.hpp>

#include <algorithm>
#include <map>
#include <optional>
#include <string_view>
#include <vector>

#include "errors.hpp"

namespace llmp::plugins::anthropic {
namespace {

constexpr int64_t kMaxThinkingBudget = 24576;

[[noreturn]] void fail(const std::string& field, const std::string& problem) {
  throw RequestError(field + ": " + problem);
}

std::string path(const std::string& base, std::string_view member) {
  return base.empty() ? std::string(member) : base + "." + std::string(member);
}
std::string path(const std::string& base, size_t index) {
  return base + "." + std::to_string(index);
}

// A member that is present and not null, or nullptr.
const Json* find(const Json& object, const char* name) {
  auto it = object.find(name);
  if (it == object.end() || it->is_null()) {
    return nullptr;
  }
  return &*it;
}

const Json& require(const Json& object, const char* name, const std::string& base) {
  const Json* value = find(object, name);
  if (value == nullptr) {
    fail(path(base, name), "field required");
  }
  return *value;
}

const std::string& requireString(const Json& object, const char* name, const std::string& base) {
  const Json& value = require(object, name, base);
  if (!value.is_string()) {
    fail(path(base, name), "must be a string");
  }
  return value.get_ref<const std::string&>();
}

std::optional<std::string> optionalString(const Json& object, const char* name,
                                          const std::string& base) {
  const Json* value = find(object, name);
  if (value == nullptr) {
    return std::nullopt;
  }
  if (!value->is_string()) {
    fail(path(base, name), "must be a string");
  }
  return value->get<std::string>();
}

const Json& requireObject(const Json& value, const std::string& field) {
  if (!value.is_object()) {
    fail(field, "must be an object");
  }
  return value;
}

// The MIME type a URL most likely serves, from its extension; `fallback` otherwise.
std::string guessMimeType(std::string_view url, std::string_view fallback) {
  auto end = url.find_first_of("?#");
  std::string_view p = url.substr(0, end);
  auto dot = p.rfind('.');
  if (dot == std::string_view::npos || p.find('/', dot) != std::string_view::npos) {
    return std::string(fallback);
  }
  std::string ext;
  for (char c : p.substr(dot + 1)) {
    ext += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  }
  static const std::map<std::string, std::string> kTypes = {
      {"png", "image/png"},   {"jpg", "image/jpeg"},       {"jpeg", "image/jpeg"},
      {"gif", "image/gif"},   {"webp", "image/webp"},      {"pdf", "application/pdf"},
      {"txt", "text/plain"},  {"heic", "image/heic"},      {"heif", "image/heif"}};
  auto it = kTypes.find(ext);
  return it != kTypes.end() ? it->second : std::string(fallback);
}

class Translator {
 public:
  explicit Translator(RequestKind kind) : kind_(kind) {}

  TranslatedRequest run(const Json& body) {
    if (!body.is_object()) {
      throw RequestError("request body must be a JSON object");
    }
    TranslatedRequest out;
    out.model = requireString(body, "model", "");
    if (out.model.empty()) {
      fail("model", "must not be empty");
    }
    Json generationConfig = Json::object();
    if (kind_ == RequestKind::Messages) {
      const Json& maxTokens = require(body, "max_tokens", "");
      if (!maxTokens.is_number_integer()) {
        fail("max_tokens", "must be an integer");
      }
      if (maxTokens.get<int64_t>() < 1) {
        fail("max_tokens", "must be at least 1");
      }
      generationConfig["maxOutputTokens"] = maxTokens;
      if (const Json* stream = find(body, "stream")) {
        if (!stream->is_boolean()) {
          fail("stream", "must be a boolean");
        }
        out.stream = stream->get<bool>();
      }
    }

    Json ir = Json::object();
    ir["contents"] = translateMessages(require(body, "messages", ""));
    if (const Json* system = find(body, "system")) {
      Json parts = translateSystem(*system);
      if (!parts.empty()) {
        ir["systemInstruction"] = {{"parts", std::move(parts)}};
      }
    }
    translateTools(body, ir);
    translateSampling(body, generationConfig);
    if (const Json* thinking = find(body, "thinking")) {
      translateThinking(*thinking, generationConfig);
    }
    if (!generationConfig.empty()) {
      ir["generationConfig"] = std::move(generationConfig);
    }
    if (const Json* metadata = find(body, "metadata")) {
      requireObject(*metadata, "metadata");
      if (auto userId = optionalString(*metadata, "user_id", "metadata")) {
        out.userId = *userId;
      }
    }
    if (!dropped_.empty()) {
      ir["llmpDroppedFields"] = dropped_;
    }
    out.ir = std::move(ir);
    return out;
  }

 private:
  Json translateSystem(const Json& system) {
    Json parts = Json::array();
    if (system.is_string()) {
      if (!system.get_ref<const std::string&>().empty()) {
        parts.push_back({{"text", system}});
      }
      return parts;
    }
    if (!system.is_array()) {
      fail("system", "must be a string or an array of text blocks");
    }
    for (size_t i = 0; i < system.size(); ++i) {
      std::string field = path("system", i);
      const Json& block = requireObject(system[i], field);
      const std::string& type = requireString(block, "type", field);
      if (type != "text") {
        fail(path(field, "type"), "system blocks must be of type 'text'");
      }
      const std::string& text = requireString(block, "text", field);
      if (!text.empty()) {
        parts.push_back({{"text", text}});
      }
    }
    return parts;
  }

  Json translateMessages(const Json& messages) {
    if (!messages.is_array()) {
      fail("messages", "must be an array");
    }
    Json contents = Json::array();
    for (size_t i = 0; i < messages.size(); ++i) {
      std::string field = path("messages", i);
      const Json& message = requireObject(messages[i], field);
      const std::string& role = requireString(message, "role", field);
      std::string irRole;
      if (role == "user") {
        irRole = "user";
      } else if (role == "assistant") {
        irRole = "model";
      } else {
        fail(path(field, "role"), "must be 'user' or 'assistant'");
      }
      Json parts = translateContent(require(message, "content", field), path(field, "content"));
      if (parts.empty()) {
        continue;  // Gemini refuses a turn without parts
      }
      // Anthropic merges consecutive turns of one role; Gemini wants them as one turn too.
      if (!contents.empty() && contents.back()["role"] == irRole) {
        for (auto& part : parts) {
          contents.back()["parts"].push_back(std::move(part));
        }
      } else {
        contents.push_back({{"role", irRole}, {"parts", std::move(parts)}});
      }
    }
    return contents;
  }

  Json translateContent(const Json& content, const std::string& field) {
    Json parts = Json::array();
    if (content.is_string()) {
      if (!content.get_ref<const std::string&>().empty()) {
        parts.push_back({{"text", content}});
      }
      return parts;
    }
    if (!content.is_array()) {
      fail(field, "must be a string or an array of content blocks");
    }
    // A thinking block's signature also belongs on the function call right after it: Gemini 3
    // validates the signature on the functionCall part. A thinking block without text only
    // carries a signature (rendered that way for a signed functionCall or text part), so it
    // goes onto whatever part follows.
    std::string pendingSignature;
    bool pendingForAnyPart = false;
    for (size_t j = 0; j < content.size(); ++j) {
      std::string blockField = path(field, j);
      const Json& block = requireObject(content[j], blockField);
      const std::string& type = requireString(block, "type", blockField);
      std::string signature = std::move(pendingSignature);
      bool signatureForAnyPart = pendingForAnyPart;
      pendingSignature.clear();
      pendingForAnyPart = false;

      if (type == "text") {
        const std::string& text = requireString(block, "text", blockField);
        Json part = {{"text", text}};
        if (!signature.empty() && signatureForAnyPart) {
          part["thoughtSignature"] = signature;
        } else if (text.empty()) {
          continue;
        }
        parts.push_back(std::move(part));
      } else if (type == "image") {
        parts.push_back(translateImage(block, blockField));
      } else if (type == "document") {
        translateDocument(block, blockField, parts);
      } else if (type == "tool_use") {
        const std::string& id = requireString(block, "id", blockField);
        const std::string& name = requireString(block, "name", blockField);
        Json args = Json::object();
        if (const Json* input = find(block, "input")) {
          args = requireObject(*input, path(blockField, "input"));
        }
        toolNames_[id] = name;
        Json part = {{"functionCall", {{"id", id}, {"name", name}, {"args", std::move(args)}}}};
        if (!signature.empty()) {
          part["thoughtSignature"] = signature;
        }
        parts.push_back(std::move(part));
      } else if (type == "tool_result") {
        translateToolResult(block, blockField, parts);
      } else if (type == "thinking") {
        const std::string& thinking = requireString(block, "thinking", blockField);
        std::string blockSignature =
            optionalString(block, "signature", blockField).value_or(std::string());
        if (!thinking.empty()) {
          Json part = {{"text", thinking}, {"thought", true}};
          if (!blockSignature.empty()) {
            part["thoughtSignature"] = blockSignature;
          }
          parts.push_back(std::move(part));
        }
        pendingSignature = std::move(blockSignature);
        pendingForAnyPart = thinking.empty();
      } else if (type == "redacted_thinking") {
        // Anthropic-encrypted reasoning means nothing to Gemini.
      } else {
        dropped_.push_back(blockField + " (" + type + ")");
      }
    }
    return parts;
  }

  Json translateImage(const Json& block, const std::string& field) {
    const Json& source = requireObject(require(block, "source", field), path(field, "source"));
    std::string sourceField = path(field, "source");
    const std::string& type = requireString(source, "type", sourceField);
    if (type == "base64") {
      return {{"inlineData",
               {{"mimeType", requireString(source, "media_type", sourceField)},
                {"data", requireString(source, "data", sourceField)}}}};
    }
    if (type == "url") {
      const std::string& url = requireString(source, "url", sourceField);
      return {{"fileData", {{"mimeType", guessMimeType(url, "image/jpeg")}, {"fileUri", url}}}};
    }
    fail(path(sourceField, "type"), "unsupported image source type '" + type +
                                        "' (use 'base64' or 'url')");
  }

  void translateDocument(const Json& block, const std::string& field, Json& parts) {
    const Json& source = requireObject(require(block, "source", field), path(field, "source"));
    std::string sourceField = path(field, "source");
    const std::string& type = requireString(source, "type", sourceField);
    if (type == "base64") {
      std::string mime =
          optionalString(source, "media_type", sourceField).value_or("application/pdf");
      parts.push_back({{"inlineData",
                        {{"mimeType", mime}, {"data", requireString(source, "data", sourceField)}}}});
    } else if (type == "text") {
      const std::string& data = requireString(source, "data", sourceField);
      if (!data.empty()) {
        parts.push_back({{"text", data}});
      }
    } else if (type == "url") {
      const std::string& url = requireString(source, "url", sourceField);
      parts.push_back(
          {{"fileData", {{"mimeType", guessMimeType(url, "application/pdf")}, {"fileUri", url}}}});
    } else if (type == "content") {
      Json inner = translateContent(require(source, "content", sourceField),
                                    path(sourceField, "content"));
      for (auto& part : inner) {
        parts.push_back(std::move(part));
      }
    } else {
      fail(path(sourceField, "type"), "unsupported document source type '" + type +
                                          "' (use 'base64', 'text', 'url' or 'content')");
    }
  }

  void translateToolResult(const Json& block, const std::string& field, Json& parts) {
    const std::string& id = requireString(block, "tool_use_id", field);
    auto name = toolNames_.find(id);
    if (name == toolNames_.end()) {
      fail(path(field, "tool_use_id"), "no earlier tool_use block has id '" + id + "'");
    }
    bool isError = false;
    if (const Json* flag = find(block, "is_error")) {
      if (!flag->is_boolean()) {
        fail(path(field, "is_error"), "must be a boolean");
      }
      isError = flag->get<bool>();
    }
    std::string text;
    Json extraParts = Json::array();
    if (const Json* content = find(block, "content")) {
      std::string contentField = path(field, "content");
      if (content->is_string()) {
        text = content->get<std::string>();
      } else if (content->is_array()) {
        for (size_t k = 0; k < content->size(); ++k) {
          std::string itemField = path(contentField, k);
          const Json& item = requireObject((*content)[k], itemField);
          const std::string& type = requireString(item, "type", itemField);
          if (type == "text") {
            if (!text.empty()) {
              text += "\n";
            }
            text += requireString(item, "text", itemField);
          } else if (type == "image") {
            extraParts.push_back(translateImage(item, itemField));
          } else if (type == "document") {
            translateDocument(item, itemField, extraParts);
          } else {
            dropped_.push_back(itemField + " (" + type + ")");
          }
        }
      } else {
        fail(contentField, "must be a string or an array of content blocks");
      }
    }
    // functionResponse.response must be an object: a tool that answered with a JSON object
    // keeps it, anything else is wrapped.
    Json value = text;
    if (!text.empty() && (text.front() == '{')) {
      if (auto parsed = llmp::parseJson(text); parsed && parsed->is_object()) {
        value = std::move(*parsed);
      }
    }
    Json response;
    if (isError) {
      response = {{"error", std::move(value)}};
    } else if (value.is_object()) {
      response = std::move(value);
    } else {
      response = {{"result", std::move(value)}};
    }
    parts.push_back(
        {{"functionResponse", {{"id", id}, {"name", name->second}, {"response", response}}}});
    // Images a tool returned follow its response in the same user turn.
    for (auto& part : extraParts) {
      parts.push_back(std::move(part));
    }
  }

  void translateTools(const Json& body, Json& ir) {
    Json declarations = Json::array();
    if (const Json* tools = find(body, "tools")) {
      if (!tools->is_array()) {
        fail("tools", "must be an array");
      }
      for (size_t i = 0; i < tools->size(); ++i) {
        std::string field = path("tools", i);
        const Json& tool = requireObject((*tools)[i], field);
        auto type = optionalString(tool, "type", field);
        const Json* schema = find(tool, "input_schema");
        if (type && *type != "custom" && schema == nullptr) {
          // Anthropic server tools (web search, bash, text editor ...) have no Gemini twin.
          dropped_.push_back(field + " (" + *type + ")");
          continue;
        }
        const std::string& name = requireString(tool, "name", field);
        if (schema == nullptr) {
          fail(path(field, "input_schema"), "field required");
        }
        requireObject(*schema, path(field, "input_schema"));
        Json declaration = {{"name", name}};
        if (auto description = optionalString(tool, "description", field)) {
          declaration["description"] = *description;
        }
        Json parameters = llmp::sanitizeSchemaForGemini(*schema);
        // A tool without arguments goes without `parameters`: Gemini has refused an OBJECT
        // schema with no properties ("should be non-empty for OBJECT type").
        bool noArguments = parameters.is_object() && parameters.value("type", "") == "OBJECT" &&
                           !parameters.contains("properties") && !parameters.contains("anyOf");
        if (!noArguments) {
          declaration["parameters"] = std::move(parameters);
        }
        declarations.push_back(std::move(declaration));
      }
    }
    if (!declarations.empty()) {
      ir["tools"] = Json::array({{{"functionDeclarations", declarations}}});
    }
    const Json* choice = find(body, "tool_choice");
    if (choice == nullptr) {
      return;
    }
    requireObject(*choice, "tool_choice");
    const std::string& type = requireString(*choice, "type", "tool_choice");
    Json config;
    if (type == "auto") {
      config = {{"mode", "AUTO"}};
    } else if (type == "any") {
      config = {{"mode", "ANY"}};
    } else if (type == "tool") {
      config = {{"mode", "ANY"},
                {"allowedFunctionNames", Json::array({requireString(*choice, "name", "tool_choice")})}};
    } else if (type == "none") {
      config = {{"mode", "NONE"}};
    } else {
      fail("tool_choice.type", "must be 'auto', 'any', 'tool' or 'none'");
    }
    if (!declarations.empty()) {
      ir["toolConfig"] = {{"functionCallingConfig", std::move(config)}};
    }
  }

  void translateSampling(const Json& body, Json& generationConfig) {
    static const std::pair<const char*, const char*> kNumbers[] = {{"temperature", "temperature"},
                                                                   {"top_p", "topP"}};
    for (const auto& [wire, ir] : kNumbers) {
      if (const Json* value = find(body, wire)) {
        if (!value->is_number()) {
          fail(wire, "must be a number");
        }
        generationConfig[ir] = *value;
      }
    }
    if (const Json* topK = find(body, "top_k")) {
      if (!topK->is_number_integer()) {
        fail("top_k", "must be an integer");
      }
      generationConfig["topK"] = *topK;
    }
    if (const Json* stops = find(body, "stop_sequences")) {
      if (!stops->is_array()) {
        fail("stop_sequences", "must be an array of strings");
      }
      for (size_t i = 0; i < stops->size(); ++i) {
        if (!(*stops)[i].is_string()) {
          fail(path("stop_sequences", i), "must be a string");
        }
      }
      if (!stops->empty()) {
        generationConfig["stopSequences"] = *stops;
      }
    }
  }

  void translateThinking(const Json& thinking, Json& generationConfig) {
    requireObject(thinking, "thinking");
    const std::string& type = requireString(thinking, "type", "thinking");
    Json config;
    if (type == "enabled") {
      const Json& budget = require(thinking, "budget_tokens", "thinking");
      if (!budget.is_number_integer()) {
        fail("thinking.budget_tokens", "must be an integer");
      }
      if (budget.get<int64_t>() < 0) {
        fail("thinking.budget_tokens", "must not be negative");
      }
      // Claude clients ask for up to ~32k ("ultrathink": 31999); Gemini Flash models refuse a
      // budget above 24576, so the budget is capped there (a budget is an upper bound anyway).
      config = {{"thinkingBudget", std::min<int64_t>(budget.get<int64_t>(), kMaxThinkingBudget)},
                {"includeThoughts", true}};
    } else if (type == "adaptive") {
      // The model decides how long to think: Gemini's dynamic budget.
      config = {{"thinkingBudget", -1}, {"includeThoughts", true}};
    } else if (type == "disabled") {
      config = {{"thinkingBudget", 0}};
    } else {
      fail("thinking.type", "must be 'enabled', 'disabled' or 'adaptive'");
    }
    if (auto display = optionalString(thinking, "display", "thinking");
        display && *display == "omitted" && config.contains("includeThoughts")) {
      config["includeThoughts"] = false;
    }
    generationConfig["thinkingConfig"] = std::move(config);
  }

  RequestKind kind_;
  std::map<std::string, std::string> toolNames_;  // tool_use id -> function name
  Json dropped_ = Json::array();
};

}  // namespace

TranslatedRequest translateRequest(const Json& body, RequestKind kind) {
  return Translator(kind).run(body);
}

}  // namespace llmp::plugins::anthropic
