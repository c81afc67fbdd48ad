/* test_record_doc.c -- the memory of a single record's doc (tw_json.c
 * one_layout): a bulk call keeps one per result, so a Twilio number's
 * doc must stay right-sized (its struct, one item slot, its members'
 * index, the lookup cache), and records denser or larger than
 * the first estimate must still read every member (the arrays grow). */
#include <stdio.h>
#include <stdlib.h>
#include <signal.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>
#include "tap.h"
#include "tw_json.h"

/* A Twilio number as the API returns it: 1,339 bytes, 36 members. */
static const char NUMBER[] =
  "{\"account_sid\": \"AC2db1ff973ceb1f91350ab8325c2312a3\", \"address_requirements\": \"none\", "
  "\"address_sid\": null, \"api_version\": \"2010-04-01\", \"beta\": false, \"capabilities\": "
  "{\"voice\": true, \"sms\": true, \"mms\": true, \"fax\": false}, \"date_created\": \"Sat, 05 "
  "Dec 2026 00:35:19 +0000\", \"date_updated\": \"Sat, 05 Dec 2026 00:35:19 +0000\", "
  "\"emergency_status\": \"Inactive\", \"emergency_address_sid\": null, "
  "\"emergency_address_status\": \"unregistered\", \"friendly_name\": \"(200) 000-0001\", "
  "\"identity_sid\": null, \"origin\": \"twilio\", \"phone_number\": \"+12000000001\", \"sid\": "
  "\"PN1558a3ff0d961ec30000000000000001\", \"sms_application_sid\": \"\", "
  "\"sms_fallback_method\": \"POST\", \"sms_fallback_url\": \"\", \"sms_method\": \"POST\", "
  "\"sms_url\": \"\", \"status_callback\": \"\", \"status_callback_method\": \"POST\", "
  "\"trunk_sid\": null, \"uri\": \"/2010-04-01/Accounts/AC2db1ff973ceb1f91350ab8325c2312a3/"
  "IncomingPhoneNumbers/PN1558a3ff0d961ec30000000000000001.json\", \"voice_application_sid\": "
  "\"\", \"voice_caller_id_lookup\": false, \"voice_fallback_method\": \"POST\", "
  "\"voice_fallback_url\": null, \"voice_method\": \"POST\", \"voice_url\": null, \"bundle_sid\": "
  "null, \"voice_receive_mode\": \"voice\", \"status\": \"in-use\", \"subresource_uris\": "
  "{\"assigned_add_ons\": \"/2010-04-01/Accounts/AC2db1ff973ceb1f91350ab8325c2312a3/"
  "IncomingPhoneNumbers/PN1558a3ff0d961ec30000000000000001/AssignedAddOns.json\"}, \"type\": "
  "\"local\"}";

static int reads(tw_jdoc *d, const char *key, const char *want) {
  tw_jobj o = *tw_jdoc_root_obj(d);
  size_t n;
  int v = tw_json_lookup(d, &o, key, strlen(key), NULL);
  const char *s;
  if (v < 0 || tw_json_type(d, v) != TW_JSTRING) return 0;
  s = tw_json_string(d, v, &n, &(int){ 0 });
  return n == strlen(want) && memcmp(s, want, n) == 0;
}

static void test_number(void) {
  tw_jerr e;
  tw_jdoc *d = tw_jdoc_borrow(NUMBER, sizeof NUMBER - 1, NULL, &e);
  CHECK(d != NULL, "a Twilio number parses as a single record");
  if (!d) return;
  CHECK(sizeof NUMBER - 1 == 1339 && tw_json_size(d, tw_jdoc_root(d)) == 36,
        "the number is 1,339 bytes with 36 members");
  /* 780 bytes before (5 items); 652 with one: the struct 240, one item
   * 32, 63 members 252, the lookup cache 128 */
  CHECK(tw_jdoc_bytes(d) <= 660, "its doc takes at most 660 bytes");
  if (tw_jdoc_bytes(d) > 660) printf("#   %zu bytes\n", tw_jdoc_bytes(d));
  CHECK(reads(d, "sid", "PN1558a3ff0d961ec30000000000000001") && reads(d, "type", "local") &&
        reads(d, "account_sid", "AC2db1ff973ceb1f91350ab8325c2312a3"),
        "its first, last and other members read");
  tw_jdoc_release(d);
}

/* n members of b bytes each: denser (b small) than the first estimate of
 * the index, or not; every member reads. */
