/* test_json.c -- the JSON document core (tw_json.c): validation (accept and
 * reject exactly as the former jsmn + grammar-walk pipeline,
 * fuzz/json_oracle.h; error offsets of our own, fuzz/json_offsets.h), key
 * lookup and indexes, unescaping, numbers, page and error shapes, large
 * pages. */
#include <stdlib.h>
#include <string.h>
#include "tap.h"
#include "tw_json.h"
#include "../../fuzz/json_oracle.h"
#include "../../fuzz/json_offsets.h"

static tw_jdoc *parse(const char *s, tw_jerr *e) {
  return tw_jdoc_parse(s, strlen(s), NULL, e);
}

/* The value of key in the root object (through its key index). */
static int root_get(tw_jdoc *d, const char *key) {
  tw_jobj o = *tw_jdoc_root_obj(d);
  return tw_json_lookup(d, &o, key, strlen(key), NULL);
}

static int invalid(const char *s) {
  tw_jerr e;
  tw_jdoc *d = parse(s, &e);
  if (d) { tw_jdoc_release(d); return 0; }
  return 1;
}

/* Unescapes a C string literal body; returns a static buffer. */
static const char *unesc(const char *s, size_t *n) {
  static char out[256];
  *n = tw_json_unescape(s, strlen(s), out);
  out[*n] = '\0';
  return out;
}

static void test_valid_and_invalid(void) {
  static const char *good[] = {
    "{}", "[]", " {\"a\":1} ", "{\"a\":[1,2,{\"b\":null}],\"c\":\"x\"}",
    "[true,false,null,-0,0.5,1e10,-1.25E-3,\"\"]", "\"just a string\"",
    "\xEF\xBB\xBF{\"bom\":true}", "{\"a\":\"\\u00e9\\n\\\"\"}",
  };
  static const char *bad[] = {
    "", "   ", "{", "}", "[", "{\"a\":1,}", "[1,]", "[1 2]", "[,1]",
    "{\"a\" 1}", "{\"a\"}", "{\"a\":}", "{1:2}", "{\"a\":1 \"b\":2}",
    "{\"a\"::1}", "{\"a\":1:2}", "[tru]", "[nul]", "[01]", "[1.]", "[.5]",
    "[-]", "[1e]", "[+1]", "{} {}", "{}x", "{\"a\":\"\\x\"}",
    "{\"a\":\"\\u12\"}", "{\"a\":\"unterminated}", "[1,2", "{\"a\":[}",
    "[}", "{]", "nope", "{'a':1}",
  };
  size_t i;
  for (i = 0; i < sizeof good / sizeof good[0]; i++) {
    tw_jerr e;
    tw_jdoc *d = parse(good[i], &e);
    CHECK(d != NULL, good[i]);
    tw_jdoc_release(d);
  }
  for (i = 0; i < sizeof bad / sizeof bad[0]; i++) {
    char name[80];
    snprintf(name, sizeof name, "invalid: %s", bad[i]);
    CHECK(invalid(bad[i]), name);
  }
  {
    /* a NUL byte inside the body is not JSON (jsmn would stop there) */
    tw_jerr e;
    tw_jdoc *d = tw_jdoc_parse("{}\0{}", 5, NULL, &e);
    CHECK(d == NULL, "embedded NUL rejected");
  }
  {
    tw_jerr e;
    tw_jdoc *d = parse("{\"a\": 1,\n \"b\": x}", &e);
    CHECK(d == NULL, "error reported");
    CHECK_STR(e.msg, "response is not valid JSON at byte 16", "error message gives the byte");
    {
      /* our own offsets: the first byte that cannot be there (1-based) */
      static const struct { const char *s, *msg; } own[] = {
        { "[tru]", "response is not valid JSON at byte 5" },        /* ']' where 'e' must be */
        { "not json", "response is not valid JSON at byte 2" },     /* 'o' after 'n' */
        { "{\"a\":1:2}", "response is not valid JSON at byte 7" },  /* the second ':' */
        { "[01]", "response is not valid JSON at byte 3" },         /* a digit after a leading 0 */
        { "{\"k\":0.0e}", "response is not valid JSON at byte 10" }, /* '}' where the exponent goes */
        { "[\"\\q\"]", "response is not valid JSON at byte 4" },   /* the bad escape letter */
        { "{\"a\":{}:1}", "response is not valid JSON at byte 8" },
        { "[truex]", "response is not valid JSON at byte 6" },
        { "[\"abc", "response is truncated JSON (unexpected end at byte 6)" },
        { "true", "response is truncated JSON (unexpected end at byte 5)" },
      };
      size_t k;
      for (k = 0; k < sizeof own / sizeof own[0]; k++) {
        char name[120];
        d = parse(own[k].s, &e);
        snprintf(name, sizeof name, "offset of our own: %s", own[k].s);
        CHECK_STR(d ? "(accepted)" : e.msg, own[k].msg, name);
        tw_jdoc_release(d);
      }
    }
    d = parse("{\"a\": [1, 2", &e);
    CHECK(d == NULL && strstr(e.msg, "truncated") != NULL, "truncated says so");
    d = parse("", &e);
    CHECK(d == NULL && strcmp(e.msg, "response body is empty") == 0, "empty says so");
  }
  {
    /* nesting limit */
    char *deep = malloc(2 * TW_JSON_MAX_DEPTH + 10);
    tw_jerr e;
    tw_jdoc *d;
    int i2;
    for (i2 = 0; i2 < TW_JSON_MAX_DEPTH + 1; i2++) deep[i2] = '[';
    for (i2 = 0; i2 < TW_JSON_MAX_DEPTH + 1; i2++)
      deep[TW_JSON_MAX_DEPTH + 1 + i2] = ']';
    deep[2 * TW_JSON_MAX_DEPTH + 2] = '\0';
    d = parse(deep, &e);
    CHECK(d == NULL && strstr(e.msg, "nested") != NULL, "too deep rejected");
    for (i2 = 0; i2 < TW_JSON_MAX_DEPTH; i2++) deep[i2] = '[';   /* exactly the limit */
    for (i2 = 0; i2 < TW_JSON_MAX_DEPTH; i2++) deep[TW_JSON_MAX_DEPTH + i2] = ']';
    deep[2 * TW_JSON_MAX_DEPTH] = '\0';
    d = parse(deep, &e);
    CHECK(d != NULL, "nesting at the limit accepted");
    tw_jdoc_release(d);
    free(deep);
  }
}

static void test_lookup(void) {
  const char *s =
    "{\"sid\":\"PN1\",\"capabilities\":{\"sms\":true,\"sid\":\"inner\"},"
    "\"n\":42,\"f\":-1.5e2,\"nil\":null,\"e\":\"\",\"arr\":[1,[2,3],{\"x\":1}],"
    "\"k\\u0065y\":\"escaped key\",\"last\":false}";
  tw_jerr e;
  tw_jdoc *d = parse(s, &e);
  int v, c, count = 0, pos, key, val, root;
  size_t n;
  long long i;
  double x;
  CHECK(d != NULL, "lookup doc parses");
  if (!d) return;
  root = tw_jdoc_root(d);
  v = root_get(d, "sid");
  CHECK(tw_json_type(d, v) == TW_JSTRING, "sid is a string");
  CHECK(strncmp(tw_json_raw(d, v, &n), "PN1", 3) == 0 && n == 3, "sid text");
  CHECK(tw_json_find(d, root, "sid", 3) == v, "find agrees with the index");
  v = root_get(d, "capabilities");
  CHECK(tw_json_type(d, v) == TW_JOBJECT && tw_json_size(d, v) == 2,
        "capabilities object with 2 keys");
  c = tw_json_find(d, v, "sid", 3);
  CHECK(strncmp(tw_json_raw(d, c, &n), "inner", 5) == 0, "nested lookup stays inside");
  {
    tw_jobj o = tw_json_obj(d, v);
    CHECK(tw_json_lookup(d, &o, "sid", 3, NULL) == c && o.state == TW_JOBJ_WIDE,
          "a nested object gets its index on first lookup");
  }
  CHECK(tw_json_type(d, tw_json_find(d, v, "sms", 3)) == TW_JTRUE, "true");
  CHECK(tw_json_type(d, root_get(d, "last")) == TW_JFALSE, "false after nesting");
  CHECK(tw_json_type(d, root_get(d, "nil")) == TW_JNULL, "null");
  CHECK(root_get(d, "missing") == -1, "missing key");
  CHECK(root_get(d, "x") == -1, "grandchild key is not a child");
  CHECK(root_get(d, "si") == -1, "prefix is not a match");
  CHECK(root_get(d, "sidx") == -1, "longer key is not a match");
  v = root_get(d, "key");
  CHECK(v >= 0 && strncmp(tw_json_raw(d, v, &n), "escaped key", 11) == 0,
        "escaped key matches its unescaped name");
  CHECK(tw_json_find(d, root, "key", 3) == v, "find unescapes keys too");
  {
    const char *raw;
    v = root_get(d, "n");
    raw = tw_json_raw(d, v, &n);
    CHECK(tw_json_number(raw, n, &i, &x) == 1 && i == 42, "integer");
    v = root_get(d, "f");
    raw = tw_json_raw(d, v, &n);
    CHECK(tw_json_number(raw, n, &i, &x) == 2 && x == -150.0, "float");
  }
  v = root_get(d, "arr");
  pos = tw_json_first(d, v);
  while (tw_json_next(d, v, &pos, &key, &val)) {
    count++;
    pos = tw_json_end(d, val);
  }
  CHECK(count == 3 && key == -1, "array children skip nested subtrees");
  count = 0;
  pos = tw_json_first(d, root);
  while (tw_json_next(d, root, &pos, &key, &val)) {
    count++;
    pos = tw_json_end(d, val);
  }
  CHECK(count == tw_json_size(d, root) && count == 9, "object children are its keys");
  CHECK(pos == tw_json_end(d, root), "iteration ends past the object");
  /* the hint: same pointer, right answers even when the layout differs */
  {
    static const char k4[] = "last";
    tw_jobj o = *tw_jdoc_root_obj(d);
    tw_jobj cap = tw_json_obj(d, root_get(d, "capabilities"));
    int a = tw_json_lookup(d, &o, k4, 4, k4);
    int b = tw_json_lookup(d, &o, k4, 4, k4);
    int m = tw_json_lookup(d, &cap, k4, 4, k4);    /* other object, no key */
    CHECK(a == b && a >= 0, "hinted lookup repeats");
    CHECK(m == -1, "hint never answers for another object");
  }
  tw_jdoc_release(d);
}

