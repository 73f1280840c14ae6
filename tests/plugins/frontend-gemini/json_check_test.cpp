#include <gtest/gtest.h>

#include <llmp/cpp/json.hpp>

#include "fakes.hpp"
#include "json_check.hpp"

namespace fg = llmp::plugins::frontend_gemini;

namespace {

const char* kMinimal = R"({"contents":[{"role":"user","parts":[{"text":"hi"}]}]})";

std::string rejected(const std::string& body) {
  fg::CheckResult r = fg::checkGenerateRequest(body);
  EXPECT_FALSE(r.ok) << body;
  return r.message;
}

}  // namespace

TEST(GeminiJsonCheck, AcceptsValidBodies) {
  EXPECT_TRUE(fg::checkGenerateRequest(kMinimal).ok);
  EXPECT_TRUE(fg::checkGenerateRequest(gemini_test::readGolden("request_gemini_cli.json")).ok);
  EXPECT_TRUE(fg::checkGenerateRequest(
                  " \r\n{\"contents\":[{\"parts\":[{\"text\":\"\\u00e9\\\"\\\\\\/\\b\\f\\n\\r\\t\"}]}],"
                  "\"systemInstruction\":null,\"generationConfig\":{},\"x\":[1,-0.5e+3,0,true,null]}\n")
                  .ok);
  // Raw UTF-8 of every length.
  EXPECT_TRUE(fg::checkGenerateRequest(
                  "{\"contents\":[{\"parts\":[{\"text\":\"caf\xC3\xA9 \xE2\x82\xAC \xF0\x9F\x98\x80\"}]}]}")
                  .ok);
  // Keys spelled with escapes still count.
  EXPECT_TRUE(fg::checkGenerateRequest(R"({"\u0063ontents":[{"parts":[]}]})").ok);
}

TEST(GeminiJsonCheck, MalformedJsonIsRejected) {
  using namespace std::string_literals;
  const std::vector<std::string> bad = {
      "",
      "   ",
      "{",
      R"({"contents":[{"parts":[{"text":"hi"}]}])",
      R"({"contents":[{"parts":[{"text":"hi"}]}]} trailing)",
      R"({"contents":[{"parts":[{"text":"hi"}]}],})",
      R"({"contents":[{"parts":[{"text":"hi",}]}]})",
      R"({'contents':[]})",
      R"({"contents":[{"parts":[{"text":"bad \x escape"}]}]})",
      R"({"contents":[{"parts":[{"text":"\ud800 lone"}]}]})",
      R"({"contents":[{"parts":[{"text":"\udc00 lone"}]}]})",
      R"({"contents":[{"parts":[{"text":"\u12"}]}]})",
      R"({"contents":[{"parts":[{"n":01}]}]})",
      R"({"contents":[{"parts":[{"n":1.}]}]})",
      R"({"contents":[{"parts":[{"n":-}]}]})",
      R"({"contents":[{"parts":[{"n":1e}]}]})",
      R"({"contents":[{"parts":[{"b":tru}]}]})",
      R"({"contents":[{"parts":[{"b":NaN}]}]})",
      "{\"contents\":[{\"parts\":[{\"text\":\"raw\nnewline\"}]}]}",
      "{\"contents\":[{\"parts\":[{\"text\":\"bad \xC3\x28 utf8\"}]}]}",
      "{\"contents\":[{\"parts\":[{\"text\":\"overlong \xC0\xAF\"}]}]}",
      "{\"contents\":[{\"parts\":[{\"text\":\"surrogate \xED\xA0\x80\"}]}]}",
      "{\"contents\":[{\"parts\":[{\"text\":\"truncated \xF0\x9F\x98\"}]}]}",
      "{\"contents\":[{\"parts\":[{\"text\":\"unterminated}]}]}",
      "{\"contents\":[{\"parts\":[{\"text\":\"nul \0 byte\"}]}]}"s,
  };
  for (const std::string& body : bad) {
    std::string message = rejected(body);
    EXPECT_NE(message.find("Invalid JSON payload received"), std::string::npos)
        << body << " -> " << message;
  }
  // Whatever the checker accepts, a strict JSON parser accepts too (and the reverse for these).
  for (const std::string& body : bad) {
    if (body.find("contents") != std::string::npos && llmp::parseJson(body)) {
      ADD_FAILURE() << "nlohmann accepts a body the checker rejected: " << body;
    }
  }
}

TEST(GeminiJsonCheck, NestingIsBounded) {
  std::string deep = R"({"contents":[{"parts":[{"x":)" + std::string(100000, '[') +
                     std::string(100000, ']') + "}]}]}";
  std::string message = rejected(deep);
  EXPECT_NE(message.find("Nesting too deep"), std::string::npos) << message;
}

