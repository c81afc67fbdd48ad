/* tw_json.c -- validated JSON documents for responses (see tw_json.h).
 *
 * One pass validates the body (scan_doc: an explicit-stack state machine)
 * and records a page's items, each item's key index (or a single record's)
 * and next_page_uri. Where the strings end comes from stop bits ('"', '\\',
 * NUL), made 8 KiB ahead of the scanner (AVX2 when the CPU has it, SSE2, or
 * 8 bytes at a time in C); members in Twilio's spacing ("key": "value",
 * "key": null, ...) go through a chain that reads the stop bits in order
 * and checks whole byte patterns, and everything else through the general
 * code. Values are found later by structural skips over text that is known
 * to be valid.
 *
 * On failure (only then, off the hot path) the error names the first byte
 * that no valid JSON text could have at that place: the scanner stops at
 * the first failure in text order, at a byte it did not expect or at the
 * start of a value it could not read; value_error then walks that value to
 * its first wrong byte. A text that ends where more was needed is
 * "truncated". What is accepted is exactly what the former pipeline (jsmn
 * in strict mode, then a grammar walk) accepted: tests/c/test_json.c and
 * fuzz/fuzz_json.c check it against that oracle (fuzz/json_oracle.h). */
#include <limits.h>
#include <locale.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
/* SIMD: SSE2 where the compiler targets it (always on x86-64); AVX2 on
 * top (the stop bits) and a BMI1/BMI2 build of the scanner, each chosen
 * at run time, where GCC or clang targets x86. Define TW_JSON_NO_SIMD (or
 * TW_JSON_NO_AVX2) to build the portable paths alone
 * (tests/c/test_json_scalar.c, tests/c/test_json_sse2.c do). */
#if defined(__SSE2__) && defined(__GNUC__) && !defined(TW_JSON_NO_SIMD)
#define TW_JSON_SSE2 1
#include <emmintrin.h>
#if (defined(__x86_64__) || defined(__i386__)) && !defined(TW_JSON_NO_AVX2)
#define TW_JSON_AVX2 1
#include <immintrin.h>
#else
#define TW_JSON_AVX2 0
#endif
#else
#define TW_JSON_SSE2 0
#define TW_JSON_AVX2 0
#endif

#include "tw_json.h"

/* tw_json_lookup's cache: 2^HINT_BITS slots for a page (its items share
 * their keys' order, read thousands of times) and for a cache that single
 * records share (tw_jhints), 2^HINT_BITS_ONE for a single record's own (a
 * few reads, and kept by the thousand in a bulk call's results: 1 KiB of
 * cache each was a third of a record's memory). */
#define HINT_BITS 6
#define HINT_BITS_ONE 3
typedef struct { const void *key; unsigned idx; } hint_slot_t;
struct tw_jhints {
  uint64_t set;              /* bit h: slot[h] was written; never cleared */
  hint_slot_t slot[];        /* 2^(the doc's hint_bits) */
};
#define PAD 16                 /* zero bytes after the text: 16-byte loads */
#define ITEMS_KEY_MAX 64

/* A block of key indexes; the document owns the chain. */
typedef struct arena_blk {
  struct arena_blk *next;
  size_t used, cap;          /* in unsigned units */
  unsigned data[];
} arena_blk;

struct tw_jdoc {
  int refs;
  int root, root_end;        /* the root value */
  size_t len;                /* of text, without the NUL and padding */
  /* page data, recorded while validating (or by tw_json_page) */
  char items_key[ITEMS_KEY_MAX];   /* "" when nothing was recorded */
  int items_val;             /* the items member's value, -1 */
  int next_val;              /* next_page_uri's value, -1 */
  tw_jobj *items;            /* owned: malloc'd, nitems used; without an
                                items key, items[0] is the root */
  size_t nitems, items_cap;
  tw_jobj root_obj;
  /* narrow key indexes of items: per member (key's first content byte -
   * item start) | (value - item start) << 16 */
  unsigned *members;         /* owned: malloc'd, nmem used */
  size_t nmem, mem_cap;
  arena_blk *arena;          /* owned: wide key indexes */
  size_t arena_next;         /* size of the next block, in unsigned */
  size_t arena_bytes;
  unsigned hint_bits;        /* hc has 2^hint_bits slots (<= 6) */
  const char *text;          /* the body (BOM removed), text[len] == NUL:
                                copy[] (tw_jdoc_parse), or borrowed
                                (tw_jdoc_borrow: the caller's, never
                                written, never read past text[len]) */
  int borrowed;
  unsigned char in_place;    /* d is in the caller's block
                                (tw_jdoc_parse_in): never freed here */
  unsigned char shared_hc;   /* hc is the caller's (tw_jhints) */
  unsigned char sealed;      /* in_place and born with no memory of its
                                own: its owner may free nothing (see
                                doc_alloc_check) */
  unsigned char inline_members, inline_items;  /* members / items live in
                                d's own block (a single record's doc_parse):
                                never realloc'd nor freed on their own */
  tw_jhints *hc;             /* tw_json_lookup's cache: in d's own block
                                after the text (and a single record's
                                arrays), or the caller's (shared_hc) */
  char copy[];               /* owned with the struct: body + NUL + PAD,
                                tw_jdoc_parse only */
};

/* ---- character classes --------------------------------------------------- */

/* WS: JSON whitespace. DL: ends a primitive (whitespace , ] }: a primitive
 * needs one after it, even at the end of the text, as jsmn did).
 * ST: stops a string scan ('"', '\\', NUL). */
enum { C_WS = 1, C_DL = 2, C_ST = 4, C_HX = 8, C_ES = 16 };
static const unsigned char cls[256] = {
  ['\0'] = C_ST, ['\t'] = C_WS | C_DL, ['\n'] = C_WS | C_DL,
  ['\r'] = C_WS | C_DL, [' '] = C_WS | C_DL, [','] = C_DL, [']'] = C_DL,
  ['}'] = C_DL, ['"'] = C_ST | C_ES, ['\\'] = C_ST | C_ES, ['/'] = C_ES,
  ['b'] = C_ES | C_HX, ['f'] = C_ES | C_HX, ['n'] = C_ES, ['r'] = C_ES,
  ['t'] = C_ES,
  ['0'] = C_HX, ['1'] = C_HX, ['2'] = C_HX, ['3'] = C_HX, ['4'] = C_HX,
  ['5'] = C_HX, ['6'] = C_HX, ['7'] = C_HX, ['8'] = C_HX, ['9'] = C_HX,
  ['a'] = C_HX, ['c'] = C_HX, ['d'] = C_HX, ['e'] = C_HX,
  ['A'] = C_HX, ['B'] = C_HX, ['C'] = C_HX, ['D'] = C_HX, ['E'] = C_HX,
  ['F'] = C_HX,
};
#define IS(c, k) (cls[(unsigned char)(c)] & (k))
#define DIGIT(c) ((unsigned)((unsigned char)(c) - '0') < 10u)

/* The scanner's hot helpers are forced inline (GCC left find_stop out of
 * line, with its SSE constants set up on every call); the rare paths are
 * kept out of line. */
#if defined(__GNUC__)
#define HOT static inline __attribute__((always_inline))
#define COLD static __attribute__((noinline, cold))
#define NOINLINE static __attribute__((noinline))
#define LIKELY(x) __builtin_expect(!!(x), 1)
#define UNLIKELY(x) __builtin_expect(!!(x), 0)
#define CTZ64(x) ((size_t)__builtin_ctzll(x))
#else
#define HOT static inline
#define COLD static
#define NOINLINE static
#define LIKELY(x) (x)
#define UNLIKELY(x) (x)
#define CTZ64(x) ctz64(x)
/* The trailing zeros of x, which is not 0. */
static size_t ctz64(uint64_t x) {
  size_t c = 0;
  while (!(x & 1)) {
    x >>= 1;
    c++;
  }
  return c;
}
#endif

/* Index of the first '"', '\\' or NUL at or after i (i <= n). s[n] is the
 * text's terminating NUL, and nothing after it may be read: a borrowed text
 * (tw_jdoc_borrow, a Lua string) is NUL-terminated but not padded. So the
 * 16-byte loads run only while 16 bytes up to and including s[n] remain,
 * then the scalar loop finishes (it stops at s[n] at the latest, and reads
 * no byte past the first stop). */
HOT size_t find_stop(const char *s, size_t i, size_t n) {
#if TW_JSON_SSE2
  const __m128i q = _mm_set1_epi8('"'), b = _mm_set1_epi8('\\');
  const __m128i z = _mm_setzero_si128();
  while (i + 16 <= n + 1) {
    __m128i v = _mm_loadu_si128((const __m128i *)(const void *)(s + i));
    __m128i m = _mm_or_si128(_mm_or_si128(_mm_cmpeq_epi8(v, q),
                                          _mm_cmpeq_epi8(v, b)),
                             _mm_cmpeq_epi8(v, z));
    int bits = _mm_movemask_epi8(m);
    if (bits) return i + (size_t)__builtin_ctz((unsigned)bits);
    i += 16;
  }
  for (;;) {
    if (IS(s[i], C_ST)) return i;
    i++;
  }
#else
  (void)n;
  for (;;) {
    if (IS(s[i], C_ST)) return i;
    if (IS(s[i + 1], C_ST)) return i + 1;
    if (IS(s[i + 2], C_ST)) return i + 2;
    if (IS(s[i + 3], C_ST)) return i + 3;
    i += 4;
  }
#endif
}

/* ---- errors -------------------------------------------------------------- */

/* where: 0 "what", 1 "what at byte N", 2 "what (unexpected end at byte N)";
 * N is 1-based for people, err->offset 0-based. */
static void set_err(tw_jerr *err, size_t offset, const char *what, int where) {
  if (!err) return;
  err->offset = offset;
  if (where == 1)
    snprintf(err->msg, sizeof err->msg, "%s at byte %zu", what, offset + 1);
  else if (where == 2)
    snprintf(err->msg, sizeof err->msg, "%s (unexpected end at byte %zu)",
             what, offset + 1);
  else
    snprintf(err->msg, sizeof err->msg, "%s", what);
}

/* Grammar of a JSON number: -?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)? */
static int valid_number(const char *s, size_t n) {
  size_t i = 0;
  if (i < n && s[i] == '-') i++;
  if (i >= n) return 0;
  if (s[i] == '0') i++;
  else if (s[i] >= '1' && s[i] <= '9') {
    while (i < n && s[i] >= '0' && s[i] <= '9') i++;
  } else return 0;
  if (i < n && s[i] == '.') {
    size_t d = ++i;
    while (i < n && s[i] >= '0' && s[i] <= '9') i++;
    if (i == d) return 0;
  }
  if (i < n && (s[i] == 'e' || s[i] == 'E')) {
    size_t d;
    i++;
    if (i < n && (s[i] == '+' || s[i] == '-')) i++;
    d = i;
    while (i < n && s[i] >= '0' && s[i] <= '9') i++;
    if (i == d) return 0;
  }
  return i == n;
}

/* The offset of the first wrong byte of the value (or key) that starts at
 * s[i], which the scanner could not read, or n when the text ends first
 * (s[n] is the NUL). A value read whole is followed by a byte that is not
 * a delimiter: that byte's offset. */
COLD size_t value_error(const char *s, size_t i, size_t n) {
  const char *w = NULL;
  if (s[i] == '"') {
    for (i++;; i++) {
      if (i >= n) return n;
      if (s[i] == '"') return i + 1;
      if (s[i] == '\0') return i;
      if (s[i] == '\\') {
        size_t k;
        if (i + 1 >= n) return n;
        if (s[i + 1] != 'u') {
          if (!IS(s[i + 1], C_ES)) return i + 1;
          i++;
          continue;
        }
        for (k = 2; k < 6; k++) {
          if (i + k >= n) return n;
          if (!IS(s[i + k], C_HX)) return i + k;
        }
        i += 5;
      }
    }
  }
  if (s[i] == 't') w = "true";
  else if (s[i] == 'f') w = "false";
  else if (s[i] == 'n') w = "null";
  if (w) {
    for (; *w; w++, i++) {
      if (i >= n) return n;
      if (s[i] != *w) return i;
    }
    return i;
  }
  if (s[i] == '-') i++;
  if (i >= n) return n;
  if (s[i] == '0') i++;
  else if (DIGIT(s[i])) { do i++; while (DIGIT(s[i])); }
  else return i;
  if (s[i] == '.') {
    i++;
    if (i >= n) return n;
    if (!DIGIT(s[i])) return i;
    do i++; while (DIGIT(s[i]));
  }
  if (s[i] == 'e' || s[i] == 'E') {
    i++;
    if (s[i] == '+' || s[i] == '-') i++;
    if (i >= n) return n;
    if (!DIGIT(s[i])) return i;
    do i++; while (DIGIT(s[i]));
  }
  return i;
}

