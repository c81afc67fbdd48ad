/* bench/floor_client.c -- the wall-clock floor of list-all on Lua 5.4: the
 * raw libcurl baseline's list-all (bench/baseline.c, the same code:
 * bench/baseline_common.h) plus what the cheapest Lua 5.4 binding must do
 * per page, timed in the same way.
 *
 *   floor_client list-all BASE_URL ACCOUNT_SID AUTH_TOKEN [N] [SIDS_FILE]
 *   (N and SIDS_FILE are accepted and ignored, as baseline's list-all does)
 *
 * Per page, on top of the baseline's GET and next_page_uri scan:
 *  - the records must stay valid after the loop and after the next page,
 *    so the page's bytes must outlive the request: the baseline's malloc'd
 *    buffer is handed over (no copy) to a full userdata (the page's "box")
 *    whose __gc gives it back to a pool of at most 2 buffers that the next
 *    request takes instead of fresh memory (none there: a buffer of the
 *    last page's size, as ours sizes the next Body); the box is allocated with the
 *    page's size (only its first bytes written), so that the collector
 *    counts the page. This is what ours does with a twilio.Body
 *    (docs/DESIGN.md), and it is needed: with a small box (FLOOR_BODY=small)
 *    the box outlives the many minor collections of its page's 1,000
 *    records, turns old, and with a heap that does not grow no major
 *    collection frees it: every page's buffer stays to the end (maxrss
 *    ~76 MB for 50 pages). FLOOR_BODY=copy instead copies each body into
 *    one page-sized Lua userdata (the Lua heap) and keeps reusing the
 *    baseline's buffer: a 1.3 MB copy and fresh pages each page.
 *    FLOOR_BODY=small|copy print impl=floor-5.4-small|floor-5.4-copy;
 *  - each number's "phone_number" and "sid" values are found with the
 *    baseline's strstr scan (its one pass for `"phone_number": "`, then the
 *    first `"sid": "PN` after each, a few bytes on; a value ends at the next
 *    '"'): no JSON parse, this is a floor;
 *  - the loop `for n in each_record do local sid, phone = n.sid,
 *    n.phone_number ... end` runs in a Lua 5.4 state with the generational
 *    collector (lua_gc(L, LUA_GCGEN, 0, 0), as the lua5.4 interpreter), as
 *    bench/ours.lua's list_all: it counts the items and samples
 *    collectgarbage("count") once a page. each_record is a C iterator that
 *    makes one full userdata per number (base pointer + two offsets and
 *    lengths, the page's box as its user value, a metatable); the
 *    C __index does no lookup (the key's length says which field) and pushes
 *    the value with lua_pushlstring. At a page's end the record handed out
 *    last gets its own copy of its two values (detach, below), as ours does,
 *    so that the loop variable does not keep the page alive through the
 *    next fetch.
 * Seconds are from just before the first request to the end of the loop,
 * start-up (the Lua state, the chunk) left out, as baseline and ours.lua.
 * Prints the line bench/baseline.c prints (impl=floor-5.4) plus
 * lua_peak_kb as ours.lua, and checks itself: exit 0 only when errors == 0,
 * every page held 1,000 numbers (the bench's page server: 50 pages ->
 * items=50000), the Lua loop read a sid and a phone number for each, and
 * the last record still reads its values after the loop and a full
 * collection. Built by `make build/bench/floor_client` (static Debian
 * liblua5.4.a, the library the lua5.4 interpreter is built with). */
#define _POSIX_C_SOURCE 200809L
#include <curl/curl.h>
#include <lauxlib.h>
#include <lua.h>
#include <lualib.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>

#include "baseline_common.h"

#define PER_PAGE 1000
#define SID_NEEDLE "\"sid\": \"PN"
#define PHONE_NEEDLE "\"phone_number\": \""

typedef struct rec {
  const char *base;             /* the page's bytes (the record's user value, the page's box or copy,
                                   keeps them alive) */
  unsigned sid_off, sid_len, phone_off, phone_len;
} rec;

