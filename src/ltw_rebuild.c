/* ltw_rebuild.c -- cfg:rebuild_url(req, path): the URL of a request built
 * by cfg:build, for another path (another SID), without checking and
 * encoding its parameters again.
 *
 *   local tmpl = cfg:build(op, path, params)    -- checked once
 *   path.sid = "PN..."
 *   local url = cfg:rebuild_url(tmpl, path)     -- tmpl's URL for path | nil
 *
 * update_many with one params table sends the same body to every target:
 * only the URL changes. cfg:build checks and encodes the parameters each
 * time (15 k instructions per update in callgrind, bench/ours.lua
 * update-concurrent); the request for another SID is the template's fields
 * with this URL (twilio.bulk: a Lua table constructor, or the template
 * itself handed to the multi handle with the URL beside it).
 *
 * rebuild_url checks the path exactly as cfg:build does (only the path keys
 * cfg:build knows, each placeholder's value a string that passes
 * tw_check_string, the account SID from the config when absent) but words
 * no error: when anything would fail, it returns nil and the caller calls
 * cfg:build, which gives the usual error. So a bad SID fails the same way
 * through either path. Only the JSON representation is rebuilt (a template
 * whose URL is not base + path ".json" [+ "?query"] gives nil too).
 *
 * Memory: no heap allocation of its own; the URL is written in a C array on
 * the stack, then pushed. The template is not changed. */
#include <string.h>
#include "ltw.h"
#include "tw_ops.h"
#include "tw_request.h"
#include "ltw_lane.h"

/* tmpl_url (op's request, as cfg:build made it) for the path table at
 * path_idx, written into url (TW_URL_MAX bytes): its length, or 0 where
 * cfg:build would refuse the path (nothing is worded). The stack is left
 * as it was. cfg:rebuild_url and the bulk lane (ltw_lane.c) share it. */
size_t ltw_rebuild_url(lua_State *L, const ltw_config *cfg, const tw_op *op,
                       const char *tmpl_url, size_t tmpl_len, int path_idx, char *url) {
  const tw_param *ph[TW_PATH_MAX], *bad;
  tw_value seg[TW_PATH_MAX];
  const char *s, *query;
  size_t n, nseg, j, len, qlen;
  int top = lua_gettop(L);

  path_idx = lua_absindex(L, path_idx);
  /* the path table: the keys cfg:build accepts, nothing else */
  lua_pushnil(L);
  while (lua_next(L, path_idx)) {
    if (lua_type(L, -2) != LUA_TSTRING) goto refuse;
    s = lua_tolstring(L, -2, &n);
    if (!ltw_is_path_key(s, n)) goto refuse;
    lua_pop(L, 1);
  }

  nseg = tw_request_placeholders(op, ph, TW_PATH_MAX);
  if (nseg == (size_t)-1) goto refuse;
  for (j = 0; j < nseg; j++) {
    const tw_param *p = ph[j];
    seg[j].p = p;
    seg[j].kind = TW_V_STRING;
    lua_getfield(L, path_idx, p->name);                      /* anchored in path */
    if (lua_isnil(L, -1)) {
      lua_pop(L, 1);
      if (strcmp(p->wire, "AccountSid") != 0) goto refuse;
      seg[j].s = cfg->account_sid;
      seg[j].n = 34;
      continue;
    }
    if (lua_type(L, -1) != LUA_TSTRING) goto refuse;
    s = lua_tolstring(L, -1, &n);
    if (n == 0 || tw_check_string(p, s, n) != NULL) goto refuse;
    seg[j].s = s;
    seg[j].n = n;
    lua_pop(L, 1);
  }
  len = tw_request_url(url, TW_URL_MAX, cfg->base_url, op, seg, TW_REPR_JSON, &bad);
  if (len == 0) goto refuse;

  /* the template's query (GET, DELETE), after its ".json" */
  query = memchr(tmpl_url, '?', tmpl_len);
  qlen = query ? tmpl_len - (size_t)(query - tmpl_url) : 0;
  {
    size_t plen = tmpl_len - qlen;
    if (plen < 5 || memcmp(tmpl_url + plen - 5, ".json", 5) != 0) goto refuse;
  }
  if (qlen) {
    if (qlen >= TW_URL_MAX - len) goto refuse;
    memcpy(url + len, query, qlen);
    len += qlen;
    url[len] = '\0';
  }
  lua_settop(L, top);
  return len;
refuse:
  lua_settop(L, top);
  return 0;
}

static int cfg_rebuild_url(lua_State *L) {
  ltw_config *cfg = ltw_check_config(L, 1);
  const tw_op *op;
  char url[TW_URL_MAX];
  const char *s, *tmpl_url;
  size_t n, len, tmpl_len;

  luaL_checktype(L, 2, LUA_TTABLE);
  luaL_checktype(L, 3, LUA_TTABLE);
  lua_settop(L, 3);
  lua_getfield(L, 2, "op");                                  /* 4 */
  s = lua_tolstring(L, 4, &n);
  op = s ? tw_op_find(s, n) : NULL;
  if (!op) return luaL_argerror(L, 2, "a request built by cfg:build expected (req.op)");
  lua_getfield(L, 2, "url");                                 /* 5 */
  tmpl_url = lua_tolstring(L, 5, &tmpl_len);
  if (!tmpl_url) return luaL_argerror(L, 2, "a request built by cfg:build expected (req.url)");
  len = ltw_rebuild_url(L, cfg, op, tmpl_url, tmpl_len, 3, url);
  if (len == 0) return 0;
  lua_pushlstring(L, url, len);
  return 1;
}

static const luaL_Reg rebuild_methods[] = {
  { "rebuild_url", cfg_rebuild_url },
  { NULL, NULL }
};

/* Adds rebuild_url to twilio.Config's methods (after ltw_open_config). */
void ltw_open_rebuild(lua_State *L) {
  luaL_getmetatable(L, LTW_CONFIG_MT);
  lua_getfield(L, -1, "__index");
  luaL_setfuncs(L, rebuild_methods, 0);
  lua_pop(L, 2);
}
