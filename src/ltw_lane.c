/* ltw_lane.c -- the bulk lane's fast phase: many SIDs, one request
 * template, driven through a libcurl multi handle from one C call; and the
 * per-target loops of a bulk call's setup (core.bulk_targets, the targets'
 * check; core.bulk_results, the results table made with room for them).
 *
 *   done = core.lane_run(m, cfg, tmpl, path, targets, n, kind, ctx,
 *                        results, rest, primed, on_progress, concurrency)
 *
 *   m        an open twilio.CurlMulti with nothing in flight (the batch's
 *            group's own, so its connections serve the general phase after)
 *   cfg      the client's twilio.Config; tmpl: a request cfg:build made
 *            (with the client's limits, Client:set_limits), sent to every
 *            target with its own URL; path: the path table tmpl was built
 *            from (path.sid is set to each target in turn, for the URL)
 *   targets  the batch's targets, 1..n; kind, ctx: the records' kind and
 *            their list's ctx (twilio.record's from_response with 0 retries)
 *   results  results[i] = { ok = true, value = rec } | { ok = false,
 *            error = err } for each target done here
 *   rest     the indices left to the general path, appended
 *   primed   primed[i] = { res, terr }: the answer of a target sent here
 *            that was anything but a 2xx JSON one (m:poll's res or nil,
 *            terr): the general path takes it as the first attempt
 *   on_progress  nil or a function, called as the general path calls it:
 *            (done, total = n, i, result) once per result stored here, in
 *            completion order
 *   -> done: how many results were stored
 *
 * Which targets: strings not starting with '+' whose URL rebuilds
 * (cfg:rebuild_url's checks, ltw_rebuild_url); the others (records, E.164
 * numbers, SIDs that cfg:build would refuse) go to rest untouched. Up to
 * `concurrency` transfers are in flight. A finished transfer whose answer
 * is a 2xx with a JSON Content-Type (or none; ltw_call_json_type) becomes
 * the record (or the parse error with err.status) right away, as the
 * general lane's from_response(kind, res, ctx, 0) does. The first other
 * answer (non-2xx, transport error, 2xx not JSON, over max_body) ends the
 * phase: nothing more is started, the transfers in flight finish (each
 * taken as above), and every target not done here is in rest.
 *
 * No Lua function runs while a libcurl frame is live: on_progress is called
 * after tw_curl_multi_poll has returned, once the finished transfer has
 * been read and dropped. A raising on_progress (or a memory error) leaves
 * the transfers in flight to the multi, which frees them on close/__gc;
 * the caller closes it. Tokens of this phase carry the target's index
 * with LANE_TOKEN set, apart from m:add's counter; the phase ends with
 * none of them left in the multi, unless it raised. */
#include <string.h>
#include "ltw_lane.h"
#include "ltw_call.h"
#include "tw_request.h"
#include "tw_validate.h"

#define LANE_TOKEN ((uint64_t)1 << 62)
#define POLL_MS 1000         /* one wait's bound; it returns on any finish */

enum { A_M = 1, A_CFG, A_TMPL, A_PATH, A_TARGETS, A_N, A_KIND, A_CTX, A_RESULTS,
       A_REST, A_PRIMED, A_PROGRESS, A_CONC };

/* rest[#rest + 1] = i */
static void to_rest(lua_State *L, lua_Integer *nrest, lua_Integer i) {
  lua_pushinteger(L, i);
  lua_rawseti(L, A_REST, (int)++*nrest);
}

/* The batch's URL around its SID: every target's URL is the template's
 * with another SID in the sid placeholder, and ltw_rebuild_url only checks
 * that SID (tw_check_string, then tw_request_url's tw_request_segment_ok:
 * copied as it is), the rest of the path being the same table. Found once, from the
 * URLs of two SIDs that differ in their 32 digits: ok when they differ
 * there only. A target whose SID passes those checks and fits is then
 * prefix + SID + suffix (what ltw_rebuild_url writes for it); any other
 * goes through ltw_rebuild_url. */
