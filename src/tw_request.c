/* tw_request.c -- request assembly (see tw_request.h). No allocation: every
 * output goes to a caller's buffer or through the caller's emit. */
#include <stdio.h>
#include <string.h>
#include "tw_encode.h"
#include "tw_request.h"

size_t tw_request_placeholders(const tw_op *op, const tw_param **out,
                               size_t max) {
  const char *t = op->path;
  size_t k = 0;
  while ((t = strchr(t, '{')) != NULL) {
    const char *end = strchr(t, '}');
    const tw_param *p;
    if (!end || k == max) return (size_t)-1;
    p = tw_op_path_param(op, t + 1, (size_t)(end - t - 1));
    if (!p) return (size_t)-1;
    out[k++] = p;
    t = end + 1;
  }
  return k;
}

/* [A-Za-z0-9]: the only bytes a path segment may hold */
static const unsigned char ALNUM[256] = {
  ['0'] = 1, ['1'] = 1, ['2'] = 1, ['3'] = 1, ['4'] = 1, ['5'] = 1, ['6'] = 1,
  ['7'] = 1, ['8'] = 1, ['9'] = 1,
  ['A'] = 1, ['B'] = 1, ['C'] = 1, ['D'] = 1, ['E'] = 1, ['F'] = 1, ['G'] = 1,
  ['H'] = 1, ['I'] = 1, ['J'] = 1, ['K'] = 1, ['L'] = 1, ['M'] = 1, ['N'] = 1,
  ['O'] = 1, ['P'] = 1, ['Q'] = 1, ['R'] = 1, ['S'] = 1, ['T'] = 1, ['U'] = 1,
  ['V'] = 1, ['W'] = 1, ['X'] = 1, ['Y'] = 1, ['Z'] = 1,
  ['a'] = 1, ['b'] = 1, ['c'] = 1, ['d'] = 1, ['e'] = 1, ['f'] = 1, ['g'] = 1,
  ['h'] = 1, ['i'] = 1, ['j'] = 1, ['k'] = 1, ['l'] = 1, ['m'] = 1, ['n'] = 1,
  ['o'] = 1, ['p'] = 1, ['q'] = 1, ['r'] = 1, ['s'] = 1, ['t'] = 1, ['u'] = 1,
  ['v'] = 1, ['w'] = 1, ['x'] = 1, ['y'] = 1, ['z'] = 1,
};

int tw_request_segment_ok(const char *str, size_t n) {
  const unsigned char *s = (const unsigned char *)str;
  unsigned char all = 1;
  size_t i = 0;
  for (; i + 4 <= n; i += 4)           /* a SID: 34 bytes, 8 rounds and 2 */
    all &= ALNUM[s[i]] & ALNUM[s[i + 1]] & ALNUM[s[i + 2]] & ALNUM[s[i + 3]];
  for (; i < n; i++) all &= ALNUM[s[i]];
  return n > 0 && all;
}

size_t tw_request_splice(char *url, size_t cap, const char *prefix, size_t pn,
                         const char *value, size_t vn, const char *tail, size_t tn) {
  if (pn >= cap || vn >= cap - pn || tn >= cap - pn - vn) return 0;   /* and the NUL */
  memcpy(url, prefix, pn);
  memcpy(url + pn, value, vn);
  memcpy(url + pn + vn, tail, tn);
  url[pn + vn + tn] = '\0';
  return pn + vn + tn;
}

/* The URL does not fit: still names the first bad segment among those not
 * yet checked (the placeholders left in t, from seg[k]), so a bad value is
 * refused as such whatever comes before it. Returns 0. */
static size_t too_long(const char *t, const tw_value *seg, size_t k, const tw_param **bad) {
  while ((t = strchr(t, '{')) != NULL) {
    const tw_value *v = &seg[k++];
    if (v->kind != TW_V_STRING || !tw_request_segment_ok(v->s, v->n)) {
      *bad = v->p;
      break;
    }
    t = strchr(t, '}') + 1;
  }
  return 0;
}

