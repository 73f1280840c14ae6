// The paths that skip the DOM (plain_request.hpp, answer_scan.hpp, StreamRenderer::onChunkText)
// must write exactly what the DOM paths write, and must give up on anything outside their shape. Every body and answer here,
// and every golden input, goes through both and the bytes are compared.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "answer_scan.hpp"
#include "completion_accumulator.hpp"
#include "plain_request.hpp"
#include "request.hpp"
#include "response.hpp"
#include "stream.hpp"
#include "test_support.hpp"

namespace llmp::plugins::frontend_openai::testing {
namespace {

namespace fs = std::filesystem;

std::vector<Json> goldenInputs(const char* kind) {
  std::vector<Json> out;
  for (const auto& entry : fs::directory_iterator(fs::path(LLMP_OPENAI_GOLDEN_DIR) / kind)) {
    std::ifstream in(entry.path());
    std::stringstream ss;
    ss << in.rdbuf();
    out.push_back(Json::parse(ss.str())["input"]);
  }
  return out;
}

// Both request paths on `body`; returns whether the plain path took it.
bool sameRequest(const std::string& body) {
  SCOPED_TRACE(body);
  std::optional<PlainRequest> plain = translatePlainRequest(body);
  if (!plain) {
    return false;
  }
  FakeServices services;
  TranslatedRequest dom = translateRequest(Json::parse(body), services);
  EXPECT_EQ(plain->ir, dumpJson(dom.ir));
  EXPECT_EQ(plain->model, dom.model);
  EXPECT_EQ(plain->stream, dom.stream);
  EXPECT_EQ(plain->includeUsage, dom.includeUsage);
  EXPECT_FALSE(dom.logprobs);
  EXPECT_TRUE(services.logs.empty());
  return true;
}

TEST(PlainRequest, WritesTheIrTranslateRequestWrites) {
  const char* taken[] = {
      // bench/lua/openai.lua
      R"({"model":"gemini-2.5-flash","messages":[{"role":"system","content":"You are terse."},{"role":"user","content":"Say hello to the benchmark in one short sentence, please."}],"temperature":0.2,"max_tokens":64})",
      R"({"model":"m","messages":[{"role":"user","content":"hi"}]})",
      R"({"messages":[{"content":"hi","role":"user"}],"model":"m"})",
      // consecutive roles merge; empty texts add nothing; system anywhere joins the instruction
      R"({"model":"m","messages":[{"role":"user","content":"a"},{"role":"user","content":""},
          {"role":"user","content":"b"},{"role":"system","content":"s1"},
          {"role":"assistant","content":"c"},{"role":"assistant","content":"d"},
          {"role":"developer","content":""},{"role":"developer","content":"s2"},
          {"role":"assistant","content":""},{"role":"user","content":"e"}]})",
      R"({"model":"m","messages":[{"role":"system","content":"only a system message"}]})",
      R"({"model":"m","messages":[{"role":"user","content":""}]})",
      R"({"model":"m","messages":[{"role":"assistant","content":"first"},{"role":"user","content":"x"}]})",
      // escapes, control characters, non-ASCII
      R"({"model":"m\u00e9","messages":[{"role":"user","content":"h\u00e9llo \"q\" \\ \n\t\u0001 \ud83d\ude00 /"}]})",
      // every parameter, integers where decimals go, decimals with many digits
      R"({"model":"m","messages":[{"role":"user","content":"x"}],"temperature":1,"top_p":0.95,
          "top_k":40,"max_tokens":64,"max_completion_tokens":100,"n":2,"seed":-7,
          "presence_penalty":0.1234567890123,"frequency_penalty":-0.5,"stream":true,
          "stream_options":{"include_usage":true}})",
      R"({"model":"m","messages":[{"role":"user","content":"x"}],"seed":9223372036854775807,
          "max_tokens":2147483647,"top_k":1000000,"n":128,"temperature":1e300,"top_p":0})",
      R"({"model":"m","messages":[{"role":"user","content":"x"}],"stream":false,"stream_options":{}})",
      R"({"model":"m","messages":[{"role":"user","content":"x"}],"max_tokens":5})",
      R"({"model":"m","messages":[{"role":"user","content":"x"}],"seed":-9223372036854775808})",
  };
  for (const char* body : taken) {
    EXPECT_TRUE(sameRequest(body)) << body;
  }
}

