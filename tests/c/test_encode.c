/* test_encode.c -- percent-encoding and base64 (src/tw_encode.c). */
#include <stdlib.h>
#include <string.h>
#include "tap.h"
#include "tw_encode.h"

static char out[4096];

static const char *enc(const char *s, size_t n) {
  size_t w = tw_urlencode(out, s, n);
  out[w] = '\0';
  return out;
}
/* The byte-by-byte encoder the table-driven one replaced: the oracle. */
static size_t ref_encode(char *o, const unsigned char *s, size_t n) {
  static const char hex[] = "0123456789ABCDEF";
  size_t i, w = 0;
  for (i = 0; i < n; i++) {
    unsigned char c = s[i];
    if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
        c == '-' || c == '.' || c == '_' || c == '~') {
      o[w++] = (char)c;
    } else {
      o[w++] = '%';
      o[w++] = hex[c >> 4];
      o[w++] = hex[c & 15];
    }
  }
  return w;
}

/* Mixed runs of kept and escaped bytes (every byte value among them),
 * encoded one-shot and in chunks of every capacity from 1 to 40: the same
 * bytes as the oracle, and no chunk written past its capacity. */
static int runs_match(void) {
  unsigned char in[256 * 17];
  char want[3 * 256 * 17], got[3 * 256 * 17], chunk[48];
  size_t i, n = 0, wn, cap;
  unsigned seed = 12345;
  for (i = 0; i < 256; i++) {
    size_t run = (seed = seed * 1103515245u + 12345u) >> 28, k;
    for (k = 0; k < run && n < sizeof in - 1; k++) in[n++] = (unsigned char)('a' + k);
    in[n++] = (unsigned char)i;
  }
  wn = ref_encode(want, in, n);
  if (tw_urlencode_len((const char *)in, n) != wn) return 0;
  if (tw_urlencode(got, (const char *)in, n) != wn || memcmp(got, want, wn) != 0) return 0;
  for (cap = 1; cap <= 40; cap++) {
    size_t off = 0, o = 0;
    while (off < n) {
      size_t used, w;
      memset(chunk, '#', sizeof chunk);
      w = tw_urlencode_some(chunk, cap, (const char *)in + off, n - off, &used);
      if (w > cap || chunk[cap] != '#') return 0;       /* wrote past cap */
      if (used == 0) {
        if (cap >= 3) return 0;                         /* must progress */
        break;                                          /* an escape never fits */
      }
      memcpy(got + o, chunk, w);
      o += w;
      off += used;
    }
    if (cap >= 3 && (o != wn || memcmp(got, want, wn) != 0)) return 0;
  }
  return 1;
}

static const char *b64(const char *s, size_t n) {
  size_t w = tw_base64(out, s, n);
  out[w] = '\0';
  return out;
}

int main(void) {
  size_t i, used, w, total;
  char chunk[8], big[1000], all[3 * 256 + 1];

  CHECK_STR(enc("", 0), "", "empty");
  CHECK_STR(enc("AZaz09-._~", 10), "AZaz09-._~", "unreserved kept");
  CHECK_STR(enc("+14155550100", 12), "%2B14155550100", "+ -> %2B");
  CHECK_STR(enc("a b", 3), "a%20b", "space -> %20, never +");
  CHECK_STR(enc("a&b=c", 5), "a%26b%3Dc", "& and =");
  CHECK_STR(enc("100%", 4), "100%25", "% itself");
  CHECK_STR(enc("\xc3\xa9", 2), "%C3%A9", "UTF-8 bytes, upper-case hex");
  CHECK_STR(enc("a\0b", 3), "a%00b", "NUL byte encoded, length honoured");
  CHECK_STR(enc("/?#[]@!$'()*,;:", 15),
            "%2F%3F%23%5B%5D%40%21%24%27%28%29%2A%2C%3B%3A", "reserved");
  CHECK(tw_urlencode_len("a+b", 3) == 5, "len counts escapes");

  /* every byte: unreserved or %XX */
  for (i = 0; i < 256; i++) all[i] = (char)i;
  w = tw_urlencode(out, all, 256);
  CHECK(w == tw_urlencode_len(all, 256), "len matches output for all bytes");
  CHECK(w == 66 + 3 * 190, "66 unreserved bytes, 190 escaped");

  /* chunked: never splits an escape, consumes everything */
  total = 0;
  {
    const char *s = "a+b c";
    size_t n = 5, o = 0;
    char acc[32];
    while (n > 0) {
      w = tw_urlencode_some(chunk, 4, s, n, &used);
      CHECK(used > 0, "chunk makes progress");
      memcpy(acc + o, chunk, w);
      o += w; s += used; n -= used; total++;
    }
    acc[o] = '\0';
    CHECK_STR(acc, "a%2Bb%20c", "chunked output equals one-shot");
  }
  w = tw_urlencode_some(chunk, 2, "+", 1, &used);
  CHECK(w == 0 && used == 0, "escape that does not fit is not started");

  CHECK(runs_match(), "runs of kept bytes and escapes, one-shot and chunked at every "
        "capacity 1..40, equal the byte-by-byte oracle");

  CHECK_STR(b64("", 0), "", "base64 empty");
  CHECK_STR(b64("f", 1), "Zg==", "base64 f");
  CHECK_STR(b64("fo", 2), "Zm8=", "base64 fo");
  CHECK_STR(b64("foo", 3), "Zm9v", "base64 foo");
  CHECK_STR(b64("foobar", 6), "Zm9vYmFy", "base64 foobar");
  CHECK_STR(b64("user:pass", 9), "dXNlcjpwYXNz", "base64 user:pass");
  CHECK_STR(b64("\xff\xfe\x00", 3), "//4A", "base64 high bytes and NUL");
  CHECK(tw_base64_len(0) == 0 && tw_base64_len(1) == 4 &&
        tw_base64_len(3) == 4 && tw_base64_len(4) == 8, "base64 len");
  memset(big, 'x', sizeof big);
  CHECK(tw_base64(out, big, sizeof big) == tw_base64_len(sizeof big),
        "base64 len matches output");
  return TAP_DONE();
}
