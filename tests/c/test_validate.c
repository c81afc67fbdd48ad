/* test_validate.c -- validators and operation tables (src/tw_validate.c,
 * src/tw_ops.c). */
#include "tap.h"
#include "tw_ops.h"
#include "tw_validate.h"

#define S(x) x, (sizeof(x) - 1)
#define HEX32 "0123456789abcdefABCDEF0123456789"

static const tw_param *param(const char *op, const char *name) {
  const tw_op *o = tw_op_find(op, strlen(op));
  return o ? tw_op_param(o, name, strlen(name)) : NULL;
}

/* The SID character set, byte by byte (issue 16): every one of the 256 byte
 * values at every position of a valid SID. Positions 0-1 accept only the
 * prefix's own letters, positions 2-33 exactly [0-9a-fA-F]. One CHECK per
 * position; the first wrong byte is printed. */
static int is_hex_ref(int c) {
  return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

static void sid_charset(void) {
  char s[40], name[128];
  size_t pos, len;
  int c, kinds;
  memcpy(s, "PN" HEX32, 34);
  for (pos = 0; pos < 34; pos++) {
    int bad = -1;
    for (c = 0; c < 256; c++) {
      int want = pos < 2 ? c == "PN"[pos] : is_hex_ref(c);
      char keep = s[pos];
      s[pos] = (char)c;
      if (tw_valid_sid(s, 34, "PN") != want && bad < 0) bad = c;
      /* no other kind ends in N or starts with P: any_sid agrees here */
      if (tw_valid_any_sid(s, 34) != want && bad < 0) bad = 1000 + c;
      s[pos] = keep;
    }
    snprintf(name, sizeof name, "sid byte %u: only %s accepted (first wrong byte: %d, +1000 if any_sid)",
             (unsigned)pos, pos < 2 ? "the prefix letter" : "[0-9a-fA-F]", bad);
    CHECK(bad < 0, name);
  }
  /* every length but 34 is refused, with a well-formed body as far as it goes */
  memcpy(s, "PN" HEX32 "ab", 36);
  for (len = 0, c = -1; len <= 36; len++)
    if (len != 34 && (tw_valid_sid(s, len, "PN") || tw_valid_any_sid(s, len)) && c < 0) c = (int)len;
  CHECK(c < 0, "sid: every length but 34 refused");
  /* tw_valid_any_sid: exactly the ten kinds among all 2-byte prefixes */
  kinds = 0;
  for (c = 0; c < 65536; c++) {
    s[0] = (char)(c >> 8); s[1] = (char)(c & 255);
    memcpy(s + 2, HEX32, 32);
    if (tw_valid_any_sid(s, 34)) kinds++;
  }
  CHECK(kinds == 10, "any_sid: exactly 10 two-letter kinds among all 65536 prefixes");
}

/* The E.164 check, byte by byte (issue 16): +[1-9][0-9]{1,14}. */
static void e164_charset(void) {
  char s[24], name[128];
  size_t pos, n;
  int c;
  memcpy(s, "+123456789012345", 16);
  for (pos = 0; pos < 16; pos++) {
    int bad = -1;
    for (c = 0; c < 256; c++) {
      int want = pos == 0 ? c == '+' : pos == 1 ? (c >= '1' && c <= '9') : (c >= '0' && c <= '9');
      char keep = s[pos];
      s[pos] = (char)c;
      if (tw_valid_e164(s, 16) != want && bad < 0) bad = c;
      s[pos] = keep;
    }
    snprintf(name, sizeof name, "e164 byte %u: only %s accepted (first wrong: %d)", (unsigned)pos,
             pos == 0 ? "'+'" : pos == 1 ? "1-9" : "0-9", bad);
    CHECK(bad < 0, name);
  }
  /* lengths: "+" and 1..17 digits; 2..15 digits are valid */
  for (n = 1, c = -1; n <= 18; n++) {
    int want = n >= 3 && n <= 16;
    memcpy(s, "+12345678901234567", 18);
    if (tw_valid_e164(s, n) != want && c < 0) c = (int)n;
  }
  snprintf(name, sizeof name, "e164: 2 to 15 digits, no fewer, no more (first wrong length: %d)", c);
  CHECK(c < 0, name);
  CHECK(!tw_valid_e164(S("")), "e164: empty");
  CHECK(!tw_valid_e164(S("++14155550100")), "e164: two +");
  CHECK(!tw_valid_e164(S("+14155550100+")), "e164: trailing +");
  CHECK(!tw_valid_e164("+1415\0" "555010", 12), "e164: NUL inside");
}

/* The byte-by-byte text walk the class table replaced: the oracle. */
static int ref_scan(const unsigned char *s, size_t n, int free_text) {
  size_t i;
  int crlf = 0, ctl = 0;
  unsigned char hi = 0;
  for (i = 0; i < n; i++) {
    unsigned char c = s[i];
    hi |= c;
    if (c == 0) return TW_TEXT_NUL;
    if (c == '\r' || c == '\n') { if (!free_text) crlf = 1; }
    else if (c == '\t') { if (!free_text) ctl = 1; }
    else if (c < 0x20 || c == 0x7F) ctl = 1;
  }
  if (crlf) return TW_TEXT_CRLF;
  if (ctl) return TW_TEXT_CTL;
  if ((hi & 0x80) && tw_utf8_count((const char *)s, n) < 0) return TW_TEXT_UTF8;
  return TW_TEXT_OK;
}

/* tw_scan_text equals the oracle for every byte, every pair of bytes
 * (their order decides: NUL over CR/LF over the rest), both text kinds. */
static int scan_matches(void) {
  unsigned char s[5] = { 'a', 0, 'b', 0, 'c' };
  unsigned a, b;
  int f;
  for (f = 0; f <= 1; f++)
    for (a = 0; a < 256; a++)
      for (b = 0; b < 256; b += (a < 0x80 ? 1 : 17)) {
        s[1] = (unsigned char)a;
        s[3] = (unsigned char)b;
        if (tw_scan_text((const char *)s, 5, f) != ref_scan(s, 5, f)) return 0;
        if (tw_scan_text((const char *)s, 2, f) != ref_scan(s, 2, f)) return 0;
      }
  return 1;
}

/* A SID with each byte of its 32 in turn replaced by every byte value:
 * valid exactly when that byte is a hex digit. */
static int sid_bytes(void) {
  char sid[35] = "PN0123456789abcdef0123456789ABCDEF";
  int i, c;
  for (i = 2; i < 34; i++) {
    char keep = sid[i];
    for (c = 0; c < 256; c++) {
      int hex = (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
      sid[i] = (char)c;
      if (tw_valid_sid(sid, 34, "PN") != hex) return 0;
    }
    sid[i] = keep;
  }
  return 1;
}

/* Each byte value in the scheme, the userinfo, the host, the path and the
 * query of an http(s) URL:
 * every position refuses a byte outside K_URL (control bytes, non-ASCII,
 * "<>\\^`{|} and the double quote), and the scheme takes its letters in any
 * case and its ':' and '/' exactly. */
static int url_bytes_of(const char *base) {
  char u[40];
  size_t n = strlen(base), i;
  int c;
  for (i = 0; i < n; i++) {
    for (c = 0; c < 256; c++) {
      int ok, want;
      memcpy(u, base, n);
      u[i] = (char)c;
      ok = tw_valid_http_url(u, n);
      if (c == (unsigned char)base[i]) want = 1;
      else if (i < 5 && base[i] >= 'a' && base[i] <= 'z' && c == base[i] - 32) want = 1;
      else if (c < 0x21 || c >= 0x7F || strchr("\"<>\\^`{|}", c)) want = 0;
      else continue;                 /* a printable byte: the grammar decides */
      if (ok != want) return 0;
    }
  }
  return 1;
}

static int url_bytes(void) {     /* with and without userinfo */
  return url_bytes_of("https://example.com/a") && url_bytes_of("http://us:pw@example.com/a?b");
}

int main(void) {
  char buf[128];
  size_t i;
  const tw_param *p;
  tw_base b;
  const char *why;

  /* SIDs */
  CHECK(tw_valid_sid(S("PN" HEX32), "PN"), "PN sid");
  CHECK(!tw_valid_sid(S("PN" HEX32), "AC"), "PN is not AC");
  CHECK(!tw_valid_sid(S("pn" HEX32), "PN"), "prefix is upper-case");
  CHECK(!tw_valid_sid(S("PN0123456789abcdef0123456789abcdeg"), "PN"), "non-hex");
  CHECK(!tw_valid_sid(S("PN0123456789abcdef0123456789abcde"), "PN"), "33 chars");
  CHECK(!tw_valid_sid(S("PN/../0123456789abcdef0123456789ab"), "PN"), "slash");
  CHECK(!tw_valid_sid("PN0123456789abcdef0123456789abcd\0e", 34, "PN"), "NUL");
  CHECK(tw_valid_any_sid(S("SK" HEX32)) && tw_valid_any_sid(S("XF" HEX32)),
        "any known sid kind");
  CHECK(!tw_valid_any_sid(S("ZZ" HEX32)), "unknown kind");

  /* E.164 */
  CHECK(tw_valid_e164(S("+14155550100")), "e164");
  CHECK(tw_valid_e164(S("+44")), "shortest e164");
  CHECK(tw_valid_e164(S("+123456789012345")), "15 digits");
  CHECK(!tw_valid_e164(S("+1234567890123456")), "16 digits");
  CHECK(!tw_valid_e164(S("14155550100")), "no +");
  CHECK(!tw_valid_e164(S("+04155550100")), "leading 0");
  CHECK(!tw_valid_e164(S("+1 415 555 0100")), "spaces");
  CHECK(!tw_valid_e164(S("+")), "bare +");

  sid_charset();
  e164_charset();

  /* list filter */
  CHECK(tw_valid_phone_filter(S("+1415*******")), "filter with wildcards");
  CHECK(tw_valid_phone_filter(S("867")), "partial digits");
  CHECK(!tw_valid_phone_filter(S("***")), "only wildcards");
  CHECK(!tw_valid_phone_filter(S("+")), "bare +");
  CHECK(!tw_valid_phone_filter(S("415-555")), "dash");

  /* Contains */
  CHECK(tw_valid_contains(S("510555****")), "contains trailing *");
  CHECK(tw_valid_contains(S("%STORM%")), "contains % both ends");
  CHECK(tw_valid_contains(S("+1415")), "anchor start");
  CHECK(tw_valid_contains(S("5550100$")), "anchor end");
  CHECK(tw_valid_contains(S("STORM")), "letters");
  CHECK(!tw_valid_contains(S("5")), "too short");
  CHECK(!tw_valid_contains(S("12345678901234567")), "too long");
  CHECK(!tw_valid_contains(S("51*55")), "wildcard between digits");
  CHECK(!tw_valid_contains(S("+*555")), "anchor next to wildcard");
  CHECK(!tw_valid_contains(S("555*$")), "wildcard next to end anchor");
  CHECK(!tw_valid_contains(S("%%55")), "%% adjacent");
  CHECK(!tw_valid_contains(S("*5")), "one char with wildcard");
  CHECK(!tw_valid_contains(S("55 5")), "space");
  CHECK(!tw_valid_contains(S("5\xc3\xa9")), "accented letter");
  CHECK(!tw_valid_contains(S("5+5")), "+ in the middle");

  CHECK(tw_valid_area_code(S("415")) && !tw_valid_area_code(S("41")) &&
        !tw_valid_area_code(S("015")) && !tw_valid_area_code(S("4155")),
        "area code strings");
  CHECK(tw_valid_area_code_int(415) && !tw_valid_area_code_int(99) &&
        !tw_valid_area_code_int(1000), "area code integers");
  CHECK(tw_valid_country(S("US")) && !tw_valid_country(S("us")) &&
        !tw_valid_country(S("USA")) && !tw_valid_country(S("U/")), "country");
  CHECK(tw_valid_latlong(S("37.840699,-122.461853")), "lat,long");
  CHECK(tw_valid_latlong(S("-90,180")), "lat,long bounds");
  CHECK(!tw_valid_latlong(S("90.1,0")) && !tw_valid_latlong(S("0,180.5")),
        "lat,long out of range");
  CHECK(!tw_valid_latlong(S("37.8, -122.4")) && !tw_valid_latlong(S("37.8")),
        "lat,long malformed");
  CHECK(tw_valid_api_version(S("2010-04-01")) &&
        !tw_valid_api_version(S("2010-4-1")), "api version");

  /* URLs */
  CHECK(tw_valid_http_url(S("https://example.com/voice?x=1")), "https url");
  CHECK(url_bytes(), "each byte value at each position of an https URL: outside K_URL "
        "refused everywhere, the scheme's letters in any case");
  CHECK(tw_valid_http_url(S("hTtPs://example.com")) && tw_valid_http_url(S("Http://x.test")),
        "scheme in mixed case");
  CHECK(!tw_valid_http_url(S("http\x1a//example.com")) && !tw_valid_http_url(S("https\x1a//x.test")) &&
        !tw_valid_http_url(S("http:\x0f/x.test")) && !tw_valid_http_url(S("httpS:/x.test")),
        "the scheme's ':' and '/' exactly (no case folding of punctuation)");
  CHECK(scan_matches(), "tw_scan_text equals the byte-by-byte walk for every byte pair, "
        "line and free text");
  CHECK(sid_bytes(), "a SID with any one of its 32 bytes replaced: valid iff hex");
  CHECK(tw_valid_http_url(S("HTTP://example.com")), "scheme case-insensitive");
  CHECK(tw_valid_http_url(S("https://user:pw@example.com:8443/x")), "userinfo+port");
  CHECK(tw_valid_http_url(S("http://[::1]:8080/")), "ipv6 literal");
  CHECK(!tw_valid_http_url(S("ftp://example.com")), "ftp");
  CHECK(!tw_valid_http_url(S("https://")), "no host");
  CHECK(!tw_valid_http_url(S("https:///x")), "empty host");
  CHECK(!tw_valid_http_url(S("/relative")), "relative");
  CHECK(!tw_valid_http_url(S("https://exa mple.com")), "space");
  CHECK(!tw_valid_http_url(S("https://example.com/\r\nX: y")), "CRLF");
  CHECK(!tw_valid_http_url(S("https://example.com:0/")), "port 0");
  CHECK(!tw_valid_http_url(S("https://example.com:65536/")), "port too big");
  CHECK(!tw_valid_http_url(S("https://ex\xc3\xa9.com/")), "non-ASCII host");
  CHECK(!tw_valid_http_url(S("javascript:alert(1)")), "javascript:");
  CHECK(!tw_valid_http_url(S("http://1//1:\\8:/")), "backslash in the path (fuzz find)");
  CHECK(!tw_valid_http_url(S("https://x.test/<script>")), "angle brackets");

  /* UTF-8 and text */
  CHECK(tw_utf8_count(S("h\xc3\xa9llo")) == 5, "utf8 count");
  CHECK(tw_utf8_count(S("\xf0\x9f\x93\x9e")) == 1, "4-byte");
  CHECK(tw_utf8_count(S("\xc0\xaf")) < 0, "overlong");
  CHECK(tw_utf8_count(S("\xed\xa0\x80")) < 0, "surrogate");
  CHECK(tw_utf8_count(S("\xf4\x90\x80\x80")) < 0, "above U+10FFFF");
  CHECK(tw_utf8_count(S("\xe2\x82")) < 0, "truncated");
  CHECK(tw_utf8_count(S("\xff")) < 0, "0xFF");
  CHECK(tw_scan_text(S("a\nb"), 1) == TW_TEXT_OK, "free text allows LF");
  CHECK(tw_scan_text(S("a\nb"), 0) == TW_TEXT_CRLF, "line refuses LF");
  CHECK(tw_scan_text("a\0b", 3, 1) == TW_TEXT_NUL, "NUL refused everywhere");
  CHECK(tw_scan_text(S("a\x1b"), 1) == TW_TEXT_CTL, "ESC refused");
  CHECK(tw_scan_text(S("\xff"), 1) == TW_TEXT_UTF8, "bad UTF-8");

  /* tw_check_string through the tables */
  p = param("UpdateIncomingPhoneNumber", "friendly_name");
  CHECK(p && tw_check_string(p, S("")) == NULL, "friendly_name may be empty");
  memset(buf, 'x', 64);
  CHECK(p && tw_check_string(p, buf, 64) == NULL, "64 chars ok");
  CHECK(p && tw_check_string(p, buf, 65) != NULL, "65 chars refused");
  CHECK(p && tw_check_string(p, S("\xc3\xa9\xc3\xa9")) == NULL, "unicode label");
  p = param("UpdateIncomingPhoneNumber", "voice_url");
  CHECK(p && tw_check_string(p, S("")) != NULL, "empty URL refused");
  p = param("UpdateIncomingPhoneNumber", "emergency_status");
  CHECK(p && tw_check_string(p, S("Active")) == NULL &&
        tw_check_string(p, S("active")) != NULL, "enum case-sensitive");
  p = param("ListAvailablePhoneNumberLocal", "page_size");
  CHECK(p && tw_check_integer(p, 1) == NULL && tw_check_integer(p, 1000) == NULL &&
        tw_check_integer(p, 0) != NULL && tw_check_integer(p, 1001) != NULL,
        "page_size 1..1000");
  p = param("ListAvailablePhoneNumberLocal", "distance");
  CHECK(p && tw_check_integer(p, 500) == NULL && tw_check_integer(p, 501) != NULL &&
        tw_check_integer(p, -1) != NULL, "distance 0..500");
  p = param("ListIncomingPhoneNumber", "page");
  CHECK(p && tw_check_integer(p, 0) == NULL && tw_check_integer(p, -1) != NULL,
        "page >= 0");

  /* tables: 26 ops, unique ids, sane params */
  CHECK(tw_nops == 26, "26 operations");
  for (i = 0; i < tw_nops; i++) {
    size_t j, k;
    int ok = tw_op_find(tw_ops[i].id, strlen(tw_ops[i].id)) == &tw_ops[i];
    for (j = 0; j < tw_ops[i].nparams; j++) {
      const tw_param *q = &tw_ops[i].params[j];
      if (q->fmt == TW_F_SID && (!q->sid_prefix || !q->pattern)) ok = 0;
      if (q->fmt == TW_F_ENUM && !q->enumv) ok = 0;
      for (k = 0; k < j; k++)
        if (tw_ops[i].params[k].in == q->in &&
            strcmp(tw_ops[i].params[k].name, q->name) == 0) ok = 0;
    }
    CHECK(ok, tw_ops[i].id);
  }
  CHECK(tw_op_find(S("Nope")) == NULL, "unknown op");

  /* Levenshtein */
  CHECK(tw_levenshtein(S("voice_ulr"), S("voice_url")) == 2, "transposition = 2");
  CHECK(tw_levenshtein(S(""), S("abc")) == 3, "empty");
  CHECK(tw_levenshtein(S("same"), S("same")) == 0, "equal");

  /* echo */
  tw_echo(buf, 32, S("a\r\nb'\\"));
  CHECK_STR(buf, "a\\x0d\\x0ab\\'\\\\", "echo escapes controls and quotes");
  tw_echo(buf, 16, S("abcdefghijklmnopqrstuvwxyz"));
  CHECK_STR(buf, "abcdefghijkl...", "echo truncates");
  tw_echo(buf, 32, S("\xc3\xa9\xff"));
  CHECK_STR(buf, "\xc3\xa9\\xff", "echo keeps UTF-8, escapes bad bytes");

  /* base URLs */
  CHECK(tw_parse_base(S("https://api.twilio.com"), &b, &why) &&
        strcmp(b.host, "api.twilio.com") == 0 && b.port == 443, "default base");
  CHECK(tw_parse_base(S("HTTPS://API.Twilio.com:8443/"), &b, &why) &&
        strcmp(b.scheme, "https") == 0 && strcmp(b.host, "api.twilio.com") == 0 &&
        b.port == 8443 && b.port_given, "normalised, trailing slash");
  CHECK(tw_parse_base(S("http://127.0.0.1:8080"), &b, &why) && b.port == 8080,
        "http loopback");
  CHECK(tw_parse_base(S("http://localhost"), &b, &why) && b.port == 80, "localhost");
  CHECK(tw_parse_base(S("http://[::1]:9"), &b, &why), "[::1]");
  CHECK(!tw_parse_base(S("http://example.com"), &b, &why), "http non-loopback");
  CHECK(!tw_parse_base(S("http://127.0.0.1.evil.com"), &b, &why), "127 prefix trick");
  CHECK(!tw_parse_base(S("http://128.0.0.1"), &b, &why), "128/8");
  CHECK(!tw_parse_base(S("https://u:p@api.twilio.com"), &b, &why), "userinfo");
  CHECK(!tw_parse_base(S("https://api.twilio.com/x"), &b, &why), "path");
  CHECK(!tw_parse_base(S("https://api.twilio.com?x"), &b, &why), "query");
  CHECK(!tw_parse_base(S("https://api.twilio.com#x"), &b, &why), "fragment");
  CHECK(!tw_parse_base(S("ftp://api.twilio.com"), &b, &why), "scheme");

  /* relative next_page_uri */
  CHECK(tw_valid_rel_uri(S("/2010-04-01/Accounts/AC/IncomingPhoneNumbers.json?PageSize=50&PageToken=PA%2Bx")),
        "next page uri");
  CHECK(!tw_valid_rel_uri(S("//evil.com/2010-04-01/")), "protocol-relative");
  CHECK(!tw_valid_rel_uri(S("/2010-04-01/../x")), "dot-dot");
  CHECK(!tw_valid_rel_uri(S("/2010-04-01/x y")), "space");
  CHECK(!tw_valid_rel_uri(S("/2010-04-01/x\r\nHost: e")), "CRLF");
  CHECK(!tw_valid_rel_uri(S("/2010-04-01/x%zz")), "bad escape");
  CHECK(!tw_valid_rel_uri(S("/other/x")), "other prefix");

  CHECK(tw_valid_label(S("ie1")) && !tw_valid_label(S("IE1")) &&
        !tw_valid_label(S("a.b")) && !tw_valid_label(S("-a")), "labels");
  CHECK(tw_valid_header_value(S("abc 123")) && !tw_valid_header_value(S("a\r")),
        "header values");
  return TAP_DONE();
}
