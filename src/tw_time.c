/* tw_time.c -- RFC 2822 dates, HTTP-dates and Retry-After (see tw_time.h).
 *
 * A small cursor over (s, len): every loop advances the cursor or stops, and
 * comment nesting is bounded, so a parse is O(len). No allocation, no libc
 * time or locale functions: month and day names are compared in ASCII. */
#include "tw_time.h"

typedef struct cur {
  const unsigned char *p, *e;
} cur;

static const char *const MONTHS[12] = {
  "jan", "feb", "mar", "apr", "may", "jun",
  "jul", "aug", "sep", "oct", "nov", "dec"
};
/* 0 = Sunday, as (days since 1970-01-01 + 4) mod 7. */
static const char *const DAYS[7] = {
  "sun", "mon", "tue", "wed", "thu", "fri", "sat"
};
static const char *const LONG_DAYS[7] = {
  "sunday", "monday", "tuesday", "wednesday", "thursday", "friday", "saturday"
};

#define MIN_YEAR 1900
#define MAX_YEAR 9999
#define MAX_COMMENT_DEPTH 16

static int is_digit(int c) { return c >= '0' && c <= '9'; }
static int is_alpha(int c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }
static int lower(int c) { return (c >= 'A' && c <= 'Z') ? c + ('a' - 'A') : c; }
static int is_wsp(int c) { return c == ' ' || c == '\t'; }

int64_t tw_days_from_civil(int64_t y, int m, int d) {
  /* H. Hinnant's days_from_civil: March-based years, 400-year eras. */
  int64_t era, yoe, doy, doe;
  y -= m <= 2;
  era = (y >= 0 ? y : y - 399) / 400;
  yoe = y - era * 400;
  doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
  doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + doe - 719468;
}

static int is_leap(int64_t y) {
  return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

int tw_days_in_month(int64_t y, int m) {
  static const int dim[12] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };
  if (m < 1 || m > 12) return 0;
  return (m == 2 && is_leap(y)) ? 29 : dim[m - 1];
}

/* Year of a day count (inverse of tw_days_from_civil, year only). */
static int64_t year_from_days(int64_t z) {
  int64_t era, doe, yoe, y, doy, mp;
  z += 719468;
  era = (z >= 0 ? z : z - 146096) / 146097;
  doe = z - era * 146097;
  yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  y = yoe + era * 400;
  doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  mp = (5 * doy + 2) / 153;
  return (mp >= 10) ? y + 1 : y;   /* Jan, Feb belong to the next year */
}

static int weekday(int64_t days) {
  int64_t w = (days + 4) % 7;
  return (int)(w < 0 ? w + 7 : w);
}

/* ---- cursor helpers ---------------------------------------------------- */

static int at_end(const cur *c) { return c->p >= c->e; }
static int peek(const cur *c) { return c->p < c->e ? *c->p : -1; }

static int accept_ch(cur *c, int ch) {
  if (c->p < c->e && *c->p == ch) { c->p++; return 1; }
  return 0;
}

/* FWS: white space, with CRLF allowed only when followed by white space. */
static int skip_fws(cur *c) {
  const unsigned char *start = c->p;
  for (;;) {
    if (c->p < c->e && is_wsp(*c->p)) {
      c->p++;
    } else if (c->e - c->p >= 3 && c->p[0] == '\r' && c->p[1] == '\n' && is_wsp(c->p[2])) {
      c->p += 3;
    } else {
      break;
    }
  }
  return c->p != start;
}

/* A comment "( ... )" with nested comments and quoted pairs. Returns 1 if
 * one was consumed, 0 if none starts here, -1 if malformed. */
