/* ltw_error.c -- twilio.Error: the error object every expected failure returns.
 *
 * An error is a plain Lua table with the "twilio.Error" metatable, so callers
 * read err.kind, err.status, err.code, err.message, err.more_info,
 * err.details, err.method, err.url, err.field directly. Tables (not userdata)
 * because the Lua side adds fields (retries, applied, ...) as it learns them.
 * __tostring never prints credentials: no field of an error holds one. */
#include <string.h>
#include "ltw.h"

/* One line, one style (docs/ERRORS.md):
 *   twilio: <what>[ (HTTP <status>[, code <code>])]: <message>[: <detail>]
 *           [. <hint>][ (<METHOD> <url>)][; see <more_info>]
 * e.g. "twilio: API error (HTTP 404, code 20404): The requested resource ...
 * was not found (GET https://...); see https://www.twilio.com/docs/errors/20404"
 * and "twilio: invalid input: voice_url must be an absolute ... (got 'x')".
 * The message says what is wrong and names the parameter; a "twilio: " that
 * a message already starts with is not repeated. */
static const char *kind_label(const char *kind) {
  static const char *const labels[][2] = {
    { "invalid", "invalid input" }, { "api", "API error" },
    { "transport", "transport error" }, { "timeout", "timeout" },
    { "decode", "unreadable answer" }, { "not_found", "not found" },
    { "io", "I/O error" },
  };
  size_t i;
  for (i = 0; i < sizeof labels / sizeof labels[0]; i++)
    if (strcmp(kind, labels[i][0]) == 0) return labels[i][1];
  return kind;
}

/* Pushes t[key] and returns it as text when it is a non-empty string or a
 * number (converted in its stack slot, which stays until the end of
 * __tostring, so the pointer stays valid), else NULL. */
static const char *get_text(lua_State *L, int t, const char *key) {
  const char *s = NULL;
  lua_getfield(L, t, key);
  if (lua_type(L, -1) == LUA_TSTRING || lua_type(L, -1) == LUA_TNUMBER) {
    s = lua_tostring(L, -1);
    if (s && !*s) s = NULL;
  }
  return s;
}

static int error_tostring(lua_State *L) {
  luaL_Buffer b;
  const char *kind, *status, *code, *message, *detail, *method, *url, *info;
  luaL_checktype(L, 1, LUA_TTABLE);
  lua_settop(L, 1);
  kind = get_text(L, 1, "kind");
  status = get_text(L, 1, "status");
  code = get_text(L, 1, "code");
  message = get_text(L, 1, "message");
  detail = get_text(L, 1, "detail");
  method = get_text(L, 1, "method");
  url = get_text(L, 1, "url");
  info = get_text(L, 1, "more_info");
  luaL_buffinit(L, &b);
  luaL_addstring(&b, "twilio: ");
  luaL_addstring(&b, kind_label(kind ? kind : "unknown"));
  if (status) {
    luaL_addstring(&b, " (HTTP ");
    luaL_addstring(&b, status);
    if (code && strcmp(code, status) != 0) {
      luaL_addstring(&b, ", code ");
      luaL_addstring(&b, code);
    }
    luaL_addstring(&b, ")");
  }
  if (message) {
    if (strncmp(message, "twilio: ", 8) == 0) message += 8;
    luaL_addstring(&b, ": ");
    luaL_addstring(&b, message);
  }
  if (detail && (!message || strcmp(detail, message) != 0)) {
    luaL_addstring(&b, ": ");
    luaL_addstring(&b, detail);
    message = detail;                        /* the text written last */
  }
  if (status && strcmp(status, "401") == 0) {
    /* what to check, never the values themselves */
    size_t n = message ? strlen(message) : 0;
    luaL_addstring(&b, n == 0 ? ": " : message[n - 1] == '.' ? " " : ". ");
    luaL_addstring(&b, "Check the account SID and the auth token (or API key "
                       "and secret) given to twilio.new or in the TWILIO_* "
                       "environment variables");
  }
  if (method && url) {
    luaL_addstring(&b, " (");
    luaL_addstring(&b, method);
    luaL_addstring(&b, " ");
    luaL_addstring(&b, url);
    luaL_addstring(&b, ")");
  }
  if (info) {
    luaL_addstring(&b, "; see ");
    luaL_addstring(&b, info);
  }
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
