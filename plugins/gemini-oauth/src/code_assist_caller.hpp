// What the three gemini-oauth backends share: building Code Assist requests for a token and
// project, one generation exchange, countTokens, setup (project discovery), error mapping, and
// the static model list.
#pragma once

#include <llmp/backend.h>

#include <functional>
#include <llmp/cpp/code_assist.hpp>
#include <llmp/cpp/code_assist_call.hpp>
#include <llmp/cpp/errors.hpp>
#include <llmp/cpp/host.hpp>
#include <string>
#include <vector>

#include "config.hpp"

namespace llmp::plugins::gemini_oauth {

class CodeAssistCaller {
 public:
  CodeAssistCaller(Host host, const OAuthConfig& config) : host_(host), config_(config) {}

  HttpRequest request(const std::string& method, const std::string& url,
                      const std::string& token) const;
  // The wrapped generate body for the request.
  std::string generateBody(const llmp_generate_request& request, const std::string& project) const;
  std::string generateUrl(bool stream) const;
  code_assist::GenerateOutcome generate(const std::string& token, const std::string& body,
                                        bool stream, const llmp_event_sink* sink,
                                        const std::vector<std::string>& secrets) const;
  // One buffered POST/GET (setup, countTokens). Throws llmp::Error on transport failure.
  HttpResponse call(const std::string& method, const std::string& url, const std::string& body,
                    const std::string& token, const std::vector<std::string>& secrets) const;
  // Runs loadCodeAssist / onboardUser for `policy`; `token()` gives the current token and
  // `invalidate(t)` drops a refused one (retried once on 401).
  code_assist::SetupResult setup(const std::function<std::string()>& token,
                                 const std::function<void(const std::string&)>& invalidate,
                                 code_assist::TierPolicy policy, const std::string& project,
                                 const std::vector<std::string>& secrets) const;
  // Throws the error an unsuccessful outcome stands for.
  [[noreturn]] void throwOutcome(const code_assist::GenerateOutcome& o,
                                 const std::vector<std::string>& secrets) const;
  [[noreturn]] void throwUpstream(int32_t status, const std::string& body,
                                  const std::vector<std::string>& secrets) const;
  // countTokens with `token`; returns the response status and body ({"totalTokens"} on 200).
  HttpResponse countTokens(const llmp_generate_request& request, const std::string& token,
                           const std::vector<std::string>& secrets) const;
  std::string normalizeCount(const std::string& body) const;
  std::string modelList(const std::string& description) const;
  void log(int32_t level, const std::string& message,
           const std::vector<std::string>& secrets) const;
  const Host& host() const { return host_; }

 private:
  Host host_;
  const OAuthConfig& config_;
};

}  // namespace llmp::plugins::gemini_oauth
