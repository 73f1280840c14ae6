// The C ABI of the gemini-cloud plugin: backend type `gemini-cli-cloud-project`, built by
// llmp::glue from the class below (every callback runs inside guarded).
#include <llmp/cpp/errors.hpp>
#include <llmp/cpp/plugin_glue.hpp>

#include <cstdlib>
#include <memory>

#include "backend.hpp"
#include "config.hpp"

namespace llmp::plugins::gemini_cloud {
namespace {

const char* const kTypes[] = {kBackendType};

// CloudBackend as llmp::glue expects it.
class GlueBackend : public CloudBackend {
 public:
  using CloudBackend::CloudBackend;

  static std::unique_ptr<GlueBackend> create(const llmp_host_api* host, std::string_view type,
                                             std::string_view instance,
                                             std::string_view configJson) {
    if (type != kTypes[0]) {
      throw Error(LLMP_E_INVALID, 0, "gemini-cloud: unknown backend type");
    }
    EnvFn env = [](const char* name) { return std::getenv(name); };
    auto cfg = parseConfig(instance, configJson, env);
    std::string name = cfg.instance;
    try {
      return std::make_unique<GlueBackend>(Host(host), std::move(cfg), env);
    } catch (const Error& e) {
      // Credential problems: name the instance so the operator knows which backend to fix.
      throw Error(e.code(), e.httpStatus(),
                  "backend '" + name + "' (type " + kBackendType + "): " + e.what());
    }
  }
};

}  // namespace
}  // namespace llmp::plugins::gemini_cloud

LLMP_GLUE_PLUGIN("dev.llmp.gemini-cloud", "gemini-cloud", "0.1.0",
                 "Gemini through Google Code Assist, billed to your GCP project (ADC / service "
                 "account)",
                 llmp::glue::backendFactory<llmp::plugins::gemini_cloud::GlueBackend>(
                     llmp::plugins::gemini_cloud::kTypes),
                 nullptr)
