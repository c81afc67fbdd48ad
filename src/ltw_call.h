/* ltw_call.h -- the internal entry points of the fused single call
 * (ltw_call.c: core.call_record), shared by the files it joins:
 * ltw_request.c (the checks of cfg:build, the request table), ltw_curl.c
 * (the easy handle and its result table) and ltw_record.c (a record from a
 * body string). Not part of any Lua-visible API. */
#ifndef LTW_CALL_H
#define LTW_CALL_H

#include "ltw.h"
#include "tw_curl.h"
#include "tw_request.h"

/* ---- ltw_request.c -------------------------------------------------------- */

#define LTW_MAX_PARAMS 64

/* A request checked by ltw_request_check: the operation, the URL without
 * its query, and the values to send: their encoding (tw_request_encode's)
 * in enc[0..enc_len) when enc is not NULL (the config's params memo: read
 * it before anything can run Lua), else vals[0..nvals) (strings anchored on
 * the Lua stack or in the params table: valid while those stay). nvals is
 * the number of values either way. */
typedef struct ltw_checked {
  const tw_op *op;
  tw_repr repr;
  size_t nvals;
  const char *enc;
  size_t enc_len;
  tw_value vals[LTW_MAX_PARAMS];
  char url[TW_URL_MAX];
} ltw_checked;

/* cfg:build's checks: the config at stack index 1 (cfg: it, checked by the
 * caller), the operation's name at
 * 2, the path table at 3, the params table at 4 (either may be nil), the
 * representation ("json" | "csv") at repr_idx (0: JSON). sid_alone: a
 * string at 3 is taken as the path table { sid = it } (the account: the
 * config's own), checked and placed the same way. Returns 0 and
 * fills c, or 2 with nil, err pushed (an expected failure: the error
 * cfg:build returns); misuse raises as cfg:build does. Pushes values above
 * the top it was given. */
int ltw_request_check(lua_State *L, ltw_config *cfg, int repr_idx, int sid_alone,
                      ltw_checked *c);
/* Replaces url and body (or nil) on the top of the stack with the request
 * table cfg:build returns ({ method, url, body, headers, op, idempotent });
 * the config at stack index 1. */
void ltw_push_request(lua_State *L, const char *method, const char *op,
                      int idempotent, int form, tw_repr repr);

/* ---- ltw_curl.c ----------------------------------------------------------- */

#define LTW_CURL_MAX_TIMEOUT_MS (24L * 3600 * 1000)   /* req.timeout_ms, connect_timeout_ms */
#define LTW_CURL_MAX_BODY       (1024L * 1024 * 1024)   /* req.max_body */

#define LTW_CURL_MT "twilio.Curl"
typedef struct ltw_curl ltw_curl;
/* The open twilio.Curl at idx, or raises. */
ltw_curl *ltw_check_curl(lua_State *L, int idx);
/* Whether u is open (not closed). */
int ltw_curl_is_open(const ltw_curl *u);
/* Buffers the handle owns for the fused call (freed by its __gc): the URL
 * and the form body of the request being made (the header lines are the
 * config's, packed when it was made). */
tw_buf *ltw_curl_url(ltw_curl *u);
tw_buf *ltw_curl_form(ltw_curl *u);
/* tw_curl_perform_lean on the handle's easy handle (no Lua inside): the
 * response headers wait for ltw_curl_fill_headers (tw_curl.h); the
 * Content-Type is ltw_curl_content_type's. */
const tw_curl_res *ltw_curl_perform(ltw_curl *u, const tw_curl_req *rq);
void ltw_curl_fill_headers(ltw_curl *u);
const char *ltw_curl_content_type(ltw_curl *u);
/* Pushes what h:perform returns for r: res (returns 1) or nil, terr (2). */
int ltw_curl_push_result(lua_State *L, const tw_curl_res *r, const char *method,
                         const char *url);
/* Checks a request number as h:perform does for req[key] (an integer in
 * 1..max); raises otherwise. */
long ltw_curl_number(lua_State *L, int idx, const char *key, long max);

/* ---- ltw_record.c --------------------------------------------------------- */

/* core.parse_record(kind, body, ctx) for body[0..len) (copied into the
 * record: the caller's buffer may go once it returns) and the ctx table at
 * ctx_idx, kind a record kind's name: pushes the record (returns 1) or nil,
 * err (returns 2; err.status = status, as twilio.record's from_response
 * sets it). The fused call and the bulk lane make their records with it. */
int ltw_record_from_bytes(lua_State *L, const char *kind, const char *body,
                          size_t len, int ctx_idx, long status);

/* ---- ltw_call.c ----------------------------------------------------------- */

/* Whether floor(s * 1000) is a timeout in ms that h:perform accepts (1 ms
 * to 24 h): 1 and *ms set to it, else 0. */
int ltw_seconds_ms(lua_Number s, long *ms);
/* Whether v is a whole number of bytes in 1..max: 1 and *out set, else 0. */
int ltw_whole_bytes(lua_Number v, long max, long *out);
/* Whether a 2xx answer is JSON for twilio.record's body() (core.call_record's
 * test: no Content-Type, or one naming json in any case). */
int ltw_call_json_type(const tw_curl_res *r);
void ltw_open_call(lua_State *L);     /* adds core.call_record; from ltw_open_curl */

#endif
