/* ltw_curl.c -- placeholder until its owner lands it. */
#include "ltw.h"

void ltw_open_curl(lua_State *L) { (void)L; }
