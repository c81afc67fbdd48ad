/* ltw_config.c -- twilio.Config: core.config(opts) checks the account,
 * the credentials, the host (base_url, or region/edge), the User-Agent
 * and the client's limits (timeout, connect_timeout, max_body: what the
 * fused call sends with), and returns a userdata born complete; its
 * methods read the account and the host back.
 * cfg:build and cfg:follow are added to its methods by ltw_request.c.
 *
 * Expected failures return nil, err (kind "invalid", field); a secret is
 * never echoed. Memory: no heap allocation; the config lives in its
 * userdata and the plain "user:secret" is wiped from the C stack once
 * encoded; __gc wipes the Authorization value (idempotent). */
#include <stdio.h>
#include <string.h>
#include "ltw.h"
#include "ltw_call.h"
#include "tw_encode.h"
#include "tw_validate.h"
#include "tw_version.h"

#define SECRET_MAX 256
#define UA_MAX 256

#if LUA_VERSION_NUM == 501
#  define LTW_VM "LuaJIT"
#else
#  define LTW_VM LUA_VERSION
#endif
#define DEFAULT_UA "twilio-numbers/" TW_VERSION " (" LTW_VM ")"

/* ---- core.config ------------------------------------------------------------ */

/* opts[name] as a string: returns 1 and sets *s and *n (NULL when absent), or
 * pushes nil, err and returns 0. The value stays anchored in opts. */
static int opt_string(lua_State *L, const char *name, const char **s,
                      size_t *n, int secret) {
  char msg[200], got[160];
  lua_getfield(L, 1, name);
  *s = NULL;
  *n = 0;
  if (lua_isnil(L, -1)) { lua_pop(L, 1); return 1; }
  if (lua_type(L, -1) != LUA_TSTRING) {
    if (secret) snprintf(got, sizeof got, "%s", lua_typename(L, lua_type(L, -1)));
    else ltw_describe(L, -1, got, sizeof got);
    lua_pop(L, 1);
    snprintf(msg, sizeof msg, "%s must be a string (got %s)", name, got);
    ltw_invalid(L, NULL, name, msg);
    return 0;
  }
  *s = lua_tolstring(L, -1, n);
  lua_pop(L, 1);   /* still referenced by opts[name] */
  return 1;
}

static int check_secret(lua_State *L, const char *name, const char *s,
                        size_t n) {
  char msg[200];
  const char *why = NULL;
  if (n == 0) why = "must not be empty";
  else if (n > SECRET_MAX) why = "is too long (at most 256 bytes)";
  else if (!tw_valid_header_value(s, n))
    why = "must be printable ASCII (no CR, LF, NUL or other control bytes)";
  if (!why) return 1;
  /* never echo the value */
  snprintf(msg, sizeof msg, "%s %s", name, why);
  ltw_invalid(L, NULL, name, msg);
  return 0;
}

/* opts[name] as one of the client's limits (timeout, connect_timeout in
 * seconds: floor(s * 1000) ms; max_body in bytes), as ltw_call.c sends
 * them: returns 1 and sets *out (0 when absent), or pushes nil, err and
 * returns 0. */
static int opt_limit(lua_State *L, const char *name, int seconds, long *out) {
  char msg[300], got[160];
  int ok;
  lua_getfield(L, 1, name);
  *out = 0;
  if (lua_isnil(L, -1)) ok = 1;
  else if (lua_type(L, -1) != LUA_TNUMBER) ok = 0;
  else if (seconds) ok = ltw_seconds_ms(lua_tonumber(L, -1), out);
  else ok = ltw_whole_bytes(lua_tonumber(L, -1), LTW_CURL_MAX_BODY, out);
  if (ok) { lua_pop(L, 1); return 1; }
  ltw_describe(L, -1, got, sizeof got);
  lua_pop(L, 1);
  if (seconds)
    snprintf(msg, sizeof msg, "%s must be a number of seconds from 0.001 to %ld (got %s)",
             name, LTW_CURL_MAX_TIMEOUT_MS / 1000, got);
  else
    snprintf(msg, sizeof msg, "%s must be a whole number of bytes from 1 to %ld (got %s)",
             name, LTW_CURL_MAX_BODY, got);
  ltw_invalid(L, NULL, name, msg);
  return 0;
}

