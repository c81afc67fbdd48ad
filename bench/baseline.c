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

#include "baseline_common.h"

#define CONCURRENCY 16
#define MAX_SIDS 100000

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

static void set_update(CURL *e, const char *url, const char *form) {
  curl_easy_setopt(e, CURLOPT_URL, url);
  curl_easy_setopt(e, CURLOPT_POSTFIELDS, form);
  curl_easy_setopt(e, CURLOPT_POSTFIELDSIZE, (long)strlen(form));
}

static const char *FORM =
  "VoiceUrl=https%3A%2F%2Fexample.com%2Fbench%2Fvoice&FriendlyName=bench+updated";

int main(int argc, char **argv) {
  const char *job, *base, *acct, *token, *sids_file = NULL;
  char url[1024];
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
  if (sids_file) sids = read_sids(sids_file, &nsids);

  curl_global_init(CURL_GLOBAL_DEFAULT);
  hdrs = bench_headers(acct, token);
  if (!hdrs) return 2;

  t0 = now();
  if (strcmp(job, "list-all") == 0) {
    e = curl_easy_init();
    set_common(e, hdrs, &body);
    list_first_url(url, sizeof url, base, acct);
    while (url[0] && list_page(e, &body, url, sizeof url, base, &requests, &errors))
      items += count(&body, "\"phone_number\": \"", NULL);
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
