#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "router/generation_params.h"
#include "router/model_selector.h"

namespace llmp::host {
namespace {

using nlohmann::json;

TEST(GenerationParams, NothingToApplyKeepsTheBytes) {
  std::string ir = R"({"contents":[],"unknownField":{"a":1}})";
  EXPECT_FALSE(applyGenerationParams(ir, {}, nullptr).has_value()) << "no copy of the prompt";
}

TEST(GenerationParams, UriBeatsBodyBeatsDefaults) {
  std::string ir = R"({"contents":[],"generationConfig":{"temperature":0.5,"topK":3}})";
  json defaults = {{"temperature", 1.5}, {"top_p", 0.9}, {"top_k", 40}};
  json out = json::parse(*applyGenerationParams(ir, {{"temperature", "0.2"}}, &defaults));
  EXPECT_DOUBLE_EQ(out["generationConfig"]["temperature"].get<double>(), 0.2);  // URI
  EXPECT_EQ(out["generationConfig"]["topK"], 3);                                  // body
  EXPECT_DOUBLE_EQ(out["generationConfig"]["topP"].get<double>(), 0.9);           // default
}

TEST(GenerationParams, ReasoningEffortBecomesThinkingBudget) {
  json out = json::parse(*applyGenerationParams(R"({"contents":[]})", {{"reasoning_effort", "high"}}, nullptr));
  EXPECT_EQ(out["generationConfig"]["thinkingConfig"]["thinkingBudget"], 24576);
  EXPECT_EQ(out["generationConfig"]["thinkingConfig"]["includeThoughts"], true);
}

TEST(GenerationParams, AllKnownParamsMapToGeminiNames) {
  json out = json::parse(*applyGenerationParams(
      R"({"contents":[]})",
      {{"top_p", "0.3"}, {"max_tokens", "100"}, {"stop", "END"}, {"n", "2"}, {"seed", "7"},
       {"presence_penalty", "0.5"}, {"frequency_penalty", "-0.5"}, {"thinking_budget", "512"},
       {"logprobs", "3"}},
      nullptr));
  const json& gc = out["generationConfig"];
  EXPECT_DOUBLE_EQ(gc["topP"].get<double>(), 0.3);
  EXPECT_EQ(gc["maxOutputTokens"], 100);
  EXPECT_EQ(gc["stopSequences"], json::array({"END"}));
  EXPECT_EQ(gc["candidateCount"], 2);
  EXPECT_EQ(gc["seed"], 7);
  EXPECT_DOUBLE_EQ(gc["presencePenalty"].get<double>(), 0.5);
  EXPECT_DOUBLE_EQ(gc["frequencyPenalty"].get<double>(), -0.5);
  EXPECT_EQ(gc["thinkingConfig"]["thinkingBudget"], 512);
  EXPECT_EQ(gc["responseLogprobs"], true);
  EXPECT_EQ(gc["logprobs"], 3);
}

TEST(GenerationParams, InvalidValuesNameTheParameter) {
  for (const auto& [name, value] : std::vector<std::pair<std::string, std::string>>{
           {"temperature", "hot"}, {"temperature", "3"}, {"top_k", "1.5"},
           {"reasoning_effort", "extreme"}, {"bogus", "1"}}) {
    try {
      applyGenerationParams(R"({"contents":[]})", {{name, value}}, nullptr);
      FAIL() << name << "=" << value << " accepted";
    } catch (const SelectorError& e) {
      EXPECT_EQ(e.httpStatus(), 400);
      EXPECT_NE(std::string(e.what()).find(name), std::string::npos) << e.what();
    }
  }
}

}  // namespace
}  // namespace llmp::host
