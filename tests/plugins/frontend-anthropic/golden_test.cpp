// Golden files: one per row of the translation table (docs/frontends/anthropic.md) and per
// known client breakage. golden/request/<case>.in.json is an Anthropic request body and
// <case>.out.json the translation (or the 400 message); golden/response/ and golden/stream/
// hold {request, events, result} scripts run through handle() with a fake router, and the
// answer the client gets (<case>.out.json: status, headers, body; <case>.out.sse: the exact
// event stream). Minted ids read "<prefix>_<minted>". LLMP_UPDATE_GOLDEN=1 rewrites the
// expected files from the current output (review the diff before committing).
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "errors.hpp"
#include "fakes.hpp"
#include "request_translator.hpp"

namespace llmp::plugins::anthropic::testing {
namespace {

namespace fs = std::filesystem;

const fs::path kGoldenDir = LLMP_ANTHROPIC_GOLDEN_DIR;

std::string readFile(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    throw std::runtime_error("cannot read " + path.string());
  }
  std::stringstream buffer;
  buffer << in.rdbuf();
  return buffer.str();
}

void writeFile(const fs::path& path, const std::string& text) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out << text;
}

bool updating() {
  const char* flag = std::getenv("LLMP_UPDATE_GOLDEN");
  return flag != nullptr && std::string(flag) == "1";
}

std::vector<std::string> cases(const std::string& kind) {
  std::vector<std::string> names;
  fs::path dir = kGoldenDir / kind;
  if (!fs::exists(dir)) {
    return names;
  }
  for (const auto& entry : fs::directory_iterator(dir)) {
    std::string file = entry.path().filename().string();
    const std::string suffix = ".in.json";
    if (file.size() > suffix.size() &&
        file.compare(file.size() - suffix.size(), suffix.size(), suffix) == 0) {
      names.push_back(file.substr(0, file.size() - suffix.size()));
    }
  }
  std::sort(names.begin(), names.end());
  return names;
}

void expectJsonFile(const fs::path& expectedPath, const Json& actual) {
  std::string actualText = actual.dump(2) + "\n";
  if (updating()) {
    writeFile(expectedPath, actualText);
    return;
  }
  ASSERT_TRUE(fs::exists(expectedPath)) << "missing " << expectedPath << "; actual:\n"
                                        << actualText;
  Json expected = Json::parse(readFile(expectedPath));
  EXPECT_EQ(expected, actual) << "expected " << expectedPath << ":\n"
                              << expected.dump(2) << "\nactual:\n"
                              << actualText;
}

std::string paramName(const ::testing::TestParamInfo<std::string>& info) {
  std::string name = info.param;
  for (char& c : name) {
    if (!std::isalnum(static_cast<unsigned char>(c))) {
      c = '_';
    }
  }
  return name;
}

// ---- request rows ---------------------------------------------------------------------------

class RequestGolden : public ::testing::TestWithParam<std::string> {};

TEST_P(RequestGolden, TranslatesToIr) {
  const std::string& name = GetParam();
  Json body = Json::parse(readFile(kGoldenDir / "request" / (name + ".in.json")));
  RequestKind kind =
      name.rfind("count_tokens", 0) == 0 ? RequestKind::CountTokens : RequestKind::Messages;
  Json actual;
  try {
    TranslatedRequest translated = translateRequest(body, kind);
    actual = {{"model", translated.model},
              {"stream", translated.stream},
              {"userId", translated.userId},
              {"ir", translated.ir}};
  } catch (const RequestError& e) {
    actual = {{"error", e.what()}};
  }
  expectJsonFile(kGoldenDir / "request" / (name + ".out.json"), actual);
}

INSTANTIATE_TEST_SUITE_P(Rows, RequestGolden, ::testing::ValuesIn(cases("request")), paramName);

// ---- response and stream rows (through handle()) ---------------------------------------------

void script(const Json& in, FakeRouter& router, Request& request) {
  request.body = in.at("request").dump();
  if (in.contains("path")) {
    request.path = in["path"].get<std::string>();
  }
  for (const auto& event : in.value("events", Json::array())) {
    if (event.is_string() && event == "keepalive") {
      router.keepAlive();
    } else {
      router.chunk(event);
    }
  }
  if (in.contains("result")) {
    const Json& result = in["result"];
    router.status = result.value("code", LLMP_OK);
    router.httpStatus = result.value("http_status", 0);
    router.retryAfterMs = result.value("retry_after_ms", int64_t{-1});
    router.message = result.value("message", "");
    router.errorBody = result.value("body", "");
  }
}

void runCase(const std::string& kind, const std::string& name) {
  fs::path dir = kGoldenDir / kind;
  Json in = Json::parse(readFile(dir / (name + ".in.json")));
  FakeRouter router;
  Request request;
  FakeResponder responder;
  script(in, router, request);
  run(request, router, responder);

  fs::path ssePath = dir / (name + ".out.sse");
  bool isStream = responder.beginCalls > 0;
  if (isStream) {
    EXPECT_EQ(responder.status, 200);
    EXPECT_EQ(responder.header("content-type"), "text/event-stream");
    std::string actual = normalizeIds(responder.body);
    // Every event must parse and carry an event: line (the SDKs drop those without).
    for (const auto& [event, data] : parseSse(responder.body)) {
      EXPECT_FALSE(event.empty());
      EXPECT_EQ(data.at("type"), event);
    }
    if (updating()) {
      writeFile(ssePath, actual);
      return;
    }
    ASSERT_TRUE(fs::exists(ssePath)) << "missing " << ssePath << "; actual:\n" << actual;
    EXPECT_EQ(readFile(ssePath), actual);
    return;
  }
  ASSERT_FALSE(fs::exists(ssePath)) << name << " expected a stream, got a single response:\n"
                                    << responder.body;
  ASSERT_EQ(responder.sendCalls, 1);
  Json headers = Json::object();
  for (const char* h : {"content-type", "retry-after"}) {
    std::string value = responder.header(h);
    if (!value.empty()) {
      headers[h] = value;
    }
  }
  EXPECT_FALSE(responder.header("request-id").empty());
  Json actual = {{"status", responder.status},
                 {"headers", headers},
                 {"body", Json::parse(normalizeIds(responder.body))}};
  expectJsonFile(dir / (name + ".out.json"), actual);
}

class ResponseGolden : public ::testing::TestWithParam<std::string> {};
TEST_P(ResponseGolden, Renders) { runCase("response", GetParam()); }
INSTANTIATE_TEST_SUITE_P(Rows, ResponseGolden, ::testing::ValuesIn(cases("response")), paramName);

class StreamGolden : public ::testing::TestWithParam<std::string> {};
TEST_P(StreamGolden, Renders) { runCase("stream", GetParam()); }
INSTANTIATE_TEST_SUITE_P(Rows, StreamGolden, ::testing::ValuesIn(cases("stream")), paramName);

}  // namespace
}  // namespace llmp::plugins::anthropic::testing
