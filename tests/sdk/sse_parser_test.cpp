#include <gtest/gtest.h>

#include <llmp/cpp/sse.hpp>

#include <string>
#include <utility>
#include <vector>

namespace llmp {
namespace {

using Events = std::vector<std::pair<std::string, std::string>>;

Events parseAll(const std::vector<std::string>& feeds, bool finish = false) {
  SseParser parser;
  Events events;
  auto collect = [&](std::string_view event, std::string_view data) {
    events.emplace_back(std::string(event), std::string(data));
    return true;
  };
  for (const auto& f : feeds) {
    EXPECT_TRUE(parser.feed(f, collect));
  }
  if (finish) {
    parser.finish(collect);
  }
  return events;
}

TEST(SseParser, LfFraming) {
  Events e = parseAll({"data: one\n\ndata: two\n\n"});
  EXPECT_EQ(e, (Events{{"", "one"}, {"", "two"}}));
}

TEST(SseParser, CrLfFraming) {
  Events e = parseAll({"data: one\r\n\r\ndata: two\r\n\r\n"});
  EXPECT_EQ(e, (Events{{"", "one"}, {"", "two"}}));
}

TEST(SseParser, CrFraming) {
  Events e = parseAll({"data: one\r\rdata: two\r\r"});
  EXPECT_EQ(e, (Events{{"", "one"}, {"", "two"}}));
}

TEST(SseParser, EventsSplitAcrossFeedsAtEveryByte) {
  std::string stream = "event: delta\r\ndata: {\"a\":1}\r\n\r\ndata: x\r\rdata: y\n\n";
  std::vector<std::string> bytes;
  for (char c : stream) {
    bytes.emplace_back(1, c);
  }
  Events e = parseAll(bytes);
  EXPECT_EQ(e, (Events{{"delta", "{\"a\":1}"}, {"", "x"}, {"", "y"}}));
}

TEST(SseParser, CrLfSplitBetweenFeedsIsOneLineEnd) {
  // "\r" ends a feed and "\n" starts the next: still one line break, not an empty line.
  Events e = parseAll({"data: a\r", "\ndata: b\r", "\n\r", "\n"});
  EXPECT_EQ(e, (Events{{"", "a\nb"}}));
}

TEST(SseParser, MultiLineDataIsJoinedWithNewlines) {
  Events e = parseAll({"data: first\ndata: second\ndata:third\n\n"});
  EXPECT_EQ(e, (Events{{"", "first\nsecond\nthird"}}));
}

TEST(SseParser, OnlyOneLeadingSpaceIsRemoved) {
  Events e = parseAll({"data:  two spaces\n\n"});
  EXPECT_EQ(e, (Events{{"", " two spaces"}}));
}

TEST(SseParser, CommentsAndUnknownFieldsAreIgnored) {
  Events e = parseAll({": keep-alive\n\n: another\nid: 7\nretry: 100\ndata: real\n\n"});
  EXPECT_EQ(e, (Events{{"", "real"}}));
}

TEST(SseParser, EventTypeResetsAfterEachEvent) {
  Events e = parseAll({"event: ping\ndata: 1\n\ndata: 2\n\n"});
  EXPECT_EQ(e, (Events{{"ping", "1"}, {"", "2"}}));
}

TEST(SseParser, EventWithoutDataIsNotDispatched) {
  Events e = parseAll({"event: lonely\n\ndata: after\n\n"});
  EXPECT_EQ(e, (Events{{"", "after"}}));
}

TEST(SseParser, EmptyDataLineDispatchesAnEmptyEvent) {
  Events e = parseAll({"data\n\n"});
  EXPECT_EQ(e, (Events{{"", ""}}));
}

TEST(SseParser, FinishDeliversAnUnterminatedLastEvent) {
  Events e = parseAll({"data: done"}, /*finish=*/true);
  EXPECT_EQ(e, (Events{{"", "done"}}));
  SseParser parser;
  EXPECT_FALSE(parser.finish([](std::string_view, std::string_view) { return true; }));
}

TEST(SseParser, HasPartialTracksUnfinishedEvents) {
  SseParser parser;
  auto ignore = [](std::string_view, std::string_view) { return true; };
  EXPECT_FALSE(parser.hasPartial());
  parser.feed("data: x", ignore);
  EXPECT_TRUE(parser.hasPartial());
  parser.feed("\n", ignore);
  EXPECT_TRUE(parser.hasPartial());
  parser.feed("\n", ignore);
  EXPECT_FALSE(parser.hasPartial());
}

TEST(SseParser, CallbackCanStopParsing) {
  SseParser parser;
  int calls = 0;
  bool more = parser.feed("data: 1\n\ndata: 2\n\n", [&](std::string_view, std::string_view) {
    ++calls;
    return false;
  });
  EXPECT_FALSE(more);
  EXPECT_EQ(calls, 1);
}

}  // namespace
}  // namespace llmp
