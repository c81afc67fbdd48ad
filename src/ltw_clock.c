/* ltw_clock.c -- time for the retry loop outside nginx.
 *
 *   core.sleep(seconds)   blocks the calling thread (never used inside nginx,
 *                         where the Lua side sleeps with ngx.sleep instead)
 *   core.now()            wall-clock seconds as a float (for Retry-After dates)
 *   core.monotonic()      monotonic seconds as a float (for measuring)
 */
#include <errno.h>
#include <math.h>
#include <time.h>
#include "ltw.h"

static int l_sleep(lua_State *L) {
  lua_Number s = luaL_checknumber(L, 1);
  struct timespec ts, rem;
  luaL_argcheck(L, s >= 0 && s <= 86400, 1, "seconds out of range (0..86400)");
  ts.tv_sec = (time_t)floor(s);
  ts.tv_nsec = (long)((s - floor(s)) * 1e9);
  while (nanosleep(&ts, &rem) != 0 && errno == EINTR) ts = rem;
  return 0;
}

static int l_now(lua_State *L) {
  struct timespec ts;
  clock_gettime(CLOCK_REALTIME, &ts);
  lua_pushnumber(L, (lua_Number)ts.tv_sec + (lua_Number)ts.tv_nsec / 1e9);
  return 1;
}

static int l_monotonic(lua_State *L) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  lua_pushnumber(L, (lua_Number)ts.tv_sec + (lua_Number)ts.tv_nsec / 1e9);
  return 1;
}

void ltw_open_clock(lua_State *L) {
  lua_pushcfunction(L, l_sleep);
  lua_setfield(L, -2, "sleep");
  lua_pushcfunction(L, l_now);
  lua_setfield(L, -2, "now");
  lua_pushcfunction(L, l_monotonic);
  lua_setfield(L, -2, "monotonic");
}
