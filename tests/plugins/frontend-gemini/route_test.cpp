#include <gtest/gtest.h>

#include <llmp/frontend.h>

#include "route.hpp"

namespace fg = llmp::plugins::frontend_gemini;
using fg::Action;

namespace {

int32_t score(const std::string& method, const std::string& path, const std::string& query = {},
              const std::vector<std::pair<std::string, std::string>>& headers = {}) {
  std::vector<llmp_header> h;
  for (const auto& [k, v] : headers) {
    h.push_back(llmp_header{{k.data(), k.size()}, {v.data(), v.size()}});
  }
  return fg::matchScore(method, path, query, h.data(), h.size());
}

}  // namespace

TEST(GeminiRoute, GenerateOnV1BetaAndV1) {
  fg::Route r = fg::parseRoute("POST", "/v1beta/models/gemini-2.5-pro:generateContent");
  EXPECT_EQ(r.action, Action::Generate);
  EXPECT_EQ(r.model, "gemini-2.5-pro");
  EXPECT_EQ(r.version, "v1beta");

  r = fg::parseRoute("POST", "/v1/models/gemini-2.5-flash:streamGenerateContent");
  EXPECT_EQ(r.action, Action::StreamGenerate);
  EXPECT_EQ(r.model, "gemini-2.5-flash");
  EXPECT_EQ(r.version, "v1");

  r = fg::parseRoute("POST", "/v1beta/models/gemini-2.5-flash:countTokens");
  EXPECT_EQ(r.action, Action::CountTokens);
}

TEST(GeminiRoute, BackendSelectorKeepsItsColon) {
  fg::Route r = fg::parseRoute("POST", "/v1beta/models/gemini:gemini-2.5-pro:generateContent");
  EXPECT_EQ(r.action, Action::Generate);
  EXPECT_EQ(r.model, "gemini:gemini-2.5-pro");

  r = fg::parseRoute("POST", "/v1beta/models/mock:mock-1|gemini:gemini-2.5-flash:streamGenerateContent");
  EXPECT_EQ(r.action, Action::StreamGenerate);
  EXPECT_EQ(r.model, "mock:mock-1|gemini:gemini-2.5-flash");
}

TEST(GeminiRoute, PercentEncodedSelectorsAreDecoded) {
  fg::Route r = fg::parseRoute(
      "POST", "/v1beta/models/gemini%3Agemini-2.5-pro%3Ftemperature%3D0.2:generateContent");
  EXPECT_EQ(r.action, Action::Generate);
  EXPECT_EQ(r.model, "gemini:gemini-2.5-pro?temperature=0.2");

  // Even the method's colon may be encoded: the method is after the last ':' once decoded.
  r = fg::parseRoute("POST", "/v1/models/gemini-2.5-pro%3fx%3D1%3AstreamGenerateContent");
  EXPECT_EQ(r.action, Action::StreamGenerate);
  EXPECT_EQ(r.model, "gemini-2.5-pro?x=1");
}

TEST(GeminiRoute, LeadingModelsPrefixIsStripped) {
  fg::Route r = fg::parseRoute("POST", "/v1beta/models/models%2Fgemini-2.5-pro:generateContent");
  EXPECT_EQ(r.action, Action::Generate);
  EXPECT_EQ(r.model, "gemini-2.5-pro");

  r = fg::parseRoute("POST", "/v1beta/models/models/gemini-2.5-pro:generateContent");
  EXPECT_EQ(r.model, "gemini-2.5-pro");
}

TEST(GeminiRoute, ListAndGet) {
  EXPECT_EQ(fg::parseRoute("GET", "/v1beta/models").action, Action::List);
  EXPECT_EQ(fg::parseRoute("GET", "/v1/models/").action, Action::List);

  fg::Route r = fg::parseRoute("GET", "/v1beta/models/gemini-2.5-pro");
  EXPECT_EQ(r.action, Action::Get);
  EXPECT_EQ(r.model, "gemini-2.5-pro");

  // A prefixed id is a model name, not a method.
  r = fg::parseRoute("GET", "/v1beta/models/gemini:gemini-2.5-pro");
  EXPECT_EQ(r.action, Action::Get);
  EXPECT_EQ(r.model, "gemini:gemini-2.5-pro");

  r = fg::parseRoute("GET", "/v1beta/models/gemini%3Agemini-2.5-pro");
  EXPECT_EQ(r.action, Action::Get);
  EXPECT_EQ(r.model, "gemini:gemini-2.5-pro");
}

