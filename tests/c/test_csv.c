/* test_csv.c -- RFC 4180 parser and writer (src/tw_csv.c). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "tap.h"
#include "tw_csv.h"

/* Renders the parse of text as "[f|f]" per record (no separator between
 * records), or "ERR@line:message". Returns a static buffer. */
static const char *render(const char *text, size_t len, int ragged) {
  static char out[4096];
  size_t n = 0;
  tw_csv c;
  tw_csv_field f;
  int r, start = 1;
  tw_csv_init(&c, text, len, ragged);
  while ((r = tw_csv_next(&c, &f)) == TW_CSV_FIELD) {
    char tmp[1024];
    size_t k = tw_csv_unescape(&f, tmp);
    if (n + k + 4 >= sizeof out) return "overflow";
    if (start) out[n++] = '[';
    else out[n++] = '|';
    memcpy(out + n, tmp, k);
    n += k;
    start = f.last;
    if (f.last) out[n++] = ']';
  }
  if (r == TW_CSV_ERROR) {
    snprintf(out, sizeof out, "ERR@%zu:%s", c.err_line, c.err);
    return out;
  }
  out[n] = '\0';
  return out;
}

static void parses(const char *text, const char *want, const char *name) {
  CHECK_STR(render(text, strlen(text), 0), want, name);
}

/* Writes rows (NULL-terminated arrays of fields, NULL-terminated) as CSV. */
static char *write_rows(const char *const *const *rows) {
  static char out[4096];
  size_t n = 0, i, j;
  for (i = 0; rows[i]; i++) {
    size_t nf = 0;
    while (rows[i][nf]) nf++;
    for (j = 0; j < nf; j++) {
      const char *s = rows[i][j];
      size_t need = tw_csv_escaped_len(s, strlen(s), nf == 1);
      if (j) out[n++] = ',';
      n += tw_csv_escape(s, strlen(s), nf == 1, out + n);
      (void)need;
    }
    out[n++] = '\r';
    out[n++] = '\n';
  }
  out[n] = '\0';
  return out;
}

