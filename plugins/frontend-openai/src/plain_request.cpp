#include "plain_request.hpp"

#include <llmp/cpp/json.hpp>
#include <llmp/cpp/json_writer.hpp>

#include <array>
#include <cstdint>
#include <string_view>
#include <utility>

#include "request.hpp"

namespace llmp::plugins::frontend_openai {
namespace {

// Where the scanner is: the innermost container it reads.
enum class At { Start, Root, Messages, Message, StreamOptions, Done };

// What the value after the last key is for (its bit marks the key as seen).
enum class Slot : unsigned {
  None,
  Model,
  Messages,
  Stream,
  StreamOptions,
  Temperature,
  TopP,
  PresencePenalty,
  FrequencyPenalty,
  TopK,
  MaxTokens,
  MaxCompletionTokens,
  N,
  Seed,
  Role,
  Content,
  IncludeUsage,
};

struct Member {
  const char* name;
  Slot slot;
};

constexpr std::array<Member, 13> kRootMembers = {{
    {"model", Slot::Model},
    {"messages", Slot::Messages},
    {"stream", Slot::Stream},
    {"stream_options", Slot::StreamOptions},
    {"temperature", Slot::Temperature},
    {"top_p", Slot::TopP},
    {"presence_penalty", Slot::PresencePenalty},
    {"frequency_penalty", Slot::FrequencyPenalty},
    {"top_k", Slot::TopK},
    {"max_tokens", Slot::MaxTokens},
    {"max_completion_tokens", Slot::MaxCompletionTokens},
    {"n", Slot::N},
    {"seed", Slot::Seed},
}};

// The range translateRequest enforces (request.hpp); a value outside gives up (its error is
// translateRequest's to write).
IntegerRange rangeOf(Slot slot) {
  switch (slot) {
    case Slot::TopK: return kTopKRange;
    case Slot::MaxTokens:
    case Slot::MaxCompletionTokens: return kMaxTokensRange;
    case Slot::N: return kCandidateCountRange;
    default: return kSeedRange;
  }
}

// Turns nlohmann's SAX events for a plain request into IR text. Every handler returns false to
// give up: the parse then stops and translatePlainRequest returns nullopt.
class PlainRequestScanner {
 public:
  // The IR is about as long as the body (its wrappers and names differ by a few bytes), so one
  // allocation of that size replaces one per doubling of the text.
  explicit PlainRequestScanner(size_t bodySize) : ir_(reserved(bodySize + 64)) {
    ir_.beginObject().key("contents").beginArray();
  }

  std::optional<PlainRequest> take() {
    if (at_ != At::Done || model_.empty() || messageCount_ == 0) {
      return std::nullopt;  // missing model or messages: translateRequest's errors
    }
    closeTurn();
    ir_.endArray();
    writeGenerationConfig();
    if (hasSystem_) {
      ir_.key("systemInstruction").beginObject().key("parts").beginArray();
      ir_.beginObject().key("text").string(system_).endObject();
      ir_.endArray().endObject();
    }
    ir_.endObject();
    PlainRequest out;
    out.model = std::move(model_);
    out.stream = stream_;
    out.includeUsage = includeUsage_;
    out.ir = ir_.take();
    return out;
  }

  bool null() { return false; }  // OpenAI's "not given": rare, left to translateRequest
  bool boolean(bool value) {
    if (slot_ == Slot::Stream) {
      stream_ = value;
    } else if (slot_ == Slot::IncludeUsage) {
      includeUsage_ = value;
    } else {
      return false;
    }
    slot_ = Slot::None;
    return true;
  }
  bool number_integer(Json::number_integer_t value) {
    return number(static_cast<double>(value), value);
  }
  bool number_unsigned(Json::number_unsigned_t value) {
    if (value > static_cast<Json::number_unsigned_t>(INT64_MAX)) {
      return false;  // integerAt clamps these: left to translateRequest
    }
    return number(static_cast<double>(value), static_cast<int64_t>(value));
  }
  bool number_float(Json::number_float_t value, const std::string&) {
    if (!isDecimalSlot()) {
      return false;  // an integer given as 64.0: left to translateRequest
    }
    return number(value, 0);
  }
  bool binary(Json::binary_t&) { return false; }
  bool string(std::string& value) {
    if (slot_ == Slot::Model) {
      model_ = value;
    } else if (slot_ == Slot::Role) {
      role_ = value;
    } else if (slot_ == Slot::Content) {
      content_ = value;
    } else {
      return false;
    }
    slot_ = Slot::None;
    return true;
  }

