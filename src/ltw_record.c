/* ltw_record.c -- records, pages and error bodies (twilio.core).
 *
 *   rec, err = core.parse_record(kind, body, ctx)
 *   items, next_page_uri, err = core.parse_page(kind, items_key, body, ctx)
 *                               (body: a string or a twilio.Body, ltw_body.c)
 *   err = core.parse_error(status, body, content_type)
 *   core.set_methods(kind, methods)
 *   mt, index, api = core.record_reader(kind)   (LuaJIT's FFI read path:
 *                               twilio.record installs it; see ffi_read)
 *   next_item = core.page_iter(refill)   (Lua 5.4: list:each{}'s iterator)
 *   core.record_ctx / record_set_ctx / record_replace / record_detach /
 *   record_release / record_released / record_totable / record_json / record_kind / record_get
 *
 * A page's record is a small userdata without __gc: a borrowed pointer to its
 * page's doc box (below), its JSON object in the doc (a tw_jobj: span and
 * key index, the index memory owned by the doc), its kind and a "released"
 * flag (the number was released at Twilio; its fields stay readable).
 * Fields are decoded when read.
 *
 * A single record (parse_record, the fused call) is an orecord (see
 * there): one userdata holding the record, a copy of its body and the doc
 * reading it, with the ctx as its uservalue and a metatable of its own per
 * kind (the same methods, plus __gc). What follows is about pages.
 *
 * Ownership: one "doc box" userdata per page parse (DOC_BOX_MT) owns the
 * tw_jdoc (tw_json.c: the validated body and key
 * indexes) for good. Each record's uservalue is a small array
 * { [U_CTX] = ctx, [U_BODY] = body, [U_DOC] = doc box }, shared by
 * all records of one page: a record anchors both the box (so the doc it
 * points into) and the body the doc reads in place (tw_jdoc_borrow, zero
 * copy). The body is a Lua string, or a twilio.Body (a list page from the
 * curl transport: its bytes in a userdata, ltw_body.c). Both are in the
 * Lua heap, counted by the collector. A dead page is freed in one
 * collection: records, tables and the body need no finalizer; the box's
 * one __gc frees the doc. A record that outlives its page keeps the whole
 * page's doc and body alive.
 *
 * A record reads its doc through the box (*r->box), never a cached doc
 * pointer: if a record is resurrected by another object's finalizer in the
 * cycle that finalized its box (Lua runs finalizers in reverse order of
 * marking, so the box may go first), the box memory is still valid (the
 * record's uservalue anchors it) and *box is NULL: the record reads as
 * closed, with no use after free. __close (5.4) clears r->box: later reads
 * raise "record is closed"; it frees nothing (the page's other records
 * still use the doc).
 *
 * A record whose ctx changes alone (record_set_ctx) or that takes another
 * doc (record_replace) gets a table of its own first (record.own_uv), so
 * the others of its page keep theirs. One code path on both VMs (LuaJIT
 * has one fenv table per userdata).
 *
 * Ownership while parsing: the box is created *before* the parse (empty,
 * __gc armed), so any Lua error (out of memory) after the parse leaves no
 * C memory unowned; a failed parse drops the box's doc at once.
 *
 * Upvalues: every function here shares R, a private table:
 *   R[k] = metatable of kind k (1..NKINDS), R[metatable] = k,
 *   R[C_INDEX + k - 1] = kind k's C __index closure (set_methods puts it
 *   back as __index: twilio.record may have replaced it, see ffi_read),
 *   R.empty = the shared empty ctx table, R[R_ENV] = parse_page's own
 *   environment (LuaJIT, new_records), R[R_PENDING] = KB of list pages
 *   outside the heap not yet reported to the collector (report_off_heap),
 *   R[OWN_MT + k - 1] = kind k's owner metatable (orecord), R[it] = k; it is
 *   also registry[light userdata &kinds[k - 1]] (kept when the module
 *   reloads); registry[&single_key[k - 1]]: see new_box.
 * A kind's __index closure has R, the kind's method table, the kind's
 * metatable, its kind_index (see record_index: a light userdata, cheaper
 * to read) and the userdata holding that kind_index as upvalues 1 to 5;
 * set_methods replaces upvalue 2 (an empty table when there are none) and
 * updates the kind_index. */
#include <limits.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "ltw.h"
#include "ltw_call.h"
#include "tw_json.h"

#define DOC_BOX_MT "twilio.JsonDoc"

typedef struct record {
  tw_jdoc **box;         /* borrowed: the doc box in this record's uservalue
                            (U_DOC), which anchors it; NULL once closed.
                            *box is NULL once the box was finalized. */
  tw_jobj obj;           /* the record's JSON object in the doc (a copy; its
                            index memory is borrowed from the doc) */
  unsigned char kind;    /* index into kinds[] */
  unsigned char released;
  unsigned char own_uv;  /* the uservalue table is this record's alone */
  unsigned char uv_ctx;  /* the uservalue is the ctx table itself (an
                            owner not yet replaced: no table, see orecord) */
  unsigned char owner;   /* an orecord (set once, at creation) */
} record;

/* A single record that owns its text (parse_record, the fused call, the
 * bulk lane): one userdata holds the record and its text, with the ctx
 * table itself as its uservalue (no uservalue table, no doc box, no body
 * string). Its doc shares its lookup cache with the kind's other single
 * records (single_kind, below): the first read of rec.sid on a fresh
 * record finds the key where the previous record of that kind had it,
 * without scanning the members (verified as any hint; ~1 k instructions
 * less per fetch).
 * Lua 5.4 (LTW_BODY_IN_HEAP): the userdata holds a copy of the body, NUL
 * terminated, and the doc reading that copy in place (tw_jdoc_borrow: the
 * key index, malloc'd); its kind's owner metatable (R[OWN_MT + k]: the
 * same methods, plus __gc) frees the doc.
 * LuaJIT: the userdata holds the doc's whole block (tw_jdoc_parse_in: the
 * doc, its copy of the body, its key index), nothing malloc'd, and has
 * the kind's page metatable, without __gc; a doc that needed memory of
 * its own (tw_jdoc_external: an index larger than its block, an object
 * over 64 KiB) gets the owner metatable and its __gc instead. (Before: a
 * body string, a doc box with __gc and a uservalue table per record, as a
 * one-record page's: LuaJIT lowers its estimate of the live heap by the
 * size of the userdata it finalizes, so a finalized userdata holding the
 * body made it run a full cycle 4x as often; one without a finalizer has
 * no such cost.) On 5.4 the LuaJIT layout saves the finalizer (GCTM,
 * own_gc, luaC_checkfinalizer: ~1 k a record) but puts the doc's own ~550
 * bytes (its struct, item slot, members' index) in the Lua heap: 1.45 ->
 * 2.0 KB allocated per update, which an incremental collector pays for
 * by the byte, and glibc takes more to malloc and free the larger block.
 * Callgrind per call, (Ir(3100) - Ir(100)) / 3000, medians of 3, at
 * 39fac45: generational (the lua5.4 interpreter's mode) fetch -0.7 k,
 * update -0.4 k; incremental (5.4's default for embedders) fetch +0.05 k,
 * update +0.8 k. So 5.4 keeps the malloc'd doc and __gc.
 * r.box points to doc, so every reader (the C __index, the FFI reader,
 * json, totable) reads it as any record, through *box: NULL once
 * finalized (own_gc), so a record resurrected after that reads as closed
 * (one without __gc is never finalized: its memory lives while anything
 * reaches it). Page records (1000 per page) stay without __gc:
 * finalizers cost the collector per object. record_replace may point
 * r.box elsewhere (the record then gets a uservalue table like a page
 * record's, uv_ctx 0); doc stays until __gc, since another record that
 * replaced from this one may read it through &doc (and anchors this one).
 * Memory: the body is in the Lua heap (the collector counts it); on 5.4
 * the doc (its key index, outside the heap) is about half as large
 * (gc_pressure reports a doc's own memory when large). */
typedef struct orecord {
  record r;              /* first: an orecord is a record */
  tw_jdoc *doc;          /* owned: one reference; NULL until parsed, after a
                            failed parse and once finalized (LuaJIT: in
                            body, owned when tw_jdoc_external) */
  char body[1];          /* LTW_BODY_IN_HEAP: len bytes and a NUL, the
                            text doc reads; else the doc's block
                            (tw_jdoc_parse_in, tw_jdoc_in_size bytes) */
} orecord;
/* the doc's block is aligned for a pointer (tw_jdoc_parse_in) */
typedef char orecord_body_aligned[offsetof(orecord, body) % sizeof(void *) == 0 ? 1 : -1];

enum { U_CTX = 1, U_BODY = 2, U_DOC = 3 };   /* uservalue table slots */
#define U_N 3

