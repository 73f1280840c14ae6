// http_fetch through the real llmp_host_api table against servers on 127.0.0.1.
#include <gtest/gtest.h>

#include <Poco/Net/ServerSocket.h>
#include <Poco/Net/SocketAddress.h>
#include <Poco/StreamCopier.h>

#include <llmp/cpp/errors.hpp>
#include <llmp/cpp/host.hpp>

#include <atomic>
#include <future>
#include <string>
#include <thread>
#include <vector>

#include "fiber/blocking_pool.h"
#include "fiber/fiber_loop.h"
#include "services/host_services.h"
#include "test_servers.hpp"

namespace llmp::host::services::testing {
namespace {

using Poco::Net::HTTPServerRequest;
using Poco::Net::HTTPServerResponse;

// Test-only mode bit (never sent to the host): the fetch runs on a fiber of an event loop, as a
// cooperative plugin's does in the server.
constexpr uint32_t kOnFiber = 0x80000000u;

// Runs fn on a fiber of a fresh loop, with a blocking pool installed for what a fiber hands off
// (connecting), and waits for it. Both are joined before returning: a pool thread still alive at
// exit would hold OpenSSL's per-thread state, which LeakSanitizer reports as leaked.
template <class Fn>
llmp_status onFiber(Fn fn) {
  fiber::BlockingPool pool(8, 256 * 1024);
  fiber::BlockingPool::install(&pool);
  std::promise<llmp_status> result;
  fiber::Loop loop("test");
  loop.spawn([&] { result.set_value(fn()); });
  const llmp_status status = result.get_future().get();
  loop.stop();
  fiber::BlockingPool::install(nullptr);
  return status;
}

// The SDK's Host, with extra request flags on every fetch: each test below runs with the body
// read on the calling thread, with it relayed by a host I/O thread, and on a fiber.
class FlaggedHost {
 public:
  FlaggedHost(const llmp_host_api* api, uint32_t flags) : host_(api), flags_(flags) {}
  llmp_status fetch(llmp::HttpRequest req, const llmp::Host::OnHead& onHead,
                    const llmp::Host::OnBody& onBody, llmp::ErrorRecord* err) const {
    req.flags |= flags_ & ~kOnFiber;
    if ((flags_ & kOnFiber) != 0) {
      return onFiber([&] { return host_.fetch(req, onHead, onBody, err); });
    }
    return host_.fetch(req, onHead, onBody, err);
  }
  llmp_status fetch(llmp::HttpRequest req, llmp::HttpResponse* resp, llmp::ErrorRecord* err) const {
    req.flags |= flags_ & ~kOnFiber;
    if ((flags_ & kOnFiber) != 0) {
      return onFiber([&] { return host_.fetch(req, resp, err); });
    }
    return host_.fetch(req, resp, err);
  }

 private:
  llmp::Host host_;
  uint32_t flags_;
};

class HttpFetchTest : public ::testing::TestWithParam<uint32_t> {
 protected:
  HostServices services_;
  FlaggedHost host_{services_.apiFor("test"), GetParam()};

