// The ABI surface of the gemini-cli-acp backend, built by llmp::glue from the class below (every
// callback runs inside guarded). Everything of substance lives in acp_backend.cpp so tests can
// drive it directly.
#include <llmp/cpp/config_reader.hpp>
#include <llmp/cpp/errors.hpp>
#include <llmp/cpp/json.hpp>
#include <llmp/cpp/plugin_glue.hpp>

#include <memory>

#include "acp_backend.hpp"
#include "config.hpp"

namespace llmp::plugins::gemini_acp {
namespace {

const char* const kTypes[] = {"gemini-cli-acp"};

// AcpBackend as llmp::glue expects it. There is no countTokens: the CLI has no token counting
// over ACP, so the factory's count_tokens stays NULL.
class GlueBackend : public AcpBackend {
 public:
  using AcpBackend::AcpBackend;

  static std::unique_ptr<GlueBackend> create(const llmp_host_api* host, std::string_view /*type*/,
                                             std::string_view instance,
                                             std::string_view configJson) {
    Json doc = Json::object();
    if (!configJson.empty()) {
      std::string parseError;
      auto parsed = parseJson(configJson, &parseError);
      if (!parsed) {
        throw Error(LLMP_E_INVALID, 400, "gemini-cli-acp config is not valid JSON: " + parseError);
      }
      doc = std::move(*parsed);
    }
    auto backend = std::make_unique<GlueBackend>(host, std::string(instance), parseConfig(doc));
    config::warnUnknownSettings(Host(host),
                                "gemini-cli-acp backend '" + std::string(instance) + "'",
                                unknownConfigKeys(doc));
    return backend;
  }
};

}  // namespace
}  // namespace llmp::plugins::gemini_acp

LLMP_GLUE_PLUGIN("dev.llmp.gemini-acp", "gemini-acp", "0.1.0",
                 "Runs the local Gemini CLI as an agent over the Agent Client Protocol",
                 llmp::glue::backendFactory<llmp::plugins::gemini_acp::GlueBackend>(
                     llmp::plugins::gemini_acp::kTypes),
                 nullptr)
