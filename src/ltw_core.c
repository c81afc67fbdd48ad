/* ltw_core.c -- luaopen_twilio_core: the one exported symbol. */
#include "ltw.h"
#include "tw_version.h"

#define LTW_EXPORT __attribute__((visibility("default")))

LTW_EXPORT int luaopen_twilio_core(lua_State *L);

LTW_EXPORT int luaopen_twilio_core(lua_State *L) {
  lua_newtable(L);
  lua_pushliteral(L, TW_VERSION);
  lua_setfield(L, -2, "_VERSION");
  ltw_open_error(L);
  ltw_open_body(L);
  ltw_open_record(L);
  ltw_open_config(L);
  ltw_open_request(L);
  ltw_open_rebuild(L);
  ltw_open_operations(L);
  ltw_open_encode(L);
  ltw_open_curl(L);
  ltw_open_time(L);
  ltw_open_csv(L);
  ltw_open_clock(L);
  ltw_open_webhook(L);
  return 1;
}
