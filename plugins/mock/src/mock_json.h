/* A small self-contained JSON reader (RFC 8259) for the mock backend: parses a document into a
 * tree held in one arena, and writes values back as compact JSON. Strings are decoded to UTF-8;
 * numbers keep their source text. Nesting deeper than MOCK_JSON_MAX_DEPTH is refused. */
#ifndef LLMP_MOCK_JSON_H
#define LLMP_MOCK_JSON_H

#include <stddef.h>

#include "mock_buf.h"

#define MOCK_JSON_MAX_DEPTH 256

typedef enum mock_json_type {
  MOCK_JSON_NULL,
  MOCK_JSON_FALSE,
  MOCK_JSON_TRUE,
  MOCK_JSON_NUMBER,
  MOCK_JSON_STRING,
  MOCK_JSON_ARRAY,
  MOCK_JSON_OBJECT
} mock_json_type;

typedef struct mock_json mock_json;
struct mock_json {
  mock_json_type type;
  const char* str; /* STRING: decoded text; NUMBER: source text. Not NUL-terminated. */
  size_t len;
  const char* key; /* member name when this value sits in an object */
  size_t key_len;
  mock_json* child; /* ARRAY / OBJECT: first element or member */
  mock_json* next;  /* next sibling */
};

typedef struct mock_json_block mock_json_block;

/* Owns every node and string of one parsed document. */
typedef struct mock_json_doc {
  mock_json* root;
  mock_json_block* blocks;
  size_t error_offset; /* byte offset of a parse error */
  const char* error;   /* static description of a parse error, or NULL */
} mock_json_doc;

/* Returns 1 on success (doc->root set), 0 on malformed input or out of memory (doc->error set).
 * Call mock_json_free in both cases. */
int mock_json_parse(mock_json_doc* doc, const char* text, size_t len);
void mock_json_free(mock_json_doc* doc);

/* The member `key` of an object, or NULL. */
const mock_json* mock_json_get(const mock_json* object, const char* key);
/* 1 when v is a string equal to text. */
int mock_json_is_string(const mock_json* v, const char* text);
/* Writes v as compact JSON. */
void mock_json_write(mock_buf* out, const mock_json* v);

#endif
