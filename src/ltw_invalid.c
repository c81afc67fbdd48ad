/* ltw_invalid.c -- the wording of "invalid" errors: a failure refused
 * before anything is sent (field, op), and how a caller's value is echoed
 * in "(got ...)". Used by ltw_config.c and ltw_request.c. No allocation:
 * messages are built in the caller's bounded arrays. */
#include <stdio.h>
#include <string.h>
#include "ltw.h"
#include "tw_validate.h"

/* Pushes nil + an "invalid" error with field, message and op; returns 2. */
int ltw_invalid(lua_State *L, const char *op, const char *field,
                const char *msg) {
  ltw_fail(L, "invalid", field, msg);
  if (op) {
    lua_pushstring(L, op);
    lua_setfield(L, -2, "op");
  }
  return 2;
}

/* "'<echo>'" plus " (N bytes)" when the echo was cut. */
void ltw_quote(char *out, size_t cap, const char *s, size_t n) {
  char echo[72];
  size_t e = tw_echo(echo, sizeof echo, s, n);
  if (e >= 3 && memcmp(echo + e - 3, "...", 3) == 0 && n > 60)
    snprintf(out, cap, "'%s' (%lu bytes)", echo, (unsigned long)n);
  else
    snprintf(out, cap, "'%s'", echo);
}

/* A description of the Lua value at idx for "(got ...)": type and value. */
void ltw_describe(lua_State *L, int idx, char *out, size_t cap) {
  int t = lua_type(L, idx);
  if (t == LUA_TSTRING) {
    size_t n;
    const char *s = lua_tolstring(L, idx, &n);
    char q[120];
    ltw_quote(q, sizeof q, s, n);
    snprintf(out, cap, "string %s", q);
  } else if (t == LUA_TNUMBER) {
    double d = (double)lua_tonumber(L, idx);
    if (d != d) snprintf(out, cap, "number nan");
    else if (d > 1e308 || d < -1e308)
      snprintf(out, cap, "number %sinf", d < 0 ? "-" : "");
    else snprintf(out, cap, "number %.14g", d);
  } else if (t == LUA_TBOOLEAN) {
    snprintf(out, cap, "boolean %s", lua_toboolean(L, idx) ? "true" : "false");
  } else {
    snprintf(out, cap, "%s", lua_typename(L, t));
  }
}