/* Whitespace, escapes, raw bytes: the index and iteration agree. */
static void test_index_shapes(void) {
  const char *s = " \r\n{ \"a\" : 1 ,\t\"b\\\"q\":[ ] , \"c\":{\"a\":2}, "
                  "\"\":\"empty key\", \"d\":\"x\\\\\", \"a\":3 } ";
  tw_jerr e;
  tw_jdoc *d = parse(s, &e);
  size_t n;
  CHECK(d != NULL, "spaced doc parses");
  if (!d) return;
  CHECK(strncmp(tw_json_raw(d, root_get(d, "a"), &n), "1", 1) == 0 && n == 1,
        "first duplicate wins; primitive ends before the space");
  CHECK(tw_json_type(d, root_get(d, "b\"q")) == TW_JARRAY, "key with an escaped quote");
  CHECK(tw_json_type(d, root_get(d, "")) == TW_JSTRING, "empty key");
  CHECK(tw_json_type(d, root_get(d, "b\\")) == TW_JNONE, "no false match on a backslash");
  {
    int esc;
    const char *raw = tw_json_string(d, root_get(d, "d"), &n, &esc);
    CHECK(n == 3 && esc && memcmp(raw, "x\\\\", 3) == 0, "string ending in an escaped backslash");
  }
  {
    size_t len;
    const char *t = tw_jdoc_text(d, &len);
    const tw_jobj *r = tw_jdoc_root_obj(d);
    CHECK(t[r->start] == '{' && t[r->end - 1] == '}', "root span excludes whitespace");
  }
  tw_jdoc_release(d);
}

/* Accept/reject must be the former pipeline's; each error offset must be
 * the first wrong byte (json_offset_ok). */
static void test_differential(void) {
  static const char *cases[] = {
    "{}", "[]", " {\"a\":1} ", "1", "1 ", "-0 ", "true", "true ", "null\n",
    "\"s\"", "\"s", "\"\\", "\"\\u12", "\"\\u12\"", "\"\\uZZZZ\"", "\"\\q\"",
    "[1 2]", "[1,]", "[,1]", "[1}", "{]", "[}", "}", "]", "{", "[", ",",
    ":", "{\"a\":1,}", "{\"a\" 1}", "{\"a\"}", "{\"a\":}", "{1:2}",
    "{\"a\"::1}", "{\"a\":1:2}", "{\"a\":1 \"b\":2}", "[tru]", "[nul]",
    "[01]", "[1.]", "[.5]", "[-]", "[1e]", "[+1]", "{} {}", "{}x", "{}]",
    "[]]", "[[]]]", "{\"a\":{}:1}", "[1:2]", "[\"a\":1]", "[1\"a\"]",
    "[1x]", "[truex]", "[true,false,null,-0,0.5,1e10,-1.25E-3,\"\"]",
    "not json", "<html>", "{\"a\": [1, 2,]}", "{\"a\": 1,\n \"b\": x}",
    "{\"a\": [1, 2", "[\"\x01\x1f raw\"]", "[\"\xff\xfe\"]", "[\x01]",
    "{\"a\":\"b\",}", "{,}", "[[[", "]]]", "{\"a\":[}", "{\"a\"\"b\"}",
    "\xEF\xBB\xBF{}", "\xEF\xBB\xBF", "  ", "\xEF\xBB\xBF  x",
    "[1,2,3]\t\r\n", "[1]\x7f", "{\"k\":1e+5}", "{\"k\":1E-0}",
    "{\"k\":-01}", "{\"k\":0.0e}", "[\"a\\/b\\b\\f\\n\\r\\t\\\"\\\\\"]",
    "{\"incoming_phone_numbers\":[{},[],1]}", "[{\"a\":[{\"b\":[]}]}]",
    "{\"a\":\"\\u00e9\"} x", "[1]:", "[1],", "{\"a\":1}}",
  };
  size_t i;
  int same = 1;
  for (i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    tw_jerr e1, e2;
    tw_jdoc *d = tw_jdoc_parse(cases[i], strlen(cases[i]), "incoming_phone_numbers", &e1);
    int ok = oracle_parse(cases[i], strlen(cases[i]), &e2);
    if (ok != (d != NULL) || (!d && !json_offset_ok(cases[i], strlen(cases[i]), &e1))) {
      printf("# differs on %s: new %s / old %s\n", cases[i],
             d ? "ok" : e1.msg, ok ? "ok" : e2.msg);
      same = 0;
    }
    tw_jdoc_release(d);
  }
  CHECK(same, "accepts what jsmn + validate accepted on the case list; offsets are first wrong bytes");
  {
    /* embedded NULs and deep nesting, both ways */
    static const struct { const char *s; size_t n; } bin[] = {
      { "{}\0{}", 5 }, { "[\"a\0b\"]", 7 }, { "[1\0]", 4 }, { "[\0]", 3 },
      { "\0", 1 }, { "[\"\\\0\"]", 6 }, { "[1,\0", 4 }, { "{\"a\0\":1}", 8 },
    };
    same = 1;
    for (i = 0; i < sizeof bin / sizeof bin[0]; i++) {
      tw_jerr e1, e2;
      tw_jdoc *d = tw_jdoc_parse(bin[i].s, bin[i].n, NULL, &e1);
      int ok = oracle_parse(bin[i].s, bin[i].n, &e2);
      if (ok != (d != NULL) || (!d && !json_offset_ok(bin[i].s, bin[i].n, &e1))) {
        printf("# differs on binary case %zu: %s / %s\n", i, d ? "ok" : e1.msg,
               ok ? "ok" : e2.msg);
        same = 0;
      }
      tw_jdoc_release(d);
    }
    CHECK(same, "agrees on embedded NUL bytes");
  }
  {
    /* nesting: at and over the limit, with errors after it */
    static const char *tails[] = { "", "x", "]", "}", "1" };
    size_t t;
    same = 1;
    for (t = 0; t < sizeof tails / sizeof tails[0]; t++) {
      int depth;
      for (depth = TW_JSON_MAX_DEPTH - 1; depth <= TW_JSON_MAX_DEPTH + 2; depth++) {
        size_t len = 0;
        char *b = malloc(2 * (size_t)depth + 8);
        tw_jerr e1, e2;
        tw_jdoc *d;
        int ok, k;
        for (k = 0; k < depth; k++) b[len++] = k % 2 ? '[' : '[';
        memcpy(b + len, tails[t], strlen(tails[t]));
        len += strlen(tails[t]);
        for (k = 0; k < depth; k++) b[len++] = ']';
        d = tw_jdoc_parse(b, len, NULL, &e1);
        ok = oracle_parse(b, len, &e2);
        if (ok != (d != NULL) || (!d && !json_offset_ok(b, len, &e1))) {
          printf("# differs at depth %d tail '%s': %s / %s\n", depth, tails[t],
                 d ? "ok" : e1.msg, ok ? "ok" : e2.msg);
          same = 0;
        }
        tw_jdoc_release(d);
        free(b);
      }
    }
    CHECK(same, "agrees around the nesting limit");
  }
}

static void test_unescape(void) {
  size_t n;
  CHECK_STR(unesc("plain", &n), "plain", "plain");
  CHECK_STR(unesc("a\\\"b\\\\c\\/d\\b\\f\\n\\r\\t", &n), "a\"b\\c/d\b\f\n\r\t", "simple escapes");
  CHECK_STR(unesc("caf\\u00e9", &n), "caf\xC3\xA9", "2-byte UTF-8");
  CHECK_STR(unesc("\\u20AC", &n), "\xE2\x82\xAC", "3-byte UTF-8");
  CHECK_STR(unesc("\\ud83d\\ude00", &n), "\xF0\x9F\x98\x80", "surrogate pair");
  CHECK_STR(unesc("\\ud83dx", &n), "\xEF\xBF\xBDx", "lone high surrogate -> U+FFFD");
  CHECK_STR(unesc("\\ude00", &n), "\xEF\xBF\xBD", "lone low surrogate -> U+FFFD");
  CHECK_STR(unesc("\\ud83d\\u0041", &n), "\xEF\xBF\xBD" "A", "high + non-low");
  CHECK_STR(unesc("\\uZZZZ", &n), "\xEF\xBF\xBD", "bad hex -> U+FFFD");
  CHECK_STR(unesc("ab\\u12", &n), "ab\xEF\xBF\xBD", "truncated \\u -> U+FFFD");
  CHECK_STR(unesc("ab\\u", &n), "ab?", "bare \\u at the end");
  CHECK_STR(unesc("ab\\", &n), "ab\\", "lone backslash at the end");
  unesc("\\u0000x", &n);
  CHECK(n == 2, "\\u0000 keeps a NUL byte");
  CHECK(tw_json_has_escape("a\\n", 3) && !tw_json_has_escape("an", 2), "has_escape");
}

