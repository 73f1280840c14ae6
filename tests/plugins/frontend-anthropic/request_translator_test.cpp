// Request translation rules beyond the golden rows: the parts a client would notice first.
#include <gtest/gtest.h>

#include "errors.hpp"
#include "request_translator.hpp"

namespace llmp::plugins::anthropic {
namespace {

Json minimal() {
  return Json::parse(R"({"model":"gemini-2.5-flash","max_tokens":64,
                         "messages":[{"role":"user","content":"Hi"}]})");
}

std::string errorOf(const Json& body, RequestKind kind = RequestKind::Messages) {
  try {
    translateRequest(body, kind);
  } catch (const RequestError& e) {
    return e.what();
  }
  return "";
}

TEST(RequestTranslator, ModelSelectorIsPassedThroughUntouched) {
  Json body = minimal();
  body["model"] = "mock:mock-1|gemini:gemini-2.5-flash?temperature=0.2";
  EXPECT_EQ(translateRequest(body, RequestKind::Messages).model,
            "mock:mock-1|gemini:gemini-2.5-flash?temperature=0.2");
}

TEST(RequestTranslator, ThinkingIsLeftToTheModelUnlessTheClientSaysSo) {
  Json ir = translateRequest(minimal(), RequestKind::Messages).ir;
  EXPECT_FALSE(ir["generationConfig"].contains("thinkingConfig"));
}

TEST(RequestTranslator, CountTokensNeedsNoMaxTokensAndIgnoresStream) {
  Json body = minimal();
  body.erase("max_tokens");
  body["stream"] = true;
  TranslatedRequest t = translateRequest(body, RequestKind::CountTokens);
  EXPECT_FALSE(t.stream);
  EXPECT_FALSE(t.ir.contains("generationConfig"));
  EXPECT_EQ(errorOf(body), "max_tokens: field required");
}

TEST(RequestTranslator, ErrorsNameTheNestedField) {
  Json body = minimal();
  body["messages"].push_back({{"role", "assistant"},
                              {"content", Json::array({{{"type", "tool_use"}, {"id", "t1"}}})}});
  EXPECT_EQ(errorOf(body), "messages.1.content.0.name: field required");
  body = minimal();
  body["stop_sequences"] = Json::array({"ok", 3});
  EXPECT_EQ(errorOf(body), "stop_sequences.1: must be a string");
  body = minimal();
  body["max_tokens"] = 0;
  EXPECT_EQ(errorOf(body), "max_tokens: must be at least 1");
  body = minimal();
  body["thinking"] = {{"type", "enabled"}};
  EXPECT_EQ(errorOf(body), "thinking.budget_tokens: field required");
}

TEST(RequestTranslator, ToolResultOfAnEarlierTurnFindsItsName) {
  // The name comes from the tool_use with the same id, however far back it was.
  Json body = Json::parse(R"({"model":"m","max_tokens":5,"messages":[
    {"role":"user","content":"go"},
    {"role":"assistant","content":[{"type":"tool_use","id":"toolu_1","name":"grep","input":{}}]},
    {"role":"user","content":"wait"},
    {"role":"assistant","content":"ok"},
    {"role":"user","content":[{"type":"tool_result","tool_use_id":"toolu_1","content":"3 hits"}]}]})");
  Json ir = translateRequest(body, RequestKind::Messages).ir;
  const Json& part = ir["contents"].back()["parts"][0];
  EXPECT_EQ(part["functionResponse"]["name"], "grep");
  EXPECT_EQ(part["functionResponse"]["id"], "toolu_1");
  EXPECT_EQ(part["functionResponse"]["response"], Json({{"result", "3 hits"}}));
}

TEST(RequestTranslator, UnknownBlockTypesAreReportedNotSentUpstream) {
  Json body = minimal();
  body["messages"][0]["content"] =
      Json::array({{{"type", "search_result"}, {"source", "x"}}, {{"type", "text"}, {"text", "q"}}});
  Json ir = translateRequest(body, RequestKind::Messages).ir;
  EXPECT_EQ(ir["contents"][0]["parts"], Json::array({{{"text", "q"}}}));
  EXPECT_EQ(ir["llmpDroppedFields"], Json::array({"messages.0.content.0 (search_result)"}));
}

}  // namespace
}  // namespace llmp::plugins::anthropic
