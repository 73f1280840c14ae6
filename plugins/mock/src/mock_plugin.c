/* The mock backend's ABI surface: descriptor, backend factory and the llmp_plugin_entry export.
 * Plain C11 on purpose: it proves a plugin needs nothing but sdk/include. */
#define _POSIX_C_SOURCE 200809L

#include <llmp/llmp.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "mock_buf.h"
#include "mock_json.h"
#include "mock_reply.h"

#define MOCK_MAX_CHUNK_DELAY_MS 60000

struct llmp_backend {
  const llmp_host_api* host;
  char* reply_prefix;
  size_t reply_prefix_len;
  uint32_t chunk_delay_ms;
};

static const char* const mock_types[] = {"mock"};

static int is_space(char c) {
  return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v';
}

static void set_error(const llmp_error_sink* err, llmp_status code, int32_t http_status,
                      int64_t retry_after_ms, const char* message, const char* body,
                      size_t body_len) {
  llmp_bytes m;
  llmp_bytes b;
  if (err == NULL || err->set == NULL) {
    return;
  }
  m.ptr = message;
  m.len = strlen(message);
  b.ptr = body;
  b.len = body_len;
  err->set(err->ctx, code, http_status, retry_after_ms, m, b);
}

static llmp_status out_of_memory(const llmp_error_sink* err) {
  set_error(err, LLMP_E_INTERNAL, 500, -1, "mock: out of memory", NULL, 0);
  return LLMP_E_INTERNAL;
}

static llmp_status write_bytes(const llmp_bytes_sink* out, const char* data, size_t len) {
  llmp_bytes b;
  b.ptr = data;
  b.len = len;
  return out->write(out->ctx, b);
}

static void sleep_ms(uint32_t ms) {
  struct timespec ts;
  ts.tv_sec = (time_t)(ms / 1000);
  ts.tv_nsec = (long)(ms % 1000) * 1000000L;
  while (nanosleep(&ts, &ts) != 0) {
    /* interrupted by a signal: sleep the rest */
  }
}

/* ---- create / destroy ----------------------------------------------------------------------- */

static llmp_status LLMP_ABI mock_create(const llmp_host_api* host, const char* type,
                                        llmp_bytes instance_name, llmp_bytes config_json,
                                        llmp_backend** out, const llmp_error_sink* err) {
  mock_json_doc doc;
  const mock_json* config = NULL;
  const mock_json* prefix;
  const mock_json* delay;
  llmp_backend* b;
  const char* prefix_text = "mock: ";
  size_t prefix_len = 6;
  uint32_t delay_ms = 0;
  (void)instance_name;
  if (out == NULL) {
    set_error(err, LLMP_E_INVALID, 0, -1, "mock: create needs an output pointer", NULL, 0);
    return LLMP_E_INVALID;
  }
  *out = NULL;
  if (type == NULL || strcmp(type, "mock") != 0) {
    set_error(err, LLMP_E_INVALID, 0, -1, "mock: unknown backend type (this plugin makes \"mock\")",
              NULL, 0);
    return LLMP_E_INVALID;
  }
  memset(&doc, 0, sizeof doc);
  if (config_json.len > 0) {
    if (!mock_json_parse(&doc, config_json.ptr, config_json.len) ||
        doc.root->type != MOCK_JSON_OBJECT) {
      mock_json_free(&doc);
      set_error(err, LLMP_E_INVALID, 0, -1, "mock: the backend config is not a JSON object", NULL,
                0);
      return LLMP_E_INVALID;
    }
    config = doc.root;
  }
  prefix = mock_json_get(config, "reply_prefix");
  if (prefix != NULL) {
    if (prefix->type != MOCK_JSON_STRING) {
      mock_json_free(&doc);
      set_error(err, LLMP_E_INVALID, 0, -1, "mock: reply_prefix must be a string", NULL, 0);
      return LLMP_E_INVALID;
    }
    prefix_text = prefix->str;
    prefix_len = prefix->len;
  }
  delay = mock_json_get(config, "chunk_delay_ms");
  if (delay != NULL) {
    char* end = NULL;
    char digits[32];
    long value = -1;
    if (delay->type == MOCK_JSON_NUMBER && delay->len < sizeof digits) {
      memcpy(digits, delay->str, delay->len);
      digits[delay->len] = '\0';
      value = strtol(digits, &end, 10);
    }
    if (end == NULL || *end != '\0' || value < 0 || value > MOCK_MAX_CHUNK_DELAY_MS) {
      mock_json_free(&doc);
      set_error(err, LLMP_E_INVALID, 0, -1,
                "mock: chunk_delay_ms must be a whole number of milliseconds from 0 to 60000", NULL,
                0);
      return LLMP_E_INVALID;
    }
    delay_ms = (uint32_t)value;
  }

  b = (llmp_backend*)calloc(1, sizeof *b);
  if (b != NULL) {
    b->reply_prefix = (char*)malloc(prefix_len + 1);
  }
  if (b == NULL || b->reply_prefix == NULL) {
    free(b);
    mock_json_free(&doc);
    return out_of_memory(err);
  }
  memcpy(b->reply_prefix, prefix_text, prefix_len);
  b->reply_prefix[prefix_len] = '\0';
  b->reply_prefix_len = prefix_len;
  b->chunk_delay_ms = delay_ms;
  b->host = host;
  mock_json_free(&doc);
  *out = b;
  return LLMP_OK;
}