static const struct kind_def {
  const char *name;      /* as passed by Lua */
  const char *mt;        /* metatable name */
  const char *label1;    /* fields shown by tostring */
  const char *label2;
} kinds[] = {
  { "PhoneNumber", "twilio.PhoneNumber", "sid", "phone_number" },
  { "AvailablePhoneNumber", "twilio.AvailablePhoneNumber", "phone_number",
    NULL },
  { "AssignedAddOn", "twilio.AssignedAddOn", "sid", NULL },
  { "Extension", "twilio.AddOnExtension", "sid", NULL },
  { "Country", "twilio.Country", "country_code", NULL },
};
#define NKINDS ((int)(sizeof kinds / sizeof kinds[0]))
typedef char nkinds_fit[NKINDS <= 8 ? 1 : -1];   /* single_key's size */
#define R_IDX lua_upvalueindex(1)
#define C_INDEX 100            /* R[C_INDEX + k]: see the top */
#define R_ENV (C_INDEX - 2)    /* R[R_ENV]: see new_records (LuaJIT) */

/* ---- helpers ------------------------------------------------------------- */

static int check_kind(lua_State *L, int idx) {
  const char *s = luaL_checkstring(L, idx);
  int k;
  for (k = 0; k < NKINDS; k++)
    if (strcmp(s, kinds[k].name) == 0) return k;
  return luaL_argerror(L, idx, lua_pushfstring(L, "unknown record kind '%s'", s));
}

/* The record at idx, or raises. Any of our kinds passes (same struct). */
static record *check_record(lua_State *L, int idx) {
  record *r = lua_touserdata(L, idx);
  if (r && lua_getmetatable(L, idx)) {
    int ok;
    lua_rawget(L, R_IDX);
    ok = lua_type(L, -1) == LUA_TNUMBER;
    lua_pop(L, 1);
    if (ok) return r;
  }
  luaL_argerror(L, idx, "twilio record expected");
  return NULL;
}

/* The doc record r reads, or NULL when closed (or its box finalized). */
static tw_jdoc *rdoc(const record *r) {
  return r->box ? *r->box : NULL;
}

static record *check_open(lua_State *L, int idx) {
  record *r = check_record(L, idx);
  if (!rdoc(r))
    luaL_error(L, "%s: record is closed", kinds[r->kind].mt);
  return r;
}

/* Pushes the ctx for argument idx: a table, or the shared empty one. */
static void push_ctx(lua_State *L, int idx) {
  if (lua_isnoneornil(L, idx)) {
    lua_getfield(L, R_IDX, "empty");
  } else {
    luaL_checktype(L, idx, LUA_TTABLE);
    lua_pushvalue(L, idx);
  }
}

/* Pushes a new uservalue table { ctx (at ctx), body (at body), doc box
 * (at box) }. */
static void push_uv(lua_State *L, int ctx, int body, int box) {
  lua_createtable(L, U_N, 0);
  lua_pushvalue(L, ctx);
  lua_rawseti(L, -2, U_CTX);
  lua_pushvalue(L, body);
  lua_rawseti(L, -2, U_BODY);
  lua_pushvalue(L, box);
  lua_rawseti(L, -2, U_DOC);
}

/* The doc box. Records hold &box->doc (a tw_jdoc **: doc is the first
 * member). The text the doc reads (a string or a Body) is anchored next to
 * the box in the records' uservalue. */
typedef struct doc_box {
  tw_jdoc *doc;          /* owned: one reference; NULL when empty/finalized */
} doc_box;

static int box_gc(lua_State *L) {
  doc_box *b = lua_touserdata(L, 1);
  if (b) {
    tw_jdoc *d = b->doc;
    b->doc = NULL;
    tw_jdoc_release(d);                 /* never reads the text */
  }
  return 0;
}

/* Pushes an empty box (safe state: NULLs, __gc armed) and returns it. */
/* Registry keys (light userdata: a lookup without interning a name, ~450
 * instructions less per lookup on LuaJIT): registry[&box_key] is the doc
 * box metatable, registry[&single_key[k]] kind k's single_kind: what its
 * single records share (new_single), a userdata holding their lookup
 * cache (tw_jhints_size() bytes), whose uservalue is the kind's page
 * metatable, which they get when their doc needs no __gc. Made once per
 * Lua state (ltw_open_record keeps it when the module reloads), so it
 * outlives every record whose doc uses its cache. */
static const char box_key = 0;
static const char single_key[8] = { 0 };

static doc_box *new_box(lua_State *L) {
  doc_box *b = lua_newuserdata(L, sizeof *b);
  b->doc = NULL;
  lua_pushlightuserdata(L, (void *)&box_key);
  lua_rawget(L, LUA_REGISTRYINDEX);
  lua_setmetatable(L, -2);
  return b;
}

/* Drops the box's reference now rather than at the next GC (failed
 * parses only: records point into a box's doc). */
static void box_drop(doc_box *box) {
  tw_jdoc *d = box->doc;
  box->doc = NULL;
  tw_jdoc_release(d);
}

/* The collector's view of a parse. The body (a string or a twilio.Body)
 * and the records are in the Lua heap: the collector counts them and
 * paces itself with them in either mode (incremental: LuaJIT, 5.4
 * embedders; generational: the 5.4 interpreter's default, where a major
 * collection follows the heap's growth and frees dead pages, old or not).
 * Only the doc's key index (tw_jdoc_bytes: ~10 % of a page's body) lives
 * outside the heap: it is reported as a step "as if" allocated, which
 * advances an incremental cycle by that much (or runs a minor collection
 * in generational mode). No full collection is forced: how often the
 * host's heap is traversed stays the host's decision.
 * Only an index of GC_REPORT_KB or more is reported (a list page's: ~200
 * KB): a single record's is ~1 KB, under a tenth of its body string,
 * which the collector already counts, and on LuaJIT each LUA_GCSTEP runs
 * collector steps until that debt is paid: callgrind, 2,000 fetches
 * (bench/ours.lua fetch against the nowait server, 2,200 minus 200
 * calls): 30.0 k instructions per fetch in lua_gc, of 170.4 k.
 * (Before: bodies were malloc'd outside the heap; in generational mode
 * records grow old during a page's iteration and only a major frees them,
 * which the heap's growth never triggered, so parse_page forced a full
 * collection per ~1 MiB of documents; without it list-all peaked at 35.7
 * MB on 5.4, see docs/PERFORMANCE-HISTORY.md.) */
/* A list page (parse_page) reports only when its body is outside the
 * heap: see there. */
#define GC_REPORT_KB 32
static void gc_pressure(lua_State *L, const tw_jdoc *d, size_t off_heap) {
  size_t kb = (tw_jdoc_bytes(d) + off_heap) / 1024;
  if (kb >= GC_REPORT_KB) lua_gc(L, LUA_GCSTEP, kb > INT_MAX ? INT_MAX : (int)kb);
}

static int is_oom(const tw_jerr *e) {
  return strcmp(e->msg, "out of memory") == 0;
}

/* ---- values --------------------------------------------------------------- */

/* Pushes string value v of d (unescaped); returns the offset past it. */
static int push_string(lua_State *L, const tw_jdoc *d, int v) {
  size_t n;
  int esc;
  const char *raw = tw_json_string(d, v, &n, &esc);
  if (!esc) {
    lua_pushlstring(L, raw, n);
  } else {
    char small[128];
    /* Scratch owned by the GC when large, so an error cannot leak it. */
    char *buf = n <= sizeof small ? small : lua_newuserdata(L, n);
    size_t m = tw_json_unescape(raw, n, buf);
    lua_pushlstring(L, buf, m);
    if (buf != small) lua_remove(L, -2);
  }
  return v + (int)n + 2;
}

/* Pushes number value v; returns the offset past it. */
static int push_number(lua_State *L, const tw_jdoc *d, int v) {
  size_t n;
  const char *raw = tw_json_raw(d, v, &n);
  long long i;
  double x;
  switch (tw_json_number(raw, n, &i, &x)) {
  case 1: lua_pushinteger(L, (lua_Integer)i); break;
  case 2: lua_pushnumber(L, (lua_Number)x); break;
  default: lua_pushnil(L); break;   /* cannot happen on a validated doc */
  }
  return v + (int)n;
}

/* Pushes value v as a plain Lua value; JSON null -> nil. Returns the
 * offset past the value. Nesting is bounded by TW_JSON_MAX_DEPTH
 * (tw_json.c validates it). */
static int push_value(lua_State *L, const tw_jdoc *d, int v) {
  switch (tw_json_type(d, v)) {
  case TW_JSTRING: return push_string(L, d, v);
  case TW_JNUMBER: return push_number(L, d, v);
  case TW_JTRUE:   lua_pushboolean(L, 1); return v + 4;
  case TW_JFALSE:  lua_pushboolean(L, 0); return v + 5;
  case TW_JNULL:   lua_pushnil(L); return v + 4;
  case TW_JOBJECT: {
    int pos = tw_json_first(d, v), k, val;
    luaL_checkstack(L, 4, "JSON value nested too deeply");
    lua_newtable(L);
    /* Backwards would make the first duplicate win; forwards the last
     * wins, as in most JSON decoders. Null members are left out. */
    while (tw_json_next(d, v, &pos, &k, &val)) {
      push_string(L, d, k);
      pos = push_value(L, d, val);
      lua_rawset(L, -3);          /* a nil value just leaves the key out */
    }
    return pos;
  }
  case TW_JARRAY: {
    int pos = tw_json_first(d, v), k, e, i = 0;
    luaL_checkstack(L, 4, "JSON value nested too deeply");
    lua_newtable(L);
    while (tw_json_next(d, v, &pos, &k, &e)) {
      pos = push_value(L, d, e);
      lua_rawseti(L, -2, ++i);    /* null -> a hole at its index */
    }
    return pos;
  }
  default: lua_pushnil(L); return v;
  }
}

