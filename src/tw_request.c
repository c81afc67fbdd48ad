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

static int alnum_segment(const char *s, size_t n) {
  size_t i;
  if (n == 0) return 0;
  for (i = 0; i < n; i++) {
    unsigned char c = (unsigned char)s[i];
    if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
          (c >= '0' && c <= '9')))
      return 0;
  }
  return 1;
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
  if (o >= cap) return 0;
  memcpy(url, base_url, o);
  while (*t) {
    if (repr == TW_REPR_CSV && t == op->path + tlen - 5) {
      if (o + 4 >= cap) return 0;
      memcpy(url + o, ".csv", 4);
      o += 4;
      break;
    }
    if (*t == '{') {
      const tw_value *v = &seg[k++];
      if (v->kind != TW_V_STRING || !alnum_segment(v->s, v->n)) {
        *bad = v->p;
        return 0;
      }
      if (o + v->n >= cap) return 0;
      memcpy(url + o, v->s, v->n);
      o += v->n;
      t = strchr(t, '}') + 1;
    } else {
      if (o + 1 >= cap) return 0;
      url[o++] = *t++;
    }
  }
  url[o] = '\0';
  return o;
}

size_t tw_request_encode(const tw_value *v, size_t n, tw_emit emit,
                         void *ud) {
  size_t i, total = 0;
  for (i = 0; i < n; i++) {
    const char *wire = v[i].p->wire;     /* [A-Za-z]: no encoding */
    size_t wn = strlen(wire);
    if (i) { emit(ud, "&", 1); total++; }
    emit(ud, wire, wn);
    emit(ud, "=", 1);
    total += wn + 1;
    if (v[i].kind == TW_V_BOOLEAN) {
      emit(ud, v[i].i ? "true" : "false", v[i].i ? 4 : 5);
      total += v[i].i ? 4 : 5;
    } else if (v[i].kind == TW_V_INTEGER) {
      char num[32];
      int w = snprintf(num, sizeof num, "%lld", v[i].i);
      emit(ud, num, (size_t)w);
      total += (size_t)w;
    } else {
      /* through a small array: the binding's luaL_Buffer would otherwise
       * ask for a whole LUAL_BUFFERSIZE per piece */
      const char *s = v[i].s;
      size_t left = v[i].n;
      char tmp[512];
      while (left > 0) {
        size_t used, w = tw_urlencode_some(tmp, sizeof tmp, s, left, &used);
        emit(ud, tmp, w);
        total += w;
        s += used;
        left -= used;
      }
    }
  }
  return total;
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
