/* fuzz_csv.c -- libFuzzer target for src/tw_csv.c.
 * Parses the input (strict and ragged modes), checks that every field span
 * lies inside the input, then writes the parsed rows back with
 * tw_csv_escape and checks that parsing the output gives the same rows. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "tw_csv.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

typedef struct field { char *s; size_t len; int last; } field;

static void free_all(field *arr, size_t n) {
  size_t i;
  for (i = 0; i < n; i++) free(arr[i].s);
  free(arr);
}

/* Parses text into fields (unescaped copies, owned by the array). Returns
 * the count, or (size_t)-1 on a parse error. */
static size_t parse_all(const char *text, size_t len, int ragged, field **out) {
  tw_csv c;
  tw_csv_field f;
  field *arr = NULL;
  size_t n = 0, cap = 0;
  int r;
  tw_csv_init(&c, text, len, ragged);
  while ((r = tw_csv_next(&c, &f)) == TW_CSV_FIELD) {
    if (f.s < text || f.s + f.len > text + len) abort();
    if (n == cap) {
      field *tmp;
      cap = cap ? cap * 2 : 16;
      tmp = realloc(arr, cap * sizeof *arr);
      if (!tmp) abort();
      arr = tmp;
    }
    arr[n].s = malloc(f.len + 1);
    if (!arr[n].s) abort();
    arr[n].len = tw_csv_unescape(&f, arr[n].s);
    if (arr[n].len > f.len || (!f.escaped && arr[n].len != f.len)) abort();
    arr[n].last = f.last;
    n++;
  }
  if (r == TW_CSV_ERROR) {
    if (!c.err || c.err_line == 0 || c.err_line > len + 1) abort();
    if (tw_csv_next(&c, &f) != TW_CSV_ERROR) abort();   /* sticky */
    free_all(arr, n);
    *out = NULL;
    return (size_t)-1;
  }
  *out = arr;
  return n;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  const char *text = (const char *)data;
  field *a = NULL, *b = NULL;
  size_t na, nb, i, total = 0, pos = 0, rowstart = 0;
  char *out;

  size_t strict = parse_all(text, size, 0, &a);
  if (strict != (size_t)-1) free_all(a, strict);
  na = parse_all(text, size, 1, &a);
  if (na == (size_t)-1) {
    if (strict != (size_t)-1) abort();   /* ragged mode accepts more, never less */
    return 0;
  }
  if (strict != (size_t)-1 && strict != na) abort();
  /* write back: one CSV line per record */
  for (i = 0; i < na; i++) total += tw_csv_escaped_len(a[i].s, a[i].len, 1) + 3;
  out = malloc(total + 1);
  if (!out) abort();
  for (i = 0; i < na; i++) {
    int only = a[i].last && i == rowstart;
    if (i > rowstart) out[pos++] = ',';
    if (tw_csv_escaped_len(a[i].s, a[i].len, only) > tw_csv_escaped_len(a[i].s, a[i].len, 1))
      abort();
    pos += tw_csv_escape(a[i].s, a[i].len, only, out + pos);
    if (a[i].last) {
      out[pos++] = '\r';
      out[pos++] = '\n';
      rowstart = i + 1;
    }
  }
  if (pos > total) abort();
  nb = parse_all(out, pos, 1, &b);
  if (nb != na) abort();
  for (i = 0; i < na; i++) {
    if (a[i].len != b[i].len || a[i].last != b[i].last) abort();
    if (a[i].len && memcmp(a[i].s, b[i].s, a[i].len) != 0) abort();
  }
  free_all(a, na);
  free_all(b, nb);
  free(out);
  return 0;
}