/* Pushes top-level field v of doc d: as push_value, but "" reads as nil.
 * Strings (nearly every field read) are pushed here without the detour
 * through push_value and push_string. */
static void push_field(lua_State *L, const tw_jdoc *d, int v) {
  const char *s = tw_jdoc_text(d, NULL);
  if (s[v] == '"') {
    size_t n;
    int esc;
    const char *raw = tw_json_string(d, v, &n, &esc);
    if (n == 0) lua_pushnil(L);
    else if (!esc) lua_pushlstring(L, raw, n);
    else (void)push_string(L, d, v);
    return;
  }
  (void)push_value(L, d, v);
}

/* Pushes the whole record as a table (top-level "" and null left out). */
static void push_table(lua_State *L, const tw_jdoc *d, int obj) {
  int pos = tw_json_first(d, obj), k, val;
  lua_createtable(L, 0, 40);
  while (tw_json_next(d, obj, &pos, &k, &val)) {
    push_string(L, d, k);
    push_field(L, d, val);
    lua_rawset(L, -3);
    pos = tw_json_end(d, val);
  }
}

/* ---- records ------------------------------------------------------------- */

#define OWN_MT 200       /* R[OWN_MT + k]: kind k's owner metatable */

/* A record's fields in their safe state: closed (box NULL; the caller
 * points it to its doc once anchored), not released. owner: an orecord,
 * whose uservalue is its ctx table itself (uv_ctx). */
static void init_record(record *r, int kind, int own_uv, int owner) {
  r->box = NULL;
  r->kind = (unsigned char)kind;
  r->released = 0;
  r->own_uv = (unsigned char)own_uv;
  r->uv_ctx = (unsigned char)owner;
  r->owner = (unsigned char)owner;
}

static int decode_fail(lua_State *L, int nils, const char *msg);

/* __gc of the owner metatables: drops the doc (idempotent). Any record
 * passes check_record; only an orecord has a doc to drop. The collector's
 * call (a record with this kind's owner metatable: upvalue 2 holds its
 * address) skips check_record's lookup: ~250 of ~450 instructions a
 * single record's finalizer took on 5.4. */
static int own_gc(lua_State *L) {
  record *r = lua_touserdata(L, 1);
  if (!r || !lua_getmetatable(L, 1) ||
      lua_topointer(L, -1) != lua_touserdata(L, lua_upvalueindex(2)))
    r = check_record(L, 1);
  if (r->owner) {
    orecord *o = (orecord *)r;
    tw_jdoc *d = o->doc;
    o->doc = NULL;
    tw_jdoc_release(d);
  }
  return 0;
}

/* Pushes a new single record (an orecord) of kind for body[0..len)
 * (copied: the caller's bytes may go), with the ctx table at ctx and the
 * kind's single_kind at sk (absolute indices): returns 1; or nil, err
 * (kind "decode") for a body that is not a JSON object: returns 2.
 * Born in a safe state: closed (box NULL), doc NULL and without a
 * metatable; it points to its doc only once the parse succeeded and gets
 * its metatable then: the owner one (with __gc) when the doc holds memory
 * of its own (tw_jdoc_external: always on 5.4, whose doc is malloc'd),
 * else the kind's page one. Nothing between the parse and
 * lua_setmetatable raises, so the doc is never left unowned. */
static int new_single(lua_State *L, int kind, const char *body, size_t len,
                      int ctx, int sk) {
  tw_jdoc *d;
  tw_jerr e;
  tw_jhints *hints = lua_touserdata(L, sk);
  orecord *o;
#if LTW_BODY_IN_HEAP
  /* 5.4: the body's copy in the orecord, the doc malloc'd reading it */
  o = twl_newud(L, offsetof(orecord, body) + len + 1);
  init_record(&o->r, kind, 0, 1);
  o->doc = NULL;
  if (len) memcpy(o->body, body, len);
  o->body[len] = '\0';
  d = tw_jdoc_borrow_hinted(o->body, len, hints, &e);   /* reads o->body */
#else
  /* LuaJIT: the doc and its copy of the body in the orecord's block */
  size_t need = tw_jdoc_in_size(len);
  if (!need) return decode_fail(L, 0, "response is too large (more than 256 MiB)");
  o = twl_newud(L, offsetof(orecord, body) + need);
  init_record(&o->r, kind, 0, 1);
  o->doc = NULL;
  d = tw_jdoc_parse_in(o->body, need, body, len, hints, &e);
#endif
  if (!d) {
    if (is_oom(&e)) return luaL_error(L, "twilio: out of memory");
    lua_pop(L, 1);
    return decode_fail(L, 0, e.msg);
  }
  if (tw_json_type(d, tw_jdoc_root(d)) != TW_JOBJECT) {
    tw_jdoc_release(d);                 /* what it malloc'd, if anything */
    lua_pop(L, 1);
    return decode_fail(L, 0, "response is not a JSON object");
  }
  o->doc = d;
  if (tw_jdoc_external(d)) {            /* o owns d: the owner metatable */
    lua_pushlightuserdata(L, (void *)&kinds[kind]);
    lua_rawget(L, LUA_REGISTRYINDEX);
  } else {
    twl_getuv(L, sk);                   /* the page metatable: no __gc */
  }
  lua_setmetatable(L, -2);
  lua_pushvalue(L, ctx);
  twl_setuv(L, -2);
  o->r.obj = *tw_jdoc_root_obj(d);
  o->r.box = &o->doc;
  gc_pressure(L, d, 0);                 /* tw_jdoc_bytes: its own memory */
  return 1;
}

#if LUA_VERSION_NUM >= 502            /* new_records' (LuaJIT has its own) */
/* Pushes a new record for object o of the doc in box, with metatable at
 * mt and the uservalue table at uv (absolute indices; the table anchors
 * the box and the body its doc borrows). Built closed first; it points to
 * the box only once the uservalue anchors it. Nothing to free: no __gc. */
static void new_record(lua_State *L, int kind, tw_jdoc **box,
                       const tw_jobj *o, int mt, int uv, int own_uv) {
  record *r = twl_newud(L, sizeof *r);
  init_record(r, kind, own_uv, 0);
  lua_pushvalue(L, mt);
  lua_setmetatable(L, -2);
  lua_pushvalue(L, uv);
  twl_setuv(L, -2);
  r->box = box;
  r->obj = *o;
}
#endif

/* Appends a record for each of the n objects of items (a page's, in the
 * doc in box) to the table on top, as new_record makes them (metatable at
 * mt, the page's shared uservalue table at uv: absolute indices).
 * LuaJIT: a new userdata's environment (its uservalue) is the running C
 * function's, so the page's table is made this function's environment for
 * the loop, and each record is born with it: no lua_setfenv (and two
 * stack lookups) per record, ~60 instructions of ~290. The function's own
 * environment (R[R_ENV], kept at the first call) is put back after the
 * loop; a Lua error inside it (out of memory) leaves the page's table
 * there until the next call puts the kept one back, which only keeps that
 * page alive a little longer. */
static void new_records(lua_State *L, int kind, tw_jdoc **box,
                        const tw_jobj *items, int n, int mt, int uv) {
  int i;
#if LUA_VERSION_NUM < 502
  /* the function's own environment, as found at its first call (a later
   * call may find a page's table left by an error in this loop) */
  if (lua_rawgeti(L, R_IDX, R_ENV), lua_isnil(L, -1)) {
    lua_pop(L, 1);
    lua_pushvalue(L, LUA_ENVIRONINDEX);
    lua_pushvalue(L, -1);
    lua_rawseti(L, R_IDX, R_ENV);
  }
  lua_pushvalue(L, uv);
  lua_replace(L, LUA_ENVIRONINDEX);
  for (i = 0; i < n; i++) {
    record *r = lua_newuserdata(L, sizeof *r);       /* env: uv's table */
    init_record(r, kind, 0, 0);
    lua_pushvalue(L, mt);
    lua_setmetatable(L, -2);
    r->box = box;
    r->obj = items[i];
    lua_rawseti(L, -3, i + 1);
  }
  lua_replace(L, LUA_ENVIRONINDEX);
#else
  for (i = 0; i < n; i++) {
    new_record(L, kind, box, &items[i], mt, uv, 0);
    lua_rawseti(L, -2, i + 1);
  }
#endif
}

/* The value of field key (klen bytes) of record r, open on doc d, or -1.
 * A lookup may build the record's key index (when the scan did not:
 * objects over 64 KiB); the doc owns it, so nothing leaks if luaL_error
 * longjmps. hint: see tw_json_lookup. */
static int field(lua_State *L, record *r, tw_jdoc *d, const char *key,
                 size_t klen, const void *hint) {
  int v = tw_json_lookup(d, &r->obj, key, klen, hint);
  if (v == -2) luaL_error(L, "twilio: out of memory");
  return v;
}

#if LUA_VERSION_NUM >= 504
/* __close: marks the record closed (idempotent). Frees nothing: the doc
 * belongs to the page's box, which the GC finalizes. */
