/* ltw_body.c -- twilio.Body: a response body as bytes, not a Lua string.
 *
 *   res = h:perform{ ..., body_object = true }   -- res.body: a twilio.Body
 *   #body            its length in bytes
 *   tostring(body)   its text, as a Lua string (a copy)
 *   core.parse_page(kind, items_key, body, ctx)  reads its bytes in place
 *
 * Why: a list page is ~1.3 MB. As a Lua string it costs, on LuaJIT, a
 * hash and a lookup that memcmp's every live string of the same hash and
 * length (list pages differ only near their end). The curl handle writes
 * the next answer straight into a Body sized from the last one
 * (tw_curl_perform_into; ltw_curl.c), so a page is neither copied nor
 * held twice; when it does not fit, the handle's own buffer takes it and
 * the Body is a copy.
 *
 * Where the bytes live depends on the collector (LTW_BODY_IN_HEAP, ltw.h):
 * - Lua 5.4: in the userdata. The collector counts them, so it paces
 *   itself with the pages on its own: in generational mode (the lua5.4
 *   interpreter's default) dead pages are old and only a major collection
 *   frees them, and majors follow the heap's growth only; bytes outside
 *   the heap never made it grow (parse_page used to force full
 *   collections instead).
 * - LuaJIT: malloc'd, freed by __gc. LuaJIT's allocator maps and unmaps
 *   every large block: in the heap, list-all took 17.9 k page faults
 *   instead of 3.1 k and ~50 % longer (perf stat, docs/PERFORMANCE.md).
 *   Its collector is incremental only, and a step "as if" the bytes were
 *   allocated (parse_page reports them, in batches of 2 MiB: see
 *   report_off_heap in ltw_record.c) paces it.
 *
 * Ownership: the Body owns its bytes (part of it, or malloc'd and freed by
 * its idempotent __gc). A document reading them anchors the Body (a
 * page's records keep it in their uservalue). The bytes are followed by a
 * NUL, which the JSON scanner requires. There is no close method on
 * purpose: a document may be reading the bytes. */
#include <stdlib.h>
#include <string.h>
#include "ltw.h"

#if !LTW_BODY_IN_HEAP
static char EMPTY[1];                 /* data of a Body not yet filled */
#endif

ltw_body *ltw_new_body_cap(lua_State *L, size_t cap) {
#if LTW_BODY_IN_HEAP
  ltw_body *b = lua_newuserdata(L, sizeof *b + cap + 1);   /* raises on OOM */
  b->data = b->inline_data;
#else
  ltw_body *b = lua_newuserdata(L, sizeof *b);
  b->data = EMPTY;                    /* safe to collect from here */
#endif
  b->len = 0;
  b->cap = 0;
  luaL_setmetatable(L, LTW_BODY_MT);
#if !LTW_BODY_IN_HEAP
  {
    char *p = malloc(cap + 1);        /* owned by b: body_gc */
    if (!p) luaL_error(L, "twilio: not enough memory");
    b->data = p;
  }
#endif
  b->cap = cap;
  b->data[0] = '\0';
  return b;
}

ltw_body *ltw_new_body(lua_State *L, const char *src, size_t len) {
  ltw_body *b = ltw_new_body_cap(L, len);
  if (len) memcpy(b->data, src, len);
  b->len = len;
  b->data[len] = '\0';
  return b;
}

int ltw_isbody(lua_State *L, int idx) {
  return luaL_testudata(L, idx, LTW_BODY_MT) != NULL;
}

const char *ltw_body_bytes(lua_State *L, int idx, size_t *len) {
  ltw_body *b = lua_touserdata(L, idx);      /* a Body: the caller checked */
  *len = b->len;
  return b->data;
}

#if !LTW_BODY_IN_HEAP
static int body_gc(lua_State *L) {
  ltw_body *b = luaL_checkudata(L, 1, LTW_BODY_MT);
  if (b->data != EMPTY) free(b->data);
  b->data = EMPTY;
  b->len = b->cap = 0;
  return 0;
}
#endif

static int body_len(lua_State *L) {
  ltw_body *b = luaL_checkudata(L, 1, LTW_BODY_MT);
  lua_pushinteger(L, (lua_Integer)b->len);
  return 1;
}

static int body_tostring(lua_State *L) {
  ltw_body *b = luaL_checkudata(L, 1, LTW_BODY_MT);
  lua_pushlstring(L, b->data, b->len);
  return 1;
}

void ltw_open_body(lua_State *L) {
  static const luaL_Reg meta[] = {
#if !LTW_BODY_IN_HEAP
    { "__gc", body_gc },
#endif
    { "__len", body_len },
    { "__tostring", body_tostring },
    { NULL, NULL }
  };
  if (twl_newmetatable(L, LTW_BODY_MT)) luaL_setfuncs(L, meta, 0);
  lua_pop(L, 1);
}
