// The C ABI of the antigravity plugin: backend type `antigravity-oauth`, debug-gated (the host
// refuses it unless started with --enable-antigravity-oauth-backend-debugging-override). Built
// by llmp::glue from the class below (every callback runs inside guarded).
#include <llmp/cpp/errors.hpp>
#include <llmp/cpp/plugin_glue.hpp>

#include <cstdlib>
#include <memory>

#include "backend.hpp"
#include "config.hpp"

namespace llmp::plugins::antigravity {
namespace {

const char* const kTypes[] = {kBackendType};

// AntigravityBackend as llmp::glue expects it.
class GlueBackend : public AntigravityBackend {
 public:
  using AntigravityBackend::AntigravityBackend;

  static std::unique_ptr<GlueBackend> create(const llmp_host_api* host, std::string_view type,
                                             std::string_view instance,
                                             std::string_view configJson) {
    if (type != kTypes[0]) {
      throw Error(LLMP_E_INVALID, 0, "antigravity: unknown backend type");
    }
    EnvFn env = [](const char* name) { return std::getenv(name); };
    return std::make_unique<GlueBackend>(Host(host), parseConfig(instance, configJson, env));
  }
};

}  // namespace
}  // namespace llmp::plugins::antigravity

// Every type of this plugin is debug-gated.
LLMP_GLUE_PLUGIN("dev.llmp.antigravity", "antigravity", "0.1.0",
                 "Gemini and Claude through Antigravity's endpoints (internal development and "
                 "compatibility testing only; debug-gated)",
                 llmp::glue::gatedBackendFactory<llmp::plugins::antigravity::GlueBackend>(
                     llmp::plugins::antigravity::kTypes),
                 nullptr)
