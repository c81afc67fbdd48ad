/* ltw_body.c -- twilio.Body: a response body as bytes in the Lua heap,
 * neither a string nor a copy per parse.
 *
 *   res = h:perform{ ..., body_object = true }   -- res.body: a twilio.Body
 *   #body            its length in bytes
 *   tostring(body)   its text, as a Lua string (a copy)
 *   core.parse_page(kind, items_key, body, ctx)  reads its bytes in place
 *
 * Why: a list page is ~1.3 MB. As a Lua string it costs, on LuaJIT, a
 * hash and a lookup that memcmp's every live string of the same hash and
 * length (list pages differ only near their end). A Body is one full
 * userdata holding the bytes: no hash, no interning, and, unlike the
 * malloc'd buffer it once was, counted by the collector as what it is
 * (1.3 MB), so the collector paces itself with the pages on its own (in
 * generational mode a major collection follows the heap's growth; a
 * buffer outside the heap never made it grow, and dead pages waited).
 * The curl handle writes the next answer straight into a Body sized from
 * the last one (tw_curl_perform_into; ltw_curl.c), so a page is neither
 * copied nor held twice; when it does not fit, the handle's own buffer
 * takes it and the Body is a copy.
 *
 * Ownership: the bytes are part of the userdata (the Lua heap frees them
 * with it; no __gc). A document reading them anchors the Body (a page's
 * records keep it in their uservalue). The bytes are followed by a NUL,
 * which the JSON scanner requires. There is no close method on purpose: a
 * document may be reading the bytes. */
#include <string.h>
#include "ltw.h"

ltw_body *ltw_new_body_cap(lua_State *L, size_t cap) {
  ltw_body *b = lua_newuserdata(L, sizeof *b + cap + 1);   /* raises on OOM */
  b->len = 0;
  b->cap = cap;
  b->data[0] = '\0';
  luaL_setmetatable(L, LTW_BODY_MT);
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
    { "__len", body_len },
    { "__tostring", body_tostring },
    { NULL, NULL }
  };
  if (twl_newmetatable(L, LTW_BODY_MT)) luaL_setfuncs(L, meta, 0);
  lua_pop(L, 1);
}