TEST(GeminiRoute, UnknownUnsupportedAndWrongMethods) {
  fg::Route r = fg::parseRoute("POST", "/v1beta/models/gemini-2.5-pro:fooBar");
  EXPECT_EQ(r.action, Action::UnknownMethod);
  EXPECT_EQ(r.method, "fooBar");
  EXPECT_EQ(fg::parseRoute("POST", "/v1beta/models/gemini-2.5-pro:embedContent").action,
            Action::Unsupported);
  EXPECT_EQ(fg::parseRoute("GET", "/v1beta/models/gemini-2.5-pro:generateContent").action,
            Action::WrongHttpMethod);
  EXPECT_EQ(fg::parseRoute("POST", "/v1beta/models").action, Action::WrongHttpMethod);
  EXPECT_EQ(fg::parseRoute("POST", "/v1beta/models/gemini-2.5-pro").action,
            Action::WrongHttpMethod);
  EXPECT_EQ(fg::parseRoute("POST", "/v1beta/models/:generateContent").action, Action::NotFound);
  EXPECT_EQ(fg::parseRoute("POST", "/v1beta/models/bad%zzescape:generateContent").action,
            Action::BadEscape);
  EXPECT_EQ(fg::parseRoute("POST", "/v1beta/models/trailing%4:generateContent").action,
            Action::BadEscape);
  EXPECT_EQ(fg::parseRoute("GET", "/v1beta/files").action, Action::NotFound);
  EXPECT_EQ(fg::parseRoute("GET", "/v2/models").action, Action::NotFound);
}

TEST(GeminiMatch, Scores) {
  EXPECT_EQ(score("POST", "/v1beta/models/gemini-2.5-pro:generateContent"), LLMP_MATCH_YES);
  EXPECT_EQ(score("GET", "/v1beta/models"), LLMP_MATCH_YES);
  EXPECT_EQ(score("POST", "/v1/models/gemini-2.5-pro:generateContent"), LLMP_MATCH_YES);
  EXPECT_EQ(score("POST", "/v1/models/gemini%3Agemini-2.5-pro%3AstreamGenerateContent"),
            LLMP_MATCH_YES);
  // /v1/models belongs to OpenAI unless Gemini's own key travels with it.
  EXPECT_EQ(score("GET", "/v1/models"), LLMP_MATCH_NONE);
  EXPECT_EQ(score("GET", "/v1/models/gpt-4o"), LLMP_MATCH_NONE);
  EXPECT_EQ(score("GET", "/v1/models/ft:gpt-4o:org:custom"), LLMP_MATCH_NONE);
  EXPECT_EQ(score("GET", "/v1/models", "", {{"X-Goog-Api-Key", "k"}}), LLMP_MATCH_STRONG);
  EXPECT_EQ(score("GET", "/v1/models/gemini-2.5-pro", "key=abc"), LLMP_MATCH_STRONG);
  EXPECT_EQ(score("GET", "/v1/models", "pageSize=2&key=abc"), LLMP_MATCH_STRONG);
  EXPECT_EQ(score("GET", "/v1/models", "apikey=abc"), LLMP_MATCH_NONE);
  EXPECT_EQ(score("POST", "/v1/chat/completions"), LLMP_MATCH_NONE);
  EXPECT_EQ(score("POST", "/v1/messages"), LLMP_MATCH_NONE);
  EXPECT_EQ(score("GET", "/v1beta/files/abc"), LLMP_MATCH_FALLBACK);
  EXPECT_EQ(score("GET", "/healthz"), LLMP_MATCH_NONE);
}

TEST(GeminiQuery, ParamsAndAlt) {
  EXPECT_TRUE(fg::wantsSse("alt=sse"));
  EXPECT_TRUE(fg::wantsSse("key=x&alt=sse"));
  EXPECT_TRUE(fg::wantsSse("%24alt=sse"
                           "&$alt=sse"));
  EXPECT_FALSE(fg::wantsSse(""));
  EXPECT_FALSE(fg::wantsSse("alt=json"));
  EXPECT_FALSE(fg::wantsSse("salt=sse"));
  EXPECT_EQ(fg::queryParam("pageSize=5&pageToken=a%2Bb+c", "pageToken"), "a+b c");
  EXPECT_EQ(fg::queryParam("pageSize", "pageSize"), "");
  EXPECT_FALSE(fg::queryParam("a=1", "b").has_value());
}