int main(void) {
  /* plain parsing */
  parses("", "", "empty input: no records");
  parses("a", "[a]", "one field, no line end");
  parses("a,b,c\r\n1,2,3\r\n", "[a|b|c][1|2|3]", "CRLF records");
  parses("a,b,c\n1,2,3\n", "[a|b|c][1|2|3]", "LF records");
  parses("a,b,c\n1,2,3", "[a|b|c][1|2|3]", "no final line end");
  parses("a,b\r\n1,2\n", "[a|b][1|2]", "mixed CRLF and LF");
  parses("a,,c\n,,\n", "[a||c][||]", "empty fields");
  parses("a,b,\n1,2,\n", "[a|b|][1|2|]", "trailing comma is an empty field");
  parses(" a , b \n", "[ a | b ]", "spaces are kept");
  parses("a\n\n\nb\n", "[a][b]", "empty lines are skipped");
  parses("\r\n\r\na\r\n", "[a]", "leading empty lines are skipped");
  parses("\xEF\xBB\xBFid,name\n1,x\n", "[id|name][1|x]", "BOM skipped");
  parses("\xEF\xBB\xBF", "", "only a BOM");
  parses("x,\xEF\xBB\xBF\n1,2\n", "[x|\xEF\xBB\xBF][1|2]", "BOM kept when not first");
  /* quoted */
  parses("\"a,b\",c\n", "[a,b|c]", "quoted comma");
  parses("\"say \"\"hi\"\"\",x\n", "[say \"hi\"|x]", "doubled quotes");
  parses("\"\"\"\"\n", "[\"]", "a field that is one quote");
  parses("\"\",\"\"\n", "[|]", "quoted empty fields");
  parses("\"\"\n", "[]", "a quoted empty single field is a record");
  parses("\"line1\nline2\",b\n", "[line1\nline2|b]", "embedded LF");
  parses("\"line1\r\nline2\",b\r\n", "[line1\r\nline2|b]", "embedded CRLF");
  parses("\"a\rb\",c\n", "[a\rb|c]", "embedded bare CR in quotes");
  parses("\"x\"", "[x]", "quoted at EOF");
  parses("\"x\",", "[x|]", "quoted then comma at EOF");
  {
    const char t[] = "a,\0b\nc,d\n";
    CHECK_STR(render(t, sizeof t - 1, 0), "[a|", "NUL bytes are data (the rendering stops at the NUL)");
  }

  /* errors */
  parses("\"abc", "ERR@1:unterminated quoted field", "unterminated quote");
  parses("a,b\n1,\"x\ny\nz", "ERR@2:unterminated quoted field", "unterminated quote reports its start line");
  parses("ab\"c\n", "ERR@1:quote inside an unquoted field", "quote in unquoted field");
  parses("a,b\nc,d\"\n", "ERR@2:quote inside an unquoted field", "quote in unquoted field, line 2");
  parses("\"ab\"c,d\n", "ERR@1:unexpected character after a closing quote", "text after closing quote");
  parses("\"ab\" ,d\n", "ERR@1:unexpected character after a closing quote", "space after closing quote");
  parses("a,b\rc,d\n", "ERR@1:bare CR outside a quoted field", "bare CR");
  parses("a\r", "ERR@1:bare CR outside a quoted field", "bare CR at EOF");
  parses("a,b\n1,2\n3\n", "ERR@3:ragged record: field count differs from the first record",
         "ragged row reported with its line");
  parses("a,b\n\"1\n2\",3,4\n", "ERR@2:ragged record: field count differs from the first record",
         "ragged row reports the line where it starts");
  CHECK_STR(render("a,b\n1,2\n3\n", 10, 1), "[a|b][1|2][3]", "ragged rows allowed on request");
  {
    tw_csv c;
    tw_csv_field f;
    tw_csv_init(&c, "\"x", 2, 0);
    CHECK(tw_csv_next(&c, &f) == TW_CSV_ERROR, "error returned");
    CHECK(tw_csv_next(&c, &f) == TW_CSV_ERROR, "error is sticky");
  }
  {
    tw_csv c;
    tw_csv_field f;
    tw_csv_init(&c, "a,b\n", 4, 0);
    CHECK(tw_csv_next(&c, &f) == TW_CSV_FIELD && !f.last, "first field not last");
    CHECK(tw_csv_next(&c, &f) == TW_CSV_FIELD && f.last, "second field last");
    CHECK(tw_csv_next(&c, &f) == TW_CSV_END, "end");
    CHECK(tw_csv_next(&c, &f) == TW_CSV_END, "end again");
  }

  /* writer */
  CHECK(!tw_csv_needs_quotes("abc", 3, 0), "plain field unquoted");
  CHECK(tw_csv_needs_quotes("a,c", 3, 0), "comma quoted");
  CHECK(tw_csv_needs_quotes("a\"c", 3, 0), "quote quoted");
  CHECK(tw_csv_needs_quotes("a\rc", 3, 0), "CR quoted");
  CHECK(tw_csv_needs_quotes("a\nc", 3, 0), "LF quoted");
  CHECK(tw_csv_needs_quotes(" ac", 3, 0), "leading space quoted");
  CHECK(tw_csv_needs_quotes("ac\t", 3, 0), "trailing tab quoted");
  CHECK(!tw_csv_needs_quotes("a c", 3, 0), "inner space unquoted");
  CHECK(!tw_csv_needs_quotes("", 0, 0), "empty field among others unquoted");
  CHECK(tw_csv_needs_quotes("", 0, 1), "empty only field quoted");
  CHECK(tw_csv_needs_quotes("\xEF\xBB\xBFx", 4, 0), "leading BOM quoted");
  CHECK(tw_csv_escaped_len("a\"b", 3, 0) == 6, "escaped length");
  {
    static const char *const r1[] = { "sid", "friendly name", "note", NULL };
    static const char *const r2[] = { "PN1", "Desk, main", "say \"hi\"", NULL };
    static const char *const r3[] = { "PN2", " padded ", "two\nlines", NULL };
    static const char *const r4[] = { "", NULL };
    static const char *const r5[] = { "", "", "", NULL };
    static const char *const *const rows[] = { r1, r2, r3, r4, r5, NULL };
    const char *want =
      "sid,friendly name,note\r\n"
      "PN1,\"Desk, main\",\"say \"\"hi\"\"\"\r\n"
      "PN2,\" padded \",\"two\nlines\"\r\n"
      "\"\"\r\n"
      ",,\r\n";
    char *text = write_rows(rows);
    CHECK_STR(text, want, "writer output");
    CHECK_STR(render(text, strlen(text), 1),
              "[sid|friendly name|note][PN1|Desk, main|say \"hi\"]"
              "[PN2| padded |two\nlines][][||]",
              "round trip");
  }
  return TAP_DONE();
}
