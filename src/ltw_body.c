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
 * held twice; when it does not fit (or comes first, with no size to go
 * by), the handle's own buffer takes it and a large one becomes the
 * Body's block (ltw_body_adopt: no copy either).
 *
 * Where the bytes are counted depends on the collector (LTW_BODY_IN_HEAP,
 * ltw.h):
 * - Lua 5.4: in the userdata's size. The collector counts them, so it
 *   paces itself with the pages on its own: in generational mode (the
 *   lua5.4 interpreter's default) dead pages are old and only a major
 *   collection frees them, and majors follow the heap's growth only; bytes
 *   outside the heap never made it grow (parse_page used to force full
 *   collections instead; a GC step does not count as growth).
 * - LuaJIT: outside its heap, freed (pooled) by __gc. LuaJIT's allocator
 *   maps and unmaps every large block: in the heap, list-all took 17.9 k
 *   page faults instead of 3.1 k and ~50 % longer (perf stat,
 *   docs/PERFORMANCE-HISTORY.md). Its collector is incremental only, and a step
 *   "as if" the bytes were allocated (parse_page reports them, in batches
 *   of 2 MiB: see report_off_heap in ltw_record.c) paces it.
 *
 * Reused page blocks (both VMs): a Body of SPARE_MIN bytes or more reads
 * its bytes from a malloc'd block; when the Body is collected the block
 * goes to its Lua state's pool (registry[&pool_key]: up to NSPARE blocks,
 * while at most MAX_OWNED are out) instead of free, and the next large
 * Body takes a kept block that fits. Each page was fresh memory before:
 * glibc trims its heap's top when dead pages are freed together (or maps
 * and unmaps a block that size), so every page's 1.3 MB was faulted in
 * again under libcurl's copy into it. perf stat -e page-faults, list-all
 * against the page server, (51 pages - 1) / 50: 105 a page on 5.4 and 44
 * on LuaJIT before, 20 and 25 with the pool (most of them now the first
 * pages' blocks, before the collector frees any); (500 - 1) / 499: 42.6
 * and 4.4 before, 2.9 and 2.5 with the pool.
 * A block is handed on only by a finalizer, when nothing reaches the Body:
 * a page's records, its doc box and its Body (with its block's owner) die
 * together (the records' uservalue holds the box and the Body), and a
 * record resurrected by some other finalizer reads as closed (*box NULL),
 * a Body as empty: never the reused bytes.
 * On 5.4 the userdata keeps its full size (cap + 1 bytes after the
 * header) though a pooled Body's bytes are in the block: the collector
 * counts a page as before, so the pacing above is unchanged. Those bytes
 * are never written (untouched, malloc'd pages cost no fault and no RSS):
 * list-all peaks at 17.2 MB with them instead of 19.0 MB (VmHWM).
 *
 * Ownership: the Body owns its bytes (part of it; or a malloc'd block,
 * owned by the Body on LuaJIT and by its block owner on 5.4, freed or
 * pooled by an idempotent __gc). A document reading them anchors the Body
 * (a page's records keep it in their uservalue). The bytes are followed by
 * a NUL, which the JSON scanner requires. There is no close method on
 * purpose: a document may be reading the bytes. The pool owns the blocks
 * it keeps; its own __gc (lua_close) frees them, and a block handed back
 * after that is freed. */
#include <stdlib.h>
#include <string.h>

#include "ltw.h"

#define SPARE_MIN (64 * 1024)         /* smaller Bodies: no pool */
#define NSPARE 2                      /* blocks kept: dead pages of one
                                         collection (LuaJIT: two a cycle) */
#define MAX_OWNED 4                   /* no block kept while more are out */

/* registry[&pool_key]: the pool of the Lua state (one userdata). */
typedef struct body_pool {
  char *blk[NSPARE];                  /* owned: cap[i] + 1 bytes, or NULL */
  size_t cap[NSPARE];
  int owned;                          /* blocks taken from malloc and not
                                         freed yet: in Bodies or kept here */
  int closed;                         /* pool_gc ran: nothing is kept */
} body_pool;
static const char pool_key = 0;

#if !LTW_BODY_IN_HEAP
static char EMPTY[1];                 /* data of a Body not yet filled */
#endif

static body_pool *get_pool(lua_State *L) {
  body_pool *p;
  lua_pushlightuserdata(L, (void *)&pool_key);
  lua_rawget(L, LUA_REGISTRYINDEX);
  p = lua_touserdata(L, -1);          /* anchored by the registry */
  lua_pop(L, 1);
  return p && !p->closed ? p : NULL;
}

#ifdef LTW_BODY_TRACE
#include <stdio.h>
#define TRACE(...) fprintf(stderr, __VA_ARGS__)
#else
#define TRACE(...) ((void)0)
#endif

/* A block for a Body of cap bytes (+ NUL): a kept one about that size
 * (cap is the last page's length and 1/64 of room, ltw_curl.c next_hint:
 * a block up to 1/128 smaller still holds a page that grew a little; at
 * most a quarter larger, see fits_well there), else malloc'd; *got: its
 * capacity. NULL: no memory. */
static char *take_block(lua_State *L, size_t cap, size_t *got) {
  body_pool *p = cap >= SPARE_MIN ? get_pool(L) : NULL;
  char *blk;
  int i;
  if (p) {
    for (i = 0; i < NSPARE; i++) {
      blk = p->blk[i];
      if (blk && p->cap[i] >= cap - cap / 128 && p->cap[i] - cap / 4 <= cap) {
        *got = p->cap[i];
        p->blk[i] = NULL;             /* the caller's from here */
        p->cap[i] = 0;
        TRACE("body: take %zu (owned %d)\n", *got, p->owned);
        return blk;
      }
    }
  }
  *got = cap;
  blk = malloc(cap + 1);
  if (p && blk) p->owned++;
  TRACE("body: malloc %zu (owned %d)\n", cap, p ? p->owned : -1);
  return blk;
}

/* Keeps blk (cap + 1 bytes, read by nothing any more) for a next Body in
 * a free slot, or in place of a smaller kept one (the pages' size moved),
 * unless MAX_OWNED blocks are out already; else frees it. */
static void give_block(lua_State *L, char *blk, size_t cap) {
  body_pool *p = cap >= SPARE_MIN ? get_pool(L) : NULL;
  int i, small = 0;
  if (p) {
    for (i = 0; i < NSPARE; i++) {
      if (!p->blk[i]) {
        small = i;
        break;
      }
      if (p->cap[i] < p->cap[small]) small = i;
    }
    if (p->owned <= MAX_OWNED && (!p->blk[small] || p->cap[small] < cap)) {
      char *old = p->blk[small];
      p->blk[small] = blk;            /* the pool's from here */
      p->cap[small] = cap;
      blk = old;                      /* NULL: a free slot */
    }
    if (blk) p->owned--;
  }
  TRACE("body: %s %zu (owned %d)\n", blk ? "free" : "keep", cap, p ? p->owned : -1);
  free(blk);
}

static int pool_gc(lua_State *L) {
  body_pool *p = lua_touserdata(L, 1);
  int i;
  if (!p) return 0;
  p->closed = 1;                      /* Bodies finalized later free theirs */
  for (i = 0; i < NSPARE; i++) {
    free(p->blk[i]);
    p->blk[i] = NULL;
    p->cap[i] = 0;
  }
  return 0;
}

#if LTW_BODY_IN_HEAP
/* 5.4: the owner of a large Body's block, a small userdata in the Body's
 * user value (so alive while the Body is) with the __gc that hands the
 * block back. The Body itself has no __gc: an object with a finalizer
 * stays in the heap one more cycle (resurrected for its finalizer, with
 * everything it reaches), and in generational mode each major collection
 * then starts from a heap holding the pages it found dead: list-all's Lua
 * heap grew without bound (142 MB at 500 pages). Here only the small
 * owner waits a cycle; the page-sized Body goes in the collection that
 * finds it dead, as before. */
#define LTW_BLOCK_MT "twilio.BodyBlock"
struct ltw_body_blk {
  char *data;                         /* owned: cap + 1 bytes; NULL once
                                         handed back (blk_gc) */
  size_t cap;
};

static int blk_gc(lua_State *L) {
  ltw_body_blk *k = lua_touserdata(L, 1);
  char *p = k ? k->data : NULL;
  if (!p) return 0;
  k->data = NULL;                     /* a Body resurrected reads "" */
  give_block(L, p, k->cap);
  return 0;
}

/* b's bytes: none once its block went back (b resurrected by another
 * object's finalizer, its owner finalized in the same cycle). */
static const char *bytes(const ltw_body *b, size_t *len) {
  if (b->blk && !b->blk->data) {
    *len = 0;
    return "";
  }
  *len = b->len;
  return b->data;
}
#else
static const char *bytes(const ltw_body *b, size_t *len) {
  *len = b->len;
  return b->data;                     /* EMPTY once finalized */
}
#endif

int ltw_body_adopts(size_t len) { return len >= SPARE_MIN; }

/* A Body with room counted for cap bytes that reads "" until its block is
 * set (set_block); a small one (5.4, under SPARE_MIN) has its bytes
 * inline instead. Safe to collect as it is. */
ltw_body *ltw_new_body_shell(lua_State *L, size_t cap) {
#if LTW_BODY_IN_HEAP
  /* cap + 1 bytes in the heap either way: see the header */
  ltw_body *b = twl_newud(L, sizeof *b + cap + 1);   /* raises on OOM */
  ltw_body_blk *k;
  b->data = b->inline_data;
  b->len = b->cap = 0;
  b->blk = NULL;
  b->data[0] = '\0';
  luaL_setmetatable(L, LTW_BODY_MT);
  if (cap < SPARE_MIN) {
    b->cap = cap;                     /* inline */
    return b;
  }
  k = lua_newuserdatauv(L, sizeof *k, 0);
  k->data = NULL;
  k->cap = 0;
  luaL_setmetatable(L, LTW_BLOCK_MT); /* __gc armed */
  twl_setuv(L, -2);                   /* b anchors k */
  b->blk = k;                         /* k->data NULL: b reads "" */
#else
  ltw_body *b = lua_newuserdata(L, sizeof *b);
  (void)cap;
  b->data = EMPTY;                    /* safe to collect from here */
  b->len = b->cap = 0;
  luaL_setmetatable(L, LTW_BODY_MT);  /* __gc armed */
#endif
  return b;
}

/* b (a shell without its block) owns blk from here. */
static void set_block(ltw_body *b, char *blk, size_t cap) {
#if LTW_BODY_IN_HEAP
  b->blk->data = blk;                 /* owned by b's owner: blk_gc */
  b->blk->cap = cap;
#endif
  b->data = blk;                      /* LuaJIT: owned by b: body_gc */
  b->cap = cap;
}

void ltw_body_adopt(lua_State *L, ltw_body *b, char *blk, size_t len, size_t cap) {
  body_pool *p = cap >= SPARE_MIN ? get_pool(L) : NULL;
  if (p) p->owned++;                  /* given back through give_block */
  set_block(b, blk, cap);
  b->len = len;
}

ltw_body *ltw_new_body_cap(lua_State *L, size_t cap) {
  ltw_body *b = ltw_new_body_shell(L, cap);
  size_t got;
  char *p;
#if LTW_BODY_IN_HEAP
  if (!b->blk) return b;              /* small: inline */
#endif
  p = take_block(L, cap, &got);
  if (!p) luaL_error(L, "twilio: not enough memory");
  set_block(b, p, got);
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
  return bytes(lua_touserdata(L, idx), len);   /* a Body: the caller checked */
}

#if !LTW_BODY_IN_HEAP
/* Idempotent; a Body resurrected after it is empty (len 0). */
static int body_gc(lua_State *L) {
  ltw_body *b = luaL_checkudata(L, 1, LTW_BODY_MT);
  char *p = b->data;
  size_t cap = b->cap;
  if (p == EMPTY) return 0;
  b->data = EMPTY;
  b->len = b->cap = 0;
  give_block(L, p, cap);
  return 0;
}
#endif

static int body_len(lua_State *L) {
  size_t len;
  (void)bytes(luaL_checkudata(L, 1, LTW_BODY_MT), &len);
  lua_pushinteger(L, (lua_Integer)len);
  return 1;
}

static int body_tostring(lua_State *L) {
  size_t len;
  const char *s = bytes(luaL_checkudata(L, 1, LTW_BODY_MT), &len);
  lua_pushlstring(L, s, len);
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
#if LTW_BODY_IN_HEAP
  if (twl_newmetatable(L, LTW_BLOCK_MT)) {
    lua_pushcfunction(L, blk_gc);
    lua_setfield(L, -2, "__gc");
  }
  lua_pop(L, 1);
#endif
  /* the pool: one per Lua state, kept when the module is loaded again */
  lua_pushlightuserdata(L, (void *)&pool_key);
  lua_rawget(L, LUA_REGISTRYINDEX);
  if (lua_isnil(L, -1)) {
    body_pool *p;
    lua_pop(L, 1);
    p = lua_newuserdata(L, sizeof *p);
    memset(p, 0, sizeof *p);
    lua_createtable(L, 0, 1);
    lua_pushcfunction(L, pool_gc);
    lua_setfield(L, -2, "__gc");
    lua_setmetatable(L, -2);
    lua_pushlightuserdata(L, (void *)&pool_key);
    lua_pushvalue(L, -2);
    lua_rawset(L, LUA_REGISTRYINDEX);
  }
  lua_pop(L, 1);
}
