// JsonWriter writes what llmp::dumpJson writes for the same values, byte for byte.
#include <gtest/gtest.h>

#include <llmp/cpp/json.hpp>
#include <llmp/cpp/json_writer.hpp>

#include <string>

namespace llmp {
namespace {

TEST(JsonWriter, StringsAreEscapedExactlyLikeDumpJson) {
  const std::string samples[] = {
      "",
      "plain ascii",
      "quote \" backslash \\ slash /",
      "controls \b\f\n\r\t and \x01\x1f\x7f",
      std::string("nul \0 inside", 12),
      "utf-8: caf\xc3\xa9 \xe4\xb8\xad\xe6\x96\x87 \xf0\x9f\x98\x80",
      "escapes before utf-8 \"\n then \xc3\xa9",
      "invalid utf-8 \xff\xfe and a lone \xc3",
  };
  for (const std::string& s : samples) {
    JsonWriter w;
    w.string(s);
    EXPECT_EQ(w.text(), dumpJson(Json(s))) << s;
  }
}

TEST(JsonWriter, NestedContainersMatchTheDom) {
  Json dom = {{"a", 1},
              {"b", {{"c", Json::array({1, -2, "x"})}, {"d", nullptr}}},
              {"e", Json::array()},
              {"f", Json::object()},
              {"g", true},
              {"h", Json::array({Json::object(), Json::array({Json::array()})})},
              {"i", INT64_MIN}};
  JsonWriter w;
  w.beginObject();
  w.key("a").number(1);
  w.key("b").beginObject().key("c").beginArray().number(1).number(-2).string("x").endArray();
  w.key("d").null().endObject();
  w.key("e").beginArray().endArray();
  w.key("f").beginObject().endObject();
  w.key("g").boolean(true);
  w.key("h").beginArray().beginObject().endObject().beginArray().beginArray().endArray().endArray();
  w.endArray();
  w.key("i").number(INT64_MIN);
  w.endObject();
  EXPECT_EQ(w.text(), dumpJson(dom));
  EXPECT_EQ(Json::parse(w.text()), dom);
}

TEST(JsonWriter, DomValuesCanBeMixedIn) {
  Json part = {{"x", 1.5}, {"y", "\xc3\xa9"}};
  JsonWriter w;
  w.beginArray().value(part).string("after").value(nullptr).endArray();
  EXPECT_EQ(w.text(), dumpJson(Json::array({part, "after", nullptr})));
}

}  // namespace
}  // namespace llmp
