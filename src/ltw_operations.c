/* ltw_operations.c -- core.operations(): the operations table (tw_ops.c)
 * as Lua tables, for documentation, the spec-drift spec and callers that
 * want to know a parameter's rules. A fresh table per call. */
#include "ltw.h"
#include "tw_ops.h"

static const char *const TYPE_NAMES[] = { "", "string", "boolean", "integer" };
static const char *const IN_NAMES[] = { "", "path", "query", "form" };
static const char *const FMT_NAMES[] = {
  "", "line", "text", "token", "sid", "e164", "phone_filter", "contains",
  "area_code", "url", "enum", "country", "latlong", "api_version", "boolean",
  "integer" };

static void push_param(lua_State *L, const tw_param *p) {
  lua_createtable(L, 0, 14);
  lua_pushstring(L, p->name);   lua_setfield(L, -2, "name");
  lua_pushstring(L, p->wire);   lua_setfield(L, -2, "wire");
  lua_pushstring(L, TYPE_NAMES[p->type]); lua_setfield(L, -2, "type");
  lua_pushstring(L, IN_NAMES[p->in]);     lua_setfield(L, -2, "in");
  lua_pushstring(L, FMT_NAMES[p->fmt]);   lua_setfield(L, -2, "check");
  lua_pushboolean(L, (p->flags & TW_P_REQUIRED) != 0);
  lua_setfield(L, -2, "required");
  if (p->pattern) { lua_pushstring(L, p->pattern); lua_setfield(L, -2, "pattern"); }
  if (p->format) { lua_pushstring(L, p->format); lua_setfield(L, -2, "format"); }
  if (p->sid_prefix) { lua_pushstring(L, p->sid_prefix); lua_setfield(L, -2, "sid_prefix"); }
  if (p->enumv) {
    int k;
    lua_newtable(L);
    for (k = 0; p->enumv[k]; k++) {
      lua_pushstring(L, p->enumv[k]);
      lua_rawseti(L, -2, k + 1);
    }
    lua_setfield(L, -2, "enum");
  }
  if (p->flags & TW_P_HAS_MIN) { lua_pushinteger(L, (lua_Integer)p->min); lua_setfield(L, -2, "min"); }
  if (p->flags & TW_P_HAS_MAX) { lua_pushinteger(L, (lua_Integer)p->max); lua_setfield(L, -2, "max"); }
  if (p->maxlen && p->type == TW_T_STRING) {
    lua_pushinteger(L, (lua_Integer)p->maxlen);
    lua_setfield(L, -2, "max_length");
  }
  if (p->flags & TW_P_INT_OR_STR) {
    lua_pushboolean(L, 1);
    lua_setfield(L, -2, "int_or_string");
  }
  if (p->flags & TW_P_EMPTY_OK) {
    lua_pushboolean(L, 1);
    lua_setfield(L, -2, "empty_ok");
  }
  if (tw_param_clearable(p)) {
    lua_pushboolean(L, 1);
    lua_setfield(L, -2, "clearable");
  }
  if (p->note) { lua_pushstring(L, p->note); lua_setfield(L, -2, "note"); }
}

static int l_operations(lua_State *L) {
  size_t i, j;
  lua_createtable(L, 0, (int)tw_nops);
  for (i = 0; i < tw_nops; i++) {
    const tw_op *op = &tw_ops[i];
    lua_createtable(L, 0, 6);
    lua_pushstring(L, op->method); lua_setfield(L, -2, "method");
    lua_pushstring(L, op->path);   lua_setfield(L, -2, "path");
    lua_pushboolean(L, op->idempotent); lua_setfield(L, -2, "idempotent");
    if (op->note) { lua_pushstring(L, op->note); lua_setfield(L, -2, "note"); }
    if (op->rule == TW_RULE_PHONE_OR_AREA) {
      lua_pushliteral(L, "phone_number|area_code");
      lua_setfield(L, -2, "one_of");
    }
    lua_createtable(L, (int)op->nparams, 0);
    for (j = 0; j < op->nparams; j++) {
      push_param(L, &op->params[j]);
      lua_rawseti(L, -2, (int)j + 1);
    }
    lua_setfield(L, -2, "params");
    lua_setfield(L, -2, op->id);
  }
  return 1;
}

void ltw_open_operations(lua_State *L) {
  lua_pushcfunction(L, l_operations);
  lua_setfield(L, -2, "operations");
}
