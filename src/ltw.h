/* ltw.h -- the Lua binding's internal interface (twilio.core).
 *
 * luaopen_twilio_core (ltw_core.c) creates the module table and calls each
 * ltw_open_* below with that table on the top of the stack; each adds its
 * functions to it and registers its metatables. Only luaopen_twilio_core is
 * exported from the shared object. */
#ifndef LTW_H
#define LTW_H

#include "compat.h"
#include "tw_validate.h"

#define TW_API_INTERNAL __attribute__((visibility("hidden")))

/* Metatable names: one per type. */
#define LTW_ERROR_MT   "twilio.Error"
#define LTW_BODY_MT    "twilio.Body"

/* ltw_error.c: error objects (plain tables with the twilio.Error metatable).
 * Pushes a new error table {kind=, message=} and returns its index-free
 * position (top). Callers add status/code/field/... with lua_setfield. */
void ltw_push_error(lua_State *L, const char *kind, const char *message);
/* Pushes nil + a new error; returns 2 (for `return ltw_fail(...)`). */
int  ltw_fail(lua_State *L, const char *kind, const char *field,
              const char *message);

/* ltw_body.c: twilio.Body, a response body as bytes, not a string.
 * ltw_new_body pushes a Body holding a copy of src (len bytes, then a
 * NUL) and returns it; raises on OOM. ltw_isbody: whether the value at idx
 * is a Body. ltw_body_bytes: its bytes (data[len] == '\0'), borrowed: valid
 * while the Body is reachable; call it only on a Body.
 * LTW_BODY_IN_HEAP: 1 when the userdata's size counts the bytes (Lua 5.4:
 * the collector counts them; a large Body's bytes are in a pooled block,
 * ltw_body.c); 0 when they are outside the heap, freed or pooled by the
 * Body's __gc (LuaJIT: callers report them with a GC step). */
#if LUA_VERSION_NUM >= 504
#define LTW_BODY_IN_HEAP 1
#else
#define LTW_BODY_IN_HEAP 0
#endif
typedef struct ltw_body_blk ltw_body_blk;
typedef struct ltw_body {
  size_t len;                  /* data[len] == '\0'; len <= cap */
  size_t cap;                  /* data has cap + 1 bytes */
  char *data;                  /* into inline_data (in heap), or a malloc'd
                                  block (ltw_body.c's pool); never NULL */
#if LTW_BODY_IN_HEAP
  ltw_body_blk *blk;           /* the owner of the block (the Body's user
                                  value), or NULL: inline_data */
#endif
  char inline_data[];          /* the bytes when LTW_BODY_IN_HEAP */
} ltw_body;
ltw_body *ltw_new_body(lua_State *L, const char *src, size_t len);
/* An empty Body with room for cap bytes (+ NUL), to be filled in place. */
ltw_body *ltw_new_body_cap(lua_State *L, size_t cap);
/* A large answer already in a malloc'd buffer becomes a Body without a
 * copy: ltw_new_body_shell pushes a Body that reads "" (may raise; nothing
 * is owned yet), then ltw_body_adopt gives it blk (cap + 1 malloc'd bytes,
 * blk[len] == NUL; never raises). ltw_body_adopts: whether a body of len
 * bytes is taken that way (else ltw_new_body copies it). */
int ltw_body_adopts(size_t len);
ltw_body *ltw_new_body_shell(lua_State *L, size_t cap);
void ltw_body_adopt(lua_State *L, ltw_body *b, char *blk, size_t len, size_t cap);
int ltw_isbody(lua_State *L, int idx);
const char *ltw_body_bytes(lua_State *L, int idx, size_t *len);

/* ltw_invalid.c: the wording of "invalid" errors (refused before sending).
 * ltw_invalid pushes nil + an "invalid" error with field and op (either may
 * be NULL) and returns 2. ltw_quote writes "'<echo>'" (plus " (N bytes)"
 * when cut) of s[0..n); ltw_describe "type value" of the Lua value at idx,
 * for "(got ...)". Neither is ever given a secret. */
int  ltw_invalid(lua_State *L, const char *op, const char *field,
                 const char *msg);
void ltw_quote(char *out, size_t cap, const char *s, size_t n);
void ltw_describe(lua_State *L, int idx, char *out, size_t cap);

/* ltw_config.c: twilio.Config (core.config), a userdata born complete.
 * The Authorization and User-Agent values are also kept as Lua strings in
 * its uservalue ({ [LTW_UV_AUTH] = auth, [LTW_UV_UA] = ua }) so that every
 * request shares them, with the request headers tables cfg:build shares
 * between requests (ltw_request.c; made on first use: [LTW_UV_HDR_GET] for
 * JSON without a body, [LTW_UV_HDR_FORM] with a form body).
 * ltw_check_config: the Config at idx, or raises. */