/* The listing's C state (one listing per process). */
static struct {
  CURL *e;
  buf body;                     /* the baseline's reused buffer */
  char url[1024];               /* next page's url; "" after the last page */
  const char *base;
  size_t requests, errors, made, phones;
  rec *recs;                    /* malloc'd, this page's records; freed in main */
  size_t n, i, cap;
  int mode;                     /* FLOOR_BODY: ACCOUNT (default), SMALL, COPY */
  buf pool[2];                  /* bodies given back by collected boxes; freed in main */
  int npool;
  size_t last_cap;              /* the last handed-over buffer's size */
  char want[64];                /* the last detached record's sid and phone (the check's) */
  size_t want_sid, want_phone;
} F;

enum { ACCOUNT, SMALL, COPY };
static const char *const MODE_NAME[] = { "", "-small", "-copy" };

/* A page's box: owns a handed-over body buffer until collected. */
typedef struct box {
  buf b;
} box;

static int box_gc(lua_State *L) {          /* idempotent */
  box *x = lua_touserdata(L, 1);
  if (x->b.data) {
    if (F.npool < 2) F.pool[F.npool++] = x->b;
    else free(x->b.data);
    x->b.data = NULL;
  }
  return 0;
}

static int rec_index(lua_State *L) {
  const rec *r = lua_touserdata(L, 1);
  size_t klen;
  (void)lua_tolstring(L, 2, &klen);
  if (klen == 3) lua_pushlstring(L, r->base + r->sid_off, r->sid_len);
  else if (klen == 12) lua_pushlstring(L, r->base + r->phone_off, r->phone_len);
  else lua_pushnil(L);
  return 1;
}

/* Each number's phone_number and sid values in page[0, len) into F.recs:
 * the baseline's strstr scan for `"phone_number": "` (one pass, as its
 * count of the items), then the first `"sid": "PN` after each value (the
 * next key in Twilio's order: a few bytes on), which must come before the
 * next number's phone_number. Returns how many, or (size_t)-1 when a value
 * is unterminated, a sid is missing, or there are more than F.cap. */
static size_t scan(const char *page, size_t len) {
  size_t k = 0, pl = strlen(PHONE_NEEDLE), sl = strlen(SID_NEEDLE);
  const char *end = page + len, *s = strstr(page, PHONE_NEEDLE);
  while (s && s < end) {
    const char *v = s + pl, *q = strchr(v, '"'), *next, *sid, *sv, *sq;
    if (k == F.cap || !q) return (size_t)-1;
    next = strstr(q, PHONE_NEEDLE);
    sid = strstr(q, SID_NEEDLE);
    if (!sid || sid >= end || (next && sid > next)) return (size_t)-1;
    sv = sid + sl - 2;                      /* the value starts at "PN" */
    if ((sq = strchr(sv, '"')) == NULL) return (size_t)-1;
    F.recs[k].phone_off = (unsigned)(v - page); F.recs[k].phone_len = (unsigned)(q - v);
    F.recs[k].sid_off = (unsigned)(sv - page); F.recs[k].sid_len = (unsigned)(sq - sv);
    k++;
    s = next;
  }
  return k;
}

/* Fetches the next page, anchors its bytes in a new Lua userdata (the
 * page's box, or its copy with FLOOR_BODY=copy) left on the stack, and makes
 * its records in F.recs; 0 at the end or on a failure (F.errors). No curl
 * frame is on the stack when the Lua API is called (it may raise). */
static int next_page(lua_State *L) {
  const char *page;
  size_t ns, k, len;
  while (F.url[0]) {
    if (!F.body.data && F.npool) F.body = F.pool[--F.npool];
    else if (!F.body.data && F.last_cap) {  /* sized as the last page's, as ours: no regrowth */
      if ((F.body.data = malloc(F.last_cap)) == NULL) { F.errors++; return 0; }
      F.body.cap = F.last_cap;
    }
    if (!list_page(F.e, &F.body, F.url, sizeof F.url, F.base, &F.requests, &F.errors)) return 0;
    len = F.body.len;
    if (F.mode == COPY) {
      char *c = lua_newuserdatauv(L, F.body.len + 1, 0);
      memcpy(c, F.body.data, F.body.len + 1);
      page = c;
    } else {
      /* ACCOUNT: the page's size, as the collector should count it
         (never written past the box: no page faults) */
      box *x = lua_newuserdatauv(L, F.mode == ACCOUNT && len > sizeof *x ? len : sizeof *x, 0);
      x->b = F.body;                        /* handed over: the box owns it now */
      F.last_cap = F.body.cap;
      F.body.data = NULL;
      F.body.cap = F.body.len = 0;
      page = x->b.data;
      lua_pushvalue(L, lua_upvalueindex(2));
      lua_setmetatable(L, -2);
    }
    ns = scan(page, len);
    if (ns == (size_t)-1) { F.errors++; return 0; }
    for (k = 0; k < ns; k++) F.recs[k].base = page;
    F.phones += ns;
    F.n = ns;
    F.i = 0;
    if (ns) return 1;
    lua_pop(L, 1);
  }
  return 0;
}

