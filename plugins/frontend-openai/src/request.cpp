#include "request.hpp"

#include <llmp/host.h>
#include <llmp/cpp/gemini_schema.hpp>

#include <cmath>
#include <map>

#include "errors.hpp"
#include "media.hpp"

namespace llmp::plugins::frontend_openai {
namespace {

// A member that is present and not null (OpenAI treats null as "not given").
const Json* field(const Json& object, const char* key) {
  if (!object.is_object()) {
    return nullptr;
  }
  auto it = object.find(key);
  if (it == object.end() || it->is_null()) {
    return nullptr;
  }
  return &*it;
}

std::string typeName(const Json& v) {
  switch (v.type()) {
    case Json::value_t::string: return "a string";
    case Json::value_t::boolean: return "a boolean";
    case Json::value_t::number_integer:
    case Json::value_t::number_unsigned: return "an integer";
    case Json::value_t::number_float: return "a decimal";
    case Json::value_t::array: return "an array";
    case Json::value_t::object: return "an object";
    default: return "null";
  }
}

[[noreturn]] void wrongType(const std::string& param, const char* expected, const Json& got) {
  throw RequestError(param, "Invalid type for '" + param + "': expected " + expected +
                                ", but got " + typeName(got) + " instead.",
                     "invalid_type");
}

bool isInteger(const Json& v) {
  if (v.is_number_integer() || v.is_number_unsigned()) {
    return true;
  }
  if (v.is_number_float()) {
    double d = v.get<double>();
    return std::isfinite(d) && std::floor(d) == d && std::fabs(d) < 9.0e15;
  }
  return false;
}

double numberAt(const Json& v, const std::string& param) {
  if (!v.is_number()) {
    wrongType(param, "a decimal", v);
  }
  return v.get<double>();
}

int64_t integerAt(const Json& v, const std::string& param, int64_t min, int64_t max) {
  if (!isInteger(v)) {
    wrongType(param, "an integer", v);
  }
  int64_t value = v.is_number_float() ? static_cast<int64_t>(v.get<double>())
                                      : v.get<int64_t>();
  if (v.is_number_unsigned() && v.get<uint64_t>() > static_cast<uint64_t>(INT64_MAX)) {
    value = INT64_MAX;
  }
  if (value < min || value > max) {
    throw RequestError(param, "Invalid '" + param + "': " + std::to_string(value) +
                                  " is out of range (" + std::to_string(min) + " to " +
                                  std::to_string(max) + ").",
                       "invalid_value");
  }
  return value;
}

bool boolAt(const Json& v, const std::string& param) {
  if (!v.is_boolean()) {
    wrongType(param, "a boolean", v);
  }
  return v.get<bool>();
}

const std::string& stringAt(const Json& v, const std::string& param) {
  if (!v.is_string()) {
    wrongType(param, "a string", v);
  }
  return v.get_ref<const std::string&>();
}

const Json& objectAt(const Json& v, const std::string& param) {
  if (!v.is_object()) {
    wrongType(param, "an object", v);
  }
  return v;
}

const Json& arrayAt(const Json& v, const std::string& param) {
  if (!v.is_array()) {
    wrongType(param, "an array", v);
  }
  return v;
}

std::string at(const std::string& base, size_t index) {
  return base + "[" + std::to_string(index) + "]";
}

// Text of a system/developer/tool message: a string or an array of text parts.
std::string textContent(const Json& content, const std::string& param, const char* joiner) {
  if (content.is_string()) {
    return content.get<std::string>();
  }
  if (!content.is_array()) {
    wrongType(param, "a string or an array of content parts", content);
  }
  std::string out;
  bool first = true;
  for (size_t i = 0; i < content.size(); ++i) {
    const Json& part = objectAt(content[i], at(param, i));
    const Json* type = field(part, "type");
    std::string typeValue = type ? stringAt(*type, at(param, i) + ".type") : "text";
    if (typeValue != "text") {
      throw RequestError(at(param, i) + ".type",
                         "Invalid content part type '" + typeValue +
                             "': only 'text' is supported here.",
                         "invalid_value");
    }
    const Json* text = field(part, "text");
    if (text == nullptr) {
      throw RequestError(at(param, i) + ".text", "Missing required parameter: '" +
                                                     at(param, i) + ".text'.",
                         "missing_required_parameter");
    }
    if (!first) {
      out += joiner;
    }
    out += stringAt(*text, at(param, i) + ".text");
    first = false;
  }
  return out;
}

Json mediaPart(const std::string& url, const std::string& defaultMime, const std::string& param) {
  if (std::optional<DataUri> data = parseDataUri(url)) {
    std::string mime = data->mimeType.empty() ? defaultMime : data->mimeType;
    return Json{{"inlineData", {{"mimeType", mime}, {"data", data->base64}}}};
  }
  if (url.rfind("data:", 0) == 0) {
    throw RequestError(param, "Invalid data URI in '" + param +
                                  "': expected data:<mime type>;base64,<data>.",
                       "invalid_value");
  }
  if (isHttpUrl(url) || url.rfind("gs://", 0) == 0) {
    std::string mime = mimeFromName(url);
    return Json{{"fileData", {{"mimeType", mime.empty() ? defaultMime : mime}, {"fileUri", url}}}};
  }
  throw RequestError(param, "Invalid URL in '" + param +
                                "': expected an http(s) URL or a base64 data URI.",
                     "invalid_value");
}

Json userPart(const Json& part, const std::string& param) {
  objectAt(part, param);
  const Json* type = field(part, "type");
  if (type == nullptr) {
    throw RequestError(param + ".type", "Missing required parameter: '" + param + ".type'.",
                       "missing_required_parameter");
  }
  const std::string& kind = stringAt(*type, param + ".type");
  if (kind == "text") {
    const Json* text = field(part, "text");
    if (text == nullptr) {
      throw RequestError(param + ".text", "Missing required parameter: '" + param + ".text'.",
                         "missing_required_parameter");
    }
    return Json{{"text", stringAt(*text, param + ".text")}};
  }
  if (kind == "image_url") {
    const Json* image = field(part, "image_url");
    const Json* url = nullptr;
    if (image != nullptr && image->is_string()) {
      url = image;  // some clients send the URL directly
    } else if (image != nullptr) {
      url = field(objectAt(*image, param + ".image_url"), "url");
    }
    if (url == nullptr) {
      throw RequestError(param + ".image_url.url",
                         "Missing required parameter: '" + param + ".image_url.url'.",
                         "missing_required_parameter");
    }
    return mediaPart(stringAt(*url, param + ".image_url.url"), "image/jpeg",
                     param + ".image_url.url");
  }
  if (kind == "input_audio") {
    const Json* audio = field(part, "input_audio");
    if (audio == nullptr) {
      throw RequestError(param + ".input_audio",
                         "Missing required parameter: '" + param + ".input_audio'.",
                         "missing_required_parameter");
    }
    objectAt(*audio, param + ".input_audio");
    const Json* data = field(*audio, "data");
    if (data == nullptr) {
      throw RequestError(param + ".input_audio.data",
                         "Missing required parameter: '" + param + ".input_audio.data'.",
                         "missing_required_parameter");
    }
    const Json* format = field(*audio, "format");
    std::string fmt = format ? stringAt(*format, param + ".input_audio.format") : "wav";
    const std::string& payload = stringAt(*data, param + ".input_audio.data");
    if (std::optional<DataUri> uri = parseDataUri(payload)) {
      return Json{{"inlineData",
                   {{"mimeType", uri->mimeType.empty() ? "audio/" + fmt : uri->mimeType},
                    {"data", uri->base64}}}};
    }
    return Json{{"inlineData", {{"mimeType", "audio/" + fmt}, {"data", payload}}}};
  }
  if (kind == "file") {
    const Json* file = field(part, "file");
    if (file == nullptr) {
      throw RequestError(param + ".file", "Missing required parameter: '" + param + ".file'.",
                         "missing_required_parameter");
    }
    objectAt(*file, param + ".file");
    const Json* name = field(*file, "filename");
    std::string guessed =
        name ? mimeFromName(stringAt(*name, param + ".file.filename")) : std::string();
    if (const Json* data = field(*file, "file_data")) {
      const std::string& payload = stringAt(*data, param + ".file.file_data");
      if (payload.rfind("data:", 0) == 0) {
        return mediaPart(payload, guessed.empty() ? "application/pdf" : guessed,
                         param + ".file.file_data");
      }
      return Json{{"inlineData",
                   {{"mimeType", guessed.empty() ? "application/pdf" : guessed},
                    {"data", payload}}}};
    }
    if (const Json* id = field(*file, "file_id")) {
      const std::string& fileId = stringAt(*id, param + ".file.file_id");
      if (isHttpUrl(fileId) || fileId.rfind("files/", 0) == 0 || fileId.rfind("gs://", 0) == 0) {
        std::string mime = guessed.empty() ? mimeFromName(fileId) : guessed;
        return Json{{"fileData",
                     {{"mimeType", mime.empty() ? "application/octet-stream" : mime},
                      {"fileUri", fileId}}}};
      }
      throw RequestError(param + ".file.file_id",
                         "OpenAI file ids are not supported by this proxy: send the file as "
                         "file_data (a base64 data URI) or give a Gemini Files API name "
                         "(files/...) or URL.",
                         "unsupported_value");
    }
    throw RequestError(param + ".file.file_data",
                       "Missing required parameter: '" + param + ".file.file_data'.",
                       "missing_required_parameter");
  }
  throw RequestError(param + ".type",
                     "Invalid content part type '" + kind +
                         "': expected one of 'text', 'image_url', 'input_audio', 'file'.",
                     "invalid_value");
}

Json parseArguments(const Json& arguments, const std::string& param) {
  if (arguments.is_object()) {
    return arguments;  // lenient: some clients send an object instead of a string
  }
  const std::string& text = stringAt(arguments, param);
  if (text.find_first_not_of(" \t\r\n") == std::string::npos) {
    return Json::object();
  }
  std::string error;
  std::optional<Json> parsed = parseJson(text, &error);
  if (!parsed) {
    throw RequestError(param, "Invalid '" + param + "': the arguments are not valid JSON (" +
                                  error + ").",
                       "invalid_value");
  }
  if (!parsed->is_object()) {
    return Json{{"value", *parsed}};  // Gemini's args are a Struct
  }
  return *parsed;
}

std::optional<std::string> signatureFromExtra(const Json& call) {
  const Json* extra = field(call, "extra_content");
  const Json* google = extra ? field(*extra, "google") : nullptr;
  const Json* sig = google ? field(*google, "thought_signature") : nullptr;
  if (sig != nullptr && sig->is_string() && !sig->get<std::string>().empty()) {
    return sig->get<std::string>();
  }
  return std::nullopt;
}

class ContentsBuilder {
 public:
  void add(const char* role, Json parts) {
    if (parts.empty()) {
      return;
    }
    if (!contents_.empty() && contents_.back()["role"] == role) {
      for (Json& p : parts) {
        contents_.back()["parts"].push_back(std::move(p));
      }
      return;
    }
    contents_.push_back(Json{{"role", role}, {"parts", std::move(parts)}});
  }
  Json take() { return std::move(contents_); }

