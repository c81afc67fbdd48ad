/* tw_webhook.c -- X-Twilio-Signature (see tw_webhook.h). */
#include <stdlib.h>
#include <string.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include "tw_encode.h"
#include "tw_webhook.h"

/* bytewise, a proper prefix first (the order of Python's and Go's sorts) */
static int bytes_cmp(const char *a, size_t an, const char *b, size_t bn) {
  size_t m = an < bn ? an : bn;
  int c = m ? memcmp(a, b, m) : 0;
  if (c) return c;
  return an < bn ? -1 : an > bn;
}

static int param_cmp(const void *x, const void *y) {
  const tw_wh_param *a = (const tw_wh_param *)x, *b = (const tw_wh_param *)y;
  int c = bytes_cmp(a->key, a->key_len, b->key, b->key_len);
  return c ? c : bytes_cmp(a->val, a->val_len, b->val, b->val_len);
}

size_t tw_wh_params_normalize(tw_wh_param *p, size_t n) {
  size_t i, kept;
  if (n < 2) return n;
  qsort(p, n, sizeof *p, param_cmp);
  for (i = 1, kept = 1; i < n; i++)
    if (param_cmp(&p[kept - 1], &p[i]) != 0) p[kept++] = p[i];
  return kept;
}

size_t tw_wh_input_len(size_t url_len, const tw_wh_param *p, size_t n) {
  size_t i, len = url_len;
  for (i = 0; i < n; i++) {
    size_t add = p[i].key_len + p[i].val_len;
    if (add < p[i].key_len || len + add < len) return 0;
    len += add;
  }
  return len;
}

size_t tw_wh_input(char *out, const char *url, size_t url_len,
                   const tw_wh_param *p, size_t n) {
  size_t i, o = url_len;
  if (url_len) memcpy(out, url, url_len);
  for (i = 0; i < n; i++) {
    if (p[i].key_len) memcpy(out + o, p[i].key, p[i].key_len);
    o += p[i].key_len;
    if (p[i].val_len) memcpy(out + o, p[i].val, p[i].val_len);
    o += p[i].val_len;
  }
  return o;
}

static int prefix_ci(const char *s, size_t n, const char *pre) {
  size_t i, m = strlen(pre);
  if (n < m) return 0;
  for (i = 0; i < m; i++) {
    char c = s[i];
    if (c >= 'A' && c <= 'Z') c = (char)(c - 'A' + 'a');
    if (c != pre[i]) return 0;
  }
  return 1;
}

size_t tw_wh_port_variant(char *out, const char *url, size_t url_len,
                          int *added) {
  size_t start, end, host, i, colon = 0;
  const char *port;
  if (prefix_ci(url, url_len, "https://")) {
    start = 8; port = ":443";
  } else if (prefix_ci(url, url_len, "http://")) {
    start = 7; port = ":80";
  } else {
    return 0;
  }
  for (end = start; end < url_len; end++)
    if (url[end] == '/' || url[end] == '?' || url[end] == '#') break;
  host = start;                              /* after the last '@' (userinfo) */
  for (i = start; i < end; i++)
    if (url[i] == '@') host = i + 1;
  if (host == end) return 0;                 /* no host */
  i = host;
  if (url[i] == '[') {                       /* [v6 literal] */
    while (i < end && url[i] != ']') i++;
    if (i == end) return 0;
    i++;
    if (i < end && url[i] == ':') colon = i;
    else if (i != end) return 0;
  } else {
    for (; i < end; i++)
      if (url[i] == ':') { colon = i; break; }
  }
  if (colon == host) return 0;               /* ":80" with no host name */
  if (colon) {                               /* strip ":port" */
    memcpy(out, url, colon);
    memcpy(out + colon, url + end, url_len - end);
    if (added) *added = 0;
    return colon + (url_len - end);
  } else {                                   /* add the scheme's port */
    size_t pl = strlen(port);
    memcpy(out, url, end);
    memcpy(out + end, port, pl);
    memcpy(out + end + pl, url + end, url_len - end);
    if (added) *added = 1;
    return url_len + pl;
  }
}

size_t tw_wh_sign(char *out, tw_wh_alg alg, const char *key, size_t key_len,
                  const char *data, size_t n) {
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int mdlen = 0;
  const EVP_MD *evp = alg == TW_WH_SHA256 ? EVP_sha256() : EVP_sha1();
  size_t b;
  static const unsigned char empty[1] = { 0 };
  if (key_len > (size_t)0x7fffffff) return 0;
  /* HMAC() needs non-NULL pointers even for empty inputs */
  if (!HMAC(evp, key_len ? key : (const char *)empty, (int)key_len,
            n ? (const unsigned char *)data : empty, n, md, &mdlen))
    return 0;
  b = tw_base64(out, md, mdlen);
  out[b] = '\0';
  OPENSSL_cleanse(md, sizeof md);
  return b;
}

int tw_wh_equal(const char *a, size_t alen, const char *b, size_t blen) {
  size_t m = alen < blen ? alen : blen;
  int diff = alen != blen;
  if (m && CRYPTO_memcmp(a, b, m) != 0) diff = 1;
  return !diff;
}

size_t tw_wh_sha256_hex(char *out, const void *data, size_t n) {
  static const char HEX[] = "0123456789abcdef";
  static const unsigned char empty[1] = { 0 };
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int mdlen = 0, i;
  if (!EVP_Digest(n ? data : empty, n, md, &mdlen, EVP_sha256(), NULL) || mdlen != 32)
    return 0;
  for (i = 0; i < mdlen; i++) {
    out[2 * i] = HEX[md[i] >> 4];
    out[2 * i + 1] = HEX[md[i] & 15];
  }
  out[64] = '\0';
  return 64;
}

int tw_wh_verify(tw_wh_alg alg, const char *const *keys, const size_t *key_lens,
                 size_t nkeys, const char *in, size_t n, const char *sig,
                 size_t sig_len) {
  char want[TW_WH_SIG_MAX];
  size_t i, w;
  int match = 0;
  for (i = 0; i < nkeys; i++) {
    w = tw_wh_sign(want, alg, keys[i], key_lens[i], in, n);
    if (w && tw_wh_equal(want, w, sig, sig_len) && !match) match = (int)i + 1;
  }
  OPENSSL_cleanse(want, sizeof want);
  return match;
}
