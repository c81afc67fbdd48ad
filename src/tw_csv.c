/* tw_csv.c -- RFC 4180 pull parser and field writer (see tw_csv.h).
 * Every loop advances the cursor by at least one byte or returns, so parsing
 * is O(len); nothing is allocated. */
#include <string.h>
#include "tw_csv.h"

void tw_csv_init(tw_csv *c, const char *text, size_t len, int allow_ragged) {
  memset(c, 0, sizeof *c);
  c->p = text;
  c->end = text + len;
  c->line = 1;
  c->allow_ragged = allow_ragged;
  if (len >= 3 && (unsigned char)text[0] == 0xEF && (unsigned char)text[1] == 0xBB &&
      (unsigned char)text[2] == 0xBF)
    c->p += 3;
}

static int fail(tw_csv *c, const char *msg, size_t line) {
  c->err = msg;
  c->err_line = line;
  return TW_CSV_ERROR;
}

int tw_csv_next(tw_csv *c, tw_csv_field *f) {
  const char *start;
  memset(f, 0, sizeof *f);
  if (c->err) return TW_CSV_ERROR;

  if (!c->in_record) {                 /* at a record start: skip empty lines */
    for (;;) {
      if (c->p >= c->end) return TW_CSV_END;
      if (*c->p == '\n') {
        c->p++;
        c->line++;
      } else if (*c->p == '\r') {
        if (c->end - c->p < 2 || c->p[1] != '\n')
          return fail(c, "bare CR outside a quoted field", c->line);
        c->p += 2;
        c->line++;
      } else {
        break;
      }
    }
    c->record_line = c->line;
    c->nfields = 0;
  }

  if (c->p < c->end && *c->p == '"') {   /* quoted field */
    size_t quote_line = c->line;
    start = ++c->p;
    for (;;) {
      if (c->p >= c->end)
        return fail(c, "unterminated quoted field", quote_line);
      if (*c->p == '"') {
        if (c->end - c->p >= 2 && c->p[1] == '"') {
          f->escaped = 1;
          c->p += 2;
          continue;
        }
        break;
      }
      if (*c->p == '\n') c->line++;
      c->p++;
    }
    f->s = start;
    f->len = (size_t)(c->p - start);
    f->quoted = 1;
    c->p++;                              /* the closing quote */
  } else {                               /* unquoted field */
    start = c->p;
    while (c->p < c->end && *c->p != ',' && *c->p != '\r' && *c->p != '\n') {
      if (*c->p == '"') return fail(c, "quote inside an unquoted field", c->line);
      c->p++;
    }
    f->s = start;
    f->len = (size_t)(c->p - start);
  }

  if (c->p >= c->end) {
    f->last = 1;
  } else if (*c->p == ',') {
    c->p++;
  } else if (*c->p == '\n') {
    c->p++;
    c->line++;
    f->last = 1;
  } else if (*c->p == '\r') {
    if (c->end - c->p < 2 || c->p[1] != '\n')
      return fail(c, "bare CR outside a quoted field", c->line);
    c->p += 2;
    c->line++;
    f->last = 1;
  } else {
    return fail(c, "unexpected character after a closing quote", c->line);
  }

  c->nfields++;
  if (!f->last) {
    c->in_record = 1;
    return TW_CSV_FIELD;
  }
  c->in_record = 0;
  c->records++;
  if (c->expect == 0) {
    c->expect = c->nfields;
  } else if (c->nfields != c->expect && !c->allow_ragged) {
    return fail(c, "ragged record: field count differs from the first record",
                c->record_line);
  }
  return TW_CSV_FIELD;
}

size_t tw_csv_unescape(const tw_csv_field *f, char *out) {
  size_t i, n = 0;
  for (i = 0; i < f->len; i++) {
    out[n++] = f->s[i];
    if (f->escaped && f->s[i] == '"') i++;   /* parser guarantees a pair */
  }
  return n;
}

int tw_csv_needs_quotes(const char *s, size_t len, int only_field) {
  size_t i;
  if (len == 0) return only_field;
  if (s[0] == ' ' || s[0] == '\t' || s[len - 1] == ' ' || s[len - 1] == '\t') return 1;
  /* a leading BOM would be taken for the file's BOM if this is the first field */
  if (len >= 3 && (unsigned char)s[0] == 0xEF && (unsigned char)s[1] == 0xBB &&
      (unsigned char)s[2] == 0xBF) return 1;
  for (i = 0; i < len; i++)
    if (s[i] == ',' || s[i] == '"' || s[i] == '\r' || s[i] == '\n') return 1;
  return 0;
}

size_t tw_csv_escaped_len(const char *s, size_t len, int only_field) {
  size_t i, n = len;
  if (!tw_csv_needs_quotes(s, len, only_field)) return len;
  for (i = 0; i < len; i++)
    if (s[i] == '"') n++;
  return n + 2;
}

size_t tw_csv_escape(const char *s, size_t len, int only_field, char *out) {
  size_t i, n = 0;
  if (!tw_csv_needs_quotes(s, len, only_field)) {
    if (len) memcpy(out, s, len);
    return len;
  }
  out[n++] = '"';
  for (i = 0; i < len; i++) {
    out[n++] = s[i];
    if (s[i] == '"') out[n++] = '"';
  }
  out[n++] = '"';
  return n;
}
