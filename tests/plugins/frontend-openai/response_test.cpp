// Shared response pieces not covered by a golden row.
#include <gtest/gtest.h>

#include "errors.hpp"
#include "response.hpp"
#include "test_support.hpp"

namespace llmp::plugins::frontend_openai::testing {
namespace {

TEST(Response, FinishReasonTable) {
  EXPECT_EQ(mapFinishReason("STOP", false), "stop");
  EXPECT_EQ(mapFinishReason("STOP", true), "tool_calls");
  EXPECT_EQ(mapFinishReason("", false), "stop");
  EXPECT_EQ(mapFinishReason("MAX_TOKENS", true), "length");
  for (const char* r : {"SAFETY", "RECITATION", "BLOCKLIST", "PROHIBITED_CONTENT", "SPII",
                        "IMAGE_SAFETY", "IMAGE_PROHIBITED_CONTENT", "IMAGE_OTHER"}) {
    EXPECT_EQ(mapFinishReason(r, false), "content_filter") << r;
  }
  EXPECT_EQ(mapFinishReason("OTHER", false), "stop");
  EXPECT_EQ(mapFinishReason("TOO_MANY_TOOL_CALLS", true), "tool_calls");
  EXPECT_TRUE(isMalformedFinish("MALFORMED_FUNCTION_CALL"));
  EXPECT_TRUE(isMalformedFinish("UNEXPECTED_TOOL_CALL"));
  EXPECT_FALSE(isMalformedFinish("STOP"));
}

TEST(Response, MintedToolCallIdsAreCallPlus24Hex) {
  FakeServices services;
  Json call = toolCallFromPart(Json::parse(R"({"functionCall":{"name":"f","args":{"a":1}}})"),
                               services);
  std::string id = call["id"];
  ASSERT_EQ(id.size(), 5u + 24u);
  EXPECT_EQ(id.rfind("call_", 0), 0u);
  EXPECT_EQ(id.find_first_not_of("0123456789abcdef", 5), std::string::npos);
  EXPECT_EQ(call["function"]["arguments"], R"({"a":1})");
  EXPECT_TRUE(services.kv.empty()) << "no signature, nothing stored";
}

TEST(Response, ErrorShapesAndTypes) {
  EXPECT_EQ(errorTypeForStatus(400), "invalid_request_error");
  EXPECT_EQ(errorTypeForStatus(401), "authentication_error");
  EXPECT_EQ(errorTypeForStatus(403), "permission_error");
  EXPECT_EQ(errorTypeForStatus(404), "not_found_error");
  EXPECT_EQ(errorTypeForStatus(413), "invalid_request_error");
  EXPECT_EQ(errorTypeForStatus(429), "rate_limit_error");
  EXPECT_EQ(errorTypeForStatus(500), "api_error");
  EXPECT_EQ(errorTypeForStatus(503), "api_error");
  ApiError e;
  e.httpStatus = 400;
  e.message = "bad";
  e.param = "temperature";
  EXPECT_EQ(errorJson(e), Json::parse(R"({"error":{"message":"bad","type":"invalid_request_error",
      "param":"temperature","code":null}})"));
  EXPECT_EQ(retryAfterSeconds(1001), "2");
  EXPECT_EQ(retryAfterSeconds(0), "0");
  EXPECT_EQ(retryAfterSeconds(-1), "");
}

}  // namespace
}  // namespace llmp::plugins::frontend_openai::testing
