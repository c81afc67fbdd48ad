/* bench/baseline.c -- the raw libcurl baseline for `make bench`.
 *
 *   baseline JOB BASE_URL ACCOUNT_SID AUTH_TOKEN [N] [SIDS_FILE]
 *
 * JOB: list-all | fetch | update | update-concurrent
 *   list-all           GET .../IncomingPhoneNumbers.json?PageSize=1000, then
 *                      follow next_page_uri, found by scanning the body for
 *                      `"next_page_uri": "` (a scan, not a parse); the items
 *                      are counted by scanning for `"phone_number": "`.
 *   fetch              N sequential GETs of .../IncomingPhoneNumbers/PN….json
 *   update             N sequential POSTs (VoiceUrl, FriendlyName) to the same
 *   update-concurrent  N POSTs over the multi interface, 16 in flight
 * SIDS_FILE: one PN sid a line (fetch and update cycle through them).
 *
 * What it does not do, on purpose: no JSON parse, no validation, no retries.
 * One reused easy handle (multi: 16 reused handles); the same headers as the
 * module (Basic auth, Accept, User-Agent). Prints one line:
 *   result job=… impl=baseline seconds=… maxrss_kb=… items=… requests=… errors=…
 * Built by bench/run: cc -std=c99 -O2 -Wall -Wextra -Werror. */
#define _POSIX_C_SOURCE 200809L
#include <curl/curl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>

#define CONCURRENCY 16
#define MAX_SIDS 100000

typedef struct {
  char *data;
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

static char **read_sids(const char *file, size_t *n) {
  FILE *f = fopen(file, "r");
  char line[128], **v;
  size_t k = 0;
  if (!f) { perror(file); exit(2); }
  v = calloc(MAX_SIDS, sizeof *v);
  if (!v) exit(2);
  while (k < MAX_SIDS && fgets(line, sizeof line, f)) {
    line[strcspn(line, "\r\n")] = '\0';
    if (line[0]) v[k++] = strdup(line);
  }
  fclose(f);
  if (k == 0) { fprintf(stderr, "baseline: no sids in %s\n", file); exit(2); }
  *n = k;
  return v;
}

static void set_common(CURL *e, struct curl_slist *hdrs, buf *body) {
  curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(e, CURLOPT_HTTPHEADER, hdrs);
  curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, on_body);
  curl_easy_setopt(e, CURLOPT_WRITEDATA, (void *)body);
}

static void set_update(CURL *e, const char *url, const char *form) {
  curl_easy_setopt(e, CURLOPT_URL, url);
  curl_easy_setopt(e, CURLOPT_POSTFIELDS, form);
  curl_easy_setopt(e, CURLOPT_POSTFIELDSIZE, (long)strlen(form));
}

static const char *FORM =
  "VoiceUrl=https%3A%2F%2Fexample.com%2Fbench%2Fvoice&FriendlyName=bench+updated";