/* ---- the validating scanner ---------------------------------------------- */

/* scan_string's rest, from a stop at s[i] that is not the closing quote
 * (a backslash, or a NUL): the offset past the closing quote, or 0. */
COLD size_t scan_string_rest(const char *s, size_t i, size_t n) {
  for (;;) {
    if (s[i] == '"') return i + 1;
    if (s[i] != '\\') return 0;              /* NUL: embedded or the end */
    if (s[i + 1] == 'u') {
      if (!(IS(s[i + 2], C_HX) && IS(s[i + 3], C_HX) && IS(s[i + 4], C_HX) &&
            IS(s[i + 5], C_HX)))
        return 0;
      i += 6;
    } else if (IS(s[i + 1], C_ES)) {
      i += 2;
    } else {
      return 0;
    }
    i = find_stop(s, i, n);
  }
}

/* The 4 bytes at p, as a number to compare with load32("abcd"), which
 * compilers fold to a constant (either byte order). */
HOT uint32_t load32(const char *p) {
  uint32_t w;
  memcpy(&w, p, 4);
  return w;
}

/* The 8 bytes at p, the same way as load32. */
HOT uint64_t load64(const char *p) {
  uint64_t w;
  memcpy(&w, p, 8);
  return w;
}

/* Where the stops are, for the scanner: bit j of a 64-bit word is set when
 * s[64 w + j] is a stop. Finding a string's end from its start with loads
 * at the start makes each string wait for the one before (load, compare,
 * mask, count: ~20 cycles); a block's word depends only on the block, so
 * the words are made ahead, STOP_WORDS blocks (8 KiB of text) at a time in
 * a tight loop (stops_fill: AVX2 when the CPU has it, else SSE2), and the
 * wait is a load, a shift and a count. Nothing past s[n] is read: the
 * block that holds s[n] is made byte by byte, and it is the last. */
#define STOP_WORDS 128
typedef struct {
  size_t w0, nw;             /* bits[k] is block w0 + k's, for k < nw */
  uint64_t bits[STOP_WORDS];
} stops;

/* *out for the last block, s[b..n], byte by byte: nothing past s[n] is
 * read; the later bits stay 0 (and s[n] is a stop). */
static void blocks_tail(const char *s, size_t b, size_t n, uint64_t *out) {
  uint64_t bits = 0;
  size_t j;
  for (j = 0; b + j <= n; j++)
    if (IS(s[b + j], C_ST)) bits |= (uint64_t)1 << j;
  *out = bits;
}

#if !TW_JSON_SSE2
/* The stops among the 8 bytes at p, bit j for p[j]: 8 bytes at a time in a
 * 64-bit word (any C compiler). With t = a byte's low 7 bits, (t ^ c) +
 * 0x7F sets bit 7 exactly when t != c, and never carries into the next
 * byte; a byte is '"', '\\' or NUL when its own bit 7 is clear and t is
 * one of them. */
HOT unsigned stops8(const char *p) {
  const uint64_t L = UINT64_C(0x7F7F7F7F7F7F7F7F);
  const uint64_t ones = UINT64_C(0x0101010101010101);
  const union { uint32_t u; unsigned char c[4]; } order = { 1 };
  uint64_t x = load64(p), t, keep;
  if (order.c[0] != 1) {               /* big-endian: p[0] to the low byte */
    x = ((x & UINT64_C(0x00000000FFFFFFFF)) << 32) | (x >> 32);
    x = ((x & UINT64_C(0x0000FFFF0000FFFF)) << 16) |
        ((x >> 16) & UINT64_C(0x0000FFFF0000FFFF));
    x = ((x & UINT64_C(0x00FF00FF00FF00FF)) << 8) |
        ((x >> 8) & UINT64_C(0x00FF00FF00FF00FF));
  }
  t = x & L;
  /* bit 7 of each byte: set when the byte is not a stop */
  keep = (((t ^ (ones * '"')) + L) & ((t ^ (ones * '\\')) + L) & (t + L)) | x;
  /* the 8 bit-7s, clear where a stop is, gathered into one byte */
  return (unsigned)((((~keep >> 7) & ones) * UINT64_C(0x0102040810204080)) >> 56);
}

/* out[k] for the nb whole blocks at p, 8 bytes at a time (any C compiler). */
static void blocks_scalar(const char *p, size_t nb, uint64_t *out) {
  size_t k;
  for (k = 0; k < nb; k++, p += 64)
    out[k] = (uint64_t)stops8(p) | (uint64_t)stops8(p + 8) << 8 |
             (uint64_t)stops8(p + 16) << 16 | (uint64_t)stops8(p + 24) << 24 |
             (uint64_t)stops8(p + 32) << 32 | (uint64_t)stops8(p + 40) << 40 |
             (uint64_t)stops8(p + 48) << 48 | (uint64_t)stops8(p + 56) << 56;
}
#endif

#if TW_JSON_SSE2
/* The same with SSE2 (x86-64's baseline). */
static void blocks_sse2(const char *p, size_t nb, uint64_t *out) {
  const __m128i q = _mm_set1_epi8('"'), bs = _mm_set1_epi8('\\');
  const __m128i z = _mm_setzero_si128();
  size_t k;
  for (k = 0; k < nb; k++, p += 64) {
    __m128i v0 = _mm_loadu_si128((const __m128i *)(const void *)p);
    __m128i v1 = _mm_loadu_si128((const __m128i *)(const void *)(p + 16));
    __m128i v2 = _mm_loadu_si128((const __m128i *)(const void *)(p + 32));
    __m128i v3 = _mm_loadu_si128((const __m128i *)(const void *)(p + 48));
#define STOPS16(v) (uint64_t)(unsigned)_mm_movemask_epi8(_mm_or_si128(     \
    _mm_or_si128(_mm_cmpeq_epi8(v, q), _mm_cmpeq_epi8(v, bs)),              \
    _mm_cmpeq_epi8(v, z)))
    out[k] = STOPS16(v0) | STOPS16(v1) << 16 | STOPS16(v2) << 32 |
             STOPS16(v3) << 48;
#undef STOPS16
  }
}
#endif

#if TW_JSON_AVX2
/* The same with 32-byte loads, compiled for AVX2 and called only when the
 * CPU has it (blocks asks). One compare per 32 bytes instead of three: a
 * byte is a stop when it equals the entry of a 16-byte table at its low
 * nibble (vpshufb): '"' (0x22) at 2, '\\' (0x5C) at 12, NUL at 0, and 0
 * elsewhere, which no byte with that low nibble equals; a byte with its
 * high bit set looks up 0, and is not 0. */
__attribute__((target("avx2")))
static void blocks_avx2(const char *p, size_t nb, uint64_t *out) {
  const __m256i t = _mm256_setr_epi8(0, 0, '"', 0, 0, 0, 0, 0, 0, 0, 0, 0,
                                     '\\', 0, 0, 0, 0, 0, '"', 0, 0, 0, 0,
                                     0, 0, 0, 0, 0, '\\', 0, 0, 0);
  char *o = (char *)out;
  size_t k;
  /* each 32-byte half's bits stored as the word's low or high 4 bytes
   * (x86 is little-endian), two blocks a turn */
#define STOPS32(at, to)                                                    \
  do {                                                                     \
    __m256i v_ = _mm256_loadu_si256((const __m256i *)(const void *)(at));  \
    unsigned m_ = (unsigned)_mm256_movemask_epi8(                          \
        _mm256_cmpeq_epi8(v_, _mm256_shuffle_epi8(t, v_)));                \
    memcpy((to), &m_, 4);                                                  \
  } while (0)
  for (k = 0; k + 2 <= nb; k += 2, p += 128, o += 16) {
    STOPS32(p, o);
    STOPS32(p + 32, o + 4);
    STOPS32(p + 64, o + 8);
    STOPS32(p + 96, o + 12);
  }
  if (k < nb) {
    STOPS32(p, o);
    STOPS32(p + 32, o + 4);
  }
#undef STOPS32
}
#endif

/* The best of the above this build and this CPU have. */
static void blocks(const char *p, size_t nb, uint64_t *out) {
#if TW_JSON_AVX2
  if (__builtin_cpu_supports("avx2")) {
    blocks_avx2(p, nb, out);
    return;
  }
#endif
#if TW_JSON_SSE2
  blocks_sse2(p, nb, out);
#else
  blocks_scalar(p, nb, out);
#endif
}

/* Makes st's words from block w on (64 w <= n): the whole blocks that end
 * at or before s[n], at most STOP_WORDS, then the block holding s[n]. That
 * one is made from the 64 bytes that end at s[n] (shifted down to where
 * the block starts: no bit past s[n]), or byte by byte in a text shorter
 * than 64 bytes. */
NOINLINE void stops_fill(stops *st, const char *s, size_t w, size_t n) {
  size_t whole = (n + 1) / 64, nb = 0;      /* blocks that end by s[n] */
  if (w < whole) nb = whole - w < STOP_WORDS ? whole - w : STOP_WORDS;
  blocks(s + 64 * w, nb, st->bits);
  if (nb < STOP_WORDS && 64 * (w + nb) <= n) {
    size_t b = 64 * (w + nb);
    if (n >= 63) {
      uint64_t win;
      blocks(s + n - 63, 1, &win);
      st->bits[nb] = win >> (b + 63 - n);
    } else {
      blocks_tail(s, b, n, &st->bits[nb]);
    }
    nb++;
  }
  st->w0 = w;
  st->nw = nb;
}

/* find_stop(s, i, n), through st's words. */
HOT size_t stops_find(stops *st, const char *s, size_t i, size_t n) {
  for (;;) {
    size_t k = (i >> 6) - st->w0;          /* wraps when i is before */
    uint64_t r;
    if (UNLIKELY(k >= st->nw)) {
      stops_fill(st, s, i >> 6, n);
      k = 0;
    }
    r = st->bits[k] >> (i & 63);
    if (LIKELY(r != 0)) return i + CTZ64(r);
    i = (i | 63) + 1;
  }
}

/* After the opening quote at s[i-1]: the offset past the closing quote, or
 * 0 when the string is not valid (bad escape, NUL, end of text). *esc is
 * set when the string has a backslash (and may be when it is invalid). */
HOT size_t scan_string(stops *st, const char *s, size_t i, size_t n,
                       int *esc) {
  i = stops_find(st, s, i, n);
  if (LIKELY(s[i] == '"')) return i + 1;
  *esc = 1;
  return scan_string_rest(s, i, n);
}

/* Keys compare after unescaping; raw[0..n) is a key's raw contents. */
static int key_equals(const char *raw, size_t n, const char *key,
                      size_t klen) {
  if (n == klen && memcmp(raw, key, klen) == 0) return 1;
  /* an escaped key is longer than its text: only then look for '\\' */
  if (n > klen && memchr(raw, '\\', n)) {
    char small[256];
    char *buf = n <= sizeof small ? small : malloc(n);
    int eq;
    if (!buf) return 0;
    eq = tw_json_unescape(raw, n, buf) == klen && memcmp(buf, key, klen) == 0;
    if (buf != small) free(buf);
    return eq;
  }
  return 0;
}

/* arr (n of its elements of size elem in use) moved to cap elements:
 * realloc'd, or copied out of d's block when it lives there (*inl, then
 * cleared: the copy is d's own from here). NULL when out of memory, arr
 * left as it was. push_item's items, grow_members' members. */
static void *regrow(void *arr, unsigned char *inl, size_t n, size_t cap, size_t elem) {
  void *na;
  if (*inl) {
    na = malloc(cap * elem);
    if (na && n) memcpy(na, arr, n * elem);
  } else {
    na = realloc(arr, cap * elem);
  }
  if (na) *inl = 0;
  return na;
}

/* Called before d takes memory of its own. A sealed doc (tw_jdoc_parse_in,
 * not tw_jdoc_external once parsed) may belong to a record without a
 * finalizer (a LuaJIT single record), which would leak it: its contract
 * is that lookups stay on its root object, whose index is built. Under
 * ASan (the C tests, the module the specs load under ASan) breaking it
 * aborts here, naming it; other builds check nothing (no cost). */
