#include "mock_json.h"

#include <stdlib.h>
#include <string.h>

struct mock_json_block {
  mock_json_block* next;
  size_t used;
  size_t cap;
  /* storage follows, aligned like max_align_t */
};

#define MOCK_BLOCK_HEADER                                                          \
  ((sizeof(mock_json_block) + _Alignof(max_align_t) - 1) / _Alignof(max_align_t) * \
   _Alignof(max_align_t))

typedef struct parser {
  mock_json_doc* doc;
  const char* text;
  size_t len;
  size_t pos;
} parser;

static void* arena_alloc(mock_json_doc* doc, size_t size) {
  mock_json_block* block = doc->blocks;
  size_t aligned =
      (size + _Alignof(max_align_t) - 1) / _Alignof(max_align_t) * _Alignof(max_align_t);
  if (aligned < size) {
    return NULL;
  }
  if (block == NULL || block->cap - block->used < aligned) {
    size_t cap = aligned > 16384 ? aligned : 16384;
    block = (mock_json_block*)malloc(MOCK_BLOCK_HEADER + cap);
    if (block == NULL) {
      return NULL;
    }
    block->next = doc->blocks;
    block->used = 0;
    block->cap = cap;
    doc->blocks = block;
  }
  block->used += aligned;
  return (char*)block + MOCK_BLOCK_HEADER + block->used - aligned;
}

static int fail(parser* p, const char* why) {
  if (p->doc->error == NULL) {
    p->doc->error = why;
    p->doc->error_offset = p->pos;
  }
  return 0;
}

static void skip_space(parser* p) {
  while (p->pos < p->len) {
    char c = p->text[p->pos];
    if (c != ' ' && c != '\t' && c != '\n' && c != '\r') {
      return;
    }
    ++p->pos;
  }
}

static int literal(parser* p, const char* word) {
  size_t n = strlen(word);
  if (p->len - p->pos < n || memcmp(p->text + p->pos, word, n) != 0) {
    return fail(p, "unexpected character");
  }
  p->pos += n;
  return 1;
}

static int is_digit(char c) { return c >= '0' && c <= '9'; }

static int parse_number(parser* p, mock_json* v) {
  size_t start = p->pos;
  if (p->pos < p->len && p->text[p->pos] == '-') {
    ++p->pos;
  }
  if (p->pos >= p->len || !is_digit(p->text[p->pos])) {
    return fail(p, "invalid number");
  }
  if (p->text[p->pos] == '0') {
    ++p->pos;
  } else {
    while (p->pos < p->len && is_digit(p->text[p->pos])) {
      ++p->pos;
    }
  }
  if (p->pos < p->len && p->text[p->pos] == '.') {
    ++p->pos;
    if (p->pos >= p->len || !is_digit(p->text[p->pos])) {
      return fail(p, "invalid number");
    }
    while (p->pos < p->len && is_digit(p->text[p->pos])) {
      ++p->pos;
    }
  }
  if (p->pos < p->len && (p->text[p->pos] == 'e' || p->text[p->pos] == 'E')) {
    ++p->pos;
    if (p->pos < p->len && (p->text[p->pos] == '+' || p->text[p->pos] == '-')) {
      ++p->pos;
    }
    if (p->pos >= p->len || !is_digit(p->text[p->pos])) {
      return fail(p, "invalid number");
    }
    while (p->pos < p->len && is_digit(p->text[p->pos])) {
      ++p->pos;
    }
  }
  v->type = MOCK_JSON_NUMBER;
  v->str = p->text + start;
  v->len = p->pos - start;
  return 1;
}

static int hex4(parser* p, unsigned* out) {
  size_t i;
  unsigned value = 0;
  if (p->len - p->pos < 4) {
    return fail(p, "truncated \\u escape");
  }
  for (i = 0; i < 4; ++i) {
    char c = p->text[p->pos + i];
    value <<= 4;
    if (c >= '0' && c <= '9') {
      value |= (unsigned)(c - '0');
    } else if (c >= 'a' && c <= 'f') {
      value |= (unsigned)(c - 'a' + 10);
    } else if (c >= 'A' && c <= 'F') {
      value |= (unsigned)(c - 'A' + 10);
    } else {
      return fail(p, "invalid \\u escape");
    }
  }
  p->pos += 4;
  *out = value;
  return 1;
}

