/* tw_curl.h -- the libcurl transport's C API (no lua.h, no curl.h here).
 *
 * tw_curl.c is the only file that includes curl/curl.h. This API performs
 * whole requests into buffers it owns; the Lua binding (ltw_curl.c) reads
 * those buffers only after libcurl has returned, so no Lua call (and no
 * longjmp) can ever happen inside a libcurl frame.
 *
 * Ownership: a tw_curl owns its easy handle, its header lists (one for
 * GET/DELETE, one for POST, each kept while the next request of its kind
 * sends the same lines) and the buffers of its last
 * response (reused by the next perform, freed by tw_curl_free). A
 * tw_curl_multi owns its multi handle, every transfer in it (easy handle,
 * header list, response buffers), a pool of idle easy handles and one of
 * dropped transfers kept with their response buffers. Request
 * strings (tw_curl_req) are only borrowed for the duration of the call:
 * libcurl copies the URL, a multi transfer's body (CURLOPT_COPYPOSTFIELDS;
 * the easy handle reads it during tw_curl_perform only) and the header
 * lines into a curl_slist owned by the handle or the transfer. */
#ifndef TW_CURL_H
#define TW_CURL_H

#include <stddef.h>
#include <stdint.h>

#define TW_CURL_MSG_SIZE 256   /* == CURL_ERROR_SIZE (checked in tw_curl.c) */

enum { TW_METHOD_GET = 0, TW_METHOD_POST = 1, TW_METHOD_DELETE = 2 };

typedef struct tw_curl_req {
  int method;                    /* TW_METHOD_* */
  const char *url;               /* NUL-terminated; borrowed */
  const char *body;              /* POST only; may be NULL; borrowed */
  size_t body_len;
  const char *hdr_lines;         /* "Name: value" or "Name;" lines, each one
                                    NUL-terminated, packed end to end
                                    (hdr_len bytes, NULs included); may be
                                    NULL; borrowed, checked by the caller */
  size_t hdr_len;
  long timeout_ms;               /* > 0 */
  long connect_timeout_ms;       /* > 0 */
  size_t max_body;               /* > 0 */
  int fresh_connect;             /* 1: open a new connection for this request
                                    (never a pooled one, so libcurl cannot
                                    silently resend it on a dead keep-alive
                                    connection); later requests may reuse it */
} tw_curl_req;

typedef struct tw_buf {
  char *data;                    /* malloc'd; owned by the response, unless
                                    borrowed */
  size_t len, cap;
  int borrowed;                  /* 1: data is the caller's memory (cap
                                    bytes): never freed or realloc'd here;
                                    growing past cap moves the bytes into a
                                    malloc'd buffer (borrowed 0 then) */
} tw_buf;

enum { TW_CURL_OK = 0, TW_CURL_TIMEOUT = 1, TW_CURL_TRANSPORT = 2, TW_CURL_DECODE = 3 };

typedef struct tw_curl_res {
  int kind;                      /* TW_CURL_OK or the error kind */
  long status;                   /* HTTP status of the final response, 0 if none */
  tw_buf body;
  tw_buf headers;                /* "name\0value\0" pairs: names lower-case,
                                    values trimmed; final response only;
                                    only the TW_CURL_HEADERS names unless the
                                    handle keeps all headers */
  int sent;                      /* error: request bytes may have reached the server */
  int curl_code;                 /* CURLcode */
  long new_connections;          /* CURLINFO_NUM_CONNECTS */
  double total_time;             /* seconds */
  size_t max_body;               /* cap for this transfer */
  int too_big;                   /* the body went over max_body */
  int all_headers;               /* set by the handle: keep every header */
  void *easy;                    /* the CURL * when the handle has no header
                                    callback (not all_headers, and libcurl
                                    has its header store): the headers are
                                    read from that store after the transfer,
                                    and on_body sizes the body from
                                    Content-Length through it; else NULL */
  int unfilled;                  /* the counters, and with easy the kept
                                    headers, are still in libcurl (read by
                                    tw_curl_fill_headers or
                                    tw_curl_multi_fill_done, once) */
  char message[TW_CURL_MSG_SIZE]; /* error message */
  char errbuf[TW_CURL_MSG_SIZE];  /* libcurl's CURLOPT_ERRORBUFFER */
} tw_curl_res;

/* The response headers kept by default (lower-case; a handle created with
 * all_headers keeps every header): what the library and its callers read.
 * Skipping the others saves their copies and their Lua strings. */
#define TW_CURL_HEADERS "content-type, content-length, retry-after, location, " \
                        "www-authenticate, twilio-request-id"

/* Growable byte buffers (the tw_buf above): tw_buf_add appends n bytes and
 * keeps a NUL after them; 0, or -1 on overflow / allocation failure (b is
 * unchanged then). tw_buf_free frees (unless borrowed) and zeroes. The owner of the tw_buf
 * owns data. */
