#include "chunk_scan.hpp"

#include <llmp/cpp/sax_slots.hpp>

#include <array>
#include <cstdint>
#include <utility>

namespace llmp::plugins::anthropic {
namespace {

// Where the scanner is: the innermost container it reads.
enum class At { Start, Root, Candidates, Candidate, Content, Parts, Part, Usage, Done };

// What the value after the last key is for.
enum class Slot {
  None,
  Skip,           // a member addChunk never reads, of any shape: passed over whole
  IgnoredString,  // a string addChunk never reads (modelVersion, responseId, role)
  IgnoredInteger, // an integer addChunk never reads (index, totalTokenCount)
  Candidates,
  Usage,
  Content,
  FinishReason,
  Parts,
  Text,
  Thought,
  Signature,
  UsageCount,
};

// The usageMetadata counts addChunk reads, by key.
constexpr std::array<std::pair<std::string_view, int64_t UsageCounts::*>, 4> kUsageCounts = {{
    {"promptTokenCount", &UsageCounts::prompt},
    {"cachedContentTokenCount", &UsageCounts::cached},
    {"candidatesTokenCount", &UsageCounts::candidates},
    {"thoughtsTokenCount", &UsageCounts::thoughts},
}};

// Collects a ScannedChunk from nlohmann's SAX events. Every handler returns false to give up:
// the parse then stops and scanChunk returns false.
class ChunkScanner : private SaxSlots<Slot> {
 public:
  explicit ChunkScanner(ScannedChunk& chunk) : chunk_(chunk) {
    chunk_.usage.reset();
    chunk_.finishReason.clear();
  }

  // Whether the whole text was the plain shape: exactly one candidate (none is addChunk's
  // no-candidate path; a second one it ignores, which the scan does not imitate).
  bool finish() {
    if (at_ != At::Done || candidateCount_ != 1) {
      return false;
    }
    chunk_.parts.resize(partCount_);
    return true;
  }

  bool null() { return skipped(); }
  bool boolean(bool value) {
    if (skipped()) {
      return true;
    }
    if (slot_ != Slot::Thought) {
      return false;
    }
    slot_ = Slot::None;
    part().thought = value;
    return true;
  }
  bool number_integer(Json::number_integer_t value) { return integer(value, true); }
  bool number_unsigned(Json::number_unsigned_t value) {
    // get<int64_t>() would wrap a larger count: leave that to the DOM path.
    bool fits = value <= static_cast<Json::number_unsigned_t>(INT64_MAX);
    return integer(static_cast<int64_t>(value), fits);
  }
  bool number_float(Json::number_float_t, const std::string&) { return skipped(); }
  bool binary(Json::binary_t&) { return false; }
  bool string(std::string& value) {
    if (skipped()) {
      return true;
    }
    switch (slot_) {
      case Slot::IgnoredString:
        break;
      case Slot::FinishReason:
        if (value == "MALFORMED_FUNCTION_CALL") {
          return false;  // its error is the DOM path's to write
        }
        chunk_.finishReason.assign(value);
        break;
      case Slot::Text:
        part().text.assign(value);  // into the reused part's capacity
        part().hasText = true;
        break;
      case Slot::Signature:
        part().signature.assign(value);
        break;
      default:
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
      if (++candidateCount_ > 1) {
        return false;
      }
      at_ = At::Candidate;
    } else if (at_ == At::Parts && slot_ == Slot::None) {
      startPart();
      at_ = At::Part;
    } else if (slot_ == Slot::Usage) {
      chunk_.usage.emplace();
      at_ = At::Usage;
    } else if (slot_ == Slot::Content) {
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
      case At::Part: at_ = At::Parts; return true;
      case At::Usage: at_ = At::Root; return true;
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
        if (name == "modelVersion") return take(Slot::IgnoredString, 4, rootSeen_);
        if (name == "responseId") return take(Slot::IgnoredString, 8, rootSeen_);
        return false;  // promptFeedback (block reasons) and anything unknown: the DOM path
      case At::Candidate:
        if (name == "content") return take(Slot::Content, 1, candidateSeen_);
        if (name == "finishReason") return take(Slot::FinishReason, 2, candidateSeen_);
        if (name == "index") return take(Slot::IgnoredInteger, 4, candidateSeen_);
        return false;  // finishMessage (read with a finishReason), safetyRatings, ...
      case At::Content:
        if (name == "parts") return take(Slot::Parts, 1, contentSeen_);
        if (name == "role") return take(Slot::IgnoredString, 2, contentSeen_);
        return false;
      case At::Part:
        if (name == "text") return take(Slot::Text, 1, partSeen_);
        if (name == "thought") return take(Slot::Thought, 2, partSeen_);
        if (name == "thoughtSignature") return take(Slot::Signature, 4, partSeen_);
        return false;  // functionCall, executableCode, inlineData, ...: the DOM path
      case At::Usage:
        return usageKey(name);
      default:
        return false;
    }
  }

