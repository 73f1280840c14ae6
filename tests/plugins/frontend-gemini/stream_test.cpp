// streamGenerateContent: SSE framing (?alt=sse) and the incremental JSON array (no alt).
#include <gtest/gtest.h>

#include <llmp/cpp/json.hpp>
#include <llmp/cpp/sse.hpp>

#include "fakes.hpp"
#include "handler.hpp"
#include "stream_renderer.hpp"

namespace fg = llmp::plugins::frontend_gemini;
using gemini_test::FakeResponder;
using gemini_test::FakeRouter;
using gemini_test::readGolden;
using gemini_test::Request;

namespace {

const std::string kBody = R"({"contents":[{"role":"user","parts":[{"text":"hi"}]}]})";
const std::string kPath = "/v1beta/models/gemini-2.5-flash:streamGenerateContent";

llmp_status run(Request& req, FakeRouter& router, FakeResponder& out) {
  llmp_responder responder = out.responder();
  llmp_router r = router.router();
  return fg::handleRequest(req.get(), responder, r);
}

// What @google/genai does with an SSE body: split on blank lines, keep "data:" events; it
// throws on a non-blank remainder ("Incomplete JSON segment at the end").
std::vector<std::string> genaiEvents(const std::string& body, bool* complete) {
  std::vector<std::string> events;
  size_t pos = 0;
  while (true) {
    size_t end = body.find("\n\n", pos);
    if (end == std::string::npos) {
      break;
    }
    std::string event = body.substr(pos, end - pos);
    if (event.rfind("data:", 0) == 0) {
      events.push_back(event.substr(event[5] == ' ' ? 6 : 5));
    }
    pos = end + 2;
  }
  *complete = body.find_first_not_of(" \r\n\t", pos) == std::string::npos;
  return events;
}

}  // namespace

TEST(GeminiStreamSse, ChunksAreFramedUnchangedWithATrailingBlankLine) {
  std::string c1 = readGolden("response_chunk_1.json");
  std::string c2 = readGolden("response_chunk_2.json");
  // The golden files end with a newline; the backend's chunks are the JSON without it.
  c1.pop_back();
  c2.pop_back();
  FakeRouter router;
  router.events = {{LLMP_EVENT_ROUTED, R"({"backend":"gemini","model":"gemini-2.5-flash"})"},
                   {LLMP_EVENT_CHUNK, c1},
                   {LLMP_EVENT_KEEPALIVE, ""},
                   {LLMP_EVENT_PROGRESS, R"({"text":"tool"})"},
                   {LLMP_EVENT_CHUNK, c2}};
  FakeResponder out;
  Request req("POST", kPath, readGolden("request_gemini_cli.json"), "alt=sse");
  ASSERT_EQ(run(req, router, out), LLMP_OK);

  EXPECT_EQ(router.flags, LLMP_GENERATE_STREAM);
  EXPECT_EQ(router.ir, readGolden("request_gemini_cli.json"));
  EXPECT_EQ(out.sendCalls, 0);
  EXPECT_EQ(out.beginCalls, 1);
  EXPECT_EQ(out.status, 200);
  EXPECT_EQ(out.header("content-type"), "text/event-stream");
  EXPECT_EQ(out.header("cache-control"), "no-cache");
  EXPECT_EQ(out.body, "data: " + c1 + "\n\n: keepalive\n\ndata: " + c2 + "\n\n");
  // One write per event, so each one is flushed as it comes.
  ASSERT_EQ(out.writes.size(), 3u);

  bool complete = false;
  std::vector<std::string> events = genaiEvents(out.body, &complete);
  EXPECT_TRUE(complete);
  ASSERT_EQ(events.size(), 2u);
  EXPECT_EQ(events[0], c1);
  EXPECT_EQ(events[1], c2);

  // The SDK's own SSE parser agrees.
  llmp::SseParser parser;
  std::vector<std::string> parsed;
  parser.feed(out.body, [&](std::string_view, std::string_view data) {
    parsed.emplace_back(data);
    return true;
  });
  EXPECT_EQ(parsed, (std::vector<std::string>{c1, c2}));
}

