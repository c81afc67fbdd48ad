/* ltw_body.c -- twilio.Body: a response body kept outside the Lua heap.
 *
 *   res = h:perform{ ..., body_object = true }   -- res.body: a twilio.Body
 *   #body            its length in bytes
 *   tostring(body)   its text, as a Lua string (a copy)
 *   core.parse_page(kind, items_key, body, ctx)  takes its bytes (below)
 *
 * Why: a list page is ~1.3 MB. As a Lua string it costs a copy out of the
 * transport's buffer, and on LuaJIT an interned string: a hash, a lookup
 * that memcmp's every live string of the same hash and length (list pages
 * differ only near their end), and a fresh mmap'd block whose pages fault
 * in on every page. A Body is the transport's own malloc'd buffer, handed
 * over (tw_curl_take_body, into a Body made empty first, so the bytes
 * are never unowned if Lua raises): no copy, no hash, and the next request sizes
 * a new buffer from Content-Length.
 *
 * Ownership: data is malloc'd, owned by the Body until a parse takes it
 * (ltw_body_take: the page's doc box then owns it, and frees it when the
 * page's records are gone); the Body is empty (len 0) after that. There
 * is no close method on purpose: a document may be reading the bytes.
 * __gc frees what the Body still owns (idempotent). The bytes are always
 * followed by a NUL (tw_buf keeps one), which the JSON scanner requires. */
#include <stdlib.h>
#include "ltw.h"

ltw_body *ltw_new_body(lua_State *L) {
  ltw_body *b = lua_newuserdata(L, sizeof *b);
  b->data = NULL;                /* empty, and safe to collect, from here */
  b->len = 0;
  luaL_setmetatable(L, LTW_BODY_MT);
  return b;
}

int ltw_isbody(lua_State *L, int idx) {
  return luaL_testudata(L, idx, LTW_BODY_MT) != NULL;
}

char *ltw_body_take(lua_State *L, int idx, size_t *len) {
  ltw_body *b = lua_touserdata(L, idx);      /* a Body: the caller checked */
  char *data = b->data;
  *len = b->len;
  b->data = NULL;                /* the caller owns data from here */
  b->len = 0;
  return data;
}

static int body_gc(lua_State *L) {
  ltw_body *b = luaL_checkudata(L, 1, LTW_BODY_MT);
  free(b->data);
  b->data = NULL;
  b->len = 0;
  return 0;
}

static int body_len(lua_State *L) {
  ltw_body *b = luaL_checkudata(L, 1, LTW_BODY_MT);
  lua_pushinteger(L, (lua_Integer)b->len);
  return 1;
}

static int body_tostring(lua_State *L) {
  ltw_body *b = luaL_checkudata(L, 1, LTW_BODY_MT);
  lua_pushlstring(L, b->data ? b->data : "", b->len);
  return 1;
}

void ltw_open_body(lua_State *L) {
  static const luaL_Reg meta[] = {
    { "__gc", body_gc },
    { "__len", body_len },
    { "__tostring", body_tostring },
    { NULL, NULL }
  };
  if (twl_newmetatable(L, LTW_BODY_MT)) luaL_setfuncs(L, meta, 0);
  lua_pop(L, 1);
}
