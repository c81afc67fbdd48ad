/* fuzz_time.c -- libFuzzer target for src/tw_time.c.
 * Feeds the input to the RFC 2822, HTTP-date and Retry-After parsers and
 * checks the invariants: results stay in range, parsers agree where their
 * grammars overlap, and nothing reads outside the input (ASan). */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "tw_time.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* 1900-01-01 minus the largest zone offset .. 9999-12-31 plus it. */
#define LO (INT64_C(-2208988800) - 100 * 3600)
#define HI (INT64_C(253402300799) + 100 * 3600)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  const char *s = (const char *)data;
  int64_t v, w, now;
  uint64_t bits = 0;
  size_t i;
  if (tw_rfc2822_to_epoch(s, size, &v) == 0) {
    if (v < LO || v > HI) abort();
  }
  for (i = 0; i < 8 && i < size; i++) bits = (bits << 8) | data[i];  /* any now */
  memcpy(&now, &bits, sizeof now);
  if (tw_http_date_to_epoch(s, size, now, &w) == 0) {
    if (w < INT64_C(-2208988800) || w > INT64_C(253402300800)) abort();
    /* an IMF-fixdate is also an RFC 2822 date-time with zone GMT */
    if (size == 29 && s[3] == ',' && (tw_rfc2822_to_epoch(s, size, &v) != 0 || v != w)) abort();
  }
  if (tw_retry_after(s, size, now, &v) == 0) {
    if (v < 0 || v > TW_RETRY_AFTER_MAX) abort();
  }
  if (tw_retry_after(s, size, INT64_MIN, &v) == 0 && (v < 0 || v > TW_RETRY_AFTER_MAX)) abort();
  if (tw_retry_after(s, size, INT64_MAX, &v) == 0 && (v < 0 || v > TW_RETRY_AFTER_MAX)) abort();
  return 0;
}
