/* ltw_request.c -- cfg:build(op, path, params[, format]) and
 * cfg:follow(uri[, op]): a caller's request checked and turned into a
 * request table { method, url, headers, body, op, idempotent }.
 *
 * Everything a caller gives is validated here, in C, before a request table
 * exists: the transport only ever sees requests that passed. Expected
 * failures return nil, err (kind "invalid", field, op); misuse of the API
 * itself (unknown operationId, a non-table where a table belongs) raises.
 * The checks and their messages are here (tw_validate.c decides, this file
 * words it); the URL and the encoding are assembled by tw_request.c.
 *
 * Memory: no heap allocation at all. URLs and messages are built in bounded
 * arrays on the C stack or in luaL_Buffers, so a Lua error (OOM) at any
 * point leaks nothing. */
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include "ltw.h"
#include "tw_ops.h"
#include "tw_request.h"
#include "tw_validate.h"
#include "ltw_call.h"

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

/* ---- the request table -------------------------------------------------- */

#define SHARED_HEADERS_MT "twilio.SharedHeaders"

/* Pushes the headers table; the config is at stack index 1.
 * The JSON forms (with and without a form body: every request but a CSV
 * one) share one table per config, made on first use and kept in its
 * uservalue: the same four lines every call, so no new table each time
 * (callgrind, bench/call_layers.lua fetch: -3.4 k instructions per fetch,
 * docs/PERFORMANCE-HISTORY.md round 2b). A caller must not change req.headers (the
 * transports read it); adding a header to it raises (SHARED_HEADERS_MT):
 * copy it to change it. A CSV request gets a table of its own. */
static void push_headers(lua_State *L, int form, tw_repr repr) {
  int slot = form ? LTW_UV_HDR_FORM : LTW_UV_HDR_GET;
  twl_getuv(L, 1);                   /* { auth, ua, shared tables } */
  if (repr == TW_REPR_JSON) {
    lua_rawgeti(L, -1, slot);
    if (lua_type(L, -1) == LUA_TTABLE) {
      lua_remove(L, -2);
      return;
    }
    lua_pop(L, 1);
  }
  lua_createtable(L, 0, 4);
  lua_rawgeti(L, -2, LTW_UV_AUTH);
  lua_setfield(L, -2, "Authorization");
  lua_rawgeti(L, -2, LTW_UV_UA);
  lua_setfield(L, -2, "User-Agent");
  if (repr == TW_REPR_CSV) lua_pushliteral(L, "text/csv");
  else lua_pushliteral(L, "application/json");
  lua_setfield(L, -2, "Accept");
  if (form) {
    lua_pushliteral(L, "application/x-www-form-urlencoded");
    lua_setfield(L, -2, "Content-Type");
  }
  if (repr == TW_REPR_JSON) {
    luaL_setmetatable(L, SHARED_HEADERS_MT);
    lua_pushvalue(L, -1);
    lua_rawseti(L, -3, slot);        /* the config's uservalue keeps it */
  }
  lua_remove(L, -2);                 /* the uservalue */
}

static int shared_headers_newindex(lua_State *L) {
  return luaL_error(L, "twilio: req.headers is shared by every request of "
                    "this client: copy it to add a header");
}

/* Expects url (and body, or nil) on the top of the stack; replaces them with
 * the request table. The config is at stack index 1. Room for the fields
 * the client and transports add (timeout_ms, connect_timeout_ms, max_body,
 * fresh_connect, body_object): no rehash when they are set. */