static void test_numbers(void) {
  long long i;
  double x;
  CHECK(tw_json_number("0", 1, &i, &x) == 1 && i == 0, "0");
  CHECK(tw_json_number("-7", 2, &i, &x) == 1 && i == -7, "-7");
  CHECK(tw_json_number("9223372036854775807", 19, &i, &x) == 1 &&
        i == 9223372036854775807LL, "INT64_MAX");
  CHECK(tw_json_number("-9223372036854775808", 20, &i, &x) == 1 &&
        i == (-9223372036854775807LL - 1), "INT64_MIN");
  CHECK(tw_json_number("9223372036854775808", 19, &i, &x) == 2 &&
        x > 9.2e18, "overflow -> double");
  CHECK(tw_json_number("1.5", 3, &i, &x) == 2 && x == 1.5, "1.5");
  CHECK(tw_json_number("2e3", 3, &i, &x) == 2 && x == 2000.0, "2e3");
  CHECK(tw_json_number("1.", 2, &i, &x) == 0, "1. invalid");
  CHECK(tw_json_number("", 0, &i, &x) == 0, "empty invalid");
  CHECK(tw_json_number("19.720000", 9, &i, &x) == 2 && x > 19.71 && x < 19.73, "lat");
}

static void test_page_shapes(void) {
  tw_jerr e;
  int n, next;
  const tw_jobj *items;
  const char *body = "{\"things\":[{\"a\":1},{}],\"next_page_uri\":\"/p?Page=1\"}";
  tw_jdoc *d = tw_jdoc_parse(body, strlen(body), "things", &e);
  CHECK(tw_json_page(d, "things", &items, &n, &next, &e) == 0, "page ok");
  CHECK(n == 2 && next >= 0, "page items and next");
  CHECK(items[0].state == TW_JOBJ_NARROW && items[0].n == 1 && items[1].n == 0,
        "the scan indexed the items");
  CHECK(tw_json_page(d, "other", &items, &n, &next, &e) == -1 &&
        strcmp(e.msg, "page has no 'other' array") == 0, "no items array");
  CHECK(tw_json_page(d, "things", &items, &n, &next, &e) == 0 && n == 2 &&
        next >= 0, "found again after another key");
  tw_jdoc_release(d);
  d = parse(body, &e);                    /* not recorded by the scan */
  CHECK(tw_json_page(d, "things", &items, &n, &next, &e) == 0 && n == 2 &&
        items[0].state == TW_JOBJ_NONE, "page found without a recorded key");
  {
    tw_jobj o = items[0];
    int v = tw_json_lookup(d, &o, "a", 1, NULL);
    CHECK(tw_json_type(d, v) == TW_JNUMBER && o.state == TW_JOBJ_WIDE,
          "item indexed on first lookup");
  }
  tw_jdoc_release(d);
  d = parse("{\"things\":[{},3],\"next_page_uri\":null}", &e);
  CHECK(tw_json_page(d, "things", &items, &n, &next, &e) == -1 &&
        strstr(e.msg, "item 2 of 'things' is not an object") != NULL &&
        e.offset == 14, "non-object item");
  tw_jdoc_release(d);
  d = parse("{\"things\":[],\"next_page_uri\":\"\"}", &e);
  CHECK(tw_json_page(d, "things", &items, &n, &next, &e) == 0 && next == -1 &&
        n == 0, "empty next_page_uri is none");
  tw_jdoc_release(d);
  d = parse("{\"things\":{}}", &e);
  CHECK(tw_json_page(d, "things", &items, &n, &next, &e) == -1 &&
        strstr(e.msg, "(wrong type)") != NULL, "items not an array");
  tw_jdoc_release(d);
  d = parse("[{}]", &e);
  CHECK(tw_json_page(d, "things", &items, &n, &next, &e) == -1 &&
        strstr(e.msg, "not a JSON object") != NULL, "array body");
  tw_jdoc_release(d);
  body = "{\"th\\u0069ngs\":[{\"a\":1}],\"things\":[],\"next_page_uri\":\"x\","
         "\"next_page_uri\":\"y\"}";
  d = tw_jdoc_parse(body, strlen(body), "things", &e);
  CHECK(tw_json_page(d, "things", &items, &n, &next, &e) == 0 && n == 1,
        "escaped items key, first occurrence wins");
  CHECK(next >= 0 && tw_jdoc_text(d, NULL)[next + 1] == 'x', "first next_page_uri wins");
  tw_jdoc_release(d);
}

/* An item over 64 KiB: the scan leaves it to a wide index. */
static void test_big_item(void) {
  size_t pad = 70000, len;
  char *s = malloc(pad + 200);
  tw_jerr e;
  tw_jdoc *d;
  const tw_jobj *items;
  int n, next;
  len = (size_t)sprintf(s, "{\"xs\":[{\"a\":1},{\"pad\":\"");
  memset(s + len, 'p', pad);
  len += pad;
  len += (size_t)sprintf(s + len, "\",\"b\":2,\"c\\u0041\":3},{\"a\":4}]}");
  d = tw_jdoc_parse(s, len, "xs", &e);
  free(s);
  CHECK(d && tw_json_page(d, "xs", &items, &n, &next, &e) == 0 && n == 3,
        "big item page");
  if (!d) return;
  {
    tw_jobj big = items[1], small = items[2];
    int b = tw_json_lookup(d, &big, "b", 1, NULL);
    int c = tw_json_lookup(d, &big, "cA", 2, NULL);
    CHECK(items[1].state == TW_JOBJ_NONE && big.state == TW_JOBJ_WIDE &&
          tw_json_type(d, b) == TW_JNUMBER && tw_json_type(d, c) == TW_JNUMBER,
          "big item: wide index, escaped key");
    CHECK(small.state == TW_JOBJ_NARROW &&
          tw_json_type(d, tw_json_lookup(d, &small, "a", 1, NULL)) == TW_JNUMBER,
          "the next item keeps its narrow index");
  }
  tw_jdoc_release(d);
}

static void test_error_shapes(void) {
  tw_jerr e;
  tw_jerror_fields f;
  char msg[200];
  tw_jdoc *d = parse("{\"code\":20404,\"message\":\"Not found\",\"more_info\":\"u\",\"status\":404}", &e);
  CHECK(tw_json_error_fields(d, &f) == 0 && f.code >= 0 && f.message >= 0 &&
        f.more_info >= 0 && f.status >= 0 && f.detail == -1, "twilio error body");
  tw_jdoc_release(d);
  d = parse("{\"type\":\"t\",\"title\":\"T\",\"status\":400,\"code\":1,\"detail\":\"D\",\"instance\":\"/i\"}", &e);
  CHECK(tw_json_error_fields(d, &f) == 0 && f.type >= 0 && f.title >= 0 &&
        f.detail >= 0 && f.instance >= 0 && f.message == -1, "RFC 9457 body");
  tw_jdoc_release(d);
  d = parse("[1]", &e);
  CHECK(tw_json_error_fields(d, &f) == -1, "array is not an error object");
  tw_jdoc_release(d);
  {
    const char *html = "<html>\n\n<body>Bad\x01gateway</body>";
    tw_json_http_message(msg, sizeof msg, 502, html, strlen(html), "text/html", NULL);
  }
  CHECK_STR(msg, "HTTP 502 (non-JSON body: text/html): <html> <body>Bad?gateway</body>",
            "HTML excerpt sanitized");
  tw_json_http_message(msg, sizeof msg, 500, "", 0, NULL, NULL);
  CHECK_STR(msg, "HTTP 500 (empty body)", "empty body");
  {
    char big[400];
    memset(big, 'x', sizeof big);
    tw_json_http_message(msg, sizeof msg, 503, big, sizeof big, "text/plain", NULL);
    CHECK(strlen(msg) < 140 && strstr(msg, "...") != NULL, "excerpt is cut short");
  }
  tw_json_http_message(msg, 8, 503, "abc", 3, NULL, NULL);
  CHECK(strlen(msg) == 7, "small output buffer respected");
}

/* A page of n number-like objects; returns a malloc'd string. */
static char *make_page(int n, size_t *len) {
#define ITEM_FMT \
    "{\"sid\":\"PN%032d\",\"phone_number\":\"+1415%07d\",\"beta\":false," \
    "\"capabilities\":{\"voice\":true,\"sms\":false},\"friendly_name\":" \
    "\"caf\\u00e9 %d\",\"sms_url\":\"\",\"trunk_sid\":null,\"n\":%d}"
  size_t cap = (size_t)n * 256 + 256, o = 0;
  char *s = malloc(cap);
  int i;
  o += (size_t)sprintf(s + o, "{\"incoming_phone_numbers\":[");
  for (i = 0; i < n; i++) {
    if (i) s[o++] = ',';
    o += (size_t)sprintf(s + o, ITEM_FMT, i, i, i, i);
  }
  o += (size_t)sprintf(s + o, "],\"next_page_uri\":null}");
  *len = o;
  return s;
}