static void LLMP_ABI mock_destroy(llmp_backend* b) {
  if (b != NULL) {
    free(b->reply_prefix);
    free(b);
  }
}

/* ---- generate ------------------------------------------------------------------------------- */

typedef struct mock_stream {
  const llmp_event_sink* sink;
  const llmp_error_sink* err;
  mock_buf json;
  llmp_status status;
} mock_stream;

/* Renders and emits one chunk; records why it stopped. */
static int emit_chunk(mock_stream* s, const mock_chunk* chunk) {
  llmp_bytes data;
  s->json.len = 0;
  mock_write_chunk(&s->json, chunk);
  if (s->json.failed) {
    s->status = out_of_memory(s->err);
    return 0;
  }
  data.ptr = s->json.data;
  data.len = s->json.len;
  s->status = s->sink->emit(s->sink->ctx, LLMP_EVENT_CHUNK, data);
  if (s->status != LLMP_OK) {
    set_error(s->err, s->status, 0, -1, "mock: the client stopped the response", NULL, 0);
    return 0;
  }
  return 1;
}

/* Streams `text` in pieces: each word with the whitespace after it (leading whitespace goes
 * with the first word). The last piece carries finishReason and usage. */
static void stream_text(mock_stream* s, const llmp_backend* b, mock_chunk chunk, const char* text,
                        size_t len, int delay_first) {
  size_t pos = 0;
  do {
    size_t end = pos;
    while (end < len && is_space(text[end])) {
      ++end;
    }
    while (end < len && !is_space(text[end])) {
      ++end;
    }
    while (end < len && is_space(text[end])) {
      ++end;
    }
    if (b->chunk_delay_ms > 0 && (pos > 0 || delay_first)) {
      sleep_ms(b->chunk_delay_ms);
    }
    chunk.text = text + pos;
    chunk.text_len = end - pos;
    chunk.final = end == len;
    if (!emit_chunk(s, &chunk)) {
      return;
    }
    pos = end;
  } while (pos < len);
}

