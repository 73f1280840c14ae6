#include "backend_test_support.hpp"

#include <llmp/cpp/bytes.hpp>
#include <llmp/cpp/sinks.hpp>

#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>

extern "C" const llmp_plugin_descriptor* llmp_plugin_entry(uint32_t, uint32_t);

namespace llmp::plugins::gemini_acp::testing {

TempDir::TempDir() {
  char dirTemplate[] = "/tmp/llmp-acp-test-XXXXXX";
  const char* made = ::mkdtemp(dirTemplate);
  path_ = made != nullptr ? made : "/tmp";
}

TempDir::~TempDir() {
  std::error_code ec;
  if (path_ != "/tmp") {
    std::filesystem::remove_all(path_, ec);
  }
}

std::string GenerateResult::text() const {
  std::string out;
  for (const Event& e : events) {
    if (e.kind != LLMP_EVENT_CHUNK) continue;
    for (const Json& part : e.data["candidates"][0]["content"]["parts"]) {
      if (!part.value("thought", false)) out += part.value("text", std::string());
    }
  }
  return out;
}

std::string GenerateResult::thoughts() const {
  std::string out;
  for (const Event& e : events) {
    if (e.kind != LLMP_EVENT_CHUNK) continue;
    for (const Json& part : e.data["candidates"][0]["content"]["parts"]) {
      if (part.value("thought", false)) out += part.value("text", std::string());
    }
  }
  return out;
}

std::vector<std::string> GenerateResult::progress() const {
  std::vector<std::string> out;
  for (const Event& e : events) {
    if (e.kind == LLMP_EVENT_PROGRESS) out.push_back(e.data.value("text", std::string()));
  }
  return out;
}

size_t GenerateResult::chunkCount() const {
  size_t n = 0;
  for (const Event& e : events) n += e.kind == LLMP_EVENT_CHUNK ? 1 : 0;
  return n;
}

Json GenerateResult::lastChunk() const {
  for (auto it = events.rbegin(); it != events.rend(); ++it) {
    if (it->kind == LLMP_EVENT_CHUNK) return it->data;
  }
  return nullptr;
}

BackendHarness::BackendHarness(Json config)
    : services_(std::make_unique<llmp::host::HostServices>()) {
  const llmp_plugin_descriptor* descriptor = llmp_plugin_entry(LLMP_ABI_MAJOR, LLMP_ABI_MINOR);
  factory_ = static_cast<const llmp_backend_factory*>(descriptor->get_factory(LLMP_BACKEND_FACTORY_V1));
  std::string text = config.dump();
  std::string name = "acp-test";
  createStatus_ = factory_->create(services_->apiFor("dev.llmp.gemini-acp"), "gemini-cli-acp",
                                   toBytes(name), toBytes(text), &backend_, createError_.sink());
}

BackendHarness::~BackendHarness() {
  if (backend_ != nullptr) {
    factory_->destroy(backend_);
  }
  services_->shutdown();
}

GenerateResult BackendHarness::generate(const std::vector<Json>& contents,
                                        const GenerateOptions& options) {
  GenerateResult result;
  Json ir = {{"contents", Json(contents)}};
  std::string irText = ir.dump();
  std::string metadata = options.metadata.dump();
  llmp_generate_request request{};
  request.struct_size = sizeof request;
  request.model = toBytes(options.model);
  request.ir = toBytes(irText);
  request.flags = options.stream ? LLMP_GENERATE_STREAM : 0;
  request.session_id = toBytes(options.sessionId);
  request.metadata = toBytes(metadata);
  EventSinkFn sink([&](uint32_t kind, std::string_view data) -> llmp_status {
    Event event{kind, data.empty() ? Json() : Json::parse(data)};
    result.events.push_back(event);
    return options.onEvent ? options.onEvent(event) : LLMP_OK;
  });
  result.status = factory_->generate(backend_, &request, sink.sink(), result.error.sink());
  return result;
}

Json BackendHarness::listModels() {
  StringSink out;
  ErrorRecord err;
  if (factory_->list_models(backend_, out.sink(), err.sink()) != LLMP_OK) return nullptr;
  return Json::parse(out.value());
}

Json BackendHarness::health() {
  auto* ext = static_cast<const llmp_health_ext*>(factory_->get_extension(backend_, LLMP_EXT_HEALTH_V1));
  StringSink out;
  ext->report(backend_, out.sink());
  return Json::parse(out.value());
}

std::vector<Json> readAgentLog(const std::string& path) {
  std::vector<Json> out;
  std::ifstream in(path);
  std::string line;
  while (std::getline(in, line)) {
    if (!line.empty()) out.push_back(Json::parse(line));
  }
  return out;
}

size_t countMethod(const std::vector<Json>& log, const std::string& method) {
  size_t n = 0;
  for (const Json& entry : log) n += entry.value("method", std::string()) == method ? 1 : 0;
  return n;
}

std::vector<Json> starts(const std::vector<Json>& log) {
  std::vector<Json> out;
  for (const Json& entry : log) {
    if (entry.contains("started")) out.push_back(entry);
  }
  return out;
}

Json userTurn(const std::string& text) { return {{"role", "user"}, {"parts", {{{"text", text}}}}}; }
Json modelTurn(const std::string& text) { return {{"role", "model"}, {"parts", {{{"text", text}}}}}; }

bool nodeAvailable() {
  std::string node = LLMP_NODE_EXECUTABLE;
  return !node.empty() && ::access(node.c_str(), X_OK) == 0;
}

}  // namespace llmp::plugins::gemini_acp::testing
