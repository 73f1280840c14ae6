// The C ABI of the gemini-oauth plugin: backend types gemini-oauth-plan, gemini-oauth-free and
// gemini-oauth-auto (all debug-gated), the health extension, and the `accounts` command.
#include <llmp/ext/cli.h>
#include <llmp/llmp.h>

#include <cstdlib>
#include <llmp/cpp/bytes.hpp>
#include <llmp/cpp/errors.hpp>
#include <llmp/cpp/sinks.hpp>
#include <string_view>

#include "accounts_cli.hpp"
#include "auto_backend.hpp"
#include "config.hpp"
#include "personal_backend.hpp"

namespace {

namespace go = llmp::plugins::gemini_oauth;

// One instance: either kind, behind a common face for the ABI callbacks.
struct Instance {
  std::unique_ptr<go::PersonalBackend> personal;
  std::unique_ptr<go::AutoBackend> pool;
};

Instance* self(llmp_backend* b) { return reinterpret_cast<Instance*>(b); }

const char* const kTypes[] = {go::kTypePlan, go::kTypeFree, go::kTypeAuto};

const char* env(const char* name) { return std::getenv(name); }

llmp_status LLMP_ABI create(const llmp_host_api* host, const char* type, llmp_bytes instance,
                            llmp_bytes configJson, llmp_backend** out, const llmp_error_sink* err) {
  return llmp::guarded(err, [&]() -> llmp_status {
    std::string_view t = type != nullptr ? type : "";
    if (out == nullptr || (t != go::kTypePlan && t != go::kTypeFree && t != go::kTypeAuto)) {
      throw llmp::Error(LLMP_E_INVALID, 0, "gemini-oauth: unknown backend type");
    }
    auto cfg = go::parseConfig(t, llmp::view(instance), llmp::view(configJson), env);
    std::string name = cfg.instance;
    auto inst = std::make_unique<Instance>();
    try {
      if (t == go::kTypeAuto) {
        inst->pool = std::make_unique<go::AutoBackend>(llmp::Host(host), std::move(cfg));
      } else {
        inst->personal =
            std::make_unique<go::PersonalBackend>(llmp::Host(host), std::move(cfg), env);
      }
    } catch (const llmp::Error& e) {
      throw llmp::Error(e.code(), e.httpStatus(),
                        "backend '" + name + "' (type " + std::string(t) + "): " + e.what());
    }
    *out = reinterpret_cast<llmp_backend*>(inst.release());
    return LLMP_OK;
  });
}

void LLMP_ABI destroy(llmp_backend* backend) { delete self(backend); }

llmp_status LLMP_ABI generate(llmp_backend* backend, const llmp_generate_request* request,
                              const llmp_event_sink* sink, const llmp_error_sink* err) {
  return llmp::guarded(err, [&]() -> llmp_status {
    Instance* i = self(backend);
    llmp_status st =
        i->pool ? i->pool->generate(*request, sink) : i->personal->generate(*request, sink);
    if (st == LLMP_E_CANCELLED) {
      llmp::setError(err, LLMP_E_CANCELLED, 499, "the client went away");
    }
    return st;
  });
}

llmp_status LLMP_ABI countTokens(llmp_backend* backend, const llmp_generate_request* request,
                                 const llmp_bytes_sink* out, const llmp_error_sink* err) {
  return llmp::guarded(err, [&]() -> llmp_status {
    Instance* i = self(backend);
    std::string json =
        i->pool ? i->pool->countTokens(*request) : i->personal->countTokens(*request);
    return out->write(out->ctx, llmp::toBytes(json));
  });
}

llmp_status LLMP_ABI listModels(llmp_backend* backend, const llmp_bytes_sink* out,
                                const llmp_error_sink* err) {
  return llmp::guarded(err, [&]() -> llmp_status {
    Instance* i = self(backend);
    std::string json = i->pool ? i->pool->listModels() : i->personal->listModels();
    return out->write(out->ctx, llmp::toBytes(json));
  });
}

llmp_status LLMP_ABI healthReport(llmp_backend* backend, const llmp_bytes_sink* out) {
  return llmp::guarded(nullptr, [&]() -> llmp_status {
    Instance* i = self(backend);
    std::string json = i->pool ? i->pool->health() : i->personal->health();
    return out->write(out->ctx, llmp::toBytes(json));
  });
}

const llmp_health_ext kHealth = {sizeof(llmp_health_ext), healthReport};

const void* LLMP_ABI getExtension(llmp_backend*, const char* id) {
  if (id != nullptr && std::string_view(id) == LLMP_EXT_HEALTH_V1) {
    return &kHealth;
  }
  return nullptr;
}

const llmp_backend_factory kFactory = {
    sizeof(llmp_backend_factory),
    kTypes,
    3,
    kTypes,  // every type is debug-gated
    3,
    create,
    destroy,
    generate,
    countTokens,
    listModels,
    getExtension,
    0,  // not cooperative: accounts refresh their tokens under a lock, across an HTTP call
};

int32_t LLMP_ABI runAccounts(const llmp_host_api* host, const char* const* argv, size_t argc,
                             llmp_bytes configJson, const llmp_bytes_sink* out,
                             const llmp_bytes_sink* err) {
  auto write = [](const llmp_bytes_sink* sink) {
    return [sink](std::string_view text) {
      if (sink != nullptr) {
        sink->write(sink->ctx, llmp::toBytes(text));
      }
    };
  };
  try {
    std::vector<std::string> args;
    for (size_t i = 0; i < argc; ++i) {
      args.emplace_back(argv[i] != nullptr ? argv[i] : "");
    }
    return go::runAccountsCommand(llmp::Host(host), args, llmp::view(configJson), env, write(out),
                                  write(err));
  } catch (...) {
    write(err)("llm-proxy accounts: internal error\n");
    return 1;
  }
}

const llmp_cli_factory kCli = {
    sizeof(llmp_cli_factory),
    "accounts",
    "manage the Google accounts of the gemini-oauth-auto backend (list, add, update, remove, "
    "set-project-id)",
    runAccounts,
};

const void* LLMP_ABI getFactory(const char* id) {
  if (id == nullptr) {
    return nullptr;
  }
  std::string_view v(id);
  if (v == LLMP_BACKEND_FACTORY_V1) {
    return &kFactory;
  }
  if (v == LLMP_CLI_FACTORY_V1) {
    return &kCli;
  }
  return nullptr;
}

const llmp_plugin_descriptor kDescriptor = {
    LLMP_ABI_MAJOR,
    LLMP_ABI_MINOR,
    sizeof(llmp_plugin_descriptor),
    "dev.llmp.gemini-oauth",
    "gemini-oauth",
    "0.1.0",
    "Gemini through Google Code Assist with personal Google OAuth (debug-gated; not affiliated "
    "with Google)",
    nullptr,
    nullptr,
    getFactory,
};

}  // namespace

extern "C" {
LLMP_PLUGIN_ENTRY(major, minor) {
  (void)minor;
  return major == LLMP_ABI_MAJOR ? &kDescriptor : nullptr;
}
}