static int record_close(lua_State *L) {
  check_record(L, 1)->box = NULL;
  return 0;
}
#endif

#if LUA_VERSION_NUM >= 504
#define RAWGET_TYPE(L, i) lua_rawget((L), (i))
#else
#define RAWGET_TYPE(L, i) (lua_rawget((L), (i)), lua_type((L), -1))
#endif

/* What a kind's C __index reads on every call (its upvalue 4, pointing
 * into the userdata of upvalue 5, made with the closure, which anchors
 * it): which metatables are the kind's, and what
 * set_methods knows of the kind's method table (upvalue 2).
 * frozen: the table is a snapshot that nothing changes (set_methods'
 * third argument: record.define hands over a copy that only the index
 * closures hold), so lens and other say exactly which keys it may hold:
 * a string key whose length has no bit in lens, or any other key when
 * other is 0, is no method, and the read skips the table (a pushvalue
 * and a rawget: ~110 of the ~600 instructions of a field read on Lua
 * 5.4, callgrind). Not frozen (core.set_methods' table, used live: it may
 * change at any time), every read looks the key up in the table. */
typedef struct kind_index {
  const void *mt;          /* the kind's metatable (page records) */
  const void *own_mt;      /* its owner metatable (orecord) */
  uint64_t lens;           /* frozen: bit min(#key, 63) of each string key */
  unsigned char frozen;
  unsigned char other;     /* frozen: some key is not a string */
} kind_index;

/* Whether key (at 2; key is its text, NULL when not a string) may be one
 * of the methods of the kind whose index is ki. */
static int maybe_method(const kind_index *ki, const char *key, size_t klen) {
  if (!ki->frozen) return 1;
  if (!key) return ki->other;
  return (int)(ki->lens >> (klen < 63 ? klen : 63) & 1);
}

/* __index: the kind's methods (upvalue 2, always a table) first, then
 * fields. The hot path of every field read (n.sid) on Lua 5.4: the record
 * is recognized by its metatable being this kind's (kind_index: its
 * address and the owner metatable's; a record of another kind passed by
 * hand goes through check_record), and the method table is read raw
 * unless it cannot hold the key (kind_index). Nothing is popped: a C
 * function returns its top value, whatever lies below it. */
static int record_index(lua_State *L) {
  record *r = lua_touserdata(L, 1);
  const kind_index *ki;
  size_t klen = 0, n;
  const char *key = NULL, *s;
  tw_jdoc *d;
  int v;
  if (!r || !lua_getmetatable(L, 1)) return luaL_argerror(L, 1, "twilio record expected");
  ki = lua_touserdata(L, lua_upvalueindex(4));
  {
    const void *mt = lua_topointer(L, -1);
    if (mt != ki->mt && mt != ki->own_mt) r = check_record(L, 1);
  }
  if (lua_type(L, 2) == LUA_TSTRING) key = lua_tolstring(L, 2, &klen);
  if (maybe_method(ki, key, klen)) {
    lua_pushvalue(L, 2);
    if (RAWGET_TYPE(L, lua_upvalueindex(2)) != LUA_TNIL) return 1;
  }
  if (!key) return 0;
  d = rdoc(r);
  if (!d)
    return luaL_error(L, "%s: record is closed", kinds[r->kind].mt);
  /* The key string's address is the lookup hint: Lua interns short
   * strings, so rec.sid on every record of a page passes the same one.
   * A plain string (nearly every read) comes back with the lookup. */
  v = tw_json_lookup_str(d, &r->obj, key, klen, key, &s, &n);
  if (v < 0) {
    if (v == -2) luaL_error(L, "twilio: out of memory");
    return 0;
  }
  if (!s) {
    push_field(L, d, v);
    return 1;
  }
  if (n == 0) return 0;                             /* "" reads as nil */
  lua_pushlstring(L, s, n);
  return 1;
}

/* The FFI read path (LuaJIT; twilio.record installs it): a Lua __index
 * that the JIT compiles calls this through a function pointer
 * (core.record_reader) for the value of field key of record rec, which the
 * Lua side has checked is a record of this module (its metatable).
 * Returns the length (> 0) of a string value without escapes and points
 * *out at its bytes in the doc (the caller copies them into a Lua string at
 * once: ffi.string); -1 for a value that reads as nil (missing, null, "");
 * -2 for everything else (escapes, numbers, booleans, objects, arrays, a
 * closed record, out of memory), which the caller hands to the C __index,
 * so every value reads exactly as there. Calls no Lua, never raises. */
static int ffi_read(void *rec, const char *key, size_t klen, const char **out) {
  record *r = rec;
  tw_jdoc *d = rdoc(r);
  const char *s;
  size_t n;
  int v;
  if (!d) return -2;
  v = tw_json_lookup_str(d, &r->obj, key, klen, key, &s, &n);
  if (v == -1) return -1;
  if (v < 0) return -2;
  if (s) {
    *out = s;
    return n == 0 ? -1 : (int)n;   /* bodies are under TW_JSON_MAX_BODY */
  }
  if (tw_jdoc_text(d, NULL)[v] == 'n') return -1;   /* null */
  return -2;                       /* escapes, numbers, booleans, nesting */
}

/* What core.record_reader hands to the FFI (a light userdata): record.lua
 * declares the same layout. */
typedef struct ltw_record_api {
  int (*read)(void *rec, const char *key, size_t klen, const char **out);
} ltw_record_api;
static const ltw_record_api record_api = { ffi_read };

static int record_newindex(lua_State *L) {
  record *r = check_record(L, 1);
  const char *mt = kinds[r->kind].mt;
  luaL_where(L, 2);                     /* the assignment in Lua code */
  if (lua_type(L, 2) != LUA_TSTRING)
    lua_pushfstring(L, "%s: fields are read-only", mt);
  else if (r->kind == 0)
    lua_pushfstring(L, "%s: field '%s' is read-only; use n:update{ %s = ... }",
                    mt, lua_tostring(L, 2), lua_tostring(L, 2));
  else
    lua_pushfstring(L, "%s: field '%s' is read-only", mt, lua_tostring(L, 2));
  lua_concat(L, 2);
  return lua_error(L);
}