 private:
  Json contents_ = Json::array();
};

struct MessageTranslator {
  Services& services;
  ContentsBuilder contents;
  std::vector<std::string> system;
  std::map<std::string, std::string> toolNames;  // tool_call_id -> function name

  void translate(const Json& messages) {
    for (size_t i = 0; i < messages.size(); ++i) {
      translateOne(messages[i], at("messages", i));
    }
  }

  void translateOne(const Json& message, const std::string& param) {
    objectAt(message, param);
    const Json* roleValue = field(message, "role");
    if (roleValue == nullptr) {
      throw RequestError(param + ".role", "Missing required parameter: '" + param + ".role'.",
                         "missing_required_parameter");
    }
    const std::string& role = stringAt(*roleValue, param + ".role");
    const Json* content = field(message, "content");
    if (role == "system" || role == "developer") {
      if (content == nullptr) {
        throw RequestError(param + ".content",
                           "Missing required parameter: '" + param + ".content'.",
                           "missing_required_parameter");
      }
      std::string text = textContent(*content, param + ".content", "\n");
      if (!text.empty()) {
        system.push_back(std::move(text));
      }
    } else if (role == "user") {
      if (content == nullptr) {
        throw RequestError(param + ".content",
                           "Missing required parameter: '" + param + ".content'.",
                           "missing_required_parameter");
      }
      Json parts = Json::array();
      if (content->is_string()) {
        if (!content->get<std::string>().empty()) {
          parts.push_back(Json{{"text", *content}});
        }
      } else if (content->is_array()) {
        for (size_t j = 0; j < content->size(); ++j) {
          Json part = userPart((*content)[j], at(param + ".content", j));
          if (!(part.contains("text") && part["text"].get<std::string>().empty())) {
            parts.push_back(std::move(part));
          }
        }
      } else {
        wrongType(param + ".content", "a string or an array of content parts", *content);
      }
      contents.add("user", std::move(parts));
    } else if (role == "assistant") {
      translateAssistant(message, content, param);
    } else if (role == "tool") {
      translateTool(message, content, param);
    } else if (role == "function") {
      const Json* name = field(message, "name");
      if (name == nullptr) {
        throw RequestError(param + ".name", "Missing required parameter: '" + param + ".name'.",
                           "missing_required_parameter");
      }
      std::string text = content ? textContent(*content, param + ".content", "") : "";
      contents.add("user", Json::array({Json{{"functionResponse",
                                              {{"name", stringAt(*name, param + ".name")},
                                               {"response", toolResponse(text)}}}}}));
    } else {
      throw RequestError(param + ".role",
                         "Invalid value for '" + param + ".role': '" + role +
                             "'. Supported values are: 'system', 'developer', 'user', "
                             "'assistant', 'tool' and 'function'.",
                         "invalid_value");
    }
  }