TEST(GeminiStreamSse, PrettyPrintedChunksBecomeOneDataLine) {
  std::string pretty = "{\n  \"candidates\": [\r\n    {\"index\": 0}\n  ]\n}";
  FakeRouter router;
  router.events = {{LLMP_EVENT_CHUNK, pretty}};
  FakeResponder out;
  Request req("POST", kPath, kBody, "alt=sse");
  ASSERT_EQ(run(req, router, out), LLMP_OK);
  EXPECT_EQ(out.body, "data: {  \"candidates\": [    {\"index\": 0}  ]}\n\n");
  std::optional<llmp::Json> value = llmp::parseJson(out.body.substr(6));
  ASSERT_TRUE(value.has_value());
  EXPECT_EQ(*value, *llmp::parseJson(pretty));
}

TEST(GeminiStreamSse, KeepaliveBeforeTheFirstChunkBeginsTheStream) {
  FakeRouter router;
  router.events = {{LLMP_EVENT_KEEPALIVE, ""}};
  FakeResponder out;
  Request req("POST", kPath, kBody, "alt=sse");
  ASSERT_EQ(run(req, router, out), LLMP_OK);
  EXPECT_EQ(out.beginCalls, 1);
  EXPECT_EQ(out.body, ": keepalive\n\n");
}

TEST(GeminiStreamSse, ErrorBeforeOutputGetsItsHttpStatus) {
  FakeRouter router;
  router.events = {{LLMP_EVENT_ROUTED, R"({"backend":"gemini","model":"m"})"}};
  router.failWith(LLMP_E_RATE_LIMITED, 429, "quota exhausted", "", 2500);
  FakeResponder out;
  Request req("POST", kPath, kBody, "alt=sse");
  ASSERT_EQ(run(req, router, out), LLMP_OK);
  EXPECT_EQ(out.beginCalls, 0);
  EXPECT_EQ(out.status, 429);
  EXPECT_EQ(out.header("retry-after"), "3");
  llmp::Json error = (*llmp::parseJson(out.body))["error"];
  EXPECT_EQ(error["status"], "RESOURCE_EXHAUSTED");
  EXPECT_EQ(error["details"][0]["retryDelay"], "2.5s");
}

TEST(GeminiStreamSse, ErrorAfterOutputBecomesAnErrorEvent) {
  std::string c1 = R"({"candidates":[{"content":{"role":"model","parts":[{"text":"Hel"}]},"index":0}]})";
  FakeRouter router;
  router.events = {{LLMP_EVENT_CHUNK, c1}};
  router.failWith(LLMP_E_UNAVAILABLE, 503, "upstream connection reset");
  FakeResponder out;
  Request req("POST", kPath, kBody, "alt=sse");
  ASSERT_EQ(run(req, router, out), LLMP_OK);
  EXPECT_EQ(out.status, 200);
  bool complete = false;
  std::vector<std::string> events = genaiEvents(out.body, &complete);
  EXPECT_TRUE(complete);
  ASSERT_EQ(events.size(), 2u);
  EXPECT_EQ(events[0], c1);
  llmp::Json error = (*llmp::parseJson(events[1]))["error"];
  // @google/genai throws ApiError for {"error":{"code":400..599}} in a stream.
  EXPECT_EQ(error["code"], 503);
  EXPECT_EQ(error["status"], "UNAVAILABLE");
  EXPECT_EQ(error["message"], "upstream connection reset");
}

TEST(GeminiStreamSse, UpstreamGoogleErrorMidStreamIsPassedOn) {
  std::string upstream = readGolden("upstream_429.json");
  FakeRouter router;
  router.events = {{LLMP_EVENT_CHUNK, R"({"candidates":[]})"}};
  router.failWith(LLMP_E_RATE_LIMITED, 429, "rate limited", upstream, 34000);
  FakeResponder out;
  Request req("POST", kPath, kBody, "alt=sse");
  ASSERT_EQ(run(req, router, out), LLMP_OK);
  bool complete = false;
  std::vector<std::string> events = genaiEvents(out.body, &complete);
  EXPECT_TRUE(complete);
  ASSERT_EQ(events.size(), 2u);
  // Same JSON value, every detail kept (only line breaks were dropped to fit one data line).
  EXPECT_EQ(*llmp::parseJson(events[1]), *llmp::parseJson(upstream));
  EXPECT_EQ(events[1].find('\n'), std::string::npos);
}

