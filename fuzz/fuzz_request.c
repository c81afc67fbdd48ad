/* fuzz_request.c -- libFuzzer target over request assembly (tw_request.c),
 * fed the way the Lua binding feeds it: values that passed tw_validate for
 * their parameter (and, for path segments, values that did not).
 *
 * Input: byte 0 picks the operation, byte 1 the form (json/csv) and the
 * base URL; the rest, split at '\n', gives the path segments then a value
 * per non-path parameter (empty: not given). Invariants (abort on
 * violation):
 *   - tw_request_url accepts exactly the segments that are [A-Za-z0-9]+, and
 *     then writes base + template with the segments in place (".csv" for the
 *     csv form of a GET), NUL-terminated, within cap, printable ASCII only;
 *   - tw_request_encode's result has the length it returns, splits at '&'
 *     into one Wire=value pair per value, and each value decodes back;
 *   - tw_request_follow accepts only a suffix of the uri that is a valid
 *     relative URI, and an absolute uri only on the base's own origin. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "tw_encode.h"
#include "tw_request.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static char out[65536];
static size_t outn;

static void collect(void *ud, const char *s, size_t n) {
  (void)ud;
  if (outn + n >= sizeof out) abort();
  memcpy(out + outn, s, n);
  outn += n;
}

static int alnum(const char *s, size_t n) {
  size_t i;
  if (n == 0) return 0;
  for (i = 0; i < n; i++) {
    unsigned char c = (unsigned char)s[i];
    if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9')))
      return 0;
  }
  return 1;
}

static int hexval(int c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

/* The expected URL, written the obvious way: its length, the bytes that fit
 * in cap written to e (a "too long" case's URL may be longer than any
 * buffer: the fuzzer gives a segment of any length). */
static void put(char *e, size_t cap, size_t o, const char *s, size_t n) {
  if (o < cap) memcpy(e + o, s, n < cap - o ? n : cap - o);
}

static size_t expect_url(char *e, size_t cap, const char *base, const tw_op *op,
                         const tw_value *seg, tw_repr repr) {
  size_t o = strlen(base), k = 0;
  const char *t = op->path;
  put(e, cap, 0, base, o);
  while (*t) {
    if (*t == '{') {
      put(e, cap, o, seg[k].s, seg[k].n);
      o += seg[k++].n;
      t = strchr(t, '}') + 1;
    } else {
      put(e, cap, o++, t++, 1);
    }
  }
  if (repr == TW_REPR_CSV) { put(e, cap, o - 5, ".csv", 4); o--; }
  return o;
}

static void check_encoding(const tw_value *v, size_t n) {
  size_t total, i, pos = 0;
  outn = 0;
  total = tw_request_encode(v, n, collect, NULL);
  if (total != outn) abort();
  for (i = 0; i < n; i++) {
    size_t wn = strlen(v[i].p->wire), end = pos, o = 0, j;
    char dec[8192];
    while (end < outn && out[end] != '&') end++;
    if (i + 1 < n && end == outn) abort();           /* a pair per value */
    if (end - pos < wn + 1 || memcmp(out + pos, v[i].p->wire, wn) != 0 ||
        out[pos + wn] != '=')
      abort();
    for (j = pos + wn + 1; j < end; o++) {
      if (out[j] == '%') {
        int hi = j + 2 < end ? hexval((unsigned char)out[j + 1]) : -1;
        int lo = j + 2 < end ? hexval((unsigned char)out[j + 2]) : -1;
        if (hi < 0 || lo < 0) abort();
        dec[o] = (char)(hi * 16 + lo);
        j += 3;
      } else {
        if (!tw_url_unreserved((unsigned char)out[j])) abort();
        dec[o] = out[j++];
      }
    }
    if (v[i].kind == TW_V_STRING && (o != v[i].n || memcmp(dec, v[i].s, o) != 0)) abort();
    if (v[i].kind == TW_V_BOOLEAN &&
        !(o == 4 && memcmp(dec, "true", 4) == 0 && v[i].i) &&
        !(o == 5 && memcmp(dec, "false", 5) == 0 && !v[i].i))
      abort();
    pos = end + 1;
  }
  if (n && pos != outn + 1) abort();                   /* nothing after the last */
}

