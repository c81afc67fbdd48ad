/* test_record_doc.c -- the memory of a single record's doc (tw_json.c
 * one_layout): a bulk call keeps one per result, so a Twilio number's
 * doc must stay right-sized (its struct, one item slot, its members'
 * index, the lookup cache), and records denser or larger than
 * the first estimate must still read every member (the arrays grow). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
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

int main(void) {
  test_number();
  test_dense();
  return TAP_DONE();
}
