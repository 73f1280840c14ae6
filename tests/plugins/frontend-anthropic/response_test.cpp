// The response side's invariants: ids, usage arithmetic, block event order.
#include <gtest/gtest.h>

#include <regex>

#include "fakes.hpp"
#include "ids.hpp"
#include "message_renderer.hpp"
#include "response_assembler.hpp"
#include "stream_renderer.hpp"

namespace llmp::plugins::anthropic {
namespace {

TEST(Ids, MintedIdsHavePrefixAnd24HexDigitsAndDiffer) {
  std::string a = mintId("toolu");
  std::string b = mintId("toolu");
  EXPECT_TRUE(std::regex_match(a, std::regex("toolu_[0-9a-f]{24}"))) << a;
  EXPECT_NE(a, b);
  EXPECT_TRUE(std::regex_match(mintId("msg"), std::regex("msg_[0-9a-f]{24}")));
}

TEST(Usage, InputExcludesCachedTokensAndOutputIncludesThoughts) {
  Usage u = usageFromIr(Json::parse(R"({"promptTokenCount":100,"cachedContentTokenCount":60,
      "candidatesTokenCount":7,"thoughtsTokenCount":50,"totalTokenCount":157})"));
  EXPECT_EQ(u.inputTokens, 40);
  EXPECT_EQ(u.cacheReadTokens, 60);
  EXPECT_EQ(u.outputTokens, 57);
  EXPECT_EQ(usageJson(u),
            Json::parse(R"({"input_tokens":40,"output_tokens":57,"cache_creation_input_tokens":0,
                            "cache_read_input_tokens":60})"));
}

TEST(StreamRenderer, BlockIndicesIncreaseAndEveryStartIsStopped) {
  StreamRenderer renderer("msg_1", "m");
  std::string text;
  text += renderer.onChunk(Json::parse(R"({"candidates":[{"content":{"parts":[
      {"text":"a","thought":true},{"text":"b"},{"functionCall":{"name":"f","args":{}}},
      {"text":"c","thought":true},{"text":"d"}]}}]})"));
  text += renderer.onChunk(Json::parse(
      R"({"candidates":[{"content":{"parts":[{"text":"e"}]},"finishReason":"STOP"}]})"));
  Outcome outcome;
  text += renderer.finish(&outcome);
  ASSERT_TRUE(outcome.ok);
  EXPECT_EQ(outcome.stopReason, "tool_use");

  auto events = testing::parseSse(text);
  ASSERT_GE(events.size(), 3u);
  EXPECT_EQ(events.front().first, "message_start");
  EXPECT_EQ(events[events.size() - 2].first, "message_delta");
  EXPECT_EQ(events.back().first, "message_stop");
  int expectedIndex = 0;
  int open = -1;
  std::vector<std::string> kinds;
  for (const auto& [name, data] : events) {
    if (name == "content_block_start") {
      ASSERT_EQ(open, -1) << "a block started before the previous one stopped";
      EXPECT_EQ(data["index"], expectedIndex);
      open = expectedIndex;
      kinds.push_back(data["content_block"]["type"]);
    } else if (name == "content_block_delta") {
      EXPECT_EQ(data["index"], open);
    } else if (name == "content_block_stop") {
      EXPECT_EQ(data["index"], open);
      open = -1;
      ++expectedIndex;
    }
  }
  EXPECT_EQ(open, -1);
  // "d" and "e" are one text block: a new block starts only when the part kind changes.
  EXPECT_EQ(kinds, (std::vector<std::string>{"thinking", "text", "tool_use", "thinking", "text"}));
}

// Accumulates streamed content-block events into Message content the way the Anthropic SDKs do,
// from the wire JSON alone.
class WireAccumulator {
 public:
  void apply(const Json& event) {
    const std::string type = event.at("type");
    if (type == "content_block_start") {
      content_.push_back(event.at("content_block"));
      partialJson_.clear();
    } else if (type == "content_block_delta") {
      const Json& delta = event.at("delta");
      Json& block = content_.back();
      const std::string kind = delta.at("type");
      if (kind == "text_delta") {
        block["text"] = block["text"].get<std::string>() + delta.at("text").get<std::string>();
      } else if (kind == "thinking_delta") {
        block["thinking"] =
            block["thinking"].get<std::string>() + delta.at("thinking").get<std::string>();
      } else if (kind == "signature_delta") {
        block["signature"] = delta.at("signature");
      } else if (kind == "input_json_delta") {
        partialJson_ += delta.at("partial_json").get<std::string>();
      }
    } else if (type == "content_block_stop" && content_.back()["type"] == "tool_use") {
      content_.back()["input"] = Json::parse(partialJson_.empty() ? "{}" : partialJson_);
    }
  }
  const Json& content() const { return content_; }

 private:
  Json content_ = Json::array();
  std::string partialJson_;
};

TEST(MessageRenderer, NonStreamingContentEqualsTheAccumulatedStream) {
  std::vector<Json> chunks = {
      Json::parse(R"({"candidates":[{"content":{"parts":[{"text":"x","thought":true},
          {"functionCall":{"name":"f","args":{"a":[1,2]}},"thoughtSignature":"s1"}]}}]})"),
      Json::parse(R"({"candidates":[{"content":{"parts":[]},"finishReason":"STOP"}]})")};
  int next = 0;
  auto mint = [&next] { return "toolu_fixed" + std::to_string(++next); };
  RenderedMessage rendered = renderMessage(chunks, "msg_x", "m", mint);
  ASSERT_TRUE(rendered.outcome.ok);

  WireAccumulator accumulator;
  StreamRenderer renderer("msg_x", "m", [] { return std::string("toolu_fixed1"); });
  std::string text;
  for (const auto& c : chunks) {
    text += renderer.onChunk(c);
  }
  Outcome outcome;
  text += renderer.finish(&outcome);
  for (const auto& [name, data] : testing::parseSse(text)) {
    if (name.rfind("content_block_", 0) == 0) {
      accumulator.apply(data);
    }
  }
  EXPECT_EQ(rendered.message["content"], accumulator.content());
  EXPECT_EQ(rendered.message["content"][0]["signature"], "s1");
  EXPECT_EQ(rendered.message["content"][1]["input"], Json::parse(R"({"a":[1,2]})"));
}

}  // namespace
}  // namespace llmp::plugins::anthropic