TEST(PlainRequest, GivesUpOutsideItsShape) {
  const char* left[] = {
      R"({"model":"m","messages":[{"role":"user","content":"x"}],"temperature":null})",
      R"({"model":"m","messages":[{"role":"user","content":"x"}],"user":"u"})",
      R"({"model":"m","model":"n","messages":[{"role":"user","content":"x"}]})",
      R"({"model":"m","messages":[{"role":"user","content":"x","content":"y"}]})",
      R"({"model":"m","messages":[{"role":"user","content":"x"}],"max_tokens":64.0})",
      R"({"model":"m","messages":[{"role":"user","content":"x"}],"max_tokens":0})",
      R"({"model":"m","messages":[{"role":"user","content":"x"}],"n":129})",
      R"({"model":"m","messages":[{"role":"user","content":"x"}],"seed":9223372036854775808})",
      R"({"model":"m","messages":[{"role":"user","content":"x"}],"temperature":"hot"})",
      R"({"model":"m","messages":[{"role":"user","content":"x"}],"stream":1})",
      R"({"model":"m","messages":[{"role":"user","content":"x"}],"stream_options":{"x":1}})",
      R"({"model":"m","messages":[{"role":"user","content":"x"}],"logprobs":true})",
      R"({"model":"m","messages":[{"role":"user","content":[{"type":"text","text":"x"}]}]})",
      R"({"model":"m","messages":[{"role":"user","content":"x","name":"bob"}]})",
      R"({"model":"m","messages":[{"role":"tool","content":"x","tool_call_id":"c"}]})",
      R"({"model":"m","messages":[{"role":"wizard","content":"x"}]})",
      R"({"model":"m","messages":[{"role":"assistant"}]})",
      R"({"model":"m","messages":[{"content":"x"}]})",
      R"({"model":"m","messages":[]})",
      R"({"model":"m","messages":["x"]})",
      R"({"model":"","messages":[{"role":"user","content":"x"}]})",
      R"({"messages":[{"role":"user","content":"x"}]})",
      R"({"model":"m"})",
      R"([{"model":"m"}])",
      R"({"model":"m","messages":[{"role":"user","content":"x"}]} trailing)",
      R"({"model":"m","messages":[{"role":"user","content":"x"})",
      "",
  };
  for (const char* body : left) {
    EXPECT_FALSE(translatePlainRequest(body)) << body;
  }
}

// Each golden row shows one feature, so few (today none) are plain; should one become plain, it
// is checked against the DOM path here.
TEST(PlainRequest, GoldenInputsMatchWhereTaken) {
  for (const Json& input : goldenInputs("request")) {
    sameRequest(dumpJson(input));
  }
}

ResponseMeta meta() { return {"chatcmpl-000000000000000000000001", kNow, "gemini-x"}; }

// Both answer paths on one chunk; returns whether the scan took it.
bool sameAnswer(const std::string& chunk) {
  SCOPED_TRACE(chunk);
  std::optional<ScannedAnswer> scanned = scanAnswer(chunk);
  if (!scanned) {
    return false;
  }
  FakeServices services;
  CompletionResult dom = renderCompletion(Json::parse(chunk), meta(), {}, services);
  CompletionResult plain = renderScannedAnswer(*scanned, meta());
  EXPECT_EQ(plain.body, dom.body);
  EXPECT_EQ(plain.error.has_value(), dom.error.has_value());
  if (plain.error && dom.error) {
    EXPECT_EQ(dumpJson(errorJson(*plain.error)), dumpJson(errorJson(*dom.error)));
    EXPECT_EQ(plain.error->httpStatus, dom.error->httpStatus);
  }
  EXPECT_TRUE(services.kv.empty());
  return true;
}

