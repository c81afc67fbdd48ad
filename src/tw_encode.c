/* tw_encode.c -- percent-encoding and base64 (see tw_encode.h). */
#include "tw_encode.h"

static const char HEX[] = "0123456789ABCDEF";
static const char B64[] =
  "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

/* 1 for the RFC 3986 unreserved bytes (A-Z a-z 0-9 - . _ ~), by byte: one
 * load per input byte where the encoder scans. */
static const unsigned char UNRESERVED[256] = {
  0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
  0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
  0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 0,
  1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 0, 0, 0, 0, 0, 0,
  0, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
  1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 0, 0, 0, 0, 1,
  0, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
  1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 0, 0, 0, 1, 0,
  0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
  0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
  0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
  0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
  0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
  0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
  0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
  0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
};

int tw_url_unreserved(unsigned char c) {
  return UNRESERVED[c];
}

size_t tw_urlencode_len(const char *in, size_t n) {
  const unsigned char *s = (const unsigned char *)in;
  size_t i, len = n;
  for (i = 0; i < n; i++) len += (size_t)(!UNRESERVED[s[i]]) << 1;
  return len;
}

/* One table load per byte: an unreserved byte is copied, any other becomes
 * %XX (not started when fewer than 3 bytes are left in out). */
size_t tw_urlencode_some(char *out, size_t cap, const char *in, size_t n,
                         size_t *used) {
  const unsigned char *s = (const unsigned char *)in;
  size_t i = 0, o = 0;
  for (; i < n && o < cap; i++) {
    unsigned char c = s[i];
    if (UNRESERVED[c]) {
      out[o++] = (char)c;
    } else {
      if (cap - o < 3) break;
      out[o] = '%';
      out[o + 1] = HEX[c >> 4];
      out[o + 2] = HEX[c & 15];
      o += 3;
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