static int skip_comment(cur *c) {
  int depth = 0;
  if (peek(c) != '(') return 0;
  while (c->p < c->e) {
    int ch = *c->p++;
    if (ch == '(') {
      if (++depth > MAX_COMMENT_DEPTH) return -1;
    } else if (ch == ')') {
      if (--depth == 0) return 1;
    } else if (ch == '\\') {
      if (c->p >= c->e) return -1;
      c->p++;
    } else if (ch == '\r' || ch == '\n') {
      c->p--;
      if (!skip_fws(c)) return -1;   /* only folding line breaks */
    }
  }
  return -1;
}

/* CFWS: returns 1 if anything was skipped, 0 if nothing, -1 if malformed. */
static int skip_cfws(cur *c) {
  const unsigned char *start = c->p;
  for (;;) {
    int r;
    skip_fws(c);
    r = skip_comment(c);
    if (r < 0) return -1;
    if (r == 0) break;
  }
  return c->p != start;
}

/* Reads min..max digits into *v; fails if more digits follow. */
static int read_digits(cur *c, int min, int max, int64_t *v) {
  int n = 0;
  int64_t x = 0;
  while (c->p < c->e && is_digit(*c->p)) {
    if (n == max) return -1;
    x = x * 10 + (*c->p - '0');
    c->p++;
    n++;
  }
  if (n < min) return -1;
  *v = x;
  return n;
}

/* Reads an ASCII word (letters) of at most `max` letters into lower-case buf. */
static int read_word(cur *c, char *buf, int max) {
  int n = 0;
  while (c->p < c->e && is_alpha(*c->p)) {
    if (n == max) return -1;
    buf[n++] = (char)lower(*c->p);
    c->p++;
  }
  buf[n] = '\0';
  return n;
}

static int streq(const char *a, const char *b) {
  while (*a && *a == *b) { a++; b++; }
  return *a == *b;
}

static int find_name(const char *w, const char *const *names, int n) {
  int i;
  for (i = 0; i < n; i++)
    if (streq(w, names[i])) return i;
  return -1;
}

/* Checks the fields and combines them into epoch seconds. */
static int combine(int64_t y, int mon, int64_t d, int64_t hh, int64_t mm,
                   int64_t ss, int64_t offset_s, int wday, int64_t *out) {
  int64_t days;
  if (y < MIN_YEAR || y > MAX_YEAR) return -1;
  if (mon < 1 || mon > 12) return -1;
  if (d < 1 || d > tw_days_in_month(y, mon)) return -1;
  if (hh > 23 || mm > 59 || ss > 60) return -1;
  days = tw_days_from_civil(y, mon, (int)d);
  if (wday >= 0 && weekday(days) != wday) return -1;
  *out = days * 86400 + hh * 3600 + mm * 60 + ss - offset_s;
  return 0;
}

/* ---- RFC 2822 ---------------------------------------------------------- */

/* Obsolete zone names (RFC 5322 4.3), offsets in hours. */
static int obs_zone(const char *w, int n, int64_t *hours) {
  static const struct { const char *name; int h; } Z[] = {
    { "ut", 0 }, { "utc", 0 }, { "gmt", 0 },
    { "est", -5 }, { "edt", -4 }, { "cst", -6 }, { "cdt", -5 },
    { "mst", -7 }, { "mdt", -6 }, { "pst", -8 }, { "pdt", -7 }
  };
  size_t i;
  for (i = 0; i < sizeof Z / sizeof Z[0]; i++)
    if (streq(w, Z[i].name)) { *hours = Z[i].h; return 0; }
  /* Military zones A-I, K-Z: their sign was defined backwards in RFC 822,
   * so RFC 5322 says to read them as -0000 (no information). */
  if (n == 1 && w[0] != 'j') { *hours = 0; return 0; }
  return -1;
}