  bool parse_error(std::size_t, const std::string&, const Json::exception&) { return false; }

 private:
  ScannedPart& part() { return chunk_.parts[partCount_ - 1]; }

  // The next part, reusing a part left from an earlier chunk when there is one.
  void startPart() {
    if (partCount_ == chunk_.parts.size()) {
      chunk_.parts.emplace_back();
    } else {
      ScannedPart& reused = chunk_.parts[partCount_];
      reused.text.clear();
      reused.signature.clear();
      reused.hasText = false;
      reused.thought = false;
    }
    ++partCount_;
    partSeen_ = 0;
  }

  bool usageKey(const std::string& name) {
    for (size_t i = 0; i < kUsageCounts.size(); ++i) {
      if (name == kUsageCounts[i].first) {
        usageField_ = i;
        return take(Slot::UsageCount, uint64_t{1} << i, usageSeen_);
      }
    }
    // Members usageFromIr never reads; Gemini sends the total and the per-modality details
    // with every chunk, so giving up on them would leave the scan unused.
    if (name == "totalTokenCount") return take(Slot::IgnoredInteger, 1 << 4, usageSeen_);
    if (name == "toolUsePromptTokenCount") return take(Slot::IgnoredInteger, 1 << 5, usageSeen_);
    if (name == "promptTokensDetails" || name == "cacheTokensDetails" ||
        name == "candidatesTokensDetails" || name == "toolUsePromptTokensDetails") {
      return skipValue();
    }
    return false;
  }

  bool integer(int64_t value, bool fits) {
    if (skipped()) {
      return true;
    }
    if (slot_ == Slot::UsageCount && fits) {
      (*chunk_.usage).*kUsageCounts[usageField_].second = value;
    } else if (slot_ != Slot::IgnoredInteger) {
      return false;
    }
    slot_ = Slot::None;
    return true;
  }

  ScannedChunk& chunk_;
  At at_ = At::Start;
  // Keys already taken in each open object (one bit per key the scan reads); the root, the
  // candidate, its content and usageMetadata occur once, the part's bits reset per part.
  uint64_t rootSeen_ = 0;
  uint64_t usageSeen_ = 0;
  uint64_t candidateSeen_ = 0;
  uint64_t contentSeen_ = 0;
  uint64_t partSeen_ = 0;
  size_t usageField_ = 0;
  size_t candidateCount_ = 0;
  size_t partCount_ = 0;  // parts of this chunk so far, in chunk_.parts' first slots
};

}  // namespace

PartPieces ScannedPart::pieces() const {
  PartPieces out;
  if (hasText) {
    out.text = std::string_view(text);
  }
  out.signature = signature;
  out.thought = thought;
  return out;
}

bool scanChunk(std::string_view text, ScannedChunk& into) {
  ChunkScanner scanner(into);
  if (!Json::sax_parse(text.begin(), text.end(), &scanner)) {
    return false;
  }
  return scanner.finish();
}

void addChunkText(ResponseAssembler& assembler, std::string_view text, ScannedChunk& scratch) {
  if (scanChunk(text, scratch)) {
    assembler.addScannedChunk(scratch);
  } else if (auto chunk = parseJson(text)) {
    assembler.addChunk(*chunk);
  }
}

}  // namespace llmp::plugins::anthropic
