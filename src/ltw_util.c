/* ltw_util.c -- placeholder until its owner lands it. */
#include "ltw.h"

void ltw_open_util(lua_State *L) { (void)L; }
