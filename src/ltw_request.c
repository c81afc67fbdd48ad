/* ltw_request.c -- twilio.Config (core.config) and request building
 * (cfg:build, cfg:follow), core.operations(), core.urlencode, core.base64.
 *
 * Everything a caller gives is validated here, in C, before a request table
 * exists: the transport only ever sees requests that passed. Expected
 * failures return nil, err (kind "invalid", field, op); misuse of the API
 * itself (unknown operationId, a non-table where a table belongs) raises.
 *
 * Memory: no heap allocation at all. The config lives in its userdata;
 * URLs and messages are built in bounded arrays on the C stack or in
 * luaL_Buffers, so a Lua error (OOM) at any point leaks nothing. The
 * Authorization and User-Agent values are also kept as Lua strings in the
 * config's uservalue ({ [1] = auth, [2] = ua }) so that every request
 * shares them instead of copying ~100 bytes twice. */
#include <stdio.h>
#include <string.h>
#include "ltw.h"
#include "tw_encode.h"
#include "tw_ops.h"
#include "tw_validate.h"
#include "tw_version.h"

#define LTW_CONFIG_MT "twilio.Config"
#define SECRET_MAX 256
#define UV_AUTH 1               /* uservalue slots of a config */
#define UV_UA 2
#define UA_MAX 256

#if LUA_VERSION_NUM == 501
#  define LTW_VM "LuaJIT"
#else
#  define LTW_VM LUA_VERSION
#endif
#define DEFAULT_UA "twilio-numbers/" TW_VERSION " (" LTW_VM ")"

typedef struct ltw_config {
  char account_sid[35];
  tw_base base;
  char base_url[300];     /* scheme://host[:port], no trailing slash */
  char auth[400];         /* "Basic " base64(user:secret); wiped by __gc */
  char ua[UA_MAX + 1];
} ltw_config;

/* ---- small helpers -------------------------------------------------------- */

/* Pushes nil + an "invalid" error with field, message and op; returns 2. */
static int fail(lua_State *L, const char *op, const char *field,
                const char *msg) {
  ltw_fail(L, "invalid", field, msg);
  if (op) {
    lua_pushstring(L, op);
    lua_setfield(L, -2, "op");
  }
  return 2;
}

/* "'<echo>'" plus " (N bytes)" when the echo was cut. */
static void quote(char *out, size_t cap, const char *s, size_t n) {
  char echo[72];
  size_t e = tw_echo(echo, sizeof echo, s, n);
  if (e >= 3 && memcmp(echo + e - 3, "...", 3) == 0 && n > 60)
    snprintf(out, cap, "'%s' (%lu bytes)", echo, (unsigned long)n);
  else
    snprintf(out, cap, "'%s'", echo);
}

