// Router errors and host errors in Google's shape; upstream Google errors kept verbatim.
#include <gtest/gtest.h>

#include <llmp/cpp/json.hpp>

#include "fakes.hpp"
#include "google_error.hpp"
#include "handler.hpp"

namespace fg = llmp::plugins::frontend_gemini;
using gemini_test::FakeResponder;
using gemini_test::FakeRouter;
using gemini_test::readGolden;
using gemini_test::Request;
using llmp::Json;

namespace {

const std::string kBody = R"({"contents":[{"role":"user","parts":[{"text":"hi"}]}]})";

void generate(FakeRouter& router, FakeResponder& out) {
  Request req("POST", "/v1beta/models/gemini-2.5-pro:generateContent", kBody);
  llmp_responder responder = out.responder();
  llmp_router r = router.router();
  ASSERT_EQ(fg::handleRequest(req.get(), responder, r), LLMP_OK);
}

}  // namespace

TEST(GeminiErrors, EachRouterErrorMapsToGoogleStatus) {
  struct Case {
    llmp_status code;
    int32_t http;
    int expectHttp;
    std::string expectStatus;
  };
  std::vector<Case> cases = {
      {LLMP_E_INVALID, 0, 400, "INVALID_ARGUMENT"},
      {LLMP_E_AUTH, 0, 401, "UNAUTHENTICATED"},
      {LLMP_E_FORBIDDEN, 0, 403, "PERMISSION_DENIED"},
      {LLMP_E_NOT_FOUND, 0, 404, "NOT_FOUND"},
      {LLMP_E_RATE_LIMITED, 0, 429, "RESOURCE_EXHAUSTED"},
      {LLMP_E_INTERNAL, 0, 500, "INTERNAL"},
      {LLMP_E_UNSUPPORTED, 0, 501, "UNIMPLEMENTED"},
      {LLMP_E_UPSTREAM_HTTP, 0, 502, "UNAVAILABLE"},
      {LLMP_E_UNAVAILABLE, 0, 503, "UNAVAILABLE"},
      {LLMP_E_TIMEOUT, 0, 504, "DEADLINE_EXCEEDED"},
      {LLMP_E_UPSTREAM_HTTP, 403, 403, "PERMISSION_DENIED"},
      {LLMP_E_UPSTREAM_HTTP, 400, 400, "INVALID_ARGUMENT"},
      {LLMP_E_UPSTREAM_HTTP, 500, 500, "INTERNAL"},
      {LLMP_E_UPSTREAM_HTTP, 200, 500, "INTERNAL"},  // a nonsense status never reads as success
  };
  for (const Case& c : cases) {
    FakeRouter router;
    router.failWith(c.code, c.http, "it failed: details");
    FakeResponder out;
    generate(router, out);
    EXPECT_EQ(out.status, c.expectHttp) << c.code;
    std::optional<Json> body = llmp::parseJson(out.body);
    ASSERT_TRUE(body.has_value());
    EXPECT_EQ((*body)["error"]["code"], c.expectHttp);
    EXPECT_EQ((*body)["error"]["status"], c.expectStatus) << c.code;
    EXPECT_EQ((*body)["error"]["message"], "it failed: details");
    EXPECT_NE(out.header("content-type").find("application/json"), std::string::npos);
    EXPECT_FALSE(out.hasHeader("retry-after"));
  }
}

TEST(GeminiErrors, RateLimitCarriesRetryInfoAndRetryAfter) {
  FakeRouter router;
  router.failWith(LLMP_E_RATE_LIMITED, 429, "Resource has been exhausted", "", 34000);
  FakeResponder out;
  generate(router, out);
  EXPECT_EQ(out.status, 429);
  EXPECT_EQ(out.header("retry-after"), "34");
  Json error = (*llmp::parseJson(out.body))["error"];
  ASSERT_EQ(error["details"].size(), 1u);
  EXPECT_EQ(error["details"][0]["@type"], "type.googleapis.com/google.rpc.RetryInfo");
  EXPECT_EQ(error["details"][0]["retryDelay"], "34s");

  // Unknown delay: no header, no RetryInfo.
  FakeRouter unknown;
  unknown.failWith(LLMP_E_RATE_LIMITED, 429, "slow down");
  FakeResponder out2;
  generate(unknown, out2);
  EXPECT_FALSE(out2.hasHeader("retry-after"));
  EXPECT_FALSE((*llmp::parseJson(out2.body))["error"].contains("details"));
}

