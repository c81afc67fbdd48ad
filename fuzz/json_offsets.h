/* json_offsets.h -- what tw_json.c's error offsets mean, as a check that
 * needs no other parser (tests/c/test_json.c, fuzz/fuzz_json.c).
 *
 * "not valid JSON at byte N" names the first byte no valid JSON text could
 * have at that place. So the text before it is still a possible start (it
 * parses, or is empty, or is truncated), and the text through it fails at
 * that same byte. "truncated" is reported at the text's length. A message
 * about the nesting limit is not an offset of this kind. */
#ifndef TW_JSON_OFFSETS_H
#define TW_JSON_OFFSETS_H
#include <string.h>
#include "tw_json.h"

/* 1 when err (from parsing body[0..len)) satisfies the above. */
static int json_offset_ok(const char *body, size_t len, const tw_jerr *err) {
  tw_jerr e2;
  tw_jdoc *d;
  size_t off = 0, at;
  int ok;
  if (len >= 3 && memcmp(body, "\xEF\xBB\xBF", 3) == 0) off = 3;  /* offsets skip a BOM */
  if (strstr(err->msg, "nested") || strstr(err->msg, "empty") ||
      strstr(err->msg, "too large") || strstr(err->msg, "out of memory"))
    return 1;
  if (strstr(err->msg, "truncated")) return err->offset == len - off;
  if (!strstr(err->msg, "not valid JSON") || err->offset >= len - off) return 0;
  at = off + err->offset;
  d = tw_jdoc_parse(body, at, NULL, &e2);            /* before it: a possible start */
  ok = d != NULL || strstr(e2.msg, "truncated") != NULL || strstr(e2.msg, "empty") != NULL ||
       strstr(e2.msg, "nested") != NULL;
  tw_jdoc_release(d);
  if (!ok) return 0;
  d = tw_jdoc_parse(body, at + 1, NULL, &e2);        /* through it: fails there */
  ok = d == NULL && strstr(e2.msg, "not valid JSON") != NULL && e2.offset == err->offset;
  tw_jdoc_release(d);
  return ok;
}

#endif
