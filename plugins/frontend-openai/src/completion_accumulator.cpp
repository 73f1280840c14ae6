#include "completion_accumulator.hpp"

#include <utility>

namespace llmp::plugins::frontend_openai {

void CompletionAccumulator::add(std::string_view chunk) {
  if (scanAllowed_ && !scanned_ && !dom_) {
    if (std::optional<ScannedAnswer> answer = scanAnswer(chunk)) {
      scanned_ = std::move(answer);
      scannedText_.assign(chunk);
      return;
    }
  }
  if (scanned_) {
    dom_ = parseJson(scannedText_);  // it parsed once already
    scanned_.reset();
  }
  std::optional<Json> parsed = parseJson(chunk);
  if (!parsed) {
    return;
  }
  if (!dom_) {
    dom_ = std::move(*parsed);
  } else {
    mergeChunk(*dom_, *parsed);
  }
}

CompletionResult CompletionAccumulator::render(const ResponseMeta& meta,
                                               const ResponseOptions& options,
                                               Services& services) const {
  if (scanned_) {
    return renderScannedAnswer(*scanned_, meta);
  }
  return renderCompletion(*dom_, meta, options, services);
}

void mergeChunk(Json& acc, const Json& chunk) {
  if (!acc.is_object() || !chunk.is_object()) {
    return;
  }
  for (auto& [key, value] : chunk.items()) {
    if (key != "candidates") {
      acc[key] = value;
    }
  }
  if (!chunk.contains("candidates") || !chunk["candidates"].is_array()) {
    return;
  }
  Json& candidates = acc["candidates"];
  if (!candidates.is_array()) {
    candidates = Json::array();
  }
  for (size_t i = 0; i < chunk["candidates"].size(); ++i) {
    const Json& incoming = chunk["candidates"][i];
    if (!incoming.is_object()) {
      continue;
    }
    int64_t index = incoming.value("index", static_cast<int64_t>(i));
    Json* target = nullptr;
    for (size_t j = 0; j < candidates.size(); ++j) {
      if (candidates[j].is_object() && candidates[j].value("index", static_cast<int64_t>(j)) == index) {
        target = &candidates[j];
        break;
      }
    }
    if (target == nullptr) {
      candidates.push_back(incoming);
      continue;
    }
    for (auto& [key, value] : incoming.items()) {
      if (key == "content" && value.is_object() && value.contains("parts") &&
          value["parts"].is_array()) {
        Json& parts = (*target)["content"]["parts"];
        if (!parts.is_array()) {
          parts = Json::array();
        }
        for (const Json& part : value["parts"]) {
          parts.push_back(part);
        }
        (*target)["content"]["role"] = value.value("role", std::string("model"));
      } else {
        (*target)[key] = value;
      }
    }
  }
}

}  // namespace llmp::plugins::frontend_openai