TEST(GeminiErrors, UpstreamGoogleErrorIsPassedThroughVerbatim) {
  std::string upstream = readGolden("upstream_429.json");
  FakeRouter router;
  router.failWith(LLMP_E_RATE_LIMITED, 429, "rate limited by upstream", upstream, 34000);
  FakeResponder out;
  generate(router, out);
  EXPECT_EQ(out.status, 429);
  EXPECT_EQ(out.body, upstream);  // byte for byte: QuotaFailure and all
  EXPECT_EQ(out.header("retry-after"), "34");

  // Any status, e.g. a 400 with a BadRequest detail.
  std::string bad =
      R"({"error":{"code":400,"message":"* GenerateContentRequest.generation_config.thinking_config.thinking_level: unsupported","status":"INVALID_ARGUMENT","details":[{"@type":"type.googleapis.com/google.rpc.BadRequest","fieldViolations":[{"field":"x"}]}]}})";
  FakeRouter r2;
  r2.failWith(LLMP_E_UPSTREAM_HTTP, 400, "upstream said 400", bad);
  FakeResponder out2;
  generate(r2, out2);
  EXPECT_EQ(out2.status, 400);
  EXPECT_EQ(out2.body, bad);
}

TEST(GeminiErrors, NonGoogleUpstreamBodiesAreWrapped) {
  for (std::string body : {std::string("<html>Bad Gateway</html>"),
                           std::string(R"({"error":{"message":"openai style","type":"x"}})"),
                           std::string(R"({"error":"flat"})")}) {
    FakeRouter router;
    router.failWith(LLMP_E_UPSTREAM_HTTP, 502, "upstream returned 502", body);
    FakeResponder out;
    generate(router, out);
    EXPECT_EQ(out.status, 502);
    Json error = (*llmp::parseJson(out.body))["error"];
    EXPECT_EQ(error["status"], "UNAVAILABLE");
    EXPECT_EQ(error["message"], "upstream returned 502");
  }
}

TEST(GeminiErrors, ArrayWrappedGoogleErrorIsUnwrapped) {
  std::string upstream = R"([{"error":{"code":503,"message":"The model is overloaded.","status":"UNAVAILABLE"}}])";
  llmp::ErrorRecord err;
  err.code = LLMP_E_UNAVAILABLE;
  err.httpStatus = 503;
  err.body = upstream;
  fg::RenderedError r = fg::renderRouterError(err);
  EXPECT_TRUE(r.passedThrough);
  EXPECT_EQ(*llmp::parseJson(r.body), (*llmp::parseJson(upstream))[0]);
}

TEST(GeminiErrors, HostErrorsRenderInGoogleShape) {
  struct Case {
    llmp_status code;
    int32_t http;
    int expectHttp;
    std::string expectStatus;
  };
  std::vector<Case> cases = {{LLMP_E_AUTH, 401, 401, "UNAUTHENTICATED"},
                             {LLMP_E_AUTH, 0, 401, "UNAUTHENTICATED"},
                             {LLMP_E_NOT_FOUND, 404, 404, "NOT_FOUND"},
                             {LLMP_E_INVALID, 413, 413, "FAILED_PRECONDITION"},
                             {LLMP_E_FORBIDDEN, 0, 403, "PERMISSION_DENIED"}};
  for (const Case& c : cases) {
    FakeResponder out;
    llmp_responder responder = out.responder();
    ASSERT_EQ(fg::renderHostError(responder, c.code, c.http, "API key not valid."), LLMP_OK);
    EXPECT_EQ(out.status, c.expectHttp);
    Json error = (*llmp::parseJson(out.body))["error"];
    EXPECT_EQ(error["code"], c.expectHttp);
    EXPECT_EQ(error["status"], c.expectStatus);
    EXPECT_EQ(error["message"], "API key not valid.");
  }
}

TEST(GeminiErrors, RetryDelayFormatting) {
  EXPECT_EQ(fg::retryDelayText(34000), "34s");
  EXPECT_EQ(fg::retryDelayText(1500), "1.5s");
  EXPECT_EQ(fg::retryDelayText(250), "0.25s");
  EXPECT_EQ(fg::retryDelayText(1), "0.001s");
  EXPECT_EQ(fg::retryAfterSeconds(1), "1");
  EXPECT_EQ(fg::retryAfterSeconds(2000), "2");
  EXPECT_EQ(fg::retryAfterSeconds(2001), "3");
  EXPECT_EQ(fg::retryAfterSeconds(0), "0");
}
