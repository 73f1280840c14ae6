// isValidJson must say what nlohmann::json::accept says: a backend that switched from one to the
// other must not start passing on (or refusing) an answer the other would refuse (or pass).
#include <gtest/gtest.h>

#include <llmp/cpp/json.hpp>

#include <random>
#include <string>
#include <vector>

namespace llmp {
namespace {

bool nlohmannAccepts(const std::string& text) { return Json::accept(text); }

TEST(IsValidJson, AcceptsWhatJsonIs) {
  const char* valid[] = {
      "{}", "[]", " { } ", "\t[\n]\r", "0", "-0", "12", "-3.25", "1e5", "1E+5", "2.5e-3", "true",
      "false", "null", R"("")", R"("a\"b\\c\/d\b\f\n\r\t")", R"("\u0000\u00e9\uFFFF")",
      R"("\ud83d\ude00")", "\"h\xC3\xA9 \xE2\x82\xAC \xF0\x9F\x98\x80 \xED\x9F\xBF \xF4\x8F\xBF\xBF\"",
      "\xEF\xBB\xBF{}",  // a byte order mark
      R"({"a":1,"b":[true,false,null],"c":{"d":"e"}})", R"([[],[[]],{}])",
      "99999999999999999999999", "1e-400", "\"\x7F\"",
      R"({"candidates":[{"content":{"parts":[{"text":"hi"}],"role":"model"},"finishReason":"STOP","avgLogprobs":-0.12}],"usageMetadata":{"promptTokenCount":3}})",
  };
  for (const char* text : valid) {
    EXPECT_TRUE(isValidJson(text)) << text;
    EXPECT_TRUE(nlohmannAccepts(text)) << text;
  }
}

TEST(IsValidJson, RefusesWhatJsonIsNot) {
  const char* invalid[] = {
      "", " ", "{", "}", "[", "[1,]", "{\"a\":1,}", "{\"a\"}", "{\"a\" 1}", "{a:1}", "{1:1}",
      "[1 2]", "01", "-", "1.", ".5", "+1", "1e", "1e+", "0x10", "NaN", "Infinity", "tru", "nul",
      "True", "\"abc", "\"a\tb\"", "\"\\x\"", "\"\\u12\"", "\"\\u12G4\"", R"("\ud83d")",
      R"("\ud83d\u0041")", R"("\ude00")", "{} {}", "[] x", "1e400", "-1e400", "'a'", "\"\x80\"",
      "\"\xC0\xAF\"", "\"\xC3\"", "\"\xE0\x80\xAF\"", "\"\xED\xA0\x80\"", "\"\xF0\x80\x80\x80\"",
      "\"\xF4\x90\x80\x80\"", "\"\xF5\x80\x80\x80\"", "\"\xFF\"", "\xC3\xA9",
      "{\"a\":1}}", "[[]", "/* c */ {}", "{\"a\":1 // c\n}",
  };
  for (const char* text : invalid) {
    EXPECT_FALSE(isValidJson(text)) << text;
    EXPECT_FALSE(nlohmannAccepts(text)) << text;
  }
  // Text that holds a NUL byte: not one JSON value.
  for (const std::string& nul : {std::string("{\"a\":\"b\0c\"}", 11), std::string("[1,\0]", 5)}) {
    EXPECT_FALSE(isValidJson(nul));
    EXPECT_FALSE(nlohmannAccepts(nul));
  }
  // Between tokens nlohmann takes a NUL byte for the end of the input; so does isValidJson.
  const std::string cut("[1] \0 junk", 10);
  EXPECT_TRUE(isValidJson(cut));
  EXPECT_TRUE(nlohmannAccepts(cut));
}

TEST(IsValidJson, DeepNestingNeedsNoDeepStack) {
  const size_t depth = 200000;
  std::string deep(depth, '[');
  deep.append(depth, ']');
  EXPECT_TRUE(isValidJson(deep));
  deep.pop_back();
  EXPECT_FALSE(isValidJson(deep));
}

// Random edits of real documents, checked against nlohmann: most of them break the document in
// some way, so both answers are exercised.
TEST(IsValidJson, AgreesWithNlohmannOnMutatedDocuments) {
  const std::vector<std::string> seeds = {
      R"({"candidates":[{"content":{"parts":[{"text":"echo: h\u00e9 \"q\"\n"}],"role":"model"},"finishReason":"STOP","index":0,"avgLogprobs":-0.5e-2}],"usageMetadata":{"promptTokenCount":3,"candidatesTokenCount":2,"totalTokenCount":5},"modelVersion":"gemini-2.5-flash","responseId":"r"})",
      "{\"a\":[1,-2.5,3e10,true,false,null,\"\xC3\xA9\xE2\x82\xAC\xF0\x9F\x98\x80\",{\"b\":{}}],\"\\ud83d\\ude00\":[]}",
      R"([0,{"x":"\\\/\b\f\n\r\t"},[[["deep"]]],-0,1E-7])",
  };
  const std::string alphabet = std::string("{}[]\":,.-+eE0123456789tfnul\\/ \t\n") + "\x00\x1F\x7F\x80\xBF\xC3\xE0\xED\xF0\xF4\xFF";
  std::mt19937 rng(20261201);
  int valid = 0;
  int invalid = 0;
  for (int round = 0; round < 60000; ++round) {
    std::string text = seeds[rng() % seeds.size()];
    const int edits = 1 + static_cast<int>(rng() % 3);
    for (int e = 0; e < edits && !text.empty(); ++e) {
      const size_t at = rng() % text.size();
      const char byte = alphabet[rng() % alphabet.size()];
      switch (rng() % 4) {
        case 0: text[at] = byte; break;
        case 1: text.insert(text.begin() + static_cast<std::ptrdiff_t>(at), byte); break;
        case 2: text.erase(at, 1 + rng() % 4); break;
        default: text.insert(at, text.substr(rng() % text.size(), 1 + rng() % 8)); break;
      }
    }
    const bool expected = nlohmannAccepts(text);
    ASSERT_EQ(isValidJson(text), expected) << text;
    (expected ? valid : invalid) += 1;
  }
  EXPECT_GT(valid, 1000);
  EXPECT_GT(invalid, 1000);
}

}  // namespace
}  // namespace llmp