#if defined(__SANITIZE_ADDRESS__)
#define TW_CHECK_SEALED 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define TW_CHECK_SEALED 1
#endif
#endif
static void doc_alloc_check(const tw_jdoc *d) {
#ifdef TW_CHECK_SEALED
  if (d->sealed) {
    fputs("tw_json: a sealed in-place document (tw_jdoc_parse_in) takes memory "
          "of its own: no owner would free it\n", stderr);
    abort();
  }
#else
  (void)d;
#endif
}

static int push_item(tw_jdoc *d, size_t start) {
  tw_jobj *o;
  if (d->nitems == d->items_cap) {
    /* about one per KiB of a page (Twilio's numbers take 1.3 KiB): rarely
     * grown (a single record's one slot is in the doc's own block) */
    size_t cap = d->items_cap ? d->items_cap * 2 : d->len / 1024 + 4;
    tw_jobj *ni;
    doc_alloc_check(d);
    ni = regrow(d->items, &d->inline_items, d->nitems, cap, sizeof *ni);
    if (!ni) return -1;
    d->items = ni;                     /* owned by d from here */
    d->items_cap = cap;
  }
  o = &d->items[d->nitems++];
  memset(o, 0, sizeof *o);
  o->start = (int)start;
  o->end = -1;
  o->first = (unsigned)d->nmem;
  o->state = TW_JOBJ_NARROW;
  return 0;
}

static int grow_members(tw_jdoc *d) {
  size_t cap = d->mem_cap * 2 + 64;
  unsigned *nm;
  doc_alloc_check(d);
  nm = regrow(d->members, &d->inline_members, d->nmem, cap, sizeof *nm);
  if (!nm) return -1;
  d->members = nm;                     /* owned by d from here */
  d->mem_cap = cap;
  return 0;
}


/* 1 when s starts with the literal w. Byte by byte, stopping at the first
 * difference: memcmp may read all of its bytes, past the text's NUL. */
static int lit(const char *s, const char *w) {
  while (*w)
    if (*s++ != *w++) return 0;
  return 1;
}

/* 1 when s[i..] starts with the literal w of wl bytes (s[n] is the NUL).
 * When all wl bytes lie at or before s[n], one memcmp (a word compare);
 * nearer the end, lit's byte loop, which stops at the NUL. */
HOT int lit_at(const char *s, size_t i, size_t n, const char *w, size_t wl) {
  if (LIKELY(i + wl <= n + 1)) return memcmp(s + i, w, wl) == 0;
  return lit(s + i, w);
}


static size_t skip_string(const char *s, size_t i, size_t n);
static size_t skip_value(const char *s, size_t i, size_t n);

/* An item's narrow index packs each member's offsets in 16 bits each. A
 * member takes 5 bytes at least ("":0,), so member k's value starts at
 * 4 + 5 k or later: an item with more than ITEM_MEMBERS members has an
 * offset over 0xFFFF, and so has none of the narrow kind. */
#define ITEM_MEMBERS 13107u

/* How far an item's members may fill d->members before the scanner must
 * look (grow the array, or find the item too big to index narrowly). */
HOT size_t member_limit(const tw_jdoc *d, size_t first) {
  return first + ITEM_MEMBERS < d->mem_cap ? first + ITEM_MEMBERS
                                           : d->mem_cap;
}

/* 1 when a member value of the valid object at s[o] starts more than 0xFFFF
 * bytes after it (its offsets do not fit the narrow index). */
COLD int item_over(const char *s, size_t o, size_t n) {
  size_t p = o + 1, last = o;
  for (;;) {
    while (IS(s[p], C_WS)) p++;
    if (s[p] == ',') {
      p++;
      while (IS(s[p], C_WS)) p++;
    }
    if (s[p] == '}') break;
    p = skip_string(s, p + 1, n);            /* the key */
    while (IS(s[p], C_WS)) p++;
    p++;                                      /* ':' */
    while (IS(s[p], C_WS)) p++;
    last = p;
    p = skip_value(s, p, n);
  }
  return last - o > 0xFFFFu;
}

/* scan_doc's chain reads the stop words in order: r is what is left of
 * the word of the block at blk, cp points at the next word in st->bits,
 * and below cend the next word needs no test but cp < cend. chain_start
 * sets these for the stops at p and after (in the first block from p's
 * on that has any): it returns 0 (the chain stops, the general code goes
 * on) when that block is not below wend (80 bytes or less before s[n]:
 * the chain's loads are unchecked) or room, the members the chain may
 * still write, is under 16. cend keeps both true for every word below
 * it: it stops 80 bytes before s[n], and at room / 16 blocks, as a block
 * holds at most 13 keys' closing quotes (5 bytes a member at least), and
 * so the chain records at most 13 members per word. */
typedef struct {
  uint64_t r;                /* the stops in the block at blk still ahead */
  size_t blk;
  const uint64_t *cp, *cend; /* the next block's word in st->bits, and the
                                end of the words the chain may use */
} chain_pos;

HOT int chain_start(stops *st, const char *s, size_t n, size_t p,
                    chain_pos *c, size_t room, size_t wend) {
  if (room < 16) return 0;
  for (;;) {
    size_t k = (p >> 6) - st->w0;
    uint64_t bits;
    if ((p >> 6) >= wend) return 0;
    if (UNLIKELY(k >= st->nw)) {
      stops_fill(st, s, p >> 6, n);
      k = 0;
    }
    bits = st->bits[k] & (~(uint64_t)0 << (p & 63));
    if (LIKELY(bits != 0)) {
      size_t lim = wend - st->w0;
      if (lim > st->nw) lim = st->nw;
      if (lim > k + (room >> 4)) lim = k + (room >> 4);
      c->r = bits;
      c->blk = p & ~(size_t)63;
      c->cp = &st->bits[k + 1];
      c->cend = &st->bits[lim];
      return 1;
    }
    p = (p | 63) + 1;
  }
}

/* The chain's state between scan_body and chain_run: where it is in the
 * stop words (c), the members it writes, the nesting it opens and closes.
 * start and pos as in scan_body; q a stop or a place (see the CX_). */
typedef struct {
  chain_pos c;
  tw_jdoc *d;
  unsigned *mem;
  size_t nmem, rec;          /* rec: 1 when the members at depth are an
                                item's (they are kept: nmem += rec) */
  unsigned ibase;
  size_t start, pos, q;
  size_t istart, ifirst, mlim;   /* scan_body's: the current item */
  int plain;                 /* the current item has no escaped key and
                                is not over (see scan_body's esc, over) */
  int depth, item_depth, keys;
  unsigned char *stack;
  stops *st;                 /* scan_body's, and its n and wend */
  size_t n, wend;
} chain_ctx;

/* In the chain: the item that started at x->istart ends before end, the
 * next starts at next (its '{'), as scan_body's ITEM_END and ITEM_START
 * would do it when nothing is unusual: the item plain and 64 KiB or less,
 * and room for the next in d->items. 1 when done; 0 (nothing done) for
 * scan_body's. */
HOT int chain_item(chain_ctx *x, size_t end, size_t next, size_t nmem) {
  static const tw_jobj blank;          /* all 0 */
  tw_jdoc *d = x->d;
  tw_jobj *o;
  if (!x->plain || end - x->istart > 0xFFFFu || d->nitems == d->items_cap)
    return 0;
  o = &d->items[d->nitems - 1];
  o->end = (int)end;
  o->n = (unsigned)(nmem - o->first);
  o++;
  d->nitems++;
  *o = blank;                          /* as push_item's memset: GCC made
                                          that a rep stos */
  o->start = (int)next;
  o->end = -1;
  o->first = (unsigned)nmem;
  o->state = TW_JOBJ_NARROW;
  x->istart = next;
  x->ibase = 1u - (unsigned)next * 0x10001u;
  x->ifirst = nmem;
  x->mlim = member_limit(d, nmem);
  return 1;
}

/* chain_start for chain_body (out of line: once per STOP_WORDS blocks, or
 * when the room for members is short), into x->c. */
NOINLINE int chain_more(chain_ctx *x, const char *s, size_t p, size_t nmem) {
  return chain_start(x->st, s, x->n, p, &x->c, x->mlim - nmem, x->wend);
}

/* chain_run's entries: at a key (start == pos, at its '"'; c.r: the stops
 * after it, maybe none), or at a string value's first stop (start == pos
 * at its '"', recorded; c.r: its first stop is the lowest bit). */
enum { CH_KEY, CH_VALUE };
/* scan_body takes only CH_KEY today. The parameter stays: without it GCC
 * compiles chain_body differently (no constprop clone) and list-all's scan
 * costs 88 k instructions a page more (callgrind, 51 pages minus 1, / 50:
 * chain_bmi 75.5 M -> 79.9 M over 51 pages, at 68041a9). */
/* chain_run's exits, each at a place of scan_body's: CX_KEY_MORE,
 * CX_VALUE_MORE: the words ran out at a key or at a string value (start ==
 * pos at its '"'; chain_start, or key_slow: / value_slow:); CX_KEY_END: a
 * key whose first stop q the chain does not take (key_end:); CX_STRING_END:
 * a string value's first stop q that is not its closing quote
 * (string_end:); CX_GENERAL: a value at start ends before pos, and what
 * follows is not the chain's (after:, prim_end:); CX_ITEM: an item ends
 * before pos (depth: its array's), the next item's '{' at q. */
enum { CX_KEY_MORE, CX_VALUE_MORE, CX_KEY_END, CX_STRING_END, CX_GENERAL,
       CX_ITEM };

/* In the chain, at a '}' that closes the object the chain is in (depth)
 * and is followed by ", " and a key: 1 when the general code would do no
 * more than close it and go to that key (member:): the object is not an
 * item (that one ends the general way), its parent is an object, and the
 * parent is not the root while the root's keys are looked for. */
#define CHAIN_CLOSE                                                        \
  (depth >= 2 && stack[depth - 2] && depth - 1 != x->item_depth &&          \
   (depth != 2 || !x->keys))

/* In the chain, when r is 0: the stops at p and after, from the next word
 * on (p is at most 10 bytes into the next block: the chain passes no more
 * than that in one step; the words after it need no mask), up to cend,
 * then through chain_start (chain_more); else leaves with the exit ex
 * (scan_body goes on with its slow paths). */
#define CHAIN_NEXT(p, ex)                                                  \
  do {                                                                     \
    size_t p_ = (p);                                                       \
    blk += 64;                                                             \
    if (UNLIKELY(cp == cend)) {                                            \
      CHAIN_MORE(p_, ex);                                                  \
    } else {                                                               \
      r = *cp++;                                                           \
      if (UNLIKELY(p_ > blk)) r &= ~(uint64_t)0 << (p_ - blk);             \
      while (UNLIKELY(r == 0)) { /* a block inside a string */             \
        if (cp == cend) {                                                  \
          CHAIN_MORE(p_, ex);                                              \
          break;                                                           \
        }                                                                  \
        blk += 64;                                                         \
        r = *cp++;                                                         \
      }                                                                    \
    }                                                                      \
  } while (0)
/* past the words: chain_start's, from p on; else leaves with ex */
#define CHAIN_MORE(p, ex)                                                  \
  do {                                                                     \
    if (!chain_more(x, s, (p), nmem)) CHAIN_OUT(ex, 0, 0);                 \
    r = x->c.r;                                                            \
    blk = x->c.blk;                                                        \
    cp = x->c.cp;                                                          \
    cend = x->c.cend;                                                      \
  } while (0)

/* The members of Twilio's spacing (and of compact JSON), from the stop
 * bits alone. Each step matches whole byte patterns, which prove which
 * stop comes next: after a key's closing quote and ": " (or ":"), the
 * value's opening quote; after a string's closing quote and ", " (or
 * ","), the next key's opening quote; after "null, \"" (and so on) the
 * same. So a stop is passed by clearing r's lowest bit (when it lies in a
 * later block, r is 0 already). Nested objects open ("key": {"k...) and
 * close ("v"}, "k...), and one item ends and the next starts ("v"}, {"k...,
 * chain_item), here too when the general code would do no more than that
 * (see CHAIN_CLOSE); anything else goes back to scan_body (the CX_), at
 * the same place. The members are written without a test of the array's
 * room: chain_start's words (chain_more's) hold at most as many as there
 * is room for. Its own function (a loop of its own, its state in
 * registers: inside scan_body, GCC kept the members array and the word
 * index on the stack), called by scan_body with x's state; returns a
 * CX_. */