static size_t put_utf8(char* out, unsigned cp) {
  if (cp < 0x80) {
    out[0] = (char)cp;
    return 1;
  }
  if (cp < 0x800) {
    out[0] = (char)(0xC0 | (cp >> 6));
    out[1] = (char)(0x80 | (cp & 0x3F));
    return 2;
  }
  if (cp < 0x10000) {
    out[0] = (char)(0xE0 | (cp >> 12));
    out[1] = (char)(0x80 | ((cp >> 6) & 0x3F));
    out[2] = (char)(0x80 | (cp & 0x3F));
    return 3;
  }
  out[0] = (char)(0xF0 | (cp >> 18));
  out[1] = (char)(0x80 | ((cp >> 12) & 0x3F));
  out[2] = (char)(0x80 | ((cp >> 6) & 0x3F));
  out[3] = (char)(0x80 | (cp & 0x3F));
  return 4;
}

/* Decodes the string starting at the opening quote. The decoded text is never longer than the
 * source, so the scan measures first and decodes into one allocation. */
static int parse_string(parser* p, const char** out, size_t* out_len) {
  size_t start;
  size_t end;
  char* dst;
  size_t n = 0;
  ++p->pos; /* opening quote */
  start = p->pos;
  end = start;
  while (end < p->len && p->text[end] != '"') {
    if ((unsigned char)p->text[end] < 0x20) {
      p->pos = end;
      return fail(p, "control character in string");
    }
    end += p->text[end] == '\\' ? 2 : 1;
  }
  if (end >= p->len) {
    return fail(p, "unterminated string");
  }
  dst = (char*)arena_alloc(p->doc, end - start + 1);
  if (dst == NULL) {
    return fail(p, "out of memory");
  }
  while (p->pos < end) {
    char c = p->text[p->pos++];
    unsigned cp;
    if (c != '\\') {
      dst[n++] = c;
      continue;
    }
    c = p->text[p->pos++];
    switch (c) {
      case '"': dst[n++] = '"'; break;
      case '\\': dst[n++] = '\\'; break;
      case '/': dst[n++] = '/'; break;
      case 'b': dst[n++] = '\b'; break;
      case 'f': dst[n++] = '\f'; break;
      case 'n': dst[n++] = '\n'; break;
      case 'r': dst[n++] = '\r'; break;
      case 't': dst[n++] = '\t'; break;
      case 'u':
        if (!hex4(p, &cp)) {
          return 0;
        }
        if (cp >= 0xD800 && cp <= 0xDBFF) {
          unsigned low;
          if (end - p->pos >= 6 && p->text[p->pos] == '\\' && p->text[p->pos + 1] == 'u') {
            p->pos += 2;
            if (!hex4(p, &low)) {
              return 0;
            }
            if (low >= 0xDC00 && low <= 0xDFFF) {
              cp = 0x10000 + ((cp - 0xD800) << 10) + (low - 0xDC00);
            } else {
              n += put_utf8(dst + n, 0xFFFD); /* lone high surrogate */
              cp = low >= 0xD800 && low <= 0xDFFF ? 0xFFFD : low;
            }
          } else {
            cp = 0xFFFD;
          }
        } else if (cp >= 0xDC00 && cp <= 0xDFFF) {
          cp = 0xFFFD; /* lone low surrogate */
        }
        n += put_utf8(dst + n, cp);
        break;
      default: --p->pos; return fail(p, "invalid escape in string");
    }
  }
  if (p->pos != end) {
    return fail(p, "invalid escape in string");
  }
  p->pos = end + 1; /* closing quote */
  dst[n] = '\0';
  *out = dst;
  *out_len = n;
  return 1;
}

static int parse_value(parser* p, mock_json* v, int depth);

static mock_json* new_node(parser* p) {
  mock_json* node = (mock_json*)arena_alloc(p->doc, sizeof(mock_json));
  if (node == NULL) {
    fail(p, "out of memory");
    return NULL;
  }
  memset(node, 0, sizeof *node);
  return node;
}