void ltw_push_request(lua_State *L, const char *method, const char *op,
                      int idempotent, int form, tw_repr repr) {
  lua_createtable(L, 0, 11);
  lua_insert(L, -3);                 /* req, url, body */
  lua_setfield(L, -3, "body");
  lua_setfield(L, -2, "url");
  lua_pushstring(L, method);
  lua_setfield(L, -2, "method");
  push_headers(L, form, repr);
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
/* ---- cfg:build ---------------------------------------------------------- */

static const char *const PATH_KEYS[] = {
  "account_sid", "sid", "resource_sid", "assigned_add_on_sid",
  "country_code", NULL };

#define NPATH_KEYS 5

/* The index of k[0..n) in PATH_KEYS (their lengths compared first), or -1. */
static int path_key(const char *k, size_t n) {
  static const unsigned char LEN[NPATH_KEYS] = { 11, 3, 12, 19, 12 };
  int i;
  for (i = 0; i < NPATH_KEYS; i++)
    if (LEN[i] == n && memcmp(PATH_KEYS[i], k, n) == 0) return i;
  return -1;
}

/* Whether k[0..n) is one of PATH_KEYS; cfg:rebuild_url (ltw_rebuild.c)
 * asks it too. */
int ltw_is_path_key(const char *k, size_t n) {
  return path_key(k, n) >= 0;
}

/* op's parameter named k[0..n) (tw_op_param), through the config's hints:
 * the key's string (a Lua string: the same address while it lives, and a
 * params table usually gives the same few keys call after call) picks a
 * slot, whose parameter is taken when its name is k (tw_op_param_at); otherwise the
 * operation's list is searched and the slot remembers the answer. */
static const tw_param *find_param(ltw_config *cfg, const tw_op *op, const char *k,
                                  size_t n) {
  uintptr_t a = (uintptr_t)k;
  size_t slot = (size_t)((a >> 4) ^ (a >> 10)) % LTW_HINTS;
  const tw_param *p;
  if (cfg->hint[slot].key == k && cfg->hint[slot].op == (const void *)op &&
      (p = tw_op_param_at(op, cfg->hint[slot].param, k, n)) != NULL)
    return p;
  p = tw_op_param(op, k, n);
  if (p) {
    cfg->hint[slot].key = k;
    cfg->hint[slot].op = op;
    cfg->hint[slot].param = (unsigned)(p - op->params);
  }
  return p;
}

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
  ltw_quote(got, sizeof got, key, n);
  is_path = ltw_is_path_key(key, n);
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
  return ltw_invalid(L, op->id, lua_tostring(L, -1), msg);
}

/* Validates the Lua value at idx for p and describes it in *v (p, kind,
 * and s, n or i: a string stays anchored at idx). Returns 1, or pushes
 * nil, err. */
