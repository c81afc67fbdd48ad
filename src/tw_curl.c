/* tw_curl.c -- libcurl easy and multi wrappers (see tw_curl.h).
 *
 * The only file that includes curl/curl.h. Callbacks only append bytes to C
 * buffers owned by the response; they never call Lua and never longjmp.
 *
 * libcurl settings, applied to every transfer:
 *   - CURLOPT_NOSIGNAL=1 (no SIGALRM for DNS timeouts: required in threads
 *     and in nginx workers);
 *   - redirects are never followed (a 302 is returned as is);
 *   - TLS peer and host verification on; CURLOPT_CAINFO only when a CA file
 *     is given, else libcurl's built-in default bundle;
 *   - http and https only;
 *   - proxies: CURLOPT_PROXY is never set, so libcurl reads its standard
 *     environment variables itself (http_proxy, HTTPS_PROXY / https_proxy,
 *     ALL_PROXY, NO_PROXY); CONNECT responses are kept out of the headers;
 *   - "Expect:" is sent empty with a POST body over EXPECT_MIN_BODY
 *     bytes, so its body is never held for a 100-continue round trip;
 *     a shorter body, or none, is a list without it: libcurl asks for a
 *     100-continue only above a threshold (1 MiB in 7.88, 1 KiB in old
 *     versions), and every custom line costs ~0.7 k instructions per
 *     request (libcurl compares each with every header it may add);
 *   - a multi transfer's body is copied by libcurl (CURLOPT_COPYPOSTFIELDS),
 *     so it never points into a Lua string while Lua runs; the easy handle
 *     borrows it for the perform only (CURLOPT_POSTFIELDS, set again by
 *     every POST; no Lua runs inside the perform);
 *   - DELETE is CURLOPT_CUSTOMREQUEST on a body-less request.
 * The easy handle (tw_curl) is reused and keeps its connection cache, DNS
 * cache and TLS sessions, so keep-alive connections survive from one
 * request to the next. The options above are set once, when it is created;
 * a request sets only what varies (URL, method and body, header list,
 * timeouts, fresh connect), and only when it differs from the last
 * request's (set_request_easy); the header list is rebuilt only when the
 * lines change. Multi transfers keep their handle from one transfer to the
 * next (set_request_warm: the same); a new one is set up in full.
 * The easy handle has no header callback (libcurl 7.84+, built with its
 * header API, and not all_headers): libcurl stores every header anyway,
 * and the kept ones are read from that store after the transfer, only
 * when someone wants them (tw_curl_fill_headers: the result table; the
 * fused call reads only the Content-Type of a 2xx); the body is sized
 * from Content-Length at its first bytes instead (size_from_length).
 * Multi transfers do the same (not all_headers): the bulk lane reads
 * only a 2xx's Content-Type (tw_curl_multi_peek_done_lean), m:poll the
 * kept headers (tw_curl_multi_peek_done); the handle stays with the
 * finished transfer, with its store, until tw_curl_multi_drop_done.
 * Buffers: a response's body buffer is kept from one request to the next
 * (dropped only when it is over 4 MiB and over 4x the last body), and is
 * sized from Content-Length before the body arrives, so a 1.3 MB page is
 * one allocation of its size, not a doubling to 2 MB, once per handle. */
#include <curl/curl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "tw_curl.h"

typedef char tw_errsize_check[(TW_CURL_MSG_SIZE == CURL_ERROR_SIZE) ? 1 : -1];

#define SHRINK_BODY_ABOVE (4u * 1024 * 1024)  /* and over 4x the last body: dropped */
#define SHRINK_HDRS_ABOVE (64u * 1024)        /* header buffer: dropped between requests */
#define IDLE_MAX 64                  /* idle easy handles kept by a multi */
/* A multi transfer's receive buffer (CURLOPT_BUFFERSIZE), by the multi's
 * max_connections: MULTI_BUF_TOTAL / max_connections, between
 * MULTI_BUF_MIN and libcurl's default 16 KiB (0 = unlimited: the
 * default). libcurl mallocs that buffer when a transfer starts and frees
 * it when it ends (7.88), so the transfers in flight hold one each. In a
 * bulk call the records kept between them take the freed holes, the next
 * buffers come from the top of the heap, and when the top ones are freed
 * together (16 x 16 KiB: more than glibc's 128 KiB trim threshold) the
 * heap is given back and touched again: page faults, bench/ours.lua
 * update-concurrent (16 transfers) on the nowait route, perf stat, 1,100
 * minus 100 updates: 5.4 1.07-1.28 -> 0.60 per update, LuaJIT 0.46 ->
 * 0.30 (4 KiB; 8 KiB 0.63 / 0.33). A Twilio record with its headers (~2
 * KB) still arrives in one read; a list page read through a multi takes
 * a few more. */
#define MULTI_BUF_TOTAL (96L * 1024)
#define MULTI_BUF_MIN (4L * 1024)
#define MULTI_BUF_MAX (16L * 1024)

/* ---- buffers ----------------------------------------------------------- */

/* realloc for a tw_buf: a borrowed buffer is left to its owner and its
 * bytes (len, and the NUL) move into a new malloc'd one. */
static char *buf_realloc(tw_buf *b, size_t cap) {
  char *p;
  if (!b->borrowed) return realloc(b->data, cap);
  p = malloc(cap);                        /* owned by the tw_buf's owner */
  if (!p) return NULL;
  if (b->data && b->len) memcpy(p, b->data, b->len);
  b->borrowed = 0;
  return p;
}

static int buf_reserve(tw_buf *b, size_t extra) {
  size_t need, cap;
  char *p;
  if (extra > (size_t)-1 - b->len - 1) return -1;
  need = b->len + extra + 1;              /* room for a trailing NUL */
  if (need <= b->cap) return 0;
  cap = b->cap ? b->cap : 256;
  while (cap < need) cap = (cap > (size_t)-1 / 2) ? need : cap * 2;
  p = buf_realloc(b, cap);                /* owned by the tw_buf's owner */
  if (!p) return -1;
  b->data = p;
  b->cap = cap;
  return 0;
}

/* Makes room for exactly n more bytes (+ NUL) when there is less. */
static int buf_reserve_exact(tw_buf *b, size_t n) {
  char *p;
  if (n > (size_t)-1 - b->len - 1) return -1;
  if (b->len + n + 1 <= b->cap) return 0;
  p = buf_realloc(b, b->len + n + 1);     /* owned by the tw_buf's owner */
  if (!p) return -1;
  b->data = p;
  b->cap = b->len + n + 1;
  return 0;
}

int tw_buf_add(tw_buf *b, const char *s, size_t n) {
  if (buf_reserve(b, n) < 0) return -1;
  if (n) memcpy(b->data + b->len, s, n);
  b->len += n;
  b->data[b->len] = '\0';
  return 0;
}