  bool start_object(std::size_t) {
    if (at_ == At::Start) {
      at_ = At::Root;
    } else if (at_ == At::Messages) {
      role_.clear();
      content_.clear();
      messageSeen_ = 0;
      at_ = At::Message;
    } else if (slot_ == Slot::StreamOptions) {
      at_ = At::StreamOptions;
    } else {
      return false;
    }
    slot_ = Slot::None;
    return true;
  }

  bool end_object() {
    switch (at_) {
      case At::Root: at_ = At::Done; return true;
      case At::Message: at_ = At::Messages; return addMessage();
      case At::StreamOptions: at_ = At::Root; return true;
      default: return false;
    }
  }

  bool start_array(std::size_t) {
    if (slot_ != Slot::Messages) {
      return false;
    }
    at_ = At::Messages;
    slot_ = Slot::None;
    return true;
  }

  bool end_array() {
    if (at_ != At::Messages) {
      return false;
    }
    at_ = At::Root;
    return true;
  }

  bool key(std::string& name) {
    switch (at_) {
      case At::Root:
        for (const Member& member : kRootMembers) {
          if (name == member.name) {
            return take(member.slot, rootSeen_);
          }
        }
        return false;
      case At::Message:
        if (name == "role") return take(Slot::Role, messageSeen_);
        if (name == "content") return take(Slot::Content, messageSeen_);
        return false;  // name, tool_calls, ...
      case At::StreamOptions:
        if (name == "include_usage") return take(Slot::IncludeUsage, rootSeen_);
        return false;
      default:
        return false;
    }
  }

  bool parse_error(std::size_t, const std::string&, const Json::exception&) { return false; }

 private:
  static std::string reserved(size_t capacity) {
    std::string buffer;
    buffer.reserve(capacity);
    return buffer;
  }

  static uint64_t bit(Slot slot) { return uint64_t{1} << static_cast<unsigned>(slot); }

  // Takes the value of a member, refusing a repeated key (the DOM keeps the last value; the
  // scan does not try to).
  bool take(Slot slot, uint64_t& seen) {
    if ((seen & bit(slot)) != 0) {
      return false;
    }
    seen |= bit(slot);
    slot_ = slot;
    return true;
  }

  bool isDecimalSlot() const {
    return slot_ == Slot::Temperature || slot_ == Slot::TopP ||
           slot_ == Slot::PresencePenalty || slot_ == Slot::FrequencyPenalty;
  }

  // A number: decimals keep the double translateRequest's numberAt reads; integers must be in
  // integerAt's range.
  bool number(double decimal, int64_t integer) {
    if (isDecimalSlot()) {
      decimals_[static_cast<unsigned>(slot_) - static_cast<unsigned>(Slot::Temperature)] = decimal;
    } else if (slot_ >= Slot::TopK && slot_ <= Slot::Seed) {
      IntegerRange range = rangeOf(slot_);
      if (integer < range.min || integer > range.max) {
        return false;
      }
      integers_[static_cast<unsigned>(slot_) - static_cast<unsigned>(Slot::TopK)] = integer;
    } else {
      return false;
    }
    slot_ = Slot::None;
    return true;
  }
  std::optional<double>& decimal(Slot slot) {
    return decimals_[static_cast<unsigned>(slot) - static_cast<unsigned>(Slot::Temperature)];
  }
  std::optional<int64_t>& integer(Slot slot) {
    return integers_[static_cast<unsigned>(slot) - static_cast<unsigned>(Slot::TopK)];
  }

