/* tw_csv.h -- RFC 4180 CSV: a pull parser and a field writer.
 *
 * Pure C99, no lua.h. The parser allocates nothing: it hands out spans of the
 * input (tw_csv_field); a quoted field that contains doubled quotes ("") is
 * marked `escaped` and the caller unescapes it (tw_csv_unescape) into a
 * buffer of at least field.len bytes.
 *
 * Input rules:
 *   - an optional UTF-8 byte order mark (EF BB BF) at the start is skipped;
 *   - records end with CRLF or LF (the last one may have neither); a bare CR
 *     outside quotes is an error;
 *   - empty lines are skipped (a record with one empty field is written as
 *     "" by tw_csv_escape, so it survives a round trip);
 *   - quoted fields may hold commas, CR, LF and "" (one quote);
 *   - errors: a quote inside an unquoted field, a character other than a
 *     comma or line end after a closing quote, an unterminated quoted field,
 *     and (unless allow_ragged) a record whose field count differs from the
 *     first record's.
 * Errors carry a static message and the 1-based physical line number. */
#ifndef TW_CSV_H
#define TW_CSV_H

#include <stddef.h>

typedef struct tw_csv {
  const char *p, *end;   /* cursor into the caller's text (not owned) */
  size_t line;           /* physical line of p, 1-based */
  size_t record_line;    /* line where the current record started */
  size_t nfields;        /* fields returned so far in the current record */
  size_t expect;         /* field count of the first record (0: none yet) */
  size_t records;        /* records completed */
  int allow_ragged;
  int in_record;         /* 1 after a field that did not end its record */
  const char *err;       /* static message after TW_CSV_ERROR */
  size_t err_line;
} tw_csv;

typedef struct tw_csv_field {
  const char *s;         /* raw bytes between the quotes (or of the field) */
  size_t len;
  int quoted;
  int escaped;           /* quoted and holds "" pairs: unescape before use */
  int last;              /* this field ends its record */
} tw_csv_field;

enum { TW_CSV_END = 0, TW_CSV_FIELD = 1, TW_CSV_ERROR = -1 };

void tw_csv_init(tw_csv *c, const char *text, size_t len, int allow_ragged);

/* Next field: TW_CSV_FIELD (f filled), TW_CSV_END, or TW_CSV_ERROR
 * (c->err, c->err_line set; every later call returns TW_CSV_ERROR). */
int tw_csv_next(tw_csv *c, tw_csv_field *f);

/* Writes the unescaped bytes of f into out (capacity >= f->len); returns the
 * length written. */
size_t tw_csv_unescape(const tw_csv_field *f, char *out);

/* 1 when a field must be quoted: it holds a comma, quote, CR or LF, starts or
 * ends with a space or tab, starts with a UTF-8 BOM (which would be skipped
 * at the start of a file), or is empty and the only field of its record. */
int tw_csv_needs_quotes(const char *s, size_t len, int only_field);

/* Bytes tw_csv_escape writes for s (quotes included when needed). */
size_t tw_csv_escaped_len(const char *s, size_t len, int only_field);

/* Writes s as a CSV field into out (capacity tw_csv_escaped_len); returns the
 * length written. */
size_t tw_csv_escape(const char *s, size_t len, int only_field, char *out);

#endif
