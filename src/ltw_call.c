/* ltw_call.c -- the fused single call: build, perform and parse in one C
 * function, for the common case of a record call (fetch, update) on the
 * client's own libcurl handle (twilio.client decides when it applies).
 *
 *   rec                      = core.call_record(cfg, op, path, params, h, kind, ctx
 *                                               [, timeout, connect_timeout, max_body])
 *   (path: a table as cfg:build's, or a SID string standing for
 *   { sid = it } on the config's own account: no table to walk)
 *   (timeout, connect_timeout in seconds: floor(s * 1000) ms, as client:send;
 *   each one nil: the config's, as core.config was given it: the client's
 *   own limits, so a call without options passes none)
 *   nil, err                 (cfg:build's error, or the record's parse error)
 *   false, req, res          (any other answer: the general path takes it)
 *   false, req, nil, terr    (a transport error: likewise)
 *
 * What it saves over cfg:build + client:send + h:perform + parse_record:
 * the request table and its check (the request is built here from checked
 * values, so nothing needs re-checking: the header lines come from the
 * config, whose values were checked when it was made), the result and
 * headers tables, and the Lua layers between them. The answer's body
 * is copied once: on Lua 5.4 into the record's own userdata, which its
 * doc reads in place (an orecord, as parse_record makes: ltw_record.c);
 * on LuaJIT into one Lua string, which the record reads in place.
 *
 * It returns a record only for a 2xx answer whose Content-Type is JSON
 * (or absent: what twilio.record's body() accepts). Anything else comes
 * back with the request table cfg:build would have made and exactly what
 * h:perform would have returned for it, so the general path (retries,
 * errors and their wording, call_info, recovery) handles it unchanged,
 * without sending anything again. A 2xx JSON answer that is not a record
 * gives parse_record's error with err.status (from_response's). The
 * request: method, URL and body from cfg:build's checks and encoding; the
 * headers cfg:build puts in its shared table (Authorization, User-Agent,
 * Accept; a form body's Content-Type: application/x-www-form-urlencoded is
 * libcurl's default for it); fresh_connect as client:send sets it (a
 * non-idempotent request or a DELETE).
 *
 * Memory: the URL and form body go into buffers the twilio.Curl owns
 * (freed by its __gc), so an error raised anywhere leaks nothing; the
 * header lines are the config's, packed once when it was made; no Lua
 * runs while libcurl does (tw_curl_perform_lean). The answer's headers
 * are read from libcurl only when the general path takes the answer
 * (tw_curl_fill_headers); a 2xx needs only its Content-Type. */
#include <math.h>
#include <string.h>
#include "ltw_call.h"

/* tw_request_encode's output into a tw_buf; a failed append is noted and
 * raised once the encoder is done (never inside it). */
typedef struct sink {
  tw_buf *b;
  int failed;
} sink;

static void emit_buf(void *ud, const char *s, size_t n) {
  sink *k = ud;
  if (!k->failed && tw_buf_add(k->b, s, n) < 0) k->failed = 1;
}

static void add(lua_State *L, tw_buf *b, const char *s, size_t n) {
  if (tw_buf_add(b, s, n) < 0) luaL_error(L, "twilio: not enough memory");
}

static void encode(lua_State *L, tw_buf *b, const ltw_checked *c) {
  sink k;
  if (c->enc) {                      /* the params memo's (no Lua ran since) */
    add(L, b, c->enc, c->enc_len);
    return;
  }
  k.b = b;
  k.failed = 0;
  tw_request_encode(c->vals, c->nvals, emit_buf, &k);
  if (k.failed) luaL_error(L, "twilio: not enough memory");
}

/* Whether a 2xx answer's Content-Type ct makes it JSON for twilio.record's
 * body(): absent, or naming json in any case (the last one wins, as in
 * res.headers: libcurl's CURLINFO_CONTENT_TYPE is the last one too). */
static int json_ct(const char *ct) {
  size_t i, n;
  if (!ct || strncmp(ct, "application/json", 16) == 0) return 1;   /* the usual one */
  n = strlen(ct);
  for (i = 0; i + 4 <= n; i++)
    if ((ct[i] | 32) == 'j' && (ct[i + 1] | 32) == 's' && (ct[i + 2] | 32) == 'o' &&
        (ct[i + 3] | 32) == 'n')
      return 1;
  return 0;
}

/* The easy handle's answer: its Content-Type read from libcurl's store. */
static int json_type(ltw_curl *u) { return json_ct(ltw_curl_content_type(u)); }

/* The userdata at idx whose metatable is upvalue up (the Config's, the
 * Curl's: a compare, not luaL_checkudata's registry lookup), or raises.
 * The metatable compared stays on the stack (not popped: a call's own
 * values go with it when it returns). */
static void *check_ud(lua_State *L, int idx, int up, const char *name) {
  void *p = lua_touserdata(L, idx);
  if (p && lua_getmetatable(L, idx) && lua_rawequal(L, -1, lua_upvalueindex(up))) return p;
  luaL_argerror(L, idx, lua_pushfstring(L, "%s expected", name));
  return NULL;
}

