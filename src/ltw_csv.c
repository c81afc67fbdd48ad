/* ltw_csv.c -- CSV both ways in twilio.core (parsing and quoting: tw_csv.c).
 *
 *   core.csv_parse(text[, { allow_ragged = false }]) -> rows | nil, err
 *   core.csv_write(rows) -> text
 *
 * Scratch memory here is a Lua userdata, so a Lua error at any point leaks
 * nothing. */
#include <string.h>
#include "ltw.h"
#include "tw_csv.h"


static int l_csv_parse(lua_State *L) {
  size_t n;
  const char *text = luaL_checklstring(L, 1, &n);
  int ragged = 0, rows, row = 0, col = 0, r;
  char *scratch = NULL;                       /* userdata of n bytes if text has a quote */
  tw_csv c;
  tw_csv_field f;
  if (!lua_isnoneornil(L, 2)) {
    luaL_checktype(L, 2, LUA_TTABLE);
    lua_getfield(L, 2, "allow_ragged");
    ragged = lua_toboolean(L, -1);
    lua_pop(L, 1);
  }
  lua_settop(L, 1);
  if (n && memchr(text, '"', n)) scratch = lua_newuserdata(L, n);  /* index 2 */
  lua_newtable(L);
  rows = lua_gettop(L);
  tw_csv_init(&c, text, n, ragged);
  while ((r = tw_csv_next(&c, &f)) == TW_CSV_FIELD) {
    if (col == 0) {
      lua_newtable(L);                        /* the current row, on top */
      row++;
    }
    if (f.escaped) {                          /* implies a quote, so scratch exists */
      lua_pushlstring(L, scratch, tw_csv_unescape(&f, scratch));
    } else {
      lua_pushlstring(L, f.len ? f.s : "", f.len);
    }
    lua_rawseti(L, -2, ++col);
    if (f.last) {
      lua_rawseti(L, rows, row);
      col = 0;
    }
  }
  if (r == TW_CSV_ERROR) {
    lua_pushnil(L);
    if (strncmp(c.err, "ragged", 6) == 0) {
      lua_pushfstring(L, "line %d: ragged record: %d fields, expected %d",
                      (int)c.err_line, (int)c.nfields, (int)c.expect);
    } else {
      lua_pushfstring(L, "line %d: %s", (int)c.err_line, c.err);
    }
    ltw_push_error(L, "decode", lua_tostring(L, -1));
    lua_pushinteger(L, (lua_Integer)c.err_line);
    lua_setfield(L, -2, "line");
    lua_remove(L, -2);
    return 2;
  }
  lua_settop(L, rows);
  return 1;
}

/* Reads rows[i][j] onto the stack as a string; raises for other types. */
static const char *field_at(lua_State *L, int row, int i, int j, size_t *len) {
  lua_rawgeti(L, row, j);
  if (lua_type(L, -1) != LUA_TSTRING && lua_type(L, -1) != LUA_TNUMBER)
    luaL_error(L, "twilio: csv_write: rows[%d][%d] must be a string or a number, got %s",
               i, j, luaL_typename(L, -1));
  return lua_tolstring(L, -1, len);          /* converts the stack copy only */
}

static int l_csv_write(lua_State *L) {
  int nrows, i, j, nf;
  size_t total = 0, pos = 0;
  char *out;
  luaL_checktype(L, 1, LUA_TTABLE);
  nrows = (int)lua_rawlen(L, 1);
  /* pass 1: size (and type checks) */
  for (i = 1; i <= nrows; i++) {
    lua_rawgeti(L, 1, i);
    if (!lua_istable(L, -1))
      return luaL_error(L, "twilio: csv_write: rows[%d] must be a table", i);
    nf = (int)lua_rawlen(L, -1);
    for (j = 1; j <= nf; j++) {
      size_t len, need;
      const char *s = field_at(L, lua_gettop(L), i, j, &len);
      need = tw_csv_escaped_len(s, len, nf == 1) + 1;      /* + separator */
      if (need > ((size_t)-1) / 4 - total) return luaL_error(L, "twilio: csv_write: too large");
      total += need;
      lua_pop(L, 1);
    }
    total += 2;
    lua_pop(L, 1);
  }
  out = lua_newuserdata(L, total ? total : 1);   /* scratch, collected by Lua */
  /* pass 2: write */
  for (i = 1; i <= nrows; i++) {
    int row;
    lua_rawgeti(L, 1, i);
    row = lua_gettop(L);
    nf = (int)lua_rawlen(L, row);
    for (j = 1; j <= nf; j++) {
      size_t len;
      const char *s = field_at(L, row, i, j, &len);
      if (j > 1) out[pos++] = ',';
      pos += tw_csv_escape(s, len, nf == 1, out + pos);
      lua_pop(L, 1);
    }
    out[pos++] = '\r';
    out[pos++] = '\n';
    lua_pop(L, 1);
  }
  lua_pushlstring(L, out, pos);
  return 1;
}

static const luaL_Reg funcs[] = {
  { "csv_parse", l_csv_parse },
  { "csv_write", l_csv_write },
  { NULL, NULL }
};

void ltw_open_csv(lua_State *L) {
  luaL_setfuncs(L, funcs, 0);
}
