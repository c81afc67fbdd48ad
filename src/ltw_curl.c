/* ltw_curl.c -- twilio.Curl and twilio.CurlMulti: the Lua face of tw_curl.c.
 *
 *   h = core.curl_new{ ca_file=, verbose=, all_headers=, timeout_ms=,
 *                      connect_timeout_ms=, max_body= }
 *   res | nil, terr = h:perform(req)
 *   m = core.curl_multi_new{ max_connections=, ca_file=, all_headers= }
 *   m:add(id, req)  m:add(id, tmpl, url)
 *   done = m:poll(timeout_ms)  n = m:poll(timeout_ms, out)
 *   m:pending()  m:close()
 *   core.curl_version()
 *
 * Discipline (STYLE.md 3.6): the request table is checked completely, and
 * every argument error raised, before any C resource is touched. The URL
 * and body strings stay on the Lua stack while libcurl runs; the header
 * lines are checked and packed into a C buffer owned by the userdata
 * (no Lua string per line); libcurl copies what it keeps. No
 * Lua function is called while a libcurl frame is live: results are pushed
 * after tw_curl_perform / tw_curl_multi_poll return, from buffers owned by
 * the C objects (so a memory error while pushing leaks nothing; the buffers
 * are freed by close/__gc or the next request).
 *
 * req: method ("GET"|"POST"|"DELETE"), url, body (POST only), headers
 * ({ Name = value }; a POST's "Content-Type:
 * application/x-www-form-urlencoded" is left to libcurl, whose default it
 * is: the same line on the wire, see is_form_type), timeout_ms, connect_timeout_ms, max_body (the
 * handle's defaults when absent), fresh_connect (true: a new connection,
 * never a pooled one), body_object (h:perform only: a 2xx body comes back
 * as a twilio.Body, ltw_body.c: bytes in a userdata, not an interned
 * string; m:add ignores it). res.headers holds the lower-case names of
 * TW_CURL_HEADERS (tw_curl.h: content-type, content-length, retry-after,
 * location, www-authenticate, twilio-request-id), or every header when the
 * handle was created with all_headers = true. */
#include <string.h>
#include "ltw.h"
#include "ltw_call.h"
#include "ltw_lane.h"
#include "tw_curl.h"

#define LTW_MULTI_MT "twilio.CurlMulti"

#define DEFAULT_TIMEOUT_MS         30000
#define DEFAULT_CONNECT_TIMEOUT_MS 10000
#define DEFAULT_MAX_BODY           (16 * 1024 * 1024)
#define MAX_TIMEOUT_MS             LTW_CURL_MAX_TIMEOUT_MS
#define MAX_MAX_BODY               LTW_CURL_MAX_BODY

/* Request defaults of a handle (req fields win). */
typedef struct ltw_defaults {
  long timeout_ms, connect_timeout_ms, max_body;
} ltw_defaults;

struct ltw_curl {
  tw_curl *h;                  /* owned; NULL once closed */
  tw_buf lines;                /* owned: the packed header lines of the
                                  request being checked/performed; freed
                                  by close/__gc */
  tw_buf url, form;            /* owned: the URL and form body of a fused
                                  call (ltw_call.c); freed by close/__gc */
  ltw_defaults def;
  size_t body_hint;            /* capacity of the Body the next body_object
                                  answer is written into (0: none yet) */
};

struct ltw_multi {
  tw_curl_multi *m;            /* owned; NULL once closed */
  uint64_t next_token;         /* keys of the ids in the uservalue table */
  tw_buf lines;                /* owned, as in ltw_curl */
  ltw_defaults def;
  /* m:add(id, tmpl, url): the template read once (check_req), its header
   * lines and body copied into buffers the userdata owns, so the copy
   * never points into Lua memory. tmpl is the table's identity (the table
   * is kept in the uservalue at [0], so no other table can take its
   * address); NULL: none, or a copy being made. */
  const void *tmpl;
  tw_curl_req tmpl_rq;         /* url unused; body, hdr_lines into the bufs */
  tw_buf tmpl_lines, tmpl_body;  /* owned; freed by close/__gc */
};

/* ---- request table ------------------------------------------------------ */

