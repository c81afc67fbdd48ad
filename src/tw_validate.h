/* tw_validate.h -- validators for everything a caller can put into a
 * request: SIDs, phone numbers and filters, URLs, enums, integers, text,
 * the base URL of a configuration, and next_page_uri values.
 *
 * No lua.h, no allocation. Strings are (pointer, length) pairs and may hold
 * NUL bytes. Predicates return 1 when valid, 0 when not. */
#ifndef TW_VALIDATE_H
#define TW_VALIDATE_H

#include <stddef.h>
#include "tw_ops.h"

/* ^PP[0-9a-fA-F]{32}$ where PP is the two-letter prefix (e.g. "PN"). */
int tw_valid_sid(const char *s, size_t n, const char *prefix);
/* Any SID kind known to this library: AC AD AP BU PN RI TK XE XF SK. */
int tw_valid_any_sid(const char *s, size_t n);
/* E.164: +[1-9][0-9]{1,14}. */
int tw_valid_e164(const char *s, size_t n);
/* IncomingPhoneNumbers list filter: optional leading +, then 1-15 of
 * digits and '*' (one digit wildcard), at least one digit. */
int tw_valid_phone_filter(const char *s, size_t n);
/* AvailablePhoneNumbers Contains (API.md 5.5, prose in the spec):
 * [+] [*%]* [0-9A-Za-z]+ [*%]* [$], 2-16 chars; wildcards only at the ends
 * (never between letters/digits); an anchor (+ $) never next to a wildcard;
 * '%' never next to another wildcard; with wildcards, >= 2 letters/digits. */
int tw_valid_contains(const char *s, size_t n);
/* US/CA area code: 3 digits, the first 2-9. */
int tw_valid_area_code(const char *s, size_t n);
int tw_valid_area_code_int(long long v);
/* Two upper-case ASCII letters. */
int tw_valid_country(const char *s, size_t n);
/* "lat,long": decimal degrees, -90..90 and -180..180, no spaces. */
int tw_valid_latlong(const char *s, size_t n);
/* YYYY-MM-DD (digits and dashes). */
int tw_valid_api_version(const char *s, size_t n);
/* Absolute http:// or https:// URL (scheme case-insensitive) with a
 * non-empty host, optional userinfo and port 1-65535, and only printable
 * ASCII without spaces or the characters RFC 3986 never allows
 * ("<>\\^`{|}); non-ASCII must be percent-encoded. */
int tw_valid_http_url(const char *s, size_t n);
/* Printable ASCII without space (33..126). */
int tw_valid_token(const char *s, size_t n);

/* UTF-8: number of code points, or -1 when s is not valid UTF-8
 * (overlong forms, surrogates and values above U+10FFFF are invalid). */
long tw_utf8_count(const char *s, size_t n);

/* Text scan results. */
enum {
  TW_TEXT_OK = 0,
  TW_TEXT_NUL,       /* a NUL byte */
  TW_TEXT_CRLF,      /* CR or LF */
  TW_TEXT_CTL,       /* another C0 control byte or DEL */
  TW_TEXT_UTF8       /* not valid UTF-8 */
};
/* free_text: tabs, CR and LF are allowed (labels), other controls not. */
int tw_scan_text(const char *s, size_t n, int free_text);

/* Validates a string value for parameter p. Returns NULL when valid, else
 * a phrase completing "<name> must be ..." (static storage). Length, empty,
 * control-byte and UTF-8 checks are included. */
const char *tw_check_string(const tw_param *p, const char *s, size_t n);
/* 1 when parameter p can be cleared by sending it empty ("Param="): an
 * optional form field that points somewhere -- a webhook URL or the SID of an
 * application, trunk, address, identity or bundle. Twilio removes such a
 * value when it is sent empty. Not: enums and methods (they have server
 * defaults: send the default), ApiVersion, and the form AccountSid (the
 * transfer target). FriendlyName takes "" as ordinary text (TW_P_EMPTY_OK).
 * tw_check_string keeps refusing "" for these formats: the binding asks
 * this rule first (an empty value is a request to clear, not a URL). */
int tw_param_clearable(const tw_param *p);

/* Same for an integer value (integers and TW_F_AREA_CODE). */
const char *tw_check_integer(const tw_param *p, long long v);

/* Levenshtein distance between a and b (both at most 64 bytes, else
 * returns (size_t)-1). Case-sensitive. */
size_t tw_levenshtein(const char *a, size_t an, const char *b, size_t bn);

/* Writes a printable, bounded echo of s into out (cap >= 8): printable ASCII
 * as is, valid UTF-8 sequences as is, other bytes as \xNN, backslash and
 * quote escaped; when it does not fit, cut at a character boundary and end
 * with "...". Always NUL-terminates. Returns the length written. */
size_t tw_echo(char *out, size_t cap, const char *s, size_t n);

/* A configured base URL, parsed. */
typedef struct tw_base {
  char scheme[6];        /* "http" | "https" */
  char host[256];        /* lower-case; IPv6 kept in brackets */
  unsigned port;         /* effective port (443 / 80 when not given) */
  int port_given;
} tw_base;

/* Parses "https://host[:port][/]" or "http://loopback[:port][/]" (loopback:
 * 127.0.0.0/8, localhost, [::1]); no userinfo, path, query or fragment.
 * Returns 1 and fills *out, or 0 with *why set to a phrase (static). */
int tw_parse_base(const char *s, size_t n, tw_base *out, const char **why);

/* 1 when h (n bytes) is a loopback host: 127.x.y.z, localhost, [::1]. */
int tw_is_loopback(const char *h, size_t n);

/* A relative next_page_uri used verbatim: starts with "/2010-04-01/",
 * printable ASCII without space, backslash or '#', well-formed %XX escapes,
 * no "." or ".." path segments. */
int tw_valid_rel_uri(const char *s, size_t n);

/* region / edge names: 1-63 of [a-z0-9-], not starting or ending with '-'. */
int tw_valid_label(const char *s, size_t n);

/* Header-safe: bytes 0x20..0x7E only (no CR, LF, NUL, other controls). */
int tw_valid_header_value(const char *s, size_t n);

#endif