HOT int chain_body(chain_ctx *x, const char *s, int entry) {
  uint64_t r = x->c.r;
  size_t blk = x->c.blk;
  const uint64_t *cp = x->c.cp, *cend = x->c.cend;
  unsigned *const mem = x->mem;
  size_t nmem = x->nmem, rec = x->rec, q;
  unsigned ibase = x->ibase;
  /* start + ibase (modulo 2^32; start < 2^28): a member's entry is this
   * plus its value's offset << 16 */
  unsigned sb = (unsigned)x->start + ibase;
  unsigned char *const stack = x->stack;
  int depth = x->depth, rc;
  uint32_t w;
#define START ((size_t)(sb - ibase))
/* leaves with exit ex: pos and q for scan_body */
#define CHAIN_OUT(ex, pos_, q_)                                            \
  do {                                                                     \
    rc = (ex);                                                             \
    x->pos = (pos_);                                                       \
    x->q = (q_);                                                           \
    goto out;                                                              \
  } while (0)
  if (entry == CH_VALUE) goto value;
chain:                       /* START: a key's '"', r: the stops after it */
  if (UNLIKELY(r == 0)) CHAIN_NEXT(START + 1, CX_KEY_MORE);
key:                         /* the same, r is not 0 */
  q = blk + CTZ64(r);
  r &= r - 1;                          /* the key's first stop, q */
  w = load32(s + q);
  if (LIKELY(w == load32("\": \""))) {  /* a string value at q + 3 */
    mem[nmem] = sb + ((unsigned)q << 16) + (3u << 16);
    nmem += rec;
    sb = (unsigned)q + 3 + ibase;
    r &= r - 1;                        /* its opening quote (q + 3) */
    if (UNLIKELY(r == 0)) CHAIN_NEXT(q + 4, CX_VALUE_MORE);
value:                       /* START: a string value's '"', recorded; its
                                first stop is r's lowest */
    q = blk + CTZ64(r);
    r &= r - 1;                        /* its first stop, q */
    if (LIKELY(load32(s + q) == load32("\", \""))) {
      sb = (unsigned)q + 3 + ibase;    /* the next key */
      r &= r - 1;                      /* its opening quote (q + 3) */
      if (UNLIKELY(r == 0)) CHAIN_NEXT(q + 4, CX_KEY_MORE);
      goto key;
    }
    if (UNLIKELY(s[q] != '"'))         /* a backslash or a NUL */
      CHAIN_OUT(CX_STRING_END, START, q);
    q++;
    goto after;
  }
  /* a literal, ", " and a '"': its first letter in w, then 8 bytes from
   * the space (from the 'f' for false); CHAIN_LIT records it (its value
   * at q + 3) and goes to the next key, its '"' at q + nk (the next bit);
   * or an object's '{' and its first key */
#define CHAIN_LIT(nk)                                                      \
  do {                                                                     \
    mem[nmem] = sb + ((unsigned)q << 16) + (3u << 16);                     \
    nmem += rec;                                                           \
    sb = (unsigned)q + (nk) + ibase;                                       \
    r &= r - 1;                                                            \
    goto chain;                                                            \
  } while (0)
  if (w == load32("\": n")) {
    if (load64(s + q + 2) == load64(" null, \"")) CHAIN_LIT(9);
    goto other;
  }
  if (w == load32("\": t")) {
    if (load64(s + q + 2) == load64(" true, \"")) CHAIN_LIT(9);
    goto other;
  }
  if (w == load32("\": f")) {
    const uint64_t y = load64(s + q + 3);
    if (y == load64("false, \"")) CHAIN_LIT(10);
    /* false then '}' (or anything else): what follows, after: */
    if ((y & load64("\xff\xff\xff\xff\xff\0\0")) != load64("false\0\0")) goto other;
    mem[nmem] = sb + ((unsigned)q << 16) + (3u << 16);
    nmem += rec;
    sb = (unsigned)q + 3 + ibase;
    q += 8;
    goto after;
  }
  if (w == load32("\": {")) {
    /* an object, its first key's '"' at q + 4 */
    if (s[q + 4] != '"' || depth >= TW_JSON_MAX_DEPTH) goto other;
    mem[nmem] = sb + ((unsigned)q << 16) + (3u << 16);
    nmem += rec;
    stack[depth++] = 1;
    rec = depth == x->item_depth + 1;
    sb = (unsigned)q + 4 + ibase;
    r &= r - 1;                        /* its opening quote */
    goto chain;
  }
#undef CHAIN_LIT
other:                       /* q: a key's closing quote, w: 4 bytes at q */
  if ((w & load32("\xff\xff\0")) != load32("\":\0"))
    CHAIN_OUT(CX_KEY_END, START, q);
  {
    size_t v = q + 2 + (s[q + 2] == ' ');   /* ":" or ": " then the value */
    uint64_t y;
    if (s[v] == '"') {
      mem[nmem] = sb + ((unsigned)v << 16);
      nmem += rec;
      sb = (unsigned)v + ibase;
      r &= r - 1;                      /* its opening quote */
      if (UNLIKELY(r == 0)) CHAIN_NEXT(v + 1, CX_VALUE_MORE);
      goto value;
    }
    y = load64(s + v);
    if (((y ^ load64("null\0\0\0")) & load64("\xff\xff\xff\xff\0\0\0")) == 0 ||
        ((y ^ load64("true\0\0\0")) & load64("\xff\xff\xff\xff\0\0\0")) == 0)
      q = v + 4;
    else if (((y ^ load64("false\0\0")) & load64("\xff\xff\xff\xff\xff\0\0")) == 0)
      q = v + 5;
    else if (s[v] == '{' && s[v + 1] == '"' && depth < TW_JSON_MAX_DEPTH) {
      mem[nmem] = sb + ((unsigned)v << 16);
      nmem += rec;
      stack[depth++] = 1;              /* an object, its first key */
      rec = depth == x->item_depth + 1;
      sb = (unsigned)v + 1 + ibase;
      r &= r - 1;                      /* its opening quote */
      goto chain;
    } else {
      CHAIN_OUT(CX_KEY_END, START, q);
    }
    mem[nmem] = sb + ((unsigned)v << 16);
    nmem += rec;
    sb = (unsigned)v + ibase;
  }
after:                       /* a value at START ends before q: what follows */
  {
    const uint64_t y = load64(s + q);
    size_t e = q;
    /* in Twilio's spacing the chain comes here at a '}' (", " after a
     * value it takes at once): that first */
    if (s[e] != '}') {
      if (((y ^ load64(", \"\0\0\0\0")) & load64("\xff\xff\xff\0\0\0\0")) == 0)
        q = e + 2;
      else if (((y ^ load64(",\"\0\0\0\0\0")) & load64("\xff\xff\0\0\0\0\0")) == 0)
        q = e + 1;
      else
        CHAIN_OUT(CX_GENERAL, e, e);
    } else if ((((y ^ load64("}, \"\0\0\0")) & load64("\xff\xff\xff\xff\0\0\0")) == 0 ||
                ((y ^ load64("},\"\0\0\0\0")) & load64("\xff\xff\xff\0\0\0\0")) == 0) &&
               CHAIN_CLOSE) {
      q = e + 2 + (s[e + 2] == ' ');   /* the next key, one level up */
      depth--;
      rec = depth == x->item_depth + 1;
    } else {
      /* "}, {\"", "},{\"": an item ends, the next starts; "}}, {\"",
       * "}},{\"": an object, then its item */
      size_t i = e, sp;
      if (s[e + 1] == '}') {
        if (!(depth >= 2 && depth - 2 == x->item_depth && stack[depth - 2]))
          CHAIN_OUT(CX_GENERAL, e, e);
        i = e + 1;
      } else if (depth - 1 != x->item_depth) {
        CHAIN_OUT(CX_GENERAL, e, e);
      }
      sp = s[i + 2] == ' ';
      if (!(s[i + 1] == ',' && s[i + 2 + sp] == '{' && s[i + 3 + sp] == '"'))
        CHAIN_OUT(CX_GENERAL, e, e);
      depth -= (int)(i - e) + 1;
      q = i + 2 + sp;                  /* the next item's '{' */
      if (!chain_item(x, i + 1, q, nmem)) CHAIN_OUT(CX_ITEM, i + 1, q);
      ibase = x->ibase;
      stack[depth++] = 1;
      rec = 1;
      q++;                             /* its first key */
    }
    sb = (unsigned)q + ibase;          /* the next key */
    r &= r - 1;                        /* its opening quote */
    goto chain;
  }
out:
  x->c.r = r;
  x->c.blk = blk;
  x->c.cp = cp;
  x->nmem = nmem;
  x->rec = rec;
  x->start = START;
  x->depth = depth;
  return rc;
#undef START
#undef CHAIN_OUT
}

#if TW_JSON_AVX2
/* chain_body for the BMI1/BMI2 build of scan_body (scan_doc_bmi). */
__attribute__((target("bmi,bmi2"), noinline))
static int chain_bmi(chain_ctx *x, const char *s, int entry) {
  return chain_body(x, s, entry);
}
#endif

NOINLINE int chain_run(chain_ctx *x, const char *s, int entry) {
  return chain_body(x, s, entry);
}
#undef CHAIN_CLOSE
#undef CHAIN_NEXT
#undef CHAIN_MORE

/* Validates d->text; records the root span and, with items_key, the page
 * data. Returns 0; or -1 with *at the failure offset and *why: 0 an
 * unexpected byte at *at, 1 the nesting limit, 2 a value (or key) starting
 * at *at that could not be read; or -2 when out of memory.
 *
 * Object members (but the root's while its keys are looked for) take a
 * fast path, member: below, for the shape of Twilio's bodies ("key":
 * "string", "key": null, ...): first the chain (see chain:), which
 * matches whole byte patterns against the stop bits while they last, then
 * key_end:, which makes the same checks in the same order as the general
 * path (value:, after:, key:), only with the common cases first; both
 * record an item's members and hand anything else to the general path.
 * Every read of s[i + 1] follows a test that s[i] is not the NUL, or one
 * that i + 1 <= n; a load of k bytes at s[i], one that i + k <= n + 1 (in
 * the chain: that the block is below wend).
 *
 * An item's members are written without a test per member of their
 * offsets, and the chain's without a test of the array's room (chain_start
 * makes sure of it); elsewhere the one test is nmem == mlim (room, or
 * ITEM_MEMBERS in this item). Whether the offsets fit 16 bits is decided
 * when the item ends (the common case: it is 64 KiB or less). */
