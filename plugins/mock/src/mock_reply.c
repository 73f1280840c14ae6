#include "mock_reply.h"

#include <llmp/types.h>
#include <stdio.h>
#include <string.h>

const char mock_model_list[] =
    "[{\"name\":\"models/mock-1\",\"displayName\":\"Mock 1\",\"inputTokenLimit\":32768,"
    "\"outputTokenLimit\":8192,\"supportedGenerationMethods\":[\"generateContent\","
    "\"countTokens\"]},"
    "{\"name\":\"models/mock-2\",\"displayName\":\"Mock 2\",\"inputTokenLimit\":32768,"
    "\"outputTokenLimit\":8192,\"supportedGenerationMethods\":[\"generateContent\","
    "\"countTokens\"]}]";

static int is_space(char c) {
  return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v';
}

int64_t mock_count_words(const char* text, size_t len) {
  int64_t words = 0;
  int in_word = 0;
  size_t i;
  for (i = 0; i < len; ++i) {
    if (is_space(text[i])) {
      in_word = 0;
    } else if (!in_word) {
      in_word = 1;
      ++words;
    }
  }
  return words;
}

static const char* find(const char* text, size_t len, const char* needle, size_t needle_len) {
  size_t i;
  if (needle_len > len) {
    return NULL;
  }
  for (i = 0; i + needle_len <= len; ++i) {
    if (memcmp(text + i, needle, needle_len) == 0) {
      return text + i;
    }
  }
  return NULL;
}

int mock_has_marker(const char* text, size_t len, const char* marker) {
  return find(text, len, marker, strlen(marker)) != NULL;
}

int mock_error_marker(const char* text, size_t len) {
  static const char prefix[] = "[[error:";
  const char* at = text;
  size_t left = len;
  while (left > 0) {
    const char* hit = find(at, left, prefix, sizeof prefix - 1);
    const char* d;
    if (hit == NULL) {
      return 0;
    }
    d = hit + sizeof prefix - 1;
    if ((size_t)(text + len - d) >= 5 && d[0] >= '4' && d[0] <= '5' && d[1] >= '0' && d[1] <= '9' &&
        d[2] >= '0' && d[2] <= '9' && d[3] == ']' && d[4] == ']') {
      return (d[0] - '0') * 100 + (d[1] - '0') * 10 + (d[2] - '0');
    }
    left = (size_t)(text + len - (hit + 1));
    at = hit + 1;
  }
  return 0;
}

int32_t mock_llmp_status_for_http(int http_status) {
  switch (http_status) {
    case 400: return LLMP_E_INVALID;
    case 401:
    case 403: return LLMP_E_AUTH;
    case 404: return LLMP_E_NOT_FOUND;
    case 429: return LLMP_E_RATE_LIMITED;
    case 502:
    case 503: return LLMP_E_UNAVAILABLE;
    case 504: return LLMP_E_TIMEOUT;
    default: return LLMP_E_UPSTREAM_HTTP;
  }
}

const char* mock_google_status_for_http(int http_status) {
  switch (http_status) {
    case 400: return "INVALID_ARGUMENT";
    case 401: return "UNAUTHENTICATED";
    case 403: return "PERMISSION_DENIED";
    case 404: return "NOT_FOUND";
    case 409: return "ABORTED";
    case 429: return "RESOURCE_EXHAUSTED";
    case 499: return "CANCELLED";
    case 500: return "INTERNAL";
    case 501: return "UNIMPLEMENTED";
    case 503: return "UNAVAILABLE";
    case 504: return "DEADLINE_EXCEEDED";
    default: return http_status >= 500 ? "INTERNAL" : "UNKNOWN";
  }
}

void mock_error_body(mock_buf* out, int http_status, const char* message) {
  mock_buf_puts(out, "{\"error\":{\"code\":");
  mock_buf_int(out, http_status);
  mock_buf_puts(out, ",\"message\":");
  mock_buf_json_string(out, message, strlen(message));
  mock_buf_puts(out, ",\"status\":\"");
  mock_buf_puts(out, mock_google_status_for_http(http_status));
  mock_buf_puts(out, "\"");
  if (http_status == 429) {
    mock_buf_puts(out,
                  ",\"details\":[{\"@type\":\"type.googleapis.com/google.rpc.RetryInfo\","
                  "\"retryDelay\":\"1s\"}]");
  }
  mock_buf_puts(out, "}}");
}