static void test_large_page(void) {
  size_t len;
  char *s = make_page(5000, &len);
  tw_jerr e;
  tw_jdoc *d = tw_jdoc_parse(s, len, "incoming_phone_numbers", &e);
  int n, next, k, ok = 1;
  const tw_jobj *items;
  static const char key[] = "n";
  free(s);                            /* the doc has its own copy */
  CHECK(d != NULL, "large page parses");
  if (!d) return;
  CHECK(tw_json_page(d, "incoming_phone_numbers", &items, &n, &next, &e) == 0 &&
        next == -1, "large page shape");
  CHECK(n == 5000, "5000 items");
  for (k = 0; k < n; k++) {
    size_t m;
    long long i;
    double x;
    tw_jobj o = items[k];
    int v = tw_json_lookup(d, &o, key, 1, key);
    const char *raw = tw_json_raw(d, v, &m);
    if (tw_json_number(raw, m, &i, &x) != 1 || i != k) ok = 0;
  }
  CHECK(ok, "every item's field found through the hint");
  CHECK(tw_jdoc_bytes(d) < len + len / 4 + 200000, "a page costs about its body");
  tw_jdoc_retain(d);
  tw_jdoc_release(d);
  CHECK(tw_json_size(d, tw_jdoc_root(d)) == 2, "still alive after retain/release pair");
  tw_jdoc_release(d);
}


/* Borrowed documents (tw_jdoc_borrow): read in place from a buffer of
 * exactly len + 1 bytes (ASan catches any read past the NUL: the SSE
 * string skip must fall back to bytes near the end), with the same
 * verdicts, messages and values as a copy. */
static char *exact(const char *s, size_t n) {
  char *b = malloc(n + 1);
  memcpy(b, s, n);
  b[n] = '\0';
  return b;
}

static int same_parse(const char *s, size_t n, const char *items_key) {
  tw_jerr e1, e2;
  char *b = exact(s, n);
  tw_jdoc *c = tw_jdoc_parse(s, n, items_key, &e1);
  tw_jdoc *d = tw_jdoc_borrow(b, n, items_key, &e2);
  int same = (c != NULL) == (d != NULL);
  if (same && !c) same = strcmp(e1.msg, e2.msg) == 0 && e1.offset == e2.offset;
  if (same && c) {
    size_t l1, l2;
    const char *r1 = tw_json_raw(c, tw_jdoc_root(c), &l1);
    const char *r2 = tw_json_raw(d, tw_jdoc_root(d), &l2);
    same = l1 == l2 && memcmp(r1, r2, l1) == 0 && tw_json_size(c, tw_jdoc_root(c)) ==
           tw_json_size(d, tw_jdoc_root(d));
    if (same && !items_key && tw_json_type(d, tw_jdoc_root(d)) == TW_JOBJECT) {
      tw_jobj o = *tw_jdoc_root_obj(d);
      int v = tw_json_lookup(d, &o, "zz", 2, NULL);   /* scans every key */
      tw_jobj oc = *tw_jdoc_root_obj(c);
      same = v == tw_json_lookup(c, &oc, "zz", 2, NULL);
    }
  }
  if (!same) printf("# borrow differs on %.*s\n", (int)(n > 60 ? 60 : n), s);
  tw_jdoc_release(c);
  tw_jdoc_release(d);
  free(b);
  return same;
}

static void test_borrow(void) {
  static const char *cases[] = {
    "{}", "[]", "1", "true", "tru", "fals", "nul", "\"s", "\"\\", "\"\\u12",
    "[true", "[null]", "{\"a\":\"b\"}", "{\"a\":\"b\\\"\"}", "{\"a\\n\":1}",
    "\xEF\xBB\xBF{\"a\":1}", "[\"\\u00e9\"]", "{\"a\":[1,{\"b\":\"c\"}]}",
  };
  size_t i, k;
  int same = 1;
  char buf[128];
  for (i = 0; i < sizeof cases / sizeof cases[0]; i++)
    same &= same_parse(cases[i], strlen(cases[i]), NULL);
  CHECK(same, "borrow: same verdicts and values as a copy");
  same = 1;
  /* strings ending at every distance from the end of the buffer */
  for (k = 0; k < 40; k++) {
    size_t n = 0, j;
    n += (size_t)sprintf(buf + n, "{\"%s\":\"", k % 3 ? "key" : "k\\u0065y");
    for (j = 0; j < k; j++) buf[n++] = (char)('a' + j % 26);
    if (k % 5 == 4) { buf[n++] = '\\'; buf[n++] = 'n'; }
    buf[n++] = '"';
    buf[n++] = '}';
    same &= same_parse(buf, n, NULL);
    same &= same_parse(buf, n - 1, NULL);          /* truncated */
    same &= same_parse(buf, n - 2, NULL);          /* unterminated string */
    same &= same_parse(buf + 7, n - 8, NULL);      /* a bare string */
  }
  CHECK(same, "borrow: strings ending near the buffer's end");
  {
    const char *page = "{\"xs\":[{\"sid\":\"PN1\",\"n\":\"+1\"},{\"sid\":\"PN2\"}],"
                       "\"next_page_uri\":\"/next\"}";
    char *b = exact(page, strlen(page));
    tw_jerr e;
    const tw_jobj *items;
    int n = 0, next = -1, v;
    size_t len;
    tw_jdoc *d = tw_jdoc_borrow(b, strlen(page), "xs", &e);
    CHECK(d && tw_json_page(d, "xs", &items, &n, &next, &e) == 0 && n == 2,
          "borrow: a page");
    if (d && n == 2) {
      tw_jobj o = items[1];
      v = tw_json_lookup(d, &o, "sid", 3, NULL);
      CHECK(v >= 0 && memcmp(tw_json_raw(d, v, &len), "PN2", 3) == 0 && len == 3,
            "borrow: a field of the page's last item");
      CHECK(tw_jdoc_text(d, NULL) == b, "borrow: the text is the caller's");
      tw_jdoc *c = tw_jdoc_parse(page, strlen(page), "xs", &e);
      CHECK(c && tw_jdoc_bytes(d) + strlen(page) <= tw_jdoc_bytes(c),
            "borrow: the body is not counted");
      tw_jdoc_release(c);
    }
    tw_jdoc_release(d);
    free(b);
  }
  {
    tw_jerr e;
    CHECK(tw_jdoc_borrow("{}x", 2, NULL, &e) == NULL,
          "borrow: a body not NUL-terminated is refused");
  }
}

/* Pages shaped like Twilio's (a space after ':' and ','), which take the
 * scanner's member fast path: "key": "string", "key": null, ", " then the
 * next key; with keys and strings of every length around the scanner's
 * 64-byte blocks. Every truncation, and every byte replaced by one of a
 * few troublemakers, must get the oracle's verdict, message and offset,
 * copied and borrowed (from an exact-size buffer); valid variants must
 * index every item's members as tw_json_find finds them. */
static const char *const spaced_keys[] = { "account_sid", "a", "sid", "", "x\\u0079",
                                           "emergency_address_status", "k" };

static char *spaced_page(int seed, size_t *len) {
  char *s = malloc(4096);
  size_t o = 0;
  int i, k;
  o += (size_t)sprintf(s + o, "{\"end\": 1, \"incoming_phone_numbers\": [");
  for (i = 0; i < 3; i++) {
    if (i) o += (size_t)sprintf(s + o, ", ");
    s[o++] = '{';
    for (k = 0; k < 7; k++) {
      int v = (seed + i * 7 + k) % 12, j, w = (seed * 3 + i + k * 5) % 70;
      /* mostly ", " and ": "; sometimes more or less whitespace */
      static const char *const commas[] = { ", ", ",", ", ", ",\n  ", ", ",
                                            " , ", ", " };
      static const char *const colons[] = { ": ", ":", ": ", ":  \t", ": ",
                                            " : " };
      if (k) o += (size_t)sprintf(s + o, "%s", commas[(seed + 2 * i + 3 * k) % 7]);
      o += (size_t)sprintf(s + o, "\"%s\"%s", spaced_keys[k],
                           colons[(seed + i + 5 * k) % 6]);
      switch (v) {
      case 0: o += (size_t)sprintf(s + o, "null"); break;
      case 1: o += (size_t)sprintf(s + o, "false"); break;
      case 2: o += (size_t)sprintf(s + o, "true"); break;
      case 3: o += (size_t)sprintf(s + o, "%d", w - 20); break;
      case 4: o += (size_t)sprintf(s + o, "{\"voice\": true, \"sms\": \"x\"}"); break;
      case 5: o += (size_t)sprintf(s + o, "[\"a\", null]"); break;
      case 6: o += (size_t)sprintf(s + o, "\"e\\\"sc\\\\\""); break;
      default:
        s[o++] = '"';
        for (j = 0; j < w; j++) s[o++] = (char)('a' + j % 26);
        s[o++] = '"';
      }
    }
    s[o++] = '}';
  }
  o += (size_t)sprintf(s + o, "], \"next_page_uri\": null}");
  *len = o;
  return s;
}

