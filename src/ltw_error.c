/* ltw_error.c -- twilio.Error: the error object every expected failure returns.
 *
 * An error is a plain Lua table with the "twilio.Error" metatable, so callers
 * read err.kind, err.status, err.code, err.message, err.more_info,
 * err.details, err.method, err.url, err.field directly. Tables (not userdata)
 * because the Lua side adds fields (retries, applied, ...) as it learns them.
 * __tostring never prints credentials: no field of an error holds one. */
#include <string.h>
#include "ltw.h"

static void append_field(luaL_Buffer *b, lua_State *L, int t,
                         const char *key, const char *prefix) {
  lua_getfield(L, t, key);
  if (lua_type(L, -1) == LUA_TSTRING || lua_type(L, -1) == LUA_TNUMBER) {
    const char *s = lua_tostring(L, -1);
    lua_pop(L, 1);
    luaL_addstring(b, prefix);
    luaL_addstring(b, s);
  } else {
    lua_pop(L, 1);
  }
}

/* "twilio: api error: HTTP 404, code 20404: The requested resource ... was
 *  not found (GET /2010-04-01/...; see https://www.twilio.com/docs/errors/20404)" */
static int error_tostring(lua_State *L) {
  luaL_Buffer b;
  luaL_checktype(L, 1, LUA_TTABLE);
  luaL_buffinit(L, &b);
  luaL_addstring(&b, "twilio: ");
  lua_getfield(L, 1, "kind");
  luaL_addstring(&b, lua_isstring(L, -1) ? lua_tostring(L, -1) : "unknown");
  lua_pop(L, 1);
  luaL_addstring(&b, " error");
  append_field(&b, L, 1, "field", " in '");
  lua_getfield(L, 1, "field");
  if (!lua_isnil(L, -1)) luaL_addstring(&b, "'");
  lua_pop(L, 1);
  append_field(&b, L, 1, "status", ": HTTP ");
  append_field(&b, L, 1, "code", ", code ");
  append_field(&b, L, 1, "message", ": ");
  lua_getfield(L, 1, "method");
  lua_getfield(L, 1, "url");
  if (lua_isstring(L, -2) && lua_isstring(L, -1)) {
    luaL_addstring(&b, " (");
    luaL_addstring(&b, lua_tostring(L, -2));
    luaL_addstring(&b, " ");
    luaL_addstring(&b, lua_tostring(L, -1));
    luaL_addstring(&b, ")");
  }
  lua_pop(L, 2);
  append_field(&b, L, 1, "more_info", "; see ");
  luaL_pushresult(&b);
  return 1;
}

void ltw_push_error(lua_State *L, const char *kind, const char *message) {
  lua_createtable(L, 0, 8);
  lua_pushstring(L, kind);
  lua_setfield(L, -2, "kind");
  if (message) {
    lua_pushstring(L, message);
    lua_setfield(L, -2, "message");
  }
  luaL_getmetatable(L, LTW_ERROR_MT);
  lua_setmetatable(L, -2);
}

int ltw_fail(lua_State *L, const char *kind, const char *field,
             const char *message) {
  lua_pushnil(L);
  ltw_push_error(L, kind, message);
  if (field) {
    lua_pushstring(L, field);
    lua_setfield(L, -2, "field");
  }
  return 2;
}

/* core.new_error(t) -> t with the twilio.Error metatable (t.kind required). */
static int l_new_error(lua_State *L) {
  luaL_checktype(L, 1, LUA_TTABLE);
  lua_getfield(L, 1, "kind");
  if (lua_type(L, -1) != LUA_TSTRING)
    return luaL_argerror(L, 1, "error table needs a string 'kind'");
  lua_pop(L, 1);
  lua_settop(L, 1);
  luaL_getmetatable(L, LTW_ERROR_MT);
  lua_setmetatable(L, 1);
  return 1;
}

/* core.is_error(v) -> boolean */
static int l_is_error(lua_State *L) {
  int is = 0;
  if (lua_type(L, 1) == LUA_TTABLE && lua_getmetatable(L, 1)) {
    luaL_getmetatable(L, LTW_ERROR_MT);
    is = lua_rawequal(L, -1, -2);
    lua_pop(L, 2);
  }
  lua_pushboolean(L, is);
  return 1;
}

void ltw_open_error(lua_State *L) {
  if (twl_newmetatable(L, LTW_ERROR_MT)) {
    lua_pushcfunction(L, error_tostring);
    lua_setfield(L, -2, "__tostring");
  }
  lua_setfield(L, -2, "error_mt");
  lua_pushcfunction(L, l_new_error);
  lua_setfield(L, -2, "new_error");
  lua_pushcfunction(L, l_is_error);
  lua_setfield(L, -2, "is_error");
}