static int parse_container(parser* p, mock_json* v, int depth) {
  int is_object = p->text[p->pos] == '{';
  char close = is_object ? '}' : ']';
  mock_json** tail = &v->child;
  if (depth >= MOCK_JSON_MAX_DEPTH) {
    return fail(p, "nesting too deep");
  }
  v->type = is_object ? MOCK_JSON_OBJECT : MOCK_JSON_ARRAY;
  ++p->pos;
  skip_space(p);
  if (p->pos < p->len && p->text[p->pos] == close) {
    ++p->pos;
    return 1;
  }
  for (;;) {
    mock_json* item = new_node(p);
    if (item == NULL) {
      return 0;
    }
    skip_space(p);
    if (is_object) {
      if (p->pos >= p->len || p->text[p->pos] != '"') {
        return fail(p, "expected a member name");
      }
      if (!parse_string(p, &item->key, &item->key_len)) {
        return 0;
      }
      skip_space(p);
      if (p->pos >= p->len || p->text[p->pos] != ':') {
        return fail(p, "expected ':'");
      }
      ++p->pos;
    }
    if (!parse_value(p, item, depth + 1)) {
      return 0;
    }
    *tail = item;
    tail = &item->next;
    skip_space(p);
    if (p->pos < p->len && p->text[p->pos] == ',') {
      ++p->pos;
      continue;
    }
    if (p->pos < p->len && p->text[p->pos] == close) {
      ++p->pos;
      return 1;
    }
    return fail(p, is_object ? "expected ',' or '}'" : "expected ',' or ']'");
  }
}

static int parse_value(parser* p, mock_json* v, int depth) {
  skip_space(p);
  if (p->pos >= p->len) {
    return fail(p, "unexpected end of input");
  }
  switch (p->text[p->pos]) {
    case '{':
    case '[': return parse_container(p, v, depth);
    case '"': v->type = MOCK_JSON_STRING; return parse_string(p, &v->str, &v->len);
    case 't': v->type = MOCK_JSON_TRUE; return literal(p, "true");
    case 'f': v->type = MOCK_JSON_FALSE; return literal(p, "false");
    case 'n': v->type = MOCK_JSON_NULL; return literal(p, "null");
    default: return parse_number(p, v);
  }
}

int mock_json_parse(mock_json_doc* doc, const char* text, size_t len) {
  parser p;
  mock_json* root;
  memset(doc, 0, sizeof *doc);
  p.doc = doc;
  p.text = text;
  p.len = text == NULL ? 0 : len;
  p.pos = 0;
  root = new_node(&p);
  if (root == NULL || !parse_value(&p, root, 0)) {
    return 0;
  }
  skip_space(&p);
  if (p.pos != p.len) {
    return fail(&p, "unexpected text after the JSON value");
  }
  doc->root = root;
  return 1;
}

void mock_json_free(mock_json_doc* doc) {
  while (doc->blocks != NULL) {
    mock_json_block* next = doc->blocks->next;
    free(doc->blocks);
    doc->blocks = next;
  }
  doc->root = NULL;
}

const mock_json* mock_json_get(const mock_json* object, const char* key) {
  const mock_json* member;
  size_t key_len = strlen(key);
  if (object == NULL || object->type != MOCK_JSON_OBJECT) {
    return NULL;
  }
  for (member = object->child; member != NULL; member = member->next) {
    if (member->key_len == key_len && memcmp(member->key, key, key_len) == 0) {
      return member;
    }
  }
  return NULL;
}

int mock_json_is_string(const mock_json* v, const char* text) {
  size_t n = strlen(text);
  return v != NULL && v->type == MOCK_JSON_STRING && v->len == n && memcmp(v->str, text, n) == 0;
}

void mock_json_write(mock_buf* out, const mock_json* v) {
  const mock_json* item;
  switch (v->type) {
    case MOCK_JSON_NULL: mock_buf_puts(out, "null"); return;
    case MOCK_JSON_FALSE: mock_buf_puts(out, "false"); return;
    case MOCK_JSON_TRUE: mock_buf_puts(out, "true"); return;
    case MOCK_JSON_NUMBER: mock_buf_append(out, v->str, v->len); return;
    case MOCK_JSON_STRING: mock_buf_json_string(out, v->str, v->len); return;
    case MOCK_JSON_ARRAY:
    case MOCK_JSON_OBJECT:
      mock_buf_puts(out, v->type == MOCK_JSON_ARRAY ? "[" : "{");
      for (item = v->child; item != NULL; item = item->next) {
        if (item != v->child) {
          mock_buf_puts(out, ",");
        }
        if (v->type == MOCK_JSON_OBJECT) {
          mock_buf_json_string(out, item->key, item->key_len);
          mock_buf_puts(out, ":");
        }
        mock_json_write(out, item);
      }
      mock_buf_puts(out, v->type == MOCK_JSON_ARRAY ? "]" : "}");
      return;
  }
}
