/* tw_request.h -- request assembly: the URL of an operation, its query or
 * form encoding, and the check of a server-given next-page URI.
 *
 * No lua.h, no I/O, no allocation: the caller owns every buffer. Values
 * arrive already validated against their tw_param (tw_validate.h: the Lua
 * binding does it with messages for people); assembly still refuses a path
 * segment that is not [A-Za-z0-9]+, so nothing given to it can add a path
 * segment, a query or a header whatever the caller checked.
 * Reached by tests/c/test_request.c and fuzz/fuzz_request.c. */
#ifndef TW_REQUEST_H
#define TW_REQUEST_H

#include <stddef.h>
#include "tw_ops.h"
#include "tw_validate.h"

/* The representation asked for: the path's ".json", or ".csv" (a GET). */
typedef enum { TW_REPR_JSON = 0, TW_REPR_CSV = 1 } tw_repr;

/* A value to send: a string, a boolean or an integer, for parameter p. */
typedef enum { TW_V_STRING = 1, TW_V_BOOLEAN, TW_V_INTEGER } tw_vkind;
typedef struct tw_value {
  const tw_param *p;
  tw_vkind kind;
  const char *s;           /* TW_V_STRING: s[0..n), not owned */
  size_t n;
  long long i;             /* TW_V_INTEGER; TW_V_BOOLEAN: 0 or 1 */
} tw_value;

#define TW_PATH_MAX 4      /* placeholders in one path template, at most */
#define TW_URL_MAX 1024    /* a URL's bytes, NUL included */

/* The path parameters of op in the order their {Wire} placeholders appear
 * in op->path; returns how many (<= max), or (size_t)-1 when the template
 * has more than max or a placeholder names no path parameter. */
size_t tw_request_placeholders(const tw_op *op, const tw_param **out,
                               size_t max);

/* Whether str[0..n) may stand as a path segment: [A-Za-z0-9]+ (what
 * tw_request_url requires of every placeholder's value). */
int tw_request_segment_ok(const char *str, size_t n);

/* prefix[0..pn) + value[0..vn) + tail[0..tn) into url[0..cap)
 * (NUL-terminated): the URL of a path template whose text around one
 * placeholder is known, with value in that placeholder (value checked by
 * the caller, as tw_request_url checks a segment). Returns the length, or
 * 0 (nothing written) when it does not fit. */
size_t tw_request_splice(char *url, size_t cap, const char *prefix, size_t pn,
                         const char *value, size_t vn, const char *tail, size_t tn);

/* Writes base_url + op->path into url[0..cap) (NUL-terminated), the k-th
 * placeholder replaced by seg[k] (as tw_request_placeholders orders them),
 * ".json" replaced by ".csv" for TW_REPR_CSV. Returns the length, or 0 when
 * a segment is empty or not [A-Za-z0-9]+ (*bad = its parameter), when the
 * URL does not fit (*bad = NULL), or for TW_REPR_CSV on an operation that is
 * not a GET (*bad = NULL). */
size_t tw_request_url(char *url, size_t cap, const char *base_url,
                      const tw_op *op, const tw_value *seg, tw_repr repr,
                      const tw_param **bad);

/* The encoded query or form body of v[0..n) ("Wire=value&..."; strings
 * percent-encoded, booleans true/false, integers in decimal), handed to
 * emit in pieces. Returns the total length emitted. */
typedef void (*tw_emit)(void *ud, const char *s, size_t n);
size_t tw_request_encode(const tw_value *v, size_t n, tw_emit emit, void *ud);

/* Whether uri (a server's next_page_uri) may be followed: a path starting
 * with /2010-04-01/ (tw_valid_rel_uri), or an absolute URL on base's exact
 * scheme, host and port. Returns 1 and the path to append to the base URL
 * (*path, *pathn, inside uri), or 0. */
int tw_request_follow(const tw_base *base, const char *uri, size_t n,
                      const char **path, size_t *pathn);

#endif