typedef struct around {
  int ok;
  const tw_param *p;               /* the sid placeholder */
  size_t pre, suf;                 /* bytes of url0 before / after the SID */
  char url0[TW_URL_MAX];
} around;

static const char SID0[] = "PN00000000000000000000000000000000";
static const char SID1[] = "PN11111111111111111111111111111111";

static size_t url_for(lua_State *L, const ltw_config *cfg, const tw_op *op, const char *tu,
                      size_t tl, const char *sid, char *url) {
  lua_pushstring(L, sid);
  lua_setfield(L, A_PATH, "sid");
  return ltw_rebuild_url(L, cfg, op, tu, tl, A_PATH, url);
}

static void around_init(lua_State *L, const ltw_config *cfg, const tw_op *op, const char *tu,
                        size_t tl, around *a) {
  const tw_param *ph[TW_PATH_MAX];
  char url1[TW_URL_MAX];
  size_t nseg, j, n0, n1, lo, hi;
  a->ok = 0;
  a->p = NULL;
  nseg = tw_request_placeholders(op, ph, TW_PATH_MAX);
  if (nseg == (size_t)-1) return;
  for (j = 0; j < nseg; j++)
    if (strcmp(ph[j]->name, "sid") == 0) a->p = ph[j];
  if (!a->p) return;
  n0 = url_for(L, cfg, op, tu, tl, SID0, a->url0);
  n1 = url_for(L, cfg, op, tu, tl, SID1, url1);
  if (n0 == 0 || n0 != n1) return;
  for (lo = 0; lo < n0 && a->url0[lo] == url1[lo]; lo++) {}
  for (hi = n0; hi > lo && a->url0[hi - 1] == url1[hi - 1]; hi--) {}
  if (lo < 2 || hi - lo != 32 || memcmp(a->url0 + lo - 2, SID0, 34) != 0 ||
      memcmp(url1 + lo - 2, SID1, 34) != 0)
    return;
  a->pre = lo - 2;
  a->suf = n0 - a->pre - 34;
  a->ok = 1;
}

/* Whether targets[i] is a SID this phase sends: a string not starting
 * with '+', whose URL rebuilds into url. */
static int target_url(lua_State *L, const ltw_config *cfg, const tw_op *op, const char *tu,
                      size_t tl, const around *a, lua_Integer i, char *url) {
  const char *s;
  size_t n;
  lua_rawgeti(L, A_TARGETS, (int)i);
  if (lua_type(L, -1) != LUA_TSTRING || *(s = lua_tolstring(L, -1, &n)) == '+') {
    lua_pop(L, 1);
    return 0;
  }
  if (a->ok) {
    /* the checks ltw_rebuild_url gives a path value (it refuses what
     * these refuse: no second try there); a value the SID format admits
     * (two letters, 32 hex digits) is a segment as it is. The URL is
     * spliced as the config's kept prefix is (ltw_request.c) */
    int ok = tw_check_string(a->p, s, n) == NULL &&
             (a->p->fmt == TW_F_SID || tw_request_segment_ok(s, n)) &&
             tw_request_splice(url, TW_URL_MAX, a->url0, a->pre, s, n, a->url0 + a->pre + 34,
                               a->suf) > 0;
    lua_pop(L, 1);
    return ok;
  }
  lua_setfield(L, A_PATH, "sid");                    /* path.sid = target: anchored */
  return ltw_rebuild_url(L, cfg, op, tu, tl, A_PATH, url) > 0;
}