static llmp_status LLMP_ABI mock_generate(llmp_backend* b, const llmp_generate_request* request,
                                          const llmp_event_sink* sink, const llmp_error_sink* err) {
  mock_request r;
  mock_buf error;
  mock_buf reply;
  mock_stream s;
  mock_chunk chunk;
  char response_id[22];
  int http_error;
  int thinking;
  int stream;
  if (b == NULL || request == NULL || sink == NULL || sink->emit == NULL) {
    set_error(err, LLMP_E_INVALID, 400, -1, "mock: generate needs a request and a sink", NULL, 0);
    return LLMP_E_INVALID;
  }
  mock_buf_init(&error);
  if (!mock_request_parse(&r, request->ir.ptr, request->ir.len, 1, &error)) {
    set_error(err, LLMP_E_INVALID, 400, -1, error.failed ? "mock: invalid IR request" : error.data,
              NULL, 0);
    mock_request_free(&r);
    mock_buf_free(&error);
    return LLMP_E_INVALID;
  }

  http_error = mock_error_marker(r.user_text.data, r.user_text.len);
  if (http_error != 0) {
    llmp_status code = mock_llmp_status_for_http(http_error);
    mock_buf body;
    mock_buf_init(&body);
    mock_buf_puts(&error, "mock: simulated upstream error ");
    mock_buf_int(&error, http_error);
    mock_buf_puts(&error, " (");
    mock_buf_puts(&error, mock_google_status_for_http(http_error));
    mock_buf_puts(&error, ")");
    mock_error_body(&body, http_error,
                    error.failed ? "mock: simulated upstream error" : error.data);
    if (error.failed || body.failed) {
      code = out_of_memory(err);
    } else {
      set_error(err, code, http_error, http_error == 429 ? 1000 : -1, error.data, body.data,
                body.len);
    }
    mock_buf_free(&body);
    mock_buf_free(&error);
    mock_request_free(&r);
    return code;
  }

  thinking = mock_has_marker(r.user_text.data, r.user_text.len, "[[thinking]]");
  stream = (request->flags & LLMP_GENERATE_STREAM) != 0;
  mock_response_id(response_id, request->ir.ptr, request->ir.len);
  memset(&chunk, 0, sizeof chunk);
  chunk.prompt_tokens = r.prompt_words;
  chunk.thought_tokens = thinking ? 2 : 0;
  chunk.model = request->model.len > 0 ? request->model.ptr : "mock-1";
  chunk.model_len = request->model.len > 0 ? request->model.len : 6;
  chunk.response_id = response_id;

  mock_buf_init(&reply);
  if (r.function_response != NULL) {
    const mock_json* name = mock_json_get(r.function_response, "name");
    const mock_json* response = mock_json_get(r.function_response, "response");
    mock_buf_append(&reply, b->reply_prefix, b->reply_prefix_len);
    mock_buf_puts(&reply, "tool ");
    if (name != NULL && name->type == MOCK_JSON_STRING) {
      mock_buf_append(&reply, name->str, name->len);
    }
    mock_buf_puts(&reply, " returned ");
    if (response != NULL) {
      mock_json_write(&reply, response);
    } else {
      mock_buf_puts(&reply, "null");
    }
  } else if (r.first_function != NULL &&
             mock_has_marker(r.user_text.data, r.user_text.len, "[[tool]]")) {
    chunk.call_name = r.first_function->str;
    chunk.call_name_len = r.first_function->len;
    chunk.call_input = r.user_text.data ? r.user_text.data : "";
    chunk.call_input_len = r.user_text.len;
  } else {
    mock_buf_append(&reply, b->reply_prefix, b->reply_prefix_len);
    mock_buf_append(&reply, r.user_text.data, r.user_text.len);
  }

  s.sink = sink;
  s.err = err;
  s.status = LLMP_OK;
  mock_buf_init(&s.json);
  if (reply.failed) {
    s.status = out_of_memory(err);
  } else if (!stream) {
    chunk.thought = thinking;
    chunk.final = 1;
    if (chunk.call_name == NULL) {
      chunk.text = reply.data ? reply.data : "";
      chunk.text_len = reply.len;
      chunk.candidate_tokens = mock_count_words(reply.data, reply.len);
    } else {
      chunk.candidate_tokens = 1;
    }
    emit_chunk(&s, &chunk);
  } else {
    int emitted_thought = 0;
    if (thinking) {
      mock_chunk thought = chunk;
      thought.thought = 1;
      thought.call_name = NULL;
      emitted_thought = emit_chunk(&s, &thought);
    }
    if (s.status == LLMP_OK) {
      if (chunk.call_name != NULL) {
        if (emitted_thought && b->chunk_delay_ms > 0) {
          sleep_ms(b->chunk_delay_ms);
        }
        chunk.final = 1;
        chunk.candidate_tokens = 1;
        emit_chunk(&s, &chunk);
      } else {
        chunk.candidate_tokens = mock_count_words(reply.data, reply.len);
        stream_text(&s, b, chunk, reply.data ? reply.data : "", reply.len, emitted_thought);
      }
    }
  }
  mock_buf_free(&s.json);
  mock_buf_free(&reply);
  mock_buf_free(&error);
  mock_request_free(&r);
  return s.status;
}

