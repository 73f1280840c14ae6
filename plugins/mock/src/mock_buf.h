/* A growable byte buffer for building JSON text. An allocation failure sets `failed` and makes
 * every later append a no-op, so callers check once at the end. */
#ifndef LLMP_MOCK_BUF_H
#define LLMP_MOCK_BUF_H

#include <stddef.h>
#include <stdint.h>

typedef struct mock_buf {
  char* data;
  size_t len;
  size_t cap;
  int failed;
} mock_buf;

void mock_buf_init(mock_buf* b);
void mock_buf_free(mock_buf* b);
void mock_buf_append(mock_buf* b, const char* data, size_t len);
void mock_buf_puts(mock_buf* b, const char* text);
void mock_buf_int(mock_buf* b, int64_t value);
/* Appends `text` as a JSON string literal, quotes included. */
void mock_buf_json_string(mock_buf* b, const char* text, size_t len);

#endif