/* 1 when the key index the scan made for object o (a page item, or a
 * single record's root) is the one the scanner always made: narrow (16-bit
 * offsets, o.n members) exactly when every member's value starts within
 * 0xFFFF bytes of the object, else none (indexed on first use); and when
 * every member is found through it as tw_json_find finds it (the first
 * occurrence), with every key of keys[0..nkeys). */
static int obj_agrees(tw_jdoc *d, tw_jobj o, const char *const *keys,
                      size_t nkeys) {
  int pos, kk, val, far = 0, count = 0, ok = 1;
  size_t k;
  if (tw_json_type(d, o.start) != TW_JOBJECT) return 1;
  if (o.end != tw_json_end(d, o.start)) return 0;
  pos = tw_json_first(d, o.start);
  while (tw_json_next(d, o.start, &pos, &kk, &val)) {
    if (val - o.start > 0xFFFF) far = 1;
    count++;
    pos = tw_json_end(d, val);
  }
  if (far ? o.state != TW_JOBJ_NONE
          : o.state != TW_JOBJ_NARROW || o.n != (unsigned)count)
    return 0;
  for (k = 0; k < nkeys && ok; k++) {
    size_t kl = strlen(keys[k]);
    if (tw_json_lookup(d, &o, keys[k], kl, NULL) !=
        tw_json_find(d, o.start, keys[k], kl))
      ok = 0;
  }
  /* every member, by its raw key (the first occurrence wins) */
  pos = tw_json_first(d, o.start);
  while (ok && tw_json_next(d, o.start, &pos, &kk, &val)) {
    size_t kl;
    const char *kr = tw_json_raw(d, kk, &kl);
    if (!tw_json_has_escape(kr, kl) &&
        (tw_json_lookup(d, &o, kr, kl, NULL) != tw_json_find(d, o.start, kr, kl) ||
         tw_json_lookup(d, &o, kr, kl, kr) != tw_json_find(d, o.start, kr, kl)))
      ok = 0;
    pos = tw_json_end(d, val);
  }
  return ok;
}

/* 1 when the page's items (with items_key) or the root (without) are
 * indexed as obj_agrees wants. */
static int doc_agrees(tw_jdoc *d, const char *items_key,
                      const char *const *keys, size_t nkeys) {
  const tw_jobj *items;
  int ni, next, i, ok = 1;
  tw_jerr e;
  int root, arr, nv, pos, k, v;
  if (!items_key) return obj_agrees(d, *tw_jdoc_root_obj(d), keys, nkeys);
  if (tw_json_page(d, items_key, &items, &ni, &next, &e) != 0) return 1;
  /* the page the scan recorded is the one found the slow way: the first
   * items array's elements, the first next_page_uri (a non-empty string) */
  root = tw_jdoc_root(d);
  arr = tw_json_find(d, root, items_key, strlen(items_key));
  nv = tw_json_find(d, root, "next_page_uri", 13);
  if (nv >= 0 && (tw_json_type(d, nv) != TW_JSTRING || tw_jdoc_text(d, NULL)[nv + 1] == '"'))
    nv = -1;
  if (next != nv) return 0;
  pos = tw_json_first(d, arr);
  i = 0;
  while (tw_json_next(d, arr, &pos, &k, &v)) {
    if (i >= ni || items[i].start != v) return 0;
    pos = tw_json_end(d, v);
    i++;
  }
  if (i != ni) return 0;
  for (i = 0; i < ni && ok; i++) ok = obj_agrees(d, items[i], keys, nkeys);
  return ok;
}

/* 1 when body gets the same verdict (and error) from the scanner, copied
 * and borrowed (from an exact-size buffer), as a page and as a single
 * record, as from the oracle; and, when valid, every item (and the root of
 * the single record) is indexed as obj_agrees wants. */
static int spaced_same(const char *body, size_t n) {
  static const char *const modes[] = { "incoming_phone_numbers", NULL };
  tw_jerr e1, e2, e3;
  char *b = exact(body, n);
  int ok = oracle_parse(body, n, &e3), same = 1;
  size_t m;
  for (m = 0; m < 2 && same; m++) {
    const char *key = modes[m];
    tw_jdoc *c = tw_jdoc_parse(body, n, key, &e1);
    tw_jdoc *d = tw_jdoc_borrow(b, n, key, &e2);
    same = ok == (c != NULL) && ok == (d != NULL);
    if (same && !ok)
      same = strcmp(e1.msg, e2.msg) == 0 && e1.offset == e2.offset &&
             json_offset_ok(body, n, &e1);
    if (same && ok)
      same = doc_agrees(d, key, spaced_keys,
                        sizeof spaced_keys / sizeof spaced_keys[0]) &&
             doc_agrees(c, key, spaced_keys,
                        sizeof spaced_keys / sizeof spaced_keys[0]);
    if (!same)
      printf("# %s differs (%s / %s / %s): %.*s\n", key ? "page" : "record",
             c ? "ok" : e1.msg, d ? "ok" : e2.msg, ok ? "ok" : e3.msg,
             (int)(n > 200 ? 200 : n), body);
    tw_jdoc_release(c);
    tw_jdoc_release(d);
  }
  free(b);
  return same;
}

/* Larger pages in Twilio's spacing (or compact, as other servers write
 * JSON: ',' and ':'), made from a seed: items of 1..60
 * members, keys and strings of 0..90 bytes (so members run across the
 * scanner's 64-byte blocks and its 4 KiB batches of stop bits at every
 * offset), literals, numbers, nested objects and arrays, now and then an
 * escape or other spacing; many short members, so the members array
 * grows mid-page. A page is 1..400 KiB. */
static unsigned long rnd_state;
static unsigned rnd(unsigned k) {
  rnd_state = rnd_state * 6364136223846793005UL + 1442695040888963407UL;
  return (unsigned)(rnd_state >> 33) % k;
}

static size_t put_str(char *s, size_t o, unsigned len) {
  unsigned j;
  s[o++] = '"';
  for (j = 0; j < len; j++) {
    if (rnd(40) == 0) { s[o++] = '\\'; s[o++] = rnd(2) ? 'n' : '"'; continue; }
    s[o++] = (char)('a' + rnd(26));
  }
  s[o++] = '"';
  return o;
}

static char *chain_page(unsigned long seed, size_t items, int compact,
                        size_t *len) {
  static const char *const keys[] = { "sid", "a", "", "account_sid", "k",
                                      "phone_number", "capabilities", "x" };
  size_t cap = items * 8000 + 256, o = 0, i;
  char *s = malloc(cap);
  rnd_state = seed;
  o += (size_t)sprintf(s + o, "{\"end\": 1, \"incoming_phone_numbers\": [");
  for (i = 0; i < items; i++) {
    unsigned m, nm = 1 + rnd(60);
    if (i) o += (size_t)sprintf(s + o, rnd(8) ? (compact ? "," : ", ") : (compact ? ", " : ","));
    s[o++] = '{';
    for (m = 0; m < nm; m++) {
      unsigned v = rnd(16);
      if (m) o += (size_t)sprintf(s + o, rnd(30) ? (compact ? "," : ", ") : rnd(2) ? (compact ? ", " : ",") : " ,  ");
      if (rnd(3)) o += (size_t)sprintf(s + o, "\"%s\"", keys[rnd(8)]);
      else o = put_str(s, o, rnd(4) ? rnd(12) : rnd(90));
      o += (size_t)sprintf(s + o, rnd(30) ? (compact ? ":" : ": ") : rnd(2) ? (compact ? ": " : ":") : " :\t");
      if (v < 6) o = put_str(s, o, rnd(3) ? rnd(40) : rnd(90));
      else if (v < 9) o += (size_t)sprintf(s + o, "null");
      else if (v < 11) o += (size_t)sprintf(s + o, "false");
      else if (v < 13) o += (size_t)sprintf(s + o, "true");
      else if (v < 14) o += (size_t)sprintf(s + o, "%d", (int)rnd(100000) - 500);
      else if (v < 15) o += (size_t)sprintf(s + o, compact ? "{\"voice\":true,\"sms\":null,\"u\":\"v\"}"
                                                          : "{\"voice\": true, \"sms\": null, \"u\": \"v\"}");
      else o += (size_t)sprintf(s + o, compact ? "[\"a\",null,{\"b\":false}]" : "[\"a\", null, {\"b\": false}]");
    }
    s[o++] = '}';
  }
  o += (size_t)sprintf(s + o, "], \"next_page_uri\": \"/x\"}");
  *len = o;
  return s;
}

