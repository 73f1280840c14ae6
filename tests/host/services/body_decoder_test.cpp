// The push-based body decoder: every framing, fed whole and one byte at a time.
#include <gtest/gtest.h>

#include <string>

#include "services/body_decoder.h"

namespace llmp::host::services::testing {
namespace {

struct Decoded {
  std::string body;
  BodyDecoder::Fed last = BodyDecoder::Fed::More;
};

// Feeds `wire` in pieces of `step` bytes (0 = all at once).
Decoded decode(BodyDecoder& d, const std::string& wire, size_t step) {
  Decoded run;
  auto onData = [&](std::string_view piece) {
    run.body.append(piece);
    return true;
  };
  if (step == 0) {
    run.last = d.feed(wire.data(), wire.size(), onData);
    return run;
  }
  for (size_t i = 0; i < wire.size(); i += step) {
    run.last = d.feed(wire.data() + i, std::min(step, wire.size() - i), onData);
  }
  return run;
}

TEST(BodyDecoderTest, ChunkedBodyDecodesTheSameAtAnySplit) {
  const std::string wire =
      "5\r\nhello\r\n1;ext=1\r\n \r\nA\r\n0123456789\r\n0\r\nX-Trailer: t\r\n\r\n";
  for (size_t step : {0, 1, 2, 3, 7}) {
    BodyDecoder d(BodyDecoder::Mode::Chunked, 0);
    Decoded run = decode(d, wire, step);
    EXPECT_EQ(run.body, "hello 0123456789") << "step " << step;
    EXPECT_EQ(run.last, BodyDecoder::Fed::Complete) << "step " << step;
    EXPECT_TRUE(d.complete());
    EXPECT_TRUE(d.leavesConnectionReusable());
  }
}

TEST(BodyDecoderTest, BytesAfterTheEndMakeTheConnectionUnusable) {
  BodyDecoder chunked(BodyDecoder::Mode::Chunked, 0);
  decode(chunked, "2\r\nok\r\n0\r\n\r\nHTTP/1.1 200", 0);
  EXPECT_TRUE(chunked.complete());
  EXPECT_EQ(chunked.leftover(), 12u);
  EXPECT_FALSE(chunked.leavesConnectionReusable());

  BodyDecoder length(BodyDecoder::Mode::Length, 4);
  Decoded run = decode(length, "abcdef", 0);
  EXPECT_EQ(run.body, "abcd");
  EXPECT_EQ(length.leftover(), 2u);
}

TEST(BodyDecoderTest, ContentLengthEndsExactlyAtItsLength) {
  BodyDecoder d(BodyDecoder::Mode::Length, 10);
  Decoded run = decode(d, "0123456789", 3);
  EXPECT_EQ(run.body, "0123456789");
  EXPECT_TRUE(d.complete());
  EXPECT_FALSE(d.closeEndsBody() && !d.complete());
  BodyDecoder cut(BodyDecoder::Mode::Length, 10);
  decode(cut, "01234", 0);
  EXPECT_FALSE(cut.complete());
  EXPECT_FALSE(cut.closeEndsBody()) << "a close before the length is a truncated body";
}

TEST(BodyDecoderTest, NoBodyAndEmptyLengthAreCompleteAtOnce) {
  EXPECT_TRUE(BodyDecoder(BodyDecoder::Mode::None, 0).complete());
  EXPECT_TRUE(BodyDecoder(BodyDecoder::Mode::Length, 0).complete());
}

TEST(BodyDecoderTest, UntilCloseTakesEverythingAndEndsOnlyByTheClose) {
  BodyDecoder d(BodyDecoder::Mode::UntilClose, 0);
  Decoded run = decode(d, "all of it", 4);
  EXPECT_EQ(run.body, "all of it");
  EXPECT_FALSE(d.complete());
  EXPECT_TRUE(d.closeEndsBody());
  EXPECT_FALSE(d.leavesConnectionReusable());
}

TEST(BodyDecoderTest, ACloseMidChunkIsATruncatedBodyButInTrailersItIsNot) {
  BodyDecoder mid(BodyDecoder::Mode::Chunked, 0);
  decode(mid, "5\r\nhel", 0);
  EXPECT_FALSE(mid.closeEndsBody());
  BodyDecoder trailers(BodyDecoder::Mode::Chunked, 0);
  decode(trailers, "2\r\nok\r\n0\r\n", 0);
  EXPECT_TRUE(trailers.closeEndsBody());
}

TEST(BodyDecoderTest, StoppingReturnsStoppedAndKeepsItsPlace) {
  BodyDecoder d(BodyDecoder::Mode::Chunked, 0);
  int calls = 0;
  auto stopFirst = [&](std::string_view) { return ++calls > 1; };
  EXPECT_EQ(d.feed("2\r\nok\r\n2\r\nno\r\n", 14, stopFirst), BodyDecoder::Fed::Stopped);
  EXPECT_EQ(calls, 1);
}

TEST(BodyDecoderTest, BrokenChunkFramingThrows) {
  auto onData = [](std::string_view) { return true; };
  for (const std::string wire : {"zz\r\n", "\r\n", "5\r\nhelloXX\r\n", "1234567890abcdef0\r\n"}) {
    BodyDecoder d(BodyDecoder::Mode::Chunked, 0);
    EXPECT_THROW(d.feed(wire.data(), wire.size(), onData), BodyFramingError) << wire;
  }
  BodyDecoder longLine(BodyDecoder::Mode::Chunked, 0);
  std::string line(9000, '1');
  EXPECT_THROW(longLine.feed(line.data(), line.size(), onData), BodyFramingError);
}

}  // namespace
}  // namespace llmp::host::services::testing