static int l_lane_run(lua_State *L) {
  ltw_multi *u;
  tw_curl_multi *mh;
  const ltw_config *cfg;
  const tw_op *op;
  const char *tu, *kind, *s;
  size_t tl, n_op;
  tw_curl_req tmpl, rq;
  char url[TW_URL_MAX];
  around a;
  lua_Integer n, next = 1, nrest, done = 0, conc, inflight = 0;
  int stop = 0, progress, base, keys;

  lua_settop(L, A_CONC);
  u = ltw_check_multi(L, A_M);
  mh = ltw_multi_handle(u);
  cfg = ltw_check_config(L, A_CFG);
  luaL_checktype(L, A_TMPL, LUA_TTABLE);
  luaL_checktype(L, A_PATH, LUA_TTABLE);
  luaL_checktype(L, A_TARGETS, LUA_TTABLE);
  n = luaL_checkinteger(L, A_N);
  kind = luaL_checkstring(L, A_KIND);
  luaL_checktype(L, A_CTX, LUA_TTABLE);
  luaL_checktype(L, A_RESULTS, LUA_TTABLE);
  luaL_checktype(L, A_REST, LUA_TTABLE);
  luaL_checktype(L, A_PRIMED, LUA_TTABLE);
  progress = !lua_isnil(L, A_PROGRESS);
  if (progress) luaL_checktype(L, A_PROGRESS, LUA_TFUNCTION);
  conc = luaL_checkinteger(L, A_CONC);
  luaL_argcheck(L, conc >= 1 && n >= 0 && n < INT32_MAX, A_CONC, "bad concurrency or count");
  if (tw_curl_multi_count(mh) != 0) return luaL_error(L, "twilio: lane_run: the multi is busy");

  lua_getfield(L, A_TMPL, "op");                     /* anchored in tmpl */
  s = lua_tolstring(L, -1, &n_op);
  op = s ? tw_op_find(s, n_op) : NULL;
  if (!op) return luaL_argerror(L, A_TMPL, "a request built by cfg:build expected (req.op)");
  lua_getfield(L, A_TMPL, "url");
  tu = lua_tolstring(L, -1, &tl);
  if (!tu) return luaL_argerror(L, A_TMPL, "a request built by cfg:build expected (req.url)");
  ltw_multi_template(L, u, A_TMPL, &tmpl);           /* checked once, kept by the multi */
  around_init(L, cfg, op, tu, tl, &a);
  nrest = (lua_Integer)lua_rawlen(L, A_REST);
  lua_pushliteral(L, "ok");                          /* the result entries' keys */
  lua_pushliteral(L, "value");
  lua_pushliteral(L, "error");
  keys = lua_gettop(L) - 2;
  base = lua_gettop(L);

  for (;;) {
    const tw_curl_res *r;
    uint64_t token;
    while (!stop && inflight < conc && next <= n) {
      lua_Integer i = next++;
      const char *err = NULL;
      if (!target_url(L, cfg, op, tu, tl, &a, i, url)) {
        to_rest(L, &nrest, i);
        continue;
      }
      rq = tmpl;
      rq.url = url;                                  /* libcurl copies it */
      if (tw_curl_multi_add(mh, &rq, LANE_TOKEN | (uint64_t)i, &err) != 0) {
        /* as m:add's refusal reaches the general lane: nil, terr */
        lua_createtable(L, 2, 0);
        ltw_push_error(L, "transport", err);
        lua_pushboolean(L, 0);
        lua_setfield(L, -2, "sent");
        lua_rawseti(L, -2, 2);
        lua_rawseti(L, A_PRIMED, (int)i);
        to_rest(L, &nrest, i);
        stop = 1;
        continue;
      }
      inflight++;
    }
    if (inflight == 0) break;
    tw_curl_multi_poll(mh, POLL_MS);                 /* no Lua inside */
    /* lean: a 2xx reads only its Content-Type from libcurl (no header
     * callback, no headers copied); anything else is filled first */
    while ((r = tw_curl_multi_peek_done_lean(mh, &token)) != NULL) {
      lua_Integer i = (lua_Integer)(token & ~LANE_TOKEN);
      inflight--;
      if (r->kind == TW_CURL_OK && r->status >= 200 && r->status < 300 && ltw_call_json_type(r)) {
        int nv;
        /* the record holds a copy of the body (as the fused call's) */
        nv = ltw_record_from_bytes(L, kind, r->body.len ? r->body.data : "", r->body.len, A_CTX,
                                   r->status);
        tw_curl_multi_drop_done(mh);                 /* read: the record has its copy */
        lua_createtable(L, 0, 2);                    /* the result entry */
        lua_pushvalue(L, keys);                      /* "ok" */
        lua_pushboolean(L, nv == 1);
        lua_rawset(L, -3);
        lua_pushvalue(L, nv == 1 ? keys + 1 : keys + 2);   /* "value" | "error" */
        lua_pushvalue(L, -3);                        /* rec | err */
        lua_rawset(L, -3);
        lua_pushvalue(L, -1);
        lua_rawseti(L, A_RESULTS, (int)i);
        done++;
        if (progress) {
          lua_pushvalue(L, A_PROGRESS);
          lua_pushinteger(L, done);
          lua_pushinteger(L, n);
          lua_pushinteger(L, i);
          lua_pushvalue(L, -5);                      /* the result */
          lua_call(L, 4, 0);                         /* no libcurl frame below */
        }
      } else {
        int nv;
        lua_createtable(L, 2, 0);
        tw_curl_multi_fill_done(mh);                 /* its headers and counters */
        nv = ltw_curl_push_result(L, r, NULL, NULL); /* as m:poll gives it */
        tw_curl_multi_drop_done(mh);
        if (nv == 2) {
          lua_rawseti(L, -3, 2);                     /* terr */
          lua_pop(L, 1);                             /* the nil */
        } else {
          lua_rawseti(L, -2, 1);                     /* res */
        }
        lua_rawseti(L, A_PRIMED, (int)i);
        to_rest(L, &nrest, i);
        stop = 1;
      }
      lua_settop(L, base);
    }
  }
  for (; next <= n; next++) to_rest(L, &nrest, next);
  lua_pushinteger(L, done);
  return 1;
}