static void check_follow(const tw_base *base, const char *uri, size_t n) {
  const char *path = NULL;
  size_t pathn = 0;
  if (!tw_request_follow(base, uri, n, &path, &pathn)) return;
  if (path < uri || path + pathn != uri + n || pathn == 0 || path[0] != '/') abort();
  if (!tw_valid_rel_uri(path, pathn)) abort();
  if (path != uri) {                                   /* absolute: same origin */
    tw_base other;
    const char *why;
    if (!tw_parse_base(uri, (size_t)(path - uri), &other, &why)) abort();
    if (strcmp(other.scheme, base->scheme) || strcmp(other.host, base->host) ||
        other.port != base->port)
      abort();
  }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  static const char *const BASES[] = {
    "https://api.twilio.com", "http://127.0.0.1:8080", "https://api.dublin.ie1.twilio.com" };
  const tw_op *op;
  const tw_param *ph[TW_PATH_MAX], *bad;
  tw_value seg[TW_PATH_MAX], vals[64];
  tw_repr repr;
  tw_base base;
  const char *base_url, *why, *p, *end;
  char url[TW_URL_MAX], want[TW_URL_MAX + 64];
  size_t nseg, k, nv = 0, w, i;
  int all_alnum = 1;

  if (size < 2) return 0;
  op = &tw_ops[data[0] % tw_nops];
  repr = (data[1] & 1) ? TW_REPR_CSV : TW_REPR_JSON;
  base_url = BASES[(data[1] >> 1) % 3];
  if (!tw_parse_base(base_url, strlen(base_url), &base, &why)) abort();
  p = (const char *)data + 2;
  end = (const char *)data + size;

  /* the whole rest, as a next-page URI */
  check_follow(&base, p, (size_t)(end - p));

  nseg = tw_request_placeholders(op, ph, TW_PATH_MAX);
  if (nseg == (size_t)-1) abort();
  for (k = 0; k < nseg; k++) {
    const char *nl = memchr(p, '\n', (size_t)(end - p));
    size_t n = nl ? (size_t)(nl - p) : (size_t)(end - p);
    seg[k].p = ph[k];
    seg[k].kind = TW_V_STRING;
    seg[k].s = p;
    seg[k].n = n;
    if (!alnum(p, n)) all_alnum = 0;
    p = nl ? nl + 1 : end;
  }
  w = tw_request_url(url, sizeof url, base_url, op, seg, repr, &bad);
  if (repr == TW_REPR_CSV && strcmp(op->method, "GET") != 0) {
    if (w != 0) abort();
  } else if (!all_alnum) {
    for (k = 0; alnum(seg[k].s, seg[k].n); k++) {}
    if (w != 0 || bad != seg[k].p) abort();            /* the first bad one named */
  } else if (w == 0) {
    if (bad != NULL) abort();                          /* only "too long" is left */
    if (expect_url(want, sizeof want, base_url, op, seg, repr) < sizeof url) abort();
  } else {
    if (w != strlen(url) || w >= sizeof url) abort();
    if (expect_url(want, sizeof want, base_url, op, seg, repr) != w || memcmp(want, url, w) != 0) abort();
    for (i = 0; i < w; i++)
      if ((unsigned char)url[i] <= 0x20 || (unsigned char)url[i] >= 0x7F) abort();
  }

  /* values for the other parameters, kept when they pass their check */
  for (i = 0; i < op->nparams && p < end && nv < 64; i++) {
    const tw_param *prm = &op->params[i];
    const char *nl;
    size_t n;
    if (prm->in == TW_IN_PATH) continue;
    nl = memchr(p, '\n', (size_t)(end - p));
    n = nl ? (size_t)(nl - p) : (size_t)(end - p);
    if (n > 0) {
      if (prm->type == TW_T_BOOLEAN) {
        vals[nv].p = prm; vals[nv].kind = TW_V_BOOLEAN; vals[nv].i = p[0] & 1; nv++;
      } else if (prm->fmt == TW_F_INT) {
        vals[nv].p = prm; vals[nv].kind = TW_V_INTEGER;
        vals[nv].i = (long long)(signed char)p[0] * 37; nv++;
      } else if (tw_check_string(prm, p, n) == NULL) {
        vals[nv].p = prm; vals[nv].kind = TW_V_STRING; vals[nv].s = p; vals[nv].n = n; nv++;
      }
    }
    p = nl ? nl + 1 : end;
  }
  check_encoding(vals, nv);
  return 0;
}
