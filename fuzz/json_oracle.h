/* json_oracle.h -- the former response-JSON pipeline of src/tw_json.c
 * (jsmn in strict mode with parent links, then a grammar walk over its
 * tokens), kept only as a reference oracle for the differential tests of
 * the single-pass scanner that replaced it (tests/c/test_json.c,
 * fuzz/fuzz_json.c). Needs jsmn.h (libjsmn-dev); not part of the module.
 *
 *   int oracle_parse(const char *body, size_t len, tw_jerr *err)
 *     1: accepted; 0: rejected with err->msg/offset as the old code gave. */
#ifndef JSON_ORACLE_H
#define JSON_ORACLE_H
#define JSMN_PARENT_LINKS
#define JSMN_STRICT
#define JSMN_STATIC
#include <jsmn.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "tw_json.h"

typedef struct oracle_doc {
  int ntok;
  jsmntok_t *tok;
  size_t tokcap;
  size_t len;
  const char *text;
} oracle_doc;

/* where: 0 "what", 1 "what at byte N", 2 "what (unexpected end at byte N)";
 * N is 1-based for people, err->offset 0-based. */
static void oracle_set_err(tw_jerr *err, size_t offset, const char *what, int where) {
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

static int oracle_is_ws(char c) {
  return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

static size_t oracle_skip_ws(const char *s, size_t pos, size_t len) {
  while (pos < len && oracle_is_ws(s[pos])) pos++;
  return pos;
}

/* Grammar of a JSON number: -?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)? */
static int oracle_valid_number(const char *s, size_t n) {
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

static int oracle_valid_primitive(const char *s, size_t n) {
  switch (s[0]) {
  case 't': return n == 4 && memcmp(s, "true", 4) == 0;
  case 'f': return n == 5 && memcmp(s, "false", 5) == 0;
  case 'n': return n == 4 && memcmp(s, "null", 4) == 0;
  default:  return oracle_valid_number(s, n);
  }
}

/* Walks tokens and the bytes between them as a JSON grammar (iterative,
 * depth-limited). Returns 0, or -1 with err filled. */
static int oracle_validate(oracle_doc *d, tw_jerr *err) {
  const char *s = d->text;
  const size_t len = d->len;
  const jsmntok_t *t = d->tok;
  int stack[TW_JSON_MAX_DEPTH];   /* open containers (token indices) */
  int depth = 0, ti = 0;
  size_t pos = 0;

  enum { VALUE, KEY, AFTER } state = VALUE;
  for (;;) {
    pos = oracle_skip_ws(s, pos, len);
    if (state == VALUE || state == KEY) {
      const jsmntok_t *k;
      if (ti >= d->ntok || pos >= len) goto bad;
      k = &t[ti];
      if (state == KEY) {
        if (k->type != JSMN_STRING || (size_t)k->start != pos + 1) goto bad;
        pos = oracle_skip_ws(s, (size_t)k->end + 1, len);
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
          oracle_set_err(err, pos, "response is nested deeper than 512 levels", 1);
          return -1;
        }
        stack[depth++] = ti++;
        pos = oracle_skip_ws(s, pos + 1, len);
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
            !oracle_valid_primitive(s + k->start, (size_t)(k->end - k->start)))
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
    oracle_set_err(err, pos, "response is truncated JSON", 2);
  else
    oracle_set_err(err, pos, "response is not valid JSON", 1);
  return -1;
}

/* Runs jsmn, growing the token array on JSMN_ERROR_NOMEM (jsmn resumes
 * where it stopped). Returns 0, or -1 with err filled. */
static int oracle_tokenize(oracle_doc *d, tw_jerr *err) {
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
        oracle_set_err(err, 0, "out of memory", 0);
        return -1;
      }
      d->tok = nt;               /* owned by d from here */
      d->tokcap = cap;
      continue;
    }
    if (r == JSMN_ERROR_PART)
      oracle_set_err(err, d->len, "response is truncated JSON", 2);
    else
      oracle_set_err(err, p.pos, "response is not valid JSON", 1);
    return -1;
  }
  d->ntok = (int)p.toknext;
  /* jsmn stops at a NUL byte: anything after it would be ignored. */
  if (p.pos < d->len) {
    oracle_set_err(err, p.pos, "response is not valid JSON", 1);
    return -1;
  }
  return 0;
}


static int oracle_parse(const char *body, size_t len, tw_jerr *err) {
  oracle_doc d;
  size_t off = 0;
  int ok;
  if (len >= 3 && memcmp(body, "\xEF\xBB\xBF", 3) == 0) off = 3;
  if (len - off > TW_JSON_MAX_BODY) {
    oracle_set_err(err, 0, "response is too large (more than 256 MiB)", 0);
    return 0;
  }
  if (oracle_skip_ws(body + off, 0, len - off) == len - off) {
    oracle_set_err(err, 0, "response body is empty", 0);
    return 0;
  }
  memset(&d, 0, sizeof d);
  d.text = body + off;
  d.len = len - off;
  d.tokcap = d.len / 12 + 16;
  d.tok = malloc(d.tokcap * sizeof *d.tok);
  if (!d.tok) abort();
  ok = oracle_tokenize(&d, err) == 0 && oracle_validate(&d, err) == 0;
  free(d.tok);
  return ok;
}

#endif
