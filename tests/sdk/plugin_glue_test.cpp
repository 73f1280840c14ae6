// llmp::glue builds factory tables whose trampolines turn C++ exceptions into statuses.
#include <gtest/gtest.h>

#include <llmp/cpp/errors.hpp>
#include <llmp/cpp/plugin_glue.hpp>
#include <llmp/cpp/sinks.hpp>

#include <memory>
#include <stdexcept>
#include <string>

namespace llmp::glue {
namespace {

const char* const kTypes[] = {"glue-test"};

class TestBackend {
 public:
  static std::unique_ptr<TestBackend> create(const llmp_host_api*, std::string_view type,
                                             std::string_view instance, std::string_view config) {
    if (config == "boom") {
      throw std::runtime_error("bad config");
    }
    auto b = std::make_unique<TestBackend>();
    b->name = std::string(type) + "/" + std::string(instance);
    return b;
  }
  llmp_status generate(const llmp_generate_request& request, const llmp_event_sink*) {
    if (view(request.model) == "cancel") {
      return LLMP_E_CANCELLED;
    }
    throw Error(LLMP_E_UPSTREAM_HTTP, 502, "upstream broke");
  }
  Json listModels() const { return Json::array({name}); }
  std::string health() const { return R"({"ok":true})"; }
  std::string name;
};

// No countTokens and no health: those slots stay empty.
class BareBackend {
 public:
  static std::unique_ptr<BareBackend> create(const llmp_host_api*, std::string_view,
                                             std::string_view, std::string_view) {
    return std::make_unique<BareBackend>();
  }
  void generate(const llmp_generate_request&, const llmp_event_sink*) {}
};

class TestFrontend {
 public:
  static std::unique_ptr<TestFrontend> create(const llmp_host_api*, std::string_view) {
    return std::make_unique<TestFrontend>();
  }
  int32_t match(const llmp_incoming_request&) { throw std::runtime_error("no"); }
  llmp_status handle(const llmp_incoming_request&, const llmp_responder&, const llmp_router&) {
    throw std::logic_error("escaped");
  }
  llmp_status renderError(const llmp_responder&, llmp_status, int32_t, std::string_view) {
    return LLMP_OK;
  }
};

struct Collected {
  std::string text;
  llmp_bytes_sink sink() {
    return {sizeof(llmp_bytes_sink), this, [](void* ctx, llmp_bytes data) -> llmp_status {
              static_cast<Collected*>(ctx)->text.append(view(data));
              return LLMP_OK;
            }};
  }
};

llmp_backend* make(const llmp_backend_factory* f, std::string_view config = "{}") {
  llmp_backend* b = nullptr;
  ErrorRecord err;
  EXPECT_EQ(f->create(nullptr, "glue-test", toBytes("one"), toBytes(config), &b, err.sink()),
            LLMP_OK);
  return b;
}

TEST(PluginGlue, BackendTableCallsTheClassAndReportsExceptions) {
  const llmp_backend_factory* f = backendFactory<TestBackend>(kTypes);
  EXPECT_EQ(f->type_count, 1u);
  EXPECT_STREQ(f->types[0], "glue-test");
  EXPECT_EQ(f->gated_type_count, 0u);
  EXPECT_EQ(f->count_tokens, nullptr);

  llmp_backend* b = make(f);
  ASSERT_NE(b, nullptr);
  Collected models;
  llmp_bytes_sink sink = models.sink();
  EXPECT_EQ(f->list_models(b, &sink, nullptr), LLMP_OK);
  EXPECT_EQ(models.text, R"(["glue-test/one"])");

  llmp_generate_request request{sizeof(request), toBytes("m"), toBytes("{}"), 0, {}, {}};
  llmp_event_sink events{sizeof(events), nullptr,
                         [](void*, uint32_t, llmp_bytes) -> llmp_status { return LLMP_OK; }};
  ErrorRecord err;
  EXPECT_EQ(f->generate(b, &request, &events, err.sink()), LLMP_E_UPSTREAM_HTTP);
  EXPECT_EQ(err.httpStatus, 502);
  EXPECT_EQ(err.message, "upstream broke");

  ErrorRecord cancelled;
  request.model = toBytes("cancel");
  EXPECT_EQ(f->generate(b, &request, &events, cancelled.sink()), LLMP_E_CANCELLED);
  EXPECT_EQ(cancelled.httpStatus, 499);

  auto* health = static_cast<const llmp_health_ext*>(f->get_extension(b, LLMP_EXT_HEALTH_V1));
  ASSERT_NE(health, nullptr);
  Collected report;
  sink = report.sink();
  EXPECT_EQ(health->report(b, &sink), LLMP_OK);
  EXPECT_EQ(report.text, R"({"ok":true})");
  EXPECT_EQ(f->get_extension(b, "llmp.other.v1"), nullptr);
  f->destroy(b);
}

TEST(PluginGlue, CreateFailuresAndMissingArgumentsBecomeStatuses) {
  const llmp_backend_factory* f = backendFactory<TestBackend>(kTypes);
  int placeholder = 0;
  llmp_backend* b = reinterpret_cast<llmp_backend*>(&placeholder);  // must be reset to NULL
  ErrorRecord err;
  EXPECT_EQ(f->create(nullptr, "glue-test", toBytes("one"), toBytes("boom"), &b, err.sink()),
            LLMP_E_INTERNAL);
  EXPECT_EQ(b, nullptr);
  EXPECT_NE(err.message.find("bad config"), std::string::npos);

  ErrorRecord missing;
  EXPECT_EQ(f->generate(nullptr, nullptr, nullptr, missing.sink()), LLMP_E_INVALID);
}

TEST(PluginGlue, OptionalSlotsStayEmptyAndGatedTypesAreListed) {
  const llmp_backend_factory* f = gatedBackendFactory<BareBackend>(kTypes);
  EXPECT_EQ(f->gated_type_count, 1u);
  EXPECT_STREQ(f->gated_types[0], "glue-test");
  EXPECT_EQ(f->count_tokens, nullptr);
  EXPECT_EQ(f->list_models, nullptr);
  llmp_backend* b = make(f);
  EXPECT_EQ(f->get_extension(b, LLMP_EXT_HEALTH_V1), nullptr);
  f->destroy(b);
}

TEST(PluginGlue, FrontendExceptionsNeverCrossTheAbi) {
  const llmp_frontend_factory* f = frontendFactory<TestFrontend>("glue");
  EXPECT_STREQ(f->name, "glue");
  llmp_frontend* fe = nullptr;
  ASSERT_EQ(f->create(nullptr, toBytes(""), &fe, nullptr), LLMP_OK);
  llmp_incoming_request request{};
  request.struct_size = sizeof(request);
  EXPECT_EQ(f->match(fe, &request), LLMP_MATCH_NONE);
  llmp_responder responder{};
  llmp_router router{};
  EXPECT_EQ(f->handle(fe, &request, &responder, &router), LLMP_E_INTERNAL);
  EXPECT_EQ(f->get_extension(fe, "anything"), nullptr);
  f->destroy(fe);
}

TEST(PluginGlue, SelectFactoryAnswersOnlyKnownIds) {
  const llmp_backend_factory* b = backendFactory<TestBackend>(kTypes);
  EXPECT_EQ(selectFactory(LLMP_BACKEND_FACTORY_V1, b, nullptr), b);
  EXPECT_EQ(selectFactory(LLMP_FRONTEND_FACTORY_V1, b, nullptr), nullptr);
  EXPECT_EQ(selectFactory(nullptr, b, nullptr), nullptr);
  EXPECT_EQ(selectFactory("llmp.backend.v2", b, nullptr), nullptr);
}

}  // namespace
}  // namespace llmp::glue
