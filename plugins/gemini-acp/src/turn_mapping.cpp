#include "turn_mapping.hpp"

#include <llmp/cpp/google_errors.hpp>

#include <cstdio>

namespace llmp::plugins::gemini_acp {
namespace {

std::string stringField(const Json& object, const char* key) {
  if (object.is_object()) {
    auto it = object.find(key);
    if (it != object.end() && it->is_string()) {
      return it->get<std::string>();
    }
  }
  return {};
}

bool startsWith(const std::string& s, const char* prefix) {
  return s.rfind(prefix, 0) == 0;
}

bool isTextualMime(const std::string& mime) {
  return startsWith(mime, "text/") || mime == "application/json" || mime == "application/xml" ||
         mime == "application/javascript" || mime == "application/x-yaml" ||
         mime == "application/yaml";
}

// Decodes standard or URL-safe base64; stops at the first character outside the alphabet.
std::string decodeBase64(const std::string& in) {
  auto value = [](char c) -> int {
    if (c >= 'A' && c <= 'Z') return c - 'A';
    if (c >= 'a' && c <= 'z') return c - 'a' + 26;
    if (c >= '0' && c <= '9') return c - '0' + 52;
    if (c == '+' || c == '-') return 62;
    if (c == '/' || c == '_') return 63;
    return -1;
  };
  std::string out;
  out.reserve(in.size() * 3 / 4);
  uint32_t buffer = 0;
  int bits = 0;
  for (char c : in) {
    if (c == '\n' || c == '\r' || c == ' ') {
      continue;
    }
    int v = value(c);
    if (v < 0) {
      break;
    }
    buffer = (buffer << 6) | static_cast<uint32_t>(v);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out.push_back(static_cast<char>((buffer >> bits) & 0xFF));
    }
  }
  return out;
}

Json blockForPart(const Json& part, int index) {
  if (!part.is_object() || part.value("thought", false)) {
    return nullptr;
  }
  if (part.contains("text") && part["text"].is_string()) {
    return {{"type", "text"}, {"text", part["text"]}};
  }
  if (part.contains("inlineData") && part["inlineData"].is_object()) {
    const Json& inlineData = part["inlineData"];
    std::string mime = stringField(inlineData, "mimeType");
    std::string data = stringField(inlineData, "data");
    if (startsWith(mime, "image/")) {
      return {{"type", "image"}, {"mimeType", mime}, {"data", data}};
    }
    if (startsWith(mime, "audio/")) {
      return {{"type", "audio"}, {"mimeType", mime}, {"data", data}};
    }
    std::string name = stringField(inlineData, "displayName");
    std::string uri = "attachment:///" + (name.empty() ? "part-" + std::to_string(index) : name);
    Json resource = {{"uri", uri}};
    if (!mime.empty()) {
      resource["mimeType"] = mime;
    }
    if (isTextualMime(mime)) {
      resource["text"] = decodeBase64(data);
    } else {
      resource["blob"] = data;
    }
    return {{"type", "resource"}, {"resource", resource}};
  }
  if (part.contains("fileData") && part["fileData"].is_object()) {
    const Json& fileData = part["fileData"];
    std::string uri = stringField(fileData, "fileUri");
    std::string name = uri.substr(uri.find_last_of('/') == std::string::npos ? 0 : uri.find_last_of('/') + 1);
    Json link = {{"type", "resource_link"}, {"uri", uri}, {"name", name.empty() ? uri : name}};
    std::string mime = stringField(fileData, "mimeType");
    if (!mime.empty()) {
      link["mimeType"] = mime;
    }
    return link;
  }
  if (part.contains("functionResponse") && part["functionResponse"].is_object()) {
    const Json& response = part["functionResponse"];
    return {{"type", "text"},
            {"text", "Result of tool " + stringField(response, "name") + ": " +
                         dumpJson(response.value("response", Json::object()))}};
  }
  if (part.contains("functionCall") && part["functionCall"].is_object()) {
    const Json& call = part["functionCall"];
    return {{"type", "text"},
            {"text", "Call of tool " + stringField(call, "name") + " with " +
                         dumpJson(call.value("args", Json::object()))}};
  }
  return nullptr;
}

// A one-line stand-in for a non-text part inside the replayed transcript.
std::string describePart(const Json& part) {
  if (part.contains("text") && part["text"].is_string()) {
    return part["text"].get<std::string>();
  }
  Json block = blockForPart(part, 0);
  if (block.is_object() && stringField(block, "type") == "text") {
    return stringField(block, "text");
  }
  if (part.contains("inlineData")) {
    return "[attachment: " + stringField(part["inlineData"], "mimeType") + "]";
  }
  if (part.contains("fileData")) {
    return "[file: " + stringField(part["fileData"], "fileUri") + "]";
  }
  return {};
}

std::string textOfParts(const Json& parts) {
  std::string out;
  if (!parts.is_array()) {
    return out;
  }
  for (const Json& part : parts) {
    if (!part.is_object() || part.value("thought", false)) {
      continue;
    }
    std::string piece = describePart(part);
    if (piece.empty()) {
      continue;
    }
    if (!out.empty()) {
      out += "\n";
    }
    out += piece;
  }
  return out;
}

}  // namespace

