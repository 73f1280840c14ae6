// Golden files: one per row of the translation table (docs/frontends/openai.md), input and
// expected output side by side in one JSON file:
//   golden/request/<row>.json   {"input": <chat completion body>, "kv"?: {...}, "expected": <IR>}
//   golden/response/<row>.json  {"input": <IR chunk>, "options"?: {...},
//                                "expected": <chat.completion> | "expected_error": {...},
//                                "expected_kv"?: {...}}
//   golden/stream/<row>.json    {"input": [<IR chunk>...], "options"?: {...},
//                                "expected": [<chunk JSON> | "[DONE]" ...], "expected_kv"?: {...}}
// Responses use id "chatcmpl-000000000000000000000001", created 1767225600, model "gemini-x".
// Set LLMP_GOLDEN_WRITE=1 to fill in a missing "expected" from the current output (then review
// the file by hand before committing it).
#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "request.hpp"
#include "response.hpp"
#include "stream.hpp"
#include "test_support.hpp"

namespace llmp::plugins::frontend_openai::testing {
namespace {

namespace fs = std::filesystem;

std::vector<std::string> files(const char* kind) {
  std::vector<std::string> out;
  fs::path dir = fs::path(LLMP_OPENAI_GOLDEN_DIR) / kind;
  if (fs::exists(dir)) {
    for (const auto& entry : fs::directory_iterator(dir)) {
      if (entry.path().extension() == ".json") {
        out.push_back(entry.path().string());
      }
    }
  }
  std::sort(out.begin(), out.end());
  return out;
}

Json load(const std::string& path) {
  std::ifstream in(path);
  std::stringstream ss;
  ss << in.rdbuf();
  return Json::parse(ss.str());
}

bool writeMode() { return std::getenv("LLMP_GOLDEN_WRITE") != nullptr; }

void check(Json& golden, const std::string& path, const char* key, const Json& actual) {
  if (!golden.contains(key) && writeMode()) {
    golden[key] = actual;
    std::ofstream(path) << golden.dump(2) << "\n";
    return;
  }
  ASSERT_TRUE(golden.contains(key)) << path << " has no \"" << key << "\"";
  EXPECT_EQ(actual, golden[key]) << path << "\nactual:\n" << actual.dump(2);
}

void checkKv(const Json& golden, const FakeServices& services, const std::string& path) {
  if (!golden.contains("expected_kv")) {
    return;
  }
  for (auto& [key, value] : golden["expected_kv"].items()) {
    auto it = services.kv.find(key);
    ASSERT_NE(it, services.kv.end()) << path << ": kv key " << key << " not stored";
    EXPECT_EQ(it->second, value.get<std::string>()) << path;
    EXPECT_EQ(services.ttl.at(key), kSignatureTtlMs) << path;
  }
}

ResponseMeta meta() { return {"chatcmpl-000000000000000000000001", kNow, "gemini-x"}; }

ResponseOptions options(const Json& golden) {
  Json o = golden.value("options", Json::object());
  return {o.value("logprobs", false), o.value("include_usage", false)};
}

TEST(Golden, RequestRows) {
  std::vector<std::string> paths = files("request");
  ASSERT_FALSE(paths.empty());
  for (const std::string& path : paths) {
    SCOPED_TRACE(path);
    Json golden = load(path);
    FakeServices services;
    const Json kv = golden.value("kv", Json::object());
    for (auto& [k, v] : kv.items()) {
      services.kv[k] = v.get<std::string>();
    }
    try {
      TranslatedRequest out = translateRequest(golden["input"], services);
      check(golden, path, "expected", out.ir);
    } catch (const std::exception& e) {
      ADD_FAILURE() << path << ": " << e.what();
    }
  }
}

TEST(Golden, ResponseRows) {
  std::vector<std::string> paths = files("response");
  ASSERT_FALSE(paths.empty());
  for (const std::string& path : paths) {
    SCOPED_TRACE(path);
    Json golden = load(path);
    FakeServices services;
    services.counter = 1;  // the completion id took the first random value
    CompletionResult result = renderCompletion(golden["input"], meta(), options(golden), services);
    if (result.error) {
      Json actual = errorJson(*result.error);
      actual["status"] = result.error->httpStatus;
      check(golden, path, "expected_error", actual);
    } else {
      check(golden, path, "expected", Json::parse(result.body));
      // Written without a DOM, yet byte for byte what dumping the DOM gives (sorted keys).
      EXPECT_EQ(result.body, dumpJson(Json::parse(result.body))) << path;
    }
    checkKv(golden, services, path);
  }
}

TEST(Golden, StreamRows) {
  std::vector<std::string> paths = files("stream");
  ASSERT_FALSE(paths.empty());
  for (const std::string& path : paths) {
    SCOPED_TRACE(path);
    Json golden = load(path);
    FakeServices services;
    services.counter = 1;
    StreamRenderer renderer(meta(), options(golden), services);
    std::string sse;
    bool failed = false;
    auto take = [&](StreamRenderer::Output out) {
      sse += out.sse;
      if (out.error) {
        sse += StreamRenderer::errorEvent(*out.error);
        failed = true;
      }
    };
    for (const Json& chunk : golden["input"]) {
      take(renderer.onChunk(chunk));
    }
    if (!failed) {
      take(renderer.finish());
    }
    Json actual = Json::array();
    for (const std::string& data : sseEvents(sse)) {
      actual.push_back(data == "[DONE]" ? Json("[DONE]") : Json::parse(data));
      if (data != "[DONE]") {
        // Written without a DOM, yet byte for byte what dumping the DOM gives (sorted keys).
        EXPECT_EQ(data, dumpJson(Json::parse(data)));
      }
    }
    check(golden, path, "expected", actual);
    checkKv(golden, services, path);
  }
}

}  // namespace
}  // namespace llmp::plugins::frontend_openai::testing
