// The request-head parser: what it accepts, what it refuses (and so answers 400 or 431), and the
// framing and connection facts it reads off the head.
#include "server/request_head.h"

#include <gtest/gtest.h>

#include <string>

#include <llmp/cpp/bytes.hpp>

namespace llmp::host {
namespace {

struct Parsed {
  HeadParse result;
  RequestHead head;
  size_t length = 0;
  std::string why;
};

Parsed parse(const std::string& text) {
  Parsed p;
  const char* why = "";
  p.result = parseRequestHead(text, &p.head, &p.length, &why);
  p.why = why;
  return p;
}

std::string header(const RequestHead& head, std::string_view name) {
  for (const llmp_header& h : head.headers) {
    if (iequals(view(h.name), name)) {
      return str(h.value);
    }
  }
  return "<absent>";
}

TEST(RequestHead, ParsesRequestLineHeadersAndFraming) {
  const std::string text =
      "POST /v1beta/models/m:generateContent?alt=sse HTTP/1.1\r\n"
      "Host: x\r\nContent-Type:application/json \r\nContent-Length: 12\r\n\r\n{\"body\":1}..";
  Parsed p = parse(text);
  ASSERT_EQ(p.result, HeadParse::Complete) << p.why;
  EXPECT_EQ(p.head.method, "POST");
  EXPECT_EQ(p.head.target, "/v1beta/models/m:generateContent?alt=sse");
  EXPECT_EQ(p.head.minorVersion, 1);
  EXPECT_EQ(p.head.contentLength, 12);
  EXPECT_FALSE(p.head.chunked);
  EXPECT_TRUE(p.head.keepAlive);
  EXPECT_EQ(header(p.head, "content-type"), "application/json");  // surrounding blanks trimmed
  EXPECT_EQ(p.length, text.find("{\"body\""));  // the body is not part of the head
}

TEST(RequestHead, WaitsForTheBlankLine) {
  EXPECT_EQ(parse("GET / HTTP/1.1\r\nHost: x\r\n").result, HeadParse::Incomplete);
  EXPECT_EQ(parse("GET / HT").result, HeadParse::Incomplete);
  EXPECT_EQ(parse("\r\n\r\nGET / HTTP/1.1\nHost: x\n\n").result, HeadParse::Complete)
      << "leading empty lines and bare LF line ends are tolerated";
}

TEST(RequestHead, KeepAliveFollowsVersionAndConnection) {
  EXPECT_FALSE(parse("GET / HTTP/1.1\r\nConnection: close\r\n\r\n").head.keepAlive);
  EXPECT_TRUE(parse("GET / HTTP/1.1\r\nConnection: Upgrade, keep-alive\r\n\r\n").head.keepAlive);
  Parsed old = parse("GET / HTTP/1.0\r\n\r\n");
  EXPECT_EQ(old.head.minorVersion, 0);
  EXPECT_FALSE(old.head.keepAlive);
  EXPECT_TRUE(parse("GET / HTTP/1.0\r\nConnection: Keep-Alive\r\n\r\n").head.keepAlive);
}

TEST(RequestHead, ReadsChunkedAndExpectContinue) {
  Parsed p = parse(
      "POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\nExpect: 100-continue\r\n\r\n");
  ASSERT_EQ(p.result, HeadParse::Complete);
  EXPECT_TRUE(p.head.chunked);
  EXPECT_TRUE(p.head.expectContinue);
  EXPECT_TRUE(p.head.hasBody());
  EXPECT_FALSE(parse("GET / HTTP/1.1\r\n\r\n").head.hasBody());
}

TEST(RequestHead, RefusesWhatIsNotAnHttp1Request) {
  for (const char* text : {
           "THIS IS NOT HTTP\r\n\r\n",
           "GET / HTTP/2.0\r\n\r\n",
           "GET /a b HTTP/1.1\r\n\r\n",
           "G(T / HTTP/1.1\r\n\r\n",
           "GET / HTTP/1.1\r\nNo colon here\r\n\r\n",
           "GET / HTTP/1.1\r\nBad Name: v\r\n\r\n",
           "GET / HTTP/1.1\r\nA: 1\r\n folded\r\n\r\n",
           "GET / HTTP/1.1\r\nA: nul\x01 byte\r\n\r\n",
       }) {
    EXPECT_EQ(parse(text).result, HeadParse::Malformed) << text;
  }
}

TEST(RequestHead, RefusesAmbiguousBodyFraming) {
  EXPECT_EQ(parse("POST / HTTP/1.1\r\nContent-Length: 1x\r\n\r\n").result, HeadParse::Malformed);
  EXPECT_EQ(parse("POST / HTTP/1.1\r\nContent-Length: -1\r\n\r\n").result, HeadParse::Malformed);
  EXPECT_EQ(parse("POST / HTTP/1.1\r\nContent-Length: 3\r\nContent-Length: 4\r\n\r\n").result,
            HeadParse::Malformed);
  EXPECT_EQ(parse("POST / HTTP/1.1\r\nContent-Length: 3\r\nContent-Length: 3\r\n\r\n").result,
            HeadParse::Complete);
  Parsed smuggle = parse(
      "POST / HTTP/1.1\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n");
  EXPECT_EQ(smuggle.result, HeadParse::Malformed);
  EXPECT_EQ(smuggle.why, "both Transfer-Encoding and Content-Length");
  EXPECT_EQ(parse("POST / HTTP/1.1\r\nTransfer-Encoding: gzip\r\n\r\n").result,
            HeadParse::Malformed);
}

TEST(RequestHead, LimitsHeadSizeAndFieldCount) {
  std::string huge = "GET / HTTP/1.1\r\nX: " + std::string(kMaxHeadBytes, 'a');
  EXPECT_EQ(parse(huge).result, HeadParse::TooLarge) << "no end in sight: refuse before it ends";
  std::string many = "GET / HTTP/1.1\r\n";
  for (size_t i = 0; i <= kMaxHeaderFields; ++i) {
    many += "X-" + std::to_string(i) + ": v\r\n";
  }
  EXPECT_EQ(parse(many + "\r\n").result, HeadParse::TooLarge);
}

TEST(RequestHead, ReusesTheHeaderListBetweenRequests) {
  RequestHead head;
  size_t length = 0;
  const char* why = "";
  ASSERT_EQ(parseRequestHead("GET / HTTP/1.1\r\nA: 1\r\nB: 2\r\nContent-Length: 5\r\n\r\n", &head,
                             &length, &why),
            HeadParse::Complete);
  const size_t capacity = head.headers.capacity();
  ASSERT_EQ(parseRequestHead("GET / HTTP/1.1\r\nC: 3\r\n\r\n", &head, &length, &why),
            HeadParse::Complete);
  EXPECT_EQ(head.headers.size(), 1u);
  EXPECT_EQ(head.contentLength, -1) << "nothing carries over from the previous request";
  EXPECT_EQ(head.headers.capacity(), capacity);
}

}  // namespace
}  // namespace llmp::host