void tw_buf_free(tw_buf *b) {
  if (!b->borrowed) free(b->data);        /* a borrowed one is its owner's */
  b->data = NULL;
  b->len = b->cap = 0;
  b->borrowed = 0;
}

/* Empties the response for a new transfer. The body buffer is kept unless
 * it is far bigger than the last body (body.len is still that body's). */
static void res_reset(tw_curl_res *r, size_t max_body) {
  if (!r->body.borrowed && r->body.cap > SHRINK_BODY_ABOVE && r->body.cap / 4 > r->body.len)
    tw_buf_free(&r->body);
  if (r->headers.cap > SHRINK_HDRS_ABOVE) tw_buf_free(&r->headers);
  r->body.len = 0;
  r->headers.len = 0;
  r->kind = TW_CURL_OK;
  r->status = 0;
  r->sent = 0;
  r->curl_code = 0;
  r->new_connections = 0;
  r->total_time = 0;
  r->max_body = max_body;
  r->too_big = 0;
  r->unfilled = 0;
  r->message[0] = '\0';
  r->errbuf[0] = '\0';
}

static void res_free(tw_curl_res *r) {
  tw_buf_free(&r->body);
  tw_buf_free(&r->headers);
}

/* ---- callbacks: C buffers only ---------------------------------------- */

/* Before the first bytes of a body, when no header callback saw its
 * Content-Length (the easy handle reading headers after the transfer):
 * one allocation of its size, as on_header makes it (a hint only). */
static void size_from_length(tw_curl_res *r) {
  curl_off_t cl = -1;
  if (curl_easy_getinfo((CURL *)r->easy, CURLINFO_CONTENT_LENGTH_DOWNLOAD_T, &cl) == CURLE_OK &&
      cl > 0 && (curl_off_t)r->max_body >= cl)
    (void)buf_reserve_exact(&r->body, (size_t)cl);
}

static size_t on_body(char *ptr, size_t size, size_t nmemb, void *ud) {
  tw_curl_res *r = ud;
  size_t n = size * nmemb;
  if (n > r->max_body - r->body.len) {    /* invariant: body.len <= max_body */
    r->too_big = 1;
    return 0;                             /* abort: CURLE_WRITE_ERROR */
  }
  if (r->body.len == 0 && r->easy) size_from_length(r);
  if (tw_buf_add(&r->body, ptr, n) < 0) return 0;
  return n;
}

static int is_ows(char c) { return c == ' ' || c == '\t'; }


/* The names kept by default (TW_CURL_HEADERS), lower-case. */
static const struct { const char *name; size_t len; } KEEP[] = {
  { "content-type", 12 }, { "content-length", 14 }, { "retry-after", 11 },
  { "location", 8 }, { "www-authenticate", 16 }, { "twilio-request-id", 17 },
};
#define KEEP_MAXLEN 17

static int lower(int c) { return (c >= 'A' && c <= 'Z') ? c + 32 : c; }

/* Which KEEP name the header name (n bytes, any case) is, or -1. The six
 * names differ in length, so the length picks the one to compare. */
static int keep_name(const char *name, size_t n) {
  static const signed char BY_LEN[KEEP_MAXLEN + 1] = {
    -1, -1, -1, -1, -1, -1, -1, -1, 3, -1, -1, 2, 0, -1, 1, -1, 4, 5 };
  const char *want;
  size_t k;
  int i;
  if (n > KEEP_MAXLEN || (i = BY_LEN[n]) < 0) return -1;
  want = KEEP[i].name;
  for (k = 0; k < n; k++)
    if (lower((unsigned char)name[k]) != want[k]) return -1;
  return i;
}

/* Content-Length value: its size, when it is plain digits within max. */
static int parse_length(const char *v, size_t n, size_t max, size_t *out) {
  size_t i, x = 0;
  if (n == 0 || n > 19) return 0;
  for (i = 0; i < n; i++) {
    if (v[i] < '0' || v[i] > '9') return 0;
    x = x * 10 + (size_t)(v[i] - '0');
  }
  if (x > max) return 0;
  *out = x;
  return 1;
}

static size_t on_header(char *ptr, size_t size, size_t nmemb, void *ud) {
  tw_curl_res *r = ud;
  size_t n = size * nmemb, i, colon, vb, ve, nb = 0, ne, cl;
  int kept;
  if (n >= 5 && memcmp(ptr, "HTTP/", 5) == 0) {
    r->headers.len = 0;                   /* a new response (1xx, or after auth) */
    return n;
  }
  if (n == 0 || is_ows(ptr[0])) return n; /* obsolete line folding: ignored */
  {
    const char *c = memchr(ptr, ':', n);
    if (!c) return n;                     /* blank line or not a header */
    colon = (size_t)(c - ptr);
  }
  ne = colon;
  while (ne > nb && is_ows(ptr[ne - 1])) ne--;
  if (ne == nb) return n;
  kept = keep_name(ptr + nb, ne - nb);
  if (kept < 0 && !r->all_headers) return n;
  vb = colon + 1;
  ve = n;
  while (ve > vb && (ptr[ve - 1] == '\r' || ptr[ve - 1] == '\n' || is_ows(ptr[ve - 1]))) ve--;
  while (vb < ve && is_ows(ptr[vb])) vb++;
  /* the body arrives next: one allocation of its size (a hint only; on
   * failure the body callback grows the buffer as it goes) */
  if (kept == 1 && parse_length(ptr + vb, ve - vb, r->max_body, &cl) && cl > 0)
    (void)buf_reserve_exact(&r->body, cl);
  if (buf_reserve(&r->headers, (ne - nb) + (ve - vb) + 2) < 0) return 0;
  {
    char *o = r->headers.data + r->headers.len;   /* room reserved above */
    if (kept >= 0) {                      /* its lower-case form is KEEP's */
      memcpy(o, KEEP[kept].name, ne - nb);
      o += ne - nb;
    } else {
      for (i = nb; i < ne; i++) *o++ = (char)lower((unsigned char)ptr[i]);
    }
    *o++ = '\0';
    memcpy(o, ptr + vb, ve - vb);
    o += ve - vb;
    *o++ = '\0';
    r->headers.len = (size_t)(o - r->headers.data);
  }
  return n;
}

int tw_curl_header_next(const tw_curl_res *res, size_t *pos,
                        const char **name, const char **value) {
  const char *d = res->headers.data;
  size_t p = *pos;
  if (!d || p >= res->headers.len) return 0;
  *name = d + p;
  p += strlen(d + p) + 1;
  *value = d + p;
  p += strlen(d + p) + 1;
  *pos = p;
  return 1;
}

