// "echo-upper": a tiny backend that answers with the last user turn in upper case. It shows
// the pieces every backend plugin has: the entry point, the descriptor, the backend factory,
// llmp::guarded around every exported callback, and IR in / IR chunks out (docs/ir.md).
#include <llmp/llmp.h>

#include <cctype>
#include <cstring>
#include <llmp/cpp/bytes.hpp>
#include <llmp/cpp/errors.hpp>
#include <llmp/cpp/json.hpp>
#include <llmp/cpp/sinks.hpp>
#include <memory>
#include <string>

namespace {

struct EchoUpper {
  std::string suffix;  // config "suffix", appended to every answer
};

const char* const kTypes[] = {"echo-upper"};

llmp::Json parseOrThrow(llmp_bytes text, const char* what) {
  std::string error;
  auto json = llmp::parseJson(llmp::view(text), &error);
  if (!json || !json->is_object()) {
    throw llmp::Error(LLMP_E_INVALID, 400,
                      std::string("echo-upper: ") + what + " is not a JSON object " + error);
  }
  return *json;
}

// The text parts of the last user turn of an IR request.
std::string lastUserText(const llmp::Json& ir) {
  const llmp::Json* last = nullptr;
  auto contents = ir.find("contents");
  if (contents != ir.end() && contents->is_array()) {
    for (const auto& content : *contents) {
      if (content.is_object() && content.value("role", "user") == "user") {
        last = &content;
      }
    }
  }
  if (last == nullptr) {
    throw llmp::Error(LLMP_E_INVALID, 400, "echo-upper: the request has no user turn");
  }
  std::string text;
  auto parts = last->find("parts");
  if (parts == last->end() || !parts->is_array()) {
    return text;
  }
  for (const auto& part : *parts) {
    if (part.is_object() && part.contains("text") && part["text"].is_string()) {
      text += part["text"].get<std::string>();
    }
  }
  return text;
}

llmp_status LLMP_ABI create(const llmp_host_api*, const char* type, llmp_bytes,
                            llmp_bytes configJson, llmp_backend** out, const llmp_error_sink* err) {
  return llmp::guarded(err, [&] {
    if (std::strcmp(type, "echo-upper") != 0) {
      throw llmp::Error(LLMP_E_INVALID, 0, "echo-upper: unknown type");
    }
    llmp::Json config =
        configJson.len > 0 ? parseOrThrow(configJson, "the config") : llmp::Json::object();
    auto instance = std::make_unique<EchoUpper>();
    instance->suffix = config.value("suffix", "");
    *out = reinterpret_cast<llmp_backend*>(instance.release());
    return LLMP_OK;
  });
}

void LLMP_ABI destroy(llmp_backend* backend) { delete reinterpret_cast<EchoUpper*>(backend); }

llmp_status LLMP_ABI generate(llmp_backend* backend, const llmp_generate_request* request,
                              const llmp_event_sink* sink, const llmp_error_sink* err) {
  return llmp::guarded(err, [&] {
    const auto& self = *reinterpret_cast<EchoUpper*>(backend);
    std::string text = lastUserText(parseOrThrow(request->ir, "the IR request"));
    for (char& c : text) {
      c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    }
    text += self.suffix;
    // One chunk holding the whole answer is right for streaming and non-streaming requests.
    llmp::Json chunk = {
        {"candidates",
         llmp::Json::array(
             {{{"content", {{"role", "model"}, {"parts", llmp::Json::array({{{"text", text}}})}}},
               {"finishReason", "STOP"},
               {"index", 0}}})},
        {"modelVersion", llmp::str(request->model)}};
    llmp_status status = llmp::emit(sink, LLMP_EVENT_CHUNK, llmp::dumpJson(chunk));
    if (status != LLMP_OK) {
      llmp::setError(err, status, 0, "echo-upper: the client went away");
    }
    return status;
  });
}

llmp_status LLMP_ABI listModels(llmp_backend*, const llmp_bytes_sink* out,
                                const llmp_error_sink* err) {
  return llmp::guarded(err, [&] {
    static const char kModels[] = R"([{"name":"models/upper-1","displayName":"Upper 1",)"
                                  R"("supportedGenerationMethods":["generateContent"]}])";
    return out->write(out->ctx, llmp_bytes{kModels, sizeof kModels - 1});
  });
}

const llmp_backend_factory kFactory = {
    sizeof(llmp_backend_factory),
    kTypes,
    1,
    nullptr,  // no debug-gated types
    0,
    create,
    destroy,
    generate,
    nullptr,  // count_tokens: the host answers LLMP_E_UNSUPPORTED
    listModels,
    nullptr,  // no extensions
};

const void* LLMP_ABI getFactory(const char* id) {
  return id != nullptr && std::strcmp(id, LLMP_BACKEND_FACTORY_V1) == 0 ? &kFactory : nullptr;
}

const llmp_plugin_descriptor kDescriptor = {
    LLMP_ABI_MAJOR,
    LLMP_ABI_MINOR,
    sizeof(llmp_plugin_descriptor),
    "com.example.echo-upper",
    "echo-upper",
    "1.0.0",
    "Answers with the last user turn in upper case (an out-of-tree example).",
    nullptr,  // init: nothing to set up
    nullptr,  // shutdown
    getFactory,
};

}  // namespace

// The one exported symbol. extern "C" keeps the name unmangled.
extern "C" LLMP_PLUGIN_ENTRY(hostMajor, hostMinor) {
  (void)hostMajor;  // the host compares versions itself and names both when it refuses
  (void)hostMinor;
  return &kDescriptor;
}
