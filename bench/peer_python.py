#!/usr/bin/python3
# bench/peer_python.py -- the jobs of `make bench PEERS=1` through the
# official Python library (Debian's python3-twilio), for the comparison rows.
#
#   /usr/bin/python3 bench/peer_python.py JOB BASE_URL ACCOUNT_SID AUTH_TOKEN [N] [SIDS_FILE]
#
# JOB: list-all (incoming_phone_numbers.stream(page_size=1000), reading sid
# and phone_number), fetch (N x incoming_phone_numbers(sid).fetch()),
# update (N x ...(sid).update(voice_url=, friendly_name=)).
# The library builds https://api.twilio.com/... URLs; an HTTP client
# override (the library's documented http_client= argument) sends them to
# BASE_URL instead, and refuses any other host, so nothing leaves
# 127.0.0.1 (bench/driver.lua also counts the requests in the server's
# access log). Prints the line bench/baseline.c prints:
#   result job=... impl=python seconds=... maxrss_kb=... items=... requests=... errors=...
import resource
import sys
import time

from twilio.http.http_client import TwilioHttpClient
from twilio.rest import Client

API = "https://api.twilio.com"
VOICE_URL = "https://example.com/bench/voice"
FRIENDLY = "bench updated"


class LocalHttpClient(TwilioHttpClient):
    """TwilioHttpClient (requests, one pooled session) sending to base."""

    def __init__(self, base):
        super().__init__(pool_connections=True)
        self.base = base.rstrip("/")
        self.requests = 0

    def request(self, method, url, *args, **kwargs):
        if not url.startswith(API + "/"):
            raise RuntimeError("peer_python: refusing a request to " + url)
        self.requests += 1
        return super().request(method, self.base + url[len(API):], *args, **kwargs)


def main(argv):
    if len(argv) < 5:
        sys.stderr.write("usage: peer_python.py JOB BASE_URL ACCOUNT_SID AUTH_TOKEN [N] [SIDS_FILE]\n")
        return 2
    job, base, acct, token = argv[1:5]
    n = int(argv[5]) if len(argv) > 5 else 0
    sids = []
    if len(argv) > 6:
        with open(argv[6]) as f:
            sids = [line.strip() for line in f if line.strip()]
    http = LocalHttpClient(base)
    client = Client(acct, token, http_client=http)
    numbers = client.incoming_phone_numbers
    items = errors = 0
    t0 = time.monotonic()
    if job == "list-all":
        for rec in numbers.stream(page_size=1000):
            if rec.sid and rec.phone_number:
                items += 1
    elif job in ("fetch", "update"):
        for i in range(n):
            sid = sids[i % len(sids)]
            try:
                if job == "fetch":
                    rec = numbers(sid).fetch()
                else:
                    rec = numbers(sid).update(voice_url=VOICE_URL, friendly_name=FRIENDLY)
                if rec.sid:
                    items += 1
                else:
                    errors += 1
            except Exception as e:  # noqa: BLE001 -- counted, last one shown
                errors += 1
                last = e
        if errors:
            sys.stderr.write("peer_python: last error: %s\n" % last)
    else:
        sys.stderr.write("peer_python: unknown job %s\n" % job)
        return 2
    dt = time.monotonic() - t0
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    print("result job=%s impl=python seconds=%.6f maxrss_kb=%d items=%d requests=%d errors=%d"
          % (job, dt, rss, items, http.requests, errors))
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