TEST(GeminiStreamSse, ClientGoneStopsTheBackend) {
  FakeRouter router;
  for (int i = 0; i < 5; ++i) {
    router.events.push_back({LLMP_EVENT_CHUNK, R"({"candidates":[]})"});
  }
  FakeResponder out;
  out.cancelFromWrite = 1;
  Request req("POST", kPath, kBody, "alt=sse");
  EXPECT_EQ(run(req, router, out), LLMP_E_CANCELLED);
  ASSERT_EQ(router.emitResults.size(), 2u);
  EXPECT_EQ(router.emitResults[0], LLMP_OK);
  EXPECT_EQ(router.emitResults[1], LLMP_E_CANCELLED);
  EXPECT_EQ(out.writes.size(), 1u);
}

TEST(GeminiStreamArray, WithoutAltSseTheAnswerIsOneJsonArray) {
  std::string c1 = R"({"candidates":[{"content":{"parts":[{"text":"a"}]},"index":0}]})";
  std::string c2 = R"({"candidates":[{"content":{"parts":[{"text":"b"}]},"finishReason":"STOP","index":0}]})";
  FakeRouter router;
  router.events = {{LLMP_EVENT_CHUNK, c1}, {LLMP_EVENT_KEEPALIVE, ""}, {LLMP_EVENT_CHUNK, c2}};
  FakeResponder out;
  Request req("POST", kPath, kBody, "key=abc");
  ASSERT_EQ(run(req, router, out), LLMP_OK);
  EXPECT_EQ(out.header("content-type"), "application/json; charset=UTF-8");
  EXPECT_EQ(out.body, "[" + c1 + "\n,\r\n" + c2 + "]");
  // Written incrementally: "[c1", keep-alive whitespace, ",\r\nc2", "]".
  EXPECT_EQ(out.writes.size(), 4u);
  std::optional<llmp::Json> array = llmp::parseJson(out.body);
  ASSERT_TRUE(array.has_value());
  ASSERT_EQ(array->size(), 2u);
  EXPECT_EQ((*array)[1], *llmp::parseJson(c2));
}

TEST(GeminiStreamArray, EmptyStreamIsAnEmptyArray) {
  FakeRouter router;
  FakeResponder out;
  Request req("POST", kPath, kBody, "alt=json");
  ASSERT_EQ(run(req, router, out), LLMP_OK);
  EXPECT_EQ(out.status, 200);
  EXPECT_EQ(out.body, "[]");
}

TEST(GeminiStreamArray, ErrorAfterOutputIsTheLastElement) {
  std::string c1 = R"({"candidates":[]})";
  FakeRouter router;
  router.events = {{LLMP_EVENT_CHUNK, c1}};
  router.failWith(LLMP_E_TIMEOUT, 0, "idle timeout");
  FakeResponder out;
  Request req("POST", kPath, kBody);
  ASSERT_EQ(run(req, router, out), LLMP_OK);
  std::optional<llmp::Json> array = llmp::parseJson(out.body);
  ASSERT_TRUE(array.has_value()) << out.body;
  ASSERT_EQ(array->size(), 2u);
  EXPECT_EQ((*array)[1]["error"]["code"], 504);
  EXPECT_EQ((*array)[1]["error"]["status"], "DEADLINE_EXCEEDED");
}

TEST(GeminiStreamRenderer, KeepaliveThenErrorStillFormsAnArray) {
  fg::StreamRenderer r(fg::StreamRenderer::Mode::JsonArray);
  std::string out;
  r.keepalive(out);
  r.error(R"({"error":{"code":500}})", out);
  r.finish(out);  // no effect after the error closed the array
  EXPECT_EQ(out, "\n[{\"error\":{\"code\":500}}]");
  EXPECT_TRUE(llmp::parseJson(out).has_value());
}
