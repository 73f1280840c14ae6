// The answer to a non-streaming request, gathered from the chunks the backend emits and rendered
// as one chat.completion.
#pragma once

#include <llmp/cpp/json.hpp>

#include <optional>
#include <string>
#include <string_view>

#include "answer_scan.hpp"
#include "response.hpp"
#include "services.hpp"

namespace llmp::plugins::frontend_openai {

// Merges a streamed chunk into an accumulated non-streaming response (for a backend that sends
// several chunks to a non-streaming call): parts are appended per candidate index, the latest
// finishReason / usage / metadata win.
void mergeChunk(Json& accumulated, const Json& chunk);

// Almost every answer is one plain-text chunk: that one is read by scanAnswer, without a DOM.
// Any other answer (a second chunk, tool calls, logprobs...) is parsed into a DOM, merged with
// mergeChunk and rendered by renderCompletion, as before the scan existed.
class CompletionAccumulator {
 public:
  explicit CompletionAccumulator(const ResponseOptions& options)
      : scanAllowed_(!options.logprobs) {}

  // A chunk that is not valid JSON is skipped: a broken chunk from a backend is its bug, and
  // the rest may be fine.
  void add(std::string_view chunk);
  bool empty() const { return !scanned_ && !dom_; }
  // The chat.completion (or the error to answer) for what was added; not empty().
  CompletionResult render(const ResponseMeta& meta, const ResponseOptions& options,
                          Services& services) const;

 private:
  bool scanAllowed_;
  std::optional<ScannedAnswer> scanned_;  // the first chunk, when it was plain
  std::string scannedText_;               // its text, should a second chunk need its DOM
  std::optional<Json> dom_;
};

}  // namespace llmp::plugins::frontend_openai