/* At a page's end, the record handed out last (argument 2 of each_record:
 * the loop's control variable) gets a copy of its two values as its own
 * user value, so that it no longer anchors its page during the next fetch.
 * Otherwise that page lives through the next page's fetch and the minor
 * collections its box's allocation starts, turns old, and waits for a
 * major collection: measured, 6 to 12 pages alive, 16 MB of Lua heap
 * instead of ~3 MB. Ours detaches its last record the same way
 * (record.detach, lua/twilio/list.lua). */
static void detach(lua_State *L) {
  rec *r;
  char *c;
  int mine;
  if (lua_type(L, 2) != LUA_TUSERDATA || !lua_getmetatable(L, 2)) return;
  mine = lua_rawequal(L, -1, lua_upvalueindex(1));
  lua_pop(L, 1);
  if (!mine) return;
  r = lua_touserdata(L, 2);
  c = lua_newuserdatauv(L, r->sid_len + r->phone_len, 0);
  memcpy(c, r->base + r->sid_off, r->sid_len);
  memcpy(c + r->sid_len, r->base + r->phone_off, r->phone_len);
  if (r->sid_len + r->phone_len <= sizeof F.want) {
    memcpy(F.want, c, r->sid_len + r->phone_len);
    F.want_sid = r->sid_len;
    F.want_phone = r->phone_len;
  }
  r->base = c;
  r->sid_off = 0;
  r->phone_off = r->sid_len;
  lua_setiuservalue(L, 2, 1);
}

/* each_record(_, previous) -> the next record (a full userdata), or nothing
 * at the end. Upvalues: 1 the records' metatable, 2 the boxes' metatable.
 * The current page's box is the previous record's user value (the generic
 * for passes it back), not an upvalue: storing a young object in the old
 * closure would age it at once (the generational collector's barrier), and
 * an old box, holding its page outside the heap, waits for a major
 * collection that such a small heap seldom starts (measured: every page's
 * buffer alive to the end, 76 MB). */
static int each_record(lua_State *L) {
  rec *r;
  if (F.i == F.n) {
    int more;
    detach(L);
    more = next_page(L);
    if (!more) {                            /* the end: keep the last record for the check */
      lua_settop(L, 2);
      lua_setfield(L, LUA_REGISTRYINDEX, "floor_client.last");
      return 0;
    }
  } else if (lua_getiuservalue(L, 2, 1) == LUA_TNONE) {
    return luaL_error(L, "each_record: not a record");
  }
  r = lua_newuserdatauv(L, sizeof *r, 1);
  *r = F.recs[F.i++];
  lua_pushvalue(L, -2);
  lua_setiuservalue(L, -2, 1);
  lua_pushvalue(L, lua_upvalueindex(1));
  lua_setmetatable(L, -2);
  F.made++;
  return 1;
}

/* bench/ours.lua's jobs.list_all, with each_record for numbers:each{}. */
static const char LOOP[] =
  "local each_record = ...\n"
  "local items, peak = 0, 0\n"
  "local collect = collectgarbage\n"
  "for n in each_record do\n"
  "  local sid, phone = n.sid, n.phone_number\n"
  "  if sid and phone then items = items + 1 end\n"
  "  if items % 1000 == 1 then\n"
  "    local kb = collect('count')\n"
  "    if kb > peak then peak = kb end\n"
  "  end\n"
  "end\n"
  "return items, peak\n";

static const char CHECK[] =
  "local last = debug.getregistry()['floor_client.last']\n"
  "collectgarbage('collect')\n"
  "return last.sid, last.phone_number\n";

