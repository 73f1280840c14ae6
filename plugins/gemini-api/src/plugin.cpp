// The C ABI of the gemini-api plugin: descriptor, backend factory ("gemini") and the health
// extension, built by llmp::glue from the class below (every callback runs inside guarded).
#include <llmp/cpp/bytes.hpp>
#include <llmp/cpp/config_reader.hpp>
#include <llmp/cpp/errors.hpp>
#include <llmp/cpp/host.hpp>
#include <llmp/cpp/plugin_glue.hpp>

#include <cstdlib>
#include <memory>

#include "config.hpp"
#include "gemini_backend.hpp"

namespace llmp::plugins::gemini_api {
namespace {

const char* const kTypes[] = {"gemini"};

// GeminiBackend as llmp::glue expects it.
class GlueBackend : public GeminiBackend {
 public:
  // May run on a fiber (LLMP_*_COOPERATIVE): generate blocks only inside host calls; the key pool's lock is never held across one.
  static constexpr bool kCooperative = true;
  using GeminiBackend::GeminiBackend;

  static std::unique_ptr<GlueBackend> create(const llmp_host_api* host, std::string_view type,
                                             std::string_view instance,
                                             std::string_view configJson) {
    if (type != kTypes[0]) {
      throw Error(LLMP_E_INVALID, 0,
                  "the gemini-api plugin has no backend type '" + std::string(type) + "'");
    }
    GeminiConfig cfg = parseConfig(instance, configJson, std::getenv("GEMINI_API_KEY"));
    config::warnUnknownSettings(Host(host), "backend '" + cfg.instance + "' (type gemini)",
                                cfg.unknownSettings, " (see docs/backends/gemini.md)");
    return std::make_unique<GlueBackend>(Host(host), std::move(cfg));
  }

  void generate(const llmp_generate_request& request, const llmp_event_sink* sink) {
    GeminiBackend::generate(view(request.model), view(request.ir),
                            (request.flags & LLMP_GENERATE_STREAM) != 0, sink);
  }

  std::string countTokens(const llmp_generate_request& request) {
    return GeminiBackend::countTokens(view(request.model), view(request.ir));
  }
};

}  // namespace
}  // namespace llmp::plugins::gemini_api

LLMP_GLUE_PLUGIN("dev.llmp.gemini-api", "gemini-api", "1.0.0",
                 "Gemini Developer API (generativelanguage.googleapis.com) by API key, with key "
                 "rotation",
                 llmp::glue::backendFactory<llmp::plugins::gemini_api::GlueBackend>(
                     llmp::plugins::gemini_api::kTypes),
                 nullptr)
