/* tw_encode.c -- percent-encoding and base64 (see tw_encode.h). */
#include "tw_encode.h"

static const char HEX[] = "0123456789ABCDEF";
static const char B64[] =
  "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

int tw_url_unreserved(unsigned char c) {
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
         (c >= '0' && c <= '9') || c == '-' || c == '.' || c == '_' ||
         c == '~';
}

size_t tw_urlencode_len(const char *in, size_t n) {
  size_t i, len = 0;
  for (i = 0; i < n; i++)
    len += tw_url_unreserved((unsigned char)in[i]) ? 1 : 3;
  return len;
}

size_t tw_urlencode_some(char *out, size_t cap, const char *in, size_t n,
                         size_t *used) {
  size_t i, o = 0;
  for (i = 0; i < n; i++) {
    unsigned char c = (unsigned char)in[i];
    if (tw_url_unreserved(c)) {
      if (o + 1 > cap) break;
      out[o++] = (char)c;
    } else {
      if (o + 3 > cap) break;
      out[o++] = '%';
      out[o++] = HEX[c >> 4];
      out[o++] = HEX[c & 15];
    }
  }
  if (used) *used = i;
  return o;
}

size_t tw_urlencode(char *out, const char *in, size_t n) {
  size_t used;
  return tw_urlencode_some(out, (size_t)-1, in, n, &used);
}

size_t tw_base64_len(size_t n) {
  return (n + 2) / 3 * 4;
}

size_t tw_base64(char *out, const void *in, size_t n) {
  const unsigned char *p = (const unsigned char *)in;
  size_t i = 0, o = 0;
  for (; i + 3 <= n; i += 3) {
    unsigned long v = ((unsigned long)p[i] << 16) |
                      ((unsigned long)p[i + 1] << 8) | p[i + 2];
    out[o++] = B64[(v >> 18) & 63];
    out[o++] = B64[(v >> 12) & 63];
    out[o++] = B64[(v >> 6) & 63];
    out[o++] = B64[v & 63];
  }
  if (n - i == 1) {
    unsigned long v = (unsigned long)p[i] << 16;
    out[o++] = B64[(v >> 18) & 63];
    out[o++] = B64[(v >> 12) & 63];
    out[o++] = '=';
    out[o++] = '=';
  } else if (n - i == 2) {
    unsigned long v = ((unsigned long)p[i] << 16) |
                      ((unsigned long)p[i + 1] << 8);
    out[o++] = B64[(v >> 18) & 63];
    out[o++] = B64[(v >> 12) & 63];
    out[o++] = B64[(v >> 6) & 63];
    out[o++] = '=';
  }
  return o;
}