int tw_buf_add(tw_buf *b, const char *s, size_t n);
void tw_buf_free(tw_buf *b);

/* Walks the header pairs of res: start with *pos = 0; returns 1 and sets
 * name/value (NUL-terminated, inside res->headers) or 0 at the end. */
int tw_curl_header_next(const tw_curl_res *res, size_t *pos,
                        const char **name, const char **value);

/* curl_global_init(CURL_GLOBAL_DEFAULT); 0 on success. Safe to call more
 * than once (libcurl counts; thread-safe since 7.84). */
int tw_curl_global_init(void);
const char *tw_curl_version(void);

/* ---- easy: one reused handle, one request at a time ------------------- */
typedef struct tw_curl tw_curl;

/* ca_file is copied (may be NULL); all_headers: keep every response header
 * (else only TW_CURL_HEADERS). The options that never change are set here,
 * once. Returns NULL on allocation failure or a libcurl refusal. */
tw_curl *tw_curl_new(const char *ca_file, int verbose, int all_headers);
void tw_curl_free(tw_curl *h);
/* Performs rq; returns the handle's response (valid until the next perform
 * or tw_curl_free). Never NULL. */
const tw_curl_res *tw_curl_perform(tw_curl *h, const tw_curl_req *rq);
/* The same, the body written into dst (cap bytes, the caller's, alive
 * until the next perform or tw_curl_free) while it fits with its NUL:
 * res->body.borrowed says whether it did (body.data == dst then); if not,
 * the body is in the handle's buffer as with tw_curl_perform. The
 * binding passes a twilio.Body's bytes: the answer lands in the Lua heap
 * without a copy. */
/* Frees the handle's body buffer (the last response's body is empty
 * after it). */
void tw_curl_drop_body(tw_curl *h);
/* Hands the handle's body buffer to the caller, who frees it (malloc'd,
 * *cap bytes, data[*len] == NUL), and leaves the last response's body
 * empty; NULL (and nothing changed) when the body is borrowed or empty. */
char *tw_curl_take_body(tw_curl *h, size_t *len, size_t *cap);
const tw_curl_res *tw_curl_perform_into(tw_curl *h, const tw_curl_req *rq,
                                        char *dst, size_t cap);
/* tw_curl_perform without the counters and, when the handle reads headers
 * after the transfer (res->easy), the response headers (res->headers
 * empty) until tw_curl_fill_headers; tw_curl_content_type gives the final
 * response's Content-Type (the last one, trimmed; NULL when none) either
 * way. For the fused call, which needs only that for a 2xx answer. */
const tw_curl_res *tw_curl_perform_lean(tw_curl *h, const tw_curl_req *rq);
void tw_curl_fill_headers(tw_curl *h);
const char *tw_curl_content_type(tw_curl *h);
/* The Content-Type among r's kept headers (the last one), or NULL; for a
 * multi transfer not filled yet, libcurl's (CURLINFO_CONTENT_TYPE). */
const char *tw_curl_res_content_type(const tw_curl_res *r);

/* ---- multi: many transfers in flight ---------------------------------- */
typedef struct tw_curl_multi tw_curl_multi;
typedef struct tw_curl_xfer tw_curl_xfer;

tw_curl_multi *tw_curl_multi_new(long max_connections, const char *ca_file, int all_headers);
void tw_curl_multi_free(tw_curl_multi *m);   /* aborts transfers in flight */
/* Starts rq under `token` (chosen by the caller). 0, or -1 with a static
 * message in *err (allocation failure, libcurl refusal). */
int tw_curl_multi_add(tw_curl_multi *m, const tw_curl_req *rq, uint64_t token,
                      const char **err);
/* Drives transfers until at least one has finished or timeout_ms has passed
 * (never longer; 0 = just drive what is ready). Returns the number of
 * finished transfers waiting to be taken. */
size_t tw_curl_multi_poll(tw_curl_multi *m, long timeout_ms);
/* The oldest finished transfer (NULL if none); it stays owned by m until
 * tw_curl_multi_drop_done, so a failure while reading it leaks nothing.
 * Its headers and counters are read. */
const tw_curl_res *tw_curl_multi_peek_done(tw_curl_multi *m, uint64_t *token);
/* The same without reading them: the counters are 0, and res->headers
 * empty when the multi reads headers after the transfer (res->easy),
 * until tw_curl_multi_fill_done; tw_curl_res_content_type works either
 * way. For the bulk lane, which needs only the Content-Type of a 2xx. */
const tw_curl_res *tw_curl_multi_peek_done_lean(tw_curl_multi *m, uint64_t *token);
void tw_curl_multi_fill_done(tw_curl_multi *m);
void tw_curl_multi_drop_done(tw_curl_multi *m);
/* Transfers added and not yet dropped (in flight + finished). */
size_t tw_curl_multi_count(const tw_curl_multi *m);

#endif
