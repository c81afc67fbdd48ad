/* ltw_lane.h -- the internal entry points the bulk lane (ltw_lane.c:
 * core.lane_run) joins: the multi handle's userdata (ltw_curl.c), the URL
 * rebuild (ltw_rebuild.c) and, through ltw_call.h, the fused call's
 * answer check and record (ltw_call.c, ltw_record.c). Not part of any
 * Lua-visible API. */
#ifndef LTW_LANE_H
#define LTW_LANE_H

#include "ltw.h"
#include "tw_curl.h"
#include "tw_ops.h"

/* ---- ltw_curl.c ----------------------------------------------------------- */

typedef struct ltw_multi ltw_multi;
/* The open twilio.CurlMulti at idx, or raises. */
ltw_multi *ltw_check_multi(lua_State *L, int idx);
/* The checked copy of the request template table at idx, as m:add(id,
 * tmpl, url) makes and keeps it (raises on a bad table): *rq filled,
 * rq->url NULL. The multi's userdata must be at stack index 1. */
void ltw_multi_template(lua_State *L, ltw_multi *u, int idx, tw_curl_req *rq);
tw_curl_multi *ltw_multi_handle(ltw_multi *u);

/* ---- ltw_rebuild.c -------------------------------------------------------- */

/* cfg:rebuild_url's work: tmpl_url (op's request, as cfg:build made it) for
 * the path table at path_idx, written into url (TW_URL_MAX bytes); its
 * length, or 0 where cfg:build would refuse the path. Stack unchanged. */
size_t ltw_rebuild_url(lua_State *L, const ltw_config *cfg, const tw_op *op,
                       const char *tmpl_url, size_t tmpl_len, int path_idx, char *url);

/* ---- ltw_lane.c ----------------------------------------------------------- */

void ltw_open_lane(lua_State *L);     /* adds core.lane_run; from ltw_open_curl */

#endif
