/* ltw_time.c -- dates and Retry-After in twilio.core (parsing: tw_time.c).
 *
 *   core.rfc2822_to_epoch(s) -> integer | nil
 *   core.retry_after(value[, now_epoch]) -> seconds | nil
 */
#include <time.h>
#include "ltw.h"
#include "tw_time.h"

static int l_rfc2822_to_epoch(lua_State *L) {
  size_t n;
  const char *s = luaL_checklstring(L, 1, &n);
  int64_t t;
  if (tw_rfc2822_to_epoch(s, n, &t) != 0) {
    lua_pushnil(L);
    return 1;
  }
  lua_pushinteger(L, (lua_Integer)t);
  return 1;
}

/* now: an optional number of epoch seconds (default: the current time). */
static int l_retry_after(lua_State *L) {
  size_t n;
  const char *s;
  int64_t now, delay;
  if (lua_type(L, 1) == LUA_TNUMBER) {
    lua_Number v = lua_tonumber(L, 1);        /* a header value given as a number */
    if (v >= 0 && v == (lua_Number)(int64_t)v && v < 9.2e18) {
      delay = (int64_t)v;
      lua_pushinteger(L, (lua_Integer)(delay < TW_RETRY_AFTER_MAX ? delay : TW_RETRY_AFTER_MAX));
    } else {
      lua_pushnil(L);
    }
    return 1;
  }
  s = luaL_checklstring(L, 1, &n);
  if (lua_isnoneornil(L, 2)) {
    now = (int64_t)time(NULL);
  } else {
    lua_Number v = luaL_checknumber(L, 2);
    luaL_argcheck(L, v > -1e15 && v < 1e15, 2, "now out of range");
    now = (int64_t)v;
  }
  if (tw_retry_after(s, n, now, &delay) != 0) {
    lua_pushnil(L);
    return 1;
  }
  lua_pushinteger(L, (lua_Integer)delay);
  return 1;
}

static const luaL_Reg funcs[] = {
  { "rfc2822_to_epoch", l_rfc2822_to_epoch },
  { "retry_after", l_retry_after },
  { NULL, NULL }
};

void ltw_open_time(lua_State *L) {
  luaL_setfuncs(L, funcs, 0);
}
