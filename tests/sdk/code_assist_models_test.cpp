#include <gtest/gtest.h>

#include <llmp/cpp/code_assist_models.hpp>
#include <llmp/cpp/json.hpp>

namespace llmp::code_assist {
namespace {

TEST(CodeAssistModels, DisplayNameCapitalisesDashSeparatedWords) {
  EXPECT_EQ(displayName("gemini-2.5-flash-lite"), "Gemini 2.5 Flash Lite");
  EXPECT_EQ(displayName("gemini-3-pro-preview"), "Gemini 3 Pro Preview");
  EXPECT_EQ(displayName(""), "");
}

TEST(CodeAssistModels, ListCarriesTheDescriptionSuffixAndLimits) {
  Json list = Json::parse(modelListJson({"gemini-2.5-pro"}, "through somewhere"));
  ASSERT_EQ(list.size(), 1u);
  EXPECT_EQ(list[0]["name"], "models/gemini-2.5-pro");
  EXPECT_EQ(list[0]["baseModelId"], "gemini-2.5-pro");
  EXPECT_EQ(list[0]["displayName"], "Gemini 2.5 Pro");
  EXPECT_EQ(list[0]["description"], "Gemini 2.5 Pro through somewhere");
  EXPECT_EQ(list[0]["inputTokenLimit"], 1048576);
  EXPECT_EQ(list[0]["outputTokenLimit"], 65536);
  EXPECT_EQ(list[0]["supportedGenerationMethods"],
            Json::array({"generateContent", "streamGenerateContent", "countTokens"}));
}

TEST(CodeAssistModels, DefaultListStartsWithTheGemini25Family) {
  const auto& ids = defaultModels();
  ASSERT_GE(ids.size(), 3u);
  EXPECT_EQ(ids[0], "gemini-2.5-pro");
  EXPECT_EQ(ids[1], "gemini-2.5-flash");
  EXPECT_EQ(Json::parse(modelListJson(ids, "x")).size(), ids.size());
}

}  // namespace
}  // namespace llmp::code_assist