TEST(AnswerScan, WritesTheCompletionRenderCompletionWrites) {
  const char* taken[] = {
      // tests/fakes' generateContent answer
      R"({"candidates":[{"content":{"parts":[{"text":"echo: hi"}],"role":"model"},"finishReason":"STOP","index":0}],"usageMetadata":{"promptTokenCount":3,"candidatesTokenCount":2,"totalTokenCount":5},"modelVersion":"m","responseId":"r"})",
      // thoughts, signatures, ratings, details and other members it passes over
      R"({"responseId":"r","candidates":[{"index":0,"safetyRatings":[{"category":"X","probability":"NEGLIGIBLE","blocked":false}],
          "avgLogprobs":-0.5,"logprobsResult":{"chosenCandidates":[]},"citationMetadata":{"citations":[{"startIndex":1}]},
          "content":{"role":"model","parts":[{"text":"plan ","thought":true},{"text":"more","thought":true,"thoughtSignature":"c2ln"},
          {"text":"Answer: "},{"text":"","thought":false},{"text":"h\u00e9 \"q\"\n"},{"inlineData":{"mimeType":"image/png","data":"AA=="}}]},
          "finishReason":"STOP"}],
          "usageMetadata":{"promptTokenCount":10,"toolUsePromptTokenCount":2,"thoughtsTokenCount":7,"candidatesTokenCount":4,
          "totalTokenCount":1,"cachedContentTokenCount":3,"promptTokensDetails":[{"modality":"TEXT","tokenCount":10}],"trafficType":"ON_DEMAND"},
          "modelVersion":"gemini-2.5-flash","createTime":"2026-01-01T00:00:00Z"})",
      // no index: the position; two candidates; no usage
      R"({"candidates":[{"content":{"parts":[{"text":"a"}]},"finishReason":"STOP"},{"content":{"parts":[{"text":"b"}]},"index":5}]})",
      // length, content filter, an unknown reason, no finish reason
      R"({"candidates":[{"content":{"parts":[{"text":"cut"}]},"finishReason":"MAX_TOKENS"}]})",
      R"({"candidates":[{"content":{"parts":[]},"finishReason":"MAX_TOKENS"}]})",
      R"({"candidates":[{"finishReason":"SAFETY"}]})",
      R"({"candidates":[{"content":{"parts":[{"text":"x"}]},"finishReason":"OTHER"}]})",
      R"({"candidates":[{"content":{"parts":[{"text":"x"}]}}]})",
      // nothing usable: the empty-response error, also after a good candidate
      R"({"candidates":[{"content":{"parts":[{"text":""}]},"finishReason":"STOP"}]})",
      R"({"candidates":[{"content":{"parts":[{"text":"only thought","thought":true}]},"finishReason":"STOP"}]})",
      R"({"candidates":[{"content":{"parts":[{"text":"ok"}]}},{"content":{},"finishReason":"STOP"}]})",
      R"({"candidates":[{}]})",
      R"({"candidates":[{"content":{"parts":[{"text":"x"}]}}],"usageMetadata":{"promptTokenCount":-4,"totalTokenCount":9223372036854775807}})",
  };
  for (const char* chunk : taken) {
    EXPECT_TRUE(sameAnswer(chunk)) << chunk;
  }
}

