/* fuzz_json.c -- libFuzzer target for the response parsing of tw_json.c:
 * documents, page shapes, error shapes, field lookup and value decoding.
 * No Lua. Built by fuzz/run with clang -fsanitize=fuzzer,address,undefined
 * against src/tw_*.c. Seeds: fuzz/corpus/json/. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "tw_json.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Decodes every value under tok, the way the Lua binding does. */
static void walk(tw_jdoc *d, int tok, int depth) {
  size_t n;
  const char *raw = tw_json_raw(d, tok, &n);
  long long i;
  double x;
  int c;
  if (depth > TW_JSON_MAX_DEPTH + 1) abort();   /* validation bounds this */
  switch (tw_json_type(d, tok)) {
  case TW_JSTRING: {
    char *buf = malloc(n + 1);
    size_t m;
    if (!buf) return;
    m = tw_json_unescape(raw, n, buf);
    if (m > n) abort();                          /* never outgrows input */
    free(buf);
    break;
  }
  case TW_JNUMBER:
    if (tw_json_number(raw, n, &i, &x) == 0) abort();   /* validated */
    break;
  case TW_JOBJECT:
    for (c = tw_json_next_child(d, tok, -1); c >= 0;
         c = tw_json_next_child(d, tok, c)) {
      const char *k = tw_json_raw(d, c, &n);
      if (tw_json_type(d, c) != TW_JSTRING) abort();
      /* lookup by the raw key text finds a key (maybe an earlier dup) */
      if (!tw_json_has_escape(k, n) && tw_json_find(d, tok, k, n, k) < 0)
        abort();
      walk(d, c + 1, depth + 1);
    }
    break;
  case TW_JARRAY:
    for (c = tw_json_next_child(d, tok, -1); c >= 0;
         c = tw_json_next_child(d, tok, c))
      walk(d, c, depth + 1);
    break;
  default:
    break;
  }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  const char *body = (const char *)data;
  tw_jerr err;
  tw_jdoc *d = tw_jdoc_parse(body, size, &err);
  char msg[256];
  /* the message for a non-JSON error body never overflows */
  tw_json_http_message(msg, sizeof msg, 502, body, size, "text/html",
                       d ? NULL : err.msg);
  if (!d) {
    if (!memchr(err.msg, '\0', sizeof err.msg)) abort();
    return 0;
  }
  {
    int items, next, it;
    tw_jerror_fields f;
    static const char *keys[] = { "sid", "phone_number", "capabilities",
                                  "configuration", "next_page_uri" };
    walk(d, 0, 0);
    if (tw_json_page(d, "incoming_phone_numbers", &items, &next, &err) == 0) {
      for (it = tw_json_next_child(d, items, -1); it >= 0;
           it = tw_json_next_child(d, items, it)) {
        size_t k;
        for (k = 0; k < sizeof keys / sizeof keys[0]; k++)
          (void)tw_json_find(d, it, keys[k], strlen(keys[k]), keys[k]);
      }
    }
    (void)tw_json_error_fields(d, &f);
  }
  tw_jdoc_release(d);
  /* unescape over raw input too (not only jsmn-validated strings) */
  {
    char *buf = malloc(size + 1);
    if (buf) {
      if (tw_json_unescape(body, size, buf) > size) abort();
      free(buf);
    }
  }
  return 0;
}