static void test_chain_pages(void) {
  static const char swaps[] = { '"', '\\', '\0', ' ', ',', ':', '}', 'n', 'e' };
  static const char *const keys[] = { "sid", "a", "", "account_sid", "k",
                                      "phone_number", "capabilities", "x", "zz" };
  static const size_t sizes[] = { 1, 2, 5, 20, 60, 400, 3, 30, 300 };
  size_t t;
  int valid = 1, same = 1;
  for (t = 0; t < sizeof sizes / sizeof sizes[0]; t++) {
    size_t n, i;
    char *p = chain_page(t + 1, sizes[t], t >= 6, &n);   /* the last: compact */
    const char *modes[] = { "incoming_phone_numbers", NULL };
    int mode;
    for (mode = 0; mode < 2; mode++) {
      tw_jerr e;
      char *b = exact(p, n);
      tw_jdoc *d = tw_jdoc_borrow(b, n, modes[mode], &e);
      if (!d || !doc_agrees(d, modes[mode], keys, sizeof keys / sizeof keys[0])) {
        printf("# chain page %zu (%zu bytes, %s) %s\n", t, n,
               modes[mode] ? "page" : "record", d ? "indexed wrong" : e.msg);
        valid = 0;
      }
      tw_jdoc_release(d);
      free(b);
    }
    /* byte swaps at some hundreds of places, and truncations (small pages:
     * every one), with the oracle's verdict, message and offset */
    if (n <= 20000) {
      char *m = malloc(n + 1);
      size_t step = n / 300 + 1;
      for (i = 0; i < n && same; i += (n < 3000 ? 1 : step)) {
        same &= spaced_same(p, i);
        memcpy(m, p, n);
        m[i] = swaps[(i * 7 + t) % sizeof swaps];
        if (m[i] != p[i]) same &= spaced_same(m, n);
      }
      free(m);
    }
    free(p);
  }
  CHECK(valid, "chain pages (1 KiB to 400 KiB, spaced and compact): every item and record indexed as before");
  CHECK(same, "chain pages: truncations and byte swaps as the oracle");
}

/* Texts where the chain's patterns appear where the general code decides
 * otherwise (an item that is an array, an object in an array, the nesting
 * limit), between 100-byte members so that the chain runs there (it
 * stops 80 bytes before the end): each one, and each of its truncations,
 * as the oracle. */
static void test_chain_cases(void) {
  static const char *const cases[] = {
    "\"incoming_phone_numbers\": [[{\"a\": \"b\"}}, {\"c\": \"d\"}]], \"next_page_uri\": null",
    "\"incoming_phone_numbers\": [[{\"a\": \"b\"}, {\"c\": \"d\"}]], \"next_page_uri\": null",
    "\"incoming_phone_numbers\": [{\"a\": \"b\"}, \"c\": \"d\"}], \"next_page_uri\": null",
    "\"incoming_phone_numbers\": [{\"a\": [{\"b\": \"c\"}, \"d\": null]}, {\"e\": 1}]",
    "\"incoming_phone_numbers\": [{\"a\": {\"b\": \"c\"}}, {\"d\": {\"e\": null}}, {\"f\": 2}]",
    "\"incoming_phone_numbers\": [{\"a\": {\"b\": \"c\"}}}, {\"d\": 1}]",
    "\"incoming_phone_numbers\": [{\"a\": {\"b\": true}, \"c\": \"d\"}, {\"e\": false}]",
    "\"incoming_phone_numbers\": [{\"a\": \"b\"}], \"x\": {\"y\": \"z\"}, \"w\": null",
    "\"x\": {\"y\": \"z\"}, \"incoming_phone_numbers\": [{\"a\": \"b\"}], \"next_page_uri\": null",
    "\"incoming_phone_numbers\": [{\"a\": \"b\"}], \"x\": {\"y\": \"z\"}, \"next_page_uri\": \"/n\"",
    "\"x\": {\"y\": \"z\"}, \"incoming_phone_numbers\": [], \"next_page_uri\": {\"a\": \"b\"}",
    "\"a\": {\"b\": {\"c\": \"d\"}, \"e\": \"f\"}, \"g\": {\"h\": null}, \"i\": true",
  };
  char buf[8192];
  size_t i, k, len;
  int same = 1;
  for (i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    char tight[512];
    size_t j, t = 0;
    len = (size_t)sprintf(buf, "{\"%0100d\": \"pad\", %s, \"%0100d\": \"pad\"}", 0,
                          cases[i], 1);
    for (k = 0; k <= len && same; k++) same &= spaced_same(buf, k);
    /* compact: the same without a space */
    for (j = 0; cases[i][j]; j++)
      if (cases[i][j] != ' ') tight[t++] = cases[i][j];
    tight[t] = '\0';
    len = (size_t)sprintf(buf, "{\"%0100d\":\"pad\",%s,\"%0100d\":\"pad\"}", 0,
                          tight, 1);
    for (k = 0; k <= len && same; k++) same &= spaced_same(buf, k);
  }
  /* objects nested around the limit, in Twilio's spacing, with more after */
  for (i = TW_JSON_MAX_DEPTH - 2; i <= TW_JSON_MAX_DEPTH + 1 && same; i++) {
    len = (size_t)sprintf(buf, "{\"%0100d\": \"pad\", \"a\": ", 0);
    for (k = 1; k < i; k++) len += (size_t)sprintf(buf + len, "{\"k\": ");
    len += (size_t)sprintf(buf + len, "null");
    for (k = 1; k < i; k++) len += (size_t)sprintf(buf + len, "}");
    len += (size_t)sprintf(buf + len, ", \"b\": \"%0100d\"}", 2);
    same &= spaced_same(buf, len);
    same &= spaced_same(buf, len - 1);
  }
  CHECK(same, "the chain's patterns where the general code decides: as the oracle");
}

/* Items over 64 KiB: whether the narrow index is kept is decided when the
 * item ends (obj_agrees: by where its values start), and an item of more
 * members than a 64 KiB item can hold is dropped while it is scanned. */
static void test_big_items(void) {
  static const char *const keys[] = { "k", "b", "pad", "last", "k2" };
  static const struct { int members; size_t pad; int pad_first; } shapes[] = {
    { 14000, 0, 0 },        /* over ITEM_MEMBERS (13107) members */
    { 13106, 0, 0 },        /* many members, offsets over 0xFFFF */
    { 3, 70000, 0 },        /* > 64 KiB, the last value starts early */
    { 3, 70000, 1 },        /* a value starts after a 70000-byte string */
    { 5400, 100, 0 },       /* close to 0xFFFF */
    { 5000, 0, 0 },
  };
  size_t t;
  int ok = 1;
  for (t = 0; t < sizeof shapes / sizeof shapes[0]; t++) {
    size_t cap = (size_t)shapes[t].members * 16 + shapes[t].pad + 400, o = 0, mode;
    char *s = malloc(cap);
    int m;
    o += (size_t)sprintf(s + o, "{\"incoming_phone_numbers\": [{\"k\": 1}, {");
    if (shapes[t].pad_first) {
      o += (size_t)sprintf(s + o, "\"pad\": \"");
      memset(s + o, 'p', shapes[t].pad);
      o += shapes[t].pad;
      o += (size_t)sprintf(s + o, "\", ");
    }
    for (m = 0; m < shapes[t].members; m++)
      o += (size_t)sprintf(s + o, "%s\"%s\": %s", m ? ", " : "", m % 2 ? "k" : "k2",
                           m % 3 ? "null" : "\"v\"");
    if (!shapes[t].pad_first && shapes[t].pad) {
      o += (size_t)sprintf(s + o, ", \"last\": \"");
      memset(s + o, 'p', shapes[t].pad);
      o += shapes[t].pad;
      s[o++] = '"';
    }
    /* an item after it, longer than the 80 bytes the chain leaves to the
     * general code at the end of the text: the chain ends the big one */
    o += (size_t)sprintf(s + o, ", \"b\": false}, {\"k\": 2, \"pad\": \"%0120d\"}]}", 0);
    for (mode = 0; mode < 2; mode++) {
      const char *key = mode ? NULL : "incoming_phone_numbers";
      tw_jerr e;
      tw_jdoc *d = tw_jdoc_parse(s, o, key, &e);
      if (!d || !doc_agrees(d, key, keys, sizeof keys / sizeof keys[0])) {
        printf("# big item shape %zu (%s): %s\n", t, key ? "page" : "record",
               d ? "indexed wrong" : e.msg);
        ok = 0;
      }
      tw_jdoc_release(d);
    }
    /* the item alone, as a single record */
    {
      const char *it = strstr(s, "}, {") + 3;
      size_t il = (size_t)(strstr(s, "}, {\"k\": 2,") + 1 - it);
      tw_jerr e;
      tw_jdoc *d = tw_jdoc_parse(it, il, NULL, &e);
      if (!d || !doc_agrees(d, NULL, keys, sizeof keys / sizeof keys[0])) {
        printf("# big item shape %zu alone: %s\n", t, d ? "indexed wrong" : e.msg);
        ok = 0;
      }
      tw_jdoc_release(d);
    }
    free(s);
  }
  /* the last value starting at offset 0xFFFF of its item (the last that
   * fits the narrow index), 0x10000, 0x10001, 0x10002 */
  for (t = 65518; t <= 65521; t++) {
    size_t cap = t + 400, o = 0, mode;
    char *s = malloc(cap);
    o += (size_t)sprintf(s + o, "{\"incoming_phone_numbers\": [{\"pad\": \"");
    memset(s + o, 'p', t);
    o += t;
    o += (size_t)sprintf(s + o, "\", \"b\": false}, {\"k\": 2, \"pad\": \"%0120d\"}], \"x\": 1}", 0);
    for (mode = 0; mode < 2; mode++) {
      const char *key = mode ? NULL : "incoming_phone_numbers";
      const char *body = mode ? strchr(s, '[') + 1 : s;
      size_t bl = mode ? (size_t)(strstr(s, "}, {") + 1 - body) : o;
      tw_jerr e;
      tw_jdoc *d = tw_jdoc_parse(body, bl, key, &e);
      const tw_jobj *o1 = d ? tw_jdoc_root_obj(d) : NULL;
      const tw_jobj *items;
      int ni, next;
      if (d && key && tw_json_page(d, key, &items, &ni, &next, &e) == 0)
        o1 = &items[0];
      if (!d || !doc_agrees(d, key, keys, sizeof keys / sizeof keys[0]) ||
          (o1->state == TW_JOBJ_NARROW) != (t + 17 <= 0xFFFF)) {
        printf("# last value at %zu (%s): %s\n", t + 17, key ? "page" : "record",
               d ? "indexed wrong" : e.msg);
        ok = 0;
      }
      tw_jdoc_release(d);
    }
    free(s);
  }
  CHECK(ok, "items over 64 KiB or of many members: index kind and lookups as before");
}