static int check_value(lua_State *L, const tw_op *op, const tw_param *p,
                       int idx, tw_value *v) {
  char msg[600], got[200];
  const char *why;
  long long *ival = &v->i;
  int t = lua_type(L, idx);
  size_t n = 0;
  const char *s = t == LUA_TSTRING ? lua_tolstring(L, idx, &n) : NULL;
  v->p = p;
  /* Clearing (tw_param_clearable): "" or twilio.null (core.null, the NULL
   * light userdata, which is also cjson.null and ngx.null) sends it empty. */
  if ((t == LUA_TSTRING && n == 0) ||
      (t == LUA_TLIGHTUSERDATA && lua_touserdata(L, idx) == NULL)) {
    if (tw_param_clearable(p) || (t == LUA_TSTRING && (p->flags & TW_P_EMPTY_OK))) {
      if (t != LUA_TSTRING) {
        lua_pushliteral(L, "");
        lua_replace(L, idx);
      }
      v->kind = TW_V_STRING;
      v->s = "";
      v->n = 0;
      return 1;
    }
    if (t == LUA_TLIGHTUSERDATA) {
      snprintf(msg, sizeof msg, "%s cannot be cleared (twilio.null); give %s",
               p->name, type_word(p));
      ltw_invalid(L, op->id, p->name, msg);
      return 0;
    }
  }
  if (p->type == TW_T_BOOLEAN) {
    if (t == LUA_TBOOLEAN) {
      v->kind = TW_V_BOOLEAN;
      v->i = lua_toboolean(L, idx);
      return 1;
    }
    ltw_describe(L, idx, got, sizeof got);
    snprintf(msg, sizeof msg, "%s must be a boolean (true or false) (got %s)",
             p->name, got);
    ltw_invalid(L, op->id, p->name, msg);
    return 0;
  }
  if (t == LUA_TNUMBER &&
      (p->fmt == TW_F_INT || (p->flags & TW_P_INT_OR_STR))) {
    if (!get_integer(L, idx, ival)) {
      ltw_describe(L, idx, got, sizeof got);
      snprintf(msg, sizeof msg, "%s must be %s (got %s)", p->name,
               p->fmt == TW_F_INT ? "an integer"
               : "a 3-digit area code like 415", got);
      ltw_invalid(L, op->id, p->name, msg);
      return 0;
    }
    v->kind = TW_V_INTEGER;
    if (p->fmt == TW_F_AREA_CODE) {
      if (tw_valid_area_code_int(*ival)) return 1;
      snprintf(msg, sizeof msg, "%s must be a 3-digit area code like 415 "
               "(got %lld)", p->name, *ival);
      ltw_invalid(L, op->id, p->name, msg);
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
    ltw_invalid(L, op->id, p->name, msg);
    return 0;
  }
  if (t == LUA_TSTRING && p->fmt != TW_F_INT) {
    why = tw_check_string(p, s, n);
    if (!why) {
      v->kind = TW_V_STRING;
      v->s = s;
      v->n = n;
      return 1;
    }
    ltw_quote(got, sizeof got, s, n);
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
    ltw_invalid(L, op->id, p->name, msg);
    return 0;
  }
  ltw_describe(L, idx, got, sizeof got);
  snprintf(msg, sizeof msg, "%s must be %s (got %s)", p->name, type_word(p),
           got);
  ltw_invalid(L, op->id, p->name, msg);
  return 0;
}

/* The path parameters of op in template order (tw_request_placeholders)
 * and the path table's key each one reads (path_key of its name, -1: none),
 * parsed once per config and operation; (size_t)-1 for a bad template. */
typedef char ltw_ph_cap_check[(LTW_PH_CAP == TW_PATH_MAX) ? 1 : -1];
static size_t placeholders(ltw_config *cfg, const tw_op *op, const tw_param **ph, int *key) {
  size_t i = (size_t)(op - tw_ops), n, j;
  if (i >= LTW_OPS_CAP || cfg->nph[i] == 0) {
    n = tw_request_placeholders(op, ph, TW_PATH_MAX);
    if (n == (size_t)-1) return n;           /* not kept: said each time */
    for (j = 0; j < n; j++) key[j] = path_key(ph[j]->name, strlen(ph[j]->name));
    if (i >= LTW_OPS_CAP) return n;
    for (j = 0; j < n; j++) {
      cfg->ph[i][j] = (unsigned char)(ph[j] - op->params);
      cfg->phkey[i][j] = (signed char)key[j];
    }
    cfg->nph[i] = (signed char)(n + 1);
    return n;
  }
  n = (size_t)cfg->nph[i] - 1;
  for (j = 0; j < n; j++) {
    ph[j] = &op->params[cfg->ph[i][j]];
    key[j] = cfg->phkey[i][j];
  }
  return n;
}

/* The URL prefix (cfg->url): the placeholders before the last one all hold
 * the config's account SID (build_path gives its bytes, checked when the
 * config was made), so base URL, template and those values are the same
 * for every call of the operation; only the last value changes. */
static int url_ours(const ltw_config *cfg, const tw_value *seg, size_t nseg) {
  size_t j;
  for (j = 0; j + 1 < nseg; j++)
    if (seg[j].s != cfg->account_sid) return 0;
  return 1;
}

/* Keeps url (tw_request_url's, for op; last: its last placeholder's value)
 * as cfg->url for op's template, when the template has text after its last placeholder and
 * no other placeholder there. */
static void url_keep(ltw_config *cfg, const tw_op *op, const tw_value *last,
                     const char *url) {
  const char *close = strrchr(op->path, '}');
  size_t tailn, n = strlen(url);
  if (!close) return;
  tailn = strlen(close + 1);
  if (n < tailn + last->n || n - tailn - last->n >= sizeof cfg->url.prefix) return;
  cfg->url.plen = n - tailn - last->n;
  memcpy(cfg->url.prefix, url, cfg->url.plen);
  cfg->url.tail = close + 1;
  cfg->url.tailn = tailn;
  cfg->url.path = op->path;
}

/* Whether cfg->url was kept for op's path template (the prefix depends on
 * the base URL, the template and the account SID, not on the operation). */
static int url_kept_for(const ltw_config *cfg, const tw_op *op) {
  return cfg->url.path && (cfg->url.path == op->path || strcmp(cfg->url.path, op->path) == 0);
}

/* The URL from cfg->url with last as the last placeholder's value: 1, or
 * 0 when that value is no path segment or the URL does not fit (then
 * tw_request_url says which). */
static int url_with_prefix(const ltw_config *cfg, const tw_value *last, char *url,
                           size_t cap) {
  return last->kind == TW_V_STRING && tw_request_segment_ok(last->s, last->n) &&
         tw_request_splice(url, cap, cfg->url.prefix, cfg->url.plen, last->s, last->n,
                           cfg->url.tail, cfg->url.tailn) > 0;
}

/* The path table's values are kept on the stack as its keys are checked
 * (at[key's index in PATH_KEYS]), so the placeholders read them there. */
static int build_path(lua_State *L, ltw_config *cfg, const tw_op *op,
                      int path_idx, int sid_idx, tw_repr repr, char *url, size_t cap) {
  char msg[400];
  const tw_param *ph[TW_PATH_MAX], *bad;
  tw_value seg[TW_PATH_MAX];
  int at[NPATH_KEYS] = { 0, 0, 0, 0, 0 }, phkey[TW_PATH_MAX];
  size_t nseg, j;
  if (path_idx) {
    lua_pushnil(L);
    while (lua_next(L, path_idx)) {
      size_t n;
      int key;
      const char *k;
      if (lua_type(L, -2) != LUA_TSTRING) {
        char got[160];
        ltw_describe(L, -2, got, sizeof got);
        snprintf(msg, sizeof msg, "path keys must be strings like 'sid' "
                 "(got %s)", got);
        return ltw_invalid(L, op->id, NULL, msg);
      }
      k = lua_tolstring(L, -2, &n);
      key = path_key(k, n);
      if (key < 0) {
        char got[160];
        ltw_quote(got, sizeof got, k, n);
        snprintf(msg, sizeof msg, "unknown path key %s for %s (path keys: "
                 "account_sid, sid, resource_sid, assigned_add_on_sid, "
                 "country_code)", got, op->id);
        lua_pushvalue(L, -2);
        return ltw_invalid(L, op->id, lua_tostring(L, -1), msg);
      }
      at[key] = lua_gettop(L);       /* the value stays, a copy of its */
      lua_pushvalue(L, -2);          /* key goes on (cheaper than lua_insert) */
    }
  }
  if (sid_idx) at[1] = sid_idx;        /* PATH_KEYS[1]: "sid" */
  nseg = placeholders(cfg, op, ph, phkey);
  if (nseg == (size_t)-1)
    return luaL_error(L, "twilio: %s: bad path template", op->id);
  for (j = 0; j < nseg; j++) {
    const tw_param *p = ph[j];
    int idx = phkey[j] >= 0 ? at[phkey[j]] : 0;  /* 0: not in the path table */
    seg[j].p = p;
    seg[j].kind = TW_V_STRING;
    if (idx == 0) {
      if (strcmp(p->wire, "AccountSid") == 0) {
        seg[j].s = cfg->account_sid;
        seg[j].n = 34;
      } else {
        snprintf(msg, sizeof msg, "%s is required for %s (%s)", p->name,
                 op->id, p->fmt == TW_F_COUNTRY ? "two upper-case letters like US"
                 : "a SID in the path table");
        return ltw_invalid(L, op->id, p->name, msg);
      }
    } else if (p->fmt == TW_F_SID && p->sid_prefix[0] == 'A' && p->sid_prefix[1] == 'C' &&
               lua_type(L, idx) == LUA_TSTRING && lua_rawlen(L, idx) == 34 &&
               memcmp(lua_tostring(L, idx), cfg->account_sid, 34) == 0) {
      /* the client's own account SID, checked as an Account SID when the
       * config was made (ltw_config.c): the check would pass again */
      seg[j].s = cfg->account_sid;
      seg[j].n = 34;
    } else {
      if (!check_value(L, op, p, idx, &seg[j])) return 2;
      if (seg[j].kind != TW_V_STRING) {  /* an integer or boolean: its text */
        seg[j].kind = TW_V_STRING;
        seg[j].s = lua_tolstring(L, idx, &seg[j].n);
      }
    }
  }
  if (nseg > 0 && repr == TW_REPR_JSON && url_kept_for(cfg, op) &&
      url_ours(cfg, seg, nseg) &&
      url_with_prefix(cfg, &seg[nseg - 1], url, cap))
    return 0;
  if (tw_request_url(url, cap, cfg->base_url, op, seg, repr, &bad) == 0)
    return ltw_invalid(L, op->id, bad ? bad->name : NULL,
                       bad ? "path value must be letters and digits" : "URL too long");
  if (nseg > 0 && repr == TW_REPR_JSON && url_ours(cfg, seg, nseg))
    url_keep(cfg, op, &seg[nseg - 1], url);
  return 0;
}

/* luaL_Buffer as tw_request_encode's output */
static void emit_buffer(void *ud, const char *s, size_t n) {
  luaL_addlstring((luaL_Buffer *)ud, s, n);
}

/* tw_request_encode's output into a fixed array; overflow: it does not fit. */
typedef struct fixed_sink {
  char *buf;
  size_t n, cap;
  int overflow;
} fixed_sink;

static void emit_fixed(void *ud, const char *s, size_t n) {
  fixed_sink *k = ud;
  if (k->overflow || n > k->cap - k->n) { k->overflow = 1; return; }
  memcpy(k->buf + k->n, s, n);
  k->n += n;
}

/* Whether the params table just checked (nent entries: keys' bytes ek,
 * values' ev and kinds evt) is the one seen last time the memo did not
 * have the table; if not, it is the one seen now. Addresses only, not
 * held: a hint of whether to keep it, never a reason to skip a check. */
static int seen_again(ltw_config *cfg, const tw_op *op, const char *const *ek,
                      const char *const *ev, const unsigned char *evt, size_t nent) {
  size_t i;
  int again = cfg->memo.seen_op == (const void *)op && cfg->memo.seen_n == nent;
  for (i = 0; i < nent; i++) {
    const char *v = evt[i] ? (const char *)(size_t)evt[i] : ev[i];
    if (again && (cfg->memo.seen_key[i] != ek[i] || cfg->memo.seen_val[i] != v)) again = 0;
    cfg->memo.seen_key[i] = ek[i];
    cfg->memo.seen_val[i] = v;
  }
  cfg->memo.seen_op = op;
  cfg->memo.seen_n = nent;
  return again;
}

/* Keeps the params table's nent entries (all checked: c->vals their
 * values; entry i's value at stack index estk[i], its key just below it,
 * as step 2 leaves them; its parameter op->params[epidx[i]], its key's
 * bytes ek[i], its value's ev[i] and kind evt[i]) as cfg's
 * memo, when their encoding fits (else no memo until the next store),
 * and points c at it.
 * Its strings go into the uservalue's [LTW_UV_MEMO], a table made with the
 * config whose array part has a slot for each: rawseti there allocates
 * nothing, so no collector step and no finalizer runs while the memo is
 * written, and nothing here can raise. */
static void memo_store(lua_State *L, ltw_config *cfg, const tw_op *op,
                       ltw_checked *c, const int *estk, const unsigned char *epidx,
                       const char *const *ek, const char *const *ev,
                       const unsigned char *evt, size_t nent) {
  fixed_sink k;
  size_t i, old = cfg->memo.n;
  k.buf = cfg->memo.enc;
  k.n = 0;
  k.cap = sizeof cfg->memo.enc;
  k.overflow = 0;
  cfg->memo.op = NULL;
  tw_request_encode(c->vals, c->nvals, emit_fixed, &k);
  if (k.overflow) return;                  /* too long to keep: no memo */
  twl_getuv(L, 1);
  lua_rawgeti(L, -1, LTW_UV_MEMO);
  for (i = 0; i < nent; i++) {             /* step 2's copies, in its order */
    int v = estk[i];
    cfg->memo.key[i] = ek[i];
    cfg->memo.pidx[i] = epidx[i];
    cfg->memo.val[i] = ev[i];
    cfg->memo.vt[i] = evt[i];
    lua_pushvalue(L, v - 1);
    lua_rawseti(L, -2, (int)(2 * i + 1));
    lua_pushvalue(L, v);
    lua_rawseti(L, -2, (int)(2 * i + 2));
  }
  for (; i < old; i++) {                   /* the last memo's other strings go */
    lua_pushnil(L);
    lua_rawseti(L, -2, (int)(2 * i + 1));
    lua_pushnil(L);
    lua_rawseti(L, -2, (int)(2 * i + 2));
  }
  lua_pop(L, 2);                           /* the memo's table, the uservalue */
  cfg->memo.n = nent;
  cfg->memo.enc_len = k.n;
  cfg->memo.op = op;
  c->enc = cfg->memo.enc;
  c->enc_len = k.n;
}

/* Steps 0-4 of cfg:build: the operation (its name at stack index 2), the
 * path table (3) and the params table (4) of the config at 1 checked, the
 * URL written into c->url and the values to send listed in c->vals (their
 * strings anchored in params or pushed above the arguments). repr_idx: the
 * stack index of the representation argument ("json" | "csv"), or 0 for
 * JSON. sid_alone: a string at 3 stands for the path table { sid = it }
 * (the config's own account; core.call_record's). Returns 0, or 2 with nil, err pushed (an expected failure); misuse
 * raises. Leaves values on the stack above the arguments: call it with the
 * arguments at 1..4 and whatever the caller keeps above them. */
int ltw_request_check(lua_State *L, ltw_config *cfg, int repr_idx, int sid_alone,
                      ltw_checked *c) {
  size_t opn, i, npresent = 0;
  const char *opid = luaL_checklstring(L, 2, &opn);
  const tw_op *op = cfg->last_op;

  unsigned char given[LTW_MAX_PARAMS];  /* given[i]: params has op->params[i] */
  int at[LTW_MAX_PARAMS];               /* given[i]: its value's stack index */
  int idx;
  int path_idx = 0, params_idx = 0, sid_idx = 0;
  int has_phone = 0, has_area = 0, memoable = 1;
  size_t nent = 0;                      /* params entries */
  int estk[LTW_MEMO_MAX];               /* the first ones' values' stack indexes, */
  unsigned char epidx[LTW_MEMO_MAX];    /* their parameters' indexes, */
  const char *ek[LTW_MEMO_MAX];         /* their keys' bytes */
  const char *ev[LTW_MEMO_MAX];         /* their string values' bytes (or NULL) */
  unsigned char evt[LTW_MEMO_MAX];      /* and kinds, as the memo keeps them */
  tw_repr repr = TW_REPR_JSON;

  if (!op || opn != cfg->last_opn || memcmp(op->id, opid, opn) != 0) {
    op = tw_op_find(opid, opn);
    if (op) {
      cfg->last_op = op;
      cfg->last_opn = opn;
    }
  }
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
  if (op->nparams > LTW_MAX_PARAMS)
    return luaL_error(L, "twilio: %s has too many parameters", op->id);
  memset(given, 0, op->nparams);
  if (sid_alone && lua_type(L, 3) == LUA_TSTRING) sid_idx = 3;   /* { sid = it } */
  else if (!lua_isnoneornil(L, 3)) { luaL_checktype(L, 3, LUA_TTABLE); path_idx = 3; }
  if (!lua_isnoneornil(L, 4)) { luaL_checktype(L, 4, LUA_TTABLE); params_idx = 4; }
  if (repr_idx && !lua_isnoneornil(L, repr_idx)) {   /* "json" | "csv" */
    static const char *const REPRS[] = { "json", "csv", NULL };
    repr = (tw_repr)luaL_checkoption(L, repr_idx, NULL, REPRS);
    if (repr == TW_REPR_CSV && strcmp(op->method, "GET") != 0)
      return luaL_argerror(L, repr_idx, "the csv form exists only for GET operations");
  }
  c->op = op;
  c->repr = repr;
  c->nvals = 0;
  c->enc = NULL;
  c->enc_len = 0;
  luaL_checkstack(L, 2 * (LTW_MAX_PARAMS + NPATH_KEYS) + 10, "twilio: request too large");

  /* 1. path */
  if (build_path(L, cfg, op, path_idx, sid_idx, repr, c->url, sizeof c->url)) return 2;

  /* 2. every key is a known parameter holding a scalar. Each entry is
   *    compared with the memo's (the last params table that passed, for
   *    this operation): a key the memo has at this place names the same
   *    parameter (the same string: the memo keeps it), so find_param is
   *    not asked; when every key and value is the memo's, in the same
   *    order and number, steps 3 and 4 gave the memo's encoding and are
   *    not done again. */
  if (params_idx) {
    int same = cfg->memo.op == (const void *)op;
    lua_pushnil(L);
    while (lua_next(L, params_idx)) {
      size_t n;
      const char *k;
      const tw_param *p;
      int vt;
      if (lua_type(L, -2) != LUA_TSTRING) {
        char msg[300], got[160];
        ltw_describe(L, -2, got, sizeof got);
        snprintf(msg, sizeof msg, "parameter names must be strings like "
                 "'friendly_name' (got %s key for %s)", got, op->id);
        return ltw_invalid(L, op->id, NULL, msg);
      }
      k = lua_tolstring(L, -2, &n);
      vt = lua_type(L, -1);
      if (nent >= LTW_MEMO_MAX || (vt != LUA_TSTRING && vt != LUA_TBOOLEAN)) {
        memoable = 0;
        same = 0;
      } else {                           /* its value as the memo has it */
        ek[nent] = k;
        evt[nent] = vt == LUA_TSTRING ? 0 : (unsigned char)(1 + lua_toboolean(L, -1));
        ev[nent] = vt == LUA_TSTRING ? lua_tostring(L, -1) : NULL;
      }
      if (same && nent < cfg->memo.n && cfg->memo.key[nent] == k) {
        p = &op->params[cfg->memo.pidx[nent]];
        same = cfg->memo.vt[nent] == evt[nent] && cfg->memo.val[nent] == ev[nent];
      } else {
        same = 0;
        p = find_param(cfg, op, k, n);
        if (!p) return unknown_param(L, op, k, n);
      }
      if (nent < LTW_MEMO_MAX) {
        estk[nent] = lua_gettop(L);
        epidx[nent] = (unsigned char)(p - op->params);
      }
      given[p - op->params] = 1;
      at[p - op->params] = lua_gettop(L);   /* the value stays for step 3, */
      lua_pushvalue(L, -2);                 /* a copy of its key goes on */
      nent++;
    }
    if (same && nent == cfg->memo.n) {      /* the memo's params: checked */
      c->nvals = nent;                      /* one value per entry (step 3) */
      c->enc = cfg->memo.enc;
      c->enc_len = cfg->memo.enc_len;
      return 0;
    }
  }

  /* 3. each parameter in table order: type, format, range; the values
   *    stay on the stack for encoding */
  for (i = 0; i < op->nparams; i++) {
    const tw_param *p = &op->params[i];
    tw_value *v = &c->vals[npresent];
    if (p->in == TW_IN_PATH) continue;
    if (!given[i]) {                 /* not a key of params (step 2) */
      if (p->flags & TW_P_REQUIRED) {
        char msg[300];
        snprintf(msg, sizeof msg, "%s is required for %s (%s)", p->name,
                 op->id, p->fmt == TW_F_E164 ? "E.164 like +14155550100"
                 : p->fmt == TW_F_SID ? "an XE... installed add-on SID" : "a value");
        return ltw_invalid(L, op->id, p->name, msg);
      }
      continue;
    }
    idx = at[i];                     /* its value, kept on the stack by step 2 */
    if (!check_value(L, op, p, idx, v)) return 2;
    if (op->rule == TW_RULE_PHONE_OR_AREA) {   /* step 4's inputs */
      if (strcmp(p->name, "phone_number") == 0) has_phone = 1;
      if (strcmp(p->name, "area_code") == 0) has_area = 1;
    }
    npresent++;
  }
  c->nvals = npresent;

  /* 4. cross-parameter rules */
  if (op->rule == TW_RULE_PHONE_OR_AREA) {
    char msg[300];
    if (!has_phone && !has_area) {
      snprintf(msg, sizeof msg, "%s needs phone_number (E.164 like "
               "+14155550100) or area_code (like 415)", op->id);
      return ltw_invalid(L, op->id, "phone_number", msg);
    }
    if (has_phone && has_area) {
      snprintf(msg, sizeof msg, "%s takes phone_number or area_code, not both",
               op->id);
      return ltw_invalid(L, op->id, "area_code", msg);
    }
  }
  if (params_idx && memoable && nent > 0) {
    if (seen_again(cfg, op, ek, ev, evt, nent))
      memo_store(L, cfg, op, c, estk, epidx, ek, ev, evt, nent);
  }
  return 0;
}

static int cfg_build(lua_State *L) {
  ltw_checked c;
  int form;
  ltw_config *cfg = ltw_check_config(L, 1);
  lua_settop(L, 5);
  if (ltw_request_check(L, cfg, 5, 0, &c)) return 2;

  /* 5. encode: query for GET/DELETE, form body for POST */
  form = strcmp(c.op->method, "POST") == 0;
  {
    luaL_Buffer b;
    char enc[LTW_MEMO_ENC];   /* the memo's encoding, copied before Lua runs */
    size_t encn = c.enc ? c.enc_len : 0;
    if (c.enc) memcpy(enc, c.enc, encn);
    luaL_buffinit(L, &b);
    if (!form) {
      luaL_addstring(&b, c.url);
      if (c.nvals) luaL_addchar(&b, '?');
    }
    if (c.enc) luaL_addlstring(&b, enc, encn);
    else tw_request_encode(c.vals, c.nvals, emit_buffer, &b);
    luaL_pushresult(&b);
  }
  if (form) {
    lua_pushstring(L, c.url);
    lua_insert(L, -2);                       /* url, body */
  } else {
    lua_pushnil(L);                          /* url, nil */
  }
  ltw_push_request(L, c.op->method, c.op->id, c.op->idempotent, form, c.repr);
  return 1;
}

/* ---- cfg:follow ---------------------------------------------------------- */

static int cfg_follow(lua_State *L) {
  ltw_config *cfg = ltw_check_config(L, 1);
  size_t n;
  const char *uri = luaL_checklstring(L, 2, &n);
  const char *op = luaL_optstring(L, 3, NULL);
  const char *path = NULL;
  size_t pathn = 0;
  char msg[1024], got[200];

  if (op && !tw_op_find(op, strlen(op)))
    return luaL_argerror(L, 3, "unknown operation");
  if (!tw_request_follow(&cfg->base, uri, n, &path, &pathn)) path = NULL;
  if (!path) {
    ltw_quote(got, sizeof got, uri, n);
    snprintf(msg, sizeof msg, "next page URI must be a path starting with "
             "/2010-04-01/ or a URL on %s, without spaces, control bytes or "
             "dot segments (got %s)", cfg->base_url, got);
    return ltw_invalid(L, op, "uri", msg);
  }
  {
    luaL_Buffer b;
    luaL_buffinit(L, &b);
    luaL_addstring(&b, cfg->base_url);
    luaL_addlstring(&b, path, pathn);        /* verbatim */
    luaL_pushresult(&b);
  }
  lua_pushnil(L);
  ltw_push_request(L, "GET", op, 1, 0, TW_REPR_JSON);
  return 1;
}


static const luaL_Reg request_methods[] = {
  { "build", cfg_build },
  { "follow", cfg_follow },
  { NULL, NULL }
};

/* Adds build and follow to twilio.Config's methods (ltw_open_config first). */
void ltw_open_request(lua_State *L) {
  luaL_getmetatable(L, LTW_CONFIG_MT);
  lua_getfield(L, -1, "__index");
  luaL_setfuncs(L, request_methods, 0);
  lua_pop(L, 2);
  if (twl_newmetatable(L, SHARED_HEADERS_MT)) {
    lua_pushcfunction(L, shared_headers_newindex);
    lua_setfield(L, -2, "__newindex");
  }
  lua_pop(L, 1);
  lua_pushlightuserdata(L, NULL);      /* twilio.null: clears a field */
  lua_setfield(L, -2, "null");
}
