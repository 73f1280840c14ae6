#include <gtest/gtest.h>

#include <llmp/cpp/errors.hpp>
#include <llmp/cpp/host.hpp>

#include <string>
#include <vector>

#include "testing/fake_host.hpp"

namespace llmp::testing {
namespace {

TEST(FakeHost, FetchDeliversScriptedPiecesAndRecordsTheRequest) {
  FakeHost fake;
  fake.setHttpHandler([](const FakeHttpRequest& r) {
    FakeHttpResponse resp;
    resp.status = r.url.find("/missing") != std::string::npos ? 404 : 200;
    resp.headers = {{"Content-Type", "text/event-stream"}};
    resp.bodyPieces = {"data: 1\n\n", "data: 2\n\n"};
    return resp;
  });
  llmp::Host host(fake.api());
  llmp::HttpRequest req;
  req.method = "POST";
  req.url = "https://example.test/v1/stream?alt=sse";
  req.headers = {{"x-goog-api-key", "k1"}};
  req.body = "{}";
  std::vector<std::string> pieces;
  int32_t status = 0;
  llmp::ErrorRecord err;
  ASSERT_EQ(host.fetch(
                req,
                [&](int32_t s, const llmp_header* h, size_t n) {
                  status = s;
                  EXPECT_EQ(findHeader(h, n, "content-type"), "text/event-stream");
                  return true;
                },
                [&](std::string_view c) {
                  pieces.emplace_back(c);
                  return true;
                },
                &err),
            LLMP_OK);
  EXPECT_EQ(status, 200);
  EXPECT_EQ(pieces, (std::vector<std::string>{"data: 1\n\n", "data: 2\n\n"}));
  auto requests = fake.requests();
  ASSERT_EQ(requests.size(), 1u);
  EXPECT_EQ(requests[0].method, "POST");
  EXPECT_EQ(requests[0].header("X-Goog-Api-Key"), "k1");
  EXPECT_EQ(requests[0].body, "{}");
}

TEST(FakeHost, TransportErrorsAndCancellation) {
  FakeHost fake;
  llmp::Host host(fake.api());
  llmp::HttpRequest req;
  req.url = "http://upstream.test/";
  llmp::HttpResponse resp;
  llmp::ErrorRecord err;
  EXPECT_EQ(host.fetch(req, &resp, &err), LLMP_E_UNAVAILABLE);  // no handler set

  fake.setHttpHandler([](const FakeHttpRequest&) {
    return FakeHttpResponse::transportError(LLMP_E_TIMEOUT, "no first byte");
  });
  EXPECT_EQ(host.fetch(req, &resp, &err), LLMP_E_TIMEOUT);
  EXPECT_EQ(err.message, "no first byte");

  fake.setHttpHandler([](const FakeHttpRequest&) {
    FakeHttpResponse r;
    r.bodyPieces = {"a", "b"};
    r.transportStatus = LLMP_E_UNAVAILABLE;  // breaks after the pieces
    return r;
  });
  llmp::HttpResponse partial;
  EXPECT_EQ(host.fetch(req, &partial, &err), LLMP_E_UNAVAILABLE);
  EXPECT_EQ(partial.body, "ab");

  int bodies = 0;
  EXPECT_EQ(host.fetch(
                req, [](int32_t, const llmp_header*, size_t) { return true; },
                [&](std::string_view) {
                  ++bodies;
                  return false;
                },
                &err),
            LLMP_E_CANCELLED);
  EXPECT_EQ(bodies, 1);
}

TEST(FakeHost, KvTtlFollowsTheFakeClock) {
  FakeHost fake;
  llmp::Host host(fake.api());
  int64_t t0 = host.monotonicMs();
  host.kvSet("token", "abc", 1000);
  EXPECT_EQ(host.kvGet("token").value_or(""), "abc");
  fake.advanceMs(999);
  EXPECT_EQ(host.monotonicMs(), t0 + 999);
  EXPECT_TRUE(host.kvGet("token").has_value());
  fake.advanceMs(1);
  EXPECT_FALSE(host.kvGet("token").has_value());
  EXPECT_EQ(host.kvIncr("n", 2), 2);
  EXPECT_EQ(host.kvIncr("n", 3), 5);
  EXPECT_EQ(fake.kvValue("n").value_or(""), "5");
}

TEST(FakeHost, TimersFireOnlyWhenRunAndDue) {
  FakeHost fake;
  const llmp_host_api* api = fake.api();
  int fired = 0;
  llmp_timer* t = nullptr;
  ASSERT_EQ(api->timer_start(api, 100, 50, [](void* c) { ++*static_cast<int*>(c); }, &fired, &t), LLMP_OK);
  EXPECT_EQ(fake.runDueTimers(), 0);
  fake.advanceMs(100);
  EXPECT_EQ(fake.runDueTimers(), 1);
  fake.advanceMs(100);
  EXPECT_EQ(fake.runDueTimers(), 2);  // due at +150 and +200
  EXPECT_EQ(fired, 3);
  api->timer_cancel(api, t);
  fake.advanceMs(1000);
  EXPECT_EQ(fake.runDueTimers(), 0);
  EXPECT_EQ(fake.activeTimers(), 0u);
}

TEST(FakeHost, TouchRunsTheMatchingWatches) {
  FakeHost fake;
  const llmp_host_api* api = fake.api();
  std::string seen;
  llmp_file_watch* w = nullptr;
  std::string path = "/creds/oauth.json";
  ASSERT_EQ(api->file_watch(api, llmp_bytes{path.data(), path.size()},
                            [](void* c, llmp_bytes p) { static_cast<std::string*>(c)->assign(p.ptr, p.len); },
                            &seen, &w, nullptr),
            LLMP_OK);
  EXPECT_EQ(fake.touch("/creds/other.json"), 0);
  EXPECT_EQ(fake.touch(path), 1);
  EXPECT_EQ(seen, path);
  api->file_unwatch(api, w);
  EXPECT_EQ(fake.touch(path), 0);
}

TEST(FakeHost, ProcessesAreUnsupportedUntilAHandlerPlaysTheChild) {
  FakeHost fake;
  const llmp_host_api* api = fake.api();
  struct Out {
    std::string text;
    int32_t exitCode = -100;
  } out;
  const char* argv[] = {"gemini", "--acp"};
  llmp_process_options o{};
  o.struct_size = sizeof o;
  o.argv = argv;
  o.argc = 2;
  o.ctx = &out;
  o.on_stdout = [](void* c, llmp_bytes d) { static_cast<Out*>(c)->text.append(d.ptr, d.len); };
  o.on_exit = [](void* c, int32_t code, int32_t) { static_cast<Out*>(c)->exitCode = code; };
  llmp_process* p = nullptr;
  llmp::ErrorRecord err;
  EXPECT_EQ(api->process_spawn(api, &o, &p, err.sink()), LLMP_E_UNSUPPORTED);

  fake.setProcessHandler([](FakeProcess& child) {
    child.onStdin = [](FakeProcess& self, std::string_view line) { self.emitStdout(std::string("echo:") + std::string(line)); };
    return LLMP_OK;
  });
  ASSERT_EQ(api->process_spawn(api, &o, &p, err.sink()), LLMP_OK);
  auto child = fake.processes().at(0);
  EXPECT_EQ(child->argv, (std::vector<std::string>{"gemini", "--acp"}));
  ASSERT_EQ(api->process_write(api, p, llmp_bytes{"hi\n", 3}), LLMP_OK);
  EXPECT_EQ(out.text, "echo:hi\n");
  EXPECT_EQ(child->stdinData(), "hi\n");
  child->exit(0);
  EXPECT_EQ(out.exitCode, 0);
  EXPECT_EQ(api->process_write(api, p, llmp_bytes{"x", 1}), LLMP_E_UNAVAILABLE);
  api->process_release(api, p);
  EXPECT_EQ(api->process_pid(api, p), -1);
}

TEST(FakeHost, LogsAreCaptured) {
  FakeHost fake;
  llmp::Host host(fake.api());
  host.log(LLMP_LOG_INFO, "refreshed token for account 2");
  EXPECT_TRUE(fake.logged("account 2"));
  ASSERT_EQ(fake.logs().size(), 1u);
  EXPECT_EQ(fake.logs()[0].level, LLMP_LOG_INFO);
  fake.setLogLevel(LLMP_LOG_WARN);
  EXPECT_FALSE(host.logEnabled(LLMP_LOG_INFO));
  EXPECT_TRUE(host.logEnabled(LLMP_LOG_ERROR));
}

}  // namespace
}  // namespace llmp::testing
