/* test_request.c -- request assembly (src/tw_request.c): URLs of operations
 * (json and csv forms), path segments refused, query/form encoding, and the
 * next-page URIs that may be followed. */
#include <stdlib.h>
#include "tap.h"
#include "tw_request.h"

#define AC "AC0123456789abcdef0123456789abcdef"
#define PN "PNfedcba9876543210fedcba9876543210"
#define BASE "https://api.twilio.com"

static char got[16384];
static size_t gotn;

static void collect(void *ud, const char *s, size_t n) {
  (void)ud;
  if (gotn + n < sizeof got) { memcpy(got + gotn, s, n); gotn += n; }
  got[gotn] = '\0';
}

static const char *encode(const tw_value *v, size_t n) {
  gotn = 0;
  got[0] = '\0';
  if (tw_request_encode(v, n, collect, NULL) != gotn) return "(length differs)";
  return got;
}

/* The URL of op with path values a, b (as many as it has placeholders). */
static const char *url_of(const char *id, const char *a, const char *b,
                          tw_repr repr, const tw_param **bad) {
  static char url[TW_URL_MAX];
  const tw_op *op = tw_op_find(id, strlen(id));
  const tw_param *ph[TW_PATH_MAX];
  tw_value seg[TW_PATH_MAX];
  const char *vals[2];
  size_t k, n = tw_request_placeholders(op, ph, TW_PATH_MAX);
  vals[0] = a;
  vals[1] = b;
  for (k = 0; k < n; k++) {
    const char *v = strcmp(ph[k]->wire, "AccountSid") == 0 ? AC : vals[k - 1];
    seg[k].p = ph[k];
    seg[k].kind = TW_V_STRING;
    seg[k].s = v;
    seg[k].n = strlen(v);
  }
  if (tw_request_url(url, sizeof url, BASE, op, seg, repr, bad) == 0) return NULL;
  return url;
}

static int follows(const char *uri, const char *want_path) {
  tw_base base;
  const char *why, *path = NULL;
  size_t pathn = 0;
  int ok;
  tw_parse_base(BASE, strlen(BASE), &base, &why);
  ok = tw_request_follow(&base, uri, strlen(uri), &path, &pathn);
  if (!want_path) return !ok;
  return ok && pathn == strlen(want_path) && memcmp(path, want_path, pathn) == 0;
}