void validateConversation(const Json& ir) {
  if (!ir.is_object()) {
    throw Error(LLMP_E_INVALID, 400, "request must be a JSON object");
  }
  auto contents = ir.find("contents");
  if (contents == ir.end() || !contents->is_array() || contents->empty()) {
    throw Error(LLMP_E_INVALID, 400, "request has no contents");
  }
  const Json& last = contents->back();
  if (!last.is_object() || last.value("role", std::string("user")) != "user") {
    throw Error(LLMP_E_INVALID, 400,
                "the last message must come from the user (the Gemini CLI agent answers user turns)");
  }
  Json blocks = partsToContentBlocks(last.value("parts", Json::array()));
  if (blocks.empty()) {
    throw Error(LLMP_E_INVALID, 400, "the last user message has no text, image or file content");
  }
}

Json partsToContentBlocks(const Json& parts) {
  Json blocks = Json::array();
  if (!parts.is_array()) {
    return blocks;
  }
  int index = 0;
  for (const Json& part : parts) {
    Json block = blockForPart(part, index++);
    if (!block.is_null()) {
      blocks.push_back(std::move(block));
    }
  }
  return blocks;
}

Json buildPrompt(const Json& ir, bool replay) {
  const Json& contents = ir["contents"];
  Json prompt = Json::array();
  if (replay) {
    std::string transcript;
    if (ir.contains("systemInstruction")) {
      std::string system = textOfParts(ir["systemInstruction"].value("parts", Json::array()));
      if (!system.empty()) {
        transcript += "<system_instructions>\n" + system + "\n</system_instructions>\n\n";
      }
    }
    if (contents.size() > 1) {
      transcript +=
          "<conversation_history>\nThe conversation so far, for context. Continue it by "
          "answering the last message below.\n";
      for (size_t i = 0; i + 1 < contents.size(); ++i) {
        const Json& content = contents[i];
        if (!content.is_object()) {
          continue;
        }
        std::string role = content.value("role", std::string("user"));
        std::string text = textOfParts(content.value("parts", Json::array()));
        transcript += "\n[" + std::string(role == "model" ? "assistant" : "user") + "]\n" + text + "\n";
      }
      transcript += "</conversation_history>\n";
    }
    if (!transcript.empty()) {
      prompt.push_back({{"type", "text"}, {"text", transcript}});
    }
  }
  for (Json& block : partsToContentBlocks(contents.back().value("parts", Json::array()))) {
    prompt.push_back(std::move(block));
  }
  return prompt;
}

std::string digest(const Json& value) {
  std::string text = dumpJson(value);
  uint64_t hash = 14695981039346656037ULL;
  for (unsigned char c : text) {
    hash ^= c;
    hash *= 1099511628211ULL;
  }
  char out[17];
  std::snprintf(out, sizeof out, "%016llx", static_cast<unsigned long long>(hash));
  return out;
}

std::string conversationFingerprint(const Json& ir) {
  for (const Json& content : ir["contents"]) {
    if (content.is_object() && content.value("role", std::string("user")) == "user") {
      return "fp-" + digest(content.value("parts", Json::array()));
    }
  }
  return "fp-" + digest(ir["contents"][0]);
}

std::string normalizeModel(std::string model) {
  for (const char* prefix : {"google/", "models/"}) {
    if (startsWith(model, prefix)) {
      model.erase(0, std::char_traits<char>::length(prefix));
    }
  }
  return model;
}