/* ---- one transfer: options and result ---------------------------------- */

#define SET(e, opt, val) do { if (rc == CURLE_OK) rc = curl_easy_setopt((e), (opt), (val)); } while (0)

/* The options that are the same for every request on e; the callbacks
 * write into r. after: no header callback (the headers are read from
 * libcurl's store after the transfer, through r->easy); else on_header
 * keeps them as they arrive. */
static CURLcode set_constant(CURL *e, tw_curl_res *r, const char *ca_file, int verbose,
                             int after) {
  CURLcode rc = CURLE_OK;
  SET(e, CURLOPT_NOSIGNAL, 1L);
  SET(e, CURLOPT_FOLLOWLOCATION, 0L);
#if LIBCURL_VERSION_NUM >= 0x075500
  SET(e, CURLOPT_PROTOCOLS_STR, "http,https");
#else
  SET(e, CURLOPT_PROTOCOLS, (long)(CURLPROTO_HTTP | CURLPROTO_HTTPS));
#endif
  SET(e, CURLOPT_SSL_VERIFYPEER, 1L);
  SET(e, CURLOPT_SSL_VERIFYHOST, 2L);
  if (ca_file) SET(e, CURLOPT_CAINFO, ca_file);
  SET(e, CURLOPT_SUPPRESS_CONNECT_HEADERS, 1L);
  SET(e, CURLOPT_TCP_KEEPALIVE, 1L);
  SET(e, CURLOPT_WRITEFUNCTION, on_body);
  SET(e, CURLOPT_WRITEDATA, (void *)r);
  if (!after) {
    SET(e, CURLOPT_HEADERFUNCTION, on_header);
    SET(e, CURLOPT_HEADERDATA, (void *)r);
  }
  SET(e, CURLOPT_ERRORBUFFER, r->errbuf);
  SET(e, CURLOPT_VERBOSE, verbose ? 1L : 0L);
  return rc;
}

/* Whether rq's header list needs "Expect:" (an empty value: never wait
 * for a 100-continue): a POST body long enough for libcurl to ask for
 * one. At or below EXPECT_MIN_BODY bytes no libcurl version does
 * (7.88: over 1 MiB; older ones: over 1 KiB), so the line would only cost
 * its compares. */
#define EXPECT_MIN_BODY 1024
static int wants_expect(const tw_curl_req *rq) {
  return rq->method == TW_METHOD_POST && rq->body && rq->body_len > EXPECT_MIN_BODY;
}

/* A new header list: rq's lines, copied, after "Expect:" when expect is
 * set. NULL when out of memory, or for no lines at all. */
static struct curl_slist *build_list_opt(const tw_curl_req *rq, int expect) {
  struct curl_slist *list = NULL, *tmp;
  size_t p = 0;
  if (expect) {
    list = curl_slist_append(NULL, "Expect:");   /* copied by libcurl */
    if (!list) return NULL;
  }
  while (rq->hdr_lines && p < rq->hdr_len) {
    const char *line = rq->hdr_lines + p;
    tmp = curl_slist_append(list, line);
    if (!tmp) {
      curl_slist_free_all(list);
      return NULL;
    }
    list = tmp;
    p += strlen(line) + 1;
  }
  return list;
}

/* The options that vary per request. list stays owned by the caller and
 * must outlive the transfer. */
static CURLcode set_request(CURL *e, const tw_curl_req *rq, struct curl_slist *list) {
  CURLcode rc = CURLE_OK;
  SET(e, CURLOPT_URL, rq->url);
  SET(e, CURLOPT_TIMEOUT_MS, rq->timeout_ms);
  SET(e, CURLOPT_CONNECTTIMEOUT_MS, rq->connect_timeout_ms);
  SET(e, CURLOPT_HTTPHEADER, list);
  SET(e, CURLOPT_FRESH_CONNECT, rq->fresh_connect ? 1L : 0L);
  switch (rq->method) {
  case TW_METHOD_POST:
    SET(e, CURLOPT_CUSTOMREQUEST, (char *)NULL);
    SET(e, CURLOPT_POST, 1L);
    SET(e, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)(rq->body ? rq->body_len : 0));
    SET(e, CURLOPT_COPYPOSTFIELDS, rq->body ? rq->body : "");
    break;
  case TW_METHOD_DELETE:
    SET(e, CURLOPT_HTTPGET, 1L);
    SET(e, CURLOPT_CUSTOMREQUEST, "DELETE");
    break;
  default:
    SET(e, CURLOPT_HTTPGET, 1L);
    SET(e, CURLOPT_CUSTOMREQUEST, (char *)NULL);
    break;
  }
  return rc;
}

/* Resets e and sets every option for rq (multi transfers). hdrs: the
 * header list, which must outlive the transfer; after: as set_constant. */
static CURLcode setup(CURL *e, const tw_curl_req *rq, tw_curl_res *r,
                      const char *ca_file, int verbose, struct curl_slist *hdrs, int after) {
  CURLcode rc;
  curl_easy_reset(e);
  rc = set_constant(e, r, ca_file, verbose, after);
  if (rc == CURLE_OK) rc = set_request(e, rq, hdrs);
  return rc;
}

/* setup() for a handle from a multi's idle pool: it went through setup()
 * (or this) before, so the constant options are set; only the ones that
 * point into the new transfer's response, and the request's, change.
 * set_request sets every per-request option, whatever the last request
 * was (method, body, timeouts, fresh connect, headers). callgrind of
 * bench/ours.lua update-concurrent against a server that answers at once
 * (1,100 minus 100 updates): 214.0 k -> 211.3 k instructions per update. */
static CURLcode setup_pooled(CURL *e, const tw_curl_req *rq, tw_curl_res *r,
                             struct curl_slist *hdrs, int after) {
  CURLcode rc = CURLE_OK;
  SET(e, CURLOPT_WRITEDATA, (void *)r);
  if (!after) SET(e, CURLOPT_HEADERDATA, (void *)r);   /* with no callback,
                                    libcurl would write headers through
                                    on_body into a set HEADERDATA */
  SET(e, CURLOPT_ERRORBUFFER, r->errbuf);
  if (rc == CURLE_OK) rc = set_request(e, rq, hdrs);
  return rc;
}