TEST(AnswerScan, GivesUpOutsideItsShape) {
  const char* left[] = {
      R"({"candidates":[{"content":{"parts":[{"functionCall":{"name":"f","args":{}}}]}}]})",
      R"({"candidates":[{"content":{"parts":[{"text":"x"}]}}],"promptFeedback":{"blockReason":"SAFETY"}})",
      R"({"candidates":[{"content":{"parts":[{"text":"x"}]},"finishReason":"MALFORMED_FUNCTION_CALL"}]})",
      R"({"candidates":[{"content":{"parts":[{"text":"x"}]},"finishReason":"UNEXPECTED_TOOL_CALL"}]})",
      R"({"candidates":[{"content":{"parts":[{"text":"x"}]},"finishReason":null}]})",
      R"({"candidates":[{"content":{"parts":[{"text":"x"}]},"finishReason":7}]})",
      R"({"candidates":[{"content":{"parts":[{"text":"x"}]},"index":1.0}]})",
      R"({"candidates":[{"content":{"parts":[{"text":"x"}]},"index":"1"}]})",
      R"({"candidates":[{"content":{"parts":[{"text":"x","thought":"yes"}]}}]})",
      R"({"candidates":[{"content":{"parts":[{"text":7}]}}]})",
      R"({"candidates":[{"content":{"parts":[{"text":"x","text":"y"}]}}]})",
      R"({"candidates":[{"content":{"parts":["x"]}}]})",
      R"({"candidates":[{"content":{"parts":{"text":"x"}}}]})",
      R"({"candidates":[{"content":[]}]})",
      R"({"candidates":["x"]})",
      R"({"candidates":{}})",
      R"({"candidates":[]})",
      R"({"usageMetadata":{"promptTokenCount":1}})",
      R"({"candidates":[{"content":{"parts":[{"text":"x"}]}}],"candidates":[]})",
      R"({"candidates":[{"content":{"parts":[{"text":"x"}]}}],"usageMetadata":{"promptTokenCount":1.5}})",
      R"({"candidates":[{"content":{"parts":[{"text":"x"}]}}],"usageMetadata":{"promptTokenCount":"1"}})",
      R"({"candidates":[{"content":{"parts":[{"text":"x"}]}}],"usageMetadata":{"totalTokenCount":9223372036854775808}})",
      R"({"candidates":[{"content":{"parts":[{"text":"x"}]}}],"usageMetadata":[]})",
      R"({"candidates":[{"content":{"parts":[{"text":"x"}]}}]} x)",
      R"({"candidates":[{"content":{"parts":[{"text":"x"}]}})",
      R"([])",
      "",
  };
  for (const char* chunk : left) {
    EXPECT_FALSE(scanAnswer(chunk)) << chunk;
  }
}

TEST(AnswerScan, GoldenInputsMatchWhereTaken) {
  int taken = 0;
  for (const Json& input : goldenInputs("response")) {
    taken += sameAnswer(dumpJson(input)) ? 1 : 0;
  }
  EXPECT_GT(taken, 0);
}

// The accumulator against what the handler did before it: every valid chunk parsed, the first
// kept, the others merged into it, the result rendered from the DOM.
void sameAccumulation(const std::vector<std::string>& chunks, ResponseOptions options = {}) {
  FakeServices domServices;
  std::optional<Json> dom;
  for (const std::string& chunk : chunks) {
    std::optional<Json> parsed = parseJson(chunk);
    if (!parsed) {
      continue;
    }
    if (!dom) {
      dom = std::move(*parsed);
    } else {
      mergeChunk(*dom, *parsed);
    }
  }
  CompletionAccumulator accumulator(options);
  for (const std::string& chunk : chunks) {
    accumulator.add(chunk);
  }
  ASSERT_EQ(accumulator.empty(), !dom.has_value());
  if (!dom) {
    return;
  }
  FakeServices services;
  CompletionResult expected = renderCompletion(*dom, meta(), options, domServices);
  CompletionResult actual = accumulator.render(meta(), options, services);
  EXPECT_EQ(actual.body, expected.body);
  ASSERT_EQ(actual.error.has_value(), expected.error.has_value());
  if (actual.error) {
    EXPECT_EQ(dumpJson(errorJson(*actual.error)), dumpJson(errorJson(*expected.error)));
  }
  EXPECT_EQ(services.kv, domServices.kv);
}

