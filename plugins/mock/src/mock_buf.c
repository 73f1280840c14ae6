#include "mock_buf.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void mock_buf_init(mock_buf* b) {
  b->data = NULL;
  b->len = 0;
  b->cap = 0;
  b->failed = 0;
}

void mock_buf_free(mock_buf* b) {
  free(b->data);
  mock_buf_init(b);
}

static int mock_buf_reserve(mock_buf* b, size_t extra) {
  size_t need;
  size_t cap;
  char* grown;
  if (b->failed) {
    return 0;
  }
  if (extra > (size_t)-1 - b->len - 1) {
    b->failed = 1;
    return 0;
  }
  need = b->len + extra + 1; /* keep room for a terminating NUL */
  if (need <= b->cap) {
    return 1;
  }
  cap = b->cap ? b->cap : 64;
  while (cap < need) {
    cap = cap > ((size_t)-1) / 2 ? need : cap * 2;
  }
  grown = (char*)realloc(b->data, cap);
  if (grown == NULL) {
    b->failed = 1;
    return 0;
  }
  b->data = grown;
  b->cap = cap;
  return 1;
}

void mock_buf_append(mock_buf* b, const char* data, size_t len) {
  if (len == 0 || !mock_buf_reserve(b, len)) {
    return;
  }
  memcpy(b->data + b->len, data, len);
  b->len += len;
  b->data[b->len] = '\0';
}

void mock_buf_puts(mock_buf* b, const char* text) { mock_buf_append(b, text, strlen(text)); }

void mock_buf_int(mock_buf* b, int64_t value) {
  char digits[32];
  int n = snprintf(digits, sizeof digits, "%lld", (long long)value);
  if (n > 0) {
    mock_buf_append(b, digits, (size_t)n);
  }
}

void mock_buf_json_string(mock_buf* b, const char* text, size_t len) {
  static const char hex[] = "0123456789abcdef";
  size_t i;
  size_t run = 0; /* start of the pending run of bytes that need no escape */
  mock_buf_append(b, "\"", 1);
  for (i = 0; i < len; ++i) {
    unsigned char c = (unsigned char)text[i];
    const char* escape = NULL;
    char unicode[6];
    if (c == '"') {
      escape = "\\\"";
    } else if (c == '\\') {
      escape = "\\\\";
    } else if (c == '\n') {
      escape = "\\n";
    } else if (c == '\r') {
      escape = "\\r";
    } else if (c == '\t') {
      escape = "\\t";
    } else if (c < 0x20) {
      unicode[0] = '\\';
      unicode[1] = 'u';
      unicode[2] = '0';
      unicode[3] = '0';
      unicode[4] = hex[c >> 4];
      unicode[5] = hex[c & 15];
    } else {
      continue;
    }
    mock_buf_append(b, text + run, i - run);
    if (escape != NULL) {
      mock_buf_puts(b, escape);
    } else {
      mock_buf_append(b, unicode, sizeof unicode);
    }
    run = i + 1;
  }
  mock_buf_append(b, text + run, len - run);
  mock_buf_append(b, "\"", 1);
}
