/* fuzz_json.c -- libFuzzer target for the response parsing of tw_json.c:
 * documents, page shapes, error shapes, key indexes, field lookup and value
 * decoding; a differential check against the former pipeline (jsmn +
 * grammar walk, fuzz/json_oracle.h): the scanner must accept exactly what
 * it accepted; and each error offset must be the first wrong byte
 * (fuzz/json_offsets.h).
 * No Lua. Built by fuzz/run with clang -fsanitize=fuzzer,address,undefined
 * against src/tw_*.c. Seeds: fuzz/corpus/json/. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "tw_json.h"
#include "json_oracle.h"
#include "json_offsets.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Decodes every value under v, the way the Lua binding does; returns the
 * end of v, which must be tw_json_end's. */
static int walk(tw_jdoc *d, int v, int depth) {
  size_t n;
  const char *raw;
  long long i;
  double x;
  int pos, key, val, end = tw_json_end(d, v);
  if (depth > TW_JSON_MAX_DEPTH + 1) abort();   /* validation bounds this */
  switch (tw_json_type(d, v)) {
  case TW_JSTRING: {
    int esc;
    char *buf;
    size_t m;
    raw = tw_json_string(d, v, &n, &esc);
    if ((int)n + 2 + v != end) abort();
    if (esc != tw_json_has_escape(raw, n)) abort();
    buf = malloc(n + 1);
    if (!buf) return end;
    m = tw_json_unescape(raw, n, buf);
    if (m > n) abort();                          /* never outgrows input */
    free(buf);
    break;
  }
  case TW_JNUMBER:
    raw = tw_json_raw(d, v, &n);
    if (tw_json_number(raw, n, &i, &x) == 0) abort();   /* validated */
    break;
  case TW_JOBJECT: {
    tw_jobj o = tw_json_obj(d, v);
    if (o.end != end) abort();
    pos = tw_json_first(d, v);
    while (tw_json_next(d, v, &pos, &key, &val)) {
      const char *k = tw_json_raw(d, key, &n);
      if (tw_json_type(d, key) != TW_JSTRING) abort();
      /* lookups by the raw key text find the first occurrence */
      if (!tw_json_has_escape(k, n)) {
        int f = tw_json_find(d, v, k, n);
        int l = tw_json_lookup(d, &o, k, n, NULL);
        if (f < 0 || l != f) abort();
        if (f == val && tw_json_lookup(d, &o, k, n, k) != val) abort();
      }
      pos = walk(d, val, depth + 1);
    }
    if (pos != end) abort();
    break;
  }
  case TW_JARRAY:
    pos = tw_json_first(d, v);
    while (tw_json_next(d, v, &pos, &key, &val)) {
      if (key != -1) abort();
      pos = walk(d, val, depth + 1);
    }
    if (pos != end) abort();
    break;
  default:
    break;
  }
  return end;
}

/* An object's key index, as the scan made it: narrow (16-bit offsets) with
 * one entry per member exactly when every member's value starts within
 * 0xFFFF bytes of the object (inputs here are shorter: always). */
static void check_index(tw_jdoc *d, const tw_jobj *o) {
  int pos, key, val, count = 0, far = 0;
  if (tw_json_type(d, o->start) != TW_JOBJECT) return;
  pos = tw_json_first(d, o->start);
  while (tw_json_next(d, o->start, &pos, &key, &val)) {
    if (val - o->start > 0xFFFF) far = 1;
    count++;
    pos = tw_json_end(d, val);
  }
  if (far ? o->state != TW_JOBJ_NONE
          : o->state != TW_JOBJ_NARROW || o->n != (unsigned)count)
    abort();
}

/* The items the scan recorded agree with a walk of the items array, and
 * their key indexes with tw_json_find. */
