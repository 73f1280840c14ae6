// One `gemini-cli-cloud-project` backend instance: Gemini through Google's Code Assist API,
// billed to the operator's own GCP project, authenticated with Application Default Credentials
// (service-account key, authorized_user, or the metadata server). Thread-safe: the host calls
// one instance from many request threads at once.
#pragma once

#include <llmp/backend.h>
#include <llmp/cpp/adc.hpp>
#include <llmp/cpp/code_assist.hpp>
#include <llmp/cpp/errors.hpp>
#include <llmp/cpp/google_oauth.hpp>
#include <llmp/cpp/host.hpp>

#include <condition_variable>
#include <exception>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "config.hpp"

namespace llmp::plugins::gemini_cloud {

class CloudBackend {
 public:
  // Discovers the credentials (throws llmp::Error(LLMP_E_INVALID) naming the file and field when
  // they are unusable); no network call happens here.
  CloudBackend(Host host, CloudConfig config, const EnvFn& env);

  // Runs one generation; emits IR chunks through sink. Throws llmp::Error on failure.
  // Returns LLMP_E_CANCELLED (without throwing) when the client went away.
  llmp_status generate(const llmp_generate_request& request, const llmp_event_sink* sink);
  // {"totalTokens": N}
  std::string countTokens(const llmp_generate_request& request);
  // JSON array of Gemini Model objects.
  std::string listModels() const;
  // JSON object for /healthz; holds no secret.
  std::string health() const;

  const CloudConfig& config() const { return config_; }
  const google::AdcCredentials& credentials() const { return creds_; }

 private:
  struct Attempt;

  code_assist::SetupResult ensureSetup();
  HttpRequest baseRequest(const std::string& method, const std::string& url,
                          const std::string& token) const;
  // One authenticated exchange, buffered, with one retry on 401 after dropping the token.
  HttpResponse callBuffered(const std::string& method, const std::string& url,
                            const std::string& body);
  [[noreturn]] void throwTransport(llmp_status st, const ErrorRecord& err) const;
  [[noreturn]] void throwUpstream(int32_t status, const std::string& body) const;
  std::vector<std::string> secrets() const;
  void log(int32_t level, const std::string& message) const;

  Host host_;
  CloudConfig config_;
  google::AdcCredentials creds_;
  std::unique_ptr<google::TokenCache> tokens_;
  std::string hostPort_;  // for messages

  mutable std::mutex setupMutex_;
  std::condition_variable setupCv_;
  std::optional<code_assist::SetupResult> setup_;
  bool setupRunning_ = false;
  uint64_t setupGeneration_ = 0;
  std::exception_ptr setupError_;
};

}  // namespace llmp::plugins::gemini_cloud
