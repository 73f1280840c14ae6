// The fake's Poco request handler factory (internal).
#pragma once

#include <Poco/Net/HTTPRequestHandlerFactory.h>

#include <memory>

#include "fake_gemini.hpp"

namespace llmp::fakes {

class FakeGeminiHandlerFactory : public Poco::Net::HTTPRequestHandlerFactory {
 public:
  explicit FakeGeminiHandlerFactory(std::shared_ptr<FakeGemini::State> state)
      : state_(std::move(state)) {}
  Poco::Net::HTTPRequestHandler* createRequestHandler(
      const Poco::Net::HTTPServerRequest& request) override;

 private:
  std::shared_ptr<FakeGemini::State> state_;
};

}  // namespace llmp::fakes
