/* fuzz_webhook.c -- libFuzzer target for the X-Twilio-Signature input
 * (src/tw_webhook.c): URL port variants and the signed string of URL +
 * form parameters.
 *
 * Input: the first line is the URL, every further line a parameter
 * "key=value" (split at the first '='; a line without '=' is a key with an
 * empty value). Built by fuzz/run against src/tw_*.c and libcrypto; no Lua.
 * Invariants checked (abort on violation):
 *   - normalize keeps <= n parameters, sorted by (key, value), no repeats,
 *     and is idempotent;
 *   - the signed string has exactly tw_wh_input_len bytes, starts with the
 *     URL, and does not depend on the order the parameters arrived in;
 *   - a port variant is at most TW_WH_PORT_EXTRA bytes longer, and one that
 *     added a port gives the URL back when toggled again;
 *   - a signature made with sign() verifies (as key 2 of 2) and a changed
 *     byte of it, or a changed signed string, does not. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "tw_webhook.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int cmp(const tw_wh_param *a, const tw_wh_param *b) {
  size_t m = a->key_len < b->key_len ? a->key_len : b->key_len;
  int c = m ? memcmp(a->key, b->key, m) : 0;
  if (c) return c;
  if (a->key_len != b->key_len) return a->key_len < b->key_len ? -1 : 1;
  m = a->val_len < b->val_len ? a->val_len : b->val_len;
  c = m ? memcmp(a->val, b->val, m) : 0;
  if (c) return c;
  if (a->val_len != b->val_len) return a->val_len < b->val_len ? -1 : 1;
  return 0;
}

static char *signed_string(const char *url, size_t ul, tw_wh_param *p, size_t n, size_t *len) {
  size_t total = tw_wh_input_len(ul, p, n);
  char *buf = malloc(total + 1);         /* owned by the caller */
  if (!buf) abort();
  *len = tw_wh_input(buf, url, ul, p, n);
  if (*len != total) abort();
  if (memcmp(buf, url, ul) != 0) abort();
  return buf;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  const char *s = (const char *)data, *end = s + size, *nl;
  size_t ul, n = 0, cap = 0, i, m, len, len2, vl, vl2;
  tw_wh_param *p, *q;
  char *in, *in2, *v, *v2, sig[TW_WH_SIG_MAX];
  const char *keys[2] = { "k1", "12345" };
  size_t key_lens[2] = { 2, 5 };
  int added = -1, added2 = -1;

  nl = memchr(s, '\n', size);
  ul = nl ? (size_t)(nl - s) : size;
  for (i = 0; i < size; i++) cap += s[i] == '\n';
  p = calloc(cap + 1, sizeof *p);        /* owned here, freed below */
  q = calloc(cap + 1, sizeof *q);
  if (!p || !q) abort();
  if (nl) {
    const char *line = nl + 1;
    while (line <= end) {
      const char *e = memchr(line, '\n', (size_t)(end - line));
      const char *eq;
      if (!e) e = end;
      eq = memchr(line, '=', (size_t)(e - line));
      p[n].key = line;
      p[n].key_len = (size_t)((eq ? eq : e) - line);
      p[n].val = eq ? eq + 1 : e;
      p[n].val_len = eq ? (size_t)(e - eq - 1) : 0;
      n++;
      if (e == end) break;
      line = e + 1;
    }
  }
  for (i = 0; i < n; i++) q[i] = p[n - 1 - i];   /* the same parameters, reversed */

  m = tw_wh_params_normalize(p, n);
  if (m > n) abort();
  for (i = 1; i < m; i++)
    if (cmp(&p[i - 1], &p[i]) >= 0) abort();
  if (tw_wh_params_normalize(p, m) != m) abort();
  if (tw_wh_params_normalize(q, n) != m) abort();

  in = signed_string(s, ul, p, m, &len);
  in2 = signed_string(s, ul, q, m, &len2);
  if (len != len2 || memcmp(in, in2, len) != 0) abort();

  v = malloc(ul + TW_WH_PORT_EXTRA + 1);
  v2 = malloc(ul + 2 * TW_WH_PORT_EXTRA + 1);
  if (!v || !v2) abort();
  vl = tw_wh_port_variant(v, s, ul, &added);
  if (vl > ul + TW_WH_PORT_EXTRA) abort();
  if (vl) {
    if (added != 0 && added != 1) abort();
    vl2 = tw_wh_port_variant(v2, v, vl, &added2);
    if (!vl2) abort();                   /* a variant has a variant */
    if (added && (added2 != 0 || vl2 != ul || memcmp(v2, s, ul) != 0)) abort();
  }

  if (tw_wh_sign(sig, TW_WH_SHA1, "12345", 5, in, len) != 28) abort();
  if (tw_wh_verify(TW_WH_SHA1, keys, key_lens, 2, in, len, sig, 28) != 2) abort();
  sig[len % 28] = sig[len % 28] == 'A' ? 'B' : 'A';
  if (tw_wh_verify(TW_WH_SHA1, keys, key_lens, 2, in, len, sig, 28) != 0) abort();
  if (len) {
    tw_wh_sign(sig, TW_WH_SHA1, "12345", 5, in, len);
    in[0] ^= 1;
    if (tw_wh_verify(TW_WH_SHA1, keys, key_lens, 2, in, len, sig, 28) != 0) abort();
  }

  free(v2);
  free(v);
  free(in2);
  free(in);
  free(q);
  free(p);
  return 0;
}