MappedUpdate UpdateMapper::map(const Json& update) {
  MappedUpdate out;
  std::string kind = stringField(update, "sessionUpdate");
  if (kind == "agent_message_chunk" || kind == "agent_thought_chunk") {
    const Json& content = update.contains("content") ? update["content"] : Json();
    std::string text;
    if (stringField(content, "type") == "text" || content.contains("text")) {
      text = stringField(content, "text");
    } else if (content.is_object()) {
      text = describePart({{"inlineData", content}});
    }
    if (text.empty()) {
      return out;
    }
    out.kind = kind == "agent_message_chunk" ? MappedUpdate::Kind::Text
                                             : MappedUpdate::Kind::Thought;
    out.text = std::move(text);
    return out;
  }
  if (kind == "tool_call" || kind == "tool_call_update") {
    std::string id = stringField(update, "toolCallId");
    std::string title = stringField(update, "title");
    if (!title.empty()) {
      titles_[id] = title;
    } else if (titles_.count(id) != 0) {
      title = titles_[id];
    } else {
      title = id.empty() ? "tool" : id;
    }
    std::string status = stringField(update, "status");
    std::string toolKind = stringField(update, "kind");
    if (kind == "tool_call_update" && status != "completed" && status != "failed") {
      return out;  // intermediate updates carry nothing a client would show
    }
    out.kind = MappedUpdate::Kind::Progress;
    std::string verb = status == "completed" ? "done"
                       : status == "failed"  ? "failed"
                                             : (status.empty() ? "started" : status);
    out.text = "Gemini CLI tool" + (toolKind.empty() ? std::string() : " (" + toolKind + ")") +
               ": " + title + " [" + verb + "]";
    return out;
  }
  return out;
}

std::string finishReasonFor(const std::string& stopReason) {
  if (stopReason == "end_turn" || stopReason.empty()) {
    return "STOP";
  }
  if (stopReason == "max_tokens") {
    return "MAX_TOKENS";
  }
  return "OTHER";  // cancelled, refusal, max_turn_requests
}

Json usageFromPromptResult(const Json& result) {
  if (!result.is_object() || !result.contains("_meta")) {
    return nullptr;
  }
  const Json& meta = result["_meta"];
  if (!meta.is_object() || !meta.contains("quota") || !meta["quota"].is_object()) {
    return nullptr;
  }
  const Json& count = meta["quota"].value("token_count", Json());
  if (!count.is_object()) {
    return nullptr;
  }
  int64_t input = count.value("input_tokens", static_cast<int64_t>(0));
  int64_t output = count.value("output_tokens", static_cast<int64_t>(0));
  return {{"promptTokenCount", input},
          {"candidatesTokenCount", output},
          {"totalTokenCount", input + output}};
}

Json makeChunk(const Json& parts, const std::string& finishReason, const Json& usage) {
  Json candidate = {{"index", 0}, {"content", {{"role", "model"}, {"parts", parts}}}};
  if (!finishReason.empty()) {
    candidate["finishReason"] = finishReason;
  }
  Json chunk = {{"candidates", Json::array({candidate})}};
  if (!usage.is_null()) {
    chunk["usageMetadata"] = usage;
  }
  return chunk;
}

void appendPart(Json& parts, const std::string& text, bool thought) {
  if (!parts.empty()) {
    Json& last = parts.back();
    if (last.value("thought", false) == thought && last.contains("text")) {
      last["text"] = last["text"].get<std::string>() + text;
      return;
    }
  }
  Json part = {{"text", text}};
  if (thought) {
    part["thought"] = true;
  }
  parts.push_back(std::move(part));
}

Error errorFromRpc(const RpcOutcome& outcome, const std::string& what) {
  std::string message = outcome.message.empty() ? "unknown error" : outcome.message;
  if (outcome.code >= 400 && outcome.code <= 599) {
    int32_t status = static_cast<int32_t>(outcome.code);
    std::string body = makeGoogleErrorBody(status, googleStatusForHttp(status), message);
    MappedError mapped = mapGoogleHttpError(status, body, "Gemini CLI");
    return Error(mapped.code, mapped.httpStatus, mapped.message, mapped.body, mapped.retryAfterMs);
  }
  if (outcome.code == -32000) {
    return Error(LLMP_E_AUTH, 401,
                 "Gemini CLI is not authenticated (" + message +
                     "): log in once with `gemini`, or set GEMINI_API_KEY in the backend's env");
  }
  return Error(LLMP_E_UPSTREAM_HTTP, 502,
               "Gemini CLI " + what + " failed (JSON-RPC error " + std::to_string(outcome.code) +
                   "): " + message);
}

}  // namespace llmp::plugins::gemini_acp
