/* ltw.h -- the Lua binding's internal interface (twilio.core).
 *
 * luaopen_twilio_core (ltw_core.c) creates the module table and calls each
 * ltw_open_* below with that table on the top of the stack; each adds its
 * functions to it and registers its metatables. Only luaopen_twilio_core is
 * exported from the shared object. */
#ifndef LTW_H
#define LTW_H

#include "compat.h"

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
 * LTW_BODY_IN_HEAP: 1 when the bytes are part of the userdata (Lua 5.4:
 * the collector counts them); 0 when they are malloc'd and freed by the
 * Body's __gc (LuaJIT: callers report them with a GC step). */
#if LUA_VERSION_NUM >= 504
#define LTW_BODY_IN_HEAP 1
#else
#define LTW_BODY_IN_HEAP 0
#endif
typedef struct ltw_body {
  size_t len;                  /* data[len] == '\0'; len <= cap */
  size_t cap;                  /* data has cap + 1 bytes */
  char *data;                  /* into inline_data (in heap), or malloc'd
                                  and owned by the Body; never NULL */
  char inline_data[];          /* the bytes when LTW_BODY_IN_HEAP */
} ltw_body;
ltw_body *ltw_new_body(lua_State *L, const char *src, size_t len);
/* An empty Body with room for cap bytes (+ NUL), to be filled in place. */
ltw_body *ltw_new_body_cap(lua_State *L, size_t cap);
int ltw_isbody(lua_State *L, int idx);
const char *ltw_body_bytes(lua_State *L, int idx, size_t *len);

void ltw_open_error(lua_State *L);    /* ltw_error.c   */
void ltw_open_body(lua_State *L);     /* ltw_body.c    */
void ltw_open_record(lua_State *L);   /* ltw_record.c  */
void ltw_open_request(lua_State *L);  /* ltw_request.c */
void ltw_open_curl(lua_State *L);     /* ltw_curl.c    */
void ltw_open_util(lua_State *L);     /* ltw_util.c    */
void ltw_open_clock(lua_State *L);    /* ltw_clock.c   */

#endif
