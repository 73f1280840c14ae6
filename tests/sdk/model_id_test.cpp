#include <gtest/gtest.h>

#include <llmp/cpp/errors.hpp>
#include <llmp/cpp/model_id.hpp>

#include <string>

namespace llmp {
namespace {

// The message of the llmp::Error fn throws, or "" when it does not throw.
template <class Fn>
std::string failureOf(Fn&& fn) {
  try {
    fn();
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), LLMP_E_INVALID);
    EXPECT_EQ(e.httpStatus(), 400);
    return e.what();
  }
  return "";
}

TEST(ModelId, StripsTheModelsPrefix) {
  EXPECT_EQ(normalizeModelId("models/gemini-2.5-flash"), "gemini-2.5-flash");
  EXPECT_EQ(normalizeModelId("gemini-2.5_pro.001"), "gemini-2.5_pro.001");
}

TEST(ModelId, RejectsEmptyAndPathLikeIdsWithAClearMessage) {
  EXPECT_EQ(failureOf([] { normalizeModelId(""); }), "no model given");
  EXPECT_EQ(failureOf([] { normalizeModelId("models/"); }), "no model given");
  EXPECT_EQ(failureOf([] { normalizeModelId("../admin"); }),
            "invalid model id \"../admin\" (letters, digits, '-', '_' and '.' only)");
  EXPECT_NE(failureOf([] { normalizeModelId("gemini?key=x"); }), "");
  EXPECT_NE(failureOf([] { normalizeModelId("gemini pro"); }), "");
}

TEST(ModelId, ShowsAtMostAHundredCharactersOfABadId) {
  std::string bad(150, 'a');
  bad += "/";
  std::string message = failureOf([&] { normalizeModelId(bad); });
  EXPECT_EQ(message, "invalid model id \"" + std::string(100, 'a') +
                         "\" (letters, digits, '-', '_' and '.' only)");
}

TEST(ModelId, TunedModelsOnlyWhenAllowed) {
  ModelIdRules tuned{true, 0};
  EXPECT_EQ(normalizeModelId("tunedModels/my-model-1", tuned), "tunedModels/my-model-1");
  EXPECT_EQ(normalizeModelId("models/tunedModels/x", tuned), "tunedModels/x");
  EXPECT_EQ(failureOf([&] { normalizeModelId("tunedModels/", tuned); }),
            "invalid model id \"tunedModels/\" (letters, digits, '-', '_' and '.' only)");
  EXPECT_NE(failureOf([] { normalizeModelId("tunedModels/my-model-1"); }), "");
}

TEST(ModelId, MaxLengthCountsTheBareId) {
  ModelIdRules capped{false, 10};
  EXPECT_EQ(normalizeModelId("models/abcdefghij", capped), "abcdefghij");
  EXPECT_NE(failureOf([&] { normalizeModelId("abcdefghijk", capped); }), "");
  EXPECT_EQ(normalizeModelId(std::string(500, 'a')), std::string(500, 'a'));
}

}  // namespace
}  // namespace llmp