static void test_dense(void) {
  static const size_t counts[] = { 1, 7, 8, 9, 40, 41, 100, 3000 };
  size_t c;
  int ok = 1;
  for (c = 0; c < sizeof counts / sizeof counts[0]; c++) {
    size_t n = counts[c], i, len = 0, cap = n * 24 + 16;
    char *s = malloc(cap);
    tw_jerr e;
    tw_jdoc *d;
    if (!s) { ok = 0; break; }
    len += (size_t)snprintf(s + len, cap - len, "{");
    for (i = 0; i < n; i++)
      len += (size_t)snprintf(s + len, cap - len, "%s\"k%zu\":\"%zu\"", i ? "," : "", i, i);
    len += (size_t)snprintf(s + len, cap - len, "}");
    d = tw_jdoc_borrow(s, len, NULL, &e);
    if (!d) ok = 0;
    for (i = 0; d && i < n; i++) {
      char k[24], v[24];
      snprintf(k, sizeof k, "k%zu", i);
      snprintf(v, sizeof v, "%zu", i);
      if (!reads(d, k, v)) ok = 0;
    }
    tw_jdoc_release(d);
    free(s);
  }
  CHECK(ok, "records of 1 to 3,000 short members (past the first index size) read every member");
}

/* The string value of key in d, read with hint through the lookup a record
 * uses, into out (at most 31 bytes), or "" when missing. */
static const char *read_str(tw_jdoc *d, const char *key, const void *hint, char *out) {
  tw_jobj o = *tw_jdoc_root_obj(d);
  const char *s;
  size_t n;
  int v = tw_json_lookup_str(d, &o, key, strlen(key), hint, &s, &n);
  out[0] = '\0';
  if (v >= 0 && s && n < 32) {
    memcpy(out, s, n);
    out[n] = '\0';
  }
  return out;
}

/* Single records' docs sharing one lookup cache (tw_jhints, what
 * ltw_record.c's single_kind holds per kind): a read on one record is a
 * hint for the next record's first read of that key, every hit verified. */
static void test_shared_hints(void) {
  static const char A[] = "{\"a\":1,\"b\":2,\"sid\":\"PNa\",\"t\":\"x\"}";
  static const char B[] = "{\"sid\":\"PNb\",\"a\":1,\"s\":\"z\",\"t\":\"y\"}";
  /* a key twice: which occurrence a hinted lookup finds shows the hint */
  static const char DUP[] = "{\"sid\":\"first\",\"q\":0,\"sid\":\"third\"}";
  static const char key_sid[] = "sid", key_t[] = "t";
  void *mem = malloc(tw_jhints_size());
  tw_jhints *h = mem ? tw_jhints_init(mem) : NULL;
  tw_jerr e;
  tw_jdoc *a, *b, *dup, *own;
  char out[32];
  int ok = 1, i;
  if (!h) {
    CHECK(0, "out of memory");
    return;
  }
  for (i = 0; i < 3; i++) {            /* layouts alternate: every hint verified */
    a = tw_jdoc_borrow_hinted(A, sizeof A - 1, h, &e);
    b = tw_jdoc_borrow_hinted(B, sizeof B - 1, h, &e);
    if (!a || !b) ok = 0;
    if (a && b) {
      ok &= strcmp(read_str(a, "sid", key_sid, out), "PNa") == 0;
      ok &= strcmp(read_str(b, "sid", key_sid, out), "PNb") == 0;
      ok &= strcmp(read_str(a, "t", key_t, out), "x") == 0;
      ok &= strcmp(read_str(b, "t", key_t, out), "y") == 0;
      ok &= strcmp(read_str(a, "sid", key_sid, out), "PNa") == 0;
      ok &= strcmp(read_str(b, "nope", key_sid, out), "") == 0;   /* a hint, no such key */
    }
    tw_jdoc_release(a);
    tw_jdoc_release(b);
  }
  CHECK(ok, "single records of two layouts sharing a lookup cache read their own members");
  /* A's layout puts "sid" at member 2; a fresh doc sharing the cache takes
   * that guess first (verified: DUP's member 2 is a "sid"), a doc with a
   * cache of its own scans and finds the first */
  a = tw_jdoc_borrow_hinted(A, sizeof A - 1, h, &e);
  dup = tw_jdoc_borrow_hinted(DUP, sizeof DUP - 1, h, &e);
  own = tw_jdoc_borrow(DUP, sizeof DUP - 1, NULL, &e);
  ok = a && dup && own;
  if (ok) {
    ok &= strcmp(read_str(a, "sid", key_sid, out), "PNa") == 0;
    ok &= strcmp(read_str(own, "sid", key_sid, out), "first") == 0;
    ok &= strcmp(read_str(dup, "sid", key_sid, out), "third") == 0;
  }
  CHECK(ok, "a fresh doc's first read takes the key's place from the shared cache");
  tw_jdoc_release(a);
  tw_jdoc_release(dup);
  tw_jdoc_release(own);
  free(mem);
}

/* A single record's doc in the caller's block (tw_jdoc_parse_in: LuaJIT's
 * single records): its own copy of the body, nothing malloc'd for a
 * Twilio number (tw_jdoc_external 0: no finalizer needed), what a denser
 * record grows into freed by its last release (ASan's leak check). */
