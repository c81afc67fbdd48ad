/* bench/lua54.c -- a Lua 5.4 interpreter linked from Debian's liblua5.4.a,
 * so that callgrind names the VM's functions (luaV_execute, luaH_*, the
 * collector); Debian's lua5.4 is stripped. Same VM, same instruction
 * counts within the PLT calls. Not part of `make bench`:
 *
 *   cc -O2 -g -o build/lua54 bench/lua54.c -Wl,-E -Wl,--whole-archive \
 *     /usr/lib/x86_64-linux-gnu/liblua5.4.a -Wl,--no-whole-archive -lm -ldl
 *   LUA_PATH="lua/?.lua;;" LUA_CPATH="build/5.4/?.so;;" valgrind --tool=callgrind \
 *     build/lua54 bench/ours.lua fetch URL ACcccccccccccccccccccccccc00000000 x 1100 SIDS
 *
 * Runs argv[1] with argv[2..] as its arguments and `arg` set as lua5.4 does,
 * under the generational collector that lua5.4's lua.c switches to (its
 * profiles showed the incremental one until x-one54 found it: the collector's
 * share of a call differs between the two). */
#include <lua5.4/lauxlib.h>
#include <lua5.4/lua.h>
#include <lua5.4/lualib.h>
#include <stdio.h>

int main(int argc, char **argv) {
  int i;
  lua_State *L = luaL_newstate();
  if (!L || argc < 2) return 2;
  luaL_openlibs(L);
  lua_gc(L, LUA_GCGEN, 0, 0);   /* as lua.c's pmain does after opening the libraries */
  lua_createtable(L, argc, 0);
  for (i = 0; i < argc; i++) {
    lua_pushstring(L, argv[i]);
    lua_rawseti(L, -2, i - 1);
  }
  lua_setglobal(L, "arg");
  if (luaL_loadfile(L, argv[1]) != LUA_OK) {
    fprintf(stderr, "%s\n", lua_tostring(L, -1));
    return 1;
  }
  for (i = 2; i < argc; i++) lua_pushstring(L, argv[i]);
  if (lua_pcall(L, argc - 2, 0, 0) != LUA_OK) {
    fprintf(stderr, "%s\n", lua_tostring(L, -1));
    return 1;
  }
  lua_close(L);
  return 0;
}
