#include "request.hpp"

#include <llmp/cpp/code_assist.hpp>
#include <llmp/cpp/errors.hpp>
#include <llmp/cpp/gemini_schema.hpp>

#include <openssl/sha.h>

#include <random>

namespace llmp::plugins::antigravity {

namespace {

bool isThought(const Json& part) {
  auto t = part.find("thought");
  return t != part.end() && t->is_boolean() && t->get<bool>();
}

std::string signatureOf(const Json& part) {
  auto s = part.find("thoughtSignature");
  return s != part.end() && s->is_string() ? s->get<std::string>() : std::string();
}

std::string firstUserText(const Json& ir) {
  auto contents = ir.find("contents");
  if (contents == ir.end() || !contents->is_array()) {
    return {};
  }
  for (const auto& c : *contents) {
    if (!c.is_object() || c.value("role", "user") != "user") {
      continue;
    }
    auto parts = c.find("parts");
    if (parts == c.end() || !parts->is_array()) {
      continue;
    }
    for (const auto& p : *parts) {
      if (p.is_object() && p.contains("text") && p["text"].is_string() &&
          !p["text"].get_ref<const std::string&>().empty()) {
        return p["text"].get<std::string>();
      }
    }
  }
  return {};
}

// Claude history: signed thinking stays, signatures sit on thinking parts only.
void fixClaudeContents(Json& request, const BodyOptions& options) {
  auto contents = request.find("contents");
  if (contents == request.end() || !contents->is_array()) {
    return;
  }
  for (auto& content : *contents) {
    if (!content.is_object()) {
      continue;
    }
    auto parts = content.find("parts");
    if (parts == content.end() || !parts->is_array()) {
      continue;
    }
    Json fixed = Json::array();
    std::string turnSignature;  // signature of the thinking part in front of the current part
    for (auto& part : *parts) {
      if (!part.is_object()) {
        fixed.push_back(part);
        continue;
      }
      std::string sig = signatureOf(part);
      if (sig == kSkipSignature) {
        sig.clear();
        part.erase("thoughtSignature");
      }
      if (isThought(part)) {
        if (sig.empty()) {
          continue;  // Claude refuses thinking it cannot verify
        }
        turnSignature = sig;
        fixed.push_back(std::move(part));
        continue;
      }
      if (!sig.empty()) {
        part.erase("thoughtSignature");
        if (sig != turnSignature) {
          Json thought = {{"text", ""}, {"thought", true}, {"thoughtSignature", sig}};
          if (options.thinkingFor) {
            if (auto text = options.thinkingFor(sig)) {
              thought["text"] = *text;
            }
          }
          fixed.push_back(std::move(thought));
          turnSignature = sig;
        }
      }
      fixed.push_back(std::move(part));
    }
    *parts = std::move(fixed);
  }
}

void fixClaudeTools(Json& request) {
  auto tools = request.find("tools");
  bool declared = false;
  if (tools != request.end() && tools->is_array()) {
    for (auto& tool : *tools) {
      auto decls = tool.is_object() ? tool.find("functionDeclarations") : tool.end();
      if (!tool.is_object() || decls == tool.end() || !decls->is_array()) {
        continue;
      }
      for (auto& decl : *decls) {
        if (!decl.is_object()) {
          continue;
        }
        declared = true;
        auto schema = decl.find("parametersJsonSchema");
        if (schema != decl.end()) {
          if (!decl.contains("parameters")) {
            decl["parameters"] = sanitizeSchemaForGemini(*schema);
          }
          decl.erase("parametersJsonSchema");
        }
      }
    }
  }
  if (!declared) {
    return;
  }
  Json& fcc = request["toolConfig"]["functionCallingConfig"];
  if (!fcc.is_object()) {
    fcc = Json::object();
  }
  if (fcc.value("mode", std::string()) != "NONE") {
    fcc["mode"] = "VALIDATED";
  }
}

void fixClaudeThinking(Json& request, const BodyOptions& options) {
  Json& gen = request["generationConfig"];
  if (!gen.is_object()) {
    gen = Json::object();
  }
  if (!options.thinkingModel) {
    gen.erase("thinkingConfig");
    if (gen.empty()) {
      request.erase("generationConfig");
    }
    return;
  }
  Json& thinking = gen["thinkingConfig"];
  if (!thinking.is_object()) {
    thinking = Json::object();
  }
  int64_t budget = 0;
  if (auto b = thinking.find("thinkingBudget"); b != thinking.end() && b->is_number()) {
    budget = b->get<int64_t>();
  }
  if (budget <= 0) {
    budget = options.defaultThinkingBudget;
  }
  budget = std::max<int64_t>(budget, 1024);  // Anthropic's minimum
  int64_t maxOut = 0;
  if (auto m = gen.find("maxOutputTokens"); m != gen.end() && m->is_number()) {
    maxOut = m->get<int64_t>();
  }
  if (maxOut <= 0) {
    maxOut = options.maxOutputTokens > 0 ? options.maxOutputTokens : 64000;
  }
  if (budget >= maxOut) {
    // The budget must stay below the output limit: shrink it, or grow the limit when the
    // budget cannot shrink below Anthropic's minimum.
    if (maxOut - 1 >= 1024) {
      budget = maxOut - 1;
    } else {
      maxOut = budget + 1024;
    }
  }
  thinking.erase("thinkingLevel");
  thinking["includeThoughts"] = true;
  thinking["thinkingBudget"] = budget;
  gen["maxOutputTokens"] = maxOut;
}

void clampOutput(Json& request, int64_t limit) {
  if (limit <= 0) {
    return;
  }
  auto gen = request.find("generationConfig");
  if (gen == request.end() || !gen->is_object()) {
    return;
  }
  auto m = gen->find("maxOutputTokens");
  if (m != gen->end() && m->is_number() && m->get<int64_t>() > limit) {
    *m = limit;
  }
}

}  // namespace

bool thinkingRequested(const Json& ir) {
  auto gen = ir.find("generationConfig");
  if (gen == ir.end() || !gen->is_object()) {
    return false;
  }
  auto thinking = gen->find("thinkingConfig");
  if (thinking == gen->end() || !thinking->is_object()) {
    return false;
  }
  if (auto b = thinking->find("thinkingBudget"); b != thinking->end() && b->is_number()) {
    return b->get<int64_t>() != 0;
  }
  if (auto l = thinking->find("thinkingLevel"); l != thinking->end() && l->is_string()) {
    return true;
  }
  auto inc = thinking->find("includeThoughts");
  return inc != thinking->end() && inc->is_boolean() && inc->get<bool>();
}

std::string buildGenerateBody(std::string_view ir, const BodyOptions& options) {
  Json request;
  if (options.claude) {
    auto parsed = parseJson(ir);
    if (!parsed || !parsed->is_object()) {
      throw Error(LLMP_E_INVALID, 400, "the request is not a JSON object");
    }
    request = std::move(*parsed);
    for (auto it = request.begin(); it != request.end();) {
      if (it.key().rfind("llmp", 0) == 0) {
        it = request.erase(it);
      } else {
        ++it;
      }
    }
    fixClaudeContents(request, options);
    fixClaudeTools(request);
    fixClaudeThinking(request, options);
  } else {
    // Code Assist's own envelope handling (llmp* members, thought parts of the history).
    code_assist::Envelope env;
    env.model = options.model;
    Json wrapped = Json::parse(code_assist::wrapGenerateRequest(ir, env));
    request = std::move(wrapped["request"]);
  }
  request.erase("safetySettings");
  clampOutput(request, options.maxOutputTokens);
  request["sessionId"] = options.sessionId;

  Json body = Json::object();
  body["model"] = options.model;
  body["userAgent"] = "antigravity";
  body["requestType"] = "agent";
  if (!options.project.empty()) {
    body["project"] = options.project;
  }
  body["requestId"] = options.requestId;
  body["request"] = std::move(request);
  return dumpJson(body);
}

std::string newRequestId() { return "agent-" + code_assist::newUuid(); }

std::string sessionIdFor(std::string_view clientSessionId, const Json& ir) {
  std::string seed(clientSessionId);
  if (seed.empty()) {
    seed = firstUserText(ir);
  }
  uint64_t value = 0;
  if (seed.empty()) {
    std::random_device rd;
    value = (static_cast<uint64_t>(rd()) << 32) ^ rd();
  } else {
    unsigned char digest[SHA256_DIGEST_LENGTH];
    SHA256(reinterpret_cast<const unsigned char*>(seed.data()), seed.size(), digest);
    for (int i = 0; i < 8; ++i) {
      value = (value << 8) | digest[i];
    }
  }
  value &= 0x7fffffffffffffffULL;
  return "-" + std::to_string(value);
}

std::string ThoughtTracker::process(const std::string& chunkJson) {
  auto doc = parseJson(chunkJson);
  if (!doc || !doc->is_object()) {
    return chunkJson;
  }
  bool changed = false;
  auto candidates = doc->find("candidates");
  if (candidates == doc->end() || !candidates->is_array()) {
    return chunkJson;
  }
  for (auto& candidate : *candidates) {
    if (!candidate.is_object() || !candidate.contains("content")) {
      continue;
    }
    auto& content = candidate["content"];
    auto parts = content.is_object() ? content.find("parts") : content.end();
    if (!content.is_object() || parts == content.end() || !parts->is_array()) {
      continue;
    }
    for (auto& part : *parts) {
      if (!part.is_object()) {
        continue;
      }
      std::string sig = signatureOf(part);
      if (isThought(part)) {
        if (part.contains("text") && part["text"].is_string()) {
          pendingText_ += part["text"].get<std::string>();
        }
        if (!sig.empty()) {
          if (remember_) {
            remember_(sig, pendingText_);
          }
          pendingText_.clear();
          lastSignature_ = sig;
        }
        continue;
      }
      if (!sig.empty() && sig != kSkipSignature) {
        if (!pendingText_.empty() && remember_) {
          remember_(sig, pendingText_);  // the signature came on the part after the thinking
        }
        pendingText_.clear();
        lastSignature_ = sig;
        continue;
      }
      if (signCalls_ && part.contains("functionCall") && !lastSignature_.empty()) {
        part["thoughtSignature"] = lastSignature_;
        changed = true;
      }
    }
  }
  return changed ? dumpJson(*doc) : chunkJson;
}

}  // namespace llmp::plugins::antigravity
