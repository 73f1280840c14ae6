#include "answer_scan.hpp"

#include <llmp/cpp/json_writer.hpp>
#include <llmp/cpp/sax_slots.hpp>

#include <cstdint>

namespace llmp::plugins::frontend_openai {
namespace {

// Where the scanner is: the innermost container it reads.
enum class At { Start, Root, Candidates, Candidate, Content, Parts, Part, Usage, Done };

// What the value after the last key is for.
enum class Slot {
  None,
  Skip,  // a member renderCompletion never reads: passed over whole
  Candidates,
  Usage,
  Content,
  FinishReason,
  Index,
  Parts,
  Text,
  Thought,
  UsageCount,
};

// Collects a ScannedAnswer from nlohmann's SAX events. Every handler returns false to give up:
// the parse then stops and scanAnswer returns nullopt.
class AnswerScanner : private SaxSlots<Slot> {
 public:
  using SaxSlots<Slot>::take;  // beside take() below, which hands over the answer

  std::optional<ScannedAnswer> take() {
    if (at_ != At::Done || answer_.candidates.empty()) {
      return std::nullopt;  // no candidates: renderCompletion's error or prompt-feedback paths
    }
    return std::move(answer_);
  }

  bool null() { return scalar(); }
  bool boolean(bool value) {
    if (skipped()) {
      return true;
    }
    if (slot_ != Slot::Thought) {
      return false;
    }
    slot_ = Slot::None;
    partThought_ = value;
    return true;
  }
  bool number_integer(Json::number_integer_t value) { return integer(value); }
  bool number_unsigned(Json::number_unsigned_t value) {
    if (value > static_cast<Json::number_unsigned_t>(INT64_MAX)) {
      return scalar();  // get<int64_t>() would wrap: leave that to the DOM path
    }
    return integer(static_cast<int64_t>(value));
  }
  bool number_float(Json::number_float_t, const std::string&) { return scalar(); }
  bool binary(Json::binary_t&) { return false; }
  bool string(std::string& value) {
    if (skipped()) {
      return true;
    }
    if (slot_ == Slot::FinishReason) {
      if (isMalformedFinish(value)) {
        return false;  // its error names the finishMessage: the DOM path writes it
      }
      candidate().finishReason = value;
    } else if (slot_ == Slot::Text) {
      partText_ = value;
      partHasText_ = true;
    } else {
      return false;
    }
    slot_ = Slot::None;
    return true;
  }

  bool start_object(std::size_t) {
    if (enterSkipped()) {
      return true;
    }
    if (at_ == At::Start && slot_ == Slot::None) {
      at_ = At::Root;
    } else if (at_ == At::Candidates && slot_ == Slot::None) {
      answer_.candidates.emplace_back();
      candidateSeen_ = 0;
      at_ = At::Candidate;
    } else if (at_ == At::Parts && slot_ == Slot::None) {
      partText_.clear();
      partHasText_ = false;
      partThought_ = false;
      partSeen_ = 0;
      at_ = At::Part;
    } else if (slot_ == Slot::Usage) {
      at_ = At::Usage;
    } else if (slot_ == Slot::Content) {
      contentSeen_ = 0;
      at_ = At::Content;
    } else {
      return false;
    }
    slot_ = Slot::None;
    return true;
  }

  bool end_object() {
    if (leaveSkipped()) {
      return true;
    }
    switch (at_) {
      case At::Root: at_ = At::Done; return true;
      case At::Candidate: at_ = At::Candidates; return true;
      case At::Content: at_ = At::Candidate; return true;
      case At::Part: foldPart(); at_ = At::Parts; return true;
      case At::Usage: answer_.hasUsage = true; at_ = At::Root; return true;
      default: return false;
    }
  }

  bool start_array(std::size_t) {
    if (enterSkipped()) {
      return true;
    }
    if (slot_ == Slot::Candidates) {
      at_ = At::Candidates;
    } else if (slot_ == Slot::Parts) {
      at_ = At::Parts;
    } else {
      return false;
    }
    slot_ = Slot::None;
    return true;
  }

  bool end_array() {
    if (leaveSkipped()) {
      return true;
    }
    if (at_ == At::Candidates) {
      at_ = At::Root;
    } else if (at_ == At::Parts) {
      at_ = At::Content;
    } else {
      return false;
    }
    return true;
  }

