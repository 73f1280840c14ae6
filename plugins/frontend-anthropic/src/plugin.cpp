// The ABI entry point of the Anthropic Messages front end (factory "anthropic"), built by
// llmp::glue from the class below (every callback runs inside guarded).
#include <llmp/cpp/errors.hpp>
#include <llmp/cpp/json.hpp>
#include <llmp/cpp/plugin_glue.hpp>

#include <memory>

#include "handler.hpp"

namespace llmp::plugins::anthropic {
namespace {

// Frontend as llmp::glue expects it: the config must be empty or a JSON object.
class GlueFrontend : public Frontend {
 public:
  // May run on a fiber (LLMP_*_COOPERATIVE): handle blocks only inside host calls and holds no lock across one.
  static constexpr bool kCooperative = true;
  using Frontend::Frontend;

  static std::unique_ptr<GlueFrontend> create(const llmp_host_api* host,
                                              std::string_view configJson) {
    if (!configJson.empty()) {
      auto parsed = parseJson(configJson);
      if (!parsed || !(parsed->is_object() || parsed->is_null())) {
        throw Error(LLMP_E_INVALID, 0, "anthropic front end: config must be a JSON object");
      }
    }
    return std::make_unique<GlueFrontend>(Host(host));
  }
};

}  // namespace
}  // namespace llmp::plugins::anthropic

LLMP_GLUE_PLUGIN("dev.llmp.frontend-anthropic", "frontend-anthropic", "1.0.0",
                 "Serves the Anthropic Messages API (/v1/messages, count_tokens, models) on top of "
                 "the IR.",
                 nullptr,
                 llmp::glue::frontendFactory<llmp::plugins::anthropic::GlueFrontend>("anthropic"))