/* Adds the words of every text part of a Content object to *words; when `text` is not NULL also
 * appends the parts' text to it. Returns 0 when the content is malformed. */
static int scan_content(const mock_json* content, int64_t* words, mock_buf* text,
                        const mock_json** function_response) {
  const mock_json* parts = mock_json_get(content, "parts");
  const mock_json* part;
  if (content == NULL || content->type != MOCK_JSON_OBJECT) {
    return 0;
  }
  if (parts == NULL) {
    return 1;
  }
  if (parts->type != MOCK_JSON_ARRAY) {
    return 0;
  }
  for (part = parts->child; part != NULL; part = part->next) {
    const mock_json* t = mock_json_get(part, "text");
    if (part->type != MOCK_JSON_OBJECT) {
      return 0;
    }
    if (t != NULL) {
      if (t->type != MOCK_JSON_STRING) {
        return 0;
      }
      *words += mock_count_words(t->str, t->len);
      const mock_json* thought = mock_json_get(part, "thought");
      if (text != NULL && (thought == NULL || thought->type != MOCK_JSON_TRUE)) {
        mock_buf_append(text, t->str, t->len);
      }
    }
    if (function_response != NULL && *function_response == NULL) {
      const mock_json* fr = mock_json_get(part, "functionResponse");
      if (fr != NULL && fr->type == MOCK_JSON_OBJECT) {
        *function_response = fr;
      }
    }
  }
  return 1;
}

static int is_user_turn(const mock_json* content) {
  const mock_json* role = mock_json_get(content, "role");
  /* Gemini reads a missing role as "user". */
  return role == NULL || mock_json_is_string(role, "user");
}

static const mock_json* first_function(const mock_json* request) {
  const mock_json* tools = mock_json_get(request, "tools");
  const mock_json* tool;
  if (tools == NULL || tools->type != MOCK_JSON_ARRAY) {
    return NULL;
  }
  for (tool = tools->child; tool != NULL; tool = tool->next) {
    const mock_json* decls = mock_json_get(tool, "functionDeclarations");
    const mock_json* decl;
    if (decls == NULL || decls->type != MOCK_JSON_ARRAY) {
      continue;
    }
    for (decl = decls->child; decl != NULL; decl = decl->next) {
      const mock_json* name = mock_json_get(decl, "name");
      if (name != NULL && name->type == MOCK_JSON_STRING && name->len > 0) {
        return name;
      }
    }
  }
  return NULL;
}

static int invalid(mock_buf* error, const char* what) {
  mock_buf_puts(error, "mock: invalid IR request: ");
  mock_buf_puts(error, what);
  return 0;
}

