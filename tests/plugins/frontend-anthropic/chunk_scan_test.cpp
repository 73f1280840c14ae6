// The chunk scan (chunk_scan.hpp) must give exactly what the DOM path gives, and must give up on
// anything outside its shape. Every sequence here goes through a renderer fed by the scan and
// one fed by DOMs, streaming and whole, and the bytes and outcomes are compared.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "chunk_scan.hpp"
#include "message_renderer.hpp"
#include "response_assembler.hpp"
#include "stream_renderer.hpp"

namespace llmp::plugins::anthropic {
namespace {

namespace fs = std::filesystem;

// Tool ids the same on both sides (the random ones would differ).
ResponseAssembler::MintToolId countingIds() {
  return [n = 0]() mutable { return "toolu_" + std::to_string(++n); };
}

void expectSameOutcome(const Outcome& scanned, const Outcome& dom) {
  EXPECT_EQ(scanned.ok, dom.ok);
  EXPECT_EQ(scanned.stopReason, dom.stopReason);
  EXPECT_EQ(scanned.error.httpStatus, dom.error.httpStatus);
  EXPECT_EQ(scanned.error.type, dom.error.type);
  EXPECT_EQ(scanned.error.message, dom.error.message);
  EXPECT_EQ(scanned.error.retryAfterMs, dom.error.retryAfterMs);
}

// Feeds `chunks` the way the handler does (onChunkText / addChunkText: scan, else DOM) and the
// way it did (DOM always), streaming and whole; returns how many chunks the scan took.
size_t compareRuns(const std::vector<std::string>& chunks) {
  StreamRenderer viaScan("msg_1", "m", countingIds());
  StreamRenderer viaDom("msg_1", "m", countingIds());
  MessageBuilder wholeViaScan(countingIds());
  MessageBuilder wholeViaDom(countingIds());
  ScannedChunk scanned;  // one for the whole sequence, as the renderers reuse theirs
  std::string scanText;
  std::string domText;
  size_t taken = 0;
  for (const std::string& chunk : chunks) {
    auto dom = parseJson(chunk);
    if (scanChunk(chunk, scanned)) {
      ++taken;
      EXPECT_TRUE(dom.has_value()) << "the scan took invalid JSON: " << chunk;
    }
    scanText += viaScan.onChunkText(chunk);
    wholeViaScan.addChunkText(chunk);
    if (dom) {
      domText += viaDom.onChunk(*dom);
      wholeViaDom.addChunk(*dom);
    }
    EXPECT_EQ(scanText, domText) << "after " << chunk;
  }
  Outcome scanOutcome;
  Outcome domOutcome;
  scanText += viaScan.finish(&scanOutcome);
  domText += viaDom.finish(&domOutcome);
  EXPECT_EQ(scanText, domText);
  expectSameOutcome(scanOutcome, domOutcome);

  RenderedMessage scanMessage = wholeViaScan.finish("msg_1", "m");
  RenderedMessage domMessage = wholeViaDom.finish("msg_1", "m");
  EXPECT_EQ(dumpJson(scanMessage.message), dumpJson(domMessage.message));
  expectSameOutcome(scanMessage.outcome, domMessage.outcome);
  return taken;
}

// A sequence every chunk of which the scan must take.
void expectTaken(const std::vector<std::string>& chunks) {
  std::string trace;
  for (const auto& chunk : chunks) {
    trace += chunk + "\n";
  }
  SCOPED_TRACE(trace);
  EXPECT_EQ(compareRuns(chunks), chunks.size());
}

std::string textChunk(const std::string& parts, const std::string& rest = "") {
  return R"({"candidates":[{"content":{"parts":[)" + parts + R"(],"role":"model"})" + rest +
         "}]}";
}

TEST(ChunkScan, PlainTextStreamsAsTheDomDoes) {
  expectTaken({textChunk(R"({"text":"Hello"})", R"(,"finishReason":"STOP","index":0)")});
  expectTaken({textChunk(R"({"text":"Hel"})"), textChunk(R"({"text":"lo"})"),
               textChunk(R"({"text":" world"})", R"(,"finishReason":"STOP")")});
  // The bench upstream's shape: usage in every chunk, the full counts in the last.
  expectTaken({
      R"({"candidates":[{"content":{"parts":[{"text":"echo: "}],"role":"model"},"index":0}],"usageMetadata":{"promptTokenCount":9,"totalTokenCount":9},"modelVersion":"gemini-2.5-flash","responseId":"fake-1"})",
      R"({"candidates":[{"content":{"parts":[{"text":"hi"}],"role":"model"},"finishReason":"STOP","index":0}],"usageMetadata":{"promptTokenCount":9,"candidatesTokenCount":2,"totalTokenCount":11},"modelVersion":"gemini-2.5-flash","responseId":"fake-1"})",
  });
  // Keys in any order.
  expectTaken({R"({"responseId":"r","usageMetadata":{"totalTokenCount":3,"promptTokenCount":1},"candidates":[{"index":0,"finishReason":"STOP","content":{"role":"model","parts":[{"text":"x"}]}}],"modelVersion":"v"})"});
}

TEST(ChunkScan, UsageAsTheDomCountsIt) {
  // Only in the last chunk (message_start then carries zeros).
  expectTaken({textChunk(R"({"text":"a"})"),
               R"({"candidates":[{"content":{"parts":[{"text":"b"}]},"finishReason":"STOP"}],"usageMetadata":{"promptTokenCount":100,"cachedContentTokenCount":60,"candidatesTokenCount":7,"thoughtsTokenCount":50,"totalTokenCount":157}})"});
  // In the first chunk (message_start carries it), then growing.
  expectTaken({
      R"({"candidates":[{"content":{"parts":[{"text":"a"}]}}],"usageMetadata":{"promptTokenCount":5}})",
      R"({"candidates":[{"content":{"parts":[{"text":"b"}]}}],"usageMetadata":{"promptTokenCount":5,"candidatesTokenCount":1}})",
      R"({"candidates":[{"content":{"parts":[{"text":"c"}]},"finishReason":"STOP"}],"usageMetadata":{"promptTokenCount":5,"candidatesTokenCount":3,"totalTokenCount":8}})",
  });
  // A later chunk without usage keeps the earlier one; cached above prompt clamps to 0;
  // negative, zero and huge counts; the details arrays are passed over.
  expectTaken({
      R"({"candidates":[{"content":{"parts":[{"text":"a"}]}}],"usageMetadata":{"promptTokenCount":5,"cachedContentTokenCount":9,"candidatesTokenCount":-2}})",
      textChunk(R"({"text":"b"})", R"(,"finishReason":"STOP")"),
  });
  expectTaken({
      R"({"candidates":[{"content":{"parts":[{"text":"a"}]},"finishReason":"STOP"}],"usageMetadata":{"promptTokenCount":9223372036854775807,"candidatesTokenCount":0,"toolUsePromptTokenCount":4,"promptTokensDetails":[{"modality":"TEXT","tokenCount":3.5}],"candidatesTokensDetails":[],"cacheTokensDetails":[{"x":null}],"toolUsePromptTokensDetails":{}}})",
  });
  // An empty usageMetadata resets the counts, as a DOM one does.
  expectTaken({
      R"({"candidates":[{"content":{"parts":[{"text":"a"}]}}],"usageMetadata":{"promptTokenCount":5}})",
      R"({"candidates":[{"content":{"parts":[{"text":"b"}]},"finishReason":"STOP"}],"usageMetadata":{}})",
  });
}

TEST(ChunkScan, ThoughtsAndSignaturesAsTheDomHandlesThem) {
  expectTaken({textChunk(R"({"text":"hmm","thought":true})"),
               textChunk(R"({"text":"more","thought":true})"),
               textChunk(R"({"text":"Answer"})", R"(,"finishReason":"STOP")")});
  // Thought and text in one chunk; thought:false is plain text.
  expectTaken({textChunk(R"({"text":"t","thought":true},{"text":"a","thought":false})",
                         R"(,"finishReason":"STOP")")});
  // A thought signature closes the thinking block; a later thought opens a new one.
  expectTaken({textChunk(R"({"text":"t1","thought":true,"thoughtSignature":"c2lnMQ=="})"),
               textChunk(R"({"text":"t2","thought":true})"),
               textChunk(R"({"thought":true,"thoughtSignature":"c2lnMg=="})"),
               textChunk(R"({"text":"a"})", R"(,"finishReason":"STOP")")});
  // A signature alone on an empty text part after the answer is dropped...
  expectTaken({textChunk(R"({"text":"a"})"),
               textChunk(R"({"text":"","thoughtSignature":"sig"})", R"(,"finishReason":"STOP")")});
  // ...but joins an unsigned thinking block that is still open.
  expectTaken({textChunk(R"({"text":"t","thought":true})"),
               textChunk(R"({"text":"","thoughtSignature":"sig"})"),
               textChunk(R"({"text":"a"})", R"(,"finishReason":"STOP")")});
  // A signature on a non-empty text part, or on a part without text, becomes its own block.
  expectTaken({textChunk(R"({"text":"a","thoughtSignature":"sig"})"),
               textChunk(R"({"thoughtSignature":"sig2"})"),
               textChunk(R"({"text":"b"})", R"(,"finishReason":"STOP")")});
  // Thought parts with nothing in them add nothing; an empty signature is none.
  expectTaken({textChunk(R"({"thought":true},{"text":"","thought":true,"thoughtSignature":""})"),
               textChunk(R"({"text":"a","thoughtSignature":""})", R"(,"finishReason":"STOP")")});
  // Nothing but thoughts: the empty-response error.
  expectTaken({textChunk(R"({"text":"t","thought":true})", R"(,"finishReason":"STOP")")});
}

TEST(ChunkScan, FinishReasonsAsTheDomMapsThem) {
  for (const char* reason : {"STOP", "MAX_TOKENS", "SAFETY", "RECITATION", "BLOCKLIST",
                             "PROHIBITED_CONTENT", "SPII", "IMAGE_SAFETY", "LANGUAGE", "OTHER",
                             "FINISH_REASON_UNSPECIFIED", "", "stop"}) {
    std::string finish = std::string(R"(,"finishReason":")") + reason + "\"";
    expectTaken({textChunk(R"({"text":"a"})", finish)});
    expectTaken({textChunk(R"({"text":""})", finish)});  // nothing visible
    expectTaken({textChunk("", finish)});
    expectTaken({textChunk(R"({"text":"a"})"), textChunk("", finish)});
  }
  // A later finishReason wins, an empty one does not reset it, none at all is fine.
  expectTaken({textChunk(R"({"text":"a"})", R"(,"finishReason":"MAX_TOKENS")"),
               textChunk(R"({"text":"b"})", R"(,"finishReason":"STOP")"),
               textChunk(R"({"text":"c"})", R"(,"finishReason":"")")});
  expectTaken({textChunk(R"({"text":"a"})")});
}

TEST(ChunkScan, TextsAndShapesAsTheDomReadsThem) {
  // Escapes, control characters, non-ASCII, surrogate pairs, JSON-looking text.
  expectTaken({textChunk(R"({"text":"h\u00e9llo \"q\" \\ \/ \n\t\r\b\f \u0001 \ud83d\ude00 é 日本"})"),
               textChunk(R"({"text":"{\"a\":[1,2]} </script> \u2028"})", R"(,"finishReason":"STOP")")});
  // Empty text parts, empty parts arrays, content without parts, a candidate without content.
  expectTaken({textChunk(R"({"text":""},{"text":"a"},{"text":""})"), textChunk(""),
               R"({"candidates":[{"content":{"role":"model"}}]})",
               R"({"candidates":[{"content":{}}]})", R"({"candidates":[{"index":0}]})",
               R"({"candidates":[{"finishReason":"STOP"}]})"});
  // Only empty texts: the empty-response error with the finishReason.
  expectTaken({textChunk(R"({"text":""})"), textChunk(R"({})", R"(,"finishReason":"STOP")")});
  // Many parts in one chunk, then fewer in the next (the reused parts shrink), then more.
  expectTaken({textChunk(R"({"text":"1"},{"text":"2","thought":true},{"text":"3"},{"text":"4"})"),
               textChunk(R"({"text":"5"})"),
               textChunk(R"({"text":"6","thought":true},{"text":"7"},{"thoughtSignature":"s"})",
                         R"(,"finishReason":"STOP")")});
  // Whitespace around everything; a long text.
  expectTaken({" \n{ \"candidates\" : [ { \"content\" : { \"parts\" : [ { \"text\" : \"a\" } ] } } ] }\n ",
               textChunk("{\"text\":\"" + std::string(5000, 'x') + "\"}", R"(,"finishReason":"STOP")")});
}

// Sequences mixing chunks the scan takes with ones it leaves to the DOM, as in a tool-calling
// answer: the two kinds must interleave exactly as DOMs alone do.
TEST(ChunkScan, MixedSequencesAsTheDomAlone) {
  std::vector<std::string> mixed = {
      textChunk(R"({"text":"t","thought":true})"),
      textChunk(R"({"text":"I'll call it."})"),
      textChunk(R"({"functionCall":{"name":"f","args":{"x":1}},"thoughtSignature":"sig"})"),
      textChunk(R"({"text":"more"})"),
      R"({"candidates":[{"content":{"parts":[{"text":"x"}]},"finishReason":"STOP","finishMessage":"done"}],"usageMetadata":{"promptTokenCount":3,"candidatesTokenCount":2}})",
  };
  EXPECT_EQ(compareRuns(mixed), 3u);
  std::vector<std::string> feedback = {
      R"({"promptFeedback":{"blockReason":"SAFETY"}})",
      textChunk(R"({"text":""})", R"(,"finishReason":"STOP")"),
  };
  EXPECT_EQ(compareRuns(feedback), 1u);
  std::vector<std::string> malformed = {
      textChunk(R"({"text":""})"),
      textChunk("", R"(,"finishReason":"MALFORMED_FUNCTION_CALL","finishMessage":"bad")"),
  };
  EXPECT_EQ(compareRuns(malformed), 1u);
  std::vector<std::string> noCandidate = {R"({"candidates":[]})",
                                          R"({"usageMetadata":{"promptTokenCount":4}})"};
  EXPECT_EQ(compareRuns(noCandidate), 0u);
}

TEST(ChunkScan, GivesUpOutsideItsShape) {
  const std::string left[] = {
      // Tool calls and other part kinds.
      textChunk(R"({"functionCall":{"name":"f","args":{}}})"),
      textChunk(R"({"text":"a"},{"functionCall":{"name":"f"}})"),
      textChunk(R"({"executableCode":{"language":"PYTHON","code":"1"}})"),
      textChunk(R"({"codeExecutionResult":{"output":"1"}})"),
      textChunk(R"({"inlineData":{"mimeType":"image/png","data":""}})"),
      // Prompt feedback, finish message, malformed call.
      R"({"promptFeedback":{"blockReason":"SAFETY"}})",
      R"({"candidates":[{"content":{"parts":[{"text":"a"}]}}],"promptFeedback":{}})",
      textChunk(R"({"text":"a"})", R"(,"finishReason":"STOP","finishMessage":"m")"),
      textChunk("", R"(,"finishReason":"MALFORMED_FUNCTION_CALL")"),
      // No, empty or several candidates.
      R"({})",
      R"({"usageMetadata":{"promptTokenCount":1}})",
      R"({"candidates":[]})",
      R"({"candidates":[{"content":{"parts":[{"text":"a"}]}},{"content":{"parts":[{"text":"b"}]}}]})",
      // Nulls.
      R"({"candidates":null})",
      R"({"candidates":[null]})",
      textChunk(R"({"text":null})"),
      textChunk(R"({"text":"a","thought":null})"),
      textChunk(R"({"text":"a"})", R"(,"finishReason":null)"),
      R"({"candidates":[{"content":{"parts":[{"text":"a"}]}}],"usageMetadata":{"promptTokenCount":null}})",
      R"({"candidates":[{"content":{"parts":[{"text":"a"}]}}],"usageMetadata":null})",
      R"({"candidates":[{"content":{"parts":[{"text":"a"}]}}],"modelVersion":null})",
      // Floats and out-of-range counts.
      R"({"candidates":[{"content":{"parts":[{"text":"a"}]}}],"usageMetadata":{"promptTokenCount":1.0}})",
      R"({"candidates":[{"content":{"parts":[{"text":"a"}]}}],"usageMetadata":{"candidatesTokenCount":1e3}})",
      R"({"candidates":[{"content":{"parts":[{"text":"a"}]}}],"usageMetadata":{"promptTokenCount":9223372036854775808}})",
      R"({"candidates":[{"content":{"parts":[{"text":"a"}]}}],"usageMetadata":{"totalTokenCount":2.5}})",
      textChunk(R"({"text":"a"})", R"(,"index":0.0)"),
      // Repeated keys at every level.
      R"({"candidates":[{"content":{"parts":[{"text":"a"}]}}],"candidates":[{"content":{"parts":[{"text":"b"}]}}]})",
      R"({"candidates":[{"content":{"parts":[{"text":"a"}]},"content":{"parts":[{"text":"b"}]}}]})",
      R"({"candidates":[{"content":{"parts":[{"text":"a"}],"parts":[{"text":"b"}]}}]})",
      textChunk(R"({"text":"a","text":"b"})"),
      textChunk(R"({"text":"a","thought":true,"thought":false})"),
      textChunk(R"({"text":"a","thoughtSignature":"s","thoughtSignature":"t"})"),
      textChunk(R"({"text":"a"})", R"(,"finishReason":"STOP","finishReason":"SAFETY")"),
      R"({"candidates":[{"content":{"parts":[{"text":"a"}]}}],"usageMetadata":{"promptTokenCount":1,"promptTokenCount":2}})",
      R"({"candidates":[{"content":{"parts":[{"text":"a"}]}}],"usageMetadata":{},"usageMetadata":{}})",
      R"({"candidates":[{"content":{"parts":[{"text":"a"}]}}],"modelVersion":"a","modelVersion":"b"})",
      // Unknown keys.
      R"({"candidates":[{"content":{"parts":[{"text":"a"}]}}],"createTime":"x"})",
      textChunk(R"({"text":"a"})", R"(,"safetyRatings":[])"),
      textChunk(R"({"text":"a"})", R"(,"citationMetadata":{})"),
      textChunk(R"({"text":"a","extra":1})"),
      R"({"candidates":[{"content":{"parts":[{"text":"a"}],"other":1}}]})",
      R"({"candidates":[{"content":{"parts":[{"text":"a"}]}}],"usageMetadata":{"trafficType":"ON_DEMAND"}})",
      // Unexpected types.
      R"([])",
      R"("text")",
      R"(1)",
      R"({"candidates":{}})",
      R"({"candidates":[[]]})",
      R"({"candidates":["a"]})",
      R"({"candidates":[{"content":[]}]})",
      R"({"candidates":[{"content":{"parts":{}}}]})",
      R"({"candidates":[{"content":{"parts":["a"]}}]})",
      textChunk(R"({"text":1})"),
      textChunk(R"({"text":["a"]})"),
      textChunk(R"({"text":"a","thought":"true"})"),
      textChunk(R"({"text":"a","thought":1})"),
      textChunk(R"({"text":"a","thoughtSignature":1})"),
      textChunk(R"({"text":"a"})", R"(,"finishReason":1)"),
      textChunk(R"({"text":"a"})", R"(,"index":"0")"),
      R"({"candidates":[{"content":{"parts":[{"text":"a"}],"role":1}}]})",
      R"({"candidates":[{"content":{"parts":[{"text":"a"}]}}],"usageMetadata":[]})",
      R"({"candidates":[{"content":{"parts":[{"text":"a"}]}}],"usageMetadata":{"promptTokenCount":"1"}})",
      R"({"candidates":[{"content":{"parts":[{"text":"a"}]}}],"responseId":1})",
      // Invalid JSON.
      "",
      "{",
      textChunk(R"({"text":"a"})") + "x",
      textChunk(R"({"text":"a"})") + "{}",
      R"({"candidates":[{"content":{"parts":[{"text":"a"}]}}],})",
      R"({"candidates":[{"content":{"parts":[{"text":"a\x"}]}}]})",
      "{\"candidates\":[{\"content\":{\"parts\":[{\"text\":\"\xff\"}]}}]}",
      "{\"candidates\":[{\"content\":{\"parts\":[{\"text\":\"a\nb\"}]}}]}",
      R"({"candidates":[{"content":{"parts":[{"text":"\ud83d"}]}}]})",
      R"(/*c*/{"candidates":[{"content":{"parts":[{"text":"a"}]}}]})",
  };
  ScannedChunk scanned;
  for (const std::string& chunk : left) {
    EXPECT_FALSE(scanChunk(chunk, scanned)) << chunk;
    // A refused chunk leaves nothing behind for the next one.
    ASSERT_TRUE(scanChunk(textChunk(R"({"text":"ok"})"), scanned));
    ASSERT_EQ(scanned.parts.size(), 1u);
    EXPECT_EQ(scanned.parts[0].text, "ok");
    EXPECT_FALSE(scanned.parts[0].thought);
    EXPECT_TRUE(scanned.parts[0].signature.empty());
    EXPECT_TRUE(scanned.finishReason.empty());
    EXPECT_FALSE(scanned.usage.has_value());
  }
}

// Every golden stream and response row's chunks, through the handler's way and DOMs alone.
TEST(ChunkScan, GoldenChunksMatchTheDom) {
  size_t taken = 0;
  for (const char* kind : {"stream", "response"}) {
    for (const auto& entry : fs::directory_iterator(fs::path(LLMP_ANTHROPIC_GOLDEN_DIR) / kind)) {
      if (entry.path().string().find(".in.json") == std::string::npos) {
        continue;
      }
      std::ifstream in(entry.path());
      std::stringstream ss;
      ss << in.rdbuf();
      Json row = Json::parse(ss.str());
      std::vector<std::string> chunks;
      for (const Json& event : row.value("events", Json::array())) {
        if (event.is_object()) {
          chunks.push_back(dumpJson(event));
        }
      }
      SCOPED_TRACE(entry.path().string());
      taken += compareRuns(chunks);
    }
  }
  EXPECT_GT(taken, 0u);  // the plain rows do go through the scan
}

}  // namespace
}  // namespace llmp::plugins::anthropic