  bool key(std::string& name) {
    if (inSkipped()) {
      return true;
    }
    switch (at_) {
      case At::Root:
        if (name == "candidates") return take(Slot::Candidates, 1, rootSeen_);
        if (name == "usageMetadata") return take(Slot::Usage, 2, rootSeen_);
        if (name == "promptFeedback") return false;  // block reasons: the DOM path
        return skipValue();
      case At::Candidate:
        if (name == "content") return take(Slot::Content, 1, candidateSeen_);
        if (name == "finishReason") return take(Slot::FinishReason, 2, candidateSeen_);
        if (name == "index") return take(Slot::Index, 4, candidateSeen_);
        return skipValue();  // safetyRatings, logprobsResult, finishMessage, ...
      case At::Content:
        if (name == "parts") return take(Slot::Parts, 1, contentSeen_);
        return skipValue();  // role
      case At::Part:
        if (name == "text") return take(Slot::Text, 1, partSeen_);
        if (name == "thought") return take(Slot::Thought, 2, partSeen_);
        if (name == "functionCall") return false;  // tool calls: the DOM path
        return skipValue();  // thoughtSignature on a text part is not read
      case At::Usage:
        for (size_t i = 0; i < kUsageCounts.size(); ++i) {
          if (name == kUsageCounts[i].first) {
            usageField_ = i;
            return take(Slot::UsageCount, uint64_t{1} << i, usageSeen_);
          }
        }
        return skipValue();  // promptTokensDetails, trafficType, ...
      default:
        return false;
    }
  }

  bool parse_error(std::size_t, const std::string&, const Json::exception&) { return false; }

 private:
  ScannedCandidate& candidate() { return answer_.candidates.back(); }

  // A scalar: fine inside a skipped member, otherwise nothing the scan reads takes it.
  bool scalar() { return skipped(); }

  bool integer(int64_t value) {
    if (skipped()) {
      return true;
    }
    if (slot_ == Slot::Index) {
      candidate().index = value;
    } else if (slot_ == Slot::UsageCount) {
      answer_.usage.*kUsageCounts[usageField_].second = value;
    } else {
      return false;
    }
    slot_ = Slot::None;
    return true;
  }

  // A part's text joins the candidate's text or reasoning, as renderCompletion does.
  void foldPart() {
    if (!partHasText_) {
      return;
    }
    if (!partText_.empty()) {
      ++candidate().pieces;
    }
    ChoiceContent& content = candidate().content;
    if (partThought_) {
      content.reasoning += partText_;
    } else {
      content.text += partText_;
      content.hasText = content.hasText || !partText_.empty();
    }
  }

  ScannedAnswer answer_;
  At at_ = At::Start;
  // Keys already taken in each open object (one bit per key the scan reads); the root and
  // usageMetadata occur once, the others are reset as each one opens.
  uint64_t rootSeen_ = 0;
  uint64_t usageSeen_ = 0;
  uint64_t candidateSeen_ = 0;
  uint64_t contentSeen_ = 0;
  uint64_t partSeen_ = 0;
  size_t usageField_ = 0;
  std::string partText_;  // reused for every part: its capacity stays
  bool partHasText_ = false;
  bool partThought_ = false;
};

}  // namespace

std::optional<ScannedAnswer> scanAnswer(std::string_view chunk) {
  AnswerScanner scanner;
  if (!Json::sax_parse(chunk.begin(), chunk.end(), &scanner)) {
    return std::nullopt;
  }
  return scanner.take();
}

CompletionResult renderScannedAnswer(const ScannedAnswer& answer, const ResponseMeta& meta) {
  CompletionResult result;
  // One allocation for the body instead of one per doubling: the fixed members take about 250
  // bytes and each choice's about 150 besides its texts (an escaped text may need more: the
  // string then grows as it would have).
  size_t expected = 256 + meta.id.size() + meta.model.size();
  for (const ScannedCandidate& candidate : answer.candidates) {
    expected += 160 + candidate.content.text.size() + candidate.content.reasoning.size();
  }
  std::string buffer;
  buffer.reserve(expected);
  JsonWriter out(std::move(buffer));
  beginCompletion(out);
  for (size_t i = 0; i < answer.candidates.size(); ++i) {
    const ScannedCandidate& candidate = answer.candidates[i];
    int64_t index = candidate.index.value_or(static_cast<int64_t>(i));
    result.error = writeChoice(out, candidate.finishReason, index, candidate.content, nullptr);
    if (result.error) {
      return result;
    }
  }
  endCompletion(out, meta, answer.usage);
  result.body = out.take();
  return result;
}

}  // namespace llmp::plugins::frontend_openai