static int l_config(lua_State *L) {
  const char *sid, *token, *key, *secret, *base, *region, *edge, *ua;
  size_t sidn, tokenn, keyn, secretn, basen, regionn, edgen, uan;
  const char *user, *pass;
  size_t usern, passn;
  char msg[400], got[160], host[300];
  tw_base parsed;
  ltw_config *cfg;
  char plain[34 + 1 + SECRET_MAX];
  size_t plainn, b64;
  const char *why_host;
  long timeout_ms, connect_timeout_ms, max_body;

  luaL_checktype(L, 1, LUA_TTABLE);
  lua_settop(L, 1);
  if (!opt_string(L, "account_sid", &sid, &sidn, 0) ||
      !opt_string(L, "auth_token", &token, &tokenn, 1) ||
      !opt_string(L, "api_key", &key, &keyn, 0) ||
      !opt_string(L, "api_secret", &secret, &secretn, 1) ||
      !opt_string(L, "base_url", &base, &basen, 0) ||
      !opt_string(L, "region", &region, &regionn, 0) ||
      !opt_string(L, "edge", &edge, &edgen, 0) ||
      !opt_string(L, "user_agent", &ua, &uan, 0) ||
      !opt_limit(L, "timeout", 1, &timeout_ms) ||
      !opt_limit(L, "connect_timeout", 1, &connect_timeout_ms) ||
      !opt_limit(L, "max_body", 0, &max_body))
    return 2;

  if (!sid)
    return ltw_invalid(L, NULL, "account_sid",
                "account_sid is required (AC followed by 32 hex digits; "
                "TWILIO_ACCOUNT_SID)");
  if (!tw_valid_sid(sid, sidn, "AC")) {
    ltw_quote(got, sizeof got, sid, sidn);
    snprintf(msg, sizeof msg, "account_sid must be an Account SID: AC "
             "followed by 32 hex digits (got %s)", got);
    return ltw_invalid(L, NULL, "account_sid", msg);
  }

  if (key || secret) {
    if (!key)
      return ltw_invalid(L, NULL, "api_key",
                  "api_secret was given without api_key (an SK... API key SID)");
    if (!tw_valid_sid(key, keyn, "SK")) {
      ltw_quote(got, sizeof got, key, keyn);
      snprintf(msg, sizeof msg, "api_key must be an API key SID: SK "
               "followed by 32 hex digits (got %s)", got);
      return ltw_invalid(L, NULL, "api_key", msg);
    }
    if (!secret)
      return ltw_invalid(L, NULL, "api_secret",
                  "api_secret is required with api_key (TWILIO_API_SECRET)");
    if (!check_secret(L, "api_secret", secret, secretn)) return 2;
    user = key; usern = keyn; pass = secret; passn = secretn;
  } else {
    if (!token)
      return ltw_invalid(L, NULL, "auth_token",
                  "auth_token (or api_key + api_secret) is required "
                  "(TWILIO_AUTH_TOKEN)");
    if (!check_secret(L, "auth_token", token, tokenn)) return 2;
    user = sid; usern = sidn; pass = token; passn = tokenn;
  }

  if (base && (region || edge))
    return ltw_invalid(L, NULL, region ? "region" : "edge",
                "region/edge cannot be combined with base_url (give one)");
  if (region && !tw_valid_label(region, regionn)) {
    ltw_quote(got, sizeof got, region, regionn);
    snprintf(msg, sizeof msg, "region must be a lower-case name like ie1 "
             "(got %s)", got);
    return ltw_invalid(L, NULL, "region", msg);
  }
  if (edge && !tw_valid_label(edge, edgen)) {
    ltw_quote(got, sizeof got, edge, edgen);
    snprintf(msg, sizeof msg, "edge must be a lower-case name like dublin "
             "(got %s)", got);
    return ltw_invalid(L, NULL, "edge", msg);
  }
  if (base) {
    const char *why;
    if (!tw_parse_base(base, basen, &parsed, &why)) {
      ltw_quote(got, sizeof got, base, basen);
      snprintf(msg, sizeof msg, "base_url must be %s (got %s)", why, got);
      return ltw_invalid(L, NULL, "base_url", msg);
    }
  } else {
    if (edge)
      snprintf(host, sizeof host, "https://api.%.*s.%.*s.twilio.com",
               (int)edgen, edge, (int)(region ? regionn : 3),
               region ? region : "us1");
    else if (region)
      snprintf(host, sizeof host, "https://api.%.*s.twilio.com",
               (int)regionn, region);
    else
      snprintf(host, sizeof host, "https://api.twilio.com");
    if (!tw_parse_base(host, strlen(host), &parsed, &why_host))
      return ltw_invalid(L, NULL, "region", "region/edge give an invalid host name");
  }
  if (ua && (uan == 0 || uan > UA_MAX || !tw_valid_header_value(ua, uan))) {
    ltw_quote(got, sizeof got, ua, uan);
    snprintf(msg, sizeof msg, "user_agent must be 1-256 printable ASCII "
             "characters (got %s)", got);
    return ltw_invalid(L, NULL, "user_agent", msg);
  }

  /* All checked: build the userdata (zeroed, metatable set) and fill it. */
  cfg = (ltw_config *)twl_newud(L, sizeof *cfg);
  memset(cfg, 0, sizeof *cfg);
  luaL_getmetatable(L, LTW_CONFIG_MT);
  lua_setmetatable(L, -2);
  memcpy(cfg->account_sid, sid, 34);
  cfg->base = parsed;
  cfg->timeout_ms = timeout_ms;
  cfg->connect_timeout_ms = connect_timeout_ms;
  cfg->max_body = max_body;
  if (parsed.port_given)
    snprintf(cfg->base_url, sizeof cfg->base_url, "%s://%s:%u",
             parsed.scheme, parsed.host, parsed.port);
  else
    snprintf(cfg->base_url, sizeof cfg->base_url, "%s://%s",
             parsed.scheme, parsed.host);
  snprintf(cfg->ua, sizeof cfg->ua, "%.*s", (int)(ua ? uan : strlen(DEFAULT_UA)),
           ua ? ua : DEFAULT_UA);
  plainn = usern + 1 + passn;
  memcpy(plain, user, usern);
  plain[usern] = ':';
  memcpy(plain + usern + 1, pass, passn);
  memcpy(cfg->auth, "Basic ", 6);
  b64 = tw_base64(cfg->auth + 6, plain, plainn);
  cfg->auth[6 + b64] = '\0';
  {                                       /* the fused call's header lines */
    size_t an = strlen(cfg->auth), un = strlen(cfg->ua), o = 0;
    memcpy(cfg->lines + o, "Authorization: ", 15); o += 15;
    memcpy(cfg->lines + o, cfg->auth, an + 1); o += an + 1;
    memcpy(cfg->lines + o, "User-Agent: ", 12); o += 12;
    memcpy(cfg->lines + o, cfg->ua, un + 1); o += un + 1;
    memcpy(cfg->lines + o, "Accept: application/json", 25); o += 25;
    cfg->lines_len = o;
  }
  {
    volatile char *v = plain;
    size_t i;
    for (i = 0; i < sizeof plain; i++) v[i] = 0;
  }
  lua_createtable(L, LTW_UV_MEMO, 0);     /* uservalue: the header strings
                                             (and, later, the shared headers
                                             tables: ltw_request.c) */
  lua_createtable(L, 2 * LTW_MEMO_MAX, 0);  /* the params memo's strings: an
                                             array slot for each, so that
                                             storing them allocates nothing */
  lua_rawseti(L, -2, LTW_UV_MEMO);
  lua_pushstring(L, cfg->auth);
  lua_rawseti(L, -2, LTW_UV_AUTH);
  lua_pushstring(L, cfg->ua);
  lua_rawseti(L, -2, LTW_UV_UA);
  twl_setuv(L, -2);
  return 1;
}