/* An item the chain ends ("}, {\"" in Twilio's spacing, with text enough
 * after it for the chain to run there) that has an escaped key, or is
 * over 64 KiB: the chain leaves its end to the general code, which marks
 * it (esc, the index kind); a plain one it ends itself. */
static void test_chain_item_ends(void) {
  static const char *const keys[] = { "a", "b", "k2", "k\"2", "pad" };
  static const char *const items[] = {
    "\"a\": \"w\", \"b\": null",                   /* plain */
    "\"k\\u0032\": \"v\", \"a\": \"w\"",           /* escaped, first */
    "\"a\": \"w\", \"k\\u0032\": true",            /* escaped, last */
    "\"a\": \"w\", \"k\\\"2\": \"v\", \"b\": false", /* an escaped quote */
    "\"b\": {\"k\\u0032\": 1}, \"a\": \"w\"",      /* escaped, nested */
  };
  size_t t, rep;
  int ok = 1;
  for (t = 0; t < sizeof items / sizeof items[0]; t++) {
    for (rep = 0; rep < 3; rep++) {          /* the item once, twice, 40 times */
      size_t times = rep == 0 ? 1 : rep == 1 ? 2 : 40, i, o = 0;
      char *s = malloc(times * 64 + 600);
      tw_jerr e;
      tw_jdoc *d;
      o += (size_t)sprintf(s + o, "{\"incoming_phone_numbers\": [{\"a\": \"x\", \"b\": null}");
      for (i = 0; i < times; i++) o += (size_t)sprintf(s + o, ", {%s}", items[t]);
      o += (size_t)sprintf(s + o, ", {\"a\": \"y\", \"pad\": \"%0200d\"}]}", 0);
      d = tw_jdoc_parse(s, o, "incoming_phone_numbers", &e);
      if (!d || !doc_agrees(d, "incoming_phone_numbers", keys, sizeof keys / sizeof keys[0])) {
        printf("# chain item end %zu x%zu: %s\n", t, times, d ? "indexed wrong" : e.msg);
        ok = 0;
      }
      tw_jdoc_release(d);
      free(s);
    }
  }
  CHECK(ok, "items the chain ends: escaped keys marked, lookups as before");
}

static void test_spaced_pages(void) {
  static const char swaps[] = { '"', '\\', '\0', ' ', '\t', ',', ':', '}',
                                'n', 'x', '1' };
  int seed, same = 1, valid = 1;
  for (seed = 0; seed < 12 && same; seed++) {
    size_t n, i, k;
    char *p = spaced_page(seed, &n);
    char *m = malloc(n + 1);
    valid &= spaced_same(p, n);
    for (i = 0; i < n && same; i++) {
      same &= spaced_same(p, i);                         /* truncated */
      for (k = 0; k < sizeof swaps && same; k++) {
        if (p[i] == swaps[k]) continue;
        memcpy(m, p, n);
        m[i] = swaps[k];
        same &= spaced_same(m, n);
      }
    }
    free(m);
    free(p);
  }
  CHECK(valid, "spaced pages: valid, every member indexed");
  CHECK(same, "spaced pages: every truncation and byte swap as the oracle");
}

/* The integer value v of d, or -1. */
static long long int_at(tw_jdoc *d, int v) {
  size_t n;
  long long i;
  double x;
  const char *raw;
  if (v < 0) return -1;
  raw = tw_json_raw(d, v, &n);
  return tw_json_number(raw, n, &i, &x) == 1 ? i : -1;
}

/* A single record's doc keeps its members and items arrays in its own
 * block (doc_parse); denser records than the first sizing outgrow them
 * into malloc'd arrays. Lookups stay right either way (ASan: no bad free). */
static void test_single_record_growth(void) {
  size_t cap = 64 * 1024, len, i;
  char *s = malloc(cap);
  int ok = 1, borrow;
  if (!s) { CHECK(0, "test_single_record_growth: out of memory"); return; }
  for (borrow = 0; borrow < 2; borrow++) {
    tw_jerr e;
    tw_jdoc *d;
    len = 0;
    s[len++] = '{';
    for (i = 0; i < 2000; i++)               /* ~8 bytes a member: grows */
      len += (size_t)snprintf(s + len, cap - len, "%s\"m%zu\":%zu", i ? "," : "", i, i);
    for (i = 0; i < 300; i++)                /* nested objects */
      len += (size_t)snprintf(s + len, cap - len, ",\"o%zu\":{\"x\":%zu}", i, i);
    s[len++] = '}';
    s[len] = '\0';
    d = borrow ? tw_jdoc_borrow(s, len, NULL, &e) : tw_jdoc_parse(s, len, NULL, &e);
    if (!d) { ok = 0; continue; }
    for (i = 0; i < 2000 && ok; i += 7) {
      char k[16];
      int v;
      snprintf(k, sizeof k, "m%zu", i);
      v = root_get(d, k);
      ok = int_at(d, v) == (long long)i;
    }
    for (i = 0; i < 300 && ok; i += 3) {
      char k[16];
      int v;
      snprintf(k, sizeof k, "o%zu", i);
      v = root_get(d, k);
      ok = v >= 0 && tw_json_type(d, v) == TW_JOBJECT &&
           int_at(d, tw_json_find(d, v, "x", 1)) == (long long)i;
    }
    tw_jdoc_release(d);
  }
  free(s);
  CHECK(ok, "a single record denser than its first arrays: lookups as before");
}

/* The lookup cache (tw_json_lookup's hints: 8 slots in a single record's
 * block after its inline arrays, 64 in a page's after its text): every key
 * of a Twilio-sized record read three times, each with its own hint
 * address (more keys than slots: they collide), gives the right member,
 * and the cache never writes over the text or the inline arrays (read
 * again without hints). Borrowed and copied, record and page. */
static void test_hint_cache(void) {
  enum { NK = 40 };
  static char keys[NK][8];
  char s[4096];
  size_t len, i;
  int ok = 1, mode;
  for (mode = 0; mode < 4; mode++) {
    int page = mode >= 2, borrow = mode & 1, round;
    tw_jerr e;
    tw_jdoc *d;
    tw_jobj o;
    len = (size_t)snprintf(s, sizeof s, "%s", page ? "{\"items\": [{" : "{");
    for (i = 0; i < NK; i++) {
      snprintf(keys[i], sizeof keys[i], "k%zu", i);
      len += (size_t)snprintf(s + len, sizeof s - len, "%s\"%s\": \"v%zu-%s\"", i ? ", " : "",
                              keys[i], i, "abcdefghijklmnopqrstuvwx");
    }
    len += (size_t)snprintf(s + len, sizeof s - len, "%s", page ? "}]}" : "}");
    d = borrow ? tw_jdoc_borrow(s, len, page ? "items" : NULL, &e)
               : tw_jdoc_parse(s, len, page ? "items" : NULL, &e);
    if (!d) { ok = 0; continue; }
    if (page) {
      const tw_jobj *items;
      int nitems, next;
      if (tw_json_page(d, "items", &items, &nitems, &next, &e) != 0 || nitems != 1) {
        ok = 0;
        tw_jdoc_release(d);
        continue;
      }
      o = items[0];
    } else {
      o = *tw_jdoc_root_obj(d);
    }
    for (round = 0; round < 4 && ok; round++) {
      for (i = 0; i < NK && ok; i++) {
        size_t n;
        int esc;
        char want[32];
        const void *hint = round < 3 ? (const void *)keys[i] : NULL;
        int v = tw_json_lookup(d, &o, keys[i], strlen(keys[i]), hint);
        const char *got = v >= 0 ? tw_json_string(d, v, &n, &esc) : NULL;
        snprintf(want, sizeof want, "v%zu-%s", i, "abcdefghijklmnopqrstuvwx");
        ok = got && n == strlen(want) && memcmp(got, want, n) == 0;
      }
    }
    tw_jdoc_release(d);
  }
  CHECK(ok, "lookup cache: 40 keys, colliding hints, record and page, parsed and borrowed");
}

/* The lookup's hit path (a hinted key read again on the next item of a
 * page, the key compared in place: short_equals): for every key length 1
 * to 20 and every byte position, a page whose middle item holds the key
 * with that one byte changed (or one byte longer) must not answer the
 * key's hinted member, and the items around it must. Keys in exact-size
 * buffers (no NUL) and a borrowed page in an exact-size buffer, so that
 * ASan sees any read past either (the text's NUL is part of the
 * borrow's contract). */
/* tw_json_lookup (via 0) or tw_json_lookup_str (1: its own hit path). */
static int lookup_via(int via, tw_jdoc *d, tw_jobj *o, const char *key,
                      size_t klen, const void *hint) {
  const char *str;
  size_t n;
  if (!via) return tw_json_lookup(d, o, key, klen, hint);
  return tw_json_lookup_str(d, o, key, klen, hint, &str, &n);
}

