#include "router/generation_params.h"

#include <cmath>
#include <cstdlib>

#include "router/model_selector.h"

namespace llmp::host {
namespace {

using nlohmann::json;

[[noreturn]] void bad(const std::string& name, const std::string& value, const std::string& why) {
  throw SelectorError(400, "invalid value '" + value + "' for model parameter '" + name + "': " + why);
}

double number(const std::string& name, const json& v, double lo, double hi) {
  double d = 0;
  if (v.is_number()) {
    d = v.get<double>();
  } else if (v.is_string()) {
    const std::string& s = v.get_ref<const std::string&>();
    char* end = nullptr;
    d = std::strtod(s.c_str(), &end);
    if (s.empty() || *end != '\0' || !std::isfinite(d)) {
      bad(name, s, "expected a number");
    }
  } else {
    bad(name, v.dump(), "expected a number");
  }
  if (d < lo || d > hi) {
    bad(name, v.is_string() ? v.get<std::string>() : v.dump(),
        "must be between " + json(lo).dump() + " and " + json(hi).dump());
  }
  return d;
}

int64_t integer(const std::string& name, const json& v, int64_t lo, int64_t hi) {
  double d = number(name, v, static_cast<double>(lo), static_cast<double>(hi));
  if (std::floor(d) != d) {
    bad(name, v.is_string() ? v.get<std::string>() : v.dump(), "expected a whole number");
  }
  return static_cast<int64_t>(d);
}

bool boolean(const std::string& name, const json& v) {
  if (v.is_boolean()) {
    return v.get<bool>();
  }
  if (v.is_string()) {
    const auto& s = v.get_ref<const std::string&>();
    if (s == "true" || s == "1") return true;
    if (s == "false" || s == "0") return false;
  }
  bad(name, v.dump(), "expected true or false");
}

std::string text(const std::string& name, const json& v) {
  if (v.is_string()) {
    return v.get<std::string>();
  }
  bad(name, v.dump(), "expected a string");
}

// Sets one parameter into generationConfig. `overwrite` false: only when the body lacks it.
void applyOne(json& gc, const std::string& rawName, const json& value, bool overwrite) {
  std::string name = rawName;
  auto set = [&](const char* key, json v) {
    if (overwrite || !gc.contains(key)) {
      gc[key] = std::move(v);
    }
  };
  auto setThinking = [&](const char* key, json v) {
    json& tc = gc["thinkingConfig"];
    if (!tc.is_object()) {
      tc = json::object();
    }
    if (overwrite || !tc.contains(key)) {
      tc[key] = std::move(v);
    }
  };
  if (name == "temperature") {
    set("temperature", number(name, value, 0.0, 2.0));
  } else if (name == "top_p" || name == "topP") {
    set("topP", number(name, value, 0.0, 1.0));
  } else if (name == "top_k" || name == "topK") {
    set("topK", integer(name, value, 0, 1000000));
  } else if (name == "max_tokens" || name == "max_output_tokens" || name == "maxOutputTokens" ||
             name == "max_completion_tokens") {
    set("maxOutputTokens", integer(name, value, 1, 100000000));
  } else if (name == "n" || name == "candidate_count" || name == "candidateCount") {
    set("candidateCount", integer(name, value, 1, 8));
  } else if (name == "seed") {
    set("seed", integer(name, value, INT32_MIN, INT32_MAX));
  } else if (name == "presence_penalty" || name == "presencePenalty") {
    set("presencePenalty", number(name, value, -2.0, 2.0));
  } else if (name == "frequency_penalty" || name == "frequencyPenalty") {
    set("frequencyPenalty", number(name, value, -2.0, 2.0));
  } else if (name == "stop" || name == "stop_sequences" || name == "stopSequences") {
    json list = json::array();
    if (value.is_array()) {
      for (const auto& s : value) {
        list.push_back(text(name, s));
      }
    } else {
      list.push_back(text(name, value));
    }
    set("stopSequences", list);
  } else if (name == "response_mime_type" || name == "responseMimeType") {
    set("responseMimeType", text(name, value));
  } else if (name == "response_logprobs" || name == "responseLogprobs") {
    set("responseLogprobs", boolean(name, value));
  } else if (name == "logprobs" || name == "top_logprobs") {
    set("responseLogprobs", true);
    set("logprobs", integer(name, value, 0, 20));
  } else if (name == "reasoning_effort") {
    std::string effort = text(name, value);
    int budget = reasoningEffortBudget(effort);
    if (budget == -2) {
      bad(name, effort, "expected none, minimal, low, medium, high, xhigh or max");
    }
    setThinking("thinkingBudget", budget);
    setThinking("includeThoughts", budget > 0);
  } else if (name == "thinking_budget" || name == "thinkingBudget") {
    setThinking("thinkingBudget", integer(name, value, -1, 1000000));
  } else if (name == "include_thoughts" || name == "includeThoughts") {
    setThinking("includeThoughts", boolean(name, value));
  } else if (name == "thinking_level" || name == "thinkingLevel") {
    setThinking("thinkingLevel", text(name, value));
  } else {
    throw SelectorError(400, "unknown model parameter '" + name +
                                 "' (known: temperature, top_p, top_k, max_tokens, stop, n, seed, "
                                 "presence_penalty, frequency_penalty, reasoning_effort, "
                                 "thinking_budget, include_thoughts, thinking_level, logprobs, "
                                 "response_mime_type)");
  }
}

}  // namespace

int reasoningEffortBudget(const std::string& effort) {
  if (effort == "none" || effort == "minimal") return 0;
  if (effort == "low") return 1024;
  if (effort == "medium") return 8192;
  if (effort == "high") return 24576;
  if (effort == "xhigh" || effort == "max") return 32768;
  return -2;
}

std::optional<std::string> applyGenerationParams(std::string_view ir, const ParamList& overrides,
                                                 const json* defaults) {
  bool hasDefaults = defaults != nullptr && defaults->is_object() && !defaults->empty();
  if (overrides.empty() && !hasDefaults) {
    return std::nullopt;
  }
  json doc = json::parse(ir.begin(), ir.end(), nullptr, false);
  if (doc.is_discarded() || !doc.is_object()) {
    throw SelectorError(400, "the request body is not a JSON object");
  }
  json& gc = doc["generationConfig"];
  if (!gc.is_object()) {
    gc = json::object();
  }
  for (const auto& [name, value] : overrides) {
    applyOne(gc, name, json(value), true);
  }
  if (hasDefaults) {
    for (auto it = defaults->begin(); it != defaults->end(); ++it) {
      applyOne(gc, it.key(), it.value(), false);
    }
  }
  return doc.dump(-1, ' ', false, json::error_handler_t::replace);
}

}  // namespace llmp::host