int mock_request_parse(mock_request* r, const char* ir, size_t len, int need_user_turn,
                       mock_buf* error) {
  const mock_json* contents;
  const mock_json* content;
  const mock_json* last_user = NULL;
  const mock_json* system;
  memset(r, 0, sizeof *r);
  mock_buf_init(&r->user_text);
  if (!mock_json_parse(&r->doc, ir, len)) {
    char where[64];
    mock_buf_puts(error, "mock: the IR request is not valid JSON: ");
    mock_buf_puts(error, r->doc.error ? r->doc.error : "unreadable");
    snprintf(where, sizeof where, " at byte %lu", (unsigned long)r->doc.error_offset);
    mock_buf_puts(error, where);
    return 0;
  }
  r->request = r->doc.root;
  if (r->request->type != MOCK_JSON_OBJECT) {
    return invalid(error, "the request is not a JSON object");
  }
  {
    /* countTokens may wrap the request: {"generateContentRequest": {...}}. */
    const mock_json* wrapped = mock_json_get(r->request, "generateContentRequest");
    if (wrapped != NULL && wrapped->type == MOCK_JSON_OBJECT) {
      r->request = wrapped;
    }
  }
  contents = mock_json_get(r->request, "contents");
  if (contents != NULL && contents->type != MOCK_JSON_ARRAY) {
    return invalid(error, "\"contents\" is not an array");
  }
  for (content = contents ? contents->child : NULL; content != NULL; content = content->next) {
    if (!scan_content(content, &r->prompt_words, NULL, NULL)) {
      return invalid(error, "a content is not {\"role\":...,\"parts\":[{...}]}");
    }
    if (is_user_turn(content)) {
      last_user = content;
    }
  }
  system = mock_json_get(r->request, "systemInstruction");
  if (system != NULL && !scan_content(system, &r->prompt_words, NULL, NULL)) {
    return invalid(error, "\"systemInstruction\" is not {\"parts\":[{...}]}");
  }
  if (last_user != NULL) {
    int64_t ignored = 0;
    r->has_user_turn = 1;
    scan_content(last_user, &ignored, &r->user_text, &r->function_response);
  } else if (need_user_turn) {
    return invalid(error, "\"contents\" has no user turn");
  }
  r->first_function = first_function(r->request);
  if (r->user_text.failed) {
    mock_buf_puts(error, "mock: out of memory");
    return 0;
  }
  return 1;
}

void mock_request_free(mock_request* r) {
  mock_json_free(&r->doc);
  mock_buf_free(&r->user_text);
}

void mock_write_chunk(mock_buf* out, const mock_chunk* c) {
  int first_part = 1;
  mock_buf_puts(out, "{\"candidates\":[{\"content\":{\"role\":\"model\",\"parts\":[");
  if (c->thought) {
    mock_buf_puts(out,
                  "{\"text\":\"mock thinking\",\"thought\":true,"
                  "\"thoughtSignature\":\"bW9jay1zaWc=\"}");
    first_part = 0;
  }
  if (c->text != NULL) {
    mock_buf_puts(out, first_part ? "{\"text\":" : ",{\"text\":");
    mock_buf_json_string(out, c->text, c->text_len);
    mock_buf_puts(out, "}");
    first_part = 0;
  }
  if (c->call_name != NULL) {
    mock_buf_puts(out,
                  first_part ? "{\"functionCall\":{\"name\":" : ",{\"functionCall\":{\"name\":");
    mock_buf_json_string(out, c->call_name, c->call_name_len);
    mock_buf_puts(out, ",\"args\":{\"input\":");
    mock_buf_json_string(out, c->call_input, c->call_input_len);
    mock_buf_puts(out, "}}}");
  }
  mock_buf_puts(out, "]}");
  if (c->final) {
    mock_buf_puts(out, ",\"finishReason\":\"STOP\"");
  }
  mock_buf_puts(out, ",\"index\":0}]");
  if (c->final) {
    mock_buf_puts(out, ",\"usageMetadata\":{\"promptTokenCount\":");
    mock_buf_int(out, c->prompt_tokens);
    mock_buf_puts(out, ",\"candidatesTokenCount\":");
    mock_buf_int(out, c->candidate_tokens);
    if (c->thought_tokens > 0) {
      mock_buf_puts(out, ",\"thoughtsTokenCount\":");
      mock_buf_int(out, c->thought_tokens);
    }
    mock_buf_puts(out, ",\"totalTokenCount\":");
    mock_buf_int(out, c->prompt_tokens + c->candidate_tokens + c->thought_tokens);
    mock_buf_puts(out, "}");
  }
  mock_buf_puts(out, ",\"modelVersion\":");
  mock_buf_json_string(out, c->model, c->model_len);
  mock_buf_puts(out, ",\"responseId\":\"");
  mock_buf_puts(out, c->response_id);
  mock_buf_puts(out, "\"}");
}

void mock_response_id(char out[22], const char* ir, size_t len) {
  /* FNV-1a, 64 bit. */
  uint64_t hash = 14695981039346656037ull;
  size_t i;
  for (i = 0; i < len; ++i) {
    hash ^= (unsigned char)ir[i];
    hash *= 1099511628211ull;
  }
  snprintf(out, 22, "mock-%016llx", (unsigned long long)hash);
}
