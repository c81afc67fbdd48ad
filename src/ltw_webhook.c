/* ltw_webhook.c -- X-Twilio-Signature in twilio.core (the C is tw_webhook.c).
 *
 *   core.webhook_input(url, params) -> the signed string
 *   core.webhook_sign(key, url, params[, alg]) -> base64 signature
 *   core.webhook_verify(keys, url, params, signature[, alg])
 *       -> key_index, variant   (variant: "received", "port_added", "port_stripped")
 *       |  false, other         (other: "port_added", "port_stripped" or nil:
 *                                the port variant that was tried as well)
 *   core.webhook_port_variant(url) -> url2, added | nil
 *   core.sha256_hex(s) -> 64 lower-case hex digits
 *   core.ct_equal(a, b) -> boolean (constant time for equal lengths)
 *
 * params: an array of { key, value } pairs (repeats kept, any order), or a
 * map key -> value | { value, value, ... }. Values are strings (numbers are
 * converted). alg: "sha1" (default) or "sha256". keys: a string or an array
 * of strings (at most 16).
 *
 * Memory: the parameter array and the signed string live in userdata on the
 * Lua stack (collected by the GC whatever happens); the pointers borrow Lua
 * strings anchored in the params table or, for converted numbers, in an
 * anchor table on the stack. Nothing here calls back into Lua. */
#include <string.h>
#include "ltw.h"
#include "tw_webhook.h"

#define MAX_KEYS 16

static const char *const ALGS[] = { "sha1", "sha256", NULL };

static tw_wh_alg check_alg(lua_State *L, int idx) {
  return luaL_checkoption(L, idx, "sha1", ALGS) == 1 ? TW_WH_SHA256 : TW_WH_SHA1;
}

/* a value as a string; numbers converted and the result anchored in the
 * table at `anchor` (so the bytes outlive this call's stack slot). Pops it. */
static const char *value_str(lua_State *L, int anchor, size_t *len, const char *what) {
  int t = lua_type(L, -1);
  const char *s;
  if (t == LUA_TNUMBER) {
    s = lua_tolstring(L, -1, len);           /* converts this stack copy only */
    lua_pushvalue(L, -1);
    lua_rawseti(L, anchor, (int)lua_rawlen(L, anchor) + 1);
  } else if (t == LUA_TSTRING) {
    s = lua_tolstring(L, -1, len);
  } else {
    luaL_error(L, "twilio.core: %s must be a string (got %s)", what, luaL_typename(L, -1));
    return NULL;
  }
  lua_pop(L, 1);
  return s;
}

/* Counts the parameters of the table at idx (see the header comment). */
static size_t count_params(lua_State *L, int idx, int *pairs_form) {
  size_t n = 0;
  lua_rawgeti(L, idx, 1);
  *pairs_form = !lua_isnil(L, -1);
  lua_pop(L, 1);
  if (*pairs_form) return lua_rawlen(L, idx);
  lua_pushnil(L);
  while (lua_next(L, idx)) {
    if (lua_type(L, -2) != LUA_TSTRING)
      luaL_error(L, "twilio.core: parameter names must be strings");
    n += lua_type(L, -1) == LUA_TTABLE ? lua_rawlen(L, -1) : 1;
    lua_pop(L, 1);
  }
  return n;
}

/* Pushes a userdata holding the normalized parameters of the table at idx
 * (nil or absent: none) and an anchor table below it; returns the array. */
static tw_wh_param *collect(lua_State *L, int idx, size_t *np) {
  int pairs_form = 0, anchor;
  size_t n = 0, i = 0, j;
  tw_wh_param *p;
  lua_newtable(L);
  anchor = lua_gettop(L);
  if (!lua_isnoneornil(L, idx)) {
    luaL_checktype(L, idx, LUA_TTABLE);
    n = count_params(L, idx, &pairs_form);
  }
  if (n > (size_t)-1 / sizeof *p) luaL_error(L, "twilio.core: too many parameters");
  p = (tw_wh_param *)lua_newuserdata(L, n ? n * sizeof *p : 1);
  if (n == 0) { *np = 0; return p; }
  if (pairs_form) {
    for (j = 1; j <= n; j++) {
      lua_rawgeti(L, idx, (int)j);
      if (lua_type(L, -1) != LUA_TTABLE)
        luaL_error(L, "twilio.core: parameter %d must be a { key, value } pair", (int)j);
      lua_rawgeti(L, -1, 1);
      p[i].key = value_str(L, anchor, &p[i].key_len, "a parameter name");
      lua_rawgeti(L, -1, 2);
      p[i].val = value_str(L, anchor, &p[i].val_len, "a parameter value");
      lua_pop(L, 1);
      i++;
    }
  } else {
    lua_pushnil(L);
    while (lua_next(L, idx)) {
      size_t kl;
      const char *k = lua_tolstring(L, -2, &kl);   /* a string: checked when counting */
      if (lua_type(L, -1) == LUA_TTABLE) {
        size_t m = lua_rawlen(L, -1);
        for (j = 1; j <= m && i < n; j++) {
          lua_rawgeti(L, -1, (int)j);
          p[i].key = k; p[i].key_len = kl;
          p[i].val = value_str(L, anchor, &p[i].val_len, "a parameter value");
          i++;
        }
        lua_pop(L, 1);
      } else if (i < n) {
        p[i].key = k; p[i].key_len = kl;
        p[i].val = value_str(L, anchor, &p[i].val_len, "a parameter value");
        i++;
      } else {
        lua_pop(L, 1);
      }
    }
  }
  *np = tw_wh_params_normalize(p, i);
  return p;
}