/* Whether request bytes may have reached the server after a failure. */
static int maybe_sent(CURL *e, CURLcode rc) {
  curl_off_t pre = 0;
  long reqsize = 0;
  switch (rc) {
  case CURLE_UNSUPPORTED_PROTOCOL:
  case CURLE_URL_MALFORMAT:
  case CURLE_COULDNT_RESOLVE_PROXY:
  case CURLE_COULDNT_RESOLVE_HOST:
  case CURLE_COULDNT_CONNECT:
  case CURLE_SSL_CONNECT_ERROR:
  case CURLE_PEER_FAILED_VERIFICATION:
  case CURLE_SSL_CERTPROBLEM:
  case CURLE_SSL_CACERT_BADFILE:
  case CURLE_OUT_OF_MEMORY:
    return 0;
  default:
    break;
  }
  if (e) {
    curl_easy_getinfo(e, CURLINFO_PRETRANSFER_TIME_T, &pre);
    curl_easy_getinfo(e, CURLINFO_REQUEST_SIZE, &reqsize);
  }
  return pre > 0 || reqsize > 0;
}

/* The counters of a result: what the binding's result table shows. */
static void finish_counters(CURL *e, tw_curl_res *r) {
  long conns = 0;
  double total = 0;
  if (e) {
    curl_easy_getinfo(e, CURLINFO_NUM_CONNECTS, &conns);
    curl_easy_getinfo(e, CURLINFO_TOTAL_TIME, &total);
  }
  r->new_connections = conns;
  r->total_time = total;
}

/* Fills the result fields of r after a transfer on e ended with rc; the
 * counters, and the kept headers when they are in libcurl's store, are
 * left to res_fill (r->unfilled), for those who read them. */
static void finish_as(CURL *e, CURLcode rc, tw_curl_res *r) {
  long status = 0;
  if (e) curl_easy_getinfo(e, CURLINFO_RESPONSE_CODE, &status);
  r->unfilled = 1;
  r->status = status;
  r->curl_code = (int)rc;
  if (rc == CURLE_OK) {
    r->kind = TW_CURL_OK;
    return;
  }
  if (r->too_big) {
    r->kind = TW_CURL_DECODE;
    r->sent = 1;
    snprintf(r->message, sizeof r->message, "response body larger than %zu bytes", r->max_body);
    return;
  }
  r->kind = (rc == CURLE_OPERATION_TIMEDOUT) ? TW_CURL_TIMEOUT : TW_CURL_TRANSPORT;
  r->sent = maybe_sent(e, rc);
  snprintf(r->message, sizeof r->message, "%s",
           r->errbuf[0] ? r->errbuf : curl_easy_strerror(rc));
}


/* The TW_CURL_HEADERS of the final answer on e into r->headers, from
 * libcurl's store (after the transfer, without a header callback), as
 * on_header would have kept them: lower-case name, trimmed value, the
 * last one of a repeated name (what res.headers shows: last one wins). */
static void headers_from_store(CURL *e, tw_curl_res *r) {
#if LIBCURL_VERSION_NUM >= 0x075400
  size_t i;
  r->headers.len = 0;
  if (r->kind != TW_CURL_OK) return;
  for (i = 0; i < sizeof KEEP / sizeof KEEP[0]; i++) {
    struct curl_header *hh;
    size_t vn;
    if (curl_easy_header(e, KEEP[i].name, 0, CURLH_HEADER, -1, &hh) != CURLHE_OK) continue;
    if (hh->amount > 1 &&
        curl_easy_header(e, KEEP[i].name, hh->amount - 1, CURLH_HEADER, -1, &hh) != CURLHE_OK)
      continue;
    vn = strlen(hh->value);
    if (buf_reserve(&r->headers, KEEP[i].len + vn + 2) < 0) return;
    tw_buf_add(&r->headers, KEEP[i].name, KEEP[i].len + 1);   /* room reserved */
    tw_buf_add(&r->headers, hh->value, vn + 1);
  }
#else
  (void)e;
  (void)r;
#endif
}

/* Whether e's libcurl keeps the answer's headers in its store
 * (curl_easy_header: 7.84+, unless built without that API). */
static int store_built_in(CURL *e) {
#if LIBCURL_VERSION_NUM >= 0x075400
  struct curl_header *hh;
  return curl_easy_header(e, "content-type", 0, CURLH_HEADER, -1, &hh) != CURLHE_NOT_BUILT_IN;
#else
  (void)e;
  return 0;
#endif
}


/* The rest of a result on e, once (r->unfilled): its counters and, when
 * the handle reads headers after the transfer (r->easy), the kept ones
 * from libcurl's store. The easy handle's and a multi transfer's alike:
 * the handle stays with the result until the next transfer on it. */
static void res_fill(CURL *e, tw_curl_res *r) {
  if (!r->unfilled) return;
  r->unfilled = 0;
  finish_counters(e, r);
  if (r->easy) headers_from_store(e, r);
}

/* ---- global ------------------------------------------------------------ */

int tw_curl_global_init(void) {
  return curl_global_init(CURL_GLOBAL_DEFAULT) == CURLE_OK ? 0 : -1;
}

const char *tw_curl_version(void) { return curl_version(); }

static char *dup_str(const char *s) {
  char *p;
  size_t n;
  if (!s) return NULL;
  n = strlen(s) + 1;
  p = malloc(n);
  if (p) memcpy(p, s, n);
  return p;
}

/* ---- easy -------------------------------------------------------------- */

struct tw_curl {
  CURL *easy;              /* owned; curl_easy_cleanup in tw_curl_free */
  char *ca_file;           /* owned copy or NULL */
  int verbose;
  /* Header lists, one per kind of request: [0] without "Expect:" (GET,
   * DELETE, a POST with a short body or none), [1] with it first (a
   * longer POST body: wants_expect). libcurl compares every custom
   * header with each header it may add, so a line less is ~0.7 k
   * instructions less per request. Alternating kinds swaps lists without
   * rebuilding them. */
  struct curl_slist *hdrs[2]; /* owned; NULL before the first request of
                                 that kind (or for no lines) */
  tw_buf hdr_key[2];       /* owned; the packed lines hdrs[k] was built from */
  int hdr_key_ok[2];       /* hdr_key[k] describes hdrs[k] (0 after a failure) */
  int cur_list;            /* the list set as CURLOPT_HTTPHEADER: 0, 1, or
                              -1 (none, or unknown after a failure) */
  tw_curl_res res;         /* buffers owned; reused by each perform; the
                              callbacks and the error buffer point here */
  tw_buf spare;            /* owned: the handle's body buffer, set aside
                              while res.body borrows the caller's memory
                              (tw_curl_perform_into) */
  /* the per-request options as last set on easy (-1: unknown, set them) */
  long cur_timeout, cur_connect_timeout;
  int cur_fresh, cur_method;
};

/* Gives the response its own body buffer back after a borrowed one. */
static void body_restore(tw_curl *h) {
  if (!h->res.body.borrowed) return;
  h->res.body = h->spare;
  memset(&h->spare, 0, sizeof h->spare);
}

