// HTTPS verification: a local TLS server with a freshly made self-signed certificate for
// "localhost". Trusted through caFile it works; with the system store, or under another host
// name, the handshake must be refused.
#include <gtest/gtest.h>

#include <chrono>
#include <future>
#include <string>
#include <thread>

#include <Poco/Net/Context.h>
#include <Poco/Net/HTTPRequestHandler.h>
#include <Poco/Net/HTTPRequestHandlerFactory.h>
#include <Poco/Net/HTTPServer.h>
#include <Poco/Net/HTTPServerParams.h>
#include <Poco/Net/HTTPServerRequest.h>
#include <Poco/Net/HTTPServerResponse.h>
#include <Poco/Net/NetSSL.h>
#include <Poco/Net/SecureServerSocket.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>
#include <unistd.h>

#include <llmp/cpp/errors.hpp>
#include <llmp/cpp/host.hpp>

#include <cstdio>
#include <memory>
#include <string>

#include "fiber/blocking_pool.h"
#include "fiber/fiber_loop.h"
#include "services/host_services.h"

namespace llmp::host {
namespace {

// Writes a self-signed EC certificate for DNS:localhost and its key to two PEM files.
bool makeSelfSigned(const std::string& certPath, const std::string& keyPath) {
  EVP_PKEY* key = EVP_EC_gen("P-256");
  if (key == nullptr) {
    return false;
  }
  X509* cert = X509_new();
  X509_set_version(cert, 2);
  ASN1_INTEGER_set(X509_get_serialNumber(cert), 1);
  X509_gmtime_adj(X509_getm_notBefore(cert), -3600);
  X509_gmtime_adj(X509_getm_notAfter(cert), 24 * 3600);
  X509_set_pubkey(cert, key);
  X509_NAME* name = X509_get_subject_name(cert);
  X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC, reinterpret_cast<const unsigned char*>("localhost"), -1, -1, 0);
  X509_set_issuer_name(cert, name);
  X509V3_CTX ctx;
  X509V3_set_ctx_nodb(&ctx);
  X509V3_set_ctx(&ctx, cert, cert, nullptr, nullptr, 0);
  for (const char* ext : {"subjectAltName=DNS:localhost", "basicConstraints=critical,CA:TRUE"}) {
    std::string e(ext);
    size_t eq = e.find('=');
    X509_EXTENSION* x = X509V3_EXT_conf(nullptr, &ctx, e.substr(0, eq).c_str(), e.substr(eq + 1).c_str());
    X509_add_ext(cert, x, -1);
    X509_EXTENSION_free(x);
  }
  bool ok = X509_sign(cert, key, EVP_sha256()) > 0;
  FILE* f = std::fopen(certPath.c_str(), "w");
  ok = ok && f != nullptr && PEM_write_X509(f, cert) == 1;
  if (f != nullptr) {
    std::fclose(f);
  }
  f = std::fopen(keyPath.c_str(), "w");
  ok = ok && f != nullptr && PEM_write_PrivateKey(f, key, nullptr, nullptr, 0, nullptr, nullptr) == 1;
  if (f != nullptr) {
    std::fclose(f);
  }
  X509_free(cert);
  EVP_PKEY_free(key);
  return ok;
}

class Hello : public Poco::Net::HTTPRequestHandler {
 public:
  void handleRequest(Poco::Net::HTTPServerRequest& req, Poco::Net::HTTPServerResponse& resp) override {
    if (req.getURI() != "/stream") {
      resp.sendBuffer("secure hello", 12);
      return;
    }
    // Pieces of growing size, some larger than one TLS record (16 KiB), each flushed on its own.
    resp.setChunkedTransferEncoding(true);
    std::ostream& out = resp.send();
    for (int i = 0; i < 12; ++i) {
      out << std::string(static_cast<size_t>(1) << (i + 4), static_cast<char>('a' + i));
      out.flush();
      std::this_thread::sleep_for(std::chrono::milliseconds(2));
    }
  }
};

class HelloFactory : public Poco::Net::HTTPRequestHandlerFactory {
 public:
  Poco::Net::HTTPRequestHandler* createRequestHandler(const Poco::Net::HTTPServerRequest&) override {
    return new Hello;
  }
};

class TlsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char dir[] = "/tmp/llmp-tls-XXXXXX";
    ASSERT_NE(::mkdtemp(dir), nullptr);
    dir_ = dir;
    cert_ = dir_ + "/cert.pem";
    key_ = dir_ + "/key.pem";
    ASSERT_TRUE(makeSelfSigned(cert_, key_));
    Poco::Net::initializeSSL();
    Poco::Net::Context::Ptr context = new Poco::Net::Context(
        Poco::Net::Context::TLS_SERVER_USE, key_, cert_, "", Poco::Net::Context::VERIFY_NONE);
    Poco::Net::SecureServerSocket socket(Poco::Net::SocketAddress("127.0.0.1", 0), 64, context);
    port_ = socket.address().port();
    server_ = std::make_unique<Poco::Net::HTTPServer>(new HelloFactory, socket, new Poco::Net::HTTPServerParams);
    server_->start();
  }
  void TearDown() override {
    if (server_) {
      server_->stopAll(true);
    }
    ::unlink(cert_.c_str());
    ::unlink(key_.c_str());
    ::rmdir(dir_.c_str());
  }

  llmp_status fetch(HostServices& services, const std::string& host, llmp::HttpResponse* resp,
                    llmp::ErrorRecord* err) {
    llmp::Host h(services.apiFor("tls-test"));
    llmp::HttpRequest req;
    req.url = "https://" + host + ":" + std::to_string(port_) + "/hello";
    return h.fetch(req, resp, err);
  }

  std::string dir_, cert_, key_;
  uint16_t port_ = 0;
  std::unique_ptr<Poco::Net::HTTPServer> server_;
};