int main(int argc, char **argv) {
  const char *job, *base, *acct, *token, *sids_file = NULL;
  char auth_in[256], auth_b64[400], auth_hdr[450], url[1024];
  struct curl_slist *hdrs = NULL;
  char **sids = NULL;
  size_t nsids = 0, items = 0, requests = 0, errors = 0;
  long n = 0;
  double t0, dt;
  struct rusage ru;
  buf body = { NULL, 0, 0 };
  CURL *e;

  if (argc < 5) {
    fprintf(stderr, "usage: baseline JOB BASE_URL ACCOUNT_SID AUTH_TOKEN [N] [SIDS_FILE]\n");
    return 2;
  }
  job = argv[1]; base = argv[2]; acct = argv[3]; token = argv[4];
  if (argc > 5) n = strtol(argv[5], NULL, 10);
  if (argc > 6) sids_file = argv[6];
  if (snprintf(auth_in, sizeof auth_in, "%s:%s", acct, token) >= (int)sizeof auth_in) return 2;
  base64(auth_in, auth_b64);
  if (snprintf(auth_hdr, sizeof auth_hdr, "Authorization: Basic %s", auth_b64) >= (int)sizeof auth_hdr) return 2;
  if (sids_file) sids = read_sids(sids_file, &nsids);

  curl_global_init(CURL_GLOBAL_DEFAULT);
  hdrs = curl_slist_append(hdrs, auth_hdr);
  hdrs = curl_slist_append(hdrs, "Accept: application/json");
  hdrs = curl_slist_append(hdrs, "User-Agent: twilio-numbers-bench-baseline");
  hdrs = curl_slist_append(hdrs, "Expect:");

  t0 = now();
  if (strcmp(job, "list-all") == 0) {
    const char *next;
    e = curl_easy_init();
    set_common(e, hdrs, &body);
    snprintf(url, sizeof url, "%s/2010-04-01/Accounts/%s/IncomingPhoneNumbers.json?PageSize=1000", base, acct);
    for (;;) {
      long status = 0;
      body.len = 0;
      curl_easy_setopt(e, CURLOPT_URL, url);
      requests++;
      if (curl_easy_perform(e) != CURLE_OK) { errors++; break; }
      curl_easy_getinfo(e, CURLINFO_RESPONSE_CODE, &status);
      if (status != 200) { errors++; break; }
      items += count(&body, "\"phone_number\": \"", NULL);
      count(&body, "\"next_page_uri\": \"", &next);
      if (!next) break;
      next += strlen("\"next_page_uri\": \"");
      {
        const char *q = strchr(next, '"');
        size_t bl = strlen(base);
        if (!q || bl + (size_t)(q - next) + 1 > sizeof url) { errors++; break; }
        memcpy(url, base, bl);
        memcpy(url + bl, next, (size_t)(q - next));
        url[bl + (size_t)(q - next)] = '\0';
      }
    }
    curl_easy_cleanup(e);
  } else if (strcmp(job, "fetch") == 0 || strcmp(job, "update") == 0) {
    int update = job[0] == 'u';
    long i;
    if (!sids) return 2;
    e = curl_easy_init();
    set_common(e, hdrs, &body);
    for (i = 0; i < n; i++) {
      long status = 0;
      body.len = 0;
      snprintf(url, sizeof url, "%s/2010-04-01/Accounts/%s/IncomingPhoneNumbers/%s.json",
               base, acct, sids[(size_t)i % nsids]);
      if (update) set_update(e, url, FORM);
      else curl_easy_setopt(e, CURLOPT_URL, url);
      requests++;
      if (curl_easy_perform(e) != CURLE_OK) { errors++; continue; }
      curl_easy_getinfo(e, CURLINFO_RESPONSE_CODE, &status);
      if (status != 200) errors++;
      else items += count(&body, "\"sid\": \"PN", NULL);
    }
    curl_easy_cleanup(e);
  } else if (strcmp(job, "update-concurrent") == 0) {
    CURLM *m = curl_multi_init();
    CURL *hs[CONCURRENCY];
    buf bodies[CONCURRENCY];
    char urls[CONCURRENCY][512];
    long next = 0, done = 0;
    int k, running = 0;
    if (!sids) return 2;
    curl_multi_setopt(m, CURLMOPT_MAX_TOTAL_CONNECTIONS, (long)CONCURRENCY);
    memset(bodies, 0, sizeof bodies);
    for (k = 0; k < CONCURRENCY; k++) {
      hs[k] = curl_easy_init();
      set_common(hs[k], hdrs, &bodies[k]);
      curl_easy_setopt(hs[k], CURLOPT_PRIVATE, (void *)&bodies[k]);
    }
    for (k = 0; k < CONCURRENCY && next < n; k++, next++) {
      snprintf(urls[k], sizeof urls[k], "%s/2010-04-01/Accounts/%s/IncomingPhoneNumbers/%s.json",
               base, acct, sids[(size_t)next % nsids]);
      set_update(hs[k], urls[k], FORM);
      curl_multi_add_handle(m, hs[k]);
      requests++;
    }
    while (done < n) {
      CURLMsg *msg;
      int left;
      curl_multi_perform(m, &running);
      while ((msg = curl_multi_info_read(m, &left)) != NULL) {
        CURL *h;
        long status = 0;
        buf *b;
        if (msg->msg != CURLMSG_DONE) continue;
        h = msg->easy_handle;
        curl_easy_getinfo(h, CURLINFO_PRIVATE, (char **)&b);
        curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &status);
        if (msg->data.result != CURLE_OK || status != 200) errors++;
        else items += count(b, "\"sid\": \"PN", NULL);
        done++;
        curl_multi_remove_handle(m, h);
        b->len = 0;
        if (next < n) {
          k = (int)(b - bodies);
          snprintf(urls[k], sizeof urls[k], "%s/2010-04-01/Accounts/%s/IncomingPhoneNumbers/%s.json",
                   base, acct, sids[(size_t)next % nsids]);
          set_update(h, urls[k], FORM);
          curl_multi_add_handle(m, h);
          next++;
          requests++;
        }
      }
      if (done < n) curl_multi_poll(m, NULL, 0, 1000, NULL);
    }
    for (k = 0; k < CONCURRENCY; k++) { curl_easy_cleanup(hs[k]); free(bodies[k].data); }
    curl_multi_cleanup(m);
  } else {
    fprintf(stderr, "baseline: unknown job %s\n", job);
    return 2;
  }
  dt = now() - t0;
  getrusage(RUSAGE_SELF, &ru);
  printf("result job=%s impl=baseline seconds=%.6f maxrss_kb=%ld items=%zu requests=%zu errors=%zu\n",
         job, dt, ru.ru_maxrss, items, requests, errors);
  curl_slist_free_all(hdrs);
  free(body.data);
  if (sids) {
    size_t i;
    for (i = 0; i < nsids; i++) free(sids[i]);
    free(sids);
  }
  curl_global_cleanup();
  return errors ? 1 : 0;
}
