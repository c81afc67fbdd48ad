/* fuzz_encode.c -- libFuzzer target over the request-side C core:
 * tw_encode (percent-encoding, base64) and tw_validate (every validator,
 * every parameter of every operation table, base URLs, next_page_uri).
 *
 * Built by fuzz/run with clang -fsanitize=fuzzer,address,undefined against
 * src/tw_*.c; no Lua. Invariants checked (abort on violation):
 *   - urlencode output has exactly tw_urlencode_len bytes, only unreserved
 *     bytes and %XX, and decodes back to the input;
 *   - chunked urlencode equals one-shot;
 *   - base64 output has tw_base64_len bytes from the alphabet;
 *   - a valid SID/E.164/country/URL/rel-URI never holds a byte that could
 *     split a header or a path (CR, LF, NUL, space, '/' in SIDs ...);
 *   - tw_echo stays within its buffer and emits no control bytes. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "tw_encode.h"
#include "tw_ops.h"
#include "tw_validate.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int hexval(int c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

static void no_bad_bytes(const char *s, size_t n, const char *bad) {
  size_t i;
  for (i = 0; i < n; i++)
    if ((unsigned char)s[i] < 0x20 || (unsigned char)s[i] == 0x7F ||
        strchr(bad, s[i]))
      abort();
}

static void check_encode(const char *s, size_t n) {
  size_t len = tw_urlencode_len(s, n), w, i, o, used;
  char *out = malloc(len + 1), *chunked = malloc(len + 1), *dec = malloc(n + 1);
  char small[7];
  if (!out || !chunked || !dec) abort();
  w = tw_urlencode(out, s, n);
  if (w != len) abort();
  /* decode and compare */
  for (i = 0, o = 0; i < w; o++) {
    if (out[i] == '%') {
      int hi, lo;
      if (i + 2 >= w) abort();
      hi = hexval((unsigned char)out[i + 1]);
      lo = hexval((unsigned char)out[i + 2]);
      if (hi < 0 || lo < 0) abort();
      dec[o] = (char)(hi * 16 + lo);
      if (tw_url_unreserved((unsigned char)dec[o])) abort();  /* over-encoded */
      i += 3;
    } else {
      if (!tw_url_unreserved((unsigned char)out[i])) abort();
      dec[o] = out[i++];
    }
  }
  if (o != n || memcmp(dec, s, n) != 0) abort();
  /* chunked through a 7-byte window */
  for (i = 0, o = 0; i < n;) {
    size_t k = tw_urlencode_some(small, sizeof small, s + i, n - i, &used);
    if (used == 0) abort();
    memcpy(chunked + o, small, k);
    o += k;
    i += used;
  }
  if (o != len || memcmp(chunked, out, len) != 0) abort();
  free(out);
  free(chunked);
  free(dec);
}

static void check_base64(const char *s, size_t n) {
  static const char alpha[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/=";
  size_t len = tw_base64_len(n), w, i;
  char *out = malloc(len + 1);
  if (!out) abort();
  w = tw_base64(out, s, n);
  if (w != len) abort();
  for (i = 0; i < w; i++)
    if (!memchr(alpha, out[i], sizeof alpha - 1)) abort();
  free(out);
}

static void check_validators(const char *s, size_t n) {
  size_t i, j;
  tw_base b;
  const char *why;
  char echo[64];
  long count;

  if (tw_valid_any_sid(s, n)) no_bad_bytes(s, n, "/?#%. ");
  if (tw_valid_e164(s, n)) no_bad_bytes(s, n, "/?#% ");
  (void)tw_valid_phone_filter(s, n);
  (void)tw_valid_contains(s, n);
  (void)tw_valid_area_code(s, n);
  (void)tw_valid_latlong(s, n);
  (void)tw_valid_api_version(s, n);
  (void)tw_valid_token(s, n);
  (void)tw_valid_label(s, n);
  (void)tw_valid_header_value(s, n);
  if (tw_valid_country(s, n)) no_bad_bytes(s, n, "/?#%. ");
  if (tw_valid_http_url(s, n)) no_bad_bytes(s, n, " \\");
  if (tw_valid_rel_uri(s, n)) no_bad_bytes(s, n, " \\#");
  if (tw_parse_base(s, n, &b, &why)) {
    no_bad_bytes(b.host, strlen(b.host), " /?#@\\");
    if (b.port == 0 || b.port > 65535) abort();
  }
  (void)tw_is_loopback(s, n);
  count = tw_utf8_count(s, n);
  if (count > (long)n) abort();
  (void)tw_scan_text(s, n, 0);
  (void)tw_scan_text(s, n, 1);
  if (tw_echo(echo, sizeof echo, s, n) >= sizeof echo) abort();
  for (i = 0; echo[i]; i++)
    if ((unsigned char)echo[i] < 0x20 || echo[i] == 0x7F) abort();
  if (n <= 64) (void)tw_levenshtein(s, n, "voice_url", 9);

  /* every parameter of every operation */
  for (i = 0; i < tw_nops; i++) {
    for (j = 0; j < tw_ops[i].nparams; j++) {
      const tw_param *p = &tw_ops[i].params[j];
      if (p->type == TW_T_BOOLEAN) continue;
      if (p->fmt == TW_F_INT) {
        long long v = 0;
        memcpy(&v, s, n < sizeof v ? n : sizeof v);
        (void)tw_check_integer(p, v);
        continue;
      }
      if (tw_check_string(p, s, n) == NULL && p->fmt != TW_F_TEXT)
        no_bad_bytes(s, n, "");            /* single-line values only */
      if (tw_check_string(p, s, n) == NULL && p->in == TW_IN_PATH)
        no_bad_bytes(s, n, "/?#%. ");
    }
  }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  const char *s = (const char *)data;
  check_encode(s, size);
  check_base64(s, size);
  check_validators(s, size);
  return 0;
}