/* Every slot of a document's lookup cache can be written: 400 different
 * hints (addresses) fill all of them, on a page's doc and a single
 * record's (their caches differ in size; an overrun is an ASan error), and
 * every read finds its own member. */
static void test_hint_slots(void) {
  static const char page[] = "{\"items\": [{\"a\": 1, \"b\": 2}, {\"a\": 3, \"b\": 4}]}";
  static const char one[] = "{\"a\": 5, \"b\": 6}";
  static char hints[400];
  int ok = 1, round;
  for (round = 0; round < 2; round++) {
    tw_jerr e;
    tw_jdoc *d = round ? tw_jdoc_parse(one, sizeof one - 1, NULL, &e)
                       : tw_jdoc_parse(page, sizeof page - 1, "items", &e);
    const tw_jobj *items;
    tw_jobj o;
    int nitems, next, i, v;
    if (!d) {
      ok = 0;
      continue;
    }
    if (round) o = *tw_jdoc_root_obj(d);
    else if (tw_json_page(d, "items", &items, &nitems, &next, &e) == 0 && nitems == 2) o = items[1];
    else ok = 0;
    for (i = 0; ok && i < 400; i++) {
      v = tw_json_lookup(d, &o, i % 2 ? "b" : "a", 1, &hints[i]);
      ok = v >= 0 && tw_jdoc_text(d, NULL)[v] == (round ? "56" : "34")[i % 2];
    }
    tw_jdoc_release(d);
  }
  CHECK(ok, "every slot of a page's and a single record's lookup cache takes a hint");
}

static void test_hint_hits(void) {
  int ok = 1, len_ok = 1, via;
  size_t kl, p;
  for (via = 0; via < 2; via++)
  for (kl = 1; kl <= 20 && ok; kl++) {
    for (p = 0; p <= kl && ok; p++) {       /* p == kl: one byte longer */
      char key[24], other[24], txt[256];
      char *k = malloc(kl), *ko = malloc(kl + 1), *t;
      size_t i, n, ol = p < kl ? kl : kl + 1;
      tw_jerr e;
      tw_jdoc *d;
      const tw_jobj *items;
      int nitems, next;
      for (i = 0; i < kl; i++) key[i] = (char)('a' + (i * 7 + kl) % 26);
      memcpy(other, key, kl);
      if (p < kl) other[p] = (char)(key[p] == 'z' ? 'y' : key[p] + 1);
      else other[kl] = 'q';
      memcpy(k, key, kl);
      memcpy(ko, other, ol);
      n = (size_t)snprintf(txt, sizeof txt,
                           "{\"items\": [{\"%.*s\": 1}, {\"%.*s\": 2}, {\"%.*s\": 3}]}",
                           (int)kl, key, (int)ol, other, (int)kl, key);
      t = malloc(n + 1);                    /* borrow: text and its NUL */
      memcpy(t, txt, n + 1);
      d = tw_jdoc_borrow(t, n, "items", &e);
      if (!d || tw_json_page(d, "items", &items, &nitems, &next, &e) != 0 || nitems != 3) {
        ok = 0;
      } else {
        tw_jobj o0 = items[0], o1 = items[1], o2 = items[2];
        int v0 = lookup_via(via, d, &o0, k, kl, k);
        int v1 = lookup_via(via, d, &o1, k, kl, k);    /* hinted: must miss */
        int v2 = lookup_via(via, d, &o2, k, kl, k);
        int w1 = lookup_via(via, d, &o1, ko, ol, ko);
        int w1b = lookup_via(via, d, &o1, ko, ol, ko); /* hinted: hits */
        int x1 = lookup_via(via, d, &o1, k, kl, k);    /* still misses */
        ok = v0 >= 0 && t[v0] == '1' && v1 == -1 && v2 >= 0 && t[v2] == '3' &&
             w1 >= 0 && t[w1] == '2' && w1b == w1 && x1 == -1;
        if (p == kl) len_ok = ok;
      }
      tw_jdoc_release(d);
      free(t);
      free(k);
      free(ko);
    }
  }
  /* a hinted position past the end of a shorter item: the next item's
   * member there ("b", laid out to match text in this one) is not this
   * item's */
  for (via = 0; via < 2 && ok; via++) {
    static const char txt[] = "{\"items\": [{\"a\": 1, \"b\": 2}, {\"a\": \"b\"}, {     \"b\": 4}]}";
    tw_jerr e;
    tw_jdoc *d = tw_jdoc_parse(txt, sizeof txt - 1, "items", &e);
    const tw_jobj *items;
    int nitems, next;
    if (!d || tw_json_page(d, "items", &items, &nitems, &next, &e) != 0 || nitems != 3) {
      ok = 0;
    } else {
      tw_jobj o0 = items[0], o1 = items[1], o2 = items[2];
      int b0 = lookup_via(via, d, &o0, "b", 1, txt);
      int b1 = lookup_via(via, d, &o1, "b", 1, txt);  /* hint idx 1, n 1 */
      int b2 = lookup_via(via, d, &o2, "b", 1, txt);
      ok = b0 >= 0 && txt[b0] == '2' && b1 == -1 && b2 >= 0 && txt[b2] == '4';
    }
    tw_jdoc_release(d);
  }
  CHECK(ok, "lookup hit path (tw_json_lookup, tw_json_lookup_str): a key changed in any one byte (lengths 1-20) is not found on the hinted member");
  CHECK(len_ok, "lookup hit path: a longer key at the hinted member is not the key");
}

/* tw_json_lookup_str (the Lua binding's field read) against tw_json_lookup
 * and tw_json_string: a string of every length 0 to 40, plain or with one
 * escape at each position, as the last member of a borrowed page in an
 * exact-size buffer (ASan sees a read past the text), and every other
 * type; without a hint and hinted. */
static void test_lookup_str(void) {
  static const char *const others[] = { "12", "-1.5e3", "null", "true", "false",
                                        "{\"a\": \"b\"}", "[\"x\"]", "\"\"" };
  int ok = 1, round, escaped = 0;
  size_t n, esc_at, which;
  char val[64], txt[256];
  for (which = 0; which < 41 * 42 + 8 && ok; which++) {
    size_t m;
    n = which / 42;
    esc_at = which % 42;          /* 41: no escape; else only if < n */
    if (which >= 41 * 42) {
      snprintf(val, sizeof val, "%s", others[which - 41 * 42]);
    } else {
      if (esc_at < 41 && esc_at + 1 >= n) continue;   /* room for \\n */
      memset(val, 0, sizeof val);
      val[0] = '"';
      memset(val + 1, 'x', n);
      if (esc_at < 41) {
        val[1 + esc_at] = '\\';
        val[2 + esc_at] = 'n';
        escaped++;
      }
      val[n + 1] = '"';
    }
    m = (size_t)snprintf(txt, sizeof txt,
                         "{\"items\": [{\"pad\": 1, \"k\": %s}, {\"pad\": 2, \"k\": %s}]}",
                         val, val);   /* the second read hinted: the hit path */
    for (round = 0; round < 2 && ok; round++) {
      tw_jerr e;
      char *t = malloc(m + 1);
      tw_jdoc *d;
      const tw_jobj *items;
      int nitems, next, i;
      memcpy(t, txt, m + 1);
      d = round ? tw_jdoc_borrow(t, m, "items", &e) : tw_jdoc_parse(t, m, "items", &e);
      if (!d || tw_json_page(d, "items", &items, &nitems, &next, &e) != 0 || nitems != 2) {
        ok = 0;
      } else {
        for (i = 0; i < 4 && ok; i++) {
          tw_jobj o = items[i & 1], o2 = items[i & 1];
          const char *str = (const char *)1, *want = NULL;
          size_t len = 0, wn = 0;
          int esc = 0;
          int v = tw_json_lookup_str(d, &o, "k", 1, i >= 2 ? "k" : NULL, &str, &len);
          int w = tw_json_lookup(d, &o2, "k", 1, NULL);
          if (w >= 0 && tw_json_type(d, w) == TW_JSTRING) {
            want = tw_json_string(d, w, &wn, &esc);
            if (esc) want = NULL;
          }
          ok = v == w && (want ? str == want && len == wn : str == NULL);
        }
        ok = ok && tw_json_lookup_str(d, (tw_jobj *)&items[0], "nope", 4, NULL,
                                      &(const char *){ 0 }, &(size_t){ 0 }) == -1;
      }
      tw_jdoc_release(d);
      free(t);
    }
  }
  CHECK(escaped == 780, "lookup_str: every escape position tried");
  CHECK(ok, "lookup_str: strings of 0-40 bytes, with an escape at each place or none, and every other type, as lookup + tw_json_string");
}

int main(void) {
#ifdef TEST_JSON_EXTRA
  TEST_JSON_EXTRA();         /* test_json_scalar.c, test_json_sse2.c */
#endif
  test_valid_and_invalid();
  test_differential();
  test_lookup();
  test_index_shapes();
  test_unescape();
  test_numbers();
  test_page_shapes();
  test_big_item();
  test_error_shapes();
  test_large_page();
  test_borrow();
  test_spaced_pages();
  test_chain_pages();
  test_chain_cases();
  test_big_items();
  test_chain_item_ends();
  test_single_record_growth();
  test_hint_cache();
  test_hint_hits();
  test_hint_slots();
  test_lookup_str();
  return TAP_DONE();
}
