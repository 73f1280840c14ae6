// sanitizeSchemaForGemini: what Gemini would reject must not survive, what it accepts must.
#include <gtest/gtest.h>

#include <llmp/cpp/gemini_schema.hpp>

using llmp::Json;
using llmp::sanitizeSchemaForGemini;

namespace {

Json sanitize(const char* text) { return sanitizeSchemaForGemini(Json::parse(text)); }

TEST(GeminiSchema, UppercasesTypesAndDropsUnsupportedKeywords) {
  Json out = sanitize(R"({
    "$schema": "http://json-schema.org/draft-07/schema#", "$id": "x", "type": "object",
    "additionalProperties": false, "title": "Args", "description": "d",
    "properties": {
      "n": {"type": "integer", "exclusiveMinimum": 0, "minimum": 1, "maximum": 9, "default": 3,
            "format": "int64", "examples": [4]},
      "tags": {"type": "array", "uniqueItems": true, "minItems": 1, "maxItems": 3,
               "items": {"type": "string", "minLength": 1, "maxLength": 8, "pattern": "^a",
                         "format": "email", "contentEncoding": "base64"}},
      "when": {"type": "string", "format": "date-time"},
      "map": {"type": "object", "propertyNames": {"pattern": "x"},
              "patternProperties": {"^x": {"type": "string"}}},
      "f": {"type": "number", "format": "double", "not": {"const": 1},
            "if": {"minimum": 1}, "then": {}, "else": {}}
    },
    "required": ["n", "missing", "n"]})");
  Json expected = Json::parse(R"({
    "type": "OBJECT", "title": "Args", "description": "d",
    "properties": {
      "n": {"type": "INTEGER", "minimum": 1, "maximum": 9, "format": "int64"},
      "tags": {"type": "ARRAY", "minItems": 1, "maxItems": 3,
               "items": {"type": "STRING", "minLength": 1, "maxLength": 8, "pattern": "^a"}},
      "when": {"type": "STRING", "format": "date-time"},
      "map": {"type": "OBJECT"},
      "f": {"type": "NUMBER", "format": "double"}
    },
    "required": ["n"]})");
  EXPECT_EQ(out, expected) << out.dump(2);
}

TEST(GeminiSchema, InlinesRefsFromDefsAndDefinitions) {
  Json out = sanitize(R"({
    "type": "object",
    "$defs": {"City": {"type": "string", "description": "city name"}},
    "definitions": {"Unit": {"enum": ["C", "F"]}},
    "properties": {"city": {"$ref": "#/$defs/City"},
                   "unit": {"$ref": "#/definitions/Unit", "description": "unit"}}})");
  EXPECT_EQ(out, Json::parse(R"({"type":"OBJECT","properties":{
      "city":{"type":"STRING","description":"city name"},
      "unit":{"type":"STRING","enum":["C","F"],"description":"unit"}}})"))
      << out.dump(2);
}

TEST(GeminiSchema, RecursiveAndUnresolvableRefsBecomeOpaqueObjects) {
  Json out = sanitize(R"({
    "$defs": {"Node": {"type": "object", "properties": {
        "name": {"type": "string"},
        "children": {"type": "array", "items": {"$ref": "#/$defs/Node"}}}}},
    "type": "object",
    "properties": {"root": {"$ref": "#/$defs/Node"}, "other": {"$ref": "https://x/y.json"},
                   "self": {"$ref": "#"}}})");
  const Json& root = out["properties"]["root"];
  EXPECT_EQ(root["type"], "OBJECT");
  EXPECT_EQ(root["properties"]["name"]["type"], "STRING");
  EXPECT_EQ(root["properties"]["children"]["items"], Json::parse(R"({"type":"OBJECT"})"));
  EXPECT_EQ(out["properties"]["other"], Json::parse(R"({"type":"OBJECT"})"));
  EXPECT_EQ(out["properties"]["self"]["type"], "OBJECT");
  EXPECT_FALSE(out.dump().find("$ref") != std::string::npos) << out.dump();
}

TEST(GeminiSchema, NullableFromTypeListsAndNullBranches) {
  Json out = sanitize(R"({"type":"object","properties":{
      "a": {"type": ["string", "null"]},
      "b": {"anyOf": [{"type": "integer"}, {"type": "null"}], "description": "opt"},
      "c": {"type": ["string", "integer"]},
      "d": {"oneOf": [{"type": "string"}, {"type": "boolean"}]}}})");
  EXPECT_EQ(out["properties"]["a"], Json::parse(R"({"type":"STRING","nullable":true})"));
  EXPECT_EQ(out["properties"]["b"],
            Json::parse(R"({"type":"INTEGER","nullable":true,"description":"opt"})"));
  EXPECT_EQ(out["properties"]["c"],
            Json::parse(R"({"anyOf":[{"type":"STRING"},{"type":"INTEGER"}]})"));
  EXPECT_EQ(out["properties"]["d"],
            Json::parse(R"({"anyOf":[{"type":"STRING"},{"type":"BOOLEAN"}]})"));
}

