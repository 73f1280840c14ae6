#include "plugin_fixture.hpp"

#include <dlfcn.h>

#include <llmp/cpp/bytes.hpp>
#include <llmp/cpp/sinks.hpp>
#include <stdexcept>

namespace llmp::plugins::gemini_api::testing {

namespace {

struct Loaded {
  void* handle = nullptr;
  const llmp_plugin_descriptor* descriptor = nullptr;
  const llmp_backend_factory* factory = nullptr;
};

const Loaded& loaded() {
  static const Loaded instance = [] {
    Loaded l;
    l.handle = dlopen(LLMP_GEMINI_API_PLUGIN_PATH, RTLD_NOW | RTLD_LOCAL);
    if (l.handle == nullptr) {
      throw std::runtime_error(std::string("dlopen failed: ") + dlerror());
    }
    auto entry = reinterpret_cast<llmp_plugin_entry_fn>(dlsym(l.handle, LLMP_PLUGIN_ENTRY_SYMBOL));
    if (entry == nullptr) {
      throw std::runtime_error("no llmp_plugin_entry");
    }
    l.descriptor = entry(LLMP_ABI_MAJOR, LLMP_ABI_MINOR);
    if (l.descriptor == nullptr) {
      throw std::runtime_error("the plugin refused the ABI version");
    }
    l.factory = static_cast<const llmp_backend_factory*>(
        l.descriptor->get_factory(LLMP_BACKEND_FACTORY_V1));
    return l;
  }();
  return instance;
}

}  // namespace

const llmp_plugin_descriptor* pluginDescriptor() { return loaded().descriptor; }
const llmp_backend_factory* backendFactory() { return loaded().factory; }

Backend::Backend(const llmp_host_api* host, std::string name, const nlohmann::json& config) {
  std::string cfg = config.dump();
  createStatus_ = backendFactory()->create(host, "gemini", toBytes(name), toBytes(cfg), &backend_,
                                           createError_.sink());
}

Backend::~Backend() {
  if (backend_ != nullptr) {
    backendFactory()->destroy(backend_);
  }
}

CallResult Backend::generate(const std::string& model, const std::string& ir, bool stream,
                             std::function<llmp_status(const std::string&)> onChunk) {
  CallResult result;
  EventSinkFn sink([&](uint32_t kind, std::string_view data) -> llmp_status {
    if (kind != LLMP_EVENT_CHUNK) {
      return LLMP_OK;
    }
    result.chunks.emplace_back(data);
    return onChunk ? onChunk(result.chunks.back()) : LLMP_OK;
  });
  llmp_generate_request req{};
  req.struct_size = sizeof(req);
  req.model = toBytes(model);
  req.ir = toBytes(ir);
  req.flags = stream ? LLMP_GENERATE_STREAM : 0;
  result.status = backendFactory()->generate(backend_, &req, sink.sink(), result.error.sink());
  return result;
}

CallResult Backend::countTokens(const std::string& model, const std::string& ir) {
  CallResult result;
  StringSink out;
  llmp_generate_request req{};
  req.struct_size = sizeof(req);
  req.model = toBytes(model);
  req.ir = toBytes(ir);
  result.status = backendFactory()->count_tokens(backend_, &req, out.sink(), result.error.sink());
  result.chunks.push_back(out.value());
  return result;
}

CallResult Backend::listModels() {
  CallResult result;
  StringSink out;
  result.status = backendFactory()->list_models(backend_, out.sink(), result.error.sink());
  result.chunks.push_back(out.value());
  return result;
}

std::string Backend::health() {
  auto* ext = static_cast<const llmp_health_ext*>(
      backendFactory()->get_extension(backend_, LLMP_EXT_HEALTH_V1));
  if (ext == nullptr) {
    return {};
  }
  StringSink out;
  ext->report(backend_, out.sink());
  return out.value();
}

}  // namespace llmp::plugins::gemini_api::testing