ltw_config *ltw_check_config(lua_State *L, int idx) {
  return (ltw_config *)luaL_checkudata(L, idx, LTW_CONFIG_MT);
}

static int cfg_gc(lua_State *L) {
  ltw_config *cfg = ltw_check_config(L, 1);
  volatile char *v = cfg->auth;
  size_t i;
  for (i = 0; i < sizeof cfg->auth; i++) v[i] = 0;
  v = cfg->lines;
  for (i = 0; i < sizeof cfg->lines; i++) v[i] = 0;
  return 0;
}

static int cfg_tostring(lua_State *L) {
  ltw_config *cfg = ltw_check_config(L, 1);
  lua_pushfstring(L, "twilio.Config: %s %s", cfg->account_sid, cfg->base_url);
  return 1;
}

static int cfg_account_sid(lua_State *L) {
  lua_pushstring(L, ltw_check_config(L, 1)->account_sid);
  return 1;
}

static int cfg_base_url(lua_State *L) {
  lua_pushstring(L, ltw_check_config(L, 1)->base_url);
  return 1;
}

/* host name only ("api.twilio.com", "127.0.0.1", "[::1]"); see cfg:port() */
static int cfg_host(lua_State *L) {
  lua_pushstring(L, ltw_check_config(L, 1)->base.host);
  return 1;
}

static int cfg_port(lua_State *L) {
  lua_pushinteger(L, (lua_Integer)ltw_check_config(L, 1)->base.port);
  return 1;
}

static int cfg_scheme(lua_State *L) {
  lua_pushstring(L, ltw_check_config(L, 1)->base.scheme);
  return 1;
}

static const luaL_Reg cfg_methods[] = {
  { "account_sid", cfg_account_sid },
  { "base_url", cfg_base_url },
  { "host", cfg_host },
  { "port", cfg_port },
  { "scheme", cfg_scheme },
  { NULL, NULL }
};

void ltw_open_config(lua_State *L) {
  if (twl_newmetatable(L, LTW_CONFIG_MT)) {
    lua_pushcfunction(L, cfg_gc);
    lua_setfield(L, -2, "__gc");
    lua_pushcfunction(L, cfg_tostring);
    lua_setfield(L, -2, "__tostring");
    lua_pushliteral(L, "twilio.Config");
    lua_setfield(L, -2, "__metatable");
    lua_newtable(L);
    luaL_setfuncs(L, cfg_methods, 0);
    lua_setfield(L, -2, "__index");
  }
  lua_pop(L, 1);
  lua_pushcfunction(L, l_config);
  lua_setfield(L, -2, "config");
}