TEST(CompletionAccumulator, RendersWhatTheDomPathRenders) {
  const std::string plain =
      R"({"candidates":[{"content":{"parts":[{"text":"Hello"}],"role":"model"},"index":0}],"usageMetadata":{"promptTokenCount":3}})";
  const std::string last =
      R"({"candidates":[{"content":{"parts":[{"text":" world"}],"role":"model"},"finishReason":"STOP","index":0}],"usageMetadata":{"promptTokenCount":3,"candidatesTokenCount":2}})";
  const std::string call =
      R"({"candidates":[{"content":{"parts":[{"functionCall":{"id":"c1","name":"f","args":{"a":1}},"thoughtSignature":"c2ln"}]},"finishReason":"STOP"}]})";
  const std::string logprobs =
      R"({"candidates":[{"content":{"parts":[{"text":"x"}]},"logprobsResult":{"chosenCandidates":[{"token":"x","logProbability":-0.5}],"topCandidates":[]}}]})";
  sameAccumulation({plain});
  sameAccumulation({plain, last});
  sameAccumulation({plain, "{broken", last});
  sameAccumulation({"{broken", plain});
  sameAccumulation({plain, "{broken"});
  sameAccumulation({call});
  sameAccumulation({plain, call});
  sameAccumulation({call, plain});
  sameAccumulation({logprobs}, ResponseOptions{true, false});
  sameAccumulation({logprobs});
  sameAccumulation({"{broken"});
  sameAccumulation({});
}

// A stream through StreamRenderer::onChunkText (the handler's path) against the path before it:
// every valid chunk parsed and given to onChunk. Returns how many chunks were rendered from a
// scan, without a DOM.
int sameStream(const std::vector<std::string>& chunks, ResponseOptions options = {}) {
  FakeServices scanServices;
  FakeServices domServices;
  StreamRenderer viaText(meta(), options, scanServices);
  StreamRenderer viaDom(meta(), options, domServices);
  std::string textSse;
  std::string domSse;
  std::optional<ApiError> textError;
  std::optional<ApiError> domError;
  auto take = [](StreamRenderer::Output out, std::string& sse, std::optional<ApiError>& error) {
    sse += out.sse;
    if (out.error && !error) {
      error = std::move(out.error);
    }
  };
  int scanned = 0;
  for (const std::string& chunk : chunks) {
    SCOPED_TRACE(chunk);
    if (std::optional<ScannedAnswer> s = scanAnswer(chunk);
        s && viaText.takesScanned(*s) && !viaText.done()) {
      ++scanned;
    }
    take(viaText.onChunkText(chunk), textSse, textError);
    if (std::optional<Json> parsed = parseJson(chunk)) {
      take(viaDom.onChunk(*parsed), domSse, domError);
    }
    EXPECT_EQ(textSse, domSse);
  }
  take(viaText.finish(), textSse, textError);
  take(viaDom.finish(), domSse, domError);
  EXPECT_EQ(textSse, domSse);
  EXPECT_EQ(viaText.done(), viaDom.done());
  EXPECT_EQ(textError.has_value(), domError.has_value());
  if (textError && domError) {
    EXPECT_EQ(dumpJson(errorJson(*textError)), dumpJson(errorJson(*domError)));
  }
  EXPECT_EQ(scanServices.kv, domServices.kv);
  return scanned;
}

std::string textChunk(const std::string& parts, const std::string& rest = "") {
  return R"({"candidates":[{"content":{"role":"model","parts":[)" + parts + R"(]})" + rest +
         R"(}],"modelVersion":"gemini-2.5-flash","responseId":"r"})";
}