size_t tw_request_url(char *url, size_t cap, const char *base_url,
                      const tw_op *op, const tw_value *seg, tw_repr repr,
                      const tw_param **bad) {
  const char *t = op->path;
  size_t o = strlen(base_url), k = 0, tlen = strlen(op->path);
  *bad = NULL;
  if (repr == TW_REPR_CSV &&
      (strcmp(op->method, "GET") != 0 || tlen < 5 ||
       memcmp(op->path + tlen - 5, ".json", 5) != 0))
    return 0;
  if (o >= cap) return too_long(t, seg, 0, bad);
  memcpy(url, base_url, o);
  for (;;) {
    /* the literal run up to the next placeholder, or to the end (less
     * ".json" for the csv form: the template ends with it, checked above) */
    const char *brace = strchr(t, '{');
    size_t run = brace ? (size_t)(brace - t) : strlen(t) - (repr == TW_REPR_CSV ? 5 : 0);
    const tw_value *v;
    if (o + run >= cap) return too_long(t, seg, k, bad);
    memcpy(url + o, t, run);
    o += run;
    if (!brace) {
      if (repr == TW_REPR_CSV) {
        if (o + 4 >= cap) return 0;
        memcpy(url + o, ".csv", 4);
        o += 4;
      }
      break;
    }
    v = &seg[k++];
    if (v->kind != TW_V_STRING || !tw_request_segment_ok(v->s, v->n)) {
      *bad = v->p;
      return 0;
    }
    if (o + v->n >= cap) return too_long(strchr(brace, '}') + 1, seg, k, bad);
    memcpy(url + o, v->s, v->n);
    o += v->n;
    t = strchr(brace, '}') + 1;
  }
  url[o] = '\0';
  return o;
}

/* The encoding goes through a small array, flushed to emit when full, so
 * the caller gets a few large pieces (a luaL_Buffer would otherwise be
 * called per byte or ask for a whole LUAL_BUFFERSIZE per piece). */
typedef struct {
  char buf[512];
  size_t n, total;
  tw_emit emit;
  void *ud;
} sink;

static void flush(sink *k) {
  if (k->n) k->emit(k->ud, k->buf, k->n);
  k->total += k->n;
  k->n = 0;
}

static void put(sink *k, const char *s, size_t n) {   /* n < sizeof buf */
  if (k->n + n > sizeof k->buf) flush(k);
  memcpy(k->buf + k->n, s, n);
  k->n += n;
}

size_t tw_request_encode(const tw_value *v, size_t n, tw_emit emit,
                         void *ud) {
  sink k;
  size_t i;
  k.n = k.total = 0;
  k.emit = emit;
  k.ud = ud;
  for (i = 0; i < n; i++) {
    const char *wire = v[i].p->wire;     /* [A-Za-z], < 64 bytes: no encoding */
    if (i) put(&k, "&", 1);
    put(&k, wire, strlen(wire));
    put(&k, "=", 1);
    if (v[i].kind == TW_V_BOOLEAN) {
      put(&k, v[i].i ? "true" : "false", v[i].i ? 4 : 5);
    } else if (v[i].kind == TW_V_INTEGER) {
      char num[32];
      int w = snprintf(num, sizeof num, "%lld", v[i].i);
      put(&k, num, (size_t)w);
    } else {
      const char *s = v[i].s;
      size_t left = v[i].n;
      while (left > 0) {
        size_t used, w;
        if (sizeof k.buf - k.n < 3) flush(&k);
        w = tw_urlencode_some(k.buf + k.n, sizeof k.buf - k.n, s, left, &used);
        k.n += w;
        s += used;
        left -= used;
      }
    }
  }
  flush(&k);
  return k.total;
}

int tw_request_follow(const tw_base *base, const char *uri, size_t n,
                      const char **path, size_t *pathn) {
  if (n > 0 && uri[0] == '/') {
    if (!tw_valid_rel_uri(uri, n)) return 0;
    *path = uri;
    *pathn = n;
    return 1;
  }
  if (memchr(uri, ':', n) && memchr(uri, '\0', n) == NULL) {
    /* absolute: must be on the configured scheme + host + port */
    const char *sep = NULL, *slash = NULL;
    size_t i;
    tw_base other;
    const char *why;
    for (i = 0; i + 3 <= n && i < 8; i++)
      if (memcmp(uri + i, "://", 3) == 0) { sep = uri + i; break; }
    if (!sep) return 0;
    slash = memchr(sep + 3, '/', n - (size_t)(sep + 3 - uri));
    if (slash && tw_parse_base(uri, (size_t)(slash - uri), &other, &why) &&
        strcmp(other.scheme, base->scheme) == 0 &&
        strcmp(other.host, base->host) == 0 && other.port == base->port &&
        tw_valid_rel_uri(slash, n - (size_t)(slash - uri))) {
      *path = slash;
      *pathn = n - (size_t)(slash - uri);
      return 1;
    }
  }
  return 0;
}
