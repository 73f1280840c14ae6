// Bodies flagged LLMP_HTTP_BODY_ON_IO_THREAD: read by a host I/O thread while http_fetch blocks,
// handed back to the calling thread when a client write would block, and many at once.
// (Every HttpFetchTest also runs in the relayed mode: timeouts, cancels, broken framing.)
#include <gtest/gtest.h>

#include <Poco/Net/HTTPServerRequest.h>
#include <Poco/Net/HTTPServerResponse.h>

#include <llmp/cpp/errors.hpp>
#include <llmp/cpp/host.hpp>

#include <atomic>
#include <chrono>
#include <string>
#include <thread>
#include <vector>

#include "services/host_services.h"
#include "services/stream_relay.h"
#include "test_servers.hpp"

namespace llmp::host::services::testing {
namespace {

using Poco::Net::HTTPServerRequest;
using Poco::Net::HTTPServerResponse;

// Streams `pieces` chunks "<i>;" `gapMs` apart.
PocoServer::Handler streamer(int pieces, int gapMs) {
  return [pieces, gapMs](HTTPServerRequest&, HTTPServerResponse& resp) {
    resp.setChunkedTransferEncoding(true);
    std::ostream& out = resp.send();
    for (int i = 0; i < pieces; ++i) {
      out << i << ';';
      out.flush();
      std::this_thread::sleep_for(std::chrono::milliseconds(gapMs));
    }
  };
}

std::string expectedBody(int pieces) {
  std::string s;
  for (int i = 0; i < pieces; ++i) {
    s += std::to_string(i) + ";";
  }
  return s;
}

struct Seen {
  std::string body;
  std::vector<std::thread::id> threads;
};

llmp_status fetchStream(const llmp::Host& host, const std::string& url, uint32_t flags,
                        Seen* seen, llmp::ErrorRecord* err,
                        const std::function<void(std::string_view)>& each = {}) {
  llmp::HttpRequest req;
  req.url = url;
  req.flags = flags;
  return host.fetch(
      req, [](int32_t, const llmp_header*, size_t) { return true; },
      [&](std::string_view piece) {
        seen->body.append(piece);
        seen->threads.push_back(std::this_thread::get_id());
        if (each) {
          each(piece);
        }
        return true;
      },
      err);
}

TEST(StreamRelayTest, FlaggedBodyIsReadOffTheCallingThreadWhileFetchBlocks) {
  PocoServer server(streamer(5, 10));
  HostServices services;
  llmp::Host host(services.apiFor("test"));
  Seen seen;
  llmp::ErrorRecord err;
  ASSERT_EQ(fetchStream(host, server.url("/s"), LLMP_HTTP_BODY_ON_IO_THREAD, &seen, &err), LLMP_OK)
      << err.message;
  EXPECT_EQ(seen.body, expectedBody(5)) << "fetch returned before the body ended";
  ASSERT_FALSE(seen.threads.empty());
  for (const auto& id : seen.threads) {
    EXPECT_NE(id, std::this_thread::get_id());
  }
}

TEST(StreamRelayTest, UnflaggedOrDisabledBodiesStayOnTheCallingThread) {
  PocoServer server(streamer(3, 5));
  ServicesOptions off;
  off.streamIoThreads = -1;
  HostServices plain;
  HostServices disabled(off);
  for (auto [services, flags] : {std::pair<HostServices*, uint32_t>{&plain, 0u},
                                 {&disabled, uint32_t{LLMP_HTTP_BODY_ON_IO_THREAD}}}) {
    llmp::Host host(services->apiFor("test"));
    Seen seen;
    llmp::ErrorRecord err;
    ASSERT_EQ(fetchStream(host, server.url("/s"), flags, &seen, &err), LLMP_OK) << err.message;
    EXPECT_EQ(seen.body, expectedBody(3));
    for (const auto& id : seen.threads) {
      EXPECT_EQ(id, std::this_thread::get_id());
    }
  }
}

// What a responder does when the client cannot take a write: keep the bytes, defer.
class KeepingWriter : public DeferredWriter {
 public:
  bool flushDeferred() override {
    flushedOn = std::this_thread::get_id();
    ++flushes;
    return true;
  }
  std::thread::id flushedOn;
  int flushes = 0;
};

TEST(StreamRelayTest, DeferredClientWriteHandsTheRestOfTheBodyBackToTheCallingThread) {
  PocoServer server(streamer(6, 20));
  HostServices services;
  llmp::Host host(services.apiFor("test"));
  KeepingWriter writer;
  int flushesBeforeSecondPiece = -1;
  Seen seen;
  llmp::ErrorRecord err;
  ASSERT_EQ(fetchStream(host, server.url("/s"), LLMP_HTTP_BODY_ON_IO_THREAD, &seen, &err,
                        [&](std::string_view) {
                          if (seen.threads.size() == 1) {
                            ASSERT_NE(RelayWrites::current(), nullptr);
                            RelayWrites::current()->defer(&writer);
                          } else if (seen.threads.size() == 2) {
                            flushesBeforeSecondPiece = writer.flushes;
                          }
                        }),
            LLMP_OK)
      << err.message;
  EXPECT_EQ(seen.body, expectedBody(6));
  ASSERT_GE(seen.threads.size(), 2u);
  EXPECT_NE(seen.threads.front(), std::this_thread::get_id());
  EXPECT_EQ(seen.threads.back(), std::this_thread::get_id()) << "not handed back";
  EXPECT_EQ(flushesBeforeSecondPiece, 1) << "kept bytes must go out before the next piece";
  EXPECT_EQ(writer.flushedOn, std::this_thread::get_id());
  EXPECT_EQ(RelayWrites::current(), nullptr);
}

TEST(StreamRelayTest, AFetchMadeFromARelayedCallbackReadsItsOwnBody) {
  PocoServer server(streamer(3, 5));
  ServicesOptions one;
  one.streamIoThreads = 1;  // a relay thread waiting on itself would hang here
  HostServices services(one);
  llmp::Host host(services.apiFor("test"));
  std::string inner;
  Seen seen;
  llmp::ErrorRecord err;
  ASSERT_EQ(fetchStream(host, server.url("/outer"), LLMP_HTTP_BODY_ON_IO_THREAD, &seen, &err,
                        [&](std::string_view) {
                          if (!inner.empty()) {
                            return;
                          }
                          Seen nested;
                          llmp::ErrorRecord nestedErr;
                          if (fetchStream(host, server.url("/inner"), LLMP_HTTP_BODY_ON_IO_THREAD,
                                          &nested, &nestedErr) == LLMP_OK) {
                            inner = nested.body;
                          } else {
                            inner = "failed: " + nestedErr.message;
                          }
                        }),
            LLMP_OK)
      << err.message;
  EXPECT_EQ(seen.body, expectedBody(3));
  EXPECT_EQ(inner, expectedBody(3));
}

TEST(StreamRelayTest, ManyConcurrentStreamsAllCompleteInOrder) {
  constexpr int kStreams = 15;  // the test server has 16 threads, each held by a kept-alive connection
  constexpr int kPieces = 30;
  PocoServer server(streamer(kPieces, 5));
  HostServices services;
  llmp::Host host(services.apiFor("test"));
  std::atomic<int> whole{0};
  std::vector<std::thread> clients;
  for (int i = 0; i < kStreams; ++i) {
    clients.emplace_back([&] {
      Seen seen;
      llmp::ErrorRecord err;
      if (fetchStream(host, server.url("/s"), LLMP_HTTP_BODY_ON_IO_THREAD, &seen, &err) ==
              LLMP_OK &&
          seen.body == expectedBody(kPieces)) {
        whole.fetch_add(1);
      }
    });
  }
  for (auto& c : clients) {
    c.join();
  }
  EXPECT_EQ(whole.load(), kStreams);
}

}  // namespace
}  // namespace llmp::host::services::testing
