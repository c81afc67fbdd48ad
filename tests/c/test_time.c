/* test_time.c -- RFC 2822 dates, HTTP-dates and Retry-After (src/tw_time.c). */
#include <stdio.h>
#include <string.h>
#include "tap.h"
#include "tw_time.h"

/* Test names are one TAP line: control characters become '?'. */
static const char *clean(char *name) {
  char *p;
  for (p = name; *p; p++)
    if ((unsigned char)*p < 0x20) *p = '?';
  return name;
}

static int64_t NOW = INT64_C(1438298344);   /* Thu, 30 Jul 2015 23:19:04 GMT */

static void date_ok(const char *s, int64_t want) {
  int64_t got = -12345;
  char name[200];
  int r = tw_rfc2822_to_epoch(s, strlen(s), &got);
  snprintf(name, sizeof name, "rfc2822 '%s' -> %lld", s, (long long)want);
  CHECK(r == 0 && got == want, clean(name));
  if (r != 0 || got != want) printf("#   r=%d got=%lld\n", r, (long long)got);
}

static void date_bad(const char *s) {
  int64_t got = 0;
  char name[200];
  snprintf(name, sizeof name, "rfc2822 rejects '%s'", s);
  CHECK(tw_rfc2822_to_epoch(s, strlen(s), &got) == -1, clean(name));
}

static void http_ok(const char *s, int64_t want) {
  int64_t got = -12345;
  char name[200];
  int r = tw_http_date_to_epoch(s, strlen(s), NOW, &got);
  snprintf(name, sizeof name, "http-date '%s' -> %lld", s, (long long)want);
  CHECK(r == 0 && got == want, clean(name));
  if (r != 0 || got != want) printf("#   r=%d got=%lld\n", r, (long long)got);
}

static void http_bad(const char *s) {
  int64_t got = 0;
  char name[200];
  snprintf(name, sizeof name, "http-date rejects '%s'", s);
  CHECK(tw_http_date_to_epoch(s, strlen(s), NOW, &got) == -1, clean(name));
}

static void ra_ok(const char *s, int64_t want) {
  int64_t got = -12345;
  char name[200];
  int r = tw_retry_after(s, strlen(s), NOW, &got);
  snprintf(name, sizeof name, "retry-after '%s' -> %lld", s, (long long)want);
  CHECK(r == 0 && got == want, clean(name));
  if (r != 0 || got != want) printf("#   r=%d got=%lld\n", r, (long long)got);
}

static void ra_bad(const char *s) {
  int64_t got = 0;
  char name[200];
  snprintf(name, sizeof name, "retry-after rejects '%s'", s);
  CHECK(tw_retry_after(s, strlen(s), NOW, &got) == -1, clean(name));
}