#define LTW_CONFIG_MT  "twilio.Config"
#define LTW_UV_AUTH 1
#define LTW_UV_UA 2
#define LTW_UV_HDR_GET 3
#define LTW_UV_HDR_FORM 4
#define LTW_UV_MEMO 5      /* the params memo's strings (ltw_request.c) */
#define LTW_MEMO_MAX 8     /* params entries the memo keeps, at most */
#define LTW_MEMO_ENC 512   /* bytes of their encoding, at most */
#define LTW_URL_PREFIX 512 /* bytes of a kept URL prefix, at most */
#define LTW_OPS_CAP 64     /* operations whose placeholders a config keeps */
#define LTW_HINTS 32      /* params key lookup hints a config keeps */
#define LTW_PH_CAP 4       /* = TW_PATH_MAX (tw_request.h; checked there) */
typedef struct ltw_config {
  char account_sid[35];
  tw_base base;
  char base_url[300];     /* scheme://host[:port], no trailing slash */
  char auth[400];         /* "Basic " base64(user:secret); wiped by __gc */
  char ua[257];
  /* The fused call's header lines, packed NUL-separated as tw_curl_req
   * wants them ("Authorization: …", "User-Agent: …", "Accept: …"), made
   * once from auth and ua (ltw_config.c); wiped by __gc with auth. */
  char lines[15 + 400 + 12 + 257 + 25];
  size_t lines_len;
  /* The client's limits, given to core.config (0: not given): what the
   * fused call (ltw_call.c) sends with when the call brings none. */
  long timeout_ms, connect_timeout_ms, max_body;
  /* Per operation (tw_ops index < LTW_OPS_CAP), its path template's
   * placeholders, parsed on first use (ltw_request.c): nph[i] is their
   * count + 1 (0: not parsed yet), ph[i] their indexes in params, phkey[i]
   * the path table's key each one reads (an index in ltw_request.c's
   * PATH_KEYS, or -1). */
  signed char nph[LTW_OPS_CAP];
  unsigned char ph[LTW_OPS_CAP][LTW_PH_CAP];
  signed char phkey[LTW_OPS_CAP][LTW_PH_CAP];
  /* The params keys' lookup hints (ltw_request.c): a slot chosen by a key
   * string's address remembers the operation and parameter that key named
   * last; a hint is always checked against the name (tw_op_param_at). */
  struct { const char *key; const void *op; unsigned param; } hint[LTW_HINTS];
  /* The last operation asked for (ltw_request.c) and its name's length:
   * a call of the same operation finds it by one compare. */
  const void *last_op;
  size_t last_opn;
  /* The URL of the last path template (op->path: fetch, update and
   * delete of a number share one) that ends with a placeholder after which
   * only text follows, with every placeholder but the last one this
   * config's account SID (ltw_request.c): its bytes up to the last
   * placeholder's value, and the text after it in the template. */
  struct {
    const char *path;                   /* the template; NULL: nothing kept */
    size_t plen, tailn;
    const char *tail;
    char prefix[LTW_URL_PREFIX];
  } url;
  /* The last params table that passed the checks, as its entries came
   * from lua_next (ltw_request.c): each key's and string value's bytes
   * (the Lua strings are kept in the uservalue's [LTW_UV_MEMO], so no
   * other string can have these addresses while they are here), each
   * key's parameter, each value's kind, and the encoding they gave. */
  struct {
    const void *op;                     /* NULL: nothing kept */
    size_t n, enc_len;                  /* n: entries, so values (each key
                                           names its own parameter), and
                                           [LTW_UV_MEMO]'s pairs */
    const char *key[LTW_MEMO_MAX];
    const char *val[LTW_MEMO_MAX];      /* a string value's bytes, or NULL */
    unsigned char vt[LTW_MEMO_MAX];     /* 0 string, 1 false, 2 true */
    unsigned char pidx[LTW_MEMO_MAX];   /* the key's index in op->params */
    char enc[LTW_MEMO_ENC];
    /* The last params table checked that the memo did not have: its
     * operation, entries, keys' and values' addresses (a boolean as 1 or
     * 2), not held. The memo takes a table only when it comes again like
     * this (a hint: the memo's own compare is on strings it holds), so
     * tables that change every call cost no memo writes. */
    const void *seen_op;
    size_t seen_n;
    const char *seen_key[LTW_MEMO_MAX];
    const char *seen_val[LTW_MEMO_MAX];
  } memo;
} ltw_config;
ltw_config *ltw_check_config(lua_State *L, int idx);
/* Whether k[0..n) is a key cfg:build accepts in a path table (ltw_request.c). */
int ltw_is_path_key(const char *k, size_t n);

void ltw_open_error(lua_State *L);    /* ltw_error.c   */
void ltw_open_body(lua_State *L);     /* ltw_body.c    */
void ltw_open_record(lua_State *L);   /* ltw_record.c  */
void ltw_open_config(lua_State *L);   /* ltw_config.c  */
void ltw_open_request(lua_State *L);  /* ltw_request.c: after config */
void ltw_open_rebuild(lua_State *L);  /* ltw_rebuild.c: after config */
void ltw_open_operations(lua_State *L); /* ltw_operations.c */
void ltw_open_encode(lua_State *L);   /* ltw_encode.c  */
void ltw_open_curl(lua_State *L);     /* ltw_curl.c    */
void ltw_open_time(lua_State *L);     /* ltw_time.c    */
void ltw_open_csv(lua_State *L);      /* ltw_csv.c     */
void ltw_open_clock(lua_State *L);    /* ltw_clock.c   */
void ltw_open_webhook(lua_State *L);  /* ltw_webhook.c */

#endif