  void translateAssistant(const Json& message, const Json* content, const std::string& param) {
    Json parts = Json::array();
    if (content != nullptr) {
      if (content->is_string()) {
        if (!content->get<std::string>().empty()) {
          parts.push_back(Json{{"text", *content}});
        }
      } else if (content->is_array()) {
        for (size_t j = 0; j < content->size(); ++j) {
          std::string p = at(param + ".content", j);
          const Json& part = objectAt((*content)[j], p);
          const Json* type = field(part, "type");
          std::string kind = type ? stringAt(*type, p + ".type") : "text";
          if (kind == "text") {
            const Json* text = field(part, "text");
            if (text != nullptr && !stringAt(*text, p + ".text").empty()) {
              parts.push_back(Json{{"text", *text}});
            }
          } else if (kind != "refusal") {
            throw RequestError(p + ".type",
                               "Invalid content part type '" + kind +
                                   "' for an assistant message: expected 'text' or 'refusal'.",
                               "invalid_value");
          }
        }
      } else {
        wrongType(param + ".content", "a string or an array of content parts", *content);
      }
    }
    if (const Json* calls = field(message, "tool_calls")) {
      arrayAt(*calls, param + ".tool_calls");
      for (size_t j = 0; j < calls->size(); ++j) {
        parts.push_back(toolCallPart((*calls)[j], at(param + ".tool_calls", j)));
      }
    }
    if (const Json* legacy = field(message, "function_call")) {
      std::string p = param + ".function_call";
      objectAt(*legacy, p);
      const Json* name = field(*legacy, "name");
      if (name == nullptr) {
        throw RequestError(p + ".name", "Missing required parameter: '" + p + ".name'.",
                           "missing_required_parameter");
      }
      const Json* args = field(*legacy, "arguments");
      parts.push_back(Json{{"functionCall",
                            {{"name", stringAt(*name, p + ".name")},
                             {"args", args ? parseArguments(*args, p + ".arguments")
                                           : Json::object()}}}});
    }
    contents.add("model", std::move(parts));
  }