TEST(StreamScan, RendersWhatOnChunkRenders) {
  const std::string hello = textChunk(R"({"text":"Hel"})");
  const std::string lo = textChunk(R"({"text":"lo \u00e9 \"q\"\n"})");
  const std::string stop = textChunk(R"({"text":"!"})", R"(,"finishReason":"STOP","index":0)");
  const std::string usage =
      R"(,"usageMetadata":{"promptTokenCount":8,"candidatesTokenCount":3,"thoughtsTokenCount":2,"totalTokenCount":13,"cachedContentTokenCount":1})";
  const std::string stopWithUsage =
      R"({"candidates":[{"content":{"parts":[{"text":"!"}]},"finishReason":"STOP"}])" + usage + "}";
  const std::string thought = textChunk(R"({"text":"hmm","thought":true,"thoughtSignature":"c2ln"})");
  const std::string emptyPart = textChunk(R"({"text":""})");
  const std::string thoughtAndText = textChunk(R"({"text":"hmm","thought":true},{"text":"yes"})");
  const std::string twoTexts = textChunk(R"({"text":"a"},{"text":"b"})");
  const std::string call =
      R"({"candidates":[{"content":{"parts":[{"functionCall":{"name":"f","args":{"a":1}}}]}}]})";
  const std::string maxTokens = textChunk(R"({"text":"cut"})", R"(,"finishReason":"MAX_TOKENS")");
  const std::string safety = R"({"candidates":[{"finishReason":"SAFETY"}]})";
  const std::string stopEmpty = textChunk(R"({"text":""})", R"(,"finishReason":"STOP")");
  const std::string twoCandidates =
      R"({"candidates":[{"index":0,"content":{"parts":[{"text":"a"}]}},{"index":1,"content":{"parts":[{"text":"b"}]},"finishReason":"STOP"}]})";
  const std::string usageOnly = R"({"usageMetadata":{"promptTokenCount":5,"totalTokenCount":5}})";
  const std::string blocked = R"({"promptFeedback":{"blockReason":"SAFETY"}})";

  EXPECT_EQ(sameStream({hello, lo, stop}), 3);
  EXPECT_EQ(sameStream({hello, lo, stopWithUsage}, {false, true}), 3);
  EXPECT_EQ(sameStream({hello, stopWithUsage, hello}, {false, true}), 3);  // a finished choice takes no more
  EXPECT_EQ(sameStream({thought, thought, hello, stop}), 4);
  EXPECT_EQ(sameStream({emptyPart, hello, emptyPart, stop}), 4);
  EXPECT_EQ(sameStream({thoughtAndText, stop}), 1);  // two parts in one chunk: the DOM
  EXPECT_EQ(sameStream({twoTexts, stop}), 1);
  EXPECT_EQ(sameStream({hello, call, lo, stop}), 3);
  EXPECT_EQ(sameStream({maxTokens}), 1);
  EXPECT_EQ(sameStream({hello, safety}), 2);
  EXPECT_EQ(sameStream({stopEmpty}), 1);            // nothing answered: the error
  EXPECT_EQ(sameStream({thought, stopEmpty}), 2);  // reasoning alone: the error
  EXPECT_EQ(sameStream({twoCandidates, stop}), 2);
  EXPECT_EQ(sameStream({hello, usageOnly, stop}, {false, true}), 2);
  EXPECT_EQ(sameStream({blocked}), 0);
  EXPECT_EQ(sameStream({hello, "{broken", stop}), 2);
  EXPECT_EQ(sameStream({hello, stop}, {true, false}), 0);  // logprobs: always the DOM
  EXPECT_EQ(sameStream({hello}), 1);                        // no finishReason: closed by finish
  EXPECT_EQ(sameStream({}), 0);
}

TEST(StreamScan, GoldenStreamsMatch) {
  int scanned = 0;
  for (const auto& entry : fs::directory_iterator(fs::path(LLMP_OPENAI_GOLDEN_DIR) / "stream")) {
    SCOPED_TRACE(entry.path().string());
    std::ifstream in(entry.path());
    std::stringstream ss;
    ss << in.rdbuf();
    Json golden = Json::parse(ss.str());
    Json o = golden.value("options", Json::object());
    std::vector<std::string> chunks;
    for (const Json& chunk : golden["input"]) {
      chunks.push_back(dumpJson(chunk));
    }
    scanned += sameStream(chunks, {o.value("logprobs", false), o.value("include_usage", false)});
  }
  EXPECT_GT(scanned, 0);
}

}  // namespace
}  // namespace llmp::plugins::frontend_openai::testing