TEST(GeminiJsonCheck, MissingOrMistypedFieldsAreNamed) {
  EXPECT_NE(rejected(R"({})").find("contents is not specified"), std::string::npos);
  EXPECT_NE(rejected(R"({"contents":[]})").find("contents is not specified"), std::string::npos);
  EXPECT_NE(rejected(R"({"contents":null})").find("contents is not specified"),
            std::string::npos);
  EXPECT_NE(rejected(R"({"contents":"hi"})").find("'contents'"), std::string::npos);
  EXPECT_NE(rejected(R"({"contents":{"parts":[]}})").find("'contents'"), std::string::npos);
  EXPECT_NE(rejected(R"({"contents":["hi"]})").find("'contents[0]'"), std::string::npos);
  EXPECT_NE(rejected(R"({"contents":[{"parts":[]},{"role":1}]})").find("'contents[1].role'"),
            std::string::npos);
  EXPECT_NE(rejected(R"({"contents":[{"parts":"hi"}]})").find("'contents[0].parts'"),
            std::string::npos);
  EXPECT_NE(rejected(R"({"contents":[{"parts":[{},"x"]}]})").find("'contents[0].parts[1]'"),
            std::string::npos);
  EXPECT_NE(rejected(R"({"contents":[{"parts":[]}],"generationConfig":[]})")
                .find("'generationConfig'"),
            std::string::npos);
  EXPECT_NE(rejected(R"({"contents":[{"parts":[]}],"tools":{}})").find("'tools'"),
            std::string::npos);
  EXPECT_NE(rejected(R"({"contents":[{"parts":[]}],"systemInstruction":"be terse"})")
                .find("'systemInstruction'"),
            std::string::npos);
  EXPECT_NE(rejected(R"({"contents":[{"parts":[]}],"systemInstruction":{"parts":{}}})")
                .find("'systemInstruction.parts'"),
            std::string::npos);
  EXPECT_NE(rejected(R"({"contents":[{"parts":[]}],"safetySettings":{}})")
                .find("'safetySettings'"),
            std::string::npos);
  EXPECT_NE(rejected(R"({"contents":[{"parts":[]}],"toolConfig":true})").find("'toolConfig'"),
            std::string::npos);
  EXPECT_NE(rejected(R"({"contents":[{"parts":[]}],"cachedContent":5})")
                .find("'cachedContent'"),
            std::string::npos);
  EXPECT_NE(rejected(R"([{"contents":[]}])").find("GenerateContentRequest object"),
            std::string::npos);
}

TEST(GeminiJsonCheck, CountTokensForms) {
  std::string_view ir;
  std::string plain = R"({"contents":[{"role":"user","parts":[{"text":"hi"}]}]})";
  ASSERT_TRUE(fg::checkCountTokensRequest(plain, &ir).ok);
  EXPECT_EQ(ir, plain);

  std::string inner =
      R"({ "model" : "models/gemini-2.5-pro", "contents":[{"parts":[{"text":"hi"}]}], "tools":[{"googleSearch":{}}] })";
  std::string wrapped = "{\"generateContentRequest\" :  " + inner + "  }";
  ASSERT_TRUE(fg::checkCountTokensRequest(wrapped, &ir).ok);
  EXPECT_EQ(ir, inner);  // the exact inner bytes, not a re-serialization

  fg::CheckResult both = fg::checkCountTokensRequest(
      "{\"contents\":[],\"generateContentRequest\":" + inner + "}", &ir);
  EXPECT_FALSE(both.ok);
  EXPECT_NE(both.message.find("mutually exclusive"), std::string::npos);

  fg::CheckResult neither = fg::checkCountTokensRequest("{}", &ir);
  EXPECT_FALSE(neither.ok);
  EXPECT_NE(neither.message.find("contents"), std::string::npos);

  fg::CheckResult innerBad =
      fg::checkCountTokensRequest(R"({"generateContentRequest":{"contents":"x"}})", &ir);
  EXPECT_FALSE(innerBad.ok);
  EXPECT_NE(innerBad.message.find("'generateContentRequest.contents'"), std::string::npos);

  EXPECT_FALSE(fg::checkCountTokensRequest("[1]", &ir).ok);
  EXPECT_FALSE(fg::checkCountTokensRequest("{\"contents\":[", &ir).ok);
}

// The hand-written checker agrees with a strict parser on syntax: random byte mutations of a
// rich body are rejected by the checker whenever nlohmann rejects them, and a syntax complaint
// ("... at byte N.") from the checker always means nlohmann rejects the text too.
TEST(GeminiJsonCheck, AgreesWithAStrictParserOnMutatedBodies) {
  std::string base = gemini_test::readGolden("request_gemini_cli.json");
  const char alphabet[] = "{}[]\":,\\ nu0-1.eE\x01\x80\xC3\xA9\xED\xF0tfa";
  uint64_t state = 0x9E3779B97F4A7C15ULL;
  auto next = [&state]() {
    state ^= state << 13;
    state ^= state >> 7;
    state ^= state << 17;
    return state;
  };
  int syntaxRejects = 0;
  for (int round = 0; round < 4000; ++round) {
    std::string body = base;
    int edits = 1 + static_cast<int>(next() % 3);
    for (int e = 0; e < edits; ++e) {
      size_t pos = next() % body.size();
      char c = alphabet[next() % (sizeof(alphabet) - 1)];
      switch (next() % 3) {
        case 0: body[pos] = c; break;
        case 1: body.insert(pos, 1, c); break;
        default: body.erase(pos, 1); break;
      }
    }
    fg::CheckResult r = fg::checkGenerateRequest(body);
    bool strictOk = llmp::parseJson(body).has_value();
    if (!strictOk) {
      ASSERT_FALSE(r.ok) << "accepted malformed JSON: " << body;
    }
    if (!r.ok && r.message.find(" at byte ") != std::string::npos) {
      ++syntaxRejects;
      ASSERT_FALSE(strictOk) << r.message << "\n" << body;
    }
  }
  EXPECT_GT(syntaxRejects, 1000);  // the mutations really exercised the syntax checks
}