tw_curl *tw_curl_new(const char *ca_file, int verbose, int all_headers) {
  tw_curl *h = calloc(1, sizeof *h);   /* owned by the caller: tw_curl_free */
  int after;
  if (!h) return NULL;
  h->cur_timeout = h->cur_connect_timeout = -1;
  h->cur_fresh = h->cur_method = -1;
  h->cur_list = -1;
  h->verbose = verbose;
  h->res.all_headers = all_headers ? 1 : 0;
  if (ca_file && !(h->ca_file = dup_str(ca_file))) {
    free(h);
    return NULL;
  }
  h->easy = curl_easy_init();
  /* libcurl keeps every header of the answer anyway (curl_easy_header,
   * 7.84): without a header callback the kept ones are read from there
   * (res_fill), only when someone reads them (a callback costs ~1.3 k
   * instructions per request in libcurl and on_header: callgrind,
   * bench/ours.lua fetch); with one, unless libcurl was built without
   * that API, or every header is wanted (on_header keeps them all) */
  after = h->easy && !all_headers && store_built_in(h->easy);
  if (!h->easy || set_constant(h->easy, &h->res, h->ca_file, verbose, after) != CURLE_OK) {
    tw_curl_free(h);
    return NULL;
  }
  h->res.easy = after ? h->easy : NULL;
  return h;
}

void tw_curl_free(tw_curl *h) {
  if (!h) return;
  if (h->easy) curl_easy_cleanup(h->easy);   /* before the list it points to */
  curl_slist_free_all(h->hdrs[0]);
  curl_slist_free_all(h->hdrs[1]);
  tw_buf_free(&h->hdr_key[0]);
  tw_buf_free(&h->hdr_key[1]);
  res_free(&h->res);
  tw_buf_free(&h->spare);
  free(h->ca_file);
  free(h);
}

/* Whether key (the packed lines a kept header list was built from) holds
 * rq's lines: the easy handle's and the multi's kept lists are reused so. */
static int same_lines(const tw_buf *key, const tw_curl_req *rq) {
  size_t len = rq->hdr_lines ? rq->hdr_len : 0;
  return len == key->len && (len == 0 || memcmp(key->data, rq->hdr_lines, len) == 0);
}

/* Points h's easy handle at a header list for rq's lines: the kept one
 * of rq's kind when the lines are the same (the usual case: every request
 * of a client sends the same few headers), else a new one. */
static CURLcode use_headers(tw_curl *h, const tw_curl_req *rq) {
  struct curl_slist *list;
  int k = wants_expect(rq);
  size_t len = rq->hdr_lines ? rq->hdr_len : 0;
  if (h->hdr_key_ok[k] && same_lines(&h->hdr_key[k], rq)) {
    if (h->cur_list == k) return CURLE_OK;
    if (curl_easy_setopt(h->easy, CURLOPT_HTTPHEADER, h->hdrs[k]) != CURLE_OK) {
      h->cur_list = -1;
      return CURLE_OUT_OF_MEMORY;
    }
    h->cur_list = k;
    return CURLE_OK;
  }
  list = build_list_opt(rq, k);
  if (!list && (k || len)) return CURLE_OUT_OF_MEMORY;
  h->hdr_key_ok[k] = 0;
  h->hdr_key[k].len = 0;
  /* the old list may still be set on the handle: swap before freeing it */
  if (tw_buf_add(&h->hdr_key[k], rq->hdr_lines ? rq->hdr_lines : "", len) < 0 ||
      curl_easy_setopt(h->easy, CURLOPT_HTTPHEADER, list) != CURLE_OK) {
    curl_slist_free_all(list);
    h->cur_list = -1;                     /* the old list, still alive, or unknown */
    return CURLE_OUT_OF_MEMORY;
  }
  curl_slist_free_all(h->hdrs[k]);
  h->hdrs[k] = list;
  h->hdr_key_ok[k] = 1;
  h->cur_list = k;
  return CURLE_OK;
}

/* set_request for the reused easy handle: the options libcurl keeps from
 * one transfer to the next are set only when they differ from the last
 * request's (the URL and a POST's body always), and the body is not
 * copied (CURLOPT_POSTFIELDS: rq->body stays alive during the perform,
 * and every POST sets it again, so libcurl never reads it later). The
 * header list is use_headers' business. callgrind, bench/ours.lua against
 * the nowait route: see docs/PERFORMANCE-HISTORY.md. */
static CURLcode set_request_easy(tw_curl *h, const tw_curl_req *rq) {
  CURL *e = h->easy;
  CURLcode rc = CURLE_OK;
  long fresh = rq->fresh_connect ? 1L : 0L;
  SET(e, CURLOPT_URL, rq->url);
  if (rq->timeout_ms != h->cur_timeout) SET(e, CURLOPT_TIMEOUT_MS, rq->timeout_ms);
  if (rq->connect_timeout_ms != h->cur_connect_timeout)
    SET(e, CURLOPT_CONNECTTIMEOUT_MS, rq->connect_timeout_ms);
  if (fresh != h->cur_fresh) SET(e, CURLOPT_FRESH_CONNECT, fresh);
  switch (rq->method) {
  case TW_METHOD_POST:
    if (h->cur_method != TW_METHOD_POST) {
      SET(e, CURLOPT_CUSTOMREQUEST, (char *)NULL);
      SET(e, CURLOPT_POST, 1L);
    }
    SET(e, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)(rq->body ? rq->body_len : 0));
    SET(e, CURLOPT_POSTFIELDS, rq->body ? rq->body : "");
    break;
  case TW_METHOD_DELETE:
    if (h->cur_method != TW_METHOD_DELETE) {
      SET(e, CURLOPT_HTTPGET, 1L);
      SET(e, CURLOPT_CUSTOMREQUEST, "DELETE");
    }
    break;
  default:
    if (h->cur_method != TW_METHOD_GET) {
      SET(e, CURLOPT_HTTPGET, 1L);
      SET(e, CURLOPT_CUSTOMREQUEST, (char *)NULL);
    }
    break;
  }
  if (rc == CURLE_OK) {
    h->cur_timeout = rq->timeout_ms;
    h->cur_connect_timeout = rq->connect_timeout_ms;
    h->cur_fresh = (int)fresh;
    h->cur_method = rq->method;
  } else {                                /* unknown now: all set next time */
    h->cur_timeout = h->cur_connect_timeout = -1;
    h->cur_fresh = h->cur_method = -1;
  }
  return rc;
}

/* One request on h into h->res, whose body buffer is set (its own, or
 * the caller's: tw_curl_perform_into); the rest of the result is left to
 * res_fill. */
