/* test_webhook.c -- X-Twilio-Signature core (src/tw_webhook.c): signed
 * string, port variants, HMAC-SHA1/SHA256, SHA-256, constant-time compare.
 * Vectors: ../shared/docs/PLAYBOOKS-WEBHOOKS.md section 3 (copied numbers
 * only; the full set runs from ../shared in spec/webhook_spec.lua). */
#include <stdlib.h>
#include <string.h>
#include "tap.h"
#include "tw_webhook.h"

#define P(k, v) { k, sizeof k - 1, v, sizeof v - 1 }
static const char U[] = "https://mycompany.com/myapp.php?foo=1&bar=2";

static char *input(const char *url, tw_wh_param *p, size_t n, size_t *len) {
  size_t ul = strlen(url), total;
  char *buf;
  n = tw_wh_params_normalize(p, n);
  total = tw_wh_input_len(ul, p, n);
  buf = malloc(total + 1);                 /* owned by the caller (free) */
  if (!buf) exit(2);
  *len = tw_wh_input(buf, url, ul, p, n);
  buf[*len] = '\0';
  return buf;
}

static void sig_of(char *out, const char *key, const char *url, tw_wh_param *p, size_t n,
                   tw_wh_alg alg) {
  size_t len;
  char *in = input(url, p, n, &len);
  tw_wh_sign(out, alg, key, strlen(key), in, len);
  free(in);
}

static const char *variant(const char *url, int *added) {
  static char out[256];
  size_t n = tw_wh_port_variant(out, url, strlen(url), added);
  out[n] = '\0';
  return n ? out : NULL;
}

