// Request validation: a bad body is a 400 naming the parameter; what the translator drops is said.
#include <gtest/gtest.h>

#include <llmp/host.h>

#include "errors.hpp"
#include "request.hpp"
#include "test_support.hpp"

namespace llmp::plugins::frontend_openai::testing {
namespace {

std::string paramOf(const char* body) {
  FakeServices services;
  try {
    translateRequest(Json::parse(body), services);
  } catch (const RequestError& e) {
    EXPECT_FALSE(std::string(e.what()).empty());
    return e.param();
  }
  return "<accepted>";
}

TEST(Request, MissingOrMistypedTopLevelFieldsNameTheParam) {
  EXPECT_EQ(paramOf(R"({"messages":[{"role":"user","content":"hi"}]})"), "model");
  EXPECT_EQ(paramOf(R"({"model":7,"messages":[{"role":"user","content":"hi"}]})"), "model");
  EXPECT_EQ(paramOf(R"({"model":"m"})"), "messages");
  EXPECT_EQ(paramOf(R"({"model":"m","messages":{"role":"user"}})"), "messages");
  EXPECT_EQ(paramOf(R"({"model":"m","messages":[]})"), "messages");
  const char* base = R"({"model":"m","messages":[{"role":"user","content":"hi"}],)";
  auto with = [&](const char* extra) { return paramOf((std::string(base) + extra + "}").c_str()); };
  EXPECT_EQ(with(R"("temperature":"hot")"), "temperature");
  EXPECT_EQ(with(R"("top_p":[1])"), "top_p");
  EXPECT_EQ(with(R"("max_tokens":1.5)"), "max_tokens");
  EXPECT_EQ(with(R"("max_completion_tokens":0)"), "max_completion_tokens");
  EXPECT_EQ(with(R"("n":"2")"), "n");
  EXPECT_EQ(with(R"("stop":5)"), "stop");
  EXPECT_EQ(with(R"("stop":["a",1])"), "stop[1]");
  EXPECT_EQ(with(R"("stream":"yes")"), "stream");
  EXPECT_EQ(with(R"("stream_options":{"include_usage":1})"), "stream_options.include_usage");
  EXPECT_EQ(with(R"("top_logprobs":21)"), "top_logprobs");
  EXPECT_EQ(with(R"("response_format":{"type":"xml"})"), "response_format.type");
  EXPECT_EQ(with(R"("response_format":"json")"), "response_format");
  EXPECT_EQ(with(R"("reasoning_effort":"extreme")"), "reasoning_effort");
  EXPECT_EQ(with(R"("tools":{})"), "tools");
  EXPECT_EQ(with(R"("tools":[{"type":"function"}])"), "tools[0].function");
  EXPECT_EQ(with(R"("tools":[{"type":"custom","custom":{"name":"x"}}])"), "tools[0].type");
  EXPECT_EQ(with(R"("tool_choice":"sometimes")"), "tool_choice");
  EXPECT_EQ(with(R"("gemini_safety_settings":{"a":1})"), "gemini_safety_settings");
  EXPECT_EQ(with(R"("gemini_cached_content":5)"), "gemini_cached_content");
  EXPECT_EQ(with(R"("temperature":null,"seed":null)"), "<accepted>");
}

TEST(Request, BadMessagesNameTheirPath) {
  EXPECT_EQ(paramOf(R"({"model":"m","messages":["hi"]})"), "messages[0]");
  EXPECT_EQ(paramOf(R"({"model":"m","messages":[{"content":"hi"}]})"), "messages[0].role");
  EXPECT_EQ(paramOf(R"({"model":"m","messages":[{"role":"wizard","content":"hi"}]})"),
            "messages[0].role");
  EXPECT_EQ(paramOf(R"({"model":"m","messages":[{"role":"user","content":5}]})"),
            "messages[0].content");
  EXPECT_EQ(paramOf(R"({"model":"m","messages":[{"role":"user","content":[{"type":"video"}]}]})"),
            "messages[0].content[0].type");
  EXPECT_EQ(paramOf(R"({"model":"m","messages":[{"role":"user","content":[
              {"type":"image_url","image_url":{"url":"ftp://x/y.png"}}]}]})"),
            "messages[0].content[0].image_url.url");
  EXPECT_EQ(paramOf(R"({"model":"m","messages":[{"role":"user","content":[
              {"type":"image_url","image_url":{"url":"data:image/png;base64,@@@"}}]}]})"),
            "messages[0].content[0].image_url.url");
  EXPECT_EQ(paramOf(R"({"model":"m","messages":[{"role":"user","content":"a"},
              {"role":"assistant","tool_calls":[{"id":"c","type":"function",
               "function":{"name":"f","arguments":"{not json"}}]}]})"),
            "messages[1].tool_calls[0].function.arguments");
  EXPECT_EQ(paramOf(R"({"model":"m","messages":[{"role":"tool","content":"x"}]})"),
            "messages[0].tool_call_id");
  EXPECT_EQ(paramOf(R"({"model":"m","messages":[{"role":"tool","tool_call_id":"nope","content":"x"}]})"),
            "messages[0].tool_call_id");
}

TEST(Request, StreamFlagsAndModelAreReported) {
  FakeServices services;
  TranslatedRequest out = translateRequest(
      Json::parse(R"({"model":"gemini:gemini-2.5-pro?temperature=0.2","stream":true,
                      "stream_options":{"include_usage":true},"logprobs":true,
                      "messages":[{"role":"user","content":"hi"}]})"),
      services);
  EXPECT_EQ(out.model, "gemini:gemini-2.5-pro?temperature=0.2");
  EXPECT_TRUE(out.stream);
  EXPECT_TRUE(out.includeUsage);
  EXPECT_TRUE(out.logprobs);
}

TEST(Request, LogitBiasAndUserAreDroppedWithAWarning) {
  FakeServices services;
  TranslatedRequest out = translateRequest(
      Json::parse(R"({"model":"m","logit_bias":{"1":5},"user":"me",
                      "messages":[{"role":"user","content":"hi"}]})"),
      services);
  EXPECT_EQ(out.dropped, (std::vector<std::string>{"logit_bias", "user"}));
  ASSERT_EQ(services.logs.size(), 2u);
  EXPECT_EQ(services.logs[0].first, LLMP_LOG_WARN);
  EXPECT_NE(services.logs[0].second.find("logit_bias"), std::string::npos);
  EXPECT_EQ(services.logs[1].second.find("me"), std::string::npos) << "no user value in logs";
}

TEST(Request, NonObjectArgumentsAndLegacyFunctionsStillTranslate) {
  FakeServices services;
  TranslatedRequest out = translateRequest(
      Json::parse(R"({"model":"m","functions":[{"name":"f","parameters":{"type":"object",
        "properties":{"a":{"type":"string"}}}}],"function_call":{"name":"f"},
        "messages":[{"role":"user","content":"x"},
        {"role":"assistant","content":null,"function_call":{"name":"f","arguments":"[1]"}},
        {"role":"function","name":"f","content":"ok"}]})"),
      services);
  EXPECT_EQ(out.ir["tools"][0]["functionDeclarations"][0]["name"], "f");
  EXPECT_EQ(out.ir["toolConfig"]["functionCallingConfig"]["allowedFunctionNames"][0], "f");
  EXPECT_EQ(out.ir["contents"][1]["parts"][0]["functionCall"]["args"], Json::parse(R"({"value":[1]})"));
  EXPECT_EQ(out.ir["contents"][2]["parts"][0]["functionResponse"]["response"],
            Json::parse(R"({"result":"ok"})"));
}

}  // namespace
}  // namespace llmp::plugins::frontend_openai::testing