int main(void) {
  /* calendar arithmetic */
  CHECK(tw_days_from_civil(1970, 1, 1) == 0, "1970-01-01 is day 0");
  CHECK(tw_days_from_civil(1969, 12, 31) == -1, "1969-12-31 is day -1");
  CHECK(tw_days_from_civil(2000, 3, 1) == 11017, "2000-03-01");
  CHECK(tw_days_in_month(2000, 2) == 29, "2000 is a leap year");
  CHECK(tw_days_in_month(1900, 2) == 28, "1900 is not a leap year");
  CHECK(tw_days_in_month(2024, 2) == 29, "2024 is a leap year");
  CHECK(tw_days_in_month(2023, 2) == 28, "2023 is not a leap year");
  CHECK(tw_days_in_month(2023, 13) == 0, "month 13 has no days");

  /* valid RFC 2822 */
  date_ok("Thu, 30 Jul 2015 23:19:04 +0000", INT64_C(1438298344));
  date_ok("30 Jul 2015 23:19:04 +0000", INT64_C(1438298344));
  date_ok("Thu, 30 Jul 2015 23:19 +0000", INT64_C(1438298340));
  date_ok("thu, 30 JUL 2015 23:19:04 gmt", INT64_C(1438298344));
  date_ok("Thu, 30 Jul 2015 23:19:04 GMT", INT64_C(1438298344));
  date_ok("Thu, 30 Jul 2015 23:19:04 UT", INT64_C(1438298344));
  date_ok("Thu, 30 Jul 2015 23:19:04 Z", INT64_C(1438298344));
  date_ok("Thu, 30 Jul 2015 23:19:04 -0000", INT64_C(1438298344));
  date_ok("Fri, 31 Jul 2015 01:19:04 +0200", INT64_C(1438298344));
  date_ok("Thu, 30 Jul 2015 18:19:04 -0500", INT64_C(1438298344));
  date_ok("Thu, 30 Jul 2015 18:19:04 CDT", INT64_C(1438298344));
  date_ok("Thu, 30 Jul 2015 19:19:04 EDT", INT64_C(1438298344));
  date_ok("Thu, 30 Jul 2015 18:19:04 EST", INT64_C(1438298344));
  date_ok("Thu, 30 Jul 2015 16:19:04 PDT", INT64_C(1438298344));
  date_ok("Thu, 30 Jul 2015 15:19:04 PST", INT64_C(1438298344));
  date_ok("Thu, 30 Jul 2015 17:19:04 MDT", INT64_C(1438298344));
  date_ok("Thu, 30 Jul 2015 16:19:04 MST", INT64_C(1438298344));
  date_ok("Thu, 30 Jul 2015 17:19:04 CST", INT64_C(1438298344));
  date_ok("Fri, 31 Jul 2015 04:49:04 +0530", INT64_C(1438298344));
  date_ok("Thu, 30 Jul 2015 23:19:04 +9959", INT64_C(1438298344) - 99 * 3600 - 59 * 60);
  date_ok("Thu, 1 Jan 1970 00:00:00 +0000", 0);
  date_ok("Wed, 31 Dec 1969 23:59:59 +0000", -1);
  date_ok("Thu, 01 Jan 1970 01:00:00 +0100", 0);
  date_ok("Mon, 01 Jan 1900 00:00:00 +0000", INT64_C(-2208988800));
  date_ok("Tue, 19 Jan 2038 03:14:07 +0000", INT64_C(2147483647));
  date_ok("Tue, 19 Jan 2038 03:14:08 +0000", INT64_C(2147483648));
  date_ok("Fri, 31 Dec 9999 23:59:59 +0000", INT64_C(253402300799));
  date_ok("Tue, 29 Feb 2000 12:00:00 +0000", INT64_C(951825600));
  date_ok("Thu, 29 Feb 2024 00:00:00 +0000", INT64_C(1709164800));
  date_ok("Sat, 31 Dec 2016 23:59:60 +0000", INT64_C(1483228800));  /* leap second */
  date_ok("  Thu,  30 Jul 2015  23:19:04  +0000  ", INT64_C(1438298344));
  date_ok("Thu,30 Jul 2015 23:19:04 +0000", INT64_C(1438298344));
  date_ok("Thu, 30 Jul 2015 23:19:04 +0000 (UTC)", INT64_C(1438298344));
  date_ok("Thu, 30 Jul 2015 23:19:04 +0000 (a (nested) comment)", INT64_C(1438298344));
  date_ok("(c) Thu, 30 Jul 2015 23:19:04 +0000", INT64_C(1438298344));
  date_ok("Thu, 30 Jul\r\n 2015 23:19:04 +0000", INT64_C(1438298344));
  date_ok("Thu, 30 Jul 15 23:19:04 +0000", INT64_C(1438298344));      /* obs-year */
  date_ok("Wed, 30 Jul 69 23:19:04 +0000", INT64_C(-13308056));       /* 1969 */
  date_ok("Thu, 30 Jul 115 23:19:04 +0000", INT64_C(1438298344));     /* 3-digit */
  date_ok("Thu, 30 Jul 2015 23 : 19 : 04 +0000", INT64_C(1438298344));

  /* invalid RFC 2822 */
  date_bad("");
  date_bad("   ");
  date_bad("Thu, 30 Jul 2015");
  date_bad("Thu, 30 Jul 2015 23:19:04");            /* no zone */
  date_bad("Thu, 30 Jul 2015 23:19:04 +000");       /* short zone */
  date_bad("Thu, 30 Jul 2015 23:19:04 +00000");
  date_bad("Thu, 30 Jul 2015 23:19:04 +0060");      /* zone minutes */
  date_bad("Thu, 30 Jul 2015 23:19:04 J");          /* J is not a zone */
  date_bad("Thu, 30 Jul 2015 23:19:04 XYZ");
  date_bad("Thu, 30 Jul 2015 23:19:04 CEST");
  date_bad("Thu, 30 Jul 2015 23:19:04+0000");       /* FWS before zone */
  date_bad("Fri, 30 Jul 2015 23:19:04 +0000");      /* wrong day name */
  date_bad("Thursday, 30 Jul 2015 23:19:04 +0000");
  date_bad("Thu 30 Jul 2015 23:19:04 +0000");       /* day name without comma */
  date_bad("Thu, 32 Jul 2015 23:19:04 +0000");
  date_bad("Thu, 00 Jul 2015 23:19:04 +0000");
  date_bad("Mon, 29 Feb 1900 00:00:00 +0000");
  date_bad("Wed, 29 Feb 2023 00:00:00 +0000");
  date_bad("Thu, 31 Apr 2015 00:00:00 +0000");
  date_bad("Thu, 30 Jul 2015 24:00:00 +0000");
  date_bad("Thu, 30 Jul 2015 23:60:00 +0000");
  date_bad("Thu, 30 Jul 2015 23:19:61 +0000");
  date_bad("Thu, 30 Jul 2015 3:19:04 +0000");
  date_bad("Thu, 30 Jul 2015 23:9:04 +0000");
  date_bad("Thu, 30 Jul 2015 23:19:4 +0000");
  date_bad("Thu, 30 Juli 2015 23:19:04 +0000");
  date_bad("Thu, 30 Jux 2015 23:19:04 +0000");
  date_bad("Thu, 300 Jul 2015 23:19:04 +0000");
  date_bad("Thu, 30 Jul 10000 23:19:04 +0000");
  date_bad("Thu, 30 Jul 1899 23:19:04 +0000");
  date_bad("Thu, 30 Jul 5 23:19:04 +0000");
  date_bad("Thu, 30Jul 2015 23:19:04 +0000");
  date_bad("Thu, 30 Jul2015 23:19:04 +0000");
  date_bad("Thu, 30 Jul 201523:19:04 +0000");
  date_bad("Thu, 30 Jul 2015 23:19:04 +0000 junk");
  date_bad("Thu, 30 Jul 2015 23:19:04 +0000 (unterminated");
  date_bad("Thu, 30 Jul 2015 23:19:04 +0000 )");
  date_bad("Thu, 30 Jul 2015 23:19:04 +0000\n");
  date_bad("2015-07-30T23:19:04Z");
  date_bad("Thu, 30 Jul 2015 23:19:04 +0000 ((((((((((((((((((((deep))))))))))))))))))))");
  {
    int64_t v;
    CHECK(tw_rfc2822_to_epoch("Thu, 30 Jul 2015 23:19:04 +0000", 20, &v) == -1,
          "rfc2822 honours len (truncated)");
    CHECK(tw_rfc2822_to_epoch(NULL, 0, &v) == -1, "rfc2822 NULL");
    CHECK(tw_rfc2822_to_epoch("Thu, 30 Jul 2015 23:19:04 +0000\0x", 32, &v) == -1,
          "rfc2822 rejects an embedded NUL");
  }

  /* HTTP-date */
  http_ok("Sun, 06 Nov 1994 08:49:37 GMT", INT64_C(784111777));
  http_ok("Sunday, 06-Nov-94 08:49:37 GMT", INT64_C(784111777));
  http_ok("Sun Nov  6 08:49:37 1994", INT64_C(784111777));
  http_ok("Thu Jul 30 23:19:04 2015", INT64_C(1438298344));
  http_ok("Thu, 30 Jul 2015 23:19:04 GMT", INT64_C(1438298344));
  http_ok("Thursday, 30-Jul-15 23:19:04 GMT", INT64_C(1438298344));
  http_ok("Thursday, 31-Dec-65 00:00:00 GMT", INT64_C(3029443200));  /* 2065: <= now+50 */
  http_ok("Wednesday, 31-Dec-69 00:00:00 GMT", INT64_C(-86400));    /* 2069 > 2065 -> 1969 */
  http_bad("Sun, 06 Nov 1994 08:49:37 +0000");
  http_bad("Sun, 6 Nov 1994 08:49:37 GMT");
  http_bad("Sun,  06 Nov 1994 08:49:37 GMT");
  http_bad("Mon, 06 Nov 1994 08:49:37 GMT");
  http_bad("Sun Nov 6 08:49:37 1994");
  http_bad("Sun Nov  6 08:49:37 94");
  http_bad("Sunday, 06-Nov-1994 08:49:37 GMT");
  http_bad("Sun, 06 Nov 1994 08:49:37 GMT ");
  http_bad("Sun, 06 Nov 1994 25:49:37 GMT");
  http_bad("Sun, 31 Nov 1994 08:49:37 GMT");
  http_bad("Someday, 06-Nov-94 08:49:37 GMT");
  http_bad("");

  /* Retry-After */
  ra_ok("0", 0);
  ra_ok("120", 120);
  ra_ok("  7 ", 7);
  ra_ok("000030", 30);
  ra_ok("99999999999999999999999999", TW_RETRY_AFTER_MAX);
  ra_ok("Thu, 30 Jul 2015 23:20:04 GMT", 60);
  ra_ok("Thu, 30 Jul 2015 23:19:04 GMT", 0);
  ra_ok("Thu, 30 Jul 2015 23:00:00 GMT", 0);            /* in the past */
  ra_ok("Fri, 31 Dec 9999 23:59:59 GMT", TW_RETRY_AFTER_MAX);
  ra_ok("Thursday, 30-Jul-15 23:19:34 GMT", 30);
  ra_ok("Thu Jul 30 23:19:14 2015", 10);
  ra_bad("");
  ra_bad("  ");
  ra_bad("-1");
  ra_bad("1.5");
  ra_bad("+5");
  ra_bad("12abc");
  ra_bad("soon");
  ra_bad("Thu, 30 Jul 2015 23:20:04 +0000");
  {
    int64_t v = -1;
    CHECK(tw_retry_after("Fri, 31 Dec 9999 23:59:59 GMT", 29, INT64_MIN, &v) == 0 &&
          v == TW_RETRY_AFTER_MAX, "retry-after with an extreme now does not overflow");
    CHECK(tw_retry_after("Mon, 01 Jan 1900 00:00:00 GMT", 29, INT64_MAX, &v) == 0 && v == 0,
          "retry-after with now = INT64_MAX");
  }
  return TAP_DONE();
}
