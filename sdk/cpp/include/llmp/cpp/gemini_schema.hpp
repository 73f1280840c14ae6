// Converts a client's JSON Schema (OpenAI / Anthropic tool parameters, OpenAI json_schema
// response formats) into the OpenAPI-3.0 subset Gemini's `Schema` accepts. Gemini rejects a whole
// request for one keyword it does not know, so the conversion keeps only what Gemini documents:
//
//   kept       type (upper-cased: STRING NUMBER INTEGER BOOLEAN ARRAY OBJECT), format (string:
//              enum, date-time; integer: int32, int64; number: float, double), title,
//              description, nullable, enum (strings), items, properties, required (only names
//              that exist in properties), minItems, maxItems, minimum, maximum, minLength,
//              maxLength, pattern, anyOf, propertyOrdering
//   rewritten  $ref -> the referenced definition inlined ($defs / definitions / any local JSON
//              pointer); a recursive or unresolvable ref becomes {"type":"OBJECT"}
//              type ["string","null"] -> type STRING + nullable; several non-null types -> anyOf
//              anyOf/oneOf with a {"type":"null"} branch -> nullable (+ collapsed when one branch
//              remains); oneOf -> anyOf; allOf -> merged into one schema
//              const -> enum [value]; non-string enums on a string / untyped schema -> strings;
//              enums on number/integer/boolean schemas -> dropped, values named in description
//              ARRAY without items -> items {"type":"STRING"}; empty properties -> removed;
//              a schema without type gets OBJECT / ARRAY / STRING inferred from properties /
//              items / enum
//   dropped    everything else ($schema, $id, $defs, additionalProperties, exclusiveMinimum,
//              exclusiveMaximum, uniqueItems, propertyNames, patternProperties, examples,
//              default, if/then/else, not, contentEncoding, minProperties, ...)
// Never throws for any JSON input; non-object input yields {} (an unconstrained schema).
#pragma once

#include "json.hpp"

namespace llmp {

Json sanitizeSchemaForGemini(const Json& jsonSchema);

}  // namespace llmp