int main(void) {
  char sig[TW_WH_SIG_MAX], hex[65];
  size_t len;
  int added = -1;
  char *in;
  {
    tw_wh_param p[] = { P("To", "+18005551212"), P("CallSid", "CA1234567890ABCDE"),
                        P("Digits", "1234"), P("Caller", "+14158675309"),
                        P("From", "+14158675309") };
    sig_of(sig, "12345", U, p, 5, TW_WH_SHA1);
    CHECK_STR(sig, "RSOYDt4T1cUTdK1PDd93/VVr8B8=", "basic vector, params in any order");
    sig_of(sig, "12345", "https://mycompany.com:443/myapp.php?foo=1&bar=2", p, 5, TW_WH_SHA1);
    CHECK_STR(sig, "kvajT1Ptam85bY51eRf/AJRuM3w=", ":443 vector");
  }
  {
    tw_wh_param p[] = { P("Sid", "CA123"), P("SidAccount", "AC123"), P("Digits", "5678"),
                        P("Digits", "1234"), P("Digits", "1234") };
    in = input(U, p, 5, &len);
    CHECK_STR(in, "https://mycompany.com/myapp.php?foo=1&bar=2Digits1234Digits5678SidCA123SidAccountAC123",
              "repeated key: unique values, sorted; keys sorted");
    tw_wh_sign(sig, TW_WH_SHA1, "12345", 5, in, len);
    CHECK_STR(sig, "IK+Dwps556ElfBT0I3Rgjkr1wJU=", "repeated-keys vector");
    free(in);
  }
  {
    tw_wh_param p[] = { P("ReasonConferenceEnded", "test"), P("Reason", "Participant") };
    in = input("u", p, 2, &len);
    CHECK_STR(in, "uReasonParticipantReasonConferenceEndedtest", "sorted by key, not key+value");
    free(in);
  }
  {
    tw_wh_param p[] = { P("a", ""), P("", "x"), P("a", "") };
    in = input("u", p, 3, &len);
    CHECK_STR(in, "uxa", "empty names and values kept, exact repeats dropped");
    free(in);
  }
  CHECK_STR(variant("https://mycompany.com/myapp.php?x=1", &added),
            "https://mycompany.com:443/myapp.php?x=1", "https: :443 added");
  CHECK(added == 1, "added flag");
  CHECK_STR(variant("http://mycompany.com", &added), "http://mycompany.com:80", "http, no path: :80 added");
  CHECK_STR(variant("HTTP://h?q=a:b", &added), "HTTP://h:80?q=a:b", "scheme case-insensitive; ':' in query ignored");
  CHECK_STR(variant("https://user:pass@h.com:1234/p", &added), "https://user:pass@h.com/p",
            "port stripped, userinfo kept");
  CHECK(added == 0, "stripped flag");
  CHECK_STR(variant("https://user:pass@h.com/p", &added), "https://user:pass@h.com:443/p",
            "userinfo colon is not a port");
  CHECK_STR(variant("http://[::1]:8080/x", &added), "http://[::1]/x", "IPv6 literal port stripped");
  CHECK_STR(variant("http://[::1]/x", &added), "http://[::1]:80/x", "IPv6 literal port added");
  CHECK(variant("ftp://h/x", &added) == NULL, "not http(s): no variant");
  CHECK(variant("https:///x", &added) == NULL, "no host: no variant");
  CHECK(variant("http://[::1/x", &added) == NULL, "unclosed IPv6 literal: no variant");
  CHECK(variant("https://", &added) == NULL, "scheme only: no variant");

  CHECK(tw_wh_sha256_hex(hex, "{\"property\": \"value\", \"boolean\": true}", 38) == 64, "sha256 length");
  CHECK_STR(hex, "0a1ff7634d9ab3b95db5c9a2dfe9416e41502b283a80c7cf19632632f96e6620", "sha256 of the JSON vector body");
  tw_wh_sha256_hex(hex, "", 0);
  CHECK_STR(hex, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855", "sha256 of nothing");

  /* RFC 4231 test case 2: HMAC-SHA256("Jefe", "what do ya want for nothing?") */
  tw_wh_sign(sig, TW_WH_SHA256, "Jefe", 4, "what do ya want for nothing?", 28);
  CHECK_STR(sig, "W9zBRr9gdU5qBCQmCJV1x1oAPwidJzmDnexYuWTsOEM=",
            "HMAC-SHA256 (RFC 4231 case 2: 5bdcc146...64ec3843), base64");
  CHECK(tw_wh_sign(sig, TW_WH_SHA1, "", 0, "", 0) == 28, "empty key and data sign");

  CHECK(tw_wh_equal("abc", 3, "abc", 3), "equal");
  CHECK(!tw_wh_equal("abc", 3, "abd", 3), "differs in the last byte");
  CHECK(!tw_wh_equal("abc", 3, "ab", 2), "prefix is not equal");
  CHECK(!tw_wh_equal("", 0, "a", 1), "empty vs one byte");
  CHECK(tw_wh_equal("", 0, "", 0), "both empty");
  {
    const char *keys[] = { "wrong", "12345", "12345" };
    size_t lens[] = { 5, 5, 5 };
    tw_wh_param p[] = { P("CallSid", "CA1234567890ABCDE"), P("Caller", "+14158675309"),
                        P("Digits", "1234"), P("From", "+14158675309"), P("To", "+18005551212") };
    in = input(U, p, 5, &len);
    CHECK(tw_wh_verify(TW_WH_SHA1, keys, lens, 3, in, len, "RSOYDt4T1cUTdK1PDd93/VVr8B8=", 28) == 2,
          "verify: index of the first matching key");
    CHECK(tw_wh_verify(TW_WH_SHA1, keys, lens, 1, in, len, "RSOYDt4T1cUTdK1PDd93/VVr8B8=", 28) == 0,
          "verify: no match");
    CHECK(tw_wh_verify(TW_WH_SHA256, keys, lens, 3, in, len, "RSOYDt4T1cUTdK1PDd93/VVr8B8=", 28) == 0,
          "verify: a SHA1 signature does not pass as SHA256");
    free(in);
  }
  return TAP_DONE();
}