int tw_rfc2822_to_epoch(const char *s, size_t len, int64_t *out) {
  cur c;
  char w[8];
  int wday = -1, mon, n;
  int64_t day, year, hh, mm, ss = 0, zh = 0, zm = 0, sign = 1;

  if (!s || !out) return -1;
  c.p = (const unsigned char *)s;
  c.e = c.p + len;

  if (skip_cfws(&c) < 0) return -1;
  if (is_alpha(peek(&c))) {                      /* [ day-name "," ] */
    if (read_word(&c, w, 3) != 3) return -1;
    if ((wday = find_name(w, DAYS, 7)) < 0) return -1;
    if (skip_cfws(&c) < 0 || !accept_ch(&c, ',')) return -1;
    if (skip_cfws(&c) < 0) return -1;
  }
  n = read_digits(&c, 1, 2, &day);               /* day */
  if (n < 0) return -1;
  if (skip_cfws(&c) <= 0) return -1;
  if (read_word(&c, w, 3) != 3) return -1;       /* month */
  if ((mon = find_name(w, MONTHS, 12)) < 0) return -1;
  mon += 1;
  if (skip_cfws(&c) <= 0) return -1;
  n = read_digits(&c, 2, 4, &year);              /* year */
  if (n < 0) return -1;
  if (n == 2) year += (year < 50) ? 2000 : 1900; /* obs-year */
  else if (n == 3) year += 1900;
  if (skip_cfws(&c) <= 0) return -1;
  if (read_digits(&c, 2, 2, &hh) < 0) return -1; /* time-of-day */
  if (skip_cfws(&c) < 0 || !accept_ch(&c, ':')) return -1;
  if (skip_cfws(&c) < 0) return -1;
  if (read_digits(&c, 2, 2, &mm) < 0) return -1;
  if (skip_cfws(&c) < 0) return -1;
  if (accept_ch(&c, ':')) {
    if (skip_cfws(&c) < 0) return -1;
    if (read_digits(&c, 2, 2, &ss) < 0) return -1;
    if (skip_cfws(&c) < 0) return -1;
  }
  /* zone: the FWS before it is required; skip_cfws above consumed it. */
  if (c.p == (const unsigned char *)s || !(is_wsp(c.p[-1]) || c.p[-1] == ')'))
    return -1;
  if (peek(&c) == '+' || peek(&c) == '-') {
    int64_t hhmm;
    sign = (*c.p == '-') ? -1 : 1;
    c.p++;
    if (read_digits(&c, 4, 4, &hhmm) < 0) return -1;
    zh = hhmm / 100;
    zm = hhmm % 100;
    if (zm > 59) return -1;
  } else {
    n = read_word(&c, w, 3);
    if (n <= 0 || obs_zone(w, n, &zh) < 0) return -1;
  }
  if (skip_cfws(&c) < 0 || !at_end(&c)) return -1;
  return combine(year, mon, day, hh, mm, ss, sign * (zh * 3600 + zm * 60), wday, out);
}

/* ---- HTTP-date --------------------------------------------------------- */

static int read_time(cur *c, int64_t *hh, int64_t *mm, int64_t *ss) {
  if (read_digits(c, 2, 2, hh) < 0 || !accept_ch(c, ':')) return -1;
  if (read_digits(c, 2, 2, mm) < 0 || !accept_ch(c, ':')) return -1;
  if (read_digits(c, 2, 2, ss) < 0) return -1;
  return 0;
}

static int read_month(cur *c) {
  char w[4];
  int m;
  if (read_word(c, w, 3) != 3) return -1;
  m = find_name(w, MONTHS, 12);
  return m < 0 ? -1 : m + 1;
}

static int accept_gmt(cur *c) {
  char w[4];
  return read_word(c, w, 3) == 3 && streq(w, "gmt");
}