/* Pushes a userdata holding the signed string of url + p; returns it. */
static char *build_input(lua_State *L, const char *url, size_t url_len,
                         const tw_wh_param *p, size_t n, size_t *len) {
  size_t total = tw_wh_input_len(url_len + TW_WH_PORT_EXTRA, p, n);
  char *buf;
  if (total == 0) luaL_error(L, "twilio.core: signed string too large");
  buf = (char *)lua_newuserdata(L, total);
  *len = tw_wh_input(buf, url, url_len, p, n);
  return buf;
}

static const char *check_url(lua_State *L, int idx, size_t *len) {
  const char *url = luaL_checklstring(L, idx, len);
  luaL_argcheck(L, *len > 0, idx, "empty URL");
  return url;
}

static int l_webhook_input(lua_State *L) {
  size_t ul, n, len;
  const char *url = check_url(L, 1, &ul);
  tw_wh_param *p = collect(L, 2, &n);
  char *in = build_input(L, url, ul, p, n, &len);
  lua_pushlstring(L, in, len);
  return 1;
}

static int l_webhook_sign(lua_State *L) {
  size_t kl, ul, n, len, s;
  const char *key = luaL_checklstring(L, 1, &kl);
  const char *url = check_url(L, 2, &ul);
  tw_wh_alg alg = check_alg(L, 4);
  tw_wh_param *p = collect(L, 3, &n);
  char *in = build_input(L, url, ul, p, n, &len);
  char sig[TW_WH_SIG_MAX];
  s = tw_wh_sign(sig, alg, key, kl, in, len);
  if (!s) return luaL_error(L, "twilio.core: HMAC failed (libcrypto)");
  lua_pushlstring(L, sig, s);
  return 1;
}

static int l_webhook_verify(lua_State *L) {
  const char *keys[MAX_KEYS];
  size_t lens[MAX_KEYS], nkeys = 0, ul, n, len, sl, vl;
  const char *url, *sig;
  char *in, *vurl;
  tw_wh_param *p;
  tw_wh_alg alg;
  int added = 0, hit;
  if (lua_type(L, 1) == LUA_TSTRING) {
    keys[0] = lua_tolstring(L, 1, &lens[0]);
    nkeys = 1;
  } else {
    size_t i;
    luaL_checktype(L, 1, LUA_TTABLE);
    nkeys = lua_rawlen(L, 1);
    luaL_argcheck(L, nkeys >= 1 && nkeys <= MAX_KEYS, 1, "1 to 16 keys expected");
    for (i = 0; i < nkeys; i++) {
      lua_rawgeti(L, 1, (int)i + 1);
      if (lua_type(L, -1) != LUA_TSTRING) luaL_argerror(L, 1, "keys must be strings");
      keys[i] = lua_tolstring(L, -1, &lens[i]);   /* anchored in the keys table */
      lua_pop(L, 1);
    }
  }
  url = check_url(L, 2, &ul);
  sig = luaL_checklstring(L, 4, &sl);
  alg = check_alg(L, 5);
  p = collect(L, 3, &n);
  in = build_input(L, url, ul, p, n, &len);
  hit = tw_wh_verify(alg, keys, lens, nkeys, in, len, sig, sl);
  if (hit) {
    lua_pushinteger(L, hit);
    lua_pushliteral(L, "received");
    return 2;
  }
  vurl = (char *)lua_newuserdata(L, ul + TW_WH_PORT_EXTRA);
  vl = tw_wh_port_variant(vurl, url, ul, &added);
  if (!vl) {
    lua_pushboolean(L, 0);
    return 1;
  }
  len = tw_wh_input(in, vurl, vl, p, n);     /* in holds ul + 4 + params bytes */
  hit = tw_wh_verify(alg, keys, lens, nkeys, in, len, sig, sl);
  if (hit) lua_pushinteger(L, hit);
  else lua_pushboolean(L, 0);
  if (added) lua_pushliteral(L, "port_added");
  else lua_pushliteral(L, "port_stripped");
  return 2;
}

static int l_webhook_port_variant(lua_State *L) {
  size_t ul, vl;
  const char *url = check_url(L, 1, &ul);
  int added = 0;
  char *out = (char *)lua_newuserdata(L, ul + TW_WH_PORT_EXTRA);
  vl = tw_wh_port_variant(out, url, ul, &added);
  if (!vl) {
    lua_pushnil(L);
    return 1;
  }
  lua_pushlstring(L, out, vl);
  lua_pushboolean(L, added);
  return 2;
}

static int l_sha256_hex(lua_State *L) {
  size_t n;
  const char *s = luaL_checklstring(L, 1, &n);
  char hex[65];
  if (!tw_wh_sha256_hex(hex, s, n)) return luaL_error(L, "twilio.core: SHA-256 failed (libcrypto)");
  lua_pushlstring(L, hex, 64);
  return 1;
}

static int l_ct_equal(lua_State *L) {
  size_t an, bn;
  const char *a = luaL_checklstring(L, 1, &an);
  const char *b = luaL_checklstring(L, 2, &bn);
  lua_pushboolean(L, tw_wh_equal(a, an, b, bn));
  return 1;
}

void ltw_open_webhook(lua_State *L) {
  static const luaL_Reg fns[] = {
    { "webhook_input", l_webhook_input },
    { "webhook_sign", l_webhook_sign },
    { "webhook_verify", l_webhook_verify },
    { "webhook_port_variant", l_webhook_port_variant },
    { "sha256_hex", l_sha256_hex },
    { "ct_equal", l_ct_equal },
    { NULL, NULL }
  };
  luaL_setfuncs(L, fns, 0);
}
