/* tw_webhook.h -- X-Twilio-Signature: the signed string, HMAC, SHA-256,
 * constant-time comparison and the URL port variants Twilio may have signed.
 *
 * The algorithm (twilio-python request_validator.py, twilio-node
 * webhooks.ts, twilio-go request_validator.go; ../shared/docs/
 * PLAYBOOKS-WEBHOOKS.md section 3):
 *   input = URL as called (query string byte for byte)
 *           .. for each key in byte order, for each UNIQUE value of that key
 *              in byte order: key .. value
 *   signature = base64(HMAC-SHA1(auth token, input))   (HMAC-SHA256 when the
 *              request's X-Twilio-Webhooks-Signature-Settings says so)
 * A receiver accepts the signature over the URL as received and over its
 * port variant (":443"/":80" added when the URL has no port, the port
 * removed when it has one).
 *
 * No lua.h, no I/O, no allocation: the caller owns every buffer (the Lua
 * binding uses userdata, the C tests and the fuzz target malloc). HMAC and
 * SHA-256 are OpenSSL's libcrypto (-lcrypto); nothing is hand-written. */
#ifndef TW_WEBHOOK_H
#define TW_WEBHOOK_H

#include <stddef.h>

/* One form parameter; the bytes are borrowed, never copied or freed here. */
typedef struct tw_wh_param {
  const char *key;
  size_t key_len;
  const char *val;
  size_t val_len;
} tw_wh_param;

typedef enum tw_wh_alg {
  TW_WH_SHA1 = 1,               /* the default: the auth token, HMAC-SHA1 */
  TW_WH_SHA256 = 2              /* Webhook Rules with a SharedKey */
} tw_wh_alg;

/* Longest base64 signature (HMAC-SHA256: 32 bytes -> 44 chars), plus NUL. */
#define TW_WH_SIG_MAX 45
/* A port variant is at most this many bytes longer than its URL (":443"). */
#define TW_WH_PORT_EXTRA 4

/* Sorts p[0..n) by key then value (bytewise, shorter first on a common
 * prefix) and drops exact (key, value) repeats. Returns the count kept. */
size_t tw_wh_params_normalize(tw_wh_param *p, size_t n);

/* Exact size of the signed string for url and p[0..n) (normalize first),
 * or 0 when it would overflow size_t (the caller then refuses). */
size_t tw_wh_input_len(size_t url_len, const tw_wh_param *p, size_t n);

/* Writes the signed string into out (tw_wh_input_len bytes, no NUL).
 * Returns the bytes written. */
size_t tw_wh_input(char *out, const char *url, size_t url_len,
                   const tw_wh_param *p, size_t n);

/* The port variant of an http(s) URL, into out (url_len + TW_WH_PORT_EXTRA
 * bytes, no NUL): with no port in the authority ":443" (https) or ":80"
 * (http) is appended after the host (userinfo kept), with a port the
 * ":port" is removed. Returns its length, 0 when the URL is not http(s)://
 * with a host (no variant). *added is set to 1 when a port was added, 0 when
 * one was removed. */
size_t tw_wh_port_variant(char *out, const char *url, size_t url_len,
                          int *added);

/* base64(HMAC-alg(key, data)) into out (TW_WH_SIG_MAX bytes, NUL-terminated).
 * Returns the length (28 for SHA1, 44 for SHA256), 0 when libcrypto failed. */
size_t tw_wh_sign(char *out, tw_wh_alg alg, const char *key, size_t key_len,
                  const char *data, size_t n);

/* 1 when a[0..alen) equals b[0..blen), in time that depends only on the
 * lengths (CRYPTO_memcmp over the shorter; a length difference is not a
 * secret: every valid signature has the length of its algorithm). */
int tw_wh_equal(const char *a, size_t alen, const char *b, size_t blen);

/* Lower-case hex SHA-256 of data[0..n) into out (65 bytes, NUL-terminated).
 * Returns 64, or 0 when libcrypto failed. */
size_t tw_wh_sha256_hex(char *out, const void *data, size_t n);

/* Checks sig against the signed string in[0..n) under each key in turn.
 * Returns the 1-based index of the key that matches, 0 when none does;
 * every key is tried (no early exit), so the time does not say which. */
int tw_wh_verify(tw_wh_alg alg, const char *const *keys, const size_t *key_lens,
                 size_t nkeys, const char *in, size_t n, const char *sig,
                 size_t sig_len);

#endif
