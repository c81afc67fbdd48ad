/* compat.h -- the few Lua 5.4 / LuaJIT 2.1 (5.1 C API) differences we use.
 * Kept tiny on purpose (see STYLE.md section 4): no compat53. */
#ifndef TW_COMPAT_H
#define TW_COMPAT_H

#include <lua.h>
#include <lauxlib.h>

#if LUA_VERSION_NUM >= 504
#  define twl_newud(L, sz)  lua_newuserdatauv((L), (sz), 1)
#  define twl_setuv(L, i)   lua_setiuservalue((L), (i), 1)
#  define twl_getuv(L, i)   ((void)lua_getiuservalue((L), (i), 1))
#else /* LuaJIT / 5.1: the environment table stands in for the uservalue */
#  define twl_newud(L, sz)  lua_newuserdata((L), (sz))
#  define twl_setuv(L, i)   lua_setfenv((L), (i))
#  define twl_getuv(L, i)   lua_getfenv((L), (i))
#  ifndef lua_rawlen
#    define lua_rawlen(L, i) lua_objlen((L), (i))
#  endif
#  ifndef lua_absindex
#    define lua_absindex(L, i) \
       (((i) > 0 || (i) <= LUA_REGISTRYINDEX) ? (i) : lua_gettop(L) + (i) + 1)
#  endif
#endif

/* luaL_newmetatable sets __name only from 5.3 on; set it by hand on 5.1. */
static inline int twl_newmetatable(lua_State *L, const char *name) {
  if (!luaL_newmetatable(L, name)) return 0;
#if LUA_VERSION_NUM < 503
  lua_pushstring(L, name);
  lua_setfield(L, -2, "__name");
#endif
  return 1;
}

#endif