  // One message, as translateRequest's MessageTranslator takes a string content: system and
  // developer text joins the system instruction, user and assistant text becomes a part of the
  // contents (empty text adds nothing).
  bool addMessage() {
    if ((messageSeen_ & bit(Slot::Role)) == 0 || (messageSeen_ & bit(Slot::Content)) == 0) {
      return false;
    }
    ++messageCount_;
    if (role_ == "system" || role_ == "developer") {
      if (!content_.empty()) {
        if (hasSystem_) {
          system_ += "\n\n";
        }
        system_ += content_;
        hasSystem_ = true;
      }
      return true;
    }
    const char* turnRole = nullptr;
    if (role_ == "user") {
      turnRole = "user";
    } else if (role_ == "assistant") {
      turnRole = "model";
    } else {
      return false;  // tool, function, or not a role
    }
    if (!content_.empty()) {
      addPart(turnRole);
    }
    return true;
  }

  // Consecutive messages of one role share a content, as ContentsBuilder merges them. A
  // content's "role" follows its "parts" (sorted keys), so it is written when the turn closes.
  void addPart(const char* turnRole) {
    if (openRole_ == nullptr || std::string_view(openRole_) != turnRole) {
      closeTurn();
      ir_.beginObject().key("parts").beginArray();
      openRole_ = turnRole;
    }
    ir_.beginObject().key("text").string(content_).endObject();
  }
  void closeTurn() {
    if (openRole_ != nullptr) {
      ir_.endArray().key("role").string(openRole_).endObject();
      openRole_ = nullptr;
    }
  }

  // generationConfig's members in sorted order, as a dumped DOM has them.
  void writeGenerationConfig() {
    std::optional<int64_t> maxOutput = integer(Slot::MaxCompletionTokens);
    if (!maxOutput) {
      maxOutput = integer(Slot::MaxTokens);
    }
    const std::pair<const char*, std::optional<int64_t>> integers[] = {
        {"candidateCount", integer(Slot::N)},
        {"maxOutputTokens", maxOutput},
        {"seed", integer(Slot::Seed)},
        {"topK", integer(Slot::TopK)},
    };
    const std::pair<const char*, std::optional<double>> decimals[] = {
        {"frequencyPenalty", decimal(Slot::FrequencyPenalty)},
        {"presencePenalty", decimal(Slot::PresencePenalty)},
        {"temperature", decimal(Slot::Temperature)},
        {"topP", decimal(Slot::TopP)},
    };
    bool open = false;
    auto member = [&](const char* name) -> JsonWriter& {
      if (!open) {
        ir_.key("generationConfig").beginObject();
        open = true;
      }
      return ir_.key(name);
    };
    // candidateCount, frequencyPenalty, maxOutputTokens, presencePenalty, seed, temperature,
    // topK, topP: integers and decimals interleave.
    auto writeInteger = [&](size_t i) {
      if (integers[i].second) {
        member(integers[i].first).number(*integers[i].second);
      }
    };
    auto writeDecimal = [&](size_t i) {
      if (decimals[i].second) {
        member(decimals[i].first).value(Json(*decimals[i].second));  // nlohmann's double form
      }
    };
    writeInteger(0);
    writeDecimal(0);
    writeInteger(1);
    writeDecimal(1);
    writeInteger(2);
    writeDecimal(2);
    writeInteger(3);
    writeDecimal(3);
    if (open) {
      ir_.endObject();
    }
  }

  At at_ = At::Start;
  Slot slot_ = Slot::None;
  uint64_t rootSeen_ = 0;  // root and stream_options members (their names differ)
  uint64_t messageSeen_ = 0;
  std::string model_;
  bool stream_ = false;
  bool includeUsage_ = false;
  std::array<std::optional<double>, 4> decimals_;   // Temperature .. FrequencyPenalty
  std::array<std::optional<int64_t>, 5> integers_;  // TopK .. Seed
  std::string role_;     // the current message's, reused
  std::string content_;  // the current message's, reused: its capacity stays
  size_t messageCount_ = 0;
  std::string system_;  // system and developer texts, joined by blank lines
  bool hasSystem_ = false;
  JsonWriter ir_;                    // the IR so far: its "contents" are written as messages come
  const char* openRole_ = nullptr;  // the role of the content still open in "contents"
};

}  // namespace

std::optional<PlainRequest> translatePlainRequest(std::string_view body) {
  PlainRequestScanner scanner(body.size());
  if (!Json::sax_parse(body.begin(), body.end(), &scanner)) {
    return std::nullopt;
  }
  return scanner.take();
}

}  // namespace llmp::plugins::frontend_openai
