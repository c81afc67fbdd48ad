/* bench/floor_5_4.c -- the floor of list-all on Lua 5.4: what ANY binding
 * pays per page of 1,000 numbers through Lua 5.4's C API, whatever its
 * parser. Not part of `make bench`.
 *
 * Per page: one C call makes a table of 1,000 full userdata, each with a
 * metatable (no user value) and the offset of its number in the page's
 * text; a Lua loop reads n.sid and n.phone_number of each, as list-all does
 * (`local _ = n.sid, n.phone_number`). The C __index does no lookup at
 * all: the key's length says which field, the value is a 34-byte SID or a
 * 12-byte phone number at a known offset of the page's text, pushed with
 * lua_pushlstring. No JSON, no HTTP, no record state: this is the VM's
 * dispatch of a C __index, the C API calls any __index needs (the record,
 * the key, the value), Lua 5.4 making each value string (short strings
 * are interned: every byte hashed, then looked up), the 1,000 userdata,
 * their table and the collector that frees all of it again.
 *
 *   cc -O2 -g -o build/floor_5_4 bench/floor_5_4.c -I/usr/include/lua5.4 \
 *     /usr/lib/x86_64-linux-gnu/liblua5.4.a -lm -ldl
 *   valgrind --tool=callgrind --toggle-collect=run_page \
 *     --callgrind-out-file=/tmp/floor.cg build/floor_5_4 [distinct|repeat] [PAGES] [body]
 *   floor per page = the Ir total / PAGES (default 50)
 *
 * Only run_page (one page's userdata, reads and collection work) is
 * counted; writing the page's text (the "server") and start-up are not.
 * distinct (the default): every page's 2,000 values differ from every
 * other page's, as in a real listing. repeat: every page is the same
 * 1,000 numbers, as the bench's page server answers (page0.json for
 * every page): a value string may then still be alive from an earlier
 * page when it is pushed again (interning finds it: no allocation, no
 * new object for the collector), so repeat can only cost less.
 * body: each page also holds a 1,341,516-byte userdata (the bench page's
 * size; ours keeps its page's body in the Lua heap, a twilio.Body), which
 * paces the collector as a real listing's page does: far fewer
 * collections per page, so with repeat the previous page's value strings
 * are still in the string table (dead, not yet swept) and are revived
 * instead of made.
 * The lua5.4 interpreter's default collector is generational (lua.c runs
 * LUA_GCGEN); this program sets the same. */
#include <lauxlib.h>
#include <lua.h>
#include <lualib.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define NUMS 1000
#define STRIDE 64               /* bytes of text per number */
#define SID_OFF 0
#define SID_LEN 34
#define PHONE_OFF 40
#define PHONE_LEN 12

static char text[NUMS * STRIDE];
static size_t body_bytes;       /* "body": each page also holds this much */

typedef struct rec {
  const char *base;             /* the page's text (anchoring it is the
                                   binding's business: not counted) */
  int off;
} rec;

static int rec_index(lua_State *L) {
  const rec *r = lua_touserdata(L, 1);
  size_t klen;
  (void)lua_tolstring(L, 2, &klen);
  if (klen == 3) lua_pushlstring(L, r->base + r->off + SID_OFF, SID_LEN);
  else lua_pushlstring(L, r->base + r->off + PHONE_OFF, PHONE_LEN);
  return 1;
}

/* page() -> a table of NUMS records of text */
static int make_page(lua_State *L) {
  int i;
  lua_createtable(L, NUMS, 1);
  if (body_bytes) {                    /* a body in the heap, as ours */
    lua_newuserdatauv(L, body_bytes, 0);
    lua_setfield(L, -2, "body");
  }
  for (i = 0; i < NUMS; i++) {
    rec *r = lua_newuserdatauv(L, sizeof *r, 0);
    r->base = text;
    r->off = i * STRIDE;
    lua_pushvalue(L, lua_upvalueindex(1));
    lua_setmetatable(L, -2);
    lua_rawseti(L, -2, i + 1);
  }
  return 1;
}

static void put_digits(char *p, int n, unsigned long v) {
  while (n-- > 0) {
    p[n] = (char)('0' + v % 10);
    v /= 10;
  }
}

/* The "server": page p's text (distinct values per page unless repeat). */
static void write_page(int p, int repeat) {
  int i;
  unsigned long id = repeat ? 0 : (unsigned long)p * NUMS;
  for (i = 0; i < NUMS; i++) {
    char *t = text + i * STRIDE;
    memcpy(t + SID_OFF, "PN1558a3ff0d961ec3", 18);
    put_digits(t + SID_OFF + 18, SID_LEN - 18, id + (unsigned long)i);
    memcpy(t + PHONE_OFF, "+1", 2);
    put_digits(t + PHONE_OFF + 2, PHONE_LEN - 2, 2000000000UL + id + (unsigned long)i);
  }
}

/* Counted under callgrind (--toggle-collect=run_page): one page. */
__attribute__((noinline)) int run_page(lua_State *L, int loop);
__attribute__((noinline)) int run_page(lua_State *L, int loop) {
  lua_pushvalue(L, loop);
  return lua_pcall(L, 0, 0, 0);
}

static const char LOOP[] =
  "local page = ...\n"
  "return function()\n"
  "  local items = page()\n"
  "  for i = 1, #items do local n = items[i]; local _ = n.sid, n.phone_number end\n"
  "end\n";

int main(int argc, char **argv) {
  int repeat = argc > 1 && strcmp(argv[1], "repeat") == 0;
  int pages = argc > 2 ? atoi(argv[2]) : 50, p, loop;
  lua_State *L = luaL_newstate();
  if (argc > 3 && strcmp(argv[3], "body") == 0) body_bytes = 1341516;
  if (!L || (argc > 1 && !repeat && strcmp(argv[1], "distinct") != 0) ||
      (argc > 3 && !body_bytes)) {
    fprintf(stderr, "usage: floor_5_4 [distinct|repeat] [PAGES] [body]\n");
    return 2;
  }
  luaL_openlibs(L);
  lua_gc(L, LUA_GCGEN, 0, 0);
  if (luaL_loadstring(L, LOOP) != LUA_OK) return 1;
  lua_createtable(L, 0, 1);                         /* the records' metatable */
  lua_pushcfunction(L, rec_index);
  lua_setfield(L, -2, "__index");
  lua_pushcclosure(L, make_page, 1);
  lua_call(L, 1, 1);
  loop = lua_gettop(L);
  for (p = 0; p < pages; p++) {
    write_page(p, repeat);
    if (run_page(L, loop) != LUA_OK) {
      fprintf(stderr, "%s\n", lua_tostring(L, -1));
      return 1;
    }
  }
  /* check (not counted): the records read their page's values */
  if (luaL_loadstring(L, "local items = (...)(); return items[1].sid, items[1000].phone_number") != LUA_OK)
    return 1;
  lua_getupvalue(L, loop, 1);                       /* page() */
  lua_call(L, 1, 2);
  if (strncmp(lua_tostring(L, -2), text + SID_OFF, SID_LEN) != 0 ||
      strncmp(lua_tostring(L, -1), text + (NUMS - 1) * STRIDE + PHONE_OFF, PHONE_LEN) != 0) {
    fprintf(stderr, "floor_5_4: wrong values\n");
    return 1;
  }
  printf("pages=%d mode=%s%s last: %s %s\n", pages, repeat ? "repeat" : "distinct",
         body_bytes ? " body" : "",
         lua_tostring(L, -2), lua_tostring(L, -1));
  lua_close(L);
  return 0;
}