HOT int scan_body(tw_jdoc *d, const char *items_key, size_t *at,
                  int *why, int bmi) {
  const char *s = d->text;
  const size_t n = d->len;
  size_t pos = 0, start, q, klen = items_key ? strlen(items_key) : 0;
  unsigned char stack[TW_JSON_MAX_DEPTH];     /* 1: object, 0: array */
  int depth = 0;
  /* 2 while inside the items array; 0 for a single record (its root) */
  int item_depth = items_key ? -1 : 0;
  int arm = 0;               /* the next '[' opens the items array */
  int keys = items_key != NULL;   /* root keys still to look for */
  int esc = 0, over = 0;     /* the current item: escaped keys, > 64 KiB */
  size_t istart = 0;         /* the current item's start */
  unsigned ibase = 0;        /* 1 - (istart + (istart << 16)), modulo 2^32:
                                a member's entry is its key's '"' +
                                (its value << 16) + ibase */
  stops st;
  /* d->members and d->nmem in registers: d->nmem is stored back before
   * anything reads it (push_item, grow_members, the end); mlim: see
   * member_limit; ifirst: the current item's first member */
  unsigned *mem = d->members;
  size_t nmem = d->nmem, mlim = 0, ifirst = 0;
  uint32_t w;
  chain_ctx x;               /* the chain's place in the stop words, and
                                its state while chain_run has it */
  int entry, rc;             /* chain_run's entry and exit */
  /* in the chain: 1 when its members are an item's (depth ==
   * item_depth + 1). The chain writes every member's entry, and keeps it
   * (nmem += rec) only then: there is always room (see chain_start). */
  size_t rec = 0;
  /* blocks the chain may use: the ones that start 80 bytes or more before
   * s[n], [0, wend) */
  const size_t wend = n >= 80 ? ((n - 80) >> 6) + 1 : 0;
#if !TW_JSON_AVX2
  (void)bmi;
#endif

/* The current item ends (pos: just past it) or one starts (pos: at it):
 * the general code's and the chain's. */
#define ITEM_END()                                                         \
  do {                                                                     \
    tw_jobj *o_ = &d->items[d->nitems - 1];                                \
    o_->end = (int)pos;                                                    \
    o_->esc = (unsigned char)esc;                                          \
    if (!over && UNLIKELY(pos - istart > 0xFFFFu) && s[istart] == '{')     \
      over = item_over(s, istart, n);                                      \
    if (over) {                  /* offsets do not fit: index it later */  \
      nmem = o_->first;                                                    \
      o_->state = TW_JOBJ_NONE;                                            \
    }                                                                      \
    o_->n = (unsigned)(nmem - o_->first);                                  \
  } while (0)
#define ITEM_START()                                                       \
  do {                                                                     \
    d->nmem = nmem;                                                        \
    if (push_item(d, pos) != 0) return -2;                                 \
    istart = pos;                                                          \
    ibase = 1u - (unsigned)istart * 0x10001u;                                   \
    esc = over = 0;                                                        \
    ifirst = nmem;                                                         \
    mlim = member_limit(d, ifirst);                                        \
  } while (0)

  st.w0 = st.nw = 0;                  /* no words made yet */
  x.stack = stack;
  x.d = d;
  x.st = &st;
  x.n = n;
  x.wend = wend;
  *why = 0;
  while (IS(s[pos], C_WS)) pos++;
  d->root = (int)pos;
value:
  while (IS(s[pos], C_WS)) pos++;
  if (depth == item_depth) ITEM_START();
  start = pos;
dispatch:                    /* start == pos, at a value */
  switch (s[pos]) {
  case '{':
    if (depth == TW_JSON_MAX_DEPTH) goto too_deep;
    stack[depth++] = 1;
    pos++;
    while (IS(s[pos], C_WS)) pos++;
    if (s[pos] == '}') { depth--; pos++; goto after; }
    goto key;
  case '[':
    if (depth == TW_JSON_MAX_DEPTH) goto too_deep;
    stack[depth++] = 0;
    pos++;
    while (IS(s[pos], C_WS)) pos++;
    if (s[pos] == ']') { depth--; pos++; arm = 0; goto after; }
    if (arm) { item_depth = depth; arm = 0; }
    goto value;
  case '"': {
    int e = 0;
    if (!(pos = scan_string(&st, s, pos + 1, n, &e))) goto bad_start;
    goto after;
  }
  case 't':
    if (!lit_at(s, pos, n, "true", 4)) goto bad_start;
    pos += 4;
    goto prim_end;
  case 'f':
    if (!lit_at(s, pos, n, "false", 5)) goto bad_start;
    pos += 5;
    goto prim_end;
  case 'n':
    if (!lit_at(s, pos, n, "null", 4)) goto bad_start;
    pos += 4;
    goto prim_end;
  case '-': case '0': case '1': case '2': case '3': case '4': case '5':
  case '6': case '7': case '8': case '9':
    if (s[pos] == '-') pos++;
    if (s[pos] == '0') pos++;
    else if (DIGIT(s[pos])) { do pos++; while (DIGIT(s[pos])); }
    else goto bad_start;
    if (s[pos] == '.') {
      pos++;
      if (!DIGIT(s[pos])) goto bad_start;
      do pos++; while (DIGIT(s[pos]));
    }
    if (s[pos] == 'e' || s[pos] == 'E') {
      pos++;
      if (s[pos] == '+' || s[pos] == '-') pos++;
      if (!DIGIT(s[pos])) goto bad_start;
      do pos++; while (DIGIT(s[pos]));
    }
    goto prim_end;
  default:
    goto bad;
  }
prim_end:
  /* a primitive ends at a delimiter (at the end of the text too) */
  if (!IS(s[pos], C_DL)) goto bad_start;
after:
  if (depth == item_depth) ITEM_END();
  if (depth == 0) {
    d->nmem = nmem;
    d->root_end = (int)pos;
    while (IS(s[pos], C_WS)) pos++;
    if (pos != n) goto bad;
    return 0;
  }
  while (IS(s[pos], C_WS)) pos++;
  if (s[pos] == ',') {
    pos++;
    if (!stack[depth - 1]) goto value;
    while (IS(s[pos], C_WS)) pos++;
    goto key;
  }
  if (s[pos] == (stack[depth - 1] ? '}' : ']')) {
    if (depth == item_depth) item_depth = -1;
    depth--;
    pos++;
    goto after;
  }
  goto bad;
key:
  if (s[pos] != '"') goto bad;
  start = pos;
  if (depth == 1 && keys) {              /* the root's, while looking */
    const char *raw;
    size_t rn;
    int is_items, is_next, e = 0;
    if (!(pos = scan_string(&st, s, pos + 1, n, &e))) goto bad_start;
    raw = s + start + 1;
    rn = pos - start - 2;
    is_items = d->items_val < 0 && key_equals(raw, rn, items_key, klen);
    is_next = !is_items && d->next_val < 0 &&
              key_equals(raw, rn, "next_page_uri", 13);
    while (IS(s[pos], C_WS)) pos++;
    if (s[pos] != ':') goto bad;
    pos++;
    while (IS(s[pos], C_WS)) pos++;
    if (is_items) {
      d->items_val = (int)pos;
      arm = s[pos] == '[';
    } else if (is_next) {
      d->next_val = (int)pos;
    }
    keys = d->items_val < 0 || d->next_val < 0;
    goto value;
  }
member:                      /* start == pos, at a key's '"' */
  rec = depth == item_depth + 1;      /* for the chain */
  if (chain_start(&st, s, n, pos + 1, &x.c, mlim - nmem, wend)) {
    entry = CH_KEY;
    goto chain;
  }
key_slow:                    /* start == pos, at a key's '"' */
  q = stops_find(&st, s, pos + 1, n);
key_end:                     /* start == pos, q: the key's first stop */
  w = LIKELY(q + 4 <= n + 1) ? load32(s + q) : 0;
  if (LIKELY((w & load32("\xff\xff\xff")) == load32("\": "))) {
    pos = q + 3;
    if (IS(s[pos], C_WS)) {
      do pos++; while (IS(s[pos], C_WS));
    }
  } else {
    if (s[q] == '"') {
      pos = q + 1;
    } else {
      if (depth == item_depth + 1) esc = 1;     /* an item's key */
      if (!(pos = scan_string_rest(s, q, n))) goto bad_start;
    }
    if (s[pos] != ':') {
      while (IS(s[pos], C_WS)) pos++;
      if (s[pos] != ':') goto bad;
    }
    pos++;
    while (IS(s[pos], C_WS)) pos++;
  }
  if (depth == item_depth + 1) {           /* a member of an item */
    if (UNLIKELY(nmem == mlim)) {
      if (nmem - ifirst >= ITEM_MEMBERS) {
        over = 1;                 /* dropped at the item's end: reuse */
        nmem = ifirst;
      } else {
        d->nmem = nmem;
        if (grow_members(d) != 0) return -2;
        mem = d->members;
        mlim = member_limit(d, ifirst);
      }
    }
    /* (start + 1 - istart) | (pos - istart) << 16, when both fit 16 bits
     * (else the item ends over, and these are dropped) */
    mem[nmem++] = (unsigned)start + ((unsigned)pos << 16) + ibase;
  }
  /* the value; value:'s whitespace skip is done, and a member's value is
   * never at item_depth (items are an array's) */
  start = pos;
  if (s[pos] == '"') {
    /* the usual string: no backslash, then ", " and the next key */
value_slow:                  /* start == pos, at a string value's '"' */
    q = stops_find(&st, s, pos + 1, n);
string_end:                  /* start == pos, q: the string's first stop */
    if (LIKELY(q + 4 <= n + 1) && load32(s + q) == load32("\", \"")) {
      pos = q + 3;
      start = pos;
      goto member;
    }
    if (s[q] == '"') {
      pos = q + 1;
    } else if (!(pos = scan_string_rest(s, q, n))) {
      goto bad_start;
    }
  } else if (s[pos] == 'n') {
    if (!lit_at(s, pos, n, "null", 4)) goto bad_start;
    pos += 4;
    if (!IS(s[pos], C_DL)) goto bad_start;
  } else if (s[pos] == 'f') {
    if (!lit_at(s, pos, n, "false", 5)) goto bad_start;
    pos += 5;
    if (!IS(s[pos], C_DL)) goto bad_start;
  } else if (s[pos] == 't') {
    if (!lit_at(s, pos, n, "true", 4)) goto bad_start;
    pos += 4;
    if (!IS(s[pos], C_DL)) goto bad_start;
  } else {
    goto dispatch;
  }
  /* after:, in an object (so depth is neither item_depth nor 0): a ", "
   * then the next key, or anything else the general way */
  if (s[pos] == ',' && s[pos + 1] == ' ' && s[pos + 2] == '"') {
    pos += 2;
    start = pos;
    goto member;
  }
  goto after;

chain:                       /* chain_run, from x.c; entry: CH_KEY, CH_VALUE */
  x.mem = mem;
  x.nmem = nmem;
  x.rec = rec;
  x.ibase = ibase;
  x.start = start;
  x.depth = depth;
  x.item_depth = item_depth;
  x.keys = keys;
  x.istart = istart;
  x.ifirst = ifirst;
  x.mlim = mlim;
  x.plain = !esc && !over;
#if TW_JSON_AVX2
  rc = bmi ? chain_bmi(&x, s, entry) : chain_run(&x, s, entry);
#else
  rc = chain_run(&x, s, entry);
#endif
  nmem = x.nmem;
  rec = x.rec;
  start = x.start;
  pos = x.pos;
  q = x.q;
  depth = x.depth;
  istart = x.istart;
  ifirst = x.ifirst;
  mlim = x.mlim;
  ibase = x.ibase;
  switch (rc) {
  case CX_KEY_MORE:                   /* start: at a '"' */
    pos = start;
    goto key_slow;
  case CX_VALUE_MORE:
    pos = start;
    goto value_slow;
  case CX_KEY_END:
    goto key_end;
  case CX_STRING_END:
    goto string_end;
  case CX_ITEM:                       /* an item ends at pos, the next at q */
    ITEM_END();
    pos = q;
    ITEM_START();
    stack[depth++] = 1;
    rec = 1;
    pos++;                             /* its first key */
    start = pos;
    x.c.r &= x.c.r - 1;                /* its opening quote */
    entry = CH_KEY;
    goto chain;
  default:                            /* CX_GENERAL: a value at start ends before pos */
    break;
  }
  if (s[start] == '"') goto after;
  goto prim_end;
too_deep:
  *why = 1;
  *at = pos;
  return -1;
bad_start:
  *why = 2;
  *at = start;
  return -1;
bad:
  *at = pos;
  return -1;
#undef ITEM_END
#undef ITEM_START
}

#if TW_JSON_AVX2
/* scan_body compiled for BMI1 and BMI2 too (x86 CPUs since 2013): a stop
 * is passed with one blsr, its place found by one tzcnt, and shifts by a
 * variable take no cl (blsr, tzcnt, shlx): about a tenth fewer
 * instructions. Called only when the CPU has them (scan_doc asks). */
__attribute__((target("bmi,bmi2"), noinline))
static int scan_doc_bmi(tw_jdoc *d, const char *items_key, size_t *at,
                        int *why) {
  return scan_body(d, items_key, at, why, 1);
}
#endif

/* scan_body, the best build of it this CPU can run. */
static int scan_doc(tw_jdoc *d, const char *items_key, size_t *at,
                    int *why) {
#if TW_JSON_AVX2
  if (__builtin_cpu_supports("bmi") && __builtin_cpu_supports("bmi2"))
    return scan_doc_bmi(d, items_key, at, why);
#endif
  return scan_body(d, items_key, at, why, 0);
}

/* ---- a single record's block (no items key) ------------------------------ */
/* Where a single record's doc puts its arrays in its one block (text_bytes
 * of body copied into it, mem_cap members): the root is its only item, so
 * one slot (push_item grows it). Before: n / 1024 + 4 slots, 5 for a
 * Twilio number (1,339 bytes): its doc 780 bytes, 652 now; a bulk call
 * keeps one per result. (The members keep their estimate: with fewer, the
 * scan's chain, which wants room for 16 more, leaves a number's last
 * members to the general path: +150 instructions a parse at n / 32 + 8.)
 * Offsets from a 16-byte aligned block; returns the block's size. */