static void easy_run(tw_curl *h, const tw_curl_req *rq) {
  CURLcode rc;
  res_reset(&h->res, rq->max_body);
  rc = use_headers(h, rq);
  if (rc == CURLE_OK) rc = set_request_easy(h, rq);
  if (rc == CURLE_OK) rc = curl_easy_perform(h->easy);
  finish_as(h->easy, rc, &h->res);
}

const tw_curl_res *tw_curl_perform_lean(tw_curl *h, const tw_curl_req *rq) {
  body_restore(h);
  easy_run(h, rq);
  return &h->res;
}

void tw_curl_fill_headers(tw_curl *h) { res_fill(h->easy, &h->res); }

const char *tw_curl_res_content_type(const tw_curl_res *r) {
  size_t pos = 0;
  const char *name, *value, *ct = NULL;
  if (r->easy && r->unfilled) {           /* as headers_from_store would keep it */
    if (r->kind != TW_CURL_OK ||
        curl_easy_getinfo((CURL *)r->easy, CURLINFO_CONTENT_TYPE, &ct) != CURLE_OK)
      return NULL;
    return ct;
  }
  while (tw_curl_header_next(r, &pos, &name, &value))
    if (strcmp(name, "content-type") == 0) ct = value;
  return ct;
}

const char *tw_curl_content_type(tw_curl *h) { return tw_curl_res_content_type(&h->res); }

const tw_curl_res *tw_curl_perform(tw_curl *h, const tw_curl_req *rq) {
  tw_curl_perform_lean(h, rq);
  tw_curl_fill_headers(h);
  return &h->res;
}

const tw_curl_res *tw_curl_perform_into(tw_curl *h, const tw_curl_req *rq,
                                        char *dst, size_t cap) {
  if (!dst || cap == 0) return tw_curl_perform(h, rq);
  body_restore(h);
  h->spare = h->res.body;                 /* set aside, still owned */
  h->res.body.data = dst;                 /* borrowed: never freed here */
  h->res.body.len = 0;
  h->res.body.cap = cap;
  h->res.body.borrowed = 1;
  dst[0] = '\0';
  easy_run(h, rq);
  tw_curl_fill_headers(h);
  /* grown out of dst: the body has its own malloc'd buffer now, so the
   * one set aside goes (the next perform keeps the new one) */
  if (!h->res.body.borrowed) tw_buf_free(&h->spare);
  return &h->res;
}

void tw_curl_drop_body(tw_curl *h) {
  body_restore(h);
  tw_buf_free(&h->res.body);
}

char *tw_curl_take_body(tw_curl *h, size_t *len, size_t *cap) {
  char *p = h->res.body.data;
  if (h->res.body.borrowed || !p || h->res.body.cap == 0) return NULL;
  *len = h->res.body.len;
  *cap = h->res.body.cap;
  memset(&h->res.body, 0, sizeof h->res.body);   /* the caller's from here */
  return p;
}

/* ---- multi ------------------------------------------------------------- */

struct tw_curl_xfer {
  CURL *easy;                  /* owned, or NULL; kept with the transfer
                                  once it is done and while it is spare
                                  (its options then still point at res),
                                  back to the idle pool when x is freed */
  struct curl_slist *hdrs;     /* owned (freed when the transfer ends), or
                                  NULL: the transfer uses the multi's */
  tw_curl_res res;             /* buffers owned */
  uint64_t token;
  tw_curl_xfer *prev, *next;   /* active list, or done queue (next only) */
  /* the per-request options as last set on easy, as tw_curl keeps them
   * (valid while x has an easy handle: a failed add frees x, so a kept x
   * with a handle is warm) */
  int cur_fresh, cur_method;
  long cur_timeout, cur_connect_timeout;
  struct curl_slist *cur_list; /* the header list set on easy */
  tw_buf cur_body;             /* owned: the POST body last copied into easy */
  int cur_body_ok;
};

struct tw_curl_multi {
  CURLM *multi;                /* owned */
  char *ca_file;               /* owned copy or NULL */
  int all_headers;
  tw_curl_xfer *active;        /* in flight (doubly linked) */
  tw_curl_xfer *done_head, *done_tail;
  size_t ndone, count;
  CURL *idle[IDLE_MAX];        /* reusable easy handles, owned */
  size_t nidle;
  struct curl_slist *hdrs[2];  /* owned: the header list of the first
                                  request of each kind (without "Expect:",
                                  with it: wants_expect), shared by every
                                  transfer of that kind with the same lines
                                  (freed with the multi) */
  tw_buf hdr_key[2];           /* owned: the packed lines hdrs[k] was built from */
  long buffer_size;            /* CURLOPT_BUFFERSIZE of its transfers, 0:
                                  libcurl's default (16 KiB, MULTI_BUF_MAX) */
  int after, after_known;      /* after: its transfers have no header
                                  callback (decided on the first easy
                                  handle: store_built_in, not all_headers);
                                  their headers are read from libcurl's
                                  store when someone wants them */
  tw_curl_xfer *spare;         /* owned: dropped transfers kept with their
                                  response buffers for the next adds (at
                                  most IDLE_MAX; linked by next) */
  size_t nspare;
};