int tw_http_date_to_epoch(const char *s, size_t len, int64_t now, int64_t *out) {
  cur c;
  char w[10];
  int n, wday, mon;
  int64_t day, year, hh, mm, ss;

  if (!s || !out) return -1;
  c.p = (const unsigned char *)s;
  c.e = c.p + len;
  n = read_word(&c, w, 9);
  if (n < 3) return -1;
  if (n == 3) {
    if ((wday = find_name(w, DAYS, 7)) < 0) return -1;
    if (accept_ch(&c, ',')) {                    /* IMF-fixdate */
      if (!accept_ch(&c, ' ') || read_digits(&c, 2, 2, &day) < 0) return -1;
      if (!accept_ch(&c, ' ') || (mon = read_month(&c)) < 0) return -1;
      if (!accept_ch(&c, ' ') || read_digits(&c, 4, 4, &year) < 0) return -1;
      if (!accept_ch(&c, ' ') || read_time(&c, &hh, &mm, &ss) < 0) return -1;
      if (!accept_ch(&c, ' ') || !accept_gmt(&c)) return -1;
    } else {                                     /* asctime-date */
      if (!accept_ch(&c, ' ') || (mon = read_month(&c)) < 0) return -1;
      if (!accept_ch(&c, ' ')) return -1;
      if (accept_ch(&c, ' ')) {
        if (read_digits(&c, 1, 1, &day) < 0) return -1;
      } else if (read_digits(&c, 2, 2, &day) < 0) {
        return -1;
      }
      if (!accept_ch(&c, ' ') || read_time(&c, &hh, &mm, &ss) < 0) return -1;
      if (!accept_ch(&c, ' ') || read_digits(&c, 4, 4, &year) < 0) return -1;
    }
  } else {                                       /* rfc850-date */
    int64_t now_year;
    if ((wday = find_name(w, LONG_DAYS, 7)) < 0) return -1;
    if (!accept_ch(&c, ',') || !accept_ch(&c, ' ')) return -1;
    if (read_digits(&c, 2, 2, &day) < 0 || !accept_ch(&c, '-')) return -1;
    if ((mon = read_month(&c)) < 0 || !accept_ch(&c, '-')) return -1;
    if (read_digits(&c, 2, 2, &year) < 0) return -1;
    if (!accept_ch(&c, ' ') || read_time(&c, &hh, &mm, &ss) < 0) return -1;
    if (!accept_ch(&c, ' ') || !accept_gmt(&c)) return -1;
    /* RFC 9110: a year more than 50 years in the future is in the past. */
    if (now < -INT64_C(100000000000) || now > INT64_C(100000000000)) now = 0;
    now_year = year_from_days(now >= 0 ? now / 86400 : -((-now + 86399) / 86400));
    year += now_year - now_year % 100;
    if (year > now_year + 50) year -= 100;
  }
  if (!at_end(&c)) return -1;
  return combine(year, mon, day, hh, mm, ss, 0, wday, out);
}

/* ---- Retry-After ------------------------------------------------------- */

int tw_retry_after(const char *s, size_t len, int64_t now, int64_t *out) {
  const char *b = s, *e;
  int64_t v = 0, when;
  if (!s || !out) return -1;
  e = s + len;
  while (b < e && is_wsp((unsigned char)*b)) b++;
  while (e > b && is_wsp((unsigned char)e[-1])) e--;
  if (b == e) return -1;
  if (is_digit((unsigned char)*b)) {
    const char *p;
    for (p = b; p < e; p++) {
      if (!is_digit((unsigned char)*p)) return -1;
      if (v < TW_RETRY_AFTER_MAX) v = v * 10 + (*p - '0');
    }
    *out = v < TW_RETRY_AFTER_MAX ? v : TW_RETRY_AFTER_MAX;
    return 0;
  }
  if (tw_http_date_to_epoch(b, (size_t)(e - b), now, &when) < 0) return -1;
  /* when is within years 1900..9999; keep now in a range where the
   * subtraction cannot overflow. */
  if (now < -INT64_C(1000000000000)) now = -INT64_C(1000000000000);
  if (now > INT64_C(1000000000000)) now = INT64_C(1000000000000);
  v = when - now;
  if (v < 0) v = 0;
  *out = v < TW_RETRY_AFTER_MAX ? v : TW_RETRY_AFTER_MAX;
  return 0;
}