static void test_in_place(void) {
  size_t need = tw_jdoc_in_size(sizeof NUMBER - 1), i, len = 0;
  void *hm = malloc(tw_jhints_size());
  char *mem = malloc(need + 64), *copy = malloc(sizeof NUMBER), *s;
  tw_jhints *h = hm ? tw_jhints_init(hm) : NULL;
  tw_jerr e;
  tw_jdoc *d;
  int ok;
  if (!mem || !copy || !h) {
    CHECK(0, "out of memory");
    return;
  }
  memcpy(copy, NUMBER, sizeof NUMBER);
  CHECK(need > sizeof NUMBER && need < sizeof NUMBER + 700,
        "a number's block: its body and under 700 bytes more");
  CHECK(tw_jdoc_parse_in(mem, need - 1, copy, sizeof NUMBER - 1, h, &e) == NULL &&
        strstr(e.msg, "too small") != NULL, "a block too small is refused");
  d = tw_jdoc_parse_in(mem, need, copy, sizeof NUMBER - 1, h, &e);
  CHECK(d != NULL && (char *)d == mem, "a number parses in the caller's block");
  if (!d) return;
  memset(copy, 'x', sizeof NUMBER - 1);   /* the caller's bytes may go */
  ok = reads(d, "sid", "PN1558a3ff0d961ec30000000000000001") && reads(d, "type", "local");
  CHECK(ok, "it reads its own copy of the body");
  CHECK(!tw_jdoc_external(d) && tw_jdoc_bytes(d) == 0,
        "it holds no memory of its own (no finalizer needed)");
  tw_jdoc_release(d);                     /* frees nothing; mem stays ours */
  CHECK(tw_jdoc_parse_in(mem, need, "[1]", 3, h, &e) != NULL,
        "a block fits a smaller body");
  CHECK(tw_jdoc_parse_in(mem, need, "{\"a\":", 5, h, &e) == NULL &&
        strstr(e.msg, "truncated") != NULL, "invalid JSON is refused as by tw_jdoc_parse");
  free(mem);
  /* 3,000 members: more than the block's index holds */
  s = malloc(40000);
  if (!s) return;
  len += (size_t)snprintf(s, 40000, "{");
  for (i = 0; i < 3000; i++)
    len += (size_t)snprintf(s + len, 40000 - len, "%s\"k%zu\":%zu", i ? "," : "", i, i);
  len += (size_t)snprintf(s + len, 40000 - len, "}");
  need = tw_jdoc_in_size(len);
  mem = malloc(need);
  d = mem ? tw_jdoc_parse_in(mem, need, s, len, h, &e) : NULL;
  if (d) {
    tw_jobj o = *tw_jdoc_root_obj(d);
    int v = tw_json_lookup(d, &o, "k2999", 5, NULL);
    size_t n;
    const char *raw = v >= 0 ? tw_json_raw(d, v, &n) : NULL;
    ok = raw && n == 4 && memcmp(raw, "2999", 4) == 0;
    if (!ok || !tw_jdoc_external(d) || !tw_jdoc_bytes(d))
      printf("#   read %d external %d bytes %zu\n", ok, tw_jdoc_external(d), tw_jdoc_bytes(d));
  }
  CHECK(d && ok && tw_jdoc_external(d) && tw_jdoc_bytes(d) > 0,
        "a denser record grows its index outside the block: external, then freed");
  tw_jdoc_release(d);
  free(mem);
  free(s);
  free(copy);
  free(hm);
}

/* A number parsed in place needs no finalizer (tw_jdoc_external 0), so
 * its doc is sealed: taking memory of its own (a nested object's key
 * index) would leak from a record without __gc. Under ASan (this test's
 * build) that aborts at once: a child process tries it. */
static void test_sealed(void) {
  size_t need = tw_jdoc_in_size(sizeof NUMBER - 1);
  void *hm = malloc(tw_jhints_size());
  char *mem = malloc(need);
  int status = 0;
  pid_t pid;
  if (!mem || !hm) {
    CHECK(0, "out of memory");
    free(mem);
    free(hm);
    return;
  }
  fflush(stdout);
  pid = fork();
  if (pid == 0) {
    tw_jerr e;
    tw_jdoc *d = tw_jdoc_parse_in(mem, need, NUMBER, sizeof NUMBER - 1,
                                  tw_jhints_init(hm), &e);
    tw_jobj o;
    int v;
    if (!d || tw_jdoc_external(d)) _exit(3);
    o = *tw_jdoc_root_obj(d);
    v = tw_json_lookup(d, &o, "sid", 3, NULL);            /* allowed */
    if (v < 0) _exit(4);
    v = tw_json_lookup(d, &o, "capabilities", 12, NULL);
    o = tw_json_obj(d, v);
    tw_json_lookup(d, &o, "sms", 3, NULL);                /* builds an index */
    _exit(0);
  }
  CHECK(pid > 0 && waitpid(pid, &status, 0) == pid && WIFSIGNALED(status) &&
        WTERMSIG(status) == SIGABRT,
        "a sealed in-place doc taking memory of its own aborts under ASan");
  free(mem);
  free(hm);
}

int main(void) {
  test_in_place();
  test_sealed();
  test_number();
  test_dense();
  test_shared_hints();
  return TAP_DONE();
}
