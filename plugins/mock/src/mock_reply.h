/* What the mock backend answers (docs/backends/mock.md): request analysis and the JSON of
 * response chunks, errors, token counts and the model list. No ABI here, so tests can call it. */
#ifndef LLMP_MOCK_REPLY_H
#define LLMP_MOCK_REPLY_H

#include <stddef.h>
#include <stdint.h>

#include "mock_buf.h"
#include "mock_json.h"

/* What the mock read from an IR GenerateContentRequest. Pointers point into `doc`. */
typedef struct mock_request {
  mock_json_doc doc;
  const mock_json* request;           /* the GenerateContentRequest object */
  int has_user_turn;                  /* a user turn exists */
  mock_buf user_text;                 /* text parts of the last user turn, concatenated */
  const mock_json* function_response; /* first functionResponse of the last user turn */
  const mock_json* first_function;    /* the first declared function's name (a string) */
  int64_t prompt_words;               /* words in every text part (contents, systemInstruction) */
} mock_request;

/* Parses the IR. Returns 1 on success; on malformed input returns 0 and writes a sentence to
 * `error`. `need_user_turn` makes a request without a user turn malformed. Always call
 * mock_request_free. */
int mock_request_parse(mock_request* r, const char* ir, size_t len, int need_user_turn,
                       mock_buf* error);
void mock_request_free(mock_request* r);

/* Whitespace-separated words in text. */
int64_t mock_count_words(const char* text, size_t len);

/* The HTTP status asked for by "[[error:NNN]]" (400..599) in text, or 0. */
int mock_error_marker(const char* text, size_t len);

/* 1 when `marker` (e.g. "[[tool]]") occurs in text. */
int mock_has_marker(const char* text, size_t len, const char* marker);

/* How an HTTP status maps to llmp: status code, Google status string. */
int32_t mock_llmp_status_for_http(int http_status);
const char* mock_google_status_for_http(int http_status);

/* The Google error body {"error":{"code","message","status"[,"details"]}}; 429 carries a
 * google.rpc.RetryInfo of "1s". */
void mock_error_body(mock_buf* out, int http_status, const char* message);

/* One GenerateContentResponse chunk. Members left 0/NULL are omitted. */
typedef struct mock_chunk {
  int thought;      /* add the thought part first */
  const char* text; /* a text part (may be empty), or NULL */
  size_t text_len;
  const char* call_name; /* a functionCall part with args {"input": call_input} */
  size_t call_name_len;
  const char* call_input;
  size_t call_input_len;
  int final; /* finishReason STOP and usageMetadata */
  int64_t prompt_tokens;
  int64_t candidate_tokens;
  int64_t thought_tokens;
  const char* model;
  size_t model_len;
  const char* response_id;
} mock_chunk;

void mock_write_chunk(mock_buf* out, const mock_chunk* chunk);

/* "mock-" + 16 hex digits of a hash of the request: stable for equal requests. */
void mock_response_id(char out[22], const char* ir, size_t len);

/* The model list written by list_models. */
extern const char mock_model_list[];

#endif