enum { ALIGN = 16 };                   /* >= the alignment of tw_jobj, unsigned */
static size_t one_layout(size_t text_bytes, size_t mem_cap, size_t *items_at,
                         size_t *items_cap, size_t *members_at, size_t *hints_at,
                         int own_hints) {
  *items_at = (sizeof(tw_jdoc) + text_bytes + ALIGN - 1) / ALIGN * ALIGN;
  *items_cap = 1;
  *members_at = *items_at + *items_cap * sizeof(tw_jobj);
  *hints_at = (*members_at + mem_cap * sizeof(unsigned) + ALIGN - 1) / ALIGN * ALIGN;
  return *hints_at + (own_hints ? sizeof(tw_jhints) +
                      ((size_t)1 << HINT_BITS_ONE) * sizeof(hint_slot_t) : 0);
}

/* The text's bytes in a doc that copies it: body + NUL + PAD. */
#define TEXT_BYTES(n) ((n) + 1 + PAD)
/* The members a doc's first array holds for a text of n bytes. */
#define MEM_CAP(n) ((n) / 28 + 16)   /* ~35 bytes per member in Twilio's
                                        objects: this rarely grows */

size_t tw_jdoc_in_size(size_t len) {
  size_t a, b, c, h;
  if (len > TW_JSON_MAX_BODY) return 0;
  return one_layout(TEXT_BYTES(len), MEM_CAP(len), &a, &b, &c, &h, 0);
}

size_t tw_jhints_size(void) {
  return sizeof(tw_jhints) + ((size_t)1 << HINT_BITS) * sizeof(hint_slot_t);
}

tw_jhints *tw_jhints_init(void *mem) {
  tw_jhints *h = mem;
  h->set = 0;
  return h;
}

/* mem: NULL, or the caller's block of cap bytes for a single record's doc
 * (tw_jdoc_parse_in; then items_key is NULL and borrow 0). hints: NULL, or
 * the caller's shared cache (single records only). */
static tw_jdoc *doc_parse(const char *body, size_t len, const char *items_key,
                          tw_jerr *err, int borrow, void *mem, size_t cap,
                          tw_jhints *hints) {
  tw_jdoc *d;
  size_t off = 0, at = 0, i, text_bytes, mem_cap, total;
  size_t items_at = 0, items_cap = 0, members_at = 0, hints_at;
  unsigned hint_bits;
  int why, rc, one;                    /* one: a single record's block */
  if (len >= 3 && memcmp(body, "\xEF\xBB\xBF", 3) == 0) off = 3;
  if (len - off > TW_JSON_MAX_BODY) {
    set_err(err, 0, "response is too large (more than 256 MiB)", 0);
    return NULL;
  }
  for (i = off; i < len && IS(body[i], C_WS); i++) {}
  if (i == len) {
    set_err(err, 0, "response body is empty", 0);
    return NULL;
  }
  /* d owns its body copy (same allocation; none when borrowing) and, once
   * set, d->members, d->items and d->arena. A single record's doc (no
   * items_key) also holds its first members and items arrays in the same
   * block: one malloc and one free per record instead of three (grown, they
   * move to malloc'd arrays of their own: grow_members, push_item). */
  text_bytes = borrow ? 0 : TEXT_BYTES(len - off);
  mem_cap = MEM_CAP(len - off);
  one = items_key == NULL;
  if (one) {
    total = one_layout(text_bytes, mem_cap, &items_at, &items_cap, &members_at, &hints_at,
                       hints == NULL);
    hint_bits = hints ? HINT_BITS : HINT_BITS_ONE;
  } else {
    total = sizeof *d + text_bytes;
    hint_bits = HINT_BITS;
    hints_at = (total + ALIGN - 1) / ALIGN * ALIGN;   /* the hint cache ends the block */
    total = hints_at + sizeof(tw_jhints) + ((size_t)1 << hint_bits) * sizeof(hint_slot_t);
  }
  if (mem) {
    if (total > cap) {                 /* the caller's mistake */
      set_err(err, 0, "tw_jdoc_parse_in: block too small", 0);
      return NULL;
    }
    d = mem;
  } else {
    d = malloc(total);
    if (!d) {
      set_err(err, 0, "out of memory", 0);
      return NULL;
    }
  }
  memset(d, 0, sizeof *d);             /* not the hint slots: hc->set says */
  d->in_place = mem != NULL;
  if (hints) {
    d->hc = hints;
    d->shared_hc = 1;
  } else {
    d->hc = (tw_jhints *)(void *)((char *)d + hints_at);
    d->hc->set = 0;
  }
  d->hint_bits = hint_bits;
  d->refs = 1;
  d->len = len - off;
  d->items_val = d->next_val = -1;
  d->borrowed = borrow;
  if (borrow) {
    d->text = body + off;
  } else {
    memcpy(d->copy, body + off, d->len);
    memset(d->copy + d->len, 0, 1 + PAD);
    d->text = d->copy;
  }
  if (items_key && strlen(items_key) < ITEMS_KEY_MAX)
    memcpy(d->items_key, items_key, strlen(items_key) + 1);
  else
    items_key = NULL;
  d->mem_cap = mem_cap;
  if (one) {
    d->items = (tw_jobj *)(void *)((char *)d + items_at);
    d->items_cap = items_cap;
    d->inline_items = 1;
    d->members = (unsigned *)(void *)((char *)d + members_at);
    d->inline_members = 1;
  } else {
    d->members = malloc(d->mem_cap * sizeof *d->members);
  }
  if (!d->members) {
    tw_jdoc_release(d);
    set_err(err, 0, "out of memory", 0);
    return NULL;
  }
  rc = scan_doc(d, items_key, &at, &why);
  if (rc == 0) {
    if (items_key) {
      d->root_obj.start = d->root;
      d->root_obj.end = d->root_end;
      d->root_obj.state = TW_JOBJ_NONE;
    } else {
      d->root_obj = d->items[0];
    }
    d->sealed = d->in_place && !tw_jdoc_external(d);
    /* give back a large surplus (keep the old array if realloc fails) */
    if (!d->inline_members && d->mem_cap > d->nmem + d->nmem / 4 + 64) {
      unsigned *nm = realloc(d->members, (d->nmem + 1) * sizeof *nm);
      if (nm) {
        d->members = nm;
        d->mem_cap = d->nmem + 1;
      }
    }
    return d;
  }
  if (rc == -2) {
    set_err(err, 0, "out of memory", 0);
  } else if (why == 1) {
    set_err(err, at, "response is nested deeper than 512 levels", 1);
  } else if ((why == 2 ? (at = value_error(d->text, at, d->len)) : at) >= d->len) {
    set_err(err, at, "response is truncated JSON", 2);
  } else {
    set_err(err, at, "response is not valid JSON", 1);
  }
  tw_jdoc_release(d);
  return NULL;
}

tw_jdoc *tw_jdoc_parse(const char *body, size_t len, const char *items_key,
                       tw_jerr *err) {
  return doc_parse(body, len, items_key, err, 0, NULL, 0, NULL);
}

tw_jdoc *tw_jdoc_parse_in(void *mem, size_t cap, const char *body, size_t len,
                          tw_jhints *hints, tw_jerr *err) {
  if (!hints) {                        /* the caller's mistake */
    set_err(err, 0, "tw_jdoc_parse_in: no hint cache", 0);
    return NULL;
  }
  return doc_parse(body, len, NULL, err, 0, mem, cap, hints);
}

tw_jdoc *tw_jdoc_borrow_hinted(const char *body, size_t len, tw_jhints *hints,
                               tw_jerr *err) {
  if (!hints) {                        /* the caller's mistake */
    set_err(err, 0, "tw_jdoc_borrow_hinted: no hint cache", 0);
    return NULL;
  }
  if (body[len] != '\0') {
    set_err(err, 0, "tw_jdoc_borrow: body is not NUL-terminated", 0);
    return NULL;
  }
  return doc_parse(body, len, NULL, err, 1, NULL, 0, hints);
}

int tw_jdoc_external(const tw_jdoc *d) {
  return !d->in_place || !d->inline_members || !d->inline_items || d->arena ||
         d->root_obj.state != TW_JOBJ_NARROW;
}

tw_jdoc *tw_jdoc_borrow(const char *body, size_t len, const char *items_key,
                        tw_jerr *err) {
  if (body[len] != '\0') {             /* the contract; cheap to check */
    set_err(err, 0, "tw_jdoc_borrow: body is not NUL-terminated", 0);
    return NULL;
  }
  return doc_parse(body, len, items_key, err, 1, NULL, 0, NULL);
}

void tw_jdoc_retain(tw_jdoc *d) { d->refs++; }

void tw_jdoc_release(tw_jdoc *d) {
  arena_blk *b;
  if (!d || --d->refs > 0) return;
  b = d->arena;
  while (b) {
    arena_blk *next = b->next;
    free(b);
    b = next;
  }
  if (!d->inline_members) free(d->members);
  if (!d->inline_items) free(d->items);
  if (!d->in_place) free(d);
}

size_t tw_jdoc_bytes(const tw_jdoc *d) {
  if (d->in_place)                     /* the caller's block: what it malloc'd */
    return (d->inline_items ? 0 : d->items_cap * sizeof *d->items) +
           (d->inline_members ? 0 : d->mem_cap * sizeof *d->members) + d->arena_bytes;
  return sizeof *d + (d->borrowed ? 0 : d->len + 1 + PAD) +
         (d->shared_hc ? 0 : sizeof *d->hc +
          ((size_t)1 << d->hint_bits) * sizeof(hint_slot_t)) +
         d->items_cap * sizeof *d->items +
         d->mem_cap * sizeof *d->members + d->arena_bytes;
}

const char *tw_jdoc_text(const tw_jdoc *d, size_t *len) {
  if (len) *len = d->len;
  return d->text;
}

int tw_jdoc_root(const tw_jdoc *d) { return d->root; }

const tw_jobj *tw_jdoc_root_obj(const tw_jdoc *d) { return &d->root_obj; }

/* ---- access (on validated text: no checks) ------------------------------- */

enum tw_jtype tw_json_type(const tw_jdoc *d, int v) {
  if (v < 0) return TW_JNONE;
  switch (d->text[v]) {
  case '{': return TW_JOBJECT;
  case '[': return TW_JARRAY;
  case '"': return TW_JSTRING;
  case 't': return TW_JTRUE;
  case 'f': return TW_JFALSE;
  case 'n': return TW_JNULL;
  default:  return TW_JNUMBER;
  }
}

/* Past the closing quote of the string whose contents start at i. */
static size_t skip_string(const char *s, size_t i, size_t n) {
  for (;;) {
    i = find_stop(s, i, n);
    if (s[i] != '\\') return i + 1;      /* '"' (a NUL cannot happen) */
    i += 2;
  }
}

static size_t skip_container(const char *s, size_t i, size_t n) {
  int depth = 0;
  for (;;) {
    char c = s[i];
    if (c == '"') {
      i = skip_string(s, i + 1, n);
      continue;
    }
    if (c == '{' || c == '[') depth++;
    else if ((c == '}' || c == ']') && --depth == 0) return i + 1;
    i++;
  }
}

static size_t skip_value(const char *s, size_t i, size_t n) {
  switch (s[i]) {
  case '"': return skip_string(s, i + 1, n);
  case '{': case '[': return skip_container(s, i, n);
  default:
    while (!IS(s[i], C_DL | C_ST)) i++;
    return i;
  }
}

int tw_json_end(const tw_jdoc *d, int v) {
  return (int)skip_value(d->text, (size_t)v, d->len);
}

const char *tw_json_raw(const tw_jdoc *d, int v, size_t *len) {
  size_t e;
  if (v < 0) {
    *len = 0;
    return "";
  }
  e = skip_value(d->text, (size_t)v, d->len);
  if (d->text[v] == '"') {
    *len = e - (size_t)v - 2;
    return d->text + v + 1;
  }
  *len = e - (size_t)v;
  return d->text + v;
}

const char *tw_json_string(const tw_jdoc *d, int v, size_t *len, int *esc) {
  const char *s = d->text;
  size_t i = (size_t)v + 1;
  *esc = 0;
  for (;;) {
    i = find_stop(s, i, d->len);
    if (s[i] != '\\') break;
    *esc = 1;
    i += 2;
  }
  *len = i - (size_t)v - 1;
  return s + v + 1;
}

int tw_json_first(const tw_jdoc *d, int v) {
  (void)d;
  return v + 1;
}