static void check_page(tw_jdoc *d, const char *key) {
  const tw_jobj *items;
  int n, next, i;
  tw_jerr err;
  static const char *keys[] = { "sid", "phone_number", "capabilities",
                                "configuration", "next_page_uri", "" };
  if (tw_json_page(d, key, &items, &n, &next, &err) != 0) {
    if (!memchr(err.msg, '\0', sizeof err.msg)) abort();
    return;
  }
  {
    int arr = tw_json_find(d, tw_jdoc_root(d), key, strlen(key));
    int pos = tw_json_first(d, arr), k, val;
    i = 0;
    while (tw_json_next(d, arr, &pos, &k, &val)) {
      if (i >= n || items[i].start != val) abort();
      pos = tw_json_end(d, val);
      if (items[i].end != pos) abort();
      i++;
    }
    if (i != n) abort();
  }
  if (next >= 0 && tw_json_type(d, next) != TW_JSTRING) abort();
  {
    /* the next_page_uri the scan recorded is the first one, found the
     * slow way (a non-empty string, else none) */
    int nv = tw_json_find(d, tw_jdoc_root(d), "next_page_uri", 13);
    if (nv >= 0 && (tw_json_type(d, nv) != TW_JSTRING ||
                    tw_jdoc_text(d, NULL)[nv + 1] == '"'))
      nv = -1;
    if (next != nv) abort();
  }
  for (i = 0; i < n; i++) {
    tw_jobj o = items[i];
    size_t k;
    check_index(d, &o);
    for (k = 0; k < sizeof keys / sizeof keys[0]; k++) {
      size_t kl = strlen(keys[k]);
      int want = tw_json_find(d, o.start, keys[k], kl);
      if (tw_json_lookup(d, &o, keys[k], kl, NULL) != want) abort();
      if (tw_json_lookup(d, &o, keys[k], kl, keys[k]) < -1) abort();
    }
  }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  const char *body = (const char *)data;
  tw_jerr err, oerr;
  tw_jdoc *d = tw_jdoc_parse(body, size, "incoming_phone_numbers", &err);
  int ok = oracle_parse(body, size, &oerr);
  char msg[256];
  /* differential: the same verdict; offsets of our own */
  if (ok != (d != NULL)) abort();
  if (!d && !json_offset_ok(body, size, &err)) abort();
  /* borrowed (tw_jdoc_borrow, as the Lua binding parses): from a buffer of
   * exactly size + 1 bytes, so ASan sees any read past the NUL; same
   * verdict, message and offset, and the same page */
  {
    char *own = malloc(size + 1);
    tw_jerr berr;
    tw_jdoc *b;
    if (!own) return 0;
    memcpy(own, body, size);
    own[size] = '\0';
    b = tw_jdoc_borrow(own, size, "incoming_phone_numbers", &berr);
    if ((b != NULL) != (d != NULL)) abort();
    if (!b && (strcmp(berr.msg, err.msg) != 0 || berr.offset != err.offset))
      abort();
    if (b) {
      walk(b, tw_jdoc_root(b), 0);
      check_page(b, "incoming_phone_numbers");
      check_page(b, "countries");
    }
    tw_jdoc_release(b);
    free(own);
  }
  /* the message for a non-JSON error body never overflows */
  tw_json_http_message(msg, sizeof msg, 502, body, size, "text/html",
                       d ? NULL : err.msg);
  if (!d) {
    if (!memchr(err.msg, '\0', sizeof err.msg)) abort();
    return 0;
  }
  {
    tw_jerror_fields f;
    const tw_jobj *root;
    tw_jdoc *r;
    walk(d, tw_jdoc_root(d), 0);
    check_page(d, "incoming_phone_numbers");   /* recorded by the scan */
    check_page(d, "countries");                /* found afterwards */
    (void)tw_json_error_fields(d, &f);
    /* the same body as a single record (borrowed from an exact-size
     * buffer): its root key index */
    char *own = malloc(size + 1);
    if (!own) abort();
    memcpy(own, body, size);
    own[size] = '\0';
    r = tw_jdoc_borrow(own, size, NULL, &err);
    if (!r) abort();
    root = tw_jdoc_root_obj(r);
    if (root->start != tw_jdoc_root(r) ||
        root->end != tw_json_end(r, tw_jdoc_root(r)))
      abort();
    check_index(r, root);
    if (tw_json_type(r, root->start) == TW_JOBJECT) {
      tw_jobj o = *root;
      int pos = tw_json_first(r, o.start), key, val;
      while (tw_json_next(r, o.start, &pos, &key, &val)) {
        size_t n;
        const char *k = tw_json_raw(r, key, &n);
        if (!tw_json_has_escape(k, n) &&
            tw_json_lookup(r, &o, k, n, NULL) !=
              tw_json_find(r, o.start, k, n))
          abort();
        pos = tw_json_end(r, val);
      }
    }
    tw_jdoc_release(r);
    free(own);
  }
  tw_jdoc_release(d);
  /* unescape over raw input too (not only validated strings) */
  {
    char *buf = malloc(size + 1);
    if (buf) {
      if (tw_json_unescape(body, size, buf) > size) abort();
      free(buf);
    }
  }
  return 0;
}