/* ---- count_tokens, list_models, extensions -------------------------------------------------- */

static llmp_status LLMP_ABI mock_count_tokens(llmp_backend* b, const llmp_generate_request* request,
                                              const llmp_bytes_sink* out,
                                              const llmp_error_sink* err) {
  mock_request r;
  mock_buf error;
  mock_buf json;
  llmp_status status;
  (void)b;
  if (request == NULL || out == NULL || out->write == NULL) {
    set_error(err, LLMP_E_INVALID, 400, -1, "mock: count_tokens needs a request and a sink", NULL,
              0);
    return LLMP_E_INVALID;
  }
  mock_buf_init(&error);
  if (!mock_request_parse(&r, request->ir.ptr, request->ir.len, 0, &error)) {
    set_error(err, LLMP_E_INVALID, 400, -1, error.failed ? "mock: invalid IR request" : error.data,
              NULL, 0);
    mock_request_free(&r);
    mock_buf_free(&error);
    return LLMP_E_INVALID;
  }
  mock_buf_init(&json);
  mock_buf_puts(&json, "{\"totalTokens\":");
  mock_buf_int(&json, r.prompt_words);
  mock_buf_puts(&json, "}");
  status = json.failed ? out_of_memory(err) : write_bytes(out, json.data, json.len);
  mock_buf_free(&json);
  mock_buf_free(&error);
  mock_request_free(&r);
  return status;
}

static llmp_status LLMP_ABI mock_list_models(llmp_backend* b, const llmp_bytes_sink* out,
                                             const llmp_error_sink* err) {
  (void)b;
  if (out == NULL || out->write == NULL) {
    set_error(err, LLMP_E_INVALID, 400, -1, "mock: list_models needs a sink", NULL, 0);
    return LLMP_E_INVALID;
  }
  return write_bytes(out, mock_model_list, strlen(mock_model_list));
}

static llmp_status LLMP_ABI mock_health(llmp_backend* b, const llmp_bytes_sink* out) {
  static const char report[] = "{\"status\":\"ok\",\"type\":\"mock\"}";
  (void)b;
  if (out == NULL || out->write == NULL) {
    return LLMP_E_INVALID;
  }
  return write_bytes(out, report, sizeof report - 1);
}

static const llmp_health_ext mock_health_ext = {sizeof(llmp_health_ext), mock_health};

static const void* LLMP_ABI mock_get_extension(llmp_backend* b, const char* id) {
  (void)b;
  if (id != NULL && strcmp(id, LLMP_EXT_HEALTH_V1) == 0) {
    return &mock_health_ext;
  }
  return NULL;
}

/* ---- descriptor ----------------------------------------------------------------------------- */

static const llmp_backend_factory mock_factory = {sizeof(llmp_backend_factory),
                                                  mock_types,
                                                  1,
                                                  NULL,
                                                  0,
                                                  mock_create,
                                                  mock_destroy,
                                                  mock_generate,
                                                  mock_count_tokens,
                                                  mock_list_models,
                                                  mock_get_extension,
                                                  /* not cooperative: chunk delays sleep */
                                                  0};

static const void* LLMP_ABI mock_get_factory(const char* factory_id) {
  if (factory_id != NULL && strcmp(factory_id, LLMP_BACKEND_FACTORY_V1) == 0) {
    return &mock_factory;
  }
  return NULL;
}

static const llmp_plugin_descriptor mock_descriptor = {
    LLMP_ABI_MAJOR,
    LLMP_ABI_MINOR,
    sizeof(llmp_plugin_descriptor),
    "dev.llmp.mock",
    "mock",
    "1.0.0",
    "Offline backend with deterministic answers, for tests and benchmarks (written in C).",
    NULL,
    NULL,
    mock_get_factory};

LLMP_PLUGIN_ENTRY(host_major, host_minor) {
  /* Always describe ourselves: the host compares versions and names both in its refusal. */
  (void)host_major;
  (void)host_minor;
  return &mock_descriptor;
}
