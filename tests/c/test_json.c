/* test_json.c -- the JSON document core (tw_json.c): tokenizing, validation,
 * key lookup, unescaping, numbers, page and error shapes, large pages. */
#include <stdlib.h>
#include <string.h>
#include "tap.h"
#include "tw_json.h"

static tw_jdoc *parse(const char *s, tw_jerr *e) {
  return tw_jdoc_parse(s, strlen(s), e);
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
    tw_jdoc *d = tw_jdoc_parse("{}\0{}", 5, &e);
    CHECK(d == NULL, "embedded NUL rejected");
  }
  {
    tw_jerr e;
    tw_jdoc *d = parse("{\"a\": 1,\n \"b\": x}", &e);
    CHECK(d == NULL, "error reported");
    CHECK_STR(e.msg, "response is not valid JSON at byte 16", "error message gives the byte");
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
  int v, c, count = 0;
  size_t n;
  long long i;
  double x;
  CHECK(d != NULL, "lookup doc parses");
  if (!d) return;
  v = tw_json_find(d, 0, "sid", 3, NULL);
  CHECK(tw_json_type(d, v) == TW_JSTRING, "sid is a string");
  CHECK(strncmp(tw_json_raw(d, v, &n), "PN1", 3) == 0 && n == 3, "sid text");
  v = tw_json_find(d, 0, "capabilities", 12, NULL);
  CHECK(tw_json_type(d, v) == TW_JOBJECT && tw_json_size(d, v) == 2,
        "capabilities object with 2 keys");
  c = tw_json_find(d, v, "sid", 3, NULL);
  CHECK(strncmp(tw_json_raw(d, c, &n), "inner", 5) == 0, "nested lookup stays inside");
  CHECK(tw_json_type(d, tw_json_find(d, v, "sms", 3, NULL)) == TW_JTRUE, "true");
  CHECK(tw_json_type(d, tw_json_find(d, 0, "last", 4, NULL)) == TW_JFALSE, "false after nesting");
  CHECK(tw_json_type(d, tw_json_find(d, 0, "nil", 3, NULL)) == TW_JNULL, "null");
  CHECK(tw_json_find(d, 0, "missing", 7, NULL) == -1, "missing key");
  CHECK(tw_json_find(d, 0, "x", 1, NULL) == -1, "grandchild key is not a child");
  CHECK(tw_json_find(d, 0, "si", 2, NULL) == -1, "prefix is not a match");
  v = tw_json_find(d, 0, "key", 3, NULL);
  CHECK(v >= 0 && strncmp(tw_json_raw(d, v, &n), "escaped key", 11) == 0,
        "escaped key matches its unescaped name");
  {
    const char *raw;
    v = tw_json_find(d, 0, "n", 1, NULL);
    raw = tw_json_raw(d, v, &n);
    CHECK(tw_json_number(raw, n, &i, &x) == 1 && i == 42, "integer");
    v = tw_json_find(d, 0, "f", 1, NULL);
    raw = tw_json_raw(d, v, &n);
    CHECK(tw_json_number(raw, n, &i, &x) == 2 && x == -150.0, "float");
  }
  v = tw_json_find(d, 0, "arr", 3, NULL);
  for (c = tw_json_next_child(d, v, -1); c >= 0; c = tw_json_next_child(d, v, c))
    count++;
  CHECK(count == 3, "array children skip nested subtrees");
  count = 0;
  for (c = tw_json_next_child(d, 0, -1); c >= 0; c = tw_json_next_child(d, 0, c))
    count++;
  CHECK(count == tw_json_size(d, 0) && count == 9, "object children are its keys");
  /* the hint: same pointer, right answers even when the layout differs */
  {
    static const char key[] = "last";
    int a = tw_json_find(d, 0, key, 4, key);
    int b = tw_json_find(d, 0, key, 4, key);
    int o = tw_json_find(d, v, key, 4, key);      /* arr is not an object */
    int cap = tw_json_find(d, 0, "capabilities", 12, NULL);
    int m = tw_json_find(d, cap, key, 4, key);     /* other object, no key */
    CHECK(a == b && a >= 0, "hinted lookup repeats");
    CHECK(o == -1 && m == -1, "hint never answers for another object");
  }
  tw_jdoc_release(d);
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
  int items, next;
  tw_jdoc *d = parse("{\"things\":[{\"a\":1},{}],\"next_page_uri\":\"/p?Page=1\"}", &e);
  CHECK(tw_json_page(d, "things", &items, &next, &e) == 0, "page ok");
  CHECK(tw_json_size(d, items) == 2 && next >= 0, "page items and next");
  CHECK(tw_json_page(d, "other", &items, &next, &e) == -1 &&
        strcmp(e.msg, "page has no 'other' array") == 0, "no items array");
  tw_jdoc_release(d);
  d = parse("{\"things\":[{},3],\"next_page_uri\":null}", &e);
  CHECK(tw_json_page(d, "things", &items, &next, &e) == -1 &&
        strstr(e.msg, "item 2 of 'things' is not an object") != NULL, "non-object item");
  tw_jdoc_release(d);
  d = parse("{\"things\":[],\"next_page_uri\":\"\"}", &e);
  CHECK(tw_json_page(d, "things", &items, &next, &e) == 0 && next == -1,
        "empty next_page_uri is none");
  tw_jdoc_release(d);
  d = parse("{\"things\":{}}", &e);
  CHECK(tw_json_page(d, "things", &items, &next, &e) == -1, "items not an array");
  tw_jdoc_release(d);
  d = parse("[{}]", &e);
  CHECK(tw_json_page(d, "things", &items, &next, &e) == -1 &&
        strstr(e.msg, "not a JSON object") != NULL, "array body");
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
  tw_jdoc *d = tw_jdoc_parse(s, len, &e);
  int items, next, it, k = 0, ok = 1;
  static const char key[] = "n";
  free(s);                            /* the doc has its own copy */
  CHECK(d != NULL, "large page parses (token array grows)");
  if (!d) return;
  CHECK(tw_json_page(d, "incoming_phone_numbers", &items, &next, &e) == 0 &&
        next == -1, "large page shape");
  CHECK(tw_json_size(d, items) == 5000, "5000 items");
  for (it = tw_json_next_child(d, items, -1); it >= 0;
       it = tw_json_next_child(d, items, it), k++) {
    size_t n;
    long long i;
    double x;
    int v = tw_json_find(d, it, key, 1, key);
    const char *raw = tw_json_raw(d, v, &n);
    if (tw_json_number(raw, n, &i, &x) != 1 || i != k) ok = 0;
  }
  CHECK(ok && k == 5000, "every item's field found through the hint");
  tw_jdoc_retain(d);
  tw_jdoc_release(d);
  CHECK(tw_jdoc_ntokens(d) > 5000, "still alive after retain/release pair");
  tw_jdoc_release(d);
}

int main(void) {
  test_valid_and_invalid();
  test_lookup();
  test_unescape();
  test_numbers();
  test_page_shapes();
  test_error_shapes();
  test_large_page();
  return TAP_DONE();
}
