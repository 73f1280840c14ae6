// The C ABI glue of a C++ plugin, built from plain C++ classes: the llmp_backend_factory /
// llmp_frontend_factory tables, their trampolines and the plugin descriptor with its entry
// point. Every trampoline runs inside llmp::guarded (or a catch-all), so no exception crosses
// the ABI. Tables are function-local statics of POD type, so there are no global constructors.
//
// A backend class B provides
//   static std::unique_ptr<B> create(const llmp_host_api* host, std::string_view type,
//                                    std::string_view instance, std::string_view configJson);
//   generate(const llmp_generate_request&, const llmp_event_sink*)  -> void or llmp_status
// and optionally (each missing one leaves its table slot NULL / the extension absent)
//   countTokens(const llmp_generate_request&) -> std::string or Json
//   listModels()                              -> std::string or Json
//   health()                                  -> std::string or Json   (LLMP_EXT_HEALTH_V1)
//   const void* extension(const char* id)     -> further per-instance extensions
// A front-end class F provides
//   static std::unique_ptr<F> create(const llmp_host_api* host, std::string_view configJson);
//   int32_t match(const llmp_incoming_request&);
//   llmp_status handle(const llmp_incoming_request&, const llmp_responder&, const llmp_router&);
//   llmp_status renderError(const llmp_responder&, llmp_status, int32_t httpStatus,
//                           std::string_view message);
//
// A plugin then ends with, at global scope:
//   LLMP_GLUE_PLUGIN("dev.llmp.x", "x", "1.0.0", "One sentence.",
//                    llmp::glue::backendFactory<MyBackend>(kTypes), nullptr)
#pragma once

#include <llmp/backend.h>
#include <llmp/frontend.h>
#include <llmp/plugin.h>

#include <cstddef>
#include <cstring>
#include <memory>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>

#include "bytes.hpp"
#include "errors.hpp"
#include "json.hpp"

