// Stream invariants the openai SDK's stream helper relies on, checked over every stream golden.
#include <gtest/gtest.h>

#include <map>
#include <set>

#include "stream.hpp"
#include "test_support.hpp"

namespace llmp::plugins::frontend_openai::testing {
namespace {

TEST(Stream, KeepAliveIsAnSseComment) {
  EXPECT_EQ(StreamRenderer::keepAlive(), ": keepalive\n\n");
}

TEST(Stream, NothingAfterTheEnd) {
  FakeServices services;
  StreamRenderer r({"chatcmpl-1", kNow, "m"}, {}, services);
  Json chunk = Json::parse(
      R"({"candidates":[{"content":{"role":"model","parts":[{"text":"a"}]},"finishReason":"STOP"}]})");
  EXPECT_FALSE(r.onChunk(chunk).sse.empty());
  StreamRenderer::Output end = r.finish();
  EXPECT_NE(end.sse.find("data: [DONE]\n\n"), std::string::npos);
  EXPECT_TRUE(r.onChunk(chunk).sse.empty());
  EXPECT_TRUE(r.finish().sse.empty());
}

TEST(Stream, ParallelCallsAcrossCandidatesKeepPerChoiceIndices) {
  FakeServices services;
  StreamRenderer r({"chatcmpl-1", kNow, "m"}, {}, services);
  Json chunk = Json::parse(R"({"candidates":[
    {"index":0,"content":{"role":"model","parts":[{"functionCall":{"name":"a","args":{}}},
                                                  {"functionCall":{"name":"b","args":{}}}]}},
    {"index":1,"content":{"role":"model","parts":[{"functionCall":{"name":"c","args":{}}}]},
     "finishReason":"STOP"}]})");
  std::string sse = r.onChunk(chunk).sse;
  sse += r.finish().sse;
  std::map<int, std::vector<int>> indices;
  std::map<int, std::string> finish;
  std::set<std::string> ids;
  for (const std::string& data : sseEvents(sse)) {
    if (data == "[DONE]") {
      continue;
    }
    Json j = Json::parse(data);
    for (const Json& c : j["choices"]) {
      int choice = c["index"];
      if (c["delta"].contains("tool_calls")) {
        for (const Json& t : c["delta"]["tool_calls"]) {
          indices[choice].push_back(t["index"]);
          EXPECT_TRUE(ids.insert(t["id"].get<std::string>()).second) << "ids must differ";
          EXPECT_EQ(t["type"], "function");
        }
      }
      if (!c["finish_reason"].is_null()) {
        finish[choice] = c["finish_reason"];
      }
    }
  }
  EXPECT_EQ(indices[0], (std::vector<int>{0, 1}));
  EXPECT_EQ(indices[1], (std::vector<int>{0}));
  EXPECT_EQ(finish[0], "tool_calls");
  EXPECT_EQ(finish[1], "tool_calls");
}

}  // namespace
}  // namespace llmp::plugins::frontend_openai::testing
