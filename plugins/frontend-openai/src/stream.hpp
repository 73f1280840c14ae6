// IR stream chunks -> OpenAI chat.completion.chunk SSE events, in the strict shape the openai SDK's
// chat.completions.stream() helper needs: one id/created/model for every chunk, a role delta
// first, each tool call with its own index and a first delta carrying id/type/name, a
// finish_reason per choice, an optional usage chunk with choices: [], then data: [DONE].
#pragma once

#include <llmp/cpp/json.hpp>
#include <llmp/cpp/json_writer.hpp>

#include <functional>
#include <map>
#include <optional>
#include <string>
#include <string_view>

#include "answer_scan.hpp"
#include "errors.hpp"
#include "response.hpp"
#include "services.hpp"

namespace llmp::plugins::frontend_openai {

class StreamRenderer {
 public:
  // What one step produced: SSE text to write, then (if set) an error that ends the stream.
  struct Output {
    std::string sse;
    std::optional<ApiError> error;
  };

  StreamRenderer(ResponseMeta meta, ResponseOptions options, Services& services);

  // One IR chunk. After an error or the end, further chunks produce nothing.
  Output onChunk(const Json& chunk);
  // The same for a chunk's text: the usual piece of plain text is read by scanAnswer and
  // rendered without a DOM; any other chunk is parsed and goes to onChunk, which stays the
  // reference. Text that is not JSON produces nothing (a backend's broken chunk is skipped).
  Output onChunkText(std::string_view chunk);
  // True when a scanned chunk can be rendered without its DOM: the client did not ask for
  // logprobs (the scan skips them) and no candidate has more than one text part (each part is a
  // delta of its own; the scan joins them).
  bool takesScanned(const ScannedAnswer& chunk) const;
  // The generation ended normally: closes open choices, adds usage and [DONE]. Reports an error
  // instead when the model produced nothing at all.
  Output finish();

  static std::string keepAlive() { return ": keepalive\n\n"; }
  // data: {"error":{...}} — the stream's last event.
  static std::string errorEvent(const ApiError& error);

  // True once anything was rendered (so an error can no longer be an HTTP status).
  bool emittedAny() const { return emittedAny_; }
  bool done() const { return done_; }

 private:
  struct Choice {
    bool started = false;
    bool finished = false;
    bool hasOutput = false;  // text or tool calls (reasoning alone is not an answer)
    int toolCalls = 0;
  };

  // Writes the members of a choice's delta object.
  using DeltaWriter = std::function<void(JsonWriter&)>;

  // Each appends one "data: {...}\n\n" event to out, written without a DOM (byte-identical to
  // dumping one: keys in nlohmann::json's sorted order). finish: nullptr writes null.
  void appendChoiceEvent(std::string& out, int64_t index, const DeltaWriter& delta,
                         const char* finish, const Json& logprobs);
  void appendUsageEvent(std::string& out);
  // The members after "choices", and the end of the event; usage when given.
  void finishEvent(JsonWriter& w, const UsageMetadata* usage);
  Choice& startChoice(int64_t index, std::string& out);
  // onChunk for a chunk takesScanned() accepted: the bytes onChunk writes for its DOM.
  Output onScannedChunk(const ScannedAnswer& chunk);
  // One text part's delta: content, or reasoning_content for a thought.
  void appendText(std::string& out, int64_t index, Choice& choice, const std::string& text,
                  bool thought, const Json& logprobs);
  // A candidate's finishReason (non-empty) closes its choice; false when it ends the stream with
  // out.error instead (nothing was answered).
  bool finishChoice(Output& out, int64_t index, Choice& choice, const std::string& reason);

  ResponseMeta meta_;
  ResponseOptions options_;
  Services& services_;
  std::map<int64_t, Choice> choices_;
  UsageMetadata usage_;  // the last usageMetadata seen
  bool blocked_ = false;
  bool emittedAny_ = false;
  bool done_ = false;
};

}  // namespace llmp::plugins::frontend_openai
