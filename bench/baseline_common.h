/* bench/baseline_common.h -- the raw libcurl baseline's pieces, shared by
 * bench/baseline.c and bench/floor_client.c so that both do the same HTTP
 * work: the body buffer, the headers, the curl options and list-all's page
 * step (next_page_uri found by a scan, not a parse). Included once per
 * program; everything is static. */
#ifndef BENCH_BASELINE_COMMON_H
#define BENCH_BASELINE_COMMON_H

#include <curl/curl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

typedef struct {
  char *data;                   /* malloc'd, owned by the buf; NUL-terminated */
  size_t len, cap;
} buf;

static size_t on_body(char *p, size_t size, size_t n, void *ud) {
  buf *b = ud;
  size_t add = size * n;
  if (b->len + add + 1 > b->cap) {
    size_t cap = b->cap ? b->cap : 4096;
    char *q;
    while (cap < b->len + add + 1) cap *= 2;
    q = realloc(b->data, cap);
    if (!q) return 0;
    b->data = q;
    b->cap = cap;
  }
  memcpy(b->data + b->len, p, add);
  b->len += add;
  b->data[b->len] = '\0';
  return add;
}

static double now(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static const char B64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

static void base64(const char *in, char *out) {
  size_t n = strlen(in), i, o = 0;
  for (i = 0; i + 2 < n; i += 3) {
    unsigned v = ((unsigned char)in[i] << 16) | ((unsigned char)in[i + 1] << 8) | (unsigned char)in[i + 2];
    out[o++] = B64[(v >> 18) & 63]; out[o++] = B64[(v >> 12) & 63];
    out[o++] = B64[(v >> 6) & 63]; out[o++] = B64[v & 63];
  }
  if (n - i == 1) {
    unsigned v = (unsigned char)in[i] << 16;
    out[o++] = B64[(v >> 18) & 63]; out[o++] = B64[(v >> 12) & 63];
    out[o++] = '='; out[o++] = '=';
  } else if (n - i == 2) {
    unsigned v = ((unsigned char)in[i] << 16) | ((unsigned char)in[i + 1] << 8);
    out[o++] = B64[(v >> 18) & 63]; out[o++] = B64[(v >> 12) & 63];
    out[o++] = B64[(v >> 6) & 63]; out[o++] = '=';
  }
  out[o] = '\0';
}

/* Occurrences of needle in b (non-overlapping), and the position of the first. */
static size_t count(const buf *b, const char *needle, const char **first) {
  size_t k = 0, nl = strlen(needle);
  const char *p = b->data, *end = b->data + b->len;
  if (first) *first = NULL;
  if (!p) return 0;
  while ((p = strstr(p, needle)) != NULL && p < end) {
    if (first && !*first) *first = p;
    k++;
    p += nl;
  }
  return k;
}

/* The headers the module sends (Basic auth, Accept, User-Agent); NULL when
 * the account and token are too long. Free with curl_slist_free_all. */
static struct curl_slist *bench_headers(const char *acct, const char *token) {
  char auth_in[256], auth_b64[400], auth_hdr[450];
  struct curl_slist *hdrs = NULL;
  if (snprintf(auth_in, sizeof auth_in, "%s:%s", acct, token) >= (int)sizeof auth_in) return NULL;
  base64(auth_in, auth_b64);
  if (snprintf(auth_hdr, sizeof auth_hdr, "Authorization: Basic %s", auth_b64) >= (int)sizeof auth_hdr)
    return NULL;
  hdrs = curl_slist_append(hdrs, auth_hdr);
  hdrs = curl_slist_append(hdrs, "Accept: application/json");
  hdrs = curl_slist_append(hdrs, "User-Agent: twilio-numbers-bench-baseline");
  hdrs = curl_slist_append(hdrs, "Expect:");
  return hdrs;
}

static void set_common(CURL *e, struct curl_slist *hdrs, buf *body) {
  curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(e, CURLOPT_HTTPHEADER, hdrs);
  curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, on_body);
  curl_easy_setopt(e, CURLOPT_WRITEDATA, (void *)body);
}

#define NEXT_PAGE_NEEDLE "\"next_page_uri\": \""

/* list-all's first page: url = BASE/2010-04-01/Accounts/ACCT/IncomingPhoneNumbers.json?PageSize=1000 */
static void list_first_url(char *url, size_t size, const char *base, const char *acct) {
  snprintf(url, size, "%s/2010-04-01/Accounts/%s/IncomingPhoneNumbers.json?PageSize=1000", base, acct);
}

/* One list-all page: GETs url (e is set_common'd with body) into body.
 * Returns 1 with the page in body and url set to the next page's (url[0]
 * == '\0': this was the last page), 0 on a failure (counted in *errors). */
static int list_page(CURL *e, buf *body, char *url, size_t size, const char *base,
                     size_t *requests, size_t *errors) {
  long status = 0;
  const char *next, *q;
  size_t bl = strlen(base);
  body->len = 0;
  curl_easy_setopt(e, CURLOPT_URL, url);
  (*requests)++;
  if (curl_easy_perform(e) != CURLE_OK) { (*errors)++; return 0; }
  curl_easy_getinfo(e, CURLINFO_RESPONSE_CODE, &status);
  if (status != 200) { (*errors)++; return 0; }
  count(body, NEXT_PAGE_NEEDLE, &next);
  if (!next) { url[0] = '\0'; return 1; }
  next += strlen(NEXT_PAGE_NEEDLE);
  q = strchr(next, '"');
  if (!q || bl + (size_t)(q - next) + 1 > size) { (*errors)++; return 0; }
  memcpy(url, base, bl);
  memcpy(url + bl, next, (size_t)(q - next));
  url[bl + (size_t)(q - next)] = '\0';
  return 1;
}

#endif
