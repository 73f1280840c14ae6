#include <gtest/gtest.h>

#include "router/model_selector.h"

namespace llmp::host {
namespace {

ModelSelectorParser makeParser(Config config) {
  static const std::set<std::string> kBackends = {"gemini", "mock", "cloud"};
  return ModelSelectorParser(
      config, [](const std::string& n) { return kBackends.count(n) > 0; },
      [] { return std::string("cloud, gemini, mock"); });
}

Config withDefault(const std::string& backend) {
  Config c;
  c.defaultBackend = backend;
  return c;
}

TEST(ModelSelector, BareModelGoesToDefaultBackend) {
  auto hops = makeParser(withDefault("gemini")).parse("gemini-2.5-pro");
  ASSERT_EQ(hops.size(), 1u);
  EXPECT_EQ(hops[0].backend, "gemini");
  EXPECT_EQ(hops[0].model, "gemini-2.5-pro");
}

TEST(ModelSelector, BackendPrefixAndParams) {
  auto hops = makeParser(withDefault("mock")).parse("gemini:gemini-2.5-pro?temperature=0.7&top_k=5");
  ASSERT_EQ(hops.size(), 1u);
  EXPECT_EQ(hops[0].backend, "gemini");
  EXPECT_EQ(hops[0].model, "gemini-2.5-pro");
  ASSERT_EQ(hops[0].params.size(), 2u);
  EXPECT_EQ(hops[0].params[0], (std::pair<std::string, std::string>{"temperature", "0.7"}));
}

TEST(ModelSelector, ModelsPrefixIsStripped) {
  auto hops = makeParser(withDefault("gemini")).parse("models/gemini-2.5-flash");
  EXPECT_EQ(hops[0].model, "gemini-2.5-flash");
}

TEST(ModelSelector, UnknownBackendIs404NamingConfiguredOnes) {
  try {
    makeParser(withDefault("gemini")).parse("nosuch:model");
    FAIL() << "expected an error";
  } catch (const SelectorError& e) {
    EXPECT_EQ(e.httpStatus(), 404);
    EXPECT_NE(std::string(e.what()).find("cloud, gemini, mock"), std::string::npos);
  }
}

TEST(ModelSelector, NoDefaultBackendAndNoPrefixIsAnError) {
  EXPECT_THROW(makeParser(Config{}).parse("gemini-2.5-pro"), SelectorError);
}

TEST(ModelSelector, FailoverChain) {
  auto hops = makeParser(withDefault("mock")).parse("gemini:m1|cloud:m2?temperature=1|m3");
  ASSERT_EQ(hops.size(), 3u);
  EXPECT_EQ(hops[0].backend, "gemini");
  EXPECT_EQ(hops[1].backend, "cloud");
  EXPECT_EQ(hops[1].params.size(), 1u);
  EXPECT_EQ(hops[2].backend, "mock");
  EXPECT_EQ(hops[2].model, "m3");
}

TEST(ModelSelector, NamedFailoverRouteExpandsAndKeepsCallerParams) {
  Config c = withDefault("mock");
  c.failoverRoutes["smart"] = "gemini:gemini-2.5-pro|cloud:gemini-2.5-pro";
  auto hops = makeParser(c).parse("smart?temperature=0.1");
  ASSERT_EQ(hops.size(), 2u);
  EXPECT_EQ(hops[1].backend, "cloud");
  ASSERT_EQ(hops[1].params.size(), 1u);
  EXPECT_EQ(hops[1].params[0].second, "0.1");
}

TEST(ModelSelector, AliasesFirstMatchWinsWithCaptureGroups) {
  Config c = withDefault("mock");
  c.modelAliases = {{"gpt-4o(-mini)?", "gemini:gemini-2.5-flash"},
                    {"claude-(.*)", "cloud:gemini-$1"},
                    {"claude-sonnet", "never-reached"}};
  auto parser = makeParser(c);
  auto a = parser.parse("gpt-4o-mini");
  EXPECT_EQ(a[0].backend, "gemini");
  EXPECT_EQ(a[0].model, "gemini-2.5-flash");
  auto b = parser.parse("claude-sonnet?temperature=0.3");
  EXPECT_EQ(b[0].backend, "cloud");
  EXPECT_EQ(b[0].model, "gemini-sonnet");
  EXPECT_EQ(b[0].params.size(), 1u);
  auto untouched = parser.parse("gpt-4");  // full match only
  EXPECT_EQ(untouched[0].model, "gpt-4");
}

TEST(ModelSelector, MalformedParamIs400) {
  try {
    makeParser(withDefault("mock")).parse("m?temperature");
    FAIL();
  } catch (const SelectorError& e) {
    EXPECT_EQ(e.httpStatus(), 400);
  }
}

TEST(ModelSelector, InvalidAliasRegexIsAConfigError) {
  Config c = withDefault("mock");
  c.modelAliases = {{"([unclosed", "x"}};
  EXPECT_THROW(makeParser(c), ConfigError);
}

}  // namespace
}  // namespace llmp::host