int tw_json_next(const tw_jdoc *d, int v, int *pos, int *key, int *val) {
  const char *s = d->text;
  size_t p = (size_t)*pos;
  while (IS(s[p], C_WS)) p++;
  if (s[p] == ',') {
    p++;
    while (IS(s[p], C_WS)) p++;
  }
  if (s[p] == '}' || s[p] == ']') {
    *pos = (int)p + 1;
    return 0;
  }
  *key = -1;
  if (s[v] == '{') {
    *key = (int)p;
    p = skip_string(s, p + 1, d->len);
    while (IS(s[p], C_WS)) p++;
    p++;                                     /* ':' */
    while (IS(s[p], C_WS)) p++;
  }
  *val = (int)p;
  *pos = (int)p;
  return 1;
}

int tw_json_size(const tw_jdoc *d, int v) {
  int pos, key, val, n = 0;
  enum tw_jtype t = tw_json_type(d, v);
  if (t != TW_JOBJECT && t != TW_JARRAY) return 0;
  pos = tw_json_first(d, v);
  while (tw_json_next(d, v, &pos, &key, &val)) {
    n++;
    pos = tw_json_end(d, val);
  }
  return n;
}

int tw_json_find(const tw_jdoc *d, int obj, const char *key, size_t klen) {
  int pos, k, val;
  if (tw_json_type(d, obj) != TW_JOBJECT) return -1;
  pos = tw_json_first(d, obj);
  while (tw_json_next(d, obj, &pos, &k, &val)) {
    size_t n;
    const char *raw = tw_json_raw(d, k, &n);
    if (key_equals(raw, n, key, klen)) return val;
    pos = tw_json_end(d, val);
  }
  return -1;
}

/* ---- key indexes --------------------------------------------------------- */

/* n unsigned from the document's arena (blocks of 1 Ki..64 Ki entries,
 * doubling), or NULL when out of memory. */
static unsigned *arena_alloc(tw_jdoc *d, size_t n) {
  arena_blk *b = d->arena;
  unsigned *p;
  if (!b || b->cap - b->used < n) {
    size_t cap = d->arena_next ? d->arena_next : 256;
    if (cap < n) cap = n;
    doc_alloc_check(d);
    b = malloc(sizeof *b + cap * sizeof(unsigned));
    if (!b) return NULL;
    b->next = d->arena;                 /* owned by d from here */
    b->used = 0;
    b->cap = cap;
    d->arena = b;
    d->arena_bytes += sizeof *b + cap * sizeof(unsigned);
    if (d->arena_next < 16384) d->arena_next = cap * 2;
  }
  p = b->data + b->used;
  b->used += n;
  return p;
}

tw_jobj tw_json_obj(const tw_jdoc *d, int v) {
  tw_jobj o;
  memset(&o, 0, sizeof o);
  o.start = v;
  o.end = tw_json_end(d, v);
  o.state = TW_JOBJ_NONE;
  return o;
}

/* Builds o's wide index (absolute offsets: key's first content byte,
 * value) in the doc's arena. Returns 0, or -1 when out of memory. */
static int index_wide(tw_jdoc *d, tw_jobj *o) {
  const char *s = d->text;
  unsigned small[2 * 64], *e = small, *heap = NULL, *ix;
  size_t n = 0, cap = 64, p = (size_t)o->start + 1;
  int esc = 0;
  for (;;) {
    size_t k;
    while (IS(s[p], C_WS)) p++;
    if (s[p] == ',') {
      p++;
      while (IS(s[p], C_WS)) p++;
    }
    if (s[p] == '}') break;
    k = ++p;                                  /* s[p - 1] == '"': a key */
    for (;;) {
      p = find_stop(s, p, d->len);
      if (s[p] != '\\') break;
      esc = 1;
      p += 2;
    }
    p++;
    while (IS(s[p], C_WS)) p++;
    p++;                                      /* ':' */
    while (IS(s[p], C_WS)) p++;
    if (n == cap) {
      unsigned *ne = realloc(heap, cap * 4 * sizeof *ne);
      if (!ne) {
        free(heap);
        return -1;
      }
      if (!heap) memcpy(ne, small, sizeof small);
      e = heap = ne;
      cap *= 2;
    }
    e[2 * n] = (unsigned)k;
    e[2 * n + 1] = (unsigned)p;
    n++;
    p = skip_value(s, p, d->len);
  }
  ix = arena_alloc(d, 2 * n + 1);
  if (ix) {
    memcpy(ix, e, 2 * n * sizeof *e);
    o->wide = ix;
    o->n = (unsigned)n;
    o->esc = (unsigned char)esc;
    o->state = TW_JOBJ_WIDE;
  }
  free(heap);
  return ix ? 0 : -1;
}

/* Member i of o: its key's first content byte (*k) and its value. */
static int member(const tw_jdoc *d, const tw_jobj *o, unsigned i, size_t *k) {
  if (o->state == TW_JOBJ_NARROW) {
    unsigned m = d->members[o->first + i];
    *k = (size_t)o->start + (m & 0xFFFFu);
    return o->start + (int)(m >> 16);
  }
  *k = o->wide[2 * i];
  return (int)o->wide[2 * i + 1];
}

/* 1 when a[0..n) == b[0..n), n <= 16, reading nothing outside either
 * (overlapping loads from both ends): a key is a few bytes, and a memcmp
 * call cost ~35 instructions of each field read. */
HOT int short_equals(const char *a, const char *b, size_t n) {
  uint64_t x, y, x2, y2;
  uint32_t u, w, u2, w2;
  if (n >= 8) {
    memcpy(&x, a, 8);
    memcpy(&y, b, 8);
    memcpy(&x2, a + n - 8, 8);
    memcpy(&y2, b + n - 8, 8);
    return ((x ^ y) | (x2 ^ y2)) == 0;
  }
  if (n >= 4) {
    memcpy(&u, a, 4);
    memcpy(&w, b, 4);
    memcpy(&u2, a + n - 4, 4);
    memcpy(&w2, b + n - 4, 4);
    return ((u ^ w) | (u2 ^ w2)) == 0;
  }
  if (n == 0) return 1;
  /* 1 to 3 bytes: the first, the middle and the last cover them all */
  return a[0] == b[0] && a[n >> 1] == b[n >> 1] && a[n - 1] == b[n - 1];
}

static int member_key_equals(const tw_jdoc *d, const tw_jobj *o, size_t k,
                             const char *key, size_t klen) {
  const char *s = d->text;
  if (!o->esc) {
    /* no backslash: the key is exactly klen bytes iff a '"' follows */
    return klen <= d->len - k && s[k + klen] == '"' &&
           (klen <= 16 ? short_equals(s + k, key, klen)
                       : memcmp(s + k, key, klen) == 0);
  }
  return key_equals(s + k, skip_string(s, k, d->len) - 1 - k, key, klen);
}

static unsigned hint_slot(const tw_jdoc *d, const void *hint) {
  /* Fibonacci hashing of the address: keys allocated close together
   * (interned strings) still spread over the slots. */
  uint64_t h = (uint64_t)(uintptr_t)hint * UINT64_C(0x9E3779B97F4A7C15);
  return (unsigned)(h >> (64 - d->hint_bits));
}

/* tw_json_lookup without a usable hint: indexes o if needed, scans its
 * members, and remembers the position under hint (slot h). Kept out of
 * line so that the hit path below stays a leaf without a frame. */
NOINLINE int lookup_scan(tw_jdoc *d, tw_jobj *o, const char *key, size_t klen,
                       const void *hint) {
  unsigned i, h;
  size_t k;
  int v;
  if (o->state == TW_JOBJ_NONE && index_wide(d, o) != 0) return -2;
  for (i = 0; i < o->n; i++) {
    v = member(d, o, i, &k);
    if (member_key_equals(d, o, k, key, klen)) {
      if (hint) {
        h = hint_slot(d, hint);
        tw_jhints *c = d->hc;
        c->slot[h].key = hint;
        c->slot[h].idx = i;
        c->set |= (uint64_t)1 << h;
      }
      return v;
    }
  }
  return -1;
}

/* The hinted member of o, when the hint cache has key's position there
 * and the key is at it, for the common case only (the caller checked: a
 * narrow index, no escaped keys, klen <= 16): its value's offset, or -1
 * (no hint, or not there: the caller scans). */
HOT int hint_hit(const tw_jdoc *d, const tw_jobj *o, const char *key, size_t klen,
                 const void *hint) {
  unsigned h = hint_slot(d, hint), i;
  const tw_jhints *c = d->hc;
  if ((c->set >> h & 1) && c->slot[h].key == hint && (i = c->slot[h].idx) < o->n) {
    unsigned m = d->members[o->first + i];
    const char *s = d->text;
    size_t k = (size_t)o->start + (m & 0xFFFFu);
    if (klen <= d->len - k && s[k + klen] == '"' && short_equals(s + k, key, klen))
      return o->start + (int)(m >> 16);
  }
  return -1;
}

/* Whether o's hinted lookups take hint_hit's common case. */
#define HINT_COMMON(o, klen) ((o)->state == TW_JOBJ_NARROW && !(o)->esc && (klen) <= 16)

HOT int lookup(tw_jdoc *d, tw_jobj *o, const char *key, size_t klen,
               const void *hint) {
  /* The hint cache remembers, per key, its position among the members;
   * records of one page share a layout, so the guess is right and the
   * scan is skipped. The guess is always verified (the key's bytes at
   * that member). */
  if (hint && o->state != TW_JOBJ_NONE) {
    if (HINT_COMMON(o, klen)) {
      int v = hint_hit(d, o, key, klen, hint);
      if (v >= 0) return v;
    } else {
      unsigned h = hint_slot(d, hint), i;
      const tw_jhints *c = d->hc;
      if ((c->set >> h & 1) && c->slot[h].key == hint && (i = c->slot[h].idx) < o->n) {
        size_t k;
        int v = member(d, o, i, &k);
        if (member_key_equals(d, o, k, key, klen)) return v;
      }
    }
  }
  return lookup_scan(d, o, key, klen, hint);
}

int tw_json_lookup(tw_jdoc *d, tw_jobj *o, const char *key, size_t klen,
                   const void *hint) {
  return lookup(d, o, key, klen, hint);
}

/* The string value at v, if plain: as tw_json_string, the contents end at
 * the first stop, and a '"' there means no escape before it. */
HOT void plain_string(const tw_jdoc *d, int v, const char **str, size_t *len) {
  size_t e;
  *str = NULL;
  if (d->text[v] != '"') return;
  e = find_stop(d->text, (size_t)v + 1, d->len);
  if (d->text[e] != '"') return;
  *str = d->text + v + 1;
  *len = e - (size_t)v - 1;
}

/* tw_json_lookup_str past its hit path; hinted: hint_hit was tried
 * already (missed), so straight to the scan. */
NOINLINE int lookup_str_slow(tw_jdoc *d, tw_jobj *o, const char *key,
                             size_t klen, const void *hint, int hinted,
                             const char **str, size_t *len) {
  int v = hinted ? lookup_scan(d, o, key, klen, hint) : lookup(d, o, key, klen, hint);
  *str = NULL;
  if (v >= 0) plain_string(d, v, str, len);
  return v;
}

/* The common read (a hinted key on a narrow index without escaped keys)
 * without calls, so that it needs no frame; the rest goes to
 * lookup_str_slow. */
int tw_json_lookup_str(tw_jdoc *d, tw_jobj *o, const char *key, size_t klen,
                       const void *hint, const char **str, size_t *len) {
  int hinted = hint && HINT_COMMON(o, klen);
  if (hinted) {
    int v = hint_hit(d, o, key, klen, hint);
    if (v >= 0) {
      plain_string(d, v, str, len);
      return v;
    }
  }
  return lookup_str_slow(d, o, key, klen, hint, hinted, str, len);
}

/* ---- value decoding ----------------------------------------------------- */

int tw_json_has_escape(const char *in, size_t n) {
  return memchr(in, '\\', n) != NULL;
}

static int hex4(const char *s, size_t n, size_t i, unsigned *out) {
  unsigned v = 0;
  size_t k;
  if (i + 4 > n) return 0;
  for (k = i; k < i + 4; k++) {
    char c = s[k];
    v <<= 4;
    if (c >= '0' && c <= '9') v |= (unsigned)(c - '0');
    else if (c >= 'a' && c <= 'f') v |= (unsigned)(c - 'a' + 10);
    else if (c >= 'A' && c <= 'F') v |= (unsigned)(c - 'A' + 10);
    else return 0;
  }
  *out = v;
  return 1;
}