/* ipairs' read of t[i]: through __index on 5.4 (lua_geti), raw on LuaJIT
 * (its ipairs is raw). */
#if LUA_VERSION_NUM >= 503
#define IPAIRS_GET(L, t, i) ((void)lua_geti((L), (t), (i)))
#else
#define IPAIRS_GET(L, t, i) lua_rawgeti((L), (t), (int)(i))
#endif

/* core.bulk_targets(targets) -> n[, bad]: the *_many targets as
 * twilio.list's check walks them with ipairs: n, the count before the
 * first nil, when each is a string or a userdata; else bad, the index of
 * the first that is neither (n counts the ones before it). One C loop
 * instead of ipairs and type() per target (Lua 5.4: ~0.7 k instructions
 * each). */
static int l_bulk_targets(lua_State *L) {
  lua_Integer i;
  luaL_checktype(L, 1, LUA_TTABLE);
  for (i = 1;; i++) {
    int t;
    IPAIRS_GET(L, 1, i);
    t = lua_type(L, -1);
    lua_pop(L, 1);
    if (t == LUA_TNIL) break;
    if (t != LUA_TSTRING && t != LUA_TUSERDATA) {
      lua_pushinteger(L, i - 1);
      lua_pushinteger(L, i);
      return 2;
    }
  }
  lua_pushinteger(L, i - 1);
  return 1;
}

/* core.bulk_results(n) -> a table with room for n results in its array
 * part: the batch's results table, filled 1..n in completion order, is
 * not rehashed as it grows (5.4 has no table.new). */
static int l_bulk_results(lua_State *L) {
  lua_Integer n = luaL_checkinteger(L, 1);
  luaL_argcheck(L, n >= 0 && n < INT32_MAX, 1, "bad count");
  lua_createtable(L, (int)n, 0);
  return 1;
}

void ltw_open_lane(lua_State *L) {
  lua_pushcfunction(L, l_lane_run);
  lua_setfield(L, -2, "lane_run");
  lua_pushcfunction(L, l_bulk_targets);
  lua_setfield(L, -2, "bulk_targets");
  lua_pushcfunction(L, l_bulk_results);
  lua_setfield(L, -2, "bulk_results");
}