/* RFC 9110 tchar, as a table: header names are checked byte by byte. */
static unsigned char TCHAR[256];

static void init_tchar(void) {
  const char *extra = "!#$%&'*+-.^_`|~";
  int c;
  for (c = 0; c < 256; c++)
    TCHAR[c] = (unsigned char)((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
                               (c >= '0' && c <= '9') || (c != 0 && strchr(extra, c) != NULL));
}

static long opt_number(lua_State *L, int t, const char *key, long def, long max) {
  lua_Number v;
  long r;
  lua_getfield(L, t, key);
  if (lua_isnil(L, -1)) {
    lua_pop(L, 1);
    return def;
  }
  if (lua_type(L, -1) != LUA_TNUMBER)
    luaL_error(L, "twilio: request field '%s' must be a number", key);
  v = lua_tonumber(L, -1);
  lua_pop(L, 1);
  if (!(v >= 1 && v <= (lua_Number)max) || (lua_Number)(long)v != v)
    luaL_error(L, "twilio: request field '%s' must be an integer in 1..%d", key, (int)max);
  r = (long)v;
  return r;
}

static void add_bytes(lua_State *L, tw_buf *b, const char *s, size_t n) {
  if (tw_buf_add(b, s, n) < 0) luaL_error(L, "twilio: not enough memory");
}

/* Whether a header is "Content-Type: application/x-www-form-urlencoded"
 * (the name in any case): libcurl's documented default for a POST body
 * (CURLOPT_POSTFIELDS, CURLOPT_COPYPOSTFIELDS), the same line on the wire
 * when left to it. A POST leaves it out of its lines: libcurl compares each
 * custom line with every header it may add, so a line less costs ~5 k
 * instructions less per request (callgrind, bench/ours.lua update). */
static int is_form_type(const char *name, size_t nl, const char *value, size_t vl) {
  static const char ct[] = "content-type";
  size_t k;
  if (nl != sizeof ct - 1 || vl != 33 || memcmp(value, "application/x-www-form-urlencoded", 33) != 0)
    return 0;
  for (k = 0; k < nl; k++)
    if ((name[k] >= 'A' && name[k] <= 'Z' ? name[k] + 32 : name[k]) != ct[k]) return 0;
  return 1;
}

/* Checks the request table at idx and fills rq. Leaves two values on the
 * stack (url, body or nil) that keep rq's strings alive; the caller must
 * not pop them before the transfer has been handed over. The header lines
 * go into `lines` (owned by the userdata, so an error raised half-way
 * leaks nothing): "Name: value\0" each, or "Name;\0" (libcurl's way to
 * send an empty value). Every request is checked, built by cfg:build or
 * not: the checks are byte loops, no allocation. */
static void check_req(lua_State *L, int idx, tw_curl_req *rq, tw_buf *lines,
                      const ltw_defaults *def) {
  const char *s;
  size_t len;

  idx = lua_absindex(L, idx);
  luaL_checktype(L, idx, LUA_TTABLE);
  memset(rq, 0, sizeof *rq);
  lines->len = 0;

  lua_getfield(L, idx, "method");
  s = lua_tostring(L, -1);
  if (lua_type(L, -1) != LUA_TSTRING) luaL_argerror(L, idx, "req.method must be a string");
  if (strcmp(s, "GET") == 0) rq->method = TW_METHOD_GET;
  else if (strcmp(s, "POST") == 0) rq->method = TW_METHOD_POST;
  else if (strcmp(s, "DELETE") == 0) rq->method = TW_METHOD_DELETE;
  else luaL_argerror(L, idx, "req.method must be GET, POST or DELETE");
  lua_pop(L, 1);

  lua_getfield(L, idx, "url");                         /* stays: url */
  if (lua_type(L, -1) != LUA_TSTRING) luaL_argerror(L, idx, "req.url must be a string");
  rq->url = lua_tolstring(L, -1, &len);
  if (strlen(rq->url) != len || (strncmp(rq->url, "http://", 7) != 0 &&
                                 strncmp(rq->url, "https://", 8) != 0))
    luaL_argerror(L, idx, "req.url must be an http:// or https:// URL");

  lua_getfield(L, idx, "body");                        /* stays: body */
  if (!lua_isnil(L, -1)) {
    if (lua_type(L, -1) != LUA_TSTRING) luaL_argerror(L, idx, "req.body must be a string");
    if (rq->method != TW_METHOD_POST) luaL_argerror(L, idx, "req.body is only sent with POST");
    rq->body = lua_tolstring(L, -1, &rq->body_len);
  }

  rq->timeout_ms = opt_number(L, idx, "timeout_ms", def->timeout_ms, MAX_TIMEOUT_MS);
  rq->connect_timeout_ms = opt_number(L, idx, "connect_timeout_ms",
                                      def->connect_timeout_ms, MAX_TIMEOUT_MS);
  rq->max_body = (size_t)opt_number(L, idx, "max_body", def->max_body, MAX_MAX_BODY);
  lua_getfield(L, idx, "fresh_connect");
  rq->fresh_connect = lua_toboolean(L, -1);
  lua_pop(L, 1);

  lua_getfield(L, idx, "headers");
  if (!lua_isnil(L, -1)) {
    if (lua_type(L, -1) != LUA_TTABLE) luaL_argerror(L, idx, "req.headers must be a table");
    lua_pushnil(L);
    while (lua_next(L, -2)) {
      const char *name, *value;
      size_t nl, vl, k;
      if (lua_type(L, -2) != LUA_TSTRING) luaL_argerror(L, idx, "req.headers keys must be strings");
      if (lua_type(L, -1) != LUA_TSTRING && lua_type(L, -1) != LUA_TNUMBER)
        luaL_argerror(L, idx, "req.headers values must be strings");
      name = lua_tolstring(L, -2, &nl);
      value = lua_tolstring(L, -1, &vl);   /* a number is converted in its stack slot only */
      if (nl == 0) luaL_argerror(L, idx, "req.headers: empty header name");
      for (k = 0; k < nl; k++)
        if (!TCHAR[(unsigned char)name[k]])
          luaL_argerror(L, idx, "req.headers: invalid character in a header name");
      for (k = 0; k < vl; k++)
        if (value[k] == '\r' || value[k] == '\n' || value[k] == '\0')
          luaL_argerror(L, idx, "req.headers: CR, LF or NUL in a header value");
      if (rq->method == TW_METHOD_POST && is_form_type(name, nl, value, vl)) {
        lua_pop(L, 1);                                 /* libcurl sends it for us */
        continue;
      }
      add_bytes(L, lines, name, nl);
      if (vl == 0) {
        add_bytes(L, lines, ";", 2);                   /* "Name;" and its NUL */
      } else {
        add_bytes(L, lines, ": ", 2);
        add_bytes(L, lines, value, vl + 1);            /* with its NUL */
      }
      lua_pop(L, 1);                                   /* value; key stays for lua_next */
    }
  }
  lua_pop(L, 1);                                       /* headers */
  rq->hdr_lines = lines->data;
  rq->hdr_len = lines->len;
}

/* Request defaults from an options table at idx (absent: built-in ones). */
static void check_defaults(lua_State *L, int idx, ltw_defaults *d) {
  d->timeout_ms = DEFAULT_TIMEOUT_MS;
  d->connect_timeout_ms = DEFAULT_CONNECT_TIMEOUT_MS;
  d->max_body = DEFAULT_MAX_BODY;
  if (idx == 0) return;
  d->timeout_ms = opt_number(L, idx, "timeout_ms", d->timeout_ms, MAX_TIMEOUT_MS);
  d->connect_timeout_ms = opt_number(L, idx, "connect_timeout_ms", d->connect_timeout_ms,
                                     MAX_TIMEOUT_MS);
  d->max_body = opt_number(L, idx, "max_body", d->max_body, MAX_MAX_BODY);
}

/* ---- results ------------------------------------------------------------ */

static void push_lstring(lua_State *L, const tw_buf *b) {
  if (b->len) lua_pushlstring(L, b->data, b->len);
  else lua_pushliteral(L, "");
}

static const char *kind_name(int kind) {
  switch (kind) {
  case TW_CURL_TIMEOUT: return "timeout";
  case TW_CURL_DECODE:  return "decode";
  default:              return "transport";
  }
}

/* Pushes res (1 value) or nil, terr (2 values); returns the count.
 * body_object: a 2xx body comes back as a twilio.Body (req.body_object;
 * the handle keeps its buffer); otherwise res.body is a string. */
/* A Body for the next body_object answer: the last 2xx one's length and
 * some room (list pages differ by their next_page_uri), within max_body. */
static size_t next_hint(size_t len, size_t max_body) {
  size_t h;
  if (len == 0) return 0;
  h = len + len / 64 + 256;
  return h > max_body ? max_body : h;
}

/* Whether a Body of cap bytes is worth keeping for an answer of len bytes
 * (else the answer is copied into a Body of its size: a short last page
 * does not pin a page-sized block). */
static int fits_well(size_t len, size_t cap) {
  return cap <= 64 * 1024 || len >= cap / 4 * 3;
}

/* h: the handle r belongs to, whose buffer a large body_object answer
 * becomes the Body's block (no copy), or NULL. */
static int push_result(lua_State *L, const tw_curl_res *r, const char *method, const char *url,
                       int body_object, int pre_idx, ltw_body *pre, tw_curl *h) {
  if (r->kind == TW_CURL_OK) {
    size_t pos = 0;
    int n = 0;
    const char *name, *value;
    lua_createtable(L, 0, 5);
    lua_pushinteger(L, (lua_Integer)r->status);
    lua_setfield(L, -2, "status");
    while (tw_curl_header_next(r, &pos, &name, &value)) n++;
    lua_createtable(L, 0, n);
    pos = 0;
    while (tw_curl_header_next(r, &pos, &name, &value)) {
      lua_pushlstring(L, name, (size_t)(value - name) - 1);
      lua_pushstring(L, value);
      lua_rawset(L, -3);                               /* last one wins */
    }
    lua_setfield(L, -2, "headers");
    if (body_object && r->status >= 200 && r->status < 300) {
      if (pre && r->body.borrowed && r->body.data == pre->data && fits_well(r->body.len, pre->cap)) {
        pre->len = r->body.len;                        /* written in place */
        lua_pushvalue(L, pre_idx);
      } else if (h && !r->body.borrowed && r->body.data && ltw_body_adopts(r->body.len)) {
        ltw_body *b = ltw_new_body_shell(L, r->body.len);   /* may raise: the buffer is still h's */
        size_t len, cap;
        char *blk = tw_curl_take_body(h, &len, &cap);      /* ours: b's just below */
        ltw_body_adopt(L, b, blk, len, cap - 1);
      } else {
        (void)ltw_new_body(L, r->body.data ? r->body.data : "", r->body.len);
      }
    } else {
      push_lstring(L, &r->body);
    }
    lua_setfield(L, -2, "body");
    lua_pushinteger(L, (lua_Integer)r->new_connections);
    lua_setfield(L, -2, "new_connections");
    lua_pushnumber(L, (lua_Number)r->total_time);
    lua_setfield(L, -2, "total_time");
    return 1;
  }
  lua_pushnil(L);
  ltw_push_error(L, kind_name(r->kind), r->message);
  lua_pushboolean(L, r->sent);
  lua_setfield(L, -2, "sent");
  if (r->status > 0) {
    lua_pushinteger(L, (lua_Integer)r->status);
    lua_setfield(L, -2, "status");
  }
  lua_pushinteger(L, (lua_Integer)r->curl_code);
  lua_setfield(L, -2, "curl_code");
  if (method) {
    lua_pushstring(L, method);
    lua_setfield(L, -2, "method");
  }
  if (url) {
    lua_pushstring(L, url);
    lua_setfield(L, -2, "url");
  }
  return 2;
}

static const char *method_name(int m) {
  return m == TW_METHOD_POST ? "POST" : m == TW_METHOD_DELETE ? "DELETE" : "GET";
}

/* ids[token] = value on top (popped); tokens may outgrow int. */
static void set_id(lua_State *L, int ids, uint64_t token) {
  lua_pushinteger(L, (lua_Integer)token);
  lua_insert(L, -2);
  lua_rawset(L, ids);
}

/* ---- twilio.Curl -------------------------------------------------------- */

ltw_curl *ltw_check_curl(lua_State *L, int idx) {
  ltw_curl *u = luaL_checkudata(L, idx, LTW_CURL_MT);
  if (!u->h) luaL_error(L, "twilio: attempt to use a closed twilio.Curl");
  return u;
}

static ltw_curl *check_curl(lua_State *L) {
  return ltw_check_curl(L, 1);
}

int ltw_curl_is_open(const ltw_curl *u) { return u->h != NULL; }
tw_buf *ltw_curl_url(ltw_curl *u) { return &u->url; }
tw_buf *ltw_curl_form(ltw_curl *u) { return &u->form; }

const tw_curl_res *ltw_curl_perform(ltw_curl *u, const tw_curl_req *rq) {
  return tw_curl_perform_lean(u->h, rq);
}
void ltw_curl_fill_headers(ltw_curl *u) { tw_curl_fill_headers(u->h); }
const char *ltw_curl_content_type(ltw_curl *u) { return tw_curl_content_type(u->h); }

int ltw_curl_push_result(lua_State *L, const tw_curl_res *r, const char *method,
                         const char *url) {
  return push_result(L, r, method, url, 0, 0, NULL, NULL);
}

long ltw_curl_number(lua_State *L, int idx, const char *key, long max) {
  lua_Number v;
  if (lua_type(L, idx) != LUA_TNUMBER)
    luaL_error(L, "twilio: request field '%s' must be a number", key);
  v = lua_tonumber(L, idx);
  if (!(v >= 1 && v <= (lua_Number)max) || (lua_Number)(long)v != v)
    luaL_error(L, "twilio: request field '%s' must be an integer in 1..%d", key, (int)max);
  return (long)v;
}

static int curl_new(lua_State *L) {
  const char *ca_file = NULL;
  int verbose = 0, all = 0;
  ltw_defaults def;
  ltw_curl *u;
  if (!lua_isnoneornil(L, 1)) {
    luaL_checktype(L, 1, LUA_TTABLE);
    lua_getfield(L, 1, "ca_file");
    if (!lua_isnil(L, -1)) {
      if (lua_type(L, -1) != LUA_TSTRING) luaL_argerror(L, 1, "ca_file must be a string");
      ca_file = lua_tostring(L, -1);                   /* stays on the stack */
    }
    lua_getfield(L, 1, "verbose");
    verbose = lua_toboolean(L, -1);
    lua_getfield(L, 1, "all_headers");
    all = lua_toboolean(L, -1);
    lua_pop(L, 2);
    check_defaults(L, 1, &def);
  } else {
    check_defaults(L, 0, &def);
  }
  u = twl_newud(L, sizeof *u);
  memset(u, 0, sizeof *u);                             /* closed until opened */
  u->def = def;
  luaL_setmetatable(L, LTW_CURL_MT);
  u->h = tw_curl_new(ca_file, verbose, all);           /* owned by u: curl_gc */
  if (!u->h) return luaL_error(L, "twilio: cannot create a libcurl easy handle");
  return 1;
}

static int curl_perform(lua_State *L) {
  ltw_curl *u = check_curl(L);
  tw_curl_req rq;
  const tw_curl_res *r;
  int body_object, pre_idx = 0;
  ltw_body *pre = NULL;
  check_req(L, 2, &rq, &u->lines, &u->def);
  lua_getfield(L, 2, "body_object");
  body_object = lua_toboolean(L, -1);
  lua_pop(L, 1);
  if (body_object && u->body_hint > 0) {
    /* a Body sized from the last one, anchored on the stack while libcurl
     * writes into it (no Lua runs inside tw_curl_perform_into) */
    pre = ltw_new_body_cap(L, u->body_hint);
    pre_idx = lua_gettop(L);
    r = tw_curl_perform_into(u->h, &rq, pre->data, pre->cap + 1);
  } else {
    r = tw_curl_perform(u->h, &rq);                    /* no Lua inside */
  }
  if (body_object && r->kind == TW_CURL_OK && r->status >= 200 && r->status < 300)
    u->body_hint = next_hint(r->body.len, rq.max_body);
  if (push_result(L, r, method_name(rq.method), rq.url, body_object, pre_idx, pre, u->h) != 1) return 2;
  /* a body_object answer in the handle's buffer (the first one): copied
   * into its Body, or the buffer became the Body's block (a large one);
   * the next ones are written into their Body, so the buffer goes */
  if (body_object && !r->body.borrowed) tw_curl_drop_body(u->h);
  return 1;
}

static int curl_gc(lua_State *L) {                     /* __gc, __close, close */
  ltw_curl *u = luaL_checkudata(L, 1, LTW_CURL_MT);
  if (u->h) {
    tw_curl_free(u->h);
    u->h = NULL;
  }
  tw_buf_free(&u->lines);
  tw_buf_free(&u->url);
  tw_buf_free(&u->form);
  return 0;
}

static int curl_tostring(lua_State *L) {
  ltw_curl *u = luaL_checkudata(L, 1, LTW_CURL_MT);
  if (u->h) lua_pushfstring(L, "twilio.Curl (%p)", (void *)u);
  else lua_pushliteral(L, "twilio.Curl (closed)");
  return 1;
}

/* ---- twilio.CurlMulti --------------------------------------------------- */

ltw_multi *ltw_check_multi(lua_State *L, int idx) {
  ltw_multi *u = luaL_checkudata(L, idx, LTW_MULTI_MT);
  if (!u->m) luaL_error(L, "twilio: attempt to use a closed twilio.CurlMulti");
  return u;
}

static ltw_multi *check_multi(lua_State *L) {
  return ltw_check_multi(L, 1);
}

tw_curl_multi *ltw_multi_handle(ltw_multi *u) { return u->m; }

static int multi_new(lua_State *L) {
  const char *ca_file = NULL;
  long maxc = 16;
  int all = 0;
  ltw_defaults def;
  ltw_multi *u;
  if (!lua_isnoneornil(L, 1)) {
    luaL_checktype(L, 1, LUA_TTABLE);
    lua_getfield(L, 1, "ca_file");
    if (!lua_isnil(L, -1)) {
      if (lua_type(L, -1) != LUA_TSTRING) luaL_argerror(L, 1, "ca_file must be a string");
      ca_file = lua_tostring(L, -1);                   /* stays on the stack */
    }
    lua_getfield(L, 1, "all_headers");
    all = lua_toboolean(L, -1);
    lua_pop(L, 1);
    maxc = opt_number(L, 1, "max_connections", 16, 1024);
  }
  check_defaults(L, 0, &def);
  u = twl_newud(L, sizeof *u);
  memset(u, 0, sizeof *u);                             /* closed until opened */
  u->def = def;
  luaL_setmetatable(L, LTW_MULTI_MT);
  lua_newtable(L);                                     /* token -> id */
  twl_setuv(L, -2);
  u->m = tw_curl_multi_new(maxc, ca_file, all);        /* owned by u: multi_gc */
  if (!u->m) return luaL_error(L, "twilio: cannot create a libcurl multi handle");
  return 1;
}

/* The checked copy of the template at idx (m:add's third form): made the
 * first time this table is given, kept while the same table comes again.
 * Fills *rq from it (rq->url left NULL). */
static void template_req(lua_State *L, ltw_multi *u, int idx, tw_curl_req *rq) {
  int top = lua_gettop(L);
  if (u->tmpl != lua_topointer(L, idx)) {
    u->tmpl = NULL;                                    /* until the copy is whole */
    check_req(L, idx, rq, &u->lines, &u->def);         /* raises on a bad table */
    u->tmpl_lines.len = 0;
    u->tmpl_body.len = 0;
    add_bytes(L, &u->tmpl_lines, rq->hdr_lines ? rq->hdr_lines : "", rq->hdr_len);
    if (rq->body) add_bytes(L, &u->tmpl_body, rq->body, rq->body_len);
    u->tmpl_rq = *rq;
    u->tmpl_rq.url = NULL;
    u->tmpl_rq.hdr_lines = u->tmpl_lines.data;
    u->tmpl_rq.body = rq->body ? u->tmpl_body.data : NULL;
    twl_getuv(L, 1);
    lua_pushvalue(L, idx);
    lua_rawseti(L, -2, 0);                             /* anchors the identity */
    u->tmpl = lua_topointer(L, idx);
    lua_settop(L, top);
  }
  *rq = u->tmpl_rq;
}

void ltw_multi_template(lua_State *L, ltw_multi *u, int idx, tw_curl_req *rq) {
  template_req(L, u, lua_absindex(L, idx), rq);
}

/* m:add(id, req) or m:add(id, tmpl, url): the second form sends tmpl with
 * this url instead of tmpl.url. tmpl is read (and checked) the first time
 * it is given to this handle, and a copy kept: later adds of the same
 * table skip the check and the packing of its headers. So a template must
 * not change once given (a changed one keeps sending what was read first;
 * make a new table instead). twilio.bulk's lane sends every request of a
 * batch this way. */
static int multi_add(lua_State *L) {
  ltw_multi *u = check_multi(L);
  tw_curl_req rq;
  const char *err = NULL;
  uint64_t token;
  int ids;
  luaL_argcheck(L, !lua_isnoneornil(L, 2), 2, "id must not be nil");
  if (lua_isnoneornil(L, 4)) {
    check_req(L, 3, &rq, &u->lines, &u->def);
  } else {
    size_t len;
    const char *url = luaL_checklstring(L, 4, &len);
    luaL_checktype(L, 3, LUA_TTABLE);
    if (strlen(url) != len || (strncmp(url, "http://", 7) != 0 && strncmp(url, "https://", 8) != 0))
      luaL_argerror(L, 4, "url must be an http:// or https:// URL");
    template_req(L, u, 3, &rq);
    rq.url = url;                                      /* anchored at 4 */
  }
  token = ++u->next_token;
  twl_getuv(L, 1);                                     /* ids table */
  ids = lua_gettop(L);
  lua_pushvalue(L, 2);
  set_id(L, ids, token);                               /* before any C resource */
  if (tw_curl_multi_add(u->m, &rq, token, &err) != 0) {
    lua_pushnil(L);
    set_id(L, ids, token);
    lua_pushnil(L);
    ltw_push_error(L, "transport", err);
    lua_pushboolean(L, 0);
    lua_setfield(L, -2, "sent");
    return 2;
  }
  lua_pushboolean(L, 1);
  return 1;
}

/* m:poll(timeout_ms) -> { { id =, res = | err = }, ... }, one table per
 * finished transfer; m:poll(timeout_ms, out) -> n: the finished transfers
 * written into the caller's table instead, out[3k-2], out[3k-1], out[3k] =
 * id, res or nil, err or nil for k = 1..n (the slots after 3n are left as
 * they were). The second form makes no table per transfer: the coroutine
 * group's loop (twilio.runtime) reuses one out. */
static int multi_poll(lua_State *L) {
  ltw_multi *u = check_multi(L);
  lua_Number t = luaL_optnumber(L, 2, 0);
  long timeout_ms;
  int ids, out, flat, n = 0;
  const tw_curl_res *r;
  uint64_t token = 0;
  luaL_argcheck(L, t >= 0 && t <= (lua_Number)MAX_TIMEOUT_MS, 2, "timeout_ms out of range");
  flat = !lua_isnoneornil(L, 3);
  if (flat) luaL_checktype(L, 3, LUA_TTABLE);
  timeout_ms = (long)t;
  lua_settop(L, 3);
  twl_getuv(L, 1);
  ids = lua_gettop(L);
  if (tw_curl_multi_count(u->m) > 0) tw_curl_multi_poll(u->m, timeout_ms);  /* no Lua inside */
  if (flat) {
    out = 3;
  } else {
    lua_newtable(L);
    out = lua_gettop(L);
  }
  while ((r = tw_curl_multi_peek_done(u->m, &token)) != NULL) {
    if (flat) {
      lua_pushinteger(L, (lua_Integer)token);
      lua_rawget(L, ids);
      lua_rawseti(L, out, 3 * n + 1);
      if (push_result(L, r, NULL, NULL, 0, 0, NULL, NULL) == 1) {
        lua_rawseti(L, out, 3 * n + 2);
        lua_pushnil(L);
        lua_rawseti(L, out, 3 * n + 3);
      } else {
        lua_rawseti(L, out, 3 * n + 3);              /* err */
        lua_rawseti(L, out, 3 * n + 2);              /* the nil */
      }
      n++;
    } else {
      lua_createtable(L, 0, 2);
      lua_pushinteger(L, (lua_Integer)token);
      lua_rawget(L, ids);
      lua_setfield(L, -2, "id");
      if (push_result(L, r, NULL, NULL, 0, 0, NULL, NULL) == 1) {
        lua_setfield(L, -2, "res");
      } else {
        lua_setfield(L, -3, "err");
        lua_pop(L, 1);                                 /* the nil */
      }
      lua_rawseti(L, out, ++n);
    }
    lua_pushnil(L);
    set_id(L, ids, token);
    tw_curl_multi_drop_done(u->m);                     /* only once it is in `out` */
  }
  if (flat) lua_pushinteger(L, n);
  return 1;
}

static int multi_pending(lua_State *L) {
  ltw_multi *u = check_multi(L);
  lua_pushinteger(L, (lua_Integer)tw_curl_multi_count(u->m));
  return 1;
}

static int multi_gc(lua_State *L) {                    /* __gc, __close, close */
  ltw_multi *u = luaL_checkudata(L, 1, LTW_MULTI_MT);
  if (u->m) {
    tw_curl_multi_free(u->m);
    u->m = NULL;
  }
  tw_buf_free(&u->lines);
  tw_buf_free(&u->tmpl_lines);
  tw_buf_free(&u->tmpl_body);
  u->tmpl = NULL;
  return 0;
}

static int multi_tostring(lua_State *L) {
  ltw_multi *u = luaL_checkudata(L, 1, LTW_MULTI_MT);
  if (u->m) lua_pushfstring(L, "twilio.CurlMulti (%p)", (void *)u);
  else lua_pushliteral(L, "twilio.CurlMulti (closed)");
  return 1;
}

static int l_curl_version(lua_State *L) {
  lua_pushstring(L, tw_curl_version());
  return 1;
}

/* ---- registration ------------------------------------------------------- */

static const luaL_Reg curl_methods[] = {
  { "perform", curl_perform }, { NULL, NULL }
};
static const luaL_Reg curl_meta[] = {
  { "__gc", curl_gc }, { "__tostring", curl_tostring }, { NULL, NULL }
};
static const luaL_Reg multi_methods[] = {
  { "add", multi_add }, { "poll", multi_poll }, { "pending", multi_pending },
  { NULL, NULL }
};
static const luaL_Reg multi_meta[] = {
  { "__gc", multi_gc }, { "__tostring", multi_tostring }, { NULL, NULL }
};
static const luaL_Reg funcs[] = {
  { "curl_new", curl_new }, { "curl_multi_new", multi_new },
  { "curl_version", l_curl_version }, { NULL, NULL }
};

/* __gc, __close and the close method are one function object. */
static void register_class(lua_State *L, const char *name, const luaL_Reg *meta,
                           const luaL_Reg *methods) {
  if (twl_newmetatable(L, name)) {
    luaL_setfuncs(L, meta, 0);
    lua_getfield(L, -1, "__gc");
    lua_setfield(L, -2, "__close");
    lua_newtable(L);
    luaL_setfuncs(L, methods, 0);
    lua_getfield(L, -2, "__gc");
    lua_setfield(L, -2, "close");
    lua_setfield(L, -2, "__index");
  }
  lua_pop(L, 1);
}

void ltw_open_curl(lua_State *L) {
  if (tw_curl_global_init() != 0) luaL_error(L, "twilio: curl_global_init failed");
  init_tchar();
  register_class(L, LTW_CURL_MT, curl_meta, curl_methods);
  register_class(L, LTW_MULTI_MT, multi_meta, multi_methods);
  luaL_setfuncs(L, funcs, 0);
  ltw_open_call(L);
  ltw_open_lane(L);
}