/* Appends the printable, SID-like characters of a field (at most 64). */
static void add_label(lua_State *L, luaL_Buffer *b, record *r, tw_jdoc *d,
                      const char *name) {
  size_t n, i;
  const char *raw;
  int esc;
  int v = field(L, r, d, name, strlen(name), NULL);
  if (tw_json_type(d, v) != TW_JSTRING) return;
  raw = tw_json_string(d, v, &n, &esc);
  if (n == 0) return;
  luaL_addchar(b, ' ');
  for (i = 0; i < n && i < 64; i++) {
    char c = raw[i];
    int ok = (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') ||
             (c >= 'A' && c <= 'Z') || c == '+' || c == '-' || c == '_' ||
             c == '.';
    luaL_addchar(b, ok ? c : '?');
  }
}

/* "twilio.PhoneNumber: PN... +14155550100 (released)": sid, number or
 * country code only; never any other field. */
static int record_tostring(lua_State *L) {
  record *r = check_record(L, 1);
  const struct kind_def *k = &kinds[r->kind];
  tw_jdoc *d = rdoc(r);
  luaL_Buffer b;
  luaL_buffinit(L, &b);
  luaL_addstring(&b, k->mt);
  if (!d) {
    luaL_addstring(&b, " (closed)");
  } else {
    luaL_addchar(&b, ':');
    add_label(L, &b, r, d, k->label1);
    if (k->label2) add_label(L, &b, r, d, k->label2);
    if (r->released) luaL_addstring(&b, " (released)");
  }
  luaL_pushresult(&b);
  return 1;
}

#if LUA_VERSION_NUM >= 502
static int pairs_next(lua_State *L) {
  lua_settop(L, 2);
  if (lua_next(L, 1)) return 2;
  return 0;
}

/* __pairs (Lua 5.4; LuaJIT has none): iterates a decoded copy. */
static int record_pairs(lua_State *L) {
  record *r = check_open(L, 1);
  lua_pushcfunction(L, pairs_next);
  push_table(L, rdoc(r), r->obj.start);
  lua_pushnil(L);
  return 3;
}
#endif

/* ---- module functions ----------------------------------------------------- */

/* Returns nils x nil, then nil, err (kind "decode"). */
static int decode_fail(lua_State *L, int nils, const char *msg) {
  int i;
  for (i = 0; i < nils; i++) lua_pushnil(L);
  return nils + ltw_fail(L, "decode", NULL, msg);
}

/* rec, err = core.parse_record(kind, body, ctx): an orecord (a copy of
 * body, which the caller may drop). */
static int l_parse_record(lua_State *L) {
  int kind = check_kind(L, 1);
  size_t len;
  const char *body = luaL_checklstring(L, 2, &len);
  lua_settop(L, 3);
  push_ctx(L, 3);                                   /* 4 */
  lua_pushlightuserdata(L, (void *)&single_key[kind]);
  lua_rawget(L, LUA_REGISTRYINDEX);                 /* 5: its single_kind */
  return new_single(L, kind, body, len, 4, 5);
}

/* A page's bytes outside the Lua heap (its Body on LuaJIT, and its
 * doc's index), told to the collector in batches: R[R_PENDING] holds the
 * KB parsed since the last report, reported as one step once they reach
 * GC_PAGE_BATCH_KB. On LuaJIT a step of more than the heap runs the
 * current cycle to its end, and a step while the collector rests starts
 * one: whatever its size, a step per page was a full collection per page
 * (list-all: 6.64 M instructions per page against 6.05 M with no step;
 * 1/2 to 1/8 of the bytes cost the same). The batch lets the pages' own
 * allocations pace the collector in between: with 1.34 MB pages a cycle
 * every second page, 6.25 M per page, peak 18.0 MB at 50 and 500 pages
 * (16.4 MB stepping every page; every third page: 20.0-20.7 MB; no step:
 * 24.4-25.8 MB, growing). At most GC_PAGE_BATCH_KB of dead pages go
 * unreported, whatever the page size. */
#define R_PENDING (C_INDEX - 1)
#define GC_PAGE_BATCH_KB 2048
static void report_off_heap(lua_State *L, const tw_jdoc *d, size_t off_heap) {
  lua_Integer kb;
  lua_rawgeti(L, R_IDX, R_PENDING);
  kb = lua_tointeger(L, -1);                        /* nil (never set): 0 */
  lua_pop(L, 1);
  kb += (lua_Integer)((tw_jdoc_bytes(d) + off_heap) / 1024);
  if (kb >= GC_PAGE_BATCH_KB) {
    lua_gc(L, LUA_GCSTEP, kb > INT_MAX ? INT_MAX : (int)kb);
    kb = 0;
  }
  lua_pushinteger(L, kb);
  lua_rawseti(L, R_IDX, R_PENDING);
}

/* The fused call's and the bulk lane's parse (ltw_call.h): l_parse_record
 * for body[0..len) (copied: the caller's buffer may go) and the ctx table
 * at ctx_idx, without this module's upvalue (what the kind's single
 * records share comes from the registry, under the light userdata
 * &single_key[k], where ltw_open_record put it). nil, err gets
 * err.status = status. */
int ltw_record_from_bytes(lua_State *L, const char *kind_name, const char *body,
                          size_t len, int ctx_idx, long status) {
  int kind;
  for (kind = 0; kind < NKINDS; kind++)
    if (strcmp(kind_name, kinds[kind].name) == 0) break;
  if (kind == NKINDS) return luaL_error(L, "twilio: unknown record kind '%s'", kind_name);
  ctx_idx = lua_absindex(L, ctx_idx);
  lua_pushlightuserdata(L, (void *)&single_key[kind]);
  lua_rawget(L, LUA_REGISTRYINDEX);                 /* top: its single_kind */
  if (new_single(L, kind, body, len, ctx_idx, lua_gettop(L)) == 1) return 1;
  lua_pushinteger(L, (lua_Integer)status);
  lua_setfield(L, -2, "status");
  return 2;
}

#if LUA_VERSION_NUM >= 504
/* ---- lazy pages (Lua 5.4: list:each{}'s C iterator) ----------------------
 *
 *   page, next_page_uri, err = core.parse_page(kind, items_key, body, ctx, true)
 *
 * A page whose records are born when they are handed out, not all at the
 * parse: page_next (below) makes item j's record when the loop asks for it,
 * exactly as new_records would have made it (the kind's metatable, the
 * page's shared uservalue table, the item's span copied from the doc), so
 * a record reads, prints, pairs, detaches and outlives its page as any
 * page record. What it saves per item on Lua 5.4 (callgrind, list-all):
 * the table of 1,000 records (its write at the parse, the iterator's read
 * and its clearing write), and no record of a page is pinned by anything
 * but the caller once handed out (the collector frees them young).
 * page[i] (1 <= i <= #page) makes item i's record (twilio.list's advance
 * hands out a page's first item so); page[i] = v does nothing (advance
 * clears a table page's slot so; here nothing is pinned). Only
 * list:each{} asks for one (twilio.list), for core.page_iter.
 *
 * Ownership: the page is a userdata without __gc, its uservalues anchor
 * LP_UV, the page's shared uservalue table (so the doc box, its doc and
 * the body) and LP_MT the kind's metatable. items points into the doc (the
 * item spans its scan recorded, owned by the doc, never written after the
 * parse), read only while *box is non-NULL (a page revived by a finalizer
 * after its box was finalized makes closed records). Born safe: box NULL
 * until the uservalue anchors the box. */
typedef struct lazy_page {
  tw_jdoc **box;          /* borrowed: see above; NULL until anchored */
  const tw_jobj *items;   /* borrowed: the doc's item spans */
  lua_Integer n;          /* items */
  lua_Integer i;          /* page_next: the position handed out last */
  int kind;
} lazy_page;
enum { LP_UV = 1, LP_MT = 2 };
static const char lpage_key = 0;   /* registry[&lpage_key]: its metatable */

static void new_lazy_page(lua_State *L, int kind, tw_jdoc **box,
                          const tw_jobj *items, int n, int mt, int uv) {
  lazy_page *pg = lua_newuserdatauv(L, sizeof *pg, 2);
  pg->box = box;                       /* anchored by uv, on the stack */
  pg->items = items;
  pg->n = n;
  pg->i = 0;
  pg->kind = kind;
  lua_pushlightuserdata(L, (void *)&lpage_key);
  lua_rawget(L, LUA_REGISTRYINDEX);
  lua_setmetatable(L, -2);
  lua_pushvalue(L, uv);
  lua_setiuservalue(L, -2, LP_UV);
  lua_pushvalue(L, mt);
  lua_setiuservalue(L, -2, LP_MT);
}

/* The lazy page at idx, or NULL. */
static lazy_page *to_lpage(lua_State *L, int idx) {
  lazy_page *pg = lua_touserdata(L, idx);
  int ok;
  if (!pg || !lua_getmetatable(L, idx)) return NULL;
  lua_pushlightuserdata(L, (void *)&lpage_key);
  lua_rawget(L, LUA_REGISTRYINDEX);
  ok = lua_rawequal(L, -1, -2);
  lua_pop(L, 2);
  return ok ? pg : NULL;
}

/* Pushes item j's record (1 <= j <= n) of the lazy page pg, with the
 * page's metatable at mt and uservalue table at uv (absolute or upvalue
 * indices): new_record's. A page whose box is finalized (only a page
 * revived by a finalizer) gives closed records: its items are gone with
 * the doc, so none is read. */
static void lp_push_record(lua_State *L, const lazy_page *pg, lua_Integer j,
                           int mt, int uv) {
  static const tw_jobj none;             /* a closed record's object */
  new_record(L, pg->kind, pg->box, *pg->box ? &pg->items[j - 1] : &none, mt, uv, 0);
}

static int lpage_index(lua_State *L) {
  lazy_page *pg = to_lpage(L, 1);
  int isnum;
  lua_Integer j = lua_tointegerx(L, 2, &isnum);
  if (!pg) return luaL_argerror(L, 1, "twilio page expected");
  if (!isnum || j < 1 || j > pg->n) return 0;
  lua_getiuservalue(L, 1, LP_MT);
  lua_getiuservalue(L, 1, LP_UV);
  lp_push_record(L, pg, j, lua_gettop(L) - 1, lua_gettop(L));
  return 1;
}

static int lpage_newindex(lua_State *L) {
  (void)L;
  return 0;
}

static int lpage_len(lua_State *L) {
  lazy_page *pg = to_lpage(L, 1);
  if (!pg) return luaL_argerror(L, 1, "twilio page expected");
  lua_pushinteger(L, pg->n);
  return 1;
}
#endif

/* items, next_page_uri, err = core.parse_page(kind, items_key, body, ctx[, lazy])
 * body: a string, or a twilio.Body, read in place (the records' uservalue
 * anchors it). lazy (Lua 5.4): items is a lazy page (above), not a table. */
static int l_parse_page(lua_State *L) {
  int kind = check_kind(L, 1);
  const char *items_key = luaL_checkstring(L, 2);
  size_t len;
  const char *body;
  doc_box *box;
  tw_jdoc *d;
  tw_jerr e;
  const tw_jobj *items;
  int next, n;
  size_t off_heap = 0;        /* bytes of a Body outside the Lua heap */
#if LUA_VERSION_NUM >= 504
  int lazy = lua_toboolean(L, 5);
#endif
  if (ltw_isbody(L, 3)) {
    body = ltw_body_bytes(L, 3, &len);
    if (!LTW_BODY_IN_HEAP) off_heap = len;
  } else {
    body = luaL_checklstring(L, 3, &len);
  }
  lua_settop(L, 4);
  push_ctx(L, 4);                                   /* 5 */
  lua_rawgeti(L, R_IDX, kind + 1);                  /* 6: metatable */
  box = new_box(L);                                 /* 7 */
  push_uv(L, 5, 3, 7);                 /* 8: shared by the page */
  /* The scan records the items array's element spans as it validates;
   * d reads the body in place (the string or Body anchored by the
   * uservalue). */
  d = tw_jdoc_borrow(body, len, items_key, &e);
  if (!d) {
    if (is_oom(&e)) return luaL_error(L, "twilio: out of memory");
    return decode_fail(L, 1, e.msg);
  }
  box->doc = d;                                     /* the box owns d */
  /* Only a body outside the heap (a Body on LuaJIT) is reported, with
   * its index: a body in the heap (a string; a Body on 5.4) is counted
   * by the collector already and dies with its index, a fraction of its
   * size; a step for that index cost ~170 k instructions per list page
   * on 5.4 (a minor collection that the Body's own allocation was about
   * to run anyway) and kept no memory lower (list-all 50 and 500 pages:
   * 18.8 MB either way). */
  if (off_heap) report_off_heap(L, d, off_heap);
  if (tw_json_page(d, items_key, &items, &n, &next, &e) != 0) {
    if (is_oom(&e)) return luaL_error(L, "twilio: out of memory");
    box_drop(box);
    return decode_fail(L, 1, e.msg);
  }
#if LUA_VERSION_NUM >= 504
  if (lazy) new_lazy_page(L, kind, &box->doc, items, n, 6, 8);
  else
#endif
  {
    lua_createtable(L, n, 0);
    new_records(L, kind, &box->doc, items, n, 6, 8);
  }
  if (next >= 0) push_string(L, d, next);
  else lua_pushnil(L);
  return 2;                            /* the box keeps d for the records */
}

/* Sets err[field] to the first non-empty string among toks, if any;
 * returns whether one was set. */
static int set_string_field(lua_State *L, int err, const tw_jdoc *d,
                            const char *field, const int *toks, int n) {
  int i;
  for (i = 0; i < n; i++) {
    size_t len;
    if (tw_json_type(d, toks[i]) != TW_JSTRING) continue;
    (void)tw_json_raw(d, toks[i], &len);
    if (len == 0) continue;
    push_string(L, d, toks[i]);
    lua_setfield(L, err, field);
    return 1;
  }
  return 0;
}

/* Twilio's code: a number, or a number sent as a string. */
static int set_code(lua_State *L, int err, const tw_jdoc *d, int tok) {
  size_t n;
  const char *raw;
  long long i;
  double x;
  int t = tw_json_type(d, tok);
  if (t != TW_JNUMBER && t != TW_JSTRING) return 0;
  raw = tw_json_raw(d, tok, &n);
  switch (tw_json_number(raw, n, &i, &x)) {
  case 1: lua_pushinteger(L, (lua_Integer)i); break;
  case 2:
    if (x == (double)(lua_Integer)x) lua_pushinteger(L, (lua_Integer)x);
    else lua_pushnumber(L, x);
    break;
  default: return 0;
  }
  lua_setfield(L, err, "code");
  return 1;
}

static int looks_like_json(const char *body, size_t len, const char *ctype) {
  size_t i = 0;
  if (ctype && strstr(ctype, "json")) return 1;
  while (i < len && (body[i] == ' ' || body[i] == '\t' || body[i] == '\n' ||
                     body[i] == '\r'))
    i++;
  return i < len && (body[i] == '{' || body[i] == '[');
}

/* err = core.parse_error(status, body, content_type): always an error table
 * of kind "api" whose status is the HTTP status given. */
static int l_parse_error(lua_State *L) {
  lua_Integer status = luaL_optinteger(L, 1, 0);
  size_t len;
  const char *body = luaL_optlstring(L, 2, "", &len);
  const char *ctype = luaL_optstring(L, 3, NULL);
  doc_box *box;
  tw_jdoc *d = NULL;
  tw_jerror_fields f;
  tw_jerr e;
  char msg[256], whybuf[64];
  const char *why = NULL;
  int err;
  lua_settop(L, 3);
  ltw_push_error(L, "api", NULL);
  err = lua_gettop(L);
  lua_pushinteger(L, status);
  lua_setfield(L, err, "status");
  box = new_box(L);
  e.msg[0] = '\0';
  if (len > 0) {
    d = tw_jdoc_parse(body, len, NULL, &e);
    if (!d && is_oom(&e)) return luaL_error(L, "twilio: out of memory");
    box->doc = d;                                   /* the box owns d */
  }
  if (d && tw_json_error_fields(d, &f) == 0) {
    int msgs[3], infos[1];
    msgs[0] = f.message; msgs[1] = f.detail; msgs[2] = f.title;
    infos[0] = f.more_info;
    if (!set_code(L, err, d, f.code)) {
      lua_pushinteger(L, status);
      lua_setfield(L, err, "code");
    }
    if (!set_string_field(L, err, d, "message", msgs, 3)) {
      snprintf(msg, sizeof msg, "HTTP %ld (error body without a message)",
               (long)status);
      lua_pushstring(L, msg);
      lua_setfield(L, err, "message");
    }
    if (!set_string_field(L, err, d, "more_info", infos, 1) &&
        tw_json_type(d, f.type) == TW_JSTRING) {
      size_t n;
      const char *raw = tw_json_raw(d, f.type, &n);
      if (n > 0 && !(n == 11 && memcmp(raw, "about:blank", 11) == 0)) {
        push_string(L, d, f.type);
        lua_setfield(L, err, "more_info");
      }
    }
    if (f.details >= 0 && tw_json_type(d, f.details) != TW_JNULL) {
      push_value(L, d, f.details);
      lua_setfield(L, err, "details");
    } else if (f.errors >= 0 && tw_json_type(d, f.errors) != TW_JNULL) {
      push_value(L, d, f.errors);                   /* RFC 9457 "errors" */
      lua_setfield(L, err, "details");
    }
    infos[0] = f.instance;
    (void)set_string_field(L, err, d, "instance", infos, 1);
    infos[0] = f.detail;      /* Twilio's explanation ("Your AccountSid or
                                 AuthToken was incorrect.") beside message */
    (void)set_string_field(L, err, d, "detail", infos, 1);
  } else {
    if (d) why = "JSON body is not an object";
    else if (len > 0 && looks_like_json(body, len, ctype)) {
      snprintf(whybuf, sizeof whybuf, "invalid JSON body at byte %lu",
               (unsigned long)e.offset + 1);
      why = whybuf;
    }
    tw_json_http_message(msg, sizeof msg, (long)status, body, len, ctype, why);
    lua_pushstring(L, msg);
    lua_setfield(L, err, "message");
    lua_pushinteger(L, status);
    lua_setfield(L, err, "code");
  }
  if (d) box_drop(box);
  lua_pushvalue(L, err);
  return 1;
}

/* Pushes kind k's C __index closure (kept in R at C_INDEX + k). */
static void push_c_index(lua_State *L, int k) {
  lua_rawgeti(L, R_IDX, C_INDEX + k);
}

/* Notes in ki which keys the frozen method table at idx holds (see
 * kind_index). Raises nothing: lua_next over a table, lua_rawlen. */
static void freeze_methods(lua_State *L, kind_index *ki, int idx) {
  ki->lens = 0;
  ki->other = 0;
  lua_pushnil(L);
  while (lua_next(L, idx)) {
    if (lua_type(L, -2) == LUA_TSTRING) {
      size_t len = (size_t)lua_rawlen(L, -2);
      ki->lens |= (uint64_t)1 << (len < 63 ? len : 63);
    } else {
      ki->other = 1;
    }
    lua_pop(L, 1);
  }
  ki->frozen = 1;
}

/* core.set_methods(kind, methods | nil[, frozen]): the kind's __index
 * becomes the C one, reading methods first (an empty table for nil).
 * Without frozen the table is read live (a method added later is found);
 * frozen: the caller never changes the table again (record.define hands
 * over a copy of its own), and reads of keys it cannot hold skip it
 * (kind_index). twilio.record then installs its FFI __index on LuaJIT
 * (record_reader), on the same methods. */
static int l_set_methods(lua_State *L) {
  int kind = check_kind(L, 1);
  int frozen = lua_toboolean(L, 3);
  kind_index *ki;
  if (!lua_isnoneornil(L, 2)) luaL_checktype(L, 2, LUA_TTABLE);
  lua_settop(L, 2);
  if (lua_isnil(L, 2)) {
    lua_newtable(L);
    lua_replace(L, 2);
  }
  lua_rawgeti(L, R_IDX, kind + 1);                  /* 3: metatable */
  push_c_index(L, kind);                            /* 4 */
  if (!lua_getupvalue(L, 4, 4) || !(ki = lua_touserdata(L, 5)))   /* 5 */
    return luaL_error(L, "twilio: broken record metatable");
  ki->frozen = 0;              /* read the table live until it is noted */
  lua_pushvalue(L, 2);
  if (!lua_setupvalue(L, 4, 2))
    return luaL_error(L, "twilio: broken record metatable");
  if (frozen) freeze_methods(L, ki, 2);
  lua_settop(L, 4);
  lua_pushvalue(L, 4);
  lua_setfield(L, 3, "__index");
  lua_rawgeti(L, R_IDX, OWN_MT + kind);             /* the owner metatable */
  lua_pushvalue(L, 4);
  lua_setfield(L, -2, "__index");
  return 0;
}

/* mt, index, api, owner_mt = core.record_reader(kind): the kind's
 * metatable, its C __index (methods, then fields), a light userdata
 * pointing to the ltw_record_api (the FFI read path, see ffi_read) and
 * the kind's owner metatable (single records: orecord). */
static int l_record_reader(lua_State *L) {
  int kind = check_kind(L, 1);
  lua_rawgeti(L, R_IDX, kind + 1);
  push_c_index(L, kind);
  lua_pushlightuserdata(L, (void *)&record_api);
  lua_rawgeti(L, R_IDX, OWN_MT + kind);
  return 4;
}

static int l_record_ctx(lua_State *L) {
  record *r = check_record(L, 1);
  twl_getuv(L, 1);
  if (!r->uv_ctx) lua_rawgeti(L, -1, U_CTX);
  return 1;
}

/* Makes record r (at 1) own its uservalue table (a copy of the page's
 * shared one; for an orecord whose uservalue is its ctx, { ctx }: it
 * anchors its body and doc itself) and pushes it. */
static void own_uv(lua_State *L, record *r) {
  twl_getuv(L, 1);
  if (r->own_uv) return;
  if (r->uv_ctx) {
    lua_createtable(L, U_N, 0);
    lua_insert(L, -2);
    lua_rawseti(L, -2, U_CTX);
    lua_pushvalue(L, -1);
    twl_setuv(L, 1);
    r->uv_ctx = 0;
    r->own_uv = 1;
    return;
  }
  lua_createtable(L, U_N, 0);
  lua_rawgeti(L, -2, U_CTX);
  lua_rawseti(L, -2, U_CTX);
  lua_rawgeti(L, -2, U_BODY);
  lua_rawseti(L, -2, U_BODY);
  lua_rawgeti(L, -2, U_DOC);
  lua_rawseti(L, -2, U_DOC);
  lua_pushvalue(L, -1);
  twl_setuv(L, 1);
  r->own_uv = 1;
  lua_remove(L, -2);
}

/* core.record_set_ctx(rec, ctx | nil): this record only. */
static int l_record_set_ctx(lua_State *L) {
  record *r = check_record(L, 1);
  lua_settop(L, 2);
  push_ctx(L, 2);                                   /* 3 */
  if (r->uv_ctx) {                      /* an orecord: the ctx is its uv */
    twl_setuv(L, 1);
    return 0;
  }
  own_uv(L, r);                                     /* 4 */
  lua_pushvalue(L, 3);
  lua_rawseti(L, 4, U_CTX);
  return 0;
}

/* core.record_replace(rec, other): rec takes other's data (same kind). */
static int l_record_replace(lua_State *L) {
  record *r = check_record(L, 1);
  record *o = check_open(L, 2);
  if (o->kind != r->kind)
    return luaL_argerror(L, 2, lua_pushfstring(L, "%s expected, got %s",
                                               kinds[r->kind].mt,
                                               kinds[o->kind].mt));
  lua_settop(L, 2);
  /* r will read other's doc: anchor other's box and body in r's own table
   * first (Lua may raise here; nothing has changed yet). r's old box and
   * body stay anchored by whoever else references them, or are collected. */
  own_uv(L, r);                                     /* 3 */
  if (o->uv_ctx) {      /* an orecord reading its own doc: it anchors both */
    lua_pushnil(L);
    lua_rawseti(L, 3, U_BODY);
    lua_pushvalue(L, 2);
    lua_rawseti(L, 3, U_DOC);
  } else {
    twl_getuv(L, 2);                                /* 4 */
    lua_rawgeti(L, 4, U_BODY);
    lua_rawseti(L, 3, U_BODY);
    lua_rawgeti(L, 4, U_DOC);
    lua_rawseti(L, 3, U_DOC);
  }
  r->box = o->box;
  r->obj = o->obj;
  lua_settop(L, 1);
  return 1;
}

/* core.record_detach(rec): rec reads a copy of its own JSON object from
 * now on (a doc and a string of its own: ~1.5 KB for a number), so it no
 * longer anchors its page's doc and body; its fields, ctx and released
 * flag are unchanged. A closed record stays closed. Returns rec.
 * Why: a list cursor detaches the record it handed out last before it
 * fetches the next page. The loop variable holds that record during the
 * fetch and the parse of the next page, so without this every page
 * lived until its successor was read: two pages at once, and in
 * generational mode (the lua5.4 interpreter's default) an old page that
 * only a major collection frees. Detached, a page dies young, in a minor
 * collection: list-all peak 21.8 -> 17.7 MB on 5.4 (docs/PERFORMANCE-HISTORY.md,
 * round 2b). */
static int l_record_detach(lua_State *L) {
  record *r = check_record(L, 1);
  tw_jdoc *d = rdoc(r), *nd;
  doc_box *box;
  const char *text;
  size_t len;
  tw_jerr e;
  lua_settop(L, 1);
  if (!d) return 1;                                 /* closed: stays so */
  if (r->uv_ctx) return 1;        /* an orecord on its own doc: nothing shared */
  text = tw_jdoc_text(d, NULL);
  lua_pushlstring(L, text + r->obj.start,
                  (size_t)(r->obj.end - r->obj.start));   /* 2: the copy */
  box = new_box(L);                                 /* 3: empty, __gc armed */
  own_uv(L, r);                                     /* 4 */
  text = lua_tolstring(L, 2, &len);
  nd = tw_jdoc_borrow(text, len, NULL, &e);         /* reads 2 in place */
  if (!nd) {
    if (is_oom(&e)) return luaL_error(L, "twilio: out of memory");
    return luaL_error(L, "twilio: record_detach: %s", e.msg);  /* not reached:
                                                      the span was valid */
  }
  box->doc = nd;                                    /* the box owns nd */
  lua_pushvalue(L, 2);
  lua_rawseti(L, 4, U_BODY);
  lua_pushvalue(L, 3);
  lua_rawseti(L, 4, U_DOC);                         /* r's table anchors both */
  r->box = &box->doc;
  r->obj = *tw_jdoc_root_obj(nd);
  lua_settop(L, 1);
  return 1;
}

static int l_record_release(lua_State *L) {
  check_record(L, 1)->released = 1;
  return 0;
}

static int l_record_released(lua_State *L) {
  lua_pushboolean(L, check_record(L, 1)->released);
  return 1;
}

static int l_record_totable(lua_State *L) {
  record *r = check_open(L, 1);
  push_table(L, rdoc(r), r->obj.start);
  return 1;
}

static int l_record_json(lua_State *L) {
  record *r = check_open(L, 1);
  const char *text = tw_jdoc_text(rdoc(r), NULL);
  lua_pushlstring(L, text + r->obj.start,
                  (size_t)(r->obj.end - r->obj.start));
  return 1;
}

static int l_record_kind(lua_State *L) {
  lua_pushstring(L, kinds[check_record(L, 1)->kind].name);
  return 1;
}

static int l_record_get(lua_State *L) {
  record *r = check_open(L, 1);
  size_t klen;
  const char *key = luaL_checklstring(L, 2, &klen);
  tw_jdoc *d = rdoc(r);
  int v = field(L, r, d, key, klen, key);
  if (v < 0) return 0;
  push_field(L, d, v);
  return 1;
}

#if LUA_VERSION_NUM >= 504
/* ---- list:each{}'s iterator (Lua 5.4) -------------------------------------
 *
 *   next_item = core.page_iter(refill)
 *
 * The generic for calls its iterator once per item. On Lua 5.4 a Lua
 * iterator costs a C-level reentry of the VM each time (OP_TFORCALL calls
 * it through luaD_call): ~540 instructions an item in a loop that does
 * nothing else, ~330 for a C one (ipairs). So on 5.4 list:each{} without
 * limit or match (twilio.list) hands its pages to this C iterator: the
 * common case (the page in hand has a next item) is a record made here,
 * and everything else is refill's (Lua: the cursor's advance). Not on LuaJIT, which compiles the Lua iterator into the
 * caller's loop and would not compile a loop calling a C function.
 *
 * Upvalues: 1 the page (a lazy page: list:each{} asks parse_page for one;
 * nil before the first page and while refill runs, so the iterator never
 * pins a page during a fetch), 2 refill, 3 and 4 the page's metatable and
 * uservalue table (set when the page comes, dropped when it ends), 5 the
 * page's address (a light userdata: cheaper to read than upvalue 1, which
 * anchors it; nil when 1 is).
 * Item j's record is made here (lp_push_record) and handed out; nothing
 * of the page pins it. At the page's end the record handed out last is
 * the for loop's control variable, passed back as argument 2 (kept
 * nowhere: a store per item in an upvalue cost ~60 instructions and, an
 * old closure pointing to a young record, a barrier that aged each record
 * in generational mode); it goes to refill once recognized as the page's
 * item i (its metatable, box and span), which hands it to the cursor to
 * detach; a call by hand that passes anything else only misses the detach
 * (the page may then live during the next fetch). A page's first item is
 * refill's (advance hands it out and remembers it as the cursor's last):
 * at i <= 1, refill gets false and keeps the cursor's own.
 *   refill(last | false, i) -> item | nil, page | false, i   (raises on error) */
#define PI_PAGE lua_upvalueindex(1)
#define PI_REFILL lua_upvalueindex(2)
#define PI_MT lua_upvalueindex(3)      /* the page's LP_MT */
#define PI_UV lua_upvalueindex(4)      /* its LP_UV (nil between pages) */
#define PI_PG lua_upvalueindex(5)      /* PI_PAGE's address */

/* After refill (at 1..3: item, page, i): keeps the new page (anything
 * else ends the loop at the next call). */
static int page_refilled(lua_State *L, int status, lua_KContext ctx) {
  lazy_page *pg = to_lpage(L, 2);
  (void)status;
  (void)ctx;
  if (pg) {
    pg->i = lua_tointeger(L, 3);
    lua_getiuservalue(L, 2, LP_MT);
    lua_replace(L, PI_MT);
    lua_getiuservalue(L, 2, LP_UV);
    lua_replace(L, PI_UV);
    lua_pushvalue(L, 2);
    lua_replace(L, PI_PAGE);
    lua_pushlightuserdata(L, pg);
    lua_replace(L, PI_PG);
  }
  lua_settop(L, 1);
  return 1;
}

static int page_next(lua_State *L) {
  lazy_page *pg = lua_touserdata(L, PI_PG);     /* page_refilled checked it */
  lua_Integer last = 0;
  int given = 0;
  if (pg) {
    if (pg->i < pg->n) {
      /* the page's metatable and uservalue table are in upvalues
       * (cheaper to push than a userdata's uservalues) */
      pg->i++;
      lp_push_record(L, pg, pg->i, PI_MT, PI_UV);
      return 1;
    }
    last = pg->i;
    /* the record handed out last: the generic for passes it back as its
     * control variable (argument 2); anything else (a call by hand) is
     * not given to refill, which would detach it */
    if (last > 1) {
      const record *r = lua_touserdata(L, 2);
      given = r && lua_getmetatable(L, 2) && lua_rawequal(L, -1, PI_MT) &&
              r->box == pg->box && *pg->box &&
              r->obj.start == pg->items[last - 1].start;
    }
  }
  lua_settop(L, 2);
  lua_pushvalue(L, PI_REFILL);
  lua_replace(L, 1);
  if (!given) {
    lua_pushboolean(L, 0);
    lua_replace(L, 2);
  }
  lua_pushinteger(L, last);
  lua_pushnil(L);                                   /* drop the page */
  lua_replace(L, PI_PG);
  lua_pushnil(L);
  lua_replace(L, PI_PAGE);
  lua_pushnil(L);
  lua_replace(L, PI_UV);
  /* refill may yield (a page fetched by a transport that yields, in a
   * coroutine): page_refilled then runs when it is resumed */
  lua_callk(L, 2, 3, 0, page_refilled);             /* item, page, i */
  return page_refilled(L, LUA_OK, 0);
}

static int l_page_iter(lua_State *L) {
  luaL_checktype(L, 1, LUA_TFUNCTION);
  lua_settop(L, 1);
  lua_pushnil(L);                                   /* upvalue 1: no page */
  lua_pushvalue(L, 1);                              /* 2: refill */
  lua_pushnil(L);                                   /* 3, 4 and 5 */
  lua_pushnil(L);
  lua_pushnil(L);
  lua_pushcclosure(L, page_next, 5);
  return 1;
}
#endif

static const luaL_Reg funcs[] = {
  { "parse_record", l_parse_record },
  { "parse_page", l_parse_page },
  { "parse_error", l_parse_error },
  { "set_methods", l_set_methods },
  { "record_reader", l_record_reader },
  { "record_ctx", l_record_ctx },
  { "record_set_ctx", l_record_set_ctx },
  { "record_replace", l_record_replace },
  { "record_detach", l_record_detach },
  { "record_release", l_record_release },
  { "record_released", l_record_released },
  { "record_totable", l_record_totable },
  { "record_json", l_record_json },
  { "record_kind", l_record_kind },
  { "record_get", l_record_get },
#if LUA_VERSION_NUM >= 504
  { "page_iter", l_page_iter },
#endif
  { NULL, NULL }
};

static const luaL_Reg meta[] = {
  /* no __gc: the page's doc box owns the doc (see the top) */
#if LUA_VERSION_NUM >= 504
  { "__close", record_close },
#endif
#if LUA_VERSION_NUM >= 502
  { "__pairs", record_pairs },
#endif
  { "__newindex", record_newindex },
  { "__tostring", record_tostring },
  { NULL, NULL }
};

void ltw_open_record(lua_State *L) {
  int mod = lua_gettop(L), R, k, mt, om;
  if (twl_newmetatable(L, DOC_BOX_MT)) {
    lua_pushcfunction(L, box_gc);
    lua_setfield(L, -2, "__gc");
  }
  lua_pushlightuserdata(L, (void *)&box_key);
  lua_insert(L, -2);
  lua_rawset(L, LUA_REGISTRYINDEX);                 /* registry[&box_key] */
#if LUA_VERSION_NUM >= 504
  lua_pushlightuserdata(L, (void *)&lpage_key);
  lua_rawget(L, LUA_REGISTRYINDEX);      /* reused if the module reloads */
  if (lua_isnil(L, -1)) {
    lua_pop(L, 1);
    static const luaL_Reg lpage_meta[] = {
      { "__index", lpage_index }, { "__newindex", lpage_newindex }, { "__len", lpage_len }, { NULL, NULL }
    };
    lua_createtable(L, 0, 4);
    luaL_setfuncs(L, lpage_meta, 0);
    lua_pushstring(L, "twilio.Page");
    lua_setfield(L, -2, "__name");
    lua_pushlightuserdata(L, (void *)&lpage_key);
    lua_pushvalue(L, -2);
    lua_rawset(L, LUA_REGISTRYINDEX);   /* registry[&lpage_key] */
  }
  lua_pop(L, 1);
#endif
  lua_newtable(L);
  R = lua_gettop(L);
  lua_newtable(L);
  lua_setfield(L, R, "empty");
  for (k = 0; k < NKINDS; k++) {
    twl_newmetatable(L, kinds[k].mt);     /* reused if the module reloads */
    mt = lua_gettop(L);
    lua_pushvalue(L, R);
    luaL_setfuncs(L, meta, 1);
    /* the owner metatable (orecord): registry[&kinds[k]], reused too */
    lua_pushlightuserdata(L, (void *)&kinds[k]);
    lua_rawget(L, LUA_REGISTRYINDEX);
    if (lua_isnil(L, -1)) {
      lua_pop(L, 1);
      lua_createtable(L, 0, 8);
      lua_pushlightuserdata(L, (void *)&kinds[k]);
      lua_pushvalue(L, -2);
      lua_rawset(L, LUA_REGISTRYINDEX);
    }
    om = lua_gettop(L);
    lua_pushlightuserdata(L, (void *)&single_key[k]);
    lua_rawget(L, LUA_REGISTRYINDEX);
    if (lua_isnil(L, -1)) {
      lua_pop(L, 1);
      tw_jhints_init(twl_newud(L, tw_jhints_size()));
      lua_pushlightuserdata(L, (void *)&single_key[k]);
      lua_pushvalue(L, -2);
      lua_rawset(L, LUA_REGISTRYINDEX);   /* registry[&single_key[k]] */
    }
    lua_pushvalue(L, mt);
    twl_setuv(L, -2);
    lua_pop(L, 1);
    lua_pushstring(L, kinds[k].mt);
    lua_setfield(L, om, "__name");
    lua_pushvalue(L, R);
    luaL_setfuncs(L, meta, 1);
    lua_pushvalue(L, R);
    lua_pushlightuserdata(L, (void *)lua_topointer(L, om));
    lua_pushcclosure(L, own_gc, 2);
    lua_setfield(L, om, "__gc");
    lua_pushvalue(L, R);
    lua_newtable(L);                      /* methods: set_methods */
    lua_pushvalue(L, mt);                 /* the kind's metatable */
    {
      kind_index *ki = twl_newud(L, sizeof *ki);   /* read live until
                                                      set_methods notes one */
      ki->mt = lua_topointer(L, mt);
      ki->own_mt = lua_topointer(L, om);
      ki->lens = 0;
      ki->frozen = ki->other = 0;
      lua_pushlightuserdata(L, ki);                  /* upvalue 4; 5 anchors it */
      lua_insert(L, -2);
    }
    lua_pushcclosure(L, record_index, 5);
    lua_pushvalue(L, -1);
    lua_rawseti(L, R, C_INDEX + k);       /* R[C_INDEX+k] = C __index */
    lua_pushvalue(L, -1);
    lua_setfield(L, om, "__index");
    lua_setfield(L, mt, "__index");
    lua_pushvalue(L, om);
    lua_rawseti(L, R, OWN_MT + k);        /* R[OWN_MT+k] = owner mt */
    lua_pushinteger(L, k + 1);
    lua_rawset(L, R);                     /* R[owner mt] = k+1 */
    lua_pushvalue(L, mt);
    lua_rawseti(L, R, k + 1);             /* R[k+1] = mt */
    lua_pushinteger(L, k + 1);
    lua_rawset(L, R);                     /* R[mt] = k+1 */
  }
  lua_pushvalue(L, mod);
  lua_pushvalue(L, R);
  luaL_setfuncs(L, funcs, 1);
  lua_settop(L, mod);
}