  Json toolCallPart(const Json& call, const std::string& param) {
    objectAt(call, param);
    const Json* fn = field(call, "function");
    if (fn == nullptr) {
      throw RequestError(param + ".function",
                         "Missing required parameter: '" + param + ".function'.",
                         "missing_required_parameter");
    }
    objectAt(*fn, param + ".function");
    const Json* name = field(*fn, "name");
    if (name == nullptr) {
      throw RequestError(param + ".function.name",
                         "Missing required parameter: '" + param + ".function.name'.",
                         "missing_required_parameter");
    }
    const std::string& fnName = stringAt(*name, param + ".function.name");
    const Json* args = field(*fn, "arguments");
    Json functionCall = {{"name", fnName},
                         {"args", args ? parseArguments(*args, param + ".function.arguments")
                                       : Json::object()}};
    Json part = Json::object();
    std::optional<std::string> signature = signatureFromExtra(call);
    if (const Json* id = field(call, "id")) {
      const std::string& callId = stringAt(*id, param + ".id");
      functionCall["id"] = callId;
      toolNames[callId] = fnName;
      if (!signature) {
        signature = services.kvGet(signatureKey(callId));
      }
    }
    part["functionCall"] = std::move(functionCall);
    if (signature) {
      part["thoughtSignature"] = *signature;
    }
    return part;
  }

