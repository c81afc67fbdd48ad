// bench/peer_node.js -- the jobs of `make bench PEERS=1` through the official
// Node library (`twilio` from npm, installed into build/peers/node by
// bench/run when PEERS=1), for the comparison rows.
//
//   NODE_PATH=build/peers/node/node_modules \
//     node bench/peer_node.js JOB BASE_URL ACCOUNT_SID AUTH_TOKEN [N] [SIDS_FILE]
//
// JOB: list-all (incomingPhoneNumbers.each({ pageSize: 1000 }), reading sid
// and phoneNumber), fetch (N x incomingPhoneNumbers(sid).fetch()), update
// (N x ...(sid).update({ voiceUrl, friendlyName })), one at a time.
// The library builds https://api.twilio.com/... URLs; an HTTP client
// override (the library's documented httpClient option, a RequestClient
// subclass) sends them to BASE_URL instead, and refuses any other host, so
// nothing leaves 127.0.0.1 (bench/driver.lua also counts the requests in the
// server's access log). Prints the line bench/baseline.c prints:
//   result job=... impl=node seconds=... maxrss_kb=... items=... requests=... errors=...
"use strict";
const fs = require("fs");
const http = require("http");
const twilio = require("twilio");

const API = "https://api.twilio.com";
const VOICE_URL = "https://example.com/bench/voice";
const FRIENDLY = "bench updated";

class LocalRequestClient extends twilio.RequestClient {
  constructor(base) {
    super({ keepAlive: true });
    this.base = base.replace(/\/$/, "");
    this.requests = 0;
    // the library's agent is an https.Agent; the local server speaks http
    this.axios.defaults.httpAgent = new http.Agent({ keepAlive: true });
  }
  request(opts) {
    if (!opts.uri.startsWith(API + "/")) {
      return Promise.reject(new Error("peer_node: refusing a request to " + opts.uri));
    }
    this.requests++;
    return super.request(Object.assign({}, opts, { uri: this.base + opts.uri.slice(API.length) }));
  }
}

async function main(argv) {
  if (argv.length < 4) {
    process.stderr.write("usage: peer_node.js JOB BASE_URL ACCOUNT_SID AUTH_TOKEN [N] [SIDS_FILE]\n");
    return 2;
  }
  const [job, base, acct, token] = argv;
  const n = Number(argv[4] || 0);
  const sids = argv[5] ? fs.readFileSync(argv[5], "utf8").split("\n").filter((s) => s !== "") : [];
  const httpClient = new LocalRequestClient(base);
  const client = twilio(acct, token, { httpClient });
  const numbers = client.incomingPhoneNumbers;
  let items = 0, errors = 0, last;
  const t0 = process.hrtime.bigint();
  if (job === "list-all") {
    await new Promise((resolve, reject) => {
      numbers.each({ pageSize: 1000, done: (err) => (err ? reject(err) : resolve()) }, (rec) => {
        if (rec.sid && rec.phoneNumber) items++;
      });
    });
  } else if (job === "fetch" || job === "update") {
    for (let i = 0; i < n; i++) {
      const sid = sids[i % sids.length];
      try {
        const rec = job === "fetch" ? await numbers(sid).fetch()
          : await numbers(sid).update({ voiceUrl: VOICE_URL, friendlyName: FRIENDLY });
        if (rec.sid) items++; else errors++;
      } catch (e) {
        errors++;
        last = e;
      }
    }
    if (errors) process.stderr.write("peer_node: last error: " + last + "\n");
  } else {
    process.stderr.write("peer_node: unknown job " + job + "\n");
    return 2;
  }
  const dt = Number(process.hrtime.bigint() - t0) / 1e9;
  const rss = process.resourceUsage().maxRSS; // KB
  console.log(`result job=${job} impl=node seconds=${dt.toFixed(6)} maxrss_kb=${rss} items=${items} ` +
              `requests=${httpClient.requests} errors=${errors}`);
  return errors ? 1 : 0;
}

main(process.argv.slice(2)).then((rc) => process.exit(rc), (e) => {
  process.stderr.write("peer_node: " + (e && e.stack || e) + "\n");
  process.exit(1);
});