int ltw_whole_bytes(lua_Number v, long max, long *out) {
  if (!(v >= 1 && v <= (lua_Number)max) || (lua_Number)(long)v != v) return 0;
  *out = (long)v;                      /* what ltw_curl_number accepts */
  return 1;
}

int ltw_seconds_ms(lua_Number s, long *ms) {
  return ltw_whole_bytes(floor(s * 1000), LTW_CURL_MAX_TIMEOUT_MS, ms);
}

/* Seconds at idx as the request field key: floor(s * 1000) ms, checked as
 * h:perform checks req[key]; nil: kept, the config's (when it has one). */
static long seconds_ms(lua_State *L, int idx, const char *key, long kept) {
  lua_Number s;
  long ms;
  if (kept && lua_isnil(L, idx)) return kept;
  s = luaL_checknumber(L, idx);
  if (ltw_seconds_ms(s, &ms)) return ms;
  lua_pushnumber(L, floor(s * 1000));  /* it raises, with its wording */
  return ltw_curl_number(L, -1, key, LTW_CURL_MAX_TIMEOUT_MS);
}

static int l_call_record(lua_State *L) {
  ltw_config *cfg;
  ltw_curl *u;
  ltw_checked c;
  tw_curl_req rq;
  const tw_curl_res *r;
  const char *kind, *method;
  tw_buf *url, *form;
  int post, n;
  long timeout_ms, connect_timeout_ms, max_body;

  lua_settop(L, 10);                   /* the metatables check_ud compares go above */
  cfg = check_ud(L, 1, 1, "twilio.Config");
  u = check_ud(L, 5, 2, LTW_CURL_MT);
  if (!ltw_curl_is_open(u)) return luaL_error(L, "twilio: attempt to use a closed twilio.Curl");
  kind = luaL_checkstring(L, 6);
  luaL_checktype(L, 7, LUA_TTABLE);
  timeout_ms = seconds_ms(L, 8, "timeout_ms", cfg->timeout_ms);
  connect_timeout_ms = seconds_ms(L, 9, "connect_timeout_ms", cfg->connect_timeout_ms);
  max_body = cfg->max_body && lua_isnil(L, 10) ? cfg->max_body
                                               : ltw_curl_number(L, 10, "max_body", LTW_CURL_MAX_BODY);
  if (ltw_request_check(L, cfg, 0, 1, &c)) return 2;        /* nil, err */

  method = c.op->method;
  post = strcmp(method, "POST") == 0;
  url = ltw_curl_url(u);
  form = ltw_curl_form(u);
  url->len = 0;
  add(L, url, c.url, strlen(c.url));
  if (post) {
    form->len = 0;
    add(L, form, "", 0);                               /* "" even when empty */
    encode(L, form, &c);
  } else if (c.nvals) {
    add(L, url, "?", 1);
    encode(L, url, &c);
  }
  /* the headers of cfg:build's shared table, packed once by the config
   * (which checked them): read in place, the config is at stack index 1.
   * A form body's Content-Type is libcurl's own default for
   * CURLOPT_POSTFIELDS, the same header and value on the wire: given as a
   * line of ours it costs ~5 k instructions more inside libcurl (every
   * custom line is compared with each header libcurl may add). */
  memset(&rq, 0, sizeof rq);
  rq.method = post ? TW_METHOD_POST : strcmp(method, "DELETE") == 0 ? TW_METHOD_DELETE
                                                                  : TW_METHOD_GET;
  rq.url = url->data;
  if (post) {
    rq.body = form->data;
    rq.body_len = form->len;
  }
  rq.hdr_lines = cfg->lines;
  rq.hdr_len = cfg->lines_len;
  rq.timeout_ms = timeout_ms;
  rq.connect_timeout_ms = connect_timeout_ms;
  rq.max_body = (size_t)max_body;
  rq.fresh_connect = !c.op->idempotent || rq.method == TW_METHOD_DELETE;
  r = ltw_curl_perform(u, &rq);                        /* no Lua inside */

  if (r->kind == TW_CURL_OK && r->status >= 200 && r->status < 300 && json_type(u)) {
    /* the record holds a copy of the body (5.4: no Lua string) */
    return ltw_record_from_bytes(L, kind, r->body.data, r->body.len, 7, r->status);
  }
  /* the general path takes it from here */
  lua_pushboolean(L, 0);
  lua_pushlstring(L, url->data, url->len);
  if (post) lua_pushlstring(L, form->data, form->len);
  else lua_pushnil(L);
  ltw_push_request(L, method, c.op->id, c.op->idempotent, post, c.repr);
  ltw_curl_fill_headers(u);                            /* res.headers */
  n = ltw_curl_push_result(L, r, method, url->data);
  return 2 + n;
}

/* json_type for the bulk lane (ltw_lane.c): the same test of an answer. */
int ltw_call_json_type(const tw_curl_res *r) {
  return json_ct(tw_curl_res_content_type(r));  /* kept by its header callback */
}

/* After ltw_open_config and the registration of twilio.Curl. */
void ltw_open_call(lua_State *L) {
  luaL_getmetatable(L, LTW_CONFIG_MT);
  luaL_getmetatable(L, LTW_CURL_MT);
  lua_pushcclosure(L, l_call_record, 2);
  lua_setfield(L, -2, "call_record");
}