namespace llmp::glue {
namespace detail {

template <class T, class = void>
struct HasCountTokens : std::false_type {};
template <class T>
struct HasCountTokens<T, std::void_t<decltype(std::declval<T&>().countTokens(
                             std::declval<const llmp_generate_request&>()))>> : std::true_type {};

template <class T, class = void>
struct HasListModels : std::false_type {};
template <class T>
struct HasListModels<T, std::void_t<decltype(std::declval<T&>().listModels())>> : std::true_type {
};

template <class T, class = void>
struct HasHealth : std::false_type {};
template <class T>
struct HasHealth<T, std::void_t<decltype(std::declval<T&>().health())>> : std::true_type {};

template <class T, class = void>
struct HasExtension : std::false_type {};
template <class T>
struct HasExtension<T, std::void_t<decltype(std::declval<T&>().extension(
                           std::declval<const char*>()))>> : std::true_type {};

// A class declares `static constexpr bool kCooperative = true;` when its generate (backend) or
// handle (front end) follows the rules of LLMP_BACKEND_COOPERATIVE: it then may run on a fiber.
template <class T, class = void>
struct IsCooperative : std::false_type {};
template <class T>
struct IsCooperative<T, std::void_t<decltype(T::kCooperative)>>
    : std::bool_constant<T::kCooperative> {};

inline std::string textOf(std::string text) { return text; }
inline std::string textOf(const Json& value) { return dumpJson(value); }

inline llmp_status writeText(const llmp_bytes_sink* out, const std::string& text) {
  if (out == nullptr || out->write == nullptr) {
    throw Error(LLMP_E_INVALID, 0, "no output sink");
  }
  return out->write(out->ctx, toBytes(text));
}

// ---- backend trampolines ------------------------------------------------------------------

template <class B>
B* self(llmp_backend* backend) {
  return reinterpret_cast<B*>(backend);
}

template <class B>
llmp_status LLMP_ABI createBackend(const llmp_host_api* host, const char* type,
                                   llmp_bytes instance, llmp_bytes configJson, llmp_backend** out,
                                   const llmp_error_sink* err) {
  return guarded(err, [&]() -> llmp_status {
    if (out == nullptr) {
      throw Error(LLMP_E_INVALID, 0, "create: no output pointer");
    }
    *out = nullptr;
    std::unique_ptr<B> backend =
        B::create(host, type != nullptr ? std::string_view(type) : std::string_view(),
                  view(instance), view(configJson));
    *out = reinterpret_cast<llmp_backend*>(backend.release());
    return LLMP_OK;
  });
}

template <class B>
void LLMP_ABI destroyBackend(llmp_backend* backend) {
  try {
    delete self<B>(backend);
  } catch (...) {  // a throwing destructor must not cross the ABI either
  }
}

template <class B>
llmp_status LLMP_ABI generate(llmp_backend* backend, const llmp_generate_request* request,
                              const llmp_event_sink* sink, const llmp_error_sink* err) {
  return guarded(err, [&]() -> llmp_status {
    if (backend == nullptr || request == nullptr || sink == nullptr || sink->emit == nullptr) {
      throw Error(LLMP_E_INVALID, 0, "generate: missing backend, request or sink");
    }
    llmp_status status = LLMP_OK;
    if constexpr (std::is_void_v<decltype(self<B>(backend)->generate(*request, sink))>) {
      self<B>(backend)->generate(*request, sink);
    } else {
      status = self<B>(backend)->generate(*request, sink);
    }
    if (status == LLMP_E_CANCELLED) {
      setError(err, LLMP_E_CANCELLED, 499, "the client went away");
    }
    return status;
  });
}

template <class B>
llmp_status LLMP_ABI countTokens(llmp_backend* backend, const llmp_generate_request* request,
                                 const llmp_bytes_sink* out, const llmp_error_sink* err) {
  return guarded(err, [&]() -> llmp_status {
    if (backend == nullptr || request == nullptr) {
      throw Error(LLMP_E_INVALID, 0, "count_tokens: missing backend or request");
    }
    return writeText(out, textOf(self<B>(backend)->countTokens(*request)));
  });
}

template <class B>
llmp_status LLMP_ABI listModels(llmp_backend* backend, const llmp_bytes_sink* out,
                                const llmp_error_sink* err) {
  return guarded(err, [&]() -> llmp_status {
    if (backend == nullptr) {
      throw Error(LLMP_E_INVALID, 0, "list_models: missing backend");
    }
    return writeText(out, textOf(self<B>(backend)->listModels()));
  });
}

template <class B>
llmp_status LLMP_ABI reportHealth(llmp_backend* backend, const llmp_bytes_sink* out) {
  return guarded(nullptr, [&]() -> llmp_status {
    if (backend == nullptr) {
      return LLMP_E_INVALID;
    }
    return writeText(out, textOf(self<B>(backend)->health()));
  });
}

template <class B>
const llmp_health_ext* healthExtension() {
  static const llmp_health_ext ext = {sizeof(llmp_health_ext), &reportHealth<B>};
  return &ext;
}

template <class B>
const void* LLMP_ABI getExtension(llmp_backend* backend, const char* id) {
  if (id == nullptr) {
    return nullptr;
  }
  if constexpr (HasExtension<B>::value) {
    try {
      if (backend != nullptr) {
        if (const void* ext = self<B>(backend)->extension(id)) {
          return ext;
        }
      }
    } catch (...) {
      return nullptr;
    }
  }
  if constexpr (HasHealth<B>::value) {
    if (std::strcmp(id, LLMP_EXT_HEALTH_V1) == 0) {
      return healthExtension<B>();
    }
  }
  return nullptr;
}

// ---- front-end trampolines ----------------------------------------------------------------

template <class F>
F* self(llmp_frontend* frontend) {
  return reinterpret_cast<F*>(frontend);
}

template <class F>
llmp_status LLMP_ABI createFrontend(const llmp_host_api* host, llmp_bytes configJson,
                                    llmp_frontend** out, const llmp_error_sink* err) {
  return guarded(err, [&]() -> llmp_status {
    if (out == nullptr) {
      throw Error(LLMP_E_INVALID, 0, "create: no output pointer");
    }
    *out = nullptr;
    std::unique_ptr<F> frontend = F::create(host, view(configJson));
    *out = reinterpret_cast<llmp_frontend*>(frontend.release());
    return LLMP_OK;
  });
}

template <class F>
void LLMP_ABI destroyFrontend(llmp_frontend* frontend) {
  try {
    delete self<F>(frontend);
  } catch (...) {
  }
}

template <class F>
int32_t LLMP_ABI match(llmp_frontend* frontend, const llmp_incoming_request* request) {
  if (frontend == nullptr || request == nullptr) {
    return LLMP_MATCH_NONE;
  }
  try {
    return self<F>(frontend)->match(*request);
  } catch (...) {
    return LLMP_MATCH_NONE;
  }
}

template <class F>
llmp_status LLMP_ABI handle(llmp_frontend* frontend, const llmp_incoming_request* request,
                            const llmp_responder* responder, const llmp_router* router) {
  return guarded(nullptr, [&]() -> llmp_status {
    if (frontend == nullptr || request == nullptr || responder == nullptr || router == nullptr) {
      return LLMP_E_INVALID;
    }
    return self<F>(frontend)->handle(*request, *responder, *router);
  });
}

template <class F>
llmp_status LLMP_ABI renderError(llmp_frontend* frontend, const llmp_incoming_request* /*request*/,
                                 const llmp_responder* responder, llmp_status code,
                                 int32_t httpStatus, llmp_bytes message) {
  return guarded(nullptr, [&]() -> llmp_status {
    if (frontend == nullptr || responder == nullptr) {
      return LLMP_E_INVALID;
    }
    return self<F>(frontend)->renderError(*responder, code, httpStatus, view(message));
  });
}

inline const void* LLMP_ABI noFrontendExtension(llmp_frontend* /*frontend*/, const char* /*id*/) {
  return nullptr;
}

}  // namespace detail

// The backend factory of class B. `types` (and `gatedTypes`, types that stay disabled unless the
// operator enables them with the debugging override) must be static arrays; the first call per
// B builds the table, later calls return it unchanged.
template <class B>
const llmp_backend_factory* backendFactory(const char* const* types, size_t typeCount,
                                           const char* const* gatedTypes = nullptr,
                                           size_t gatedTypeCount = 0) {
  using namespace detail;
  llmp_status(LLMP_ABI * count)(llmp_backend*, const llmp_generate_request*,
                                const llmp_bytes_sink*, const llmp_error_sink*) = nullptr;
  if constexpr (HasCountTokens<B>::value) {
    count = &detail::countTokens<B>;
  }
  llmp_status(LLMP_ABI * models)(llmp_backend*, const llmp_bytes_sink*,
                                 const llmp_error_sink*) = nullptr;
  if constexpr (HasListModels<B>::value) {
    models = &detail::listModels<B>;
  }
  static const llmp_backend_factory factory = {
      sizeof(llmp_backend_factory),
      types,
      typeCount,
      gatedTypes,
      gatedTypeCount,
      &createBackend<B>,
      &destroyBackend<B>,
      &detail::generate<B>,
      count,
      models,
      &detail::getExtension<B>,
      IsCooperative<B>::value ? LLMP_BACKEND_COOPERATIVE : 0u,
  };
  return &factory;
}

template <class B, size_t N>
const llmp_backend_factory* backendFactory(const char* const (&types)[N]) {
  return backendFactory<B>(types, N);
}

// Every type of the plugin debug-gated.
template <class B, size_t N>
const llmp_backend_factory* gatedBackendFactory(const char* const (&types)[N]) {
  return backendFactory<B>(types, N, types, N);
}

// The front-end factory of class F; `name` is static ("gemini", "openai" ...).
template <class F>
const llmp_frontend_factory* frontendFactory(const char* name) {
  using namespace detail;
  static const llmp_frontend_factory factory = {
      sizeof(llmp_frontend_factory), name,
      &createFrontend<F>,            &destroyFrontend<F>,
      &detail::match<F>,             &detail::handle<F>,
      &detail::renderError<F>,       &noFrontendExtension,
      IsCooperative<F>::value ? LLMP_FRONTEND_COOPERATIVE : 0u,
  };
  return &factory;
}

// get_factory's answer for a plugin with at most one factory of each kind.
inline const void* selectFactory(const char* id, const llmp_backend_factory* backends,
                                 const llmp_frontend_factory* frontends) {
  if (id == nullptr) {
    return nullptr;
  }
  if (backends != nullptr && std::strcmp(id, LLMP_BACKEND_FACTORY_V1) == 0) {
    return backends;
  }
  if (frontends != nullptr && std::strcmp(id, LLMP_FRONTEND_FACTORY_V1) == 0) {
    return frontends;
  }
  return nullptr;
}

}  // namespace llmp::glue