TEST(GeminiSchema, AllOfIsMerged) {
  Json out = sanitize(R"({"$defs":{"Base":{"type":"object","properties":{"id":{"type":"string"}},
      "required":["id"]}},
      "allOf":[{"$ref":"#/$defs/Base"},
               {"properties":{"n":{"type":"number"}},"required":["n"]}]})");
  EXPECT_EQ(out, Json::parse(R"({"type":"OBJECT","properties":{"id":{"type":"STRING"},
      "n":{"type":"NUMBER"}},"required":["id","n"]})"))
      << out.dump(2);
}

TEST(GeminiSchema, ConstAndEnumsBecomeStringEnums) {
  Json out = sanitize(R"({"type":"object","properties":{
      "k": {"const": "fixed"},
      "mixed": {"enum": [1, "two", true, null]},
      "level": {"type": "integer", "enum": [1, 2, 3], "description": "Level."},
      "flag": {"type": "boolean", "const": true}}})");
  EXPECT_EQ(out["properties"]["k"], Json::parse(R"({"type":"STRING","enum":["fixed"]})"));
  EXPECT_EQ(out["properties"]["mixed"],
            Json::parse(R"({"type":"STRING","enum":["1","two","true"],"nullable":true})"));
  EXPECT_EQ(out["properties"]["level"],
            Json::parse(R"({"type":"INTEGER","description":"Level. Allowed values: 1, 2, 3."})"));
  EXPECT_EQ(out["properties"]["flag"],
            Json::parse(R"({"type":"BOOLEAN","description":"Allowed values: true."})"));
}

TEST(GeminiSchema, ArraysAlwaysHaveItemsAndEmptyPropertiesAreRemoved) {
  Json out = sanitize(R"({"type":"object","properties":{
      "list": {"type": "array"},
      "tuple": {"type": "array", "items": [{"type": "number"}, {"type": "string"}]},
      "empty": {"type": "object", "properties": {}},
      "any": {}}})");
  EXPECT_EQ(out["properties"]["list"], Json::parse(R"({"type":"ARRAY","items":{"type":"STRING"}})"));
  EXPECT_EQ(out["properties"]["tuple"], Json::parse(R"({"type":"ARRAY","items":{"type":"NUMBER"}})"));
  EXPECT_EQ(out["properties"]["empty"], Json::parse(R"({"type":"OBJECT"})"));
  EXPECT_EQ(out["properties"]["any"], Json::object());
}

TEST(GeminiSchema, InfersMissingTypesAndKeepsPropertyOrdering) {
  Json out = sanitize(R"({"properties":{"a":{"items":{"type":"string"}},"b":{"type":"string"}},
      "propertyOrdering":["b","a","zz"]})");
  EXPECT_EQ(out, Json::parse(R"({"type":"OBJECT","properties":{
      "a":{"type":"ARRAY","items":{"type":"STRING"}},"b":{"type":"STRING"}},
      "propertyOrdering":["b","a"]})"));
}

TEST(GeminiSchema, SurvivesGarbageAndDeepNesting) {
  EXPECT_EQ(sanitizeSchemaForGemini(Json(true)), Json::object());
  EXPECT_EQ(sanitizeSchemaForGemini(Json("x")), Json::object());
  EXPECT_EQ(sanitize(R"({"type": 7, "properties": [], "required": "a", "minItems": -1,
                         "enum": "x", "$ref": 5})"),
            Json::parse(R"({"type":"OBJECT"})"));
  Json deep = Json::parse(R"({"type":"string"})");
  for (int i = 0; i < 100; ++i) {
    deep = Json{{"type", "array"}, {"items", deep}};
  }
  Json out = sanitizeSchemaForGemini(deep);
  EXPECT_EQ(out["type"], "ARRAY");
  // a self-referencing allOf chain terminates
  Json loop = Json::parse(R"({"$defs":{"A":{"allOf":[{"$ref":"#/$defs/A"}]}},"$ref":"#/$defs/A"})");
  EXPECT_TRUE(sanitizeSchemaForGemini(loop).is_object());
}

}  // namespace