  llmp_status get(const std::string& url, llmp::HttpResponse* resp, llmp::ErrorRecord* err,
                  uint32_t flags = 0) {
    llmp::HttpRequest req;
    req.url = url;
    req.flags = flags;
    return host_.fetch(req, resp, err);
  }
};

TEST_P(HttpFetchTest, GetAndPostCarryHeadersAndBody) {
  PocoServer server([](HTTPServerRequest& req, HTTPServerResponse& resp) {
    std::string body;
    Poco::StreamCopier::copyToString(req.stream(), body);
    resp.set("X-Echo-Method", req.getMethod());
    resp.set("X-Echo-Header", req.get("X-Test", "<none>"));
    resp.set("X-Echo-Content-Type", req.getContentType());
    resp.setStatus(req.getMethod() == "POST" ? HTTPServerResponse::HTTP_CREATED : HTTPServerResponse::HTTP_OK);
    resp.setContentType("text/plain");
    std::string answer = req.getMethod() == "POST" ? "got:" + body : "hello";
    resp.sendBuffer(answer.data(), answer.size());
  });

  llmp::HttpResponse got;
  llmp::ErrorRecord err;
  llmp::HttpRequest req;
  req.url = server.url("/echo?x=1");
  req.headers = {{"X-Test", "abc"}};
  ASSERT_EQ(host_.fetch(req, &got, &err), LLMP_OK) << err.message;
  EXPECT_EQ(got.status, 200);
  EXPECT_EQ(got.body, "hello");
  EXPECT_EQ(got.header("x-echo-method"), "GET");
  EXPECT_EQ(got.header("X-Echo-Header"), "abc");

  llmp::HttpResponse posted;
  req.method = "POST";
  req.headers = {{"X-Test", "def"}, {"Content-Type", "application/json"}};
  req.body = R"({"a":1})";
  ASSERT_EQ(host_.fetch(req, &posted, &err), LLMP_OK) << err.message;
  EXPECT_EQ(posted.status, 201);
  EXPECT_EQ(posted.body, R"(got:{"a":1})");
  EXPECT_EQ(posted.header("X-Echo-Method"), "POST");
  EXPECT_EQ(posted.header("X-Echo-Header"), "def");
  EXPECT_EQ(posted.header("X-Echo-Content-Type"), "application/json");
}

TEST_P(HttpFetchTest, ChunkedPiecesReachTheSinkBeforeTheServerSendsTheNext) {
  Latch firstSeen;
  std::atomic<bool> secondSent{false};
  PocoServer server([&](HTTPServerRequest&, HTTPServerResponse& resp) {
    resp.setChunkedTransferEncoding(true);
    std::ostream& out = resp.send();
    out << "first";
    out.flush();
    firstSeen.wait();  // released by the client's on_body
    secondSent.store(true);
    out << "second";
    out.flush();
  });

  std::vector<std::string> pieces;
  bool secondSentWhenFirstArrived = true;
  int32_t status = 0;
  llmp::HttpRequest req;
  req.url = server.url("/stream");
  llmp::ErrorRecord err;
  llmp_status rc = host_.fetch(
      req,
      [&](int32_t s, const llmp_header*, size_t) {
        status = s;
        return true;
      },
      [&](std::string_view chunk) {
        if (pieces.empty()) {
          secondSentWhenFirstArrived = secondSent.load();
          firstSeen.open();
        }
        pieces.emplace_back(chunk);
        return true;
      },
      &err);
  ASSERT_EQ(rc, LLMP_OK) << err.message;
  EXPECT_EQ(status, 200);
  ASSERT_FALSE(pieces.empty());
  EXPECT_EQ(pieces.front(), "first");
  EXPECT_FALSE(secondSentWhenFirstArrived) << "the body was buffered instead of streamed";
  std::string all;
  for (const auto& p : pieces) {
    all += p;
  }
  EXPECT_EQ(all, "firstsecond");
}

TEST_P(HttpFetchTest, ContentLengthBodyArrivesWhole) {
  std::string big(200000, 'x');
  for (size_t i = 0; i < big.size(); i += 7) {
    big[i] = static_cast<char>('a' + i % 26);
  }
  PocoServer server([&](HTTPServerRequest&, HTTPServerResponse& resp) {
    resp.setContentLength(static_cast<std::streamsize>(big.size()));
    resp.sendBuffer(big.data(), big.size());
  });
  llmp::HttpResponse got;
  llmp::ErrorRecord err;
  ASSERT_EQ(get(server.url("/big"), &got, &err), LLMP_OK) << err.message;
  EXPECT_EQ(got.header("Content-Length"), std::to_string(big.size()));
  EXPECT_EQ(got.body, big);
}

TEST_P(HttpFetchTest, SequentialRequestsReuseOneConnection) {
  PocoServer server([](HTTPServerRequest&, HTTPServerResponse& resp) { resp.sendBuffer("ok", 2); });
  for (int i = 0; i < 5; ++i) {
    llmp::HttpResponse got;
    llmp::ErrorRecord err;
    ASSERT_EQ(get(server.url("/r"), &got, &err), LLMP_OK) << err.message;
    EXPECT_EQ(got.body, "ok");
  }
  EXPECT_EQ(server.connectionsSeen(), 1u);
}

TEST_P(HttpFetchTest, NoReuseFlagOpensAFreshConnectionEachTime) {
  PocoServer server([](HTTPServerRequest&, HTTPServerResponse& resp) { resp.sendBuffer("ok", 2); });
  for (int i = 0; i < 3; ++i) {
    llmp::HttpResponse got;
    llmp::ErrorRecord err;
    ASSERT_EQ(get(server.url("/r"), &got, &err, LLMP_HTTP_NO_REUSE), LLMP_OK) << err.message;
  }
  EXPECT_EQ(server.connectionsSeen(), 3u);
}

TEST_P(HttpFetchTest, ConnectRefusedIsUnavailableAndHidesTheQuery) {
  uint16_t port;
  {
    Poco::Net::ServerSocket probe(Poco::Net::SocketAddress("127.0.0.1", 0));
    port = probe.address().port();
  }
  llmp::HttpResponse got;
  llmp::ErrorRecord err;
  std::string url = "http://127.0.0.1:" + std::to_string(port) + "/v1/models?key=SECRET-KEY";
  EXPECT_EQ(get(url, &got, &err), LLMP_E_UNAVAILABLE);
  EXPECT_EQ(err.code, LLMP_E_UNAVAILABLE);
  EXPECT_NE(err.message.find("127.0.0.1:" + std::to_string(port)), std::string::npos) << err.message;
  EXPECT_EQ(err.message.find("SECRET-KEY"), std::string::npos) << err.message;
}

TEST_P(HttpFetchTest, UnknownHostIsUnavailable) {
  llmp::HttpResponse got;
  llmp::ErrorRecord err;
  EXPECT_EQ(get("http://no-such-host.invalid/x", &got, &err), LLMP_E_UNAVAILABLE);
  EXPECT_NE(err.message.find("no-such-host.invalid:80"), std::string::npos) << err.message;
}

TEST_P(HttpFetchTest, SilentServerHitsTheFirstByteTimeout) {
  Latch release;
  PocoServer server([&](HTTPServerRequest&, HTTPServerResponse& resp) {
    release.wait();
    resp.sendBuffer("late", 4);
  });
  llmp::HttpRequest req;
  req.url = server.url("/slow");
  req.firstByteTimeoutMs = 200;
  llmp::HttpResponse got;
  llmp::ErrorRecord err;
  EXPECT_EQ(host_.fetch(req, &got, &err), LLMP_E_TIMEOUT);
  EXPECT_NE(err.message.find("no first byte from 127.0.0.1:" + std::to_string(server.port()) +
                             " within 200 ms"),
            std::string::npos)
      << err.message;
  release.open();
}

TEST_P(HttpFetchTest, StalledBodyHitsTheIdleTimeout) {
  Latch release;
  PocoServer server([&](HTTPServerRequest&, HTTPServerResponse& resp) {
    resp.setChunkedTransferEncoding(true);
    std::ostream& out = resp.send();
    out << "part";
    out.flush();
    release.wait();
  });
  llmp::HttpRequest req;
  req.url = server.url("/stall");
  req.idleTimeoutMs = 200;
  llmp::HttpResponse got;
  llmp::ErrorRecord err;
  EXPECT_EQ(host_.fetch(req, &got, &err), LLMP_E_TIMEOUT);
  EXPECT_EQ(got.body, "part");
  EXPECT_NE(err.message.find("idle"), std::string::npos) << err.message;
  release.open();
}

TEST_P(HttpFetchTest, TotalTimeoutEndsASlowStream) {
  Latch release;
  PocoServer server([&](HTTPServerRequest&, HTTPServerResponse& resp) {
    resp.setChunkedTransferEncoding(true);
    std::ostream& out = resp.send();
    // A trickle that never trips the idle timeout.
    for (int i = 0; i < 100 && !release.isOpen(); ++i) {
      out << "x";
      out.flush();
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
  });
  llmp::HttpRequest req;
  req.url = server.url("/trickle");
  req.totalTimeoutMs = 300;
  llmp::HttpResponse got;
  llmp::ErrorRecord err;
  EXPECT_EQ(host_.fetch(req, &got, &err), LLMP_E_TIMEOUT);
  EXPECT_NE(err.message.find("total timeout of 300 ms"), std::string::npos) << err.message;
  release.open();
}

TEST_P(HttpFetchTest, CancelFromOnBodyThenTheNextRequestWorks) {
  std::string body(100000, 'b');
  PocoServer server([&](HTTPServerRequest&, HTTPServerResponse& resp) {
    resp.setContentLength(static_cast<std::streamsize>(body.size()));
    resp.sendBuffer(body.data(), body.size());
  });
  llmp::HttpRequest req;
  req.url = server.url("/b");
  llmp::ErrorRecord err;
  int calls = 0;
  llmp_status rc = host_.fetch(
      req, [](int32_t, const llmp_header*, size_t) { return true; },
      [&](std::string_view) {
        ++calls;
        return false;
      },
      &err);
  EXPECT_EQ(rc, LLMP_E_CANCELLED);
  EXPECT_EQ(calls, 1);

  llmp::HttpResponse got;
  llmp::ErrorRecord err2;
  ASSERT_EQ(host_.fetch(req, &got, &err2), LLMP_OK) << err2.message;
  EXPECT_EQ(got.body, body);
}

TEST_P(HttpFetchTest, CancelFromOnHeadIsCancelled) {
  PocoServer server([](HTTPServerRequest&, HTTPServerResponse& resp) { resp.sendBuffer("ok", 2); });
  llmp::HttpRequest req;
  req.url = server.url("/h");
  llmp::ErrorRecord err;
  bool bodySeen = false;
  llmp_status rc = host_.fetch(
      req, [](int32_t, const llmp_header*, size_t) { return false; },
      [&](std::string_view) {
        bodySeen = true;
        return true;
      },
      &err);
  EXPECT_EQ(rc, LLMP_E_CANCELLED);
  EXPECT_FALSE(bodySeen);
}

TEST_P(HttpFetchTest, ServerClosingMidBodyIsUnavailable) {
  RawServer server([](Poco::Net::StreamSocket& s, int) {
    RawServer::readRequestHead(s);
    RawServer::sendAll(s, "HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\n0123456789");
  });
  llmp::HttpResponse got;
  llmp::ErrorRecord err;
  EXPECT_EQ(get(server.url("/cut"), &got, &err), LLMP_E_UNAVAILABLE);
  EXPECT_EQ(got.body, "0123456789");
  EXPECT_NE(err.message.find("closed before the full body"), std::string::npos) << err.message;
}

TEST_P(HttpFetchTest, ServerClosingMidChunkedBodyIsUnavailable) {
  RawServer server([](Poco::Net::StreamSocket& s, int) {
    RawServer::readRequestHead(s);
    RawServer::sendAll(s, "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n");
  });
  llmp::HttpResponse got;
  llmp::ErrorRecord err;
  EXPECT_EQ(get(server.url("/cut"), &got, &err), LLMP_E_UNAVAILABLE);
  EXPECT_EQ(got.body, "hello");
}

TEST_P(HttpFetchTest, InterimResponsesAreSkippedAndTheHostFieldIsSent) {
  std::string head;
  RawServer server([&head](Poco::Net::StreamSocket& s, int) {
    RawServer::readRequestHead(s, &head);
    RawServer::sendAll(s, "HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 103 Early Hints\r\nLink: </a>\r\n\r\n"
                          "HTTP/1.1 201 Created\r\nX-Final: yes\r\nContent-Length: 4\r\n\r\ndone");
  });
  llmp::HttpResponse got;
  llmp::ErrorRecord err;
  ASSERT_EQ(get(server.url("/interim"), &got, &err), LLMP_OK) << err.message;
  EXPECT_EQ(got.status, 201);
  EXPECT_EQ(got.body, "done");
  EXPECT_EQ(got.header("x-final"), "yes");
  EXPECT_NE(head.find("GET /interim HTTP/1.1\r\n"), std::string::npos) << head;
  EXPECT_NE(head.find("Host: 127.0.0.1:" + std::to_string(server.port()) + "\r\n"),
            std::string::npos)
      << head;
}

TEST_P(HttpFetchTest, ATransferCodingOtherThanChunkedRunsToTheClose) {
  RawServer server([](Poco::Net::StreamSocket& s, int) {
    RawServer::readRequestHead(s);
    // Content-Length is overridden by Transfer-Encoding; the body ends with the close.
    RawServer::sendAll(s, "HTTP/1.1 200 OK\r\nTransfer-Encoding: identity\r\nContent-Length: 2\r\n\r\n"
                          "all of this");
  });
  llmp::HttpResponse got;
  llmp::ErrorRecord err;
  ASSERT_EQ(get(server.url("/te"), &got, &err), LLMP_OK) << err.message;
  EXPECT_EQ(got.body, "all of this");
}

TEST_P(HttpFetchTest, AMalformedResponseHeadIsUnavailable) {
  RawServer server([](Poco::Net::StreamSocket& s, int) {
    RawServer::readRequestHead(s);
    RawServer::sendAll(s, "HTTP/1.1 2OO OK\r\nContent-Length: 0\r\n\r\n");
  });
  llmp::HttpResponse got;
  llmp::ErrorRecord err;
  EXPECT_EQ(get(server.url("/bad"), &got, &err), LLMP_E_UNAVAILABLE);
  EXPECT_NE(err.message.find("malformed HTTP response"), std::string::npos) << err.message;
}

TEST_P(HttpFetchTest, BodyEndedByCloseIsComplete) {
  RawServer server([](Poco::Net::StreamSocket& s, int) {
    RawServer::readRequestHead(s);
    RawServer::sendAll(s, "HTTP/1.1 200 OK\r\nConnection: close\r\n\r\nuntil the end");
  });
  llmp::HttpResponse got;
  llmp::ErrorRecord err;
  ASSERT_EQ(get(server.url("/close"), &got, &err), LLMP_OK) << err.message;
  EXPECT_EQ(got.body, "until the end");
}

TEST_P(HttpFetchTest, ReusedConnectionClosedByTheServerIsRetriedOnce) {
  RawServer server([](Poco::Net::StreamSocket& s, int index) {
    if (!RawServer::readRequestHead(s)) {
      return;
    }
    RawServer::sendAll(s, "HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nconn" + std::to_string(index));
    if (index == 0) {
      // Take the second request, then drop the connection without an answer, as a server
      // whose keep-alive timer fired at that moment would.
      RawServer::readRequestHead(s);
    }
  });
  llmp::HttpResponse first;
  llmp::ErrorRecord err;
  ASSERT_EQ(get(server.url("/a"), &first, &err), LLMP_OK) << err.message;
  EXPECT_EQ(first.body, "conn0");
  llmp::HttpResponse second;
  ASSERT_EQ(get(server.url("/b"), &second, &err), LLMP_OK) << err.message;
  EXPECT_EQ(second.body, "conn1");
  EXPECT_EQ(server.connections(), 2);
}

TEST_P(HttpFetchTest, MalformedRequestsAreInvalid) {
  llmp::HttpResponse got;
  llmp::ErrorRecord err;
  EXPECT_EQ(get("ftp://example.com/", &got, &err), LLMP_E_INVALID);
  EXPECT_EQ(get("http:///path", &got, &err), LLMP_E_INVALID);
  EXPECT_EQ(get("http://host:99999/", &got, &err), LLMP_E_INVALID);
  EXPECT_EQ(get("http://a b/", &got, &err), LLMP_E_INVALID);

  llmp::HttpRequest req;
  req.url = "http://127.0.0.1:1/x?key=SECRET";
  req.headers = {{"Authorization", "Bearer SECRET\r\nX-Evil: 1"}};
  EXPECT_EQ(host_.fetch(req, &got, &err), LLMP_E_INVALID);
  EXPECT_EQ(err.message.find("SECRET"), std::string::npos) << err.message;

  req.headers = {};
  req.method = "GE T";
  EXPECT_EQ(host_.fetch(req, &got, &err), LLMP_E_INVALID);
}

TEST_P(HttpFetchTest, HttpsToAPlainServerFailsCleanly) {
  RawServer server([](Poco::Net::StreamSocket& s, int) {
    char hello[512];
    s.receiveBytes(hello, sizeof hello);  // the ClientHello
    RawServer::sendAll(s, "HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\n\r\n");
  });
  llmp::HttpResponse got;
  llmp::ErrorRecord err;
  std::string url = "https://127.0.0.1:" + std::to_string(server.port()) + "/tls";
  EXPECT_EQ(get(url, &got, &err), LLMP_E_UNAVAILABLE);
  EXPECT_EQ(got.status, 0);
  EXPECT_NE(err.message.find("127.0.0.1:" + std::to_string(server.port())), std::string::npos)
      << err.message;
}

TEST_P(HttpFetchTest, TlsHandshakeThatNeverFinishesIsAConnectTimeout) {
  Latch release;
  RawServer server([&](Poco::Net::StreamSocket&, int) { release.wait(); });
  llmp::HttpRequest req;
  req.url = "https://127.0.0.1:" + std::to_string(server.port()) + "/tls";
  req.connectTimeoutMs = 300;
  llmp::HttpResponse got;
  llmp::ErrorRecord err;
  EXPECT_EQ(host_.fetch(req, &got, &err), LLMP_E_TIMEOUT);
  EXPECT_EQ(got.status, 0);
  EXPECT_NE(err.message.find("could not connect to 127.0.0.1:" + std::to_string(server.port()) +
                             " within 300 ms"),
            std::string::npos)
      << err.message;
  release.open();
}

TEST_P(HttpFetchTest, ConcurrentRequestsFromManyThreads) {
  PocoServer server([](HTTPServerRequest& req, HTTPServerResponse& resp) {
    std::string answer = req.getURI();
    resp.sendBuffer(answer.data(), answer.size());
  });
  std::atomic<int> ok{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 8; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < 25; ++i) {
        llmp::HttpResponse got;
        llmp::ErrorRecord err;
        std::string path = "/t" + std::to_string(t) + "/" + std::to_string(i);
        if (get(server.url(path), &got, &err) == LLMP_OK && got.body == path) {
          ok.fetch_add(1);
        }
      }
    });
  }
  for (auto& th : threads) {
    th.join();
  }
  EXPECT_EQ(ok.load(), 200);
  EXPECT_LE(server.connectionsSeen(), 8u);
}

INSTANTIATE_TEST_SUITE_P(BodyThread, HttpFetchTest,
                         ::testing::Values(0u, uint32_t{LLMP_HTTP_BODY_ON_IO_THREAD}, kOnFiber,
                                           kOnFiber | LLMP_HTTP_BODY_ON_IO_THREAD),
                         [](const ::testing::TestParamInfo<uint32_t>& info) {
                           const bool fiber = (info.param & kOnFiber) != 0;
                           const bool io = (info.param & LLMP_HTTP_BODY_ON_IO_THREAD) != 0;
                           if (!fiber) {
                             return std::string(io ? "IoThread" : "RequestThread");
                           }
                           return std::string(io ? "FiberIoThread" : "Fiber");
                         });

}  // namespace
}  // namespace llmp::host::services::testing