static size_t put_utf8(char *out, unsigned cp) {
  unsigned char *o = (unsigned char *)out;
  if (cp < 0x80) { o[0] = (unsigned char)cp; return 1; }
  if (cp < 0x800) {
    o[0] = (unsigned char)(0xC0 | (cp >> 6));
    o[1] = (unsigned char)(0x80 | (cp & 0x3F));
    return 2;
  }
  if (cp < 0x10000) {
    o[0] = (unsigned char)(0xE0 | (cp >> 12));
    o[1] = (unsigned char)(0x80 | ((cp >> 6) & 0x3F));
    o[2] = (unsigned char)(0x80 | (cp & 0x3F));
    return 3;
  }
  o[0] = (unsigned char)(0xF0 | (cp >> 18));
  o[1] = (unsigned char)(0x80 | ((cp >> 12) & 0x3F));
  o[2] = (unsigned char)(0x80 | ((cp >> 6) & 0x3F));
  o[3] = (unsigned char)(0x80 | (cp & 0x3F));
  return 4;
}

/* Output never outgrows input: a run copies itself, a 2-byte escape gives 1
 * byte, "\uXXXX" (6) at most 3, a surrogate pair (12) 4, an invalid "\u"
 * escape U+FFFD (3) for its 6 bytes (or for the 3..5 bytes left at the end;
 * a final "\u" alone, 2 bytes, gives '?'), a final lone "\" itself. */
size_t tw_json_unescape(const char *in, size_t n, char *out) {
  size_t i = 0, o = 0;
  while (i < n) {
    const char *bs = memchr(in + i, '\\', n - i);
    size_t run = bs ? (size_t)(bs - (in + i)) : n - i;
    memcpy(out + o, in + i, run);
    o += run;
    i += run;
    if (i >= n) break;
    /* in[i] == '\\' */
    if (i + 1 >= n) { out[o++] = '\\'; i++; break; }
    switch (in[i + 1]) {
    case '"':  out[o++] = '"';  i += 2; break;
    case '\\': out[o++] = '\\'; i += 2; break;
    case '/':  out[o++] = '/';  i += 2; break;
    case 'b':  out[o++] = '\b'; i += 2; break;
    case 'f':  out[o++] = '\f'; i += 2; break;
    case 'n':  out[o++] = '\n'; i += 2; break;
    case 'r':  out[o++] = '\r'; i += 2; break;
    case 't':  out[o++] = '\t'; i += 2; break;
    case 'u': {
      unsigned cp, lo;
      if (!hex4(in, n, i + 2, &cp)) {
        /* truncated or not hex: U+FFFD if it fits in what we consume */
        size_t take = n - i < 6 ? n - i : 6;
        if (take >= 3) o += put_utf8(out + o, 0xFFFD);
        else out[o++] = '?';
        i += take;
        break;
      }
      i += 6;
      if (cp >= 0xD800 && cp <= 0xDBFF) {
        if (i + 1 < n && in[i] == '\\' && in[i + 1] == 'u' &&
            hex4(in, n, i + 2, &lo) && lo >= 0xDC00 && lo <= 0xDFFF) {
          cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
          i += 6;
        } else {
          cp = 0xFFFD;             /* lone high surrogate */
        }
      } else if (cp >= 0xDC00 && cp <= 0xDFFF) {
        cp = 0xFFFD;               /* lone low surrogate */
      }
      o += put_utf8(out + o, cp);
      break;
    }
    default:                       /* not JSON; keep the character */
      out[o++] = in[i + 1];
      i += 2;
      break;
    }
  }
  return o;
}

int tw_json_number(const char *in, size_t n, long long *i, double *d) {
  char buf[64];
  char *endp;
  size_t k;
  int is_int = 1;
  if (n == 0 || !valid_number(in, n)) return 0;
  for (k = 0; k < n; k++)
    if (in[k] == '.' || in[k] == 'e' || in[k] == 'E') { is_int = 0; break; }
  if (is_int) {
    unsigned long long v = 0;
    int neg = in[0] == '-';
    int ok = 1;
    for (k = (size_t)neg; k < n; k++) {
      unsigned dgt = (unsigned)(in[k] - '0');
      if (v > (ULLONG_MAX - dgt) / 10) { ok = 0; break; }
      v = v * 10 + dgt;
    }
    if (ok && !neg && v <= (unsigned long long)LLONG_MAX) {
      *i = (long long)v;
      return 1;
    }
    if (ok && neg && v <= (unsigned long long)LLONG_MAX + 1u) {
      *i = v == (unsigned long long)LLONG_MAX + 1u ? LLONG_MIN
                                                    : -(long long)v;
      return 1;
    }
    /* too big for 64 bits: fall through to a double */
  }
  /* strtod follows LC_NUMERIC: write the locale's decimal point for '.'. */
  if (n < sizeof buf) {
    const char *dp = localeconv()->decimal_point;
    memcpy(buf, in, n);
    buf[n] = '\0';
    if (dp && dp[0] && dp[0] != '.' && dp[1] == '\0') {
      char *p = memchr(buf, '.', n);
      if (p) *p = dp[0];
    }
    *d = strtod(buf, &endp);
    return 2;
  }
  {
    /* very long number text (valid JSON allows it): heap copy */
    char *big = malloc(n + 1);
    const char *dp = localeconv()->decimal_point;
    if (!big) { *d = 0; return 2; }
    memcpy(big, in, n);
    big[n] = '\0';
    if (dp && dp[0] && dp[0] != '.' && dp[1] == '\0') {
      char *p = memchr(big, '.', n);
      if (p) *p = dp[0];
    }
    *d = strtod(big, &endp);
    free(big);
    return 2;
  }
}

/* ---- response shapes ---------------------------------------------------- */

static const char *type_name(enum tw_jtype ty) {
  switch (ty) {
  case TW_JOBJECT: return "an object";
  case TW_JARRAY:  return "an array";
  case TW_JSTRING: return "a string";
  case TW_JNUMBER: return "a number";
  case TW_JTRUE: case TW_JFALSE: return "a boolean";
  case TW_JNULL:   return "null";
  default:         return "nothing";
  }
}

/* The page data for a key the scan did not record: found the slow way. */
static int page_slow(tw_jdoc *d, const char *items_key) {
  int pos, key, val;
  d->nitems = 0;
  d->items_key[0] = '\0';
  d->items_val = tw_json_find(d, d->root, items_key, strlen(items_key));
  d->next_val = tw_json_find(d, d->root, "next_page_uri", 13);
  if (tw_json_type(d, d->items_val) != TW_JARRAY) return 0;
  pos = tw_json_first(d, d->items_val);
  while (tw_json_next(d, d->items_val, &pos, &key, &val)) {
    if (push_item(d, (size_t)val) != 0) return -1;
    pos = tw_json_end(d, val);
    d->items[d->nitems - 1].end = pos;
    d->items[d->nitems - 1].state = TW_JOBJ_NONE;   /* indexed on use */
  }
  if (strlen(items_key) < ITEMS_KEY_MAX)
    memcpy(d->items_key, items_key, strlen(items_key) + 1);
  return 0;
}

int tw_json_page(tw_jdoc *d, const char *items_key, const tw_jobj **items,
                 int *nitems, int *next_uri, tw_jerr *err) {
  size_t i;
  *items = NULL;
  *nitems = 0;
  *next_uri = -1;
  if (tw_json_type(d, d->root) != TW_JOBJECT) {
    snprintf(err->msg, sizeof err->msg, "page is not a JSON object (got %s)",
             type_name(tw_json_type(d, d->root)));
    err->offset = 0;
    return -1;
  }
  if ((!d->items_key[0] || strcmp(d->items_key, items_key) != 0) &&
      page_slow(d, items_key) != 0) {
    set_err(err, 0, "out of memory", 0);
    return -1;
  }
  if (tw_json_type(d, d->items_val) != TW_JARRAY) {
    snprintf(err->msg, sizeof err->msg, "page has no '%.64s' array%s",
             items_key, d->items_val < 0 ? "" : " (wrong type)");
    err->offset = 0;
    return -1;
  }
  for (i = 0; i < d->nitems; i++) {
    int it = d->items[i].start;
    if (d->text[it] != '{') {
      snprintf(err->msg, sizeof err->msg,
               "item %d of '%.64s' is not an object (got %s)", (int)i + 1,
               items_key, type_name(tw_json_type(d, it)));
      err->offset = (size_t)it;
      return -1;
    }
  }
  /* null, missing or "" mean the last page; any other non-string is a
   * malformed envelope, never mistaken for the end of the list. */
  if (d->next_val >= 0) {
    enum tw_jtype nt = tw_json_type(d, d->next_val);
    if (nt != TW_JSTRING && nt != TW_JNULL) {
      snprintf(err->msg, sizeof err->msg,
               "page's 'next_page_uri' is not a string (got %s)", type_name(nt));
      err->offset = (size_t)d->next_val;
      return -1;
    }
    if (nt == TW_JSTRING && d->text[d->next_val + 1] != '"')
      *next_uri = d->next_val;
  }
  *items = d->items;
  *nitems = (int)d->nitems;
  return 0;
}

int tw_json_error_fields(const tw_jdoc *d, tw_jerror_fields *f) {
  int pos, key, val;
  f->code = f->message = f->more_info = f->status = f->details = -1;
  f->type = f->title = f->detail = f->instance = f->errors = -1;
  if (tw_json_type(d, d->root) != TW_JOBJECT) return -1;
  /* one pass over the members; the first occurrence of a name wins */
  pos = tw_json_first(d, d->root);
  while (tw_json_next(d, d->root, &pos, &key, &val)) {
    static const struct { const char *name; size_t len; size_t off; } names[] = {
      { "code", 4, offsetof(tw_jerror_fields, code) },
      { "message", 7, offsetof(tw_jerror_fields, message) },
      { "more_info", 9, offsetof(tw_jerror_fields, more_info) },
      { "status", 6, offsetof(tw_jerror_fields, status) },
      { "details", 7, offsetof(tw_jerror_fields, details) },
      { "type", 4, offsetof(tw_jerror_fields, type) },
      { "title", 5, offsetof(tw_jerror_fields, title) },
      { "detail", 6, offsetof(tw_jerror_fields, detail) },
      { "instance", 8, offsetof(tw_jerror_fields, instance) },
      { "errors", 6, offsetof(tw_jerror_fields, errors) },
    };
    size_t n, j;
    const char *raw = tw_json_raw(d, key, &n);
    for (j = 0; j < sizeof names / sizeof names[0]; j++) {
      int *slot = (int *)(void *)((char *)f + names[j].off);
      if (*slot < 0 && key_equals(raw, n, names[j].name, names[j].len)) {
        *slot = val;
        break;
      }
    }
    pos = tw_json_end(d, val);
  }
  return 0;
}

/* Appends printable ASCII of s[0..n) to out (at most max chars), runs of
 * whitespace as one space, anything else as '?'. Returns chars written. */
static size_t sanitize(char *out, size_t max, const char *s, size_t n,
                       int *cut) {
  size_t i, o = 0;
  int space = 0;
  *cut = 0;
  for (i = 0; i < n; i++) {
    unsigned char c = (unsigned char)s[i];
    if (c == ' ' || c == '\t' || c == '\n' || c == '\r') {
      space = o > 0;
      continue;
    }
    if (o + space + 1 > max) { *cut = 1; break; }
    if (space) { out[o++] = ' '; space = 0; }
    out[o++] = (c >= 0x20 && c < 0x7F) ? (char)c : '?';
  }
  return o;
}

size_t tw_json_http_message(char *out, size_t outsz, long status,
                            const char *body, size_t len,
                            const char *content_type, const char *why) {
  char ctype[65], excerpt[81];
  size_t cn = 0, en = 0;
  int cut = 0, ccut = 0;
  if (outsz == 0) return 0;
  if (content_type)
    cn = sanitize(ctype, sizeof ctype - 1, content_type, strlen(content_type),
                  &ccut);
  ctype[cn] = '\0';
  if (body) en = sanitize(excerpt, sizeof excerpt - 1, body, len, &cut);
  excerpt[en] = '\0';
  if (en == 0)
    snprintf(out, outsz, "HTTP %ld (empty body%s%s)", status,
             cn ? ": " : "", ctype);
  else if (why)
    snprintf(out, outsz, "HTTP %ld (%s): %s%s", status, why, excerpt,
             cut ? "..." : "");
  else
    snprintf(out, outsz, "HTTP %ld (non-JSON body%s%s): %s%s", status,
             cn ? ": " : "", ctype, excerpt, cut ? "..." : "");
  return strlen(out);
}