int main(int argc, char **argv) {
  const char *acct, *token;
  struct curl_slist *hdrs;
  struct rusage ru;
  lua_State *L;
  double t0, dt;
  lua_Integer items;
  double peak;
  int ok = 1;

  if (argc < 5 || strcmp(argv[1], "list-all") != 0) {
    fprintf(stderr, "usage: floor_client list-all BASE_URL ACCOUNT_SID AUTH_TOKEN [N] [SIDS_FILE]\n");
    return 2;
  }
  F.base = argv[2]; acct = argv[3]; token = argv[4];
  if (getenv("FLOOR_BODY") && *getenv("FLOOR_BODY")) {
    const char *m = getenv("FLOOR_BODY");
    if (strcmp(m, "small") == 0) F.mode = SMALL;
    else if (strcmp(m, "copy") == 0) F.mode = COPY;
    else { fprintf(stderr, "floor_client: FLOOR_BODY is small or copy (unset: the page-sized box)\n"); return 2; }
  }
  F.cap = 100000;
  F.recs = malloc(F.cap * sizeof *F.recs);
  L = luaL_newstate();
  if (!F.recs || !L) return 2;
  luaL_openlibs(L);
  lua_gc(L, LUA_GCGEN, 0, 0);
  if (luaL_loadstring(L, LOOP) != LUA_OK) { fprintf(stderr, "%s\n", lua_tostring(L, -1)); return 2; }
  lua_createtable(L, 0, 1);                 /* the records' metatable */
  lua_pushcfunction(L, rec_index);
  lua_setfield(L, -2, "__index");
  lua_createtable(L, 0, 1);                 /* the boxes' metatable */
  lua_pushcfunction(L, box_gc);
  lua_setfield(L, -2, "__gc");
  lua_pushcclosure(L, each_record, 2);

  curl_global_init(CURL_GLOBAL_DEFAULT);
  hdrs = bench_headers(acct, token);
  if (!hdrs) return 2;

  t0 = now();
  F.e = curl_easy_init();
  set_common(F.e, hdrs, &F.body);
  list_first_url(F.url, sizeof F.url, F.base, acct);
  if (lua_pcall(L, 1, 2, 0) != LUA_OK) {
    fprintf(stderr, "floor_client: %s\n", lua_tostring(L, -1));
    return 1;
  }
  curl_easy_cleanup(F.e);
  dt = now() - t0;

  items = lua_tointeger(L, -2);
  peak = lua_tonumber(L, -1);
  getrusage(RUSAGE_SELF, &ru);
  printf("result job=list-all impl=floor-5.4%s seconds=%.6f maxrss_kb=%ld items=%lld requests=%zu errors=%zu"
         " lua_peak_kb=%.0f\n", MODE_NAME[F.mode], dt, ru.ru_maxrss, (long long)items, F.requests, F.errors, peak);

  /* the self-check (not timed) */
  if (F.errors || items <= 0 || (size_t)items != F.made || (size_t)items != F.phones ||
      (size_t)items != PER_PAGE * F.requests) {
    fprintf(stderr, "floor_client: wrong counts: items=%lld records=%zu phone_numbers=%zu requests=%zu errors=%zu\n",
            (long long)items, F.made, F.phones, F.requests, F.errors);
    ok = 0;
  } else {
    if (luaL_loadstring(L, CHECK) != LUA_OK) return 1;
    if (lua_pcall(L, 0, 2, 0) != LUA_OK || !lua_isstring(L, -2) || !lua_isstring(L, -1) ||
        F.want_sid != 34 || F.want_phone < 2 ||
        lua_rawlen(L, -2) != F.want_sid || memcmp(lua_tostring(L, -2), F.want, F.want_sid) ||
        lua_rawlen(L, -1) != F.want_phone || memcmp(lua_tostring(L, -1), F.want + F.want_sid, F.want_phone) ||
        strncmp(lua_tostring(L, -2), "PN", 2) != 0 || lua_tostring(L, -1)[0] != '+') {
      fprintf(stderr, "floor_client: the last record does not read its values after the loop\n");
      ok = 0;
    }
  }
  lua_close(L);
  curl_slist_free_all(hdrs);
  free(F.body.data);
  while (F.npool) free(F.pool[--F.npool].data);
  free(F.recs);
  curl_global_cleanup();
  return ok ? 0 : 1;
}