TEST_F(TlsTest, TrustedCertificateIsAccepted) {
  ServicesOptions options;
  options.caFile = cert_;
  HostServices services(options);
  llmp::HttpResponse resp;
  llmp::ErrorRecord err;
  ASSERT_EQ(fetch(services, "localhost", &resp, &err), LLMP_OK) << err.message;
  EXPECT_EQ(resp.status, 200);
  EXPECT_EQ(resp.body, "secure hello");
}

TEST_F(TlsTest, UnknownIssuerIsRefused) {
  HostServices services;  // system store: does not know our certificate
  llmp::HttpResponse resp;
  llmp::ErrorRecord err;
  EXPECT_EQ(fetch(services, "localhost", &resp, &err), LLMP_E_UNAVAILABLE);
  EXPECT_EQ(resp.status, 0);
  EXPECT_NE(err.message.find("localhost:" + std::to_string(port_)), std::string::npos) << err.message;
}

TEST_F(TlsTest, CertificateForAnotherNameIsRefused) {
  ServicesOptions options;
  options.caFile = cert_;
  HostServices services(options);
  llmp::HttpResponse resp;
  llmp::ErrorRecord err;
  // Same server, trusted issuer, but the certificate names "localhost", not 127.0.0.1.
  EXPECT_EQ(fetch(services, "127.0.0.1", &resp, &err), LLMP_E_UNAVAILABLE);
  EXPECT_EQ(resp.status, 0);
}

TEST_F(TlsTest, StreamRelayedByAnIoThreadArrivesWholeAndInOrder) {
  ServicesOptions options;
  options.caFile = cert_;
  HostServices services(options);
  llmp::Host h(services.apiFor("tls-test"));
  llmp::HttpRequest req;
  req.url = "https://localhost:" + std::to_string(port_) + "/stream";
  req.flags = LLMP_HTTP_BODY_ON_IO_THREAD;
  std::string expected;
  for (int i = 0; i < 12; ++i) {
    expected += std::string(static_cast<size_t>(1) << (i + 4), static_cast<char>('a' + i));
  }
  for (int round = 0; round < 2; ++round) {  // the second one reuses the TLS connection
    llmp::HttpResponse resp;
    llmp::ErrorRecord err;
    ASSERT_EQ(h.fetch(req, &resp, &err), LLMP_OK) << err.message;
    EXPECT_EQ(resp.status, 200);
    EXPECT_EQ(resp.body.size(), expected.size());
    EXPECT_TRUE(resp.body == expected) << "relayed TLS body differs";
  }
}

// On a fiber (a cooperative plugin's call in the server) the TLS exchange itself runs there, with
// a non-blocking socket: only the connect and handshake go to the blocking pool.
TEST_F(TlsTest, OnAFiberRequestsAndStreamsArriveWholeOverOneConnection) {
  ServicesOptions options;
  options.caFile = cert_;
  HostServices services(options);
  llmp::Host h(services.apiFor("tls-test"));
  fiber::BlockingPool pool(4, 256 * 1024);
  fiber::BlockingPool::install(&pool);
  std::string expected;
  for (int i = 0; i < 12; ++i) {
    expected += std::string(static_cast<size_t>(1) << (i + 4), static_cast<char>('a' + i));
  }
  struct Result {
    llmp_status status;
    int http;
    std::string body;
    std::string error;
  };
  auto onFiber = [&](const std::string& path, uint32_t flags) {
    std::promise<Result> done;
    fiber::Loop loop("tls-test");
    loop.spawn([&] {
      llmp::HttpRequest req;
      req.url = "https://localhost:" + std::to_string(port_) + path;
      req.flags = flags;
      llmp::HttpResponse resp;
      llmp::ErrorRecord err;
      const llmp_status s = h.fetch(req, &resp, &err);
      done.set_value({s, resp.status, resp.body, err.message});
    });
    return done.get_future().get();
  };
  for (uint32_t flags : {0u, 0u, uint32_t{LLMP_HTTP_BODY_ON_IO_THREAD}}) {
    Result hello = onFiber("/hello", flags);
    ASSERT_EQ(hello.status, LLMP_OK) << hello.error;
    EXPECT_EQ(hello.http, 200);
    EXPECT_EQ(hello.body, "secure hello");
    Result stream = onFiber("/stream", flags);
    ASSERT_EQ(stream.status, LLMP_OK) << stream.error;
    EXPECT_EQ(stream.body.size(), expected.size());
    EXPECT_TRUE(stream.body == expected) << "TLS body read on a fiber differs";
  }
  EXPECT_EQ(server_->totalConnections(), 1) << "every exchange reused the one connection";
  fiber::BlockingPool::install(nullptr);
}

}  // namespace
}  // namespace llmp::host
