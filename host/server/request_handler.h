// Serves one HTTP request: /healthz, front-end matching, proxy-key auth, then the front end.
#pragma once

#include <Poco/Net/HTTPRequestHandler.h>
#include <Poco/Net/HTTPRequestHandlerFactory.h>

#include "server/proxy_server.h"

namespace llmp::host {

class ProxyRequestHandler : public Poco::Net::HTTPRequestHandler {
 public:
  explicit ProxyRequestHandler(ServerContext& context) : context_(context) {}
  void handleRequest(Poco::Net::HTTPServerRequest& request,
                     Poco::Net::HTTPServerResponse& response) override;

 private:
  ServerContext& context_;
};

class ProxyHandlerFactory : public Poco::Net::HTTPRequestHandlerFactory {
 public:
  explicit ProxyHandlerFactory(ServerContext& context) : context_(context) {}
  Poco::Net::HTTPRequestHandler* createRequestHandler(
      const Poco::Net::HTTPServerRequest&) override {
    return new ProxyRequestHandler(context_);
  }

 private:
  ServerContext& context_;
};

}  // namespace llmp::host
