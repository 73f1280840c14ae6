// models.list paging and models.get over the router's model list.
#include <gtest/gtest.h>

#include <llmp/cpp/json.hpp>

#include "fakes.hpp"
#include "handler.hpp"
#include "model_list.hpp"

namespace fg = llmp::plugins::frontend_gemini;
using gemini_test::FakeResponder;
using gemini_test::FakeRouter;
using gemini_test::Request;
using llmp::Json;

namespace {

// Two backends as the router reports them: "gemini" is the default.
const char* kRouterModels = R"([
  {"name":"models/gemini-2.5-pro","id":"gemini:gemini-2.5-pro","backend":"gemini","model":"gemini-2.5-pro",
   "defaultBackend":true,"displayName":"Gemini 2.5 Pro","inputTokenLimit":1048576,"outputTokenLimit":65536,
   "supportedGenerationMethods":["generateContent","countTokens"],"thinking":true,"maxTemperature":2},
  {"name":"models/gemini-2.5-flash","id":"gemini:gemini-2.5-flash","backend":"gemini","model":"gemini-2.5-flash",
   "defaultBackend":true,"displayName":"Gemini 2.5 Flash"},
  {"name":"models/mock-1","id":"mock:mock-1","backend":"mock","model":"mock-1","defaultBackend":false,
   "description":"offline"}
])";

Json run(FakeRouter& router, FakeResponder& out, const std::string& path,
         const std::string& query = {}) {
  Request req("GET", path, "", query);
  llmp_responder responder = out.responder();
  llmp_router r = router.router();
  EXPECT_EQ(fg::handleRequest(req.get(), responder, r), LLMP_OK);
  std::optional<Json> body = llmp::parseJson(out.body);
  EXPECT_TRUE(body.has_value()) << out.body;
  return body ? *body : Json();
}

std::vector<std::string> names(const Json& page) {
  std::vector<std::string> out;
  for (const Json& m : page["models"]) {
    out.push_back(m["name"]);
  }
  return out;
}

}  // namespace

TEST(GeminiModels, DefaultBackendModelsAreListedBareAndPrefixed) {
  FakeRouter router;
  router.modelsJson = kRouterModels;
  FakeResponder out;
  Json page = run(router, out, "/v1beta/models");
  EXPECT_EQ(out.status, 200);
  EXPECT_EQ(names(page), (std::vector<std::string>{
                             "models/gemini-2.5-pro", "models/gemini:gemini-2.5-pro",
                             "models/gemini-2.5-flash", "models/gemini:gemini-2.5-flash",
                             "models/mock:mock-1"}));
  EXPECT_FALSE(page.contains("nextPageToken"));
  const Json& pro = page["models"][0];
  EXPECT_EQ(pro["displayName"], "Gemini 2.5 Pro");
  EXPECT_EQ(pro["inputTokenLimit"], 1048576);
  EXPECT_EQ(pro["thinking"], true);
  EXPECT_EQ(pro["maxTemperature"], 2);
  EXPECT_FALSE(pro.contains("id"));
  EXPECT_FALSE(pro.contains("backend"));
  EXPECT_FALSE(pro.contains("defaultBackend"));
  EXPECT_EQ(page["models"][4]["description"], "offline");
  EXPECT_EQ(page["models"][4]["supportedGenerationMethods"],
            Json::array({"generateContent", "countTokens"}));
}

TEST(GeminiModels, PagesFollowTokensUntilTheLastPage) {
  Json many = Json::array();
  for (int i = 0; i < 120; ++i) {
    std::string id = "m" + std::to_string(i);
    many.push_back({{"id", "mock:" + id}, {"backend", "mock"}, {"model", id},
                    {"defaultBackend", false}});
  }
  FakeRouter router;
  router.modelsJson = many.dump();

  FakeResponder first;
  Json page1 = run(router, first, "/v1beta/models");
  ASSERT_EQ(page1["models"].size(), 50u);  // the default page size
  ASSERT_TRUE(page1.contains("nextPageToken"));

  std::vector<std::string> all = names(page1);
  std::string token = page1["nextPageToken"];
  int pages = 1;
  while (!token.empty()) {
    FakeResponder out;
    Json page = run(router, out, "/v1/models", "pageSize=30&pageToken=" + token);
    ASSERT_EQ(out.status, 200);
    EXPECT_LE(page["models"].size(), 30u);
    for (const std::string& n : names(page)) {
      all.push_back(n);
    }
    token = page.value("nextPageToken", "");
    ++pages;
    ASSERT_LT(pages, 10);
  }
  EXPECT_EQ(pages, 4);  // 50 + 30 + 30 + 10
  ASSERT_EQ(all.size(), 120u);
  EXPECT_EQ(all.front(), "models/mock:m0");
  EXPECT_EQ(all.back(), "models/mock:m119");

  FakeResponder huge;
  Json one = run(router, huge, "/v1beta/models", "pageSize=5000");
  EXPECT_EQ(one["models"].size(), 120u);
  EXPECT_FALSE(one.contains("nextPageToken"));
}

TEST(GeminiModels, BadPagingParametersAre400) {
  FakeRouter router;
  router.modelsJson = kRouterModels;
  for (std::string query : {"pageToken=not-a-token", "pageToken=%25%25", "pageSize=ten"}) {
    FakeResponder out;
    Json body = run(router, out, "/v1beta/models", query);
    EXPECT_EQ(out.status, 400) << query;
    EXPECT_EQ(body["error"]["status"], "INVALID_ARGUMENT");
  }
  EXPECT_EQ(fg::decodePageToken(fg::encodePageToken(1234)), 1234u);
}

TEST(GeminiModels, GetFindsBareEncodedAndPrefixedNames) {
  FakeRouter router;
  router.modelsJson = kRouterModels;
  for (std::string path : {"/v1beta/models/gemini-2.5-pro", "/v1/models/gemini:gemini-2.5-pro",
                           "/v1beta/models/gemini%3Agemini-2.5-pro",
                           "/v1beta/models/models%2Fgemini-2.5-pro"}) {
    FakeResponder out;
    Json model = run(router, out, path);
    EXPECT_EQ(out.status, 200) << path;
    EXPECT_EQ(model["displayName"], "Gemini 2.5 Pro") << path;
  }
  FakeResponder out;
  Json mock = run(router, out, "/v1beta/models/mock:mock-1");
  EXPECT_EQ(mock["name"], "models/mock:mock-1");
}

TEST(GeminiModels, UnknownModelIs404AndNonDefaultNeedsItsPrefix) {
  FakeRouter router;
  router.modelsJson = kRouterModels;
  for (std::string path : {"/v1beta/models/gemini-9", "/v1beta/models/mock-1"}) {
    FakeResponder out;
    Json body = run(router, out, path);
    EXPECT_EQ(out.status, 404) << path;
    EXPECT_EQ(body["error"]["status"], "NOT_FOUND");
    EXPECT_NE(body["error"]["message"].get<std::string>().find("is not found"),
              std::string::npos);
  }
}

TEST(GeminiModels, RouterFailureIsAnError) {
  FakeRouter router;
  router.failWith(LLMP_E_UNAVAILABLE, 503, "no backend answered");
  FakeResponder out;
  Json body = run(router, out, "/v1beta/models");
  EXPECT_EQ(out.status, 503);
  EXPECT_EQ(body["error"]["status"], "UNAVAILABLE");
}