static long now_ms(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

tw_curl_multi *tw_curl_multi_new(long max_connections, const char *ca_file, int all_headers) {
  tw_curl_multi *m = calloc(1, sizeof *m);   /* owned by the caller */
  if (!m) return NULL;
  m->all_headers = all_headers ? 1 : 0;
  if (ca_file && !(m->ca_file = dup_str(ca_file))) {
    free(m);
    return NULL;
  }
  m->multi = curl_multi_init();
  if (!m->multi) {
    free(m->ca_file);
    free(m);
    return NULL;
  }
  if (max_connections > 0) {
    long b = MULTI_BUF_TOTAL / max_connections;
    curl_multi_setopt(m->multi, CURLMOPT_MAX_TOTAL_CONNECTIONS, max_connections);
    curl_multi_setopt(m->multi, CURLMOPT_MAXCONNECTS, max_connections);
    m->buffer_size = b < MULTI_BUF_MIN ? MULTI_BUF_MIN : b > MULTI_BUF_MAX ? 0 : b;
  }
  return m;
}

static void release_easy(tw_curl_multi *m, CURL *e) {
  if (!e) return;
  if (m->nidle < IDLE_MAX) m->idle[m->nidle++] = e;
  else curl_easy_cleanup(e);
}

/* Frees x and what it owns (its easy handle, if any, first: it may point
 * at x's list and buffers). */
static void xfer_free(tw_curl_xfer *x) {
  if (x->easy) curl_easy_cleanup(x->easy);
  curl_slist_free_all(x->hdrs);
  res_free(&x->res);
  tw_buf_free(&x->cur_body);
  free(x);
}

/* x's easy handle back to the idle pool, its pointers into x cleared
 * (setup_pooled sets them again); x forgets it. */
static void xfer_release_easy(tw_curl_multi *m, tw_curl_xfer *x) {
  CURL *e = x->easy;
  if (!e) return;
  x->easy = NULL;
  x->res.easy = NULL;
  curl_easy_setopt(e, CURLOPT_HTTPHEADER, (struct curl_slist *)NULL);
  curl_easy_setopt(e, CURLOPT_ERRORBUFFER, (char *)NULL);
  curl_easy_setopt(e, CURLOPT_WRITEDATA, (void *)NULL);
  curl_easy_setopt(e, CURLOPT_HEADERDATA, (void *)NULL);
  release_easy(m, e);
}

void tw_curl_multi_free(tw_curl_multi *m) {
  tw_curl_xfer *x, *next;
  size_t i;
  if (!m) return;
  for (x = m->active; x; x = next) {
    next = x->next;
    curl_multi_remove_handle(m->multi, x->easy);
    xfer_free(x);                           /* its easy handle too */
  }
  for (x = m->done_head; x; x = next) {
    next = x->next;
    xfer_free(x);
  }
  for (x = m->spare; x; x = next) {
    next = x->next;
    xfer_free(x);
  }
  for (i = 0; i < m->nidle; i++) curl_easy_cleanup(m->idle[i]);
  curl_multi_cleanup(m->multi);
  curl_slist_free_all(m->hdrs[0]);      /* no transfer is left to use them */
  curl_slist_free_all(m->hdrs[1]);
  tw_buf_free(&m->hdr_key[0]);
  tw_buf_free(&m->hdr_key[1]);
  free(m->ca_file);
  free(m);
}

/* The header list for rq: the multi's shared one of rq's kind
 * (wants_expect) when rq's lines are the ones it was built from
 * (check_req already left a POST's form Content-Type to libcurl, for the
 * easy handle and the multi alike) (the usual case: every request of a batch sends the same few headers;
 * callgrind, bench/ours.lua update-concurrent, 1,100 minus 100 updates:
 * 193.3 k -> 188.1 k instructions per update on 5.4), else a new list
 * that x owns. The first request's list of each kind becomes the shared
 * one. *out: the list (NULL for no lines and no "Expect:"); -1 when out
 * of memory. */
static int multi_headers(tw_curl_multi *m, tw_curl_xfer *x, const tw_curl_req *rq,
                         struct curl_slist **out) {
  struct curl_slist *list;
  int k = wants_expect(rq);
  size_t len = rq->hdr_lines ? rq->hdr_len : 0;
  *out = NULL;
  if (!k && len == 0) return 0;              /* nothing to send */
  if (m->hdrs[k] && same_lines(&m->hdr_key[k], rq)) {
    *out = m->hdrs[k];
    return 0;
  }
  list = build_list_opt(rq, k);
  if (!list) return -1;
  if (!m->hdrs[k] && tw_buf_add(&m->hdr_key[k], rq->hdr_lines ? rq->hdr_lines : "", len) == 0)
    m->hdrs[k] = list;                       /* the multi owns it */
  else
    x->hdrs = list;                          /* x owns it */
  *out = list;
  return 0;
}

/* set_request for a warm transfer (x's easy handle went through setup
 * for x, so its callbacks, error buffer and private pointer are x's):
 * only what differs from the last request on it is set, as
 * set_request_easy does; the URL always. A POST's body is copied by
 * libcurl (CURLOPT_COPYPOSTFIELDS: rq->body is only borrowed during the
 * add) when it differs from the one copied last. Every request of a
 * batch differs by its URL only: one curl_easy_setopt instead of twelve,
 * and no copy of the body. */
static CURLcode set_request_warm(tw_curl_xfer *x, const tw_curl_req *rq,
                                 struct curl_slist *hdrs) {
  CURL *e = x->easy;
  CURLcode rc = CURLE_OK;
  long fresh = rq->fresh_connect ? 1L : 0L;
  int same_method = rq->method == x->cur_method;
  SET(e, CURLOPT_URL, rq->url);
  if (rq->timeout_ms != x->cur_timeout) SET(e, CURLOPT_TIMEOUT_MS, rq->timeout_ms);
  if (rq->connect_timeout_ms != x->cur_connect_timeout)
    SET(e, CURLOPT_CONNECTTIMEOUT_MS, rq->connect_timeout_ms);
  if (hdrs != x->cur_list) SET(e, CURLOPT_HTTPHEADER, hdrs);
  if (fresh != x->cur_fresh) SET(e, CURLOPT_FRESH_CONNECT, fresh);
  switch (rq->method) {
  case TW_METHOD_POST: {
    size_t n = rq->body ? rq->body_len : 0;
    if (!same_method) {
      SET(e, CURLOPT_CUSTOMREQUEST, (char *)NULL);
      SET(e, CURLOPT_POST, 1L);
    }
    if (!same_method || !x->cur_body_ok || n != x->cur_body.len ||
        (n && memcmp(x->cur_body.data, rq->body, n) != 0)) {
      x->cur_body_ok = 0;
      SET(e, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)n);
      SET(e, CURLOPT_COPYPOSTFIELDS, rq->body ? rq->body : "");
      x->cur_body.len = 0;
      if (rc == CURLE_OK && tw_buf_add(&x->cur_body, rq->body ? rq->body : "", n) == 0)
        x->cur_body_ok = 1;
    }
    break;
  }
  case TW_METHOD_DELETE:
    if (!same_method) {
      SET(e, CURLOPT_HTTPGET, 1L);
      SET(e, CURLOPT_CUSTOMREQUEST, "DELETE");
    }
    break;
  default:
    if (!same_method) {
      SET(e, CURLOPT_HTTPGET, 1L);
      SET(e, CURLOPT_CUSTOMREQUEST, (char *)NULL);
    }
    break;
  }
  return rc;
}

/* What set_request (or set_request_warm) has just set on x's easy handle
 * for rq, for the next warm request; rc != CURLE_OK: nothing (the caller
 * frees x). */
static void note_request(tw_curl_xfer *x, const tw_curl_req *rq, struct curl_slist *hdrs,
                         CURLcode rc, int body_noted) {
  if (rc != CURLE_OK) return;
  x->cur_timeout = rq->timeout_ms;
  x->cur_connect_timeout = rq->connect_timeout_ms;
  x->cur_fresh = rq->fresh_connect ? 1 : 0;
  x->cur_method = rq->method;
  x->cur_list = hdrs;
  if (!body_noted) {
    x->cur_body.len = 0;
    x->cur_body_ok = rq->method == TW_METHOD_POST &&
                     tw_buf_add(&x->cur_body, rq->body ? rq->body : "",
                                rq->body ? rq->body_len : 0) == 0;
  }
}