/* A description of the Lua value at idx for "(got ...)": type and value. */
static void describe(lua_State *L, int idx, char *out, size_t cap) {
  int t = lua_type(L, idx);
  if (t == LUA_TSTRING) {
    size_t n;
    const char *s = lua_tolstring(L, idx, &n);
    char q[120];
    quote(q, sizeof q, s, n);
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

/* An integral Lua number within +-2^53 (Lua 5.4 integers up to +-2^63). */
static int get_integer(lua_State *L, int idx, long long *out) {
  lua_Number d;
#if LUA_VERSION_NUM >= 503
  if (lua_isinteger(L, idx)) {
    *out = (long long)lua_tointeger(L, idx);
    return 1;
  }
#endif
  d = lua_tonumber(L, idx);
  if (!(d == d) || d > 9007199254740992.0 || d < -9007199254740992.0)
    return 0;
  if ((lua_Number)(long long)d != d) return 0;
  *out = (long long)d;
  return 1;
}

static const char *type_word(const tw_param *p) {
  if (p->type == TW_T_BOOLEAN) return "a boolean (true or false)";
  if (p->flags & TW_P_INT_OR_STR) return "an integer or a string";
  if (p->type == TW_T_INTEGER) return "an integer";
  return "a string";
}

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
    else describe(L, -1, got, sizeof got);
    lua_pop(L, 1);
    snprintf(msg, sizeof msg, "%s must be a string (got %s)", name, got);
    fail(L, NULL, name, msg);
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
  fail(L, NULL, name, msg);
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

  luaL_checktype(L, 1, LUA_TTABLE);
  lua_settop(L, 1);
  if (!opt_string(L, "account_sid", &sid, &sidn, 0) ||
      !opt_string(L, "auth_token", &token, &tokenn, 1) ||
      !opt_string(L, "api_key", &key, &keyn, 0) ||
      !opt_string(L, "api_secret", &secret, &secretn, 1) ||
      !opt_string(L, "base_url", &base, &basen, 0) ||
      !opt_string(L, "region", &region, &regionn, 0) ||
      !opt_string(L, "edge", &edge, &edgen, 0) ||
      !opt_string(L, "user_agent", &ua, &uan, 0))
    return 2;

  if (!sid)
    return fail(L, NULL, "account_sid",
                "account_sid is required (AC followed by 32 hex digits; "
                "TWILIO_ACCOUNT_SID)");
  if (!tw_valid_sid(sid, sidn, "AC")) {
    quote(got, sizeof got, sid, sidn);
    snprintf(msg, sizeof msg, "account_sid must be an Account SID: AC "
             "followed by 32 hex digits (got %s)", got);
    return fail(L, NULL, "account_sid", msg);
  }

  if (key || secret) {
    if (!key)
      return fail(L, NULL, "api_key",
                  "api_secret was given without api_key (an SK... API key SID)");
    if (!tw_valid_sid(key, keyn, "SK")) {
      quote(got, sizeof got, key, keyn);
      snprintf(msg, sizeof msg, "api_key must be an API key SID: SK "
               "followed by 32 hex digits (got %s)", got);
      return fail(L, NULL, "api_key", msg);
    }
    if (!secret)
      return fail(L, NULL, "api_secret",
                  "api_secret is required with api_key (TWILIO_API_SECRET)");
    if (!check_secret(L, "api_secret", secret, secretn)) return 2;
    user = key; usern = keyn; pass = secret; passn = secretn;
  } else {
    if (!token)
      return fail(L, NULL, "auth_token",
                  "auth_token (or api_key + api_secret) is required "
                  "(TWILIO_AUTH_TOKEN)");
    if (!check_secret(L, "auth_token", token, tokenn)) return 2;
    user = sid; usern = sidn; pass = token; passn = tokenn;
  }

  if (base && (region || edge))
    return fail(L, NULL, region ? "region" : "edge",
                "region/edge cannot be combined with base_url (give one)");
  if (region && !tw_valid_label(region, regionn)) {
    quote(got, sizeof got, region, regionn);
    snprintf(msg, sizeof msg, "region must be a lower-case name like ie1 "
             "(got %s)", got);
    return fail(L, NULL, "region", msg);
  }
  if (edge && !tw_valid_label(edge, edgen)) {
    quote(got, sizeof got, edge, edgen);
    snprintf(msg, sizeof msg, "edge must be a lower-case name like dublin "
             "(got %s)", got);
    return fail(L, NULL, "edge", msg);
  }
  if (base) {
    const char *why;
    if (!tw_parse_base(base, basen, &parsed, &why)) {
      quote(got, sizeof got, base, basen);
      snprintf(msg, sizeof msg, "base_url must be %s (got %s)", why, got);
      return fail(L, NULL, "base_url", msg);
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
      return fail(L, NULL, "region", "region/edge give an invalid host name");
  }
  if (ua && (uan == 0 || uan > UA_MAX || !tw_valid_header_value(ua, uan))) {
    quote(got, sizeof got, ua, uan);
    snprintf(msg, sizeof msg, "user_agent must be 1-256 printable ASCII "
             "characters (got %s)", got);
    return fail(L, NULL, "user_agent", msg);
  }

  /* All checked: build the userdata (zeroed, metatable set) and fill it. */
  cfg = (ltw_config *)twl_newud(L, sizeof *cfg);
  memset(cfg, 0, sizeof *cfg);
  luaL_getmetatable(L, LTW_CONFIG_MT);
  lua_setmetatable(L, -2);
  memcpy(cfg->account_sid, sid, 34);
  cfg->base = parsed;
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
  {
    volatile char *v = plain;
    size_t i;
    for (i = 0; i < sizeof plain; i++) v[i] = 0;
  }
  lua_createtable(L, 2, 0);               /* uservalue: the header strings */
  lua_pushstring(L, cfg->auth);
  lua_rawseti(L, -2, UV_AUTH);
  lua_pushstring(L, cfg->ua);
  lua_rawseti(L, -2, UV_UA);
  twl_setuv(L, -2);
  return 1;
}

static ltw_config *check_config(lua_State *L) {
  return (ltw_config *)luaL_checkudata(L, 1, LTW_CONFIG_MT);
}

static int cfg_gc(lua_State *L) {
  ltw_config *cfg = check_config(L);
  volatile char *v = cfg->auth;
  size_t i;
  for (i = 0; i < sizeof cfg->auth; i++) v[i] = 0;
  return 0;
}

static int cfg_tostring(lua_State *L) {
  ltw_config *cfg = check_config(L);
  lua_pushfstring(L, "twilio.Config: %s %s", cfg->account_sid, cfg->base_url);
  return 1;
}

static int cfg_account_sid(lua_State *L) {
  lua_pushstring(L, check_config(L)->account_sid);
  return 1;
}

static int cfg_base_url(lua_State *L) {
  lua_pushstring(L, check_config(L)->base_url);
  return 1;
}

/* host name only ("api.twilio.com", "127.0.0.1", "[::1]"); see cfg:port() */
static int cfg_host(lua_State *L) {
  lua_pushstring(L, check_config(L)->base.host);
  return 1;
}

static int cfg_port(lua_State *L) {
  lua_pushinteger(L, (lua_Integer)check_config(L)->base.port);
  return 1;
}

static int cfg_scheme(lua_State *L) {
  lua_pushstring(L, check_config(L)->base.scheme);
  return 1;
}

/* ---- the request table -------------------------------------------------- */

/* Pushes the headers table; the config is at stack index 1. */
static void push_headers(lua_State *L, int form) {
  lua_createtable(L, 0, 4);
  twl_getuv(L, 1);                   /* { auth, ua } */
  lua_rawgeti(L, -1, UV_AUTH);
  lua_setfield(L, -3, "Authorization");
  lua_rawgeti(L, -1, UV_UA);
  lua_setfield(L, -3, "User-Agent");
  lua_pop(L, 1);
  lua_pushliteral(L, "application/json");
  lua_setfield(L, -2, "Accept");
  if (form) {
    lua_pushliteral(L, "application/x-www-form-urlencoded");
    lua_setfield(L, -2, "Content-Type");
  }
}

/* Expects url (and body, or nil) on the top of the stack; replaces them with
 * the request table. The config is at stack index 1. */
static void push_request(lua_State *L, const char *method, const char *op,
                         int idempotent, int form) {
  lua_createtable(L, 0, 6);
  lua_insert(L, -3);                 /* req, url, body */
  lua_setfield(L, -3, "body");
  lua_setfield(L, -2, "url");
  lua_pushstring(L, method);
  lua_setfield(L, -2, "method");
  push_headers(L, form);
  lua_setfield(L, -2, "headers");
  if (op) {
    lua_pushstring(L, op);
    lua_setfield(L, -2, "op");
  }
  lua_pushboolean(L, idempotent);
  lua_setfield(L, -2, "idempotent");
}

/* Encodes through a small C array: luaL_prepbuffer would ask for a whole
 * LUAL_BUFFERSIZE each time, which moves a 5.4 buffer to the heap (and
 * pushes a piece onto the stack in LuaJIT) once it holds anything. */
static void add_encoded(luaL_Buffer *b, const char *s, size_t n) {
  char tmp[512];
  while (n > 0) {
    size_t used, w = tw_urlencode_some(tmp, sizeof tmp, s, n, &used);
    luaL_addlstring(b, tmp, w);
    s += used;
    n -= used;
  }
}

/* ---- cfg:build ---------------------------------------------------------- */

#define MAX_PARAMS 64
static const char *const PATH_KEYS[] = {
  "account_sid", "sid", "resource_sid", "assigned_add_on_sid",
  "country_code", NULL };

/* Best suggestion for an unknown key, or NULL. */
static const char *suggest(const tw_op *op, const char *key, size_t n) {
  char low[65], flat[65], pflat[65];
  size_t i, j, lown = 0, flatn = 0, best = (size_t)-1;
  const char *pick = NULL;
  if (n > 64) return NULL;
  for (i = 0; i < n; i++) {
    char c = key[i];
    if (c >= 'A' && c <= 'Z') c = (char)(c + 32);
    low[lown++] = c;
    if (c != '_' && c != '-' && c != ' ') flat[flatn++] = c;
  }
  for (i = 0; i < op->nparams; i++) {
    const tw_param *p = &op->params[i];
    size_t d, pn = 0, d2;
    if (p->in == TW_IN_PATH) continue;
    if (strlen(p->wire) == n && memcmp(p->wire, key, n) == 0) return p->name;
    for (j = 0; p->name[j] && pn < 64; j++)
      if (p->name[j] != '_') pflat[pn++] = p->name[j];
    d = tw_levenshtein(low, lown, p->name, strlen(p->name));
    d2 = tw_levenshtein(flat, flatn, pflat, pn);
    if (d2 < d) d = d2;
    if (d < best) { best = d; pick = p->name; }
  }
  if (pick && (best <= 2 || best <= strlen(pick) / 3)) return pick;
  return NULL;
}

static int unknown_param(lua_State *L, const tw_op *op, const char *key,
                         size_t n) {
  char msg[700], got[160];
  const char *hint = suggest(op, key, n);
  size_t i, len;
  int is_path = 0;
  quote(got, sizeof got, key, n);
  for (i = 0; PATH_KEYS[i]; i++)
    if (strlen(PATH_KEYS[i]) == n && memcmp(PATH_KEYS[i], key, n) == 0)
      is_path = 1;
  if (hint && !is_path) {
    snprintf(msg, sizeof msg, "unknown parameter %s for %s; did you mean '%s'?",
             got, op->id, hint);
  } else if (is_path) {
    snprintf(msg, sizeof msg, "unknown parameter %s for %s; path values go "
             "in the path table (cfg:build(op, path, params))", got, op->id);
  } else {
    len = (size_t)snprintf(msg, sizeof msg, "unknown parameter %s for %s",
                           got, op->id);
    for (i = 0; i < op->nparams && len < sizeof msg - 80; i++) {
      const tw_param *p = &op->params[i];
      if (p->in == TW_IN_PATH) continue;
      len += (size_t)snprintf(msg + len, sizeof msg - len, "%s%s",
                              len && msg[len - 1] != ')' &&
                              strstr(msg, "(valid: ") ? ", " : " (valid: ",
                              p->name);
    }
    if (strstr(msg, "(valid: ") && len < sizeof msg - 2)
      snprintf(msg + len, sizeof msg - len, ")");
    else if (len < sizeof msg - 30)
      snprintf(msg + len, sizeof msg - len, " (it takes no parameters)");
  }
  lua_pushlstring(L, key, n);
  return fail(L, op->id, lua_tostring(L, -1), msg);
}

/* Validates the Lua value at idx for p. Returns 1, or pushes nil, err. */
static int check_value(lua_State *L, const tw_op *op, const tw_param *p,
                       int idx, long long *ival) {
  char msg[600], got[200];
  const char *why;
  int t = lua_type(L, idx);
  /* Clearing (tw_param_clearable): "" or twilio.null (core.null, the NULL
   * light userdata, which is also cjson.null and ngx.null) sends it empty. */
  if ((t == LUA_TSTRING && lua_rawlen(L, idx) == 0) ||
      (t == LUA_TLIGHTUSERDATA && lua_touserdata(L, idx) == NULL)) {
    if (tw_param_clearable(p) || (t == LUA_TSTRING && (p->flags & TW_P_EMPTY_OK))) {
      lua_pushliteral(L, "");
      lua_replace(L, idx);
      return 1;
    }
    if (t == LUA_TLIGHTUSERDATA) {
      snprintf(msg, sizeof msg, "%s cannot be cleared (twilio.null); give %s",
               p->name, type_word(p));
      fail(L, op->id, p->name, msg);
      return 0;
    }
  }
  if (p->type == TW_T_BOOLEAN) {
    if (t == LUA_TBOOLEAN) return 1;
    describe(L, idx, got, sizeof got);
    snprintf(msg, sizeof msg, "%s must be a boolean (true or false) (got %s)",
             p->name, got);
    fail(L, op->id, p->name, msg);
    return 0;
  }
  if (t == LUA_TNUMBER &&
      (p->fmt == TW_F_INT || (p->flags & TW_P_INT_OR_STR))) {
    if (!get_integer(L, idx, ival)) {
      describe(L, idx, got, sizeof got);
      snprintf(msg, sizeof msg, "%s must be %s (got %s)", p->name,
               p->fmt == TW_F_INT ? "an integer"
               : "a 3-digit area code like 415", got);
      fail(L, op->id, p->name, msg);
      return 0;
    }
    if (p->fmt == TW_F_AREA_CODE) {
      if (tw_valid_area_code_int(*ival)) return 1;
      snprintf(msg, sizeof msg, "%s must be a 3-digit area code like 415 "
               "(got %lld)", p->name, *ival);
      fail(L, op->id, p->name, msg);
      return 0;
    }
    if (tw_check_integer(p, *ival) == NULL) return 1;
    if ((p->flags & TW_P_HAS_MIN) && (p->flags & TW_P_HAS_MAX))
      snprintf(msg, sizeof msg, "%s must be between %lld and %lld (got %lld)",
               p->name, p->min, p->max, *ival);
    else if (p->flags & TW_P_HAS_MIN)
      snprintf(msg, sizeof msg, "%s must be >= %lld (got %lld)", p->name,
               p->min, *ival);
    else
      snprintf(msg, sizeof msg, "%s must be <= %lld (got %lld)", p->name,
               p->max, *ival);
    fail(L, op->id, p->name, msg);
    return 0;
  }
  if (t == LUA_TSTRING && p->fmt != TW_F_INT) {
    size_t n;
    const char *s = lua_tolstring(L, idx, &n);
    why = tw_check_string(p, s, n);
    if (!why) return 1;
    quote(got, sizeof got, s, n);
    if (p->fmt == TW_F_ENUM && n > 0) {
      size_t i, len = (size_t)snprintf(msg, sizeof msg, "%s must be one of ",
                                       p->name);
      for (i = 0; p->enumv[i]; i++)
        len += (size_t)snprintf(msg + len, sizeof msg - len, "%s'%s'",
                                i ? ", " : "", p->enumv[i]);
      snprintf(msg + len, sizeof msg - len, " (case-sensitive; got %s)", got);
    } else {
      snprintf(msg, sizeof msg, "%s must be %s (got %s)", p->name, why, got);
    }
    fail(L, op->id, p->name, msg);
    return 0;
  }
  describe(L, idx, got, sizeof got);
  snprintf(msg, sizeof msg, "%s must be %s (got %s)", p->name, type_word(p),
           got);
  fail(L, op->id, p->name, msg);
  return 0;
}

/* Checks the path table and writes the URL (base + path) into url. */
static int build_path(lua_State *L, const ltw_config *cfg, const tw_op *op,
                      int path_idx, char *url, size_t cap) {
  char msg[400];
  const char *t = op->path;
  size_t o = strlen(cfg->base_url);   /* < sizeof base_url <= cap */
  memcpy(url, cfg->base_url, o);
  if (path_idx) {
    lua_pushnil(L);
    while (lua_next(L, path_idx)) {
      size_t n, i;
      const char *k;
      int known = 0;
      if (lua_type(L, -2) != LUA_TSTRING) {
        char got[160];
        describe(L, -2, got, sizeof got);
        snprintf(msg, sizeof msg, "path keys must be strings like 'sid' "
                 "(got %s)", got);
        return fail(L, op->id, NULL, msg);
      }
      k = lua_tolstring(L, -2, &n);
      for (i = 0; PATH_KEYS[i]; i++)
        if (strlen(PATH_KEYS[i]) == n && memcmp(PATH_KEYS[i], k, n) == 0)
          known = 1;
      if (!known) {
        char got[160];
        quote(got, sizeof got, k, n);
        snprintf(msg, sizeof msg, "unknown path key %s for %s (path keys: "
                 "account_sid, sid, resource_sid, assigned_add_on_sid, "
                 "country_code)", got, op->id);
        lua_pushvalue(L, -2);
        return fail(L, op->id, lua_tostring(L, -1), msg);
      }
      lua_pop(L, 1);
    }
  }
  while (*t) {
    if (*t == '{') {
      const char *end = strchr(t, '}');
      const tw_param *p = tw_op_path_param(op, t + 1, (size_t)(end - t - 1));
      const char *s;
      size_t n;
      long long unused;
      if (path_idx) lua_getfield(L, path_idx, p->name);
      else lua_pushnil(L);
      if (lua_isnil(L, -1)) {
        lua_pop(L, 1);
        if (strcmp(p->wire, "AccountSid") == 0) {
          s = cfg->account_sid;
          n = 34;
        } else {
          snprintf(msg, sizeof msg, "%s is required for %s (%s)", p->name,
                   op->id, p->fmt == TW_F_COUNTRY ? "two upper-case letters like US"
                   : "a SID in the path table");
          return fail(L, op->id, p->name, msg);
        }
      } else {
        if (!check_value(L, op, p, lua_gettop(L), &unused)) return 2;
        s = lua_tolstring(L, -1, &n);
        lua_pop(L, 1);           /* anchored in the path table */
      }
      /* validated: only [A-Za-z0-9], nothing to encode */
      if (o + n + 1 >= cap) return fail(L, op->id, p->name, "URL too long");
      memcpy(url + o, s, n);
      o += n;
      t = end + 1;
    } else {
      if (o + 1 >= cap) return fail(L, op->id, NULL, "URL too long");
      url[o++] = *t++;
    }
  }
  url[o] = '\0';
  return 0;
}

static int cfg_build(lua_State *L) {
  ltw_config *cfg = check_config(L);
  size_t opn, i, npresent = 0;
  const char *opid = luaL_checklstring(L, 2, &opn);
  const tw_op *op = tw_op_find(opid, opn);
  const tw_param *present[MAX_PARAMS];
  long long ivals[MAX_PARAMS];
  unsigned char given[MAX_PARAMS];   /* given[i]: params has op->params[i] */
  char url[1024];
  int path_idx = 0, params_idx = 0, base, form;
  int has_phone = 0, has_area = 0;

  if (!op) {
    const char *best = NULL;
    size_t d = (size_t)-1;
    for (i = 0; i < tw_nops; i++) {
      size_t e = tw_levenshtein(opid, opn, tw_ops[i].id, strlen(tw_ops[i].id));
      if (e < d) { d = e; best = tw_ops[i].id; }
    }
    if (best && d <= 4)
      lua_pushfstring(L, "unknown operation '%s' (did you mean '%s'?)",
                      opid, best);
    else
      lua_pushfstring(L, "unknown operation '%s' (see core.operations())",
                      opid);
    return luaL_argerror(L, 2, lua_tostring(L, -1));
  }
  if (op->nparams > MAX_PARAMS)
    return luaL_error(L, "twilio: %s has too many parameters", op->id);
  memset(given, 0, op->nparams);
  if (!lua_isnoneornil(L, 3)) { luaL_checktype(L, 3, LUA_TTABLE); path_idx = 3; }
  if (!lua_isnoneornil(L, 4)) { luaL_checktype(L, 4, LUA_TTABLE); params_idx = 4; }
  lua_settop(L, 4);
  luaL_checkstack(L, MAX_PARAMS + 10, "twilio: request too large");

  /* 1. path */
  if (build_path(L, cfg, op, path_idx, url, sizeof url)) return 2;

  /* 2. every key is a known parameter holding a scalar */
  if (params_idx) {
    lua_pushnil(L);
    while (lua_next(L, params_idx)) {
      size_t n;
      const char *k;
      const tw_param *p;
      if (lua_type(L, -2) != LUA_TSTRING) {
        char msg[300], got[160];
        describe(L, -2, got, sizeof got);
        snprintf(msg, sizeof msg, "parameter names must be strings like "
                 "'friendly_name' (got %s key for %s)", got, op->id);
        return fail(L, op->id, NULL, msg);
      }
      k = lua_tolstring(L, -2, &n);
      p = tw_op_param(op, k, n);
      if (!p) return unknown_param(L, op, k, n);
      given[p - op->params] = 1;
      lua_pop(L, 1);
    }
  }

  /* 3. each parameter in table order: type, format, range; the values
   *    stay on the stack (base+1 ...) for encoding */
  base = lua_gettop(L);
  for (i = 0; i < op->nparams; i++) {
    const tw_param *p = &op->params[i];
    if (p->in == TW_IN_PATH) continue;
    if (!given[i]) {                 /* not a key of params (step 2) */
      if (p->flags & TW_P_REQUIRED) {
        char msg[300];
        snprintf(msg, sizeof msg, "%s is required for %s (%s)", p->name,
                 op->id, p->fmt == TW_F_E164 ? "E.164 like +14155550100"
                 : p->fmt == TW_F_SID ? "an XE... installed add-on SID" : "a value");
        return fail(L, op->id, p->name, msg);
      }
      continue;
    }
    lua_pushstring(L, p->name);
    lua_rawget(L, params_idx);       /* not nil: lua_next gave it */
    if (!check_value(L, op, p, lua_gettop(L), &ivals[npresent])) return 2;
    if (strcmp(p->name, "phone_number") == 0) has_phone = 1;
    if (strcmp(p->name, "area_code") == 0) has_area = 1;
    present[npresent++] = p;
  }

  /* 4. cross-parameter rules */
  if (op->rule == TW_RULE_PHONE_OR_AREA) {
    char msg[300];
    if (!has_phone && !has_area) {
      snprintf(msg, sizeof msg, "%s needs phone_number (E.164 like "
               "+14155550100) or area_code (like 415)", op->id);
      return fail(L, op->id, "phone_number", msg);
    }
    if (has_phone && has_area) {
      snprintf(msg, sizeof msg, "%s takes phone_number or area_code, not both",
               op->id);
      return fail(L, op->id, "area_code", msg);
    }
  }

  /* 5. encode: query for GET/DELETE, form body for POST */
  form = strcmp(op->method, "POST") == 0;
  {
    luaL_Buffer b;
    luaL_buffinit(L, &b);
    if (!form) {
      luaL_addstring(&b, url);
      if (npresent) luaL_addchar(&b, '?');
    }
    for (i = 0; i < npresent; i++) {
      const tw_param *p = present[i];
      int idx = base + 1 + (int)i;
      if (i) luaL_addchar(&b, '&');
      luaL_addstring(&b, p->wire);           /* [A-Za-z]: no encoding */
      luaL_addchar(&b, '=');
      if (lua_type(L, idx) == LUA_TBOOLEAN) {
        luaL_addstring(&b, lua_toboolean(L, idx) ? "true" : "false");
      } else if (lua_type(L, idx) == LUA_TNUMBER) {
        char num[32];
        snprintf(num, sizeof num, "%lld", ivals[i]);
        luaL_addstring(&b, num);
      } else {
        size_t n;
        const char *s = lua_tolstring(L, idx, &n);
        add_encoded(&b, s, n);
      }
    }
    luaL_pushresult(&b);
  }
  if (form) {
    lua_pushstring(L, url);
    lua_insert(L, -2);                       /* url, body */
  } else {
    lua_pushnil(L);                          /* url, nil */
  }
  push_request(L, op->method, op->id, op->idempotent, form);
  return 1;
}

/* ---- cfg:follow ---------------------------------------------------------- */

static int cfg_follow(lua_State *L) {
  ltw_config *cfg = check_config(L);
  size_t n;
  const char *uri = luaL_checklstring(L, 2, &n);
  const char *op = luaL_optstring(L, 3, NULL);
  const char *path = NULL;
  size_t pathn = 0;
  char msg[1024], got[200];

  if (op && !tw_op_find(op, strlen(op)))
    return luaL_argerror(L, 3, "unknown operation");
  if (n > 0 && uri[0] == '/') {
    if (tw_valid_rel_uri(uri, n)) { path = uri; pathn = n; }
  } else if (memchr(uri, ':', n)) {
    /* absolute: must be on the configured scheme + host + port */
    const char *sep = strstr(uri, "://");
    if (sep && (size_t)(sep - uri) < 8 && memchr(uri, '\0', n) == NULL) {
      const char *slash = strchr(sep + 3, '/');
      tw_base other;
      const char *why;
      if (slash && tw_parse_base(uri, (size_t)(slash - uri), &other, &why) &&
          strcmp(other.scheme, cfg->base.scheme) == 0 &&
          strcmp(other.host, cfg->base.host) == 0 &&
          other.port == cfg->base.port &&
          tw_valid_rel_uri(slash, n - (size_t)(slash - uri))) {
        path = slash;
        pathn = n - (size_t)(slash - uri);
      }
    }
  }
  if (!path) {
    quote(got, sizeof got, uri, n);
    snprintf(msg, sizeof msg, "next page URI must be a path starting with "
             "/2010-04-01/ or a URL on %s, without spaces, control bytes or "
             "dot segments (got %s)", cfg->base_url, got);
    return fail(L, op, "uri", msg);
  }
  {
    luaL_Buffer b;
    luaL_buffinit(L, &b);
    luaL_addstring(&b, cfg->base_url);
    luaL_addlstring(&b, path, pathn);        /* verbatim */
    luaL_pushresult(&b);
  }
  lua_pushnil(L);
  push_request(L, "GET", op, 1, 0);
  return 1;
}

/* ---- core.operations --------------------------------------------------- */

static const char *const TYPE_NAMES[] = { "", "string", "boolean", "integer" };
static const char *const IN_NAMES[] = { "", "path", "query", "form" };
static const char *const FMT_NAMES[] = {
  "", "line", "text", "token", "sid", "e164", "phone_filter", "contains",
  "area_code", "url", "enum", "country", "latlong", "api_version", "boolean",
  "integer" };

static void push_param(lua_State *L, const tw_param *p) {
  lua_createtable(L, 0, 14);
  lua_pushstring(L, p->name);   lua_setfield(L, -2, "name");
  lua_pushstring(L, p->wire);   lua_setfield(L, -2, "wire");
  lua_pushstring(L, TYPE_NAMES[p->type]); lua_setfield(L, -2, "type");
  lua_pushstring(L, IN_NAMES[p->in]);     lua_setfield(L, -2, "in");
  lua_pushstring(L, FMT_NAMES[p->fmt]);   lua_setfield(L, -2, "check");
  lua_pushboolean(L, (p->flags & TW_P_REQUIRED) != 0);
  lua_setfield(L, -2, "required");
  if (p->pattern) { lua_pushstring(L, p->pattern); lua_setfield(L, -2, "pattern"); }
  if (p->format) { lua_pushstring(L, p->format); lua_setfield(L, -2, "format"); }
  if (p->sid_prefix) { lua_pushstring(L, p->sid_prefix); lua_setfield(L, -2, "sid_prefix"); }
  if (p->enumv) {
    int k;
    lua_newtable(L);
    for (k = 0; p->enumv[k]; k++) {
      lua_pushstring(L, p->enumv[k]);
      lua_rawseti(L, -2, k + 1);
    }
    lua_setfield(L, -2, "enum");
  }
  if (p->flags & TW_P_HAS_MIN) { lua_pushinteger(L, (lua_Integer)p->min); lua_setfield(L, -2, "min"); }
  if (p->flags & TW_P_HAS_MAX) { lua_pushinteger(L, (lua_Integer)p->max); lua_setfield(L, -2, "max"); }
  if (p->maxlen && p->type == TW_T_STRING) {
    lua_pushinteger(L, (lua_Integer)p->maxlen);
    lua_setfield(L, -2, "max_length");
  }
  if (p->flags & TW_P_INT_OR_STR) {
    lua_pushboolean(L, 1);
    lua_setfield(L, -2, "int_or_string");
  }
  if (p->flags & TW_P_EMPTY_OK) {
    lua_pushboolean(L, 1);
    lua_setfield(L, -2, "empty_ok");
  }
  if (tw_param_clearable(p)) {
    lua_pushboolean(L, 1);
    lua_setfield(L, -2, "clearable");
  }
  if (p->note) { lua_pushstring(L, p->note); lua_setfield(L, -2, "note"); }
}

static int l_operations(lua_State *L) {
  size_t i, j;
  lua_createtable(L, 0, (int)tw_nops);
  for (i = 0; i < tw_nops; i++) {
    const tw_op *op = &tw_ops[i];
    lua_createtable(L, 0, 6);
    lua_pushstring(L, op->method); lua_setfield(L, -2, "method");
    lua_pushstring(L, op->path);   lua_setfield(L, -2, "path");
    lua_pushboolean(L, op->idempotent); lua_setfield(L, -2, "idempotent");
    if (op->note) { lua_pushstring(L, op->note); lua_setfield(L, -2, "note"); }
    if (op->rule == TW_RULE_PHONE_OR_AREA) {
      lua_pushliteral(L, "phone_number|area_code");
      lua_setfield(L, -2, "one_of");
    }
    lua_createtable(L, (int)op->nparams, 0);
    for (j = 0; j < op->nparams; j++) {
      push_param(L, &op->params[j]);
      lua_rawseti(L, -2, (int)j + 1);
    }
    lua_setfield(L, -2, "params");
    lua_setfield(L, -2, op->id);
  }
  return 1;
}

/* ---- core.urlencode / core.base64 --------------------------------------- */

static int l_urlencode(lua_State *L) {
  size_t n;
  const char *s = luaL_checklstring(L, 1, &n);
  luaL_Buffer b;
  luaL_buffinit(L, &b);
  add_encoded(&b, s, n);
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

static const luaL_Reg cfg_methods[] = {
  { "account_sid", cfg_account_sid },
  { "base_url", cfg_base_url },
  { "host", cfg_host },
  { "port", cfg_port },
  { "scheme", cfg_scheme },
  { "build", cfg_build },
  { "follow", cfg_follow },
  { NULL, NULL }
};

void ltw_open_request(lua_State *L) {
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
  lua_pushcfunction(L, l_operations);
  lua_setfield(L, -2, "operations");
  lua_pushcfunction(L, l_urlencode);
  lua_setfield(L, -2, "urlencode");
  lua_pushcfunction(L, l_base64);
  lua_setfield(L, -2, "base64");
  lua_pushlightuserdata(L, NULL);      /* twilio.null: clears a field */
  lua_setfield(L, -2, "null");
}
