/* ltw_encode.c -- core.urlencode(s) and core.base64(s) (tw_encode.c). */
#include "ltw.h"
#include "tw_encode.h"

static int l_urlencode(lua_State *L) {
  size_t n;
  const char *s = luaL_checklstring(L, 1, &n);
  luaL_Buffer b;
  luaL_buffinit(L, &b);
  while (n > 0) {              /* through a small array (see tw_request.c) */
    char tmp[512];
    size_t used, w = tw_urlencode_some(tmp, sizeof tmp, s, n, &used);
    luaL_addlstring(&b, tmp, w);
    s += used;
    n -= used;
  }
  luaL_pushresult(&b);
  return 1;
}

static int l_base64(lua_State *L) {
  size_t n;
  const char *s = luaL_checklstring(L, 1, &n);
  const size_t chunk = (LUAL_BUFFERSIZE / 4) * 3;
  luaL_Buffer b;
  luaL_buffinit(L, &b);
  while (n > 0) {
    size_t take = n < chunk ? n : chunk;
    char *p = luaL_prepbuffer(&b);
    luaL_addsize(&b, tw_base64(p, s, take));
    s += take;
    n -= take;
  }
  luaL_pushresult(&b);
  return 1;
}

void ltw_open_encode(lua_State *L) {
  lua_pushcfunction(L, l_urlencode);
  lua_setfield(L, -2, "urlencode");
  lua_pushcfunction(L, l_base64);
  lua_setfield(L, -2, "base64");
}
