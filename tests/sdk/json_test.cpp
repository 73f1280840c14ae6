// The JSON helpers plugins share: memberOr must hand back the member itself (no copy) when it
// has the expected type, and the fallback for anything else.
#include <gtest/gtest.h>

#include <llmp/cpp/json.hpp>

namespace {

using llmp::emptyJsonArray;
using llmp::emptyJsonObject;
using llmp::Json;
using llmp::memberOr;

TEST(MemberOr, ReturnsTheMemberItselfWhenTheTypeMatches) {
  const Json doc = Json::parse(R"({"candidates":[{"index":0}],"usage":{"n":1}})");
  const Json& candidates = memberOr(doc, "candidates", emptyJsonArray());
  EXPECT_EQ(&candidates, &doc["candidates"]);  // a reference into doc, not a copy
  EXPECT_EQ(candidates.size(), 1u);
  EXPECT_EQ(memberOr(doc, "usage", emptyJsonObject())["n"], 1);
}

TEST(MemberOr, FallsBackForMissingMembersWrongTypesAndNonObjects) {
  const Json doc = Json::parse(R"({"candidates":{"not":"an array"},"parts":null})");
  EXPECT_EQ(&memberOr(doc, "candidates", emptyJsonArray()), &emptyJsonArray());
  EXPECT_EQ(&memberOr(doc, "parts", emptyJsonArray()), &emptyJsonArray());
  EXPECT_EQ(&memberOr(doc, "missing", emptyJsonObject()), &emptyJsonObject());
  EXPECT_EQ(&memberOr(Json::array({1, 2}), "candidates", emptyJsonArray()), &emptyJsonArray());
  EXPECT_EQ(&memberOr(Json("text"), "x", emptyJsonObject()), &emptyJsonObject());
  EXPECT_TRUE(emptyJsonArray().is_array() && emptyJsonArray().empty());
  EXPECT_TRUE(emptyJsonObject().is_object() && emptyJsonObject().empty());
}

}  // namespace
