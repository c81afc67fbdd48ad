/* tw_json.c -- tokenized JSON documents for responses (see tw_json.h).
 *
 * jsmn (Debian's header-only /usr/include/jsmn.h) tokenizes; it is compiled
 * here and only here, with parent links (without them closing a container
 * is a backward scan, quadratic on a page) and strict primitives. jsmn still
 * accepts some invalid JSON (trailing commas, missing commas in arrays,
 * "tru"), so validate() walks the tokens once more against the grammar,
 * looking only at the bytes between tokens. */
#define JSMN_PARENT_LINKS
#define JSMN_STRICT
#define JSMN_STATIC
#include <jsmn.h>

#include <limits.h>
#include <locale.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tw_json.h"

#define HINT_SLOTS 64

struct tw_jdoc {
  int refs;
  int ntok;
  jsmntok_t *tok;            /* owned: malloc'd, ntok used */
  size_t tokcap;
  size_t len;                /* of text, without the NUL */
  struct { const void *key; int off; } hint[HINT_SLOTS];  /* see find */
  char text[];               /* owned with the struct: body copy + NUL */
};

/* ---- parsing ---------------------------------------------------------- */

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

static int is_ws(char c) {
  return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

static size_t skip_ws(const char *s, size_t pos, size_t len) {
  while (pos < len && is_ws(s[pos])) pos++;
  return pos;
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

static int valid_primitive(const char *s, size_t n) {
  switch (s[0]) {
  case 't': return n == 4 && memcmp(s, "true", 4) == 0;
  case 'f': return n == 5 && memcmp(s, "false", 5) == 0;
  case 'n': return n == 4 && memcmp(s, "null", 4) == 0;
  default:  return valid_number(s, n);
  }
}

/* Walks tokens and the bytes between them as a JSON grammar (iterative,
 * depth-limited). Returns 0, or -1 with err filled. */
static int validate(tw_jdoc *d, tw_jerr *err) {
  const char *s = d->text;
  const size_t len = d->len;
  const jsmntok_t *t = d->tok;
  int stack[TW_JSON_MAX_DEPTH];   /* open containers (token indices) */
  int depth = 0, ti = 0;
  size_t pos = 0;

  enum { VALUE, KEY, AFTER } state = VALUE;
  for (;;) {
    pos = skip_ws(s, pos, len);
    if (state == VALUE || state == KEY) {
      const jsmntok_t *k;
      if (ti >= d->ntok || pos >= len) goto bad;
      k = &t[ti];
      if (state == KEY) {
        if (k->type != JSMN_STRING || (size_t)k->start != pos + 1) goto bad;
        pos = skip_ws(s, (size_t)k->end + 1, len);
        ti++;
        if (pos >= len || s[pos] != ':') goto bad;
        pos++;
        state = VALUE;
        continue;
      }
      switch (k->type) {
      case JSMN_OBJECT:
      case JSMN_ARRAY:
        if ((size_t)k->start != pos) goto bad;
        if (depth == TW_JSON_MAX_DEPTH) {
          set_err(err, pos, "response is nested deeper than 512 levels", 1);
          return -1;
        }
        stack[depth++] = ti++;
        pos = skip_ws(s, pos + 1, len);
        if (pos < len && s[pos] == (k->type == JSMN_OBJECT ? '}' : ']')) {
          if ((size_t)k->end != pos + 1) goto bad;
          depth--;
          pos++;
          state = AFTER;
        } else {
          state = k->type == JSMN_OBJECT ? KEY : VALUE;
        }
        continue;
      case JSMN_STRING:
        if ((size_t)k->start != pos + 1) goto bad;
        pos = (size_t)k->end + 1;
        ti++;
        state = AFTER;
        continue;
      case JSMN_PRIMITIVE:
        if ((size_t)k->start != pos ||
            !valid_primitive(s + k->start, (size_t)(k->end - k->start)))
          goto bad;
        pos = (size_t)k->end;
        ti++;
        state = AFTER;
        continue;
      default:
        goto bad;
      }
    }
    /* AFTER a value */
    if (depth == 0) {
      if (pos != len || ti != d->ntok) goto bad;
      return 0;
    }
    if (pos >= len) goto bad;
    {
      const jsmntok_t *c = &t[stack[depth - 1]];
      char close = c->type == JSMN_OBJECT ? '}' : ']';
      if (s[pos] == ',') {
        pos++;
        state = c->type == JSMN_OBJECT ? KEY : VALUE;
      } else if (s[pos] == close && (size_t)c->end == pos + 1) {
        depth--;
        pos++;
      } else {
        goto bad;
      }
    }
  }
bad:
  if (pos >= len)
    set_err(err, pos, "response is truncated JSON", 2);
  else
    set_err(err, pos, "response is not valid JSON", 1);
  return -1;
}

/* Runs jsmn, growing the token array on JSMN_ERROR_NOMEM (jsmn resumes
 * where it stopped). Returns 0, or -1 with err filled. */
static int tokenize(tw_jdoc *d, tw_jerr *err) {
  jsmn_parser p;
  jsmn_init(&p);
  for (;;) {
    int r = jsmn_parse(&p, d->text, d->len, d->tok, (unsigned)d->tokcap);
    if (r >= 0) break;
    if (r == JSMN_ERROR_NOMEM) {
      size_t cap = d->tokcap * 2;
      jsmntok_t *nt;
      if (cap > (size_t)INT_MAX / 2 ||
          !(nt = realloc(d->tok, cap * sizeof *nt))) {
        set_err(err, 0, "out of memory", 0);
        return -1;
      }
      d->tok = nt;               /* owned by d from here */
      d->tokcap = cap;
      continue;
    }
    if (r == JSMN_ERROR_PART)
      set_err(err, d->len, "response is truncated JSON", 2);
    else
      set_err(err, p.pos, "response is not valid JSON", 1);
    return -1;
  }
  d->ntok = (int)p.toknext;
  /* jsmn stops at a NUL byte: anything after it would be ignored. */
  if (p.pos < d->len) {
    set_err(err, p.pos, "response is not valid JSON", 1);
    return -1;
  }
  return 0;
}

tw_jdoc *tw_jdoc_parse(const char *body, size_t len, tw_jerr *err) {
  tw_jdoc *d;
  size_t off = 0;
  if (len >= 3 && memcmp(body, "\xEF\xBB\xBF", 3) == 0) off = 3;
  if (len - off > TW_JSON_MAX_BODY) {
    set_err(err, 0, "response is too large (more than 256 MiB)", 0);
    return NULL;
  }
  if (skip_ws(body + off, 0, len - off) == len - off) {
    set_err(err, 0, "response body is empty", 0);
    return NULL;
  }
  /* d owns the body copy (same allocation) and, once set, d->tok. */
  d = malloc(sizeof *d + (len - off) + 1);
  if (!d) {
    set_err(err, 0, "out of memory", 0);
    return NULL;
  }
  memset(d, 0, sizeof *d);
  d->refs = 1;
  d->len = len - off;
  memcpy(d->text, body + off, d->len);
  d->text[d->len] = '\0';
  /* A Twilio number object is ~1.2 KB and ~85 tokens: len/12 rarely grows. */
  d->tokcap = d->len / 12 + 16;
  d->tok = malloc(d->tokcap * sizeof *d->tok);
  if (!d->tok) {
    free(d);
    set_err(err, 0, "out of memory", 0);
    return NULL;
  }
  if (tokenize(d, err) != 0 || validate(d, err) != 0) {
    tw_jdoc_release(d);
    return NULL;
  }
  /* Give back what the estimate over-reserved by more than half (a shrink
   * that moves costs a copy: ~0.3 ms on a 1000-number page, so a modest
   * surplus is kept). Keep the old array if realloc fails. */
  if (d->tokcap > 2 * (size_t)d->ntok + 64) {
    jsmntok_t *nt = realloc(d->tok, ((size_t)d->ntok + 1) * sizeof *nt);
    if (nt) {
      d->tok = nt;
      d->tokcap = (size_t)d->ntok + 1;
    }
  }
  return d;
}

void tw_jdoc_retain(tw_jdoc *d) { d->refs++; }

void tw_jdoc_release(tw_jdoc *d) {
  if (!d || --d->refs > 0) return;
  free(d->tok);
  free(d);
}

int tw_jdoc_ntokens(const tw_jdoc *d) { return d->ntok; }

size_t tw_jdoc_bytes(const tw_jdoc *d) {
  return sizeof *d + d->len + 1 + d->tokcap * sizeof *d->tok;
}

const char *tw_jdoc_text(const tw_jdoc *d, size_t *len) {
  if (len) *len = d->len;
  return d->text;
}

/* ---- access ----------------------------------------------------------- */

enum tw_jtype tw_json_type(const tw_jdoc *d, int tok) {
  const jsmntok_t *k;
  if (tok < 0 || tok >= d->ntok) return TW_JNONE;
  k = &d->tok[tok];
  switch (k->type) {
  case JSMN_OBJECT: return TW_JOBJECT;
  case JSMN_ARRAY:  return TW_JARRAY;
  case JSMN_STRING: return TW_JSTRING;
  case JSMN_PRIMITIVE:
    switch (d->text[k->start]) {
    case 't': return TW_JTRUE;
    case 'f': return TW_JFALSE;
    case 'n': return TW_JNULL;
    default:  return TW_JNUMBER;
    }
  default: return TW_JNONE;
  }
}

const char *tw_json_raw(const tw_jdoc *d, int tok, size_t *len) {
  if (tok < 0 || tok >= d->ntok) {
    *len = 0;
    return "";
  }
  *len = (size_t)(d->tok[tok].end - d->tok[tok].start);
  return d->text + d->tok[tok].start;
}

int tw_json_size(const tw_jdoc *d, int tok) {
  if (tok < 0 || tok >= d->ntok) return 0;
  return d->tok[tok].size;
}

int tw_json_next_child(const tw_jdoc *d, int parent, int prev) {
  const jsmntok_t *t = d->tok;
  int j, end;
  if (parent < 0 || parent >= d->ntok) return -1;
  end = t[parent].end;
  /* The first child follows the parent; after a child, skip its subtree
   * (tokens are in text order, so a subtree ends where the text does). */
  if (prev < 0) {
    j = parent + 1;
  } else {
    int pend;
    if (prev >= d->ntok) return -1;
    /* an object's child is a key: its subtree is the key and its value */
    pend = t[prev].type == JSMN_STRING && t[parent].type == JSMN_OBJECT &&
           prev + 1 < d->ntok ? t[prev + 1].end : t[prev].end;
    j = prev + 1;
    while (j < d->ntok && t[j].start < pend) j++;
  }
  for (; j < d->ntok && t[j].start < end; j++)
    if (t[j].parent == parent) return j;
  return -1;
}

static int key_equals(const tw_jdoc *d, int k, const char *key, size_t klen) {
  const char *raw = d->text + d->tok[k].start;
  size_t n = (size_t)(d->tok[k].end - d->tok[k].start);
  if (n == klen && memcmp(raw, key, klen) == 0) return 1;
  /* an escaped key is longer than its text: only then look for '\\' */
  if (n > klen && memchr(raw, '\\', n)) {
    /* rare: compare the unescaped key (it is at most n bytes) */
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

static unsigned hint_slot(const void *hint) {
  /* Fibonacci hashing of the address: keys allocated close together
   * (interned strings) still spread over the slots. */
  uint64_t h = (uint64_t)(uintptr_t)hint * UINT64_C(0x9E3779B97F4A7C15);
  return (unsigned)(h >> 58) & (HINT_SLOTS - 1);
}

int tw_json_find(tw_jdoc *d, int obj, const char *key, size_t klen,
                 const void *hint) {
  const jsmntok_t *t = d->tok;
  int j, end;
  if (obj < 0 || obj >= d->ntok || t[obj].type != JSMN_OBJECT) return -1;
  /* The hint cache remembers, per key, the key token's distance from its
   * object; records of one page usually share a layout, so the guess is
   * right and the scan below is skipped. The guess is always verified. */
  if (hint) {
    unsigned h = hint_slot(hint);
    if (d->hint[h].key == hint) {
      j = obj + d->hint[h].off;
      if (j < d->ntok && t[j].parent == obj && t[j].type == JSMN_STRING &&
          key_equals(d, j, key, klen)) {
        return j + 1;
      }
    }
  }
  end = t[obj].end;
  for (j = obj + 1; j < d->ntok && t[j].start < end; j++) {
    if (t[j].parent == obj && key_equals(d, j, key, klen)) {
      if (hint) {
        unsigned h = hint_slot(hint);
        d->hint[h].key = hint;
        d->hint[h].off = j - obj;
      }
      return j + 1;
    }
  }
  return -1;
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

int tw_json_page(tw_jdoc *d, const char *items_key, int *items, int *next_uri,
                 tw_jerr *err) {
  int arr, it, n = 0, nx;
  size_t klen = strlen(items_key);
  *items = *next_uri = -1;
  if (tw_json_type(d, 0) != TW_JOBJECT) {
    snprintf(err->msg, sizeof err->msg,
             "page is not a JSON object (got %s)", type_name(tw_json_type(d, 0)));
    err->offset = 0;
    return -1;
  }
  arr = tw_json_find(d, 0, items_key, klen, NULL);
  if (tw_json_type(d, arr) != TW_JARRAY) {
    snprintf(err->msg, sizeof err->msg, "page has no '%.64s' array%s",
             items_key, arr < 0 ? "" : " (wrong type)");
    err->offset = 0;
    return -1;
  }
  for (it = tw_json_next_child(d, arr, -1); it >= 0;
       it = tw_json_next_child(d, arr, it)) {
    n++;
    if (tw_json_type(d, it) != TW_JOBJECT) {
      snprintf(err->msg, sizeof err->msg,
               "item %d of '%.64s' is not an object (got %s)", n, items_key,
               type_name(tw_json_type(d, it)));
      err->offset = (size_t)d->tok[it].start;
      return -1;
    }
  }
  nx = tw_json_find(d, 0, "next_page_uri", 13, NULL);
  if (tw_json_type(d, nx) == TW_JSTRING && d->tok[nx].end > d->tok[nx].start)
    *next_uri = nx;
  *items = arr;
  return 0;
}

int tw_json_error_fields(tw_jdoc *d, tw_jerror_fields *f) {
  f->code = f->message = f->more_info = f->status = f->details = -1;
  f->type = f->title = f->detail = f->instance = f->errors = -1;
  if (tw_json_type(d, 0) != TW_JOBJECT) return -1;
  f->code      = tw_json_find(d, 0, "code", 4, NULL);
  f->message   = tw_json_find(d, 0, "message", 7, NULL);
  f->more_info = tw_json_find(d, 0, "more_info", 9, NULL);
  f->status    = tw_json_find(d, 0, "status", 6, NULL);
  f->details   = tw_json_find(d, 0, "details", 7, NULL);
  f->type      = tw_json_find(d, 0, "type", 4, NULL);
  f->title     = tw_json_find(d, 0, "title", 5, NULL);
  f->detail    = tw_json_find(d, 0, "detail", 6, NULL);
  f->instance  = tw_json_find(d, 0, "instance", 8, NULL);
  f->errors    = tw_json_find(d, 0, "errors", 6, NULL);
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