/* Whether m's transfers go without a header callback (their headers
 * read from libcurl's store, res_fill), decided on m's first easy handle
 * e, before its setup: libcurl has the store, and not all_headers. Pooled
 * and warm handles keep what setup set (setup_pooled and
 * set_request_warm leave the header options alone). A header callback
 * costs ~1.3 k instructions per transfer in libcurl and on_header; a 2xx
 * in the bulk lane reads only the Content-Type, from libcurl
 * (tw_curl_multi_peek_done_lean). */
static int multi_after(tw_curl_multi *m, CURL *e) {
  if (!m->after_known) {
    m->after = !m->all_headers && store_built_in(e);
    m->after_known = 1;
  }
  return m->after;
}

int tw_curl_multi_add(tw_curl_multi *m, const tw_curl_req *rq, uint64_t token,
                      const char **err) {
  tw_curl_xfer *x;
  CURLcode rc;
  struct curl_slist *hdrs;
  int pooled = 0, warm = 0;
  if (m->spare) {                            /* its buffers are kept (res_reset) */
    x = m->spare;
    m->spare = x->next;
    m->nspare--;
    x->next = x->prev = NULL;
    x->hdrs = NULL;
    warm = x->easy != NULL;
  } else {
    x = calloc(1, sizeof *x);                /* owned by m until dropped */
    if (!x) { *err = "out of memory"; return -1; }
  }
  x->token = token;
  if (!warm) {
    pooled = m->nidle > 0;
    x->easy = pooled ? m->idle[--m->nidle] : curl_easy_init();
    if (!x->easy) { xfer_free(x); *err = "curl_easy_init failed"; return -1; }
  }
  res_reset(&x->res, rq->max_body);
  x->res.all_headers = m->all_headers;
  if (multi_headers(m, x, rq, &hdrs) < 0) {
    rc = CURLE_OUT_OF_MEMORY;
  } else if (warm) {
    rc = set_request_warm(x, rq, hdrs);
    note_request(x, rq, hdrs, rc, 1);
  } else {
    rc = pooled ? setup_pooled(x->easy, rq, &x->res, hdrs, m->after)
                : setup(x->easy, rq, &x->res, m->ca_file, 0, hdrs, multi_after(m, x->easy));
    /* kept by pooled and warm handles: only setup resets them */
    if (rc == CURLE_OK && !pooled && m->buffer_size)
      rc = curl_easy_setopt(x->easy, CURLOPT_BUFFERSIZE, m->buffer_size);
    if (rc == CURLE_OK) rc = curl_easy_setopt(x->easy, CURLOPT_PRIVATE, (void *)x);
    note_request(x, rq, hdrs, rc, 0);
  }
  if (rc != CURLE_OK) {
    /* a new handle whose setup failed goes with x: its options are unknown */
    if (warm || pooled) xfer_release_easy(m, x);
    xfer_free(x);
    *err = curl_easy_strerror(rc);
    return -1;
  }
  x->res.easy = m->after ? x->easy : NULL;   /* on_body sizes the body by it */
  if (curl_multi_add_handle(m->multi, x->easy) != CURLM_OK) {
    xfer_release_easy(m, x);
    xfer_free(x);
    *err = "curl_multi_add_handle failed";
    return -1;
  }
  x->next = m->active;
  if (m->active) m->active->prev = x;
  m->active = x;
  m->count++;
  return 0;
}

/* Moves every finished transfer from the active list to the done queue. */
static void collect(tw_curl_multi *m) {
  CURLMsg *msg;
  int left;
  while ((msg = curl_multi_info_read(m->multi, &left)) != NULL) {
    tw_curl_xfer *x = NULL;
    if (msg->msg != CURLMSG_DONE) continue;
    curl_easy_getinfo(msg->easy_handle, CURLINFO_PRIVATE, (char **)&x);
    if (!x) continue;
    /* the counters (and, without the header callback, the headers) stay
     * in libcurl until tw_curl_multi_fill_done */
    finish_as(x->easy, msg->data.result, &x->res);
    curl_multi_remove_handle(m->multi, x->easy);
    /* the easy handle stays with x (warm: the next add on x sets only
     * what changed); a list x owns goes, so the handle forgets it */
    if (x->hdrs) {
      curl_easy_setopt(x->easy, CURLOPT_HTTPHEADER, (struct curl_slist *)NULL);
      x->cur_list = NULL;
      curl_slist_free_all(x->hdrs);
      x->hdrs = NULL;
    }
    if (x->prev) x->prev->next = x->next;
    else m->active = x->next;
    if (x->next) x->next->prev = x->prev;
    x->prev = x->next = NULL;
    if (m->done_tail) m->done_tail->next = x;
    else m->done_head = x;
    m->done_tail = x;
    m->ndone++;
  }
}

size_t tw_curl_multi_poll(tw_curl_multi *m, long timeout_ms) {
  long deadline = now_ms() + (timeout_ms > 0 ? timeout_ms : 0);
  for (;;) {
    int running = 0;
    long left;
    if (curl_multi_perform(m->multi, &running) != CURLM_OK) break;
    collect(m);
    if (m->ndone > 0 || !m->active) break;
    left = deadline - now_ms();
    if (left <= 0) break;
    if (curl_multi_poll(m->multi, NULL, 0, left > INT_MAX ? INT_MAX : (int)left, NULL) != CURLM_OK)
      break;
  }
  return m->ndone;
}

const tw_curl_res *tw_curl_multi_peek_done_lean(tw_curl_multi *m, uint64_t *token) {
  if (!m->done_head) return NULL;
  *token = m->done_head->token;
  return &m->done_head->res;
}

void tw_curl_multi_fill_done(tw_curl_multi *m) {
  if (m->done_head) res_fill(m->done_head->easy, &m->done_head->res);
}

const tw_curl_res *tw_curl_multi_peek_done(tw_curl_multi *m, uint64_t *token) {
  const tw_curl_res *r = tw_curl_multi_peek_done_lean(m, token);
  if (r) tw_curl_multi_fill_done(m);
  return r;
}

void tw_curl_multi_drop_done(tw_curl_multi *m) {
  tw_curl_xfer *x = m->done_head;
  if (!x) return;
  m->done_head = x->next;
  if (!m->done_head) m->done_tail = NULL;
  m->ndone--;
  m->count--;
  if (m->nspare < IDLE_MAX) {                /* kept for the next add: no calloc, */
    x->next = m->spare;                      /* its body buffer and easy handle */
    m->spare = x;                            /* reused */
    m->nspare++;
  } else {
    xfer_release_easy(m, x);
    xfer_free(x);
  }
}

size_t tw_curl_multi_count(const tw_curl_multi *m) { return m->count; }