  static Json toolResponse(const std::string& text) {
    std::optional<Json> parsed = parseJson(text);
    if (parsed && parsed->is_object()) {
      return *parsed;
    }
    return Json{{"result", text}};
  }

  void translateTool(const Json& message, const Json* content, const std::string& param) {
    const Json* id = field(message, "tool_call_id");
    if (id == nullptr) {
      throw RequestError(param + ".tool_call_id",
                         "Missing required parameter: '" + param + ".tool_call_id'.",
                         "missing_required_parameter");
    }
    const std::string& callId = stringAt(*id, param + ".tool_call_id");
    std::string name;
    if (auto it = toolNames.find(callId); it != toolNames.end()) {
      name = it->second;
    } else if (const Json* n = field(message, "name"); n != nullptr && n->is_string()) {
      name = n->get<std::string>();
    } else {
      throw RequestError(param + ".tool_call_id",
                         "Invalid '" + param + ".tool_call_id': '" + callId +
                             "' does not match the id of any tool call in an earlier assistant "
                             "message.",
                         "invalid_value");
    }
    std::string text = content ? textContent(*content, param + ".content", "") : "";
    contents.add("user", Json::array({Json{{"functionResponse",
                                            {{"id", callId},
                                             {"name", name},
                                             {"response", toolResponse(text)}}}}}));
  }
};

// Gemini 3 rejects a model turn whose first function call carries no signature; when the client
// lost it (and the kv store does not have it), the documented sentinel keeps the request valid.
void ensureFirstCallSigned(Json& contents) {
  for (Json& content : contents) {
    if (content["role"] != "model") {
      continue;
    }
    for (Json& part : content["parts"]) {
      if (part.contains("functionCall")) {
        if (!part.contains("thoughtSignature")) {
          part["thoughtSignature"] = kSkipSignature;
        }
        break;
      }
    }
  }
}

Json functionDeclaration(const Json& fn, const std::string& param) {
  objectAt(fn, param);
  const Json* name = field(fn, "name");
  if (name == nullptr) {
    throw RequestError(param + ".name", "Missing required parameter: '" + param + ".name'.",
                       "missing_required_parameter");
  }
  Json decl = {{"name", stringAt(*name, param + ".name")}};
  if (const Json* description = field(fn, "description")) {
    decl["description"] = stringAt(*description, param + ".description");
  }
  if (const Json* parameters = field(fn, "parameters")) {
    Json schema = sanitizeSchemaForGemini(objectAt(*parameters, param + ".parameters"));
    // Gemini refuses an OBJECT parameter schema without properties; no schema means "no args".
    if (schema.contains("properties") || schema.contains("anyOf")) {
      decl["parameters"] = std::move(schema);
    }
  }
  return decl;
}

Json translateTools(const Json& tools, const char* param, bool legacy) {
  Json declarations = Json::array();
  for (size_t i = 0; i < tools.size(); ++i) {
    std::string p = at(param, i);
    const Json& tool = objectAt(tools[i], p);
    if (legacy) {
      declarations.push_back(functionDeclaration(tool, p));
      continue;
    }
    const Json* type = field(tool, "type");
    std::string kind = type ? stringAt(*type, p + ".type") : "function";
    if (kind != "function") {
      throw RequestError(p + ".type",
                         "Invalid tool type '" + kind + "': only 'function' tools are supported.",
                         "invalid_value");
    }
    const Json* fn = field(tool, "function");
    if (fn == nullptr) {
      throw RequestError(p + ".function", "Missing required parameter: '" + p + ".function'.",
                         "missing_required_parameter");
    }
    declarations.push_back(functionDeclaration(*fn, p + ".function"));
  }
  return declarations;
}

Json translateToolChoice(const Json& choice, const char* param) {
  if (choice.is_string()) {
    const std::string& mode = choice.get_ref<const std::string&>();
    if (mode == "none") return Json{{"mode", "NONE"}};
    if (mode == "auto") return Json{{"mode", "AUTO"}};
    if (mode == "required" || mode == "any") return Json{{"mode", "ANY"}};
    throw RequestError(param, "Invalid value for '" + std::string(param) + "': '" + mode +
                                  "'. Supported values are: 'none', 'auto' and 'required'.",
                       "invalid_value");
  }
  if (!choice.is_object()) {
    wrongType(param, "a string or an object", choice);
  }
  const Json* fn = field(choice, "function");
  const Json* name = fn && fn->is_object() ? field(*fn, "name") : field(choice, "name");
  if (name == nullptr) {
    throw RequestError(std::string(param) + ".function.name",
                       "Missing required parameter: '" + std::string(param) + ".function.name'.",
                       "missing_required_parameter");
  }
  return Json{{"mode", "ANY"},
              {"allowedFunctionNames",
               Json::array({stringAt(*name, std::string(param) + ".function.name")})}};
}

// reasoning_effort -> thinking budget (docs/ir.md).
void applyReasoningEffort(const std::string& effort, Json& thinking) {
  static const std::map<std::string, int> kBudgets = {
      {"none", 0},      {"minimal", 0},    {"low", 1024}, {"medium", 8192},
      {"high", 24576},  {"xhigh", 32768},  {"max", 32768}};
  auto it = kBudgets.find(effort);
  if (it == kBudgets.end()) {
    throw RequestError("reasoning_effort",
                       "Invalid value for 'reasoning_effort': '" + effort +
                           "'. Supported values are: 'none', 'minimal', 'low', 'medium', 'high', "
                           "'xhigh' and 'max'.",
                       "invalid_value");
  }
  thinking["thinkingBudget"] = it->second;
  thinking["includeThoughts"] = it->second > 0;
}

// Gemini-style thinking knobs: {thinking_budget|thinkingBudget, include_thoughts|includeThoughts,
// thinking_level|thinkingLevel}.
void applyThinkingKnobs(const Json& source, const std::string& param, Json& thinking) {
  for (const char* key : {"thinking_budget", "thinkingBudget"}) {
    if (const Json* v = field(source, key)) {
      thinking["thinkingBudget"] = integerAt(*v, param + key, -1, 1000000);
    }
  }
  for (const char* key : {"include_thoughts", "includeThoughts"}) {
    if (const Json* v = field(source, key)) {
      thinking["includeThoughts"] = boolAt(*v, param + key);
    }
  }
  for (const char* key : {"thinking_level", "thinkingLevel"}) {
    if (const Json* v = field(source, key)) {
      thinking["thinkingLevel"] = stringAt(*v, param + key);
    }
  }
}

}  // namespace

TranslatedRequest translateRequest(const Json& body, Services& services) {
  if (!body.is_object()) {
    throw RequestError("", "The request body must be a JSON object.", "invalid_type");
  }
  TranslatedRequest out;
  const Json* model = field(body, "model");
  if (model == nullptr) {
    throw RequestError("model", "Missing required parameter: 'model'.",
                       "missing_required_parameter");
  }
  out.model = stringAt(*model, "model");
  if (out.model.empty()) {
    throw RequestError("model", "Invalid 'model': the model name must not be empty.",
                       "invalid_value");
  }
  const Json* messages = field(body, "messages");
  if (messages == nullptr) {
    throw RequestError("messages", "Missing required parameter: 'messages'.",
                       "missing_required_parameter");
  }
  arrayAt(*messages, "messages");
  if (messages->empty()) {
    throw RequestError("messages",
                       "Invalid 'messages': empty array. Expected an array with minimum length 1.",
                       "empty_array");
  }
  const Json* extraBody = field(body, "extra_body");
  if (extraBody != nullptr) {
    objectAt(*extraBody, "extra_body");
  }
  // Gemini extension fields may sit at the top level or inside a literal "extra_body".
  auto extension = [&](const char* key, std::string* param) -> const Json* {
    if (const Json* v = field(body, key)) {
      *param = key;
      return v;
    }
    if (extraBody != nullptr) {
      if (const Json* v = field(*extraBody, key)) {
        *param = std::string("extra_body.") + key;
        return v;
      }
    }
    return nullptr;
  };

  if (const Json* v = field(body, "stream")) {
    out.stream = boolAt(*v, "stream");
  }
  if (const Json* v = field(body, "stream_options")) {
    objectAt(*v, "stream_options");
    if (const Json* usage = field(*v, "include_usage")) {
      out.includeUsage = boolAt(*usage, "stream_options.include_usage");
    }
  }

  MessageTranslator translator{services, {}, {}, {}};
  translator.translate(*messages);
  Json contents = translator.contents.take();
  ensureFirstCallSigned(contents);

  Json& ir = out.ir;
  ir = Json::object();
  ir["contents"] = std::move(contents);
  if (!translator.system.empty()) {
    std::string joined;
    for (size_t i = 0; i < translator.system.size(); ++i) {
      joined += (i ? "\n\n" : "") + translator.system[i];
    }
    ir["systemInstruction"] = Json{{"parts", Json::array({Json{{"text", joined}}})}};
  }

  // Tools and tool choice (current and legacy "functions" forms).
  Json declarations = Json::array();
  if (const Json* tools = field(body, "tools")) {
    declarations = translateTools(arrayAt(*tools, "tools"), "tools", false);
  }
  if (const Json* functions = field(body, "functions")) {
    Json legacy = translateTools(arrayAt(*functions, "functions"), "functions", true);
    for (Json& d : legacy) {
      declarations.push_back(std::move(d));
    }
  }
  if (!declarations.empty()) {
    ir["tools"] = Json::array({Json{{"functionDeclarations", std::move(declarations)}}});
  }
  if (const Json* choice = field(body, "tool_choice")) {
    ir["toolConfig"] = Json{{"functionCallingConfig", translateToolChoice(*choice, "tool_choice")}};
  } else if (const Json* legacyChoice = field(body, "function_call")) {
    ir["toolConfig"] =
        Json{{"functionCallingConfig", translateToolChoice(*legacyChoice, "function_call")}};
  }

  // Generation parameters.
  Json gen = Json::object();
  if (const Json* v = field(body, "temperature")) {
    gen["temperature"] = numberAt(*v, "temperature");
  }
  if (const Json* v = field(body, "top_p")) {
    gen["topP"] = numberAt(*v, "top_p");
  }
  if (const Json* v = field(body, "top_k")) {
    gen["topK"] = integerAt(*v, "top_k", kTopKRange.min, kTopKRange.max);
  }
  if (const Json* v = field(body, "max_tokens")) {
    gen["maxOutputTokens"] = integerAt(*v, "max_tokens", kMaxTokensRange.min, kMaxTokensRange.max);
  }
  if (const Json* v = field(body, "max_completion_tokens")) {
    gen["maxOutputTokens"] =
        integerAt(*v, "max_completion_tokens", kMaxTokensRange.min, kMaxTokensRange.max);
  }
  if (const Json* v = field(body, "stop")) {
    Json stops = Json::array();
    if (v->is_string()) {
      stops.push_back(*v);
    } else if (v->is_array()) {
      for (size_t i = 0; i < v->size(); ++i) {
        stops.push_back(stringAt((*v)[i], at("stop", i)));
      }
    } else {
      wrongType("stop", "a string or an array of strings", *v);
    }
    if (!stops.empty()) {
      gen["stopSequences"] = std::move(stops);
    }
  }
  if (const Json* v = field(body, "n")) {
    gen["candidateCount"] = integerAt(*v, "n", kCandidateCountRange.min, kCandidateCountRange.max);
  }
  if (const Json* v = field(body, "seed")) {
    gen["seed"] = integerAt(*v, "seed", kSeedRange.min, kSeedRange.max);
  }
  if (const Json* v = field(body, "presence_penalty")) {
    gen["presencePenalty"] = numberAt(*v, "presence_penalty");
  }
  if (const Json* v = field(body, "frequency_penalty")) {
    gen["frequencyPenalty"] = numberAt(*v, "frequency_penalty");
  }
  if (const Json* v = field(body, "logprobs")) {
    out.logprobs = boolAt(*v, "logprobs");
    if (out.logprobs) {
      gen["responseLogprobs"] = true;
    }
  }
  if (const Json* v = field(body, "top_logprobs")) {
    int64_t top = integerAt(*v, "top_logprobs", 0, 20);
    if (out.logprobs) {
      gen["logprobs"] = top;
    }
  }
  if (const Json* v = field(body, "response_format")) {
    objectAt(*v, "response_format");
    const Json* type = field(*v, "type");
    if (type == nullptr) {
      throw RequestError("response_format.type",
                         "Missing required parameter: 'response_format.type'.",
                         "missing_required_parameter");
    }
    const std::string& kind = stringAt(*type, "response_format.type");
    if (kind == "json_object") {
      gen["responseMimeType"] = "application/json";
    } else if (kind == "json_schema") {
      gen["responseMimeType"] = "application/json";
      const Json* spec = field(*v, "json_schema");
      if (spec == nullptr) {
        throw RequestError("response_format.json_schema",
                           "Missing required parameter: 'response_format.json_schema'.",
                           "missing_required_parameter");
      }
      objectAt(*spec, "response_format.json_schema");
      if (const Json* schema = field(*spec, "schema")) {
        gen["responseSchema"] =
            sanitizeSchemaForGemini(objectAt(*schema, "response_format.json_schema.schema"));
      }
    } else if (kind != "text") {
      throw RequestError("response_format.type",
                         "Invalid value for 'response_format.type': '" + kind +
                             "'. Supported values are: 'text', 'json_object' and 'json_schema'.",
                         "invalid_value");
    }
  }

  // Thinking: reasoning_effort, then explicit Gemini knobs (top level, extra_body, google).
  Json thinking = Json::object();
  if (const Json* v = field(body, "reasoning_effort")) {
    applyReasoningEffort(stringAt(*v, "reasoning_effort"), thinking);
  }
  applyThinkingKnobs(body, "", thinking);
  if (extraBody != nullptr) {
    applyThinkingKnobs(*extraBody, "extra_body.", thinking);
  }
  std::vector<std::pair<const Json*, std::string>> googleBlocks;
  if (const Json* g = field(body, "google")) {
    googleBlocks.emplace_back(&objectAt(*g, "google"), "google");
  }
  if (extraBody != nullptr) {
    if (const Json* g = field(*extraBody, "google")) {
      googleBlocks.emplace_back(&objectAt(*g, "extra_body.google"), "extra_body.google");
    }
  }
  std::string safetyParam;
  const Json* safety = extension("gemini_safety_settings", &safetyParam);
  std::string cachedParam;
  const Json* cached = extension("gemini_cached_content", &cachedParam);
  for (const auto& [google, param] : googleBlocks) {
    for (const char* key : {"thinking_config", "thinkingConfig"}) {
      if (const Json* tc = field(*google, key)) {
        applyThinkingKnobs(objectAt(*tc, param + "." + key), param + "." + key + ".", thinking);
      }
    }
    for (const char* key : {"safety_settings", "safetySettings"}) {
      if (const Json* s = field(*google, key); s != nullptr && safety == nullptr) {
        safety = s;
        safetyParam = param + "." + key;
      }
    }
    for (const char* key : {"cached_content", "cachedContent"}) {
      if (const Json* c = field(*google, key); c != nullptr && cached == nullptr) {
        cached = c;
        cachedParam = param + "." + key;
      }
    }
  }
  if (!thinking.empty()) {
    gen["thinkingConfig"] = std::move(thinking);
  }
  if (!gen.empty()) {
    ir["generationConfig"] = std::move(gen);
  }
  if (safety != nullptr) {
    const Json& settings = arrayAt(*safety, safetyParam);
    for (size_t i = 0; i < settings.size(); ++i) {
      objectAt(settings[i], at(safetyParam, i));
    }
    ir["safetySettings"] = settings;
  }
  if (cached != nullptr) {
    ir["cachedContent"] = stringAt(*cached, cachedParam);
  }

  for (const char* key : {"logit_bias", "user"}) {
    if (field(body, key) != nullptr) {
      out.dropped.emplace_back(key);
      services.log(LLMP_LOG_WARN, std::string("frontend-openai: ignoring '") + key +
                                      "': Gemini has no equivalent");
    }
  }
  if (!out.dropped.empty()) {
    ir["llmpDroppedFields"] = out.dropped;
  }
  return out;
}

}  // namespace llmp::plugins::frontend_openai
