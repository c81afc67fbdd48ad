/* tw_time.h -- dates to epoch seconds, for record fields and Retry-After.
 *
 * Pure C99, no lua.h, no libc time functions (no timegm, no locale, no TZ):
 * the calendar arithmetic is done here, in the proleptic Gregorian calendar.
 * Every function reads exactly `len` bytes of `s` (no NUL needed) and
 * allocates nothing. */
#ifndef TW_TIME_H
#define TW_TIME_H

#include <stddef.h>
#include <stdint.h>

/* Days from 1970-01-01 to y-m-d (m 1..12, d 1..31); negative before 1970. */
int64_t tw_days_from_civil(int64_t y, int m, int d);

/* Days in month m (1..12) of year y. */
int tw_days_in_month(int64_t y, int m);

/* RFC 2822 / RFC 5322 date-time, e.g. "Thu, 30 Jul 2015 23:19:04 +0000":
 *   [day-name ","] day month year hh:mm[:ss] zone [comment]
 * zone: +hhmm / -hhmm, or an obsolete zone (UT, GMT, EST/EDT, CST/CDT,
 * MST/MDT, PST/PDT, or a one-letter military zone, read as -0000).
 * Years 1900..9999 (obsolete 2-digit years: 00-49 -> 20xx, 50-99 -> 19xx;
 * 3-digit years + 1900). Folding white space and (nested) comments are
 * allowed where RFC 5322 allows CFWS. Month and day names are
 * case-insensitive. Checks: day within its month (leap years), hour 0..23,
 * minute 0..59, second 0..60 (a leap second counts as :59 + 1 s), zone
 * minutes 0..59 and hours 0..99, and the day name, when present, must be the
 * day of the week of that date (RFC 5322 3.3 "MUST").
 * Returns 0 and stores seconds since 1970-01-01T00:00:00Z in *out, or -1. */
int tw_rfc2822_to_epoch(const char *s, size_t len, int64_t *out);

/* HTTP-date (RFC 9110 5.6.7): IMF-fixdate "Sun, 06 Nov 1994 08:49:37 GMT",
 * rfc850-date "Sunday, 06-Nov-94 08:49:37 GMT" and asctime-date
 * "Sun Nov  6 08:49:37 1994". A two-digit rfc850 year that would be more than
 * 50 years after `now` (epoch seconds) is taken in the previous century.
 * Returns 0 and stores epoch seconds in *out, or -1. */
int tw_http_date_to_epoch(const char *s, size_t len, int64_t now, int64_t *out);

/* The largest delay tw_retry_after reports (RFC 9111 1.2.2: 2^31 caps
 * delta-seconds). */
#define TW_RETRY_AFTER_MAX INT64_C(2147483648)

/* Retry-After (RFC 9110 10.2.3): delta-seconds (1*DIGIT) or an HTTP-date,
 * with optional surrounding white space. Stores the delay in seconds in
 * *out: delta-seconds capped at TW_RETRY_AFTER_MAX, or (date - now) clamped
 * to 0 .. TW_RETRY_AFTER_MAX. Returns 0, or -1 when the value is neither. */
int tw_retry_after(const char *s, size_t len, int64_t now, int64_t *out);

#endif