int main(void) {
  const tw_param *bad, *ph[TW_PATH_MAX];
  const tw_op *update = tw_op_find("UpdateIncomingPhoneNumber", 25);
  tw_value v[3];
  char small[40];
  size_t n;

  /* placeholders, in path order */
  n = tw_request_placeholders(tw_op_find("FetchIncomingPhoneNumberAssignedAddOnExtension", 46),
                              ph, TW_PATH_MAX);
  CHECK(n == 4, "four placeholders in the extension path");
  CHECK(n == 4 && strcmp(ph[0]->wire, "AccountSid") == 0 &&
        strcmp(ph[3]->wire, "Sid") == 0, "in the order of the template");
  CHECK(tw_request_placeholders(update, ph, 1) == (size_t)-1, "more than max: refused");

  /* URLs */
  CHECK_STR(url_of("ListIncomingPhoneNumber", NULL, NULL, TW_REPR_JSON, &bad),
            BASE "/2010-04-01/Accounts/" AC "/IncomingPhoneNumbers.json", "list URL");
  CHECK_STR(url_of("ListIncomingPhoneNumber", NULL, NULL, TW_REPR_CSV, &bad),
            BASE "/2010-04-01/Accounts/" AC "/IncomingPhoneNumbers.csv", "list URL, csv form");
  CHECK_STR(url_of("FetchIncomingPhoneNumber", PN, NULL, TW_REPR_JSON, &bad),
            BASE "/2010-04-01/Accounts/" AC "/IncomingPhoneNumbers/" PN ".json", "fetch URL");
  CHECK_STR(url_of("FetchIncomingPhoneNumber", PN, NULL, TW_REPR_CSV, &bad),
            BASE "/2010-04-01/Accounts/" AC "/IncomingPhoneNumbers/" PN ".csv", "fetch URL, csv form");
  CHECK(url_of("UpdateIncomingPhoneNumber", PN, NULL, TW_REPR_CSV, &bad) == NULL && bad == NULL,
        "no csv form for a POST");
  CHECK(url_of("DeleteIncomingPhoneNumber", PN, NULL, TW_REPR_CSV, &bad) == NULL,
        "no csv form for a DELETE");
  CHECK_STR(url_of("ListAvailablePhoneNumberLocal", "US", NULL, TW_REPR_JSON, &bad),
            BASE "/2010-04-01/Accounts/" AC "/AvailablePhoneNumbers/US/Local.json", "search URL");

  /* a segment that could add a path, a query or a header is refused */
  CHECK(url_of("FetchIncomingPhoneNumber", "PN1/../x", NULL, TW_REPR_JSON, &bad) == NULL &&
        bad && strcmp(bad->name, "sid") == 0, "slash in a segment: refused, parameter named");
  CHECK(url_of("FetchIncomingPhoneNumber", "PN1?a=b", NULL, TW_REPR_JSON, &bad) == NULL, "query in a segment");
  CHECK(url_of("FetchIncomingPhoneNumber", "PN1\r\nX: y", NULL, TW_REPR_JSON, &bad) == NULL, "CRLF in a segment");
  CHECK(url_of("FetchIncomingPhoneNumber", "", NULL, TW_REPR_JSON, &bad) == NULL, "empty segment");

  /* too long: 0, nothing written past cap */
  {
    tw_value seg[2];
    const tw_op *fetch = tw_op_find("FetchIncomingPhoneNumber", 24);
    tw_request_placeholders(fetch, ph, TW_PATH_MAX);
    seg[0].p = ph[0]; seg[0].kind = TW_V_STRING; seg[0].s = AC; seg[0].n = 34;
    seg[1].p = ph[1]; seg[1].kind = TW_V_STRING; seg[1].s = PN; seg[1].n = 34;
    memset(small, 'z', sizeof small);
    CHECK(tw_request_url(small, 30, BASE, fetch, seg, TW_REPR_JSON, &bad) == 0 && bad == NULL,
          "URL longer than cap: 0");
    CHECK(small[30] == 'z' && small[39] == 'z', "nothing written past cap");
    /* a value too long for the URL before a bad one: the bad one is still
     * named (fuzz_request found it refused as "too long" only) */
    {
      static char longseg[TW_URL_MAX + 26];
      memset(longseg, 'A', sizeof longseg);
      seg[0].s = longseg; seg[0].n = sizeof longseg;
      seg[1].s = "PN1/../x"; seg[1].n = 8;
      CHECK(tw_request_url(small, 30, BASE, fetch, seg, TW_REPR_JSON, &bad) == 0 && bad == ph[1],
            "too long, then a bad segment: the bad one named");
      seg[0].s = AC; seg[0].n = 34;
      CHECK(tw_request_url(small, 30, BASE, fetch, seg, TW_REPR_JSON, &bad) == 0 && bad == ph[1],
            "base and first segment over cap, then a bad segment: the bad one named");
      seg[1].s = PN; seg[1].n = 34;
      CHECK(tw_request_url(small, 10, BASE, fetch, seg, TW_REPR_JSON, &bad) == 0 && bad == NULL,
            "too long, every segment good: no parameter named");
      seg[1].s = ""; seg[1].n = 0;
      CHECK(tw_request_url(small, 10, BASE, fetch, seg, TW_REPR_JSON, &bad) == 0 && bad == ph[1],
            "base over cap, then an empty segment: named");
    }
  }

  /* encoding */
  v[0].p = tw_op_param(update, "friendly_name", 13);
  v[0].kind = TW_V_STRING; v[0].s = "Support & Sales=1+2 é"; v[0].n = strlen(v[0].s);
  v[1].p = tw_op_param(update, "voice_caller_id_lookup", 22);
  v[1].kind = TW_V_BOOLEAN; v[1].i = 1;
  CHECK_STR(encode(v, 2), "FriendlyName=Support%20%26%20Sales%3D1%2B2%20%C3%A9&VoiceCallerIdLookup=true",
            "string and boolean, percent-encoded");
  v[1].i = 0;
  CHECK_STR(encode(v + 1, 1), "VoiceCallerIdLookup=false", "false");
  {
    const tw_op *list = tw_op_find("ListIncomingPhoneNumber", 23);
    v[2].p = tw_op_param(list, "page_size", 9);
    v[2].kind = TW_V_INTEGER; v[2].i = 1000;
    CHECK_STR(encode(v + 2, 1), "PageSize=1000", "integer in decimal");
  }
  CHECK_STR(encode(v, 0), "", "nothing to encode");
  {
    static char longs[3000];
    memset(longs, ' ', sizeof longs);
    v[0].s = longs; v[0].n = sizeof longs;
    encode(v, 1);
    CHECK(gotn == strlen("FriendlyName=") + 3 * sizeof longs, "a long value crosses the 512-byte chunks whole");
  }

  /* next-page URIs */
  CHECK(follows("/2010-04-01/Accounts/" AC "/IncomingPhoneNumbers.json?Page=1&PageToken=PA1",
                "/2010-04-01/Accounts/" AC "/IncomingPhoneNumbers.json?Page=1&PageToken=PA1"),
        "a relative page URI");
  CHECK(follows(BASE "/2010-04-01/Accounts/x.json?Page=2", "/2010-04-01/Accounts/x.json?Page=2"),
        "an absolute URL on the configured host");
  CHECK(follows("https://api.twilio.com:443/2010-04-01/a.json", "/2010-04-01/a.json"),
        "the same host with its default port");
  CHECK(follows("https://evil.example/2010-04-01/a.json", NULL), "another host: refused");
  CHECK(follows("http://api.twilio.com/2010-04-01/a.json", NULL), "another scheme: refused");
  CHECK(follows("https://api.twilio.com:8443/2010-04-01/a.json", NULL), "another port: refused");
  CHECK(follows("/2010-04-01/../x", NULL), "dot segments: refused");
  CHECK(follows("/2010-04-01/a b", NULL), "a space: refused");
  CHECK(follows("/other/a.json", NULL), "not under /2010-04-01/: refused");
  CHECK(follows("", NULL), "empty: refused");
  CHECK(follows("javascript:alert(1)", NULL), "no ://: refused");
  CHECK(follows("aaaaaaaaaa://api.twilio.com/2010-04-01/a.json", NULL), "scheme too long: refused");
  {
    /* tw_op_param_at: a remembered index is taken only for the exact name */
    const tw_op *up = tw_op_find("UpdateIncomingPhoneNumber", 25);
    const tw_param *vu = tw_op_param(up, "voice_url", 9);
    size_t i = (size_t)(vu - up->params), j, nbad = 0;
    CHECK(tw_op_param_at(up, i, "voice_url", 9) == vu, "param_at: the index of the name");
    CHECK(tw_op_param_at(up, i, "voice_urx", 9) == NULL && tw_op_param_at(up, i, "voice_ur", 8) == NULL &&
          tw_op_param_at(up, i, "voice_url2", 10) == NULL && tw_op_param_at(up, i, "voice_url\0x", 11) == NULL &&
          tw_op_param_at(up, i, "", 0) == NULL, "param_at: another name at that index is refused");
    CHECK(tw_op_param_at(up, up->nparams, "voice_url", 9) == NULL &&
          tw_op_param_at(up, (size_t)-1, "voice_url", 9) == NULL, "param_at: an index past the list");
    for (j = 0; j < up->nparams; j++) {
      const tw_param *p = &up->params[j];
      const tw_param *at = tw_op_param_at(up, j, p->name, strlen(p->name));
      if (at != (p->in == TW_IN_PATH ? NULL : p)) nbad++;
      if (j != i && tw_op_param_at(up, j, "voice_url", 9) != NULL) nbad++;
    }
    CHECK(nbad == 0, "param_at: each parameter at its own index, no path one, no other name");
  }

  /* splice: prefix + value + tail, as tw_request_url writes that path */
  {
    static const char pre[] = BASE "/2010-04-01/Accounts/" AC "/IncomingPhoneNumbers/";
    char url[TW_URL_MAX], want[TW_URL_MAX];
    size_t pn = sizeof pre - 1, len = pn + 34 + 5;
    const char *ref = url_of("FetchIncomingPhoneNumber", PN, NULL, TW_REPR_JSON, &bad);
    CHECK(tw_request_splice(url, sizeof url, pre, pn, PN, 34, ".json", 5) == len && ref &&
          strcmp(url, ref) == 0, "splice: the URL tw_request_url writes");
    memcpy(want, url, len + 1);
    CHECK(tw_request_splice(url, len + 1, pre, pn, PN, 34, ".json", 5) == len &&
          strcmp(url, want) == 0, "splice: fits with its NUL in len + 1 bytes");
    memset(small, 'z', sizeof small);
    CHECK(tw_request_splice(small, 30, "0123456789", 10, "abcdefghij", 10, "0123456789", 10) == 0 &&
          small[0] == 'z' && small[29] == 'z', "splice: no room for the NUL: 0, nothing written");
    CHECK(tw_request_splice(small, 31, "0123456789", 10, "abcdefghij", 10, "0123456789", 10) == 30 &&
          small[30] == '\0' && small[31] == 'z', "splice: exactly fits");
    CHECK(tw_request_splice(small, 30, "x", 1, "y", (size_t)-1, "z", 1) == 0 &&
          tw_request_splice(small, 30, "x", (size_t)-1, "y", 1, "z", 1) == 0 &&
          tw_request_splice(small, 30, "x", 1, "y", 1, "z", (size_t)-2) == 0, "splice: huge lengths: 0");
    CHECK(tw_request_splice(small, 0, "", 0, "", 0, "", 0) == 0, "splice: no room at all: 0");
  }

  /* what the bulk lane leans on (ltw_lane.c target_url): a value a SID
   * parameter's check admits is a path segment as it is */
  {
    size_t i, j, nsid = 0, nbad = 0;
    char sid[35];
    for (i = 0; i < tw_nops; i++)
      for (j = 0; j < tw_ops[i].nparams; j++) {
        const tw_param *p = &tw_ops[i].params[j];
        if (p->fmt != TW_F_SID) continue;
        nsid++;
        memcpy(sid, p->sid_prefix, 2);
        memcpy(sid + 2, "0123456789abcdefABCDEF0123456789", 32);
        sid[34] = '\0';
        if (tw_check_string(p, sid, 34) != NULL || !tw_request_segment_ok(sid, 34) ||
            !tw_request_segment_ok(p->sid_prefix, 2))
          nbad++;
      }
    CHECK(nsid > 0 && nbad == 0, "every SID parameter's prefix is letters: its SIDs are segments");
  }
  return TAP_DONE();
}
