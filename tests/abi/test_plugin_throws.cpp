// A C++ test plugin whose request methods throw: llmp::guarded must turn every exception into a
// status and error details, so the host sees an error and never a crash.
#include <llmp/llmp.h>

#include <cstring>
#include <llmp/cpp/errors.hpp>
#include <stdexcept>

namespace {

struct Instance {
  int unused = 0;
};

const char* const kTypes[] = {"throws"};

llmp_status LLMP_ABI create(const llmp_host_api*, const char* type, llmp_bytes, llmp_bytes,
                            llmp_backend** out, const llmp_error_sink* err) {
  return llmp::guarded(err, [&] {
    if (std::strcmp(type, "throws") != 0) {
      throw llmp::Error(LLMP_E_INVALID, 400, "unknown type");
    }
    *out = reinterpret_cast<llmp_backend*>(new Instance());
    return LLMP_OK;
  });
}

void LLMP_ABI destroy(llmp_backend* backend) { delete reinterpret_cast<Instance*>(backend); }

llmp_status LLMP_ABI generate(llmp_backend*, const llmp_generate_request*, const llmp_event_sink*,
                              const llmp_error_sink* err) {
  return llmp::guarded(err, []() -> llmp_status { throw std::runtime_error("boom"); });
}

llmp_status LLMP_ABI countTokens(llmp_backend*, const llmp_generate_request*,
                                 const llmp_bytes_sink*, const llmp_error_sink* err) {
  return llmp::guarded(err, []() -> llmp_status {
    throw llmp::Error(LLMP_E_RATE_LIMITED, 429, "slow down", R"({"error":{"code":429}})", 1500);
  });
}

llmp_status LLMP_ABI listModels(llmp_backend*, const llmp_bytes_sink*, const llmp_error_sink* err) {
  return llmp::guarded(err, []() -> llmp_status { throw 42; });
}

const llmp_backend_factory kFactory = {sizeof(llmp_backend_factory),
                                       kTypes,
                                       1,
                                       nullptr,
                                       0,
                                       create,
                                       destroy,
                                       generate,
                                       countTokens,
                                       listModels,
                                       nullptr,
                                       0};

const void* LLMP_ABI getFactory(const char* id) {
  return id != nullptr && std::strcmp(id, LLMP_BACKEND_FACTORY_V1) == 0 ? &kFactory : nullptr;
}

const llmp_plugin_descriptor kDescriptor = {
    LLMP_ABI_MAJOR, LLMP_ABI_MINOR, sizeof(llmp_plugin_descriptor),     "dev.llmp.test.throws",
    "throws",       "0.0.1",        "Test plugin whose methods throw.", nullptr,
    nullptr,        getFactory};

}  // namespace

extern "C" LLMP_PLUGIN_ENTRY(, ) { return &kDescriptor; }
