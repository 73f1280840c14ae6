// Which requests the front end claims, and the models listing's pagination.
#include <gtest/gtest.h>

#include <llmp/frontend.h>

#include "errors.hpp"
#include "models.hpp"
#include "route.hpp"

namespace llmp::plugins::anthropic {
namespace {

TEST(Match, ClaimsMessagesModelsOnlyWithVersionHeaderAndFallsBack) {
  EXPECT_EQ(matchScore("/v1/messages", false), LLMP_MATCH_YES);
  EXPECT_EQ(matchScore("/v1/messages/count_tokens", false), LLMP_MATCH_YES);
  EXPECT_EQ(matchScore("/v1/models", true), LLMP_MATCH_STRONG);
  EXPECT_EQ(matchScore("/v1/models/claude-x", true), LLMP_MATCH_STRONG);
  EXPECT_EQ(matchScore("/v1/models", false), LLMP_MATCH_NONE);  // OpenAI's
  EXPECT_EQ(matchScore("/anthropic/v1/models", false), LLMP_MATCH_YES);
  EXPECT_EQ(matchScore("/anthropic", false), LLMP_MATCH_YES);
  EXPECT_EQ(matchScore("/v1/complete", true), LLMP_MATCH_FALLBACK);
  EXPECT_EQ(matchScore("/v1/chat/completions", false), LLMP_MATCH_NONE);
  EXPECT_EQ(matchScore("/v1beta/models/x:generateContent", false), LLMP_MATCH_NONE);
  EXPECT_EQ(matchScore("/v1/messagesX", false), LLMP_MATCH_NONE);
}

TEST(Route, ResolvesEndpoints) {
  EXPECT_EQ(resolveRoute("/v1/messages").endpoint, Endpoint::Messages);
  EXPECT_EQ(resolveRoute("/anthropic/v1/messages/").endpoint, Endpoint::Messages);
  EXPECT_EQ(resolveRoute("/v1/messages/count_tokens").endpoint, Endpoint::CountTokens);
  EXPECT_EQ(resolveRoute("/v1/models").endpoint, Endpoint::ListModels);
  Route get = resolveRoute("/v1/models/gemini%3Agemini-2.5-pro");
  EXPECT_EQ(get.endpoint, Endpoint::GetModel);
  EXPECT_EQ(get.modelId, "gemini:gemini-2.5-pro");
  EXPECT_EQ(resolveRoute("/v1/messages/batches").endpoint, Endpoint::Unknown);
}

Json models(int n) {
  Json list = Json::array();
  for (int i = 0; i < n; ++i) {
    std::string id = "m" + std::to_string(i);
    list.push_back({{"name", "models/" + id}, {"model", id}, {"id", "b:" + id},
                    {"defaultBackend", true}});
  }
  return list;
}

std::vector<std::string> ids(const Json& page) {
  std::vector<std::string> out;
  for (const auto& m : page["data"]) {
    out.push_back(m["id"]);
  }
  return out;
}

TEST(Models, PaginatesWithLimitAfterAndBefore) {
  Json page = listModelsPage(models(5), "limit=2");
  EXPECT_EQ(ids(page), (std::vector<std::string>{"m0", "m1"}));
  EXPECT_TRUE(page["has_more"].get<bool>());
  EXPECT_EQ(page["first_id"], "m0");
  EXPECT_EQ(page["last_id"], "m1");

  page = listModelsPage(models(5), "limit=2&after_id=m3");
  EXPECT_EQ(ids(page), (std::vector<std::string>{"m4"}));
  EXPECT_FALSE(page["has_more"].get<bool>());

  page = listModelsPage(models(5), "before_id=m3&limit=2");
  EXPECT_EQ(ids(page), (std::vector<std::string>{"m1", "m2"}));
  EXPECT_TRUE(page["has_more"].get<bool>());

  page = listModelsPage(Json::array(), "");
  EXPECT_TRUE(page["data"].empty());
  EXPECT_TRUE(page["first_id"].is_null());
  EXPECT_TRUE(page["last_id"].is_null());
}

TEST(Models, RejectsABadLimit) {
  EXPECT_THROW(listModelsPage(models(1), "limit=0"), RequestError);
  EXPECT_THROW(listModelsPage(models(1), "limit=abc"), RequestError);
  EXPECT_THROW(listModelsPage(models(1), "limit=1001"), RequestError);
}

TEST(Models, FindsByListedQualifiedOrBareId) {
  Json list = models(2);
  list[1]["defaultBackend"] = false;
  EXPECT_EQ(findModel(list, "m0").value()["id"], "m0");
  EXPECT_EQ(findModel(list, "b:m1").value()["id"], "b:m1");
  EXPECT_EQ(findModel(list, "m1").value()["id"], "b:m1");
  EXPECT_FALSE(findModel(list, "zz").has_value());
}

}  // namespace
}  // namespace llmp::plugins::anthropic