// The descriptor and the exported entry point. Use once per plugin, at global scope. BACKENDS
// and FRONTENDS are expressions yielding the factory pointers (or nullptr); they are evaluated
// on each get_factory call, which is cheap (function-local statics).
#define LLMP_GLUE_PLUGIN(ID, NAME, VERSION, DESCRIPTION, BACKENDS, FRONTENDS)                   \
  namespace {                                                                                \
  namespace llmp_glue_plugin {                                                               \
  const void* LLMP_ABI getFactory(const char* factoryId) {                                   \
    return ::llmp::glue::selectFactory(factoryId, BACKENDS, FRONTENDS);                      \
  }                                                                                          \
  const llmp_plugin_descriptor kDescriptor = {                                               \
      LLMP_ABI_MAJOR, LLMP_ABI_MINOR, sizeof(llmp_plugin_descriptor), ID, NAME, VERSION,     \
      DESCRIPTION,    nullptr,        nullptr,                        getFactory};           \
  }                                                                                          \
  }                                                                                          \
  extern "C" LLMP_PLUGIN_ENTRY(llmpGlueMajor, llmpGlueMinor) {                               \
    (void)llmpGlueMinor;                                                                     \
    return llmpGlueMajor == LLMP_ABI_MAJOR ? &llmp_glue_plugin::kDescriptor : nullptr;       \
  }
