-- Webhooks end to end (issue 14): a number bought in the emulator points its
-- voice_url / sms_url at the example handler (examples/nginx/webhook.lua) in a
-- real nginx started from examples/nginx/nginx.conf; the emulator rings it
-- (POST /_emulator/ring), signing with the owning account's token the way
-- Twilio does (ngx.hmac_sha1 in the emulator, the C core in the handler).
-- Two handler instances: "open" (port variants on, subaccount token known) and
-- "strict" (port variants off, main token only, 127.0.0.1 a trusted proxy).
local nginx = require "helpers.nginx"
local emu = require "helpers.emulator"
local webhook = require "twilio.webhook"

local EMU = os.getenv("TWILIO_EMULATOR_URL")

local missing
if not (EMU and os.getenv("TWILIO_EMULATOR_ACCOUNT_SID")) then
  missing = "the emulator is not running (TWILIO_EMULATOR_URL unset; tests/run starts it)"
end

if missing then
  describe("webhooks in nginx", function() pending("skipped: " .. missing) end)
  return
end

local SID, TOKEN = emu.account_sid(), emu.auth_token()
local SUB_SID, SUB_TOKEN = emu.sub_sid(), emu.sub_token()

-- examples/nginx/nginx.conf as shipped, with the checkout's paths, a free port,
-- one worker, and the public URL = the address this nginx listens on.
local function start_handler(name, env)
  local conf = assert(nginx.read_file(nginx.root .. "/examples/nginx/nginx.conf"))
  conf = conf:gsub("/opt/twilio%-numbers", nginx.root)
             :gsub("listen 127%.0%.0%.1:8080;", "listen 127.0.0.1:${PORT};")
             :gsub("worker_processes %d+;", "worker_processes 1;")
             :gsub("env TWILIO_WEBHOOK_PUBLIC_URL;", "env TWILIO_WEBHOOK_PUBLIC_URL=http://127.0.0.1:${PORT};")
  local e = { TWILIO_ACCOUNT_SID = SID, TWILIO_AUTH_TOKEN = TOKEN, TWILIO_BASE_URL = EMU,
              TWILIO_ADMIN_SECRET = "unused-admin-secret-0123456789" }
  for k, v in pairs(env) do e[k] = v end
  return nginx.start{ name = name, conf = conf, env = e,
                      unset = { "TWILIO_API_KEY", "TWILIO_API_SECRET", "TWILIO_WEBHOOK_EXTRA_TOKENS",
                                "TWILIO_WEBHOOK_TRUSTED_PROXIES", "TWILIO_WEBHOOK_PORT_VARIANTS" } }
end

local function ring(t) return emu.control("POST", "ring", t) end

describe("webhooks in nginx (emulator rings the example handler)", function()
  local open, strict, why1, why2, client, num, sub_num

  setup(function()
    open, why1 = start_handler("wh-open", { TWILIO_WEBHOOK_EXTRA_TOKENS = SUB_TOKEN })
    strict, why2 = start_handler("wh-strict", { TWILIO_WEBHOOK_PORT_VARIANTS = "off",
                                                TWILIO_WEBHOOK_TRUSTED_PROXIES = "127.0.0.1" })
    emu.reset()
    client = emu.client()
    num = emu.buy(client.incoming_phone_numbers, 1)[1]
    sub_num = emu.buy(client:account(SUB_SID).incoming_phone_numbers, 1, 510)[1]
  end)
  teardown(function()
    if open then open:stop() end
    if strict then strict:stop() end
    if client then client:close() end
  end)
  before_each(function()
    assert(open, "example nginx did not start: " .. tostring(why1))
    assert(strict, "example nginx (strict) did not start: " .. tostring(why2))
  end)

  -- a field sent empty is cleared (the fallback and the status callback of an earlier test)
  local function point(n, srv, fields)
    local f = { voice_url = srv.url .. "/twilio/voice", sms_url = srv.url .. "/twilio/sms",
                voice_fallback_url = "", status_callback = "" }
    for k, v in pairs(fields or {}) do f[k] = v end
    assert(n:update(f))
  end

  local function refusals(srv)
    local n = 0
    for _ in srv:error_log():gmatch("twilio webhook refused") do n = n + 1 end
    return n
  end

  it("rings a voice number: the handler validates and answers TwiML", function()
    point(num, open)
    local r = ring{ to = num.phone_number, from = "+14155550199", kind = "voice" }
    assert.is_true(r.ok)
    assert.equal("primary", r.answered_by)
    assert.equal(1, #r.attempts)
    local a = r.attempts[1]
    assert.equal(200, a.status)
    assert.is_true(a.twiml)
    assert.equal("POST", a.method)
    assert.matches("<Say>Hello from twilio%-numbers%. Your call " .. r.sid .. " from %+14155550199", a.body)
    assert.truthy(r.sid:match("^CA%x+$"))
    assert.is_number(a.latency_ms)
    -- the outcome is in the emulator's request log too
    local logged
    for _, e in ipairs(emu.log()) do if e.ring and e.ring.sid == r.sid then logged = e.ring end end
    assert.truthy(logged, "ring not in /_emulator/log")
    assert.equal(200, logged.attempts[1].status)
  end)

  it("rings an SMS number with GET: parameters in the query, TwiML <Message> back", function()
    point(num, open, { sms_method = "GET" })
    local r = ring{ to = num.phone_number, kind = "sms", body = "hi <there> & 'you'" }
    point(num, open, { sms_method = "POST" })
    assert.is_true(r.ok)
    assert.equal("GET", r.attempts[1].method)
    assert.truthy(r.sid:match("^SM%x+$"))
    assert.matches("<Message>Got your message: hi &lt;there&gt; &amp; &apos;you&apos;</Message>",
                   r.attempts[1].body, 1, true)
  end)

  it("403 for a tampered parameter, with one log line saying why and no token in it", function()
    point(num, open)
    local before = refusals(open)
    local r = ring{ to = num.phone_number, kind = "voice", tamper = { From = "+19995550000" } }
    assert.is_false(r.ok)
    assert.equal(403, r.attempts[1].status)
    assert.is_false(r.attempts[1].twiml)
    assert.equal(before + 1, refusals(open))
    local log = open:error_log()
    assert.matches("twilio webhook refused: X%-Twilio%-Signature does not match %(HMAC%-SHA1, 2 keys; URL http://127",
                   log)
    assert.matches("%(bad_signature%) client=127%.0%.0%.1", log)
    assert.falsy(log:find(TOKEN, 1, true))
    assert.falsy(log:find(SUB_TOKEN, 1, true))
  end)

  it("403 for a request signed with a wrong token", function()
    point(num, open)
    local r = ring{ to = num.phone_number, kind = "sms", body = "x", token = "not-the-token" }
    assert.equal(403, r.attempts[1].status)
  end)

  it("a port signed differently passes with port variants on and gets 403 when they are off", function()
    point(num, open)
    local r = ring{ to = num.phone_number, kind = "voice", sign_port = "toggle" }
    assert.equal(200, r.attempts[1].status)
    assert.is_true(r.attempts[1].twiml)
    point(num, strict)
    r = ring{ to = num.phone_number, kind = "voice", sign_port = "toggle" }
    assert.equal(403, r.attempts[1].status)
    assert.matches("as received, port variants off", strict:error_log(), 1, true)
    r = ring{ to = num.phone_number, kind = "voice" }                 -- signed as configured
    assert.equal(200, r.attempts[1].status)
  end)

  it("signs a subaccount's number with the subaccount's own token", function()
    point(sub_num, open)
    local r = ring{ to = sub_num.phone_number, kind = "voice" }
    assert.equal(SUB_SID, r.account_sid)
    assert.equal(200, r.attempts[1].status)
    point(sub_num, strict)                     -- knows only the main account's token
    r = ring{ to = sub_num.phone_number, kind = "voice" }
    assert.equal(403, r.attempts[1].status)
  end)

  it("falls back to the fallback URL when the primary fails, then calls the status callback", function()
    point(num, open, { voice_url = open.url .. "/nowhere", voice_fallback_url = open.url .. "/twilio/voice",
                       status_callback = open.url .. "/twilio/status" })
    local r = ring{ to = num.phone_number, kind = "voice" }
    assert.equal(3, #r.attempts)
    assert.same({ "primary", "fallback", "status_callback" },
                { r.attempts[1].role, r.attempts[2].role, r.attempts[3].role })
    assert.equal(404, r.attempts[1].status)
    assert.equal(200, r.attempts[2].status)          -- signed with ErrorCode/ErrorUrl added
    assert.is_true(r.attempts[2].twiml)
    assert.equal(204, r.attempts[3].status)          -- validated status callback
    assert.equal("fallback", r.answered_by)
    assert.is_true(r.ok)
    -- a primary that does not answer at all (connection refused) falls back too
    point(num, open, { voice_url = "http://127.0.0.1:" .. nginx.free_port() .. "/down",
                       voice_fallback_url = open.url .. "/twilio/voice" })
    r = ring{ to = num.phone_number, kind = "voice", timeout_ms = 2000 }
    assert.matches("^connect", r.attempts[1].error)
    assert.equal("fallback", r.answered_by)
  end)

  it("times a slow primary out and falls back", function()
    -- the emulator's own API, delayed 3 s by a fault, as a slow primary
    emu.fault{ fault = "delay", delay_ms = 3000, path = "/slow%-voice", count = 1 }
    point(num, open, { voice_url = EMU .. "/slow-voice", voice_fallback_url = open.url .. "/twilio/voice" })
    local r = ring{ to = num.phone_number, kind = "voice", timeout_ms = 500 }
    emu.clear_faults()
    assert.equal("timeout", r.attempts[1].error)
    assert.is_true(r.attempts[1].latency_ms >= 450 and r.attempts[1].latency_ms < 2900, r.attempts[1].latency_ms)
    assert.equal("fallback", r.answered_by)
    assert.is_true(r.twiml)
  end)

  it("ring answers 404 for a number nobody owns and 400 for bad input", function()
    local function status_of(t)
      local ok, e = pcall(ring, t)
      assert.is_false(ok)
      return tonumber(tostring(e):match("HTTP (%d+)"))
    end
    assert.equal(404, status_of{ to = "+14155559999", kind = "voice" })
    assert.equal(400, status_of{ to = num.phone_number, kind = "fax" })
    assert.equal(400, status_of{ kind = "voice" })
    assert.equal(400, status_of{ to = num.phone_number, sign_port = "sideways" })
    assert.equal(400, status_of{ to = num.phone_number, timeout_ms = 0 })
  end)

  it("calls loopback targets only", function()
    point(num, open, { voice_url = "http://192.0.2.10/voice", voice_fallback_url = "https://example.com/fb" })
    local r = ring{ to = num.phone_number, kind = "voice" }
    assert.is_false(r.ok)
    assert.matches("^refused: the emulator only calls loopback", r.attempts[1].error)
    assert.matches("^refused", r.attempts[2].error)
    assert.is_nil(r.attempts[1].status)
  end)

  it("takes X-Forwarded-* only from a trusted proxy", function()
    local public = "https://hooks.example.test/twilio/voice"
    local params = { { "AccountSid", SID }, { "CallSid", "CA" .. ("1"):rep(32) }, { "From", "+14155550100" } }
    local body = "AccountSid=" .. SID .. "&CallSid=CA" .. ("1"):rep(32) .. "&From=%2B14155550100"
    local headers = function()
      return { ["Content-Type"] = "application/x-www-form-urlencoded", ["X-Forwarded-Proto"] = "https",
               ["X-Forwarded-Host"] = "hooks.example.test",
               ["X-Twilio-Signature"] = webhook.sign{ token = TOKEN, url = public, params = params } }
    end
    -- strict trusts 127.0.0.1: the public URL is rebuilt from the headers
    local status, answer = strict:request{ method = "POST", path = "/twilio/voice", body = body, headers = headers() }
    assert.equal(200, status, answer)
    -- open trusts nobody: the same headers are ignored, the signature is for another URL
    status = open:request{ method = "POST", path = "/twilio/voice", body = body, headers = headers() }
    assert.equal(403, status)
    -- no signature at all
    status = open:request{ method = "POST", path = "/twilio/voice", body = body,
                           headers = { ["Content-Type"] = "application/x-www-form-urlencoded" } }
    assert.equal(403, status)
    assert.matches("no X%-Twilio%-Signature header %(no_signature%)", open:error_log())
  end)

  it("validates a JSON body through bodySHA256", function()
    local json_body = '{"CallSid":"CA1","Status":"ringing"}'
    local path = "/twilio/voice?x=1"
    local url = webhook.with_body_hash(open.url .. path, json_body)
    local sig = webhook.sign{ token = TOKEN, url = url }
    local p = url:sub(#open.url + 1)
    local status = open:request{ method = "POST", path = p, body = json_body,
                                 headers = { ["Content-Type"] = "application/json", ["X-Twilio-Signature"] = sig } }
    assert.equal(200, status)
    status = open:request{ method = "POST", path = p, body = json_body:gsub("ringing", "ringin!"),
                           headers = { ["Content-Type"] = "application/json", ["X-Twilio-Signature"] = sig } }
    assert.equal(403, status)
    assert.matches("(body_hash_mismatch)", open:error_log(), 1, true)
  end)

  it("check() signs a synthetic request to each number's voice and SMS URLs and reports the answers", function()
    local check = require "twilio.webhook.check"
    point(num, open, { sms_url = open.url .. "/nowhere", sms_method = "GET" })
    point(sub_num, strict)                      -- strict knows only the main token: 403
    -- sub_num given by SID is looked up in the main account: not found, an error
    local rows, err = check(client, { num, sub_num.sid }, { auth_tokens = { [SID] = TOKEN } })
    assert.is_nil(rows)
    assert.equal(404, err.status)
    -- with account_sid, the SID is found in the subaccount
    rows = assert(check(client, { sub_num.sid }, { account_sid = SUB_SID, kinds = { "voice" },
                                                   auth_tokens = { [SUB_SID] = SUB_TOKEN } }))
    assert.equal(sub_num.phone_number, rows[1].phone_number)
    rows = assert(check(client, { num, sub_num }, { auth_tokens = { [SID] = TOKEN, [SUB_SID] = SUB_TOKEN } }))
    assert.equal(4, #rows)
    local v, sm, sv = rows[1], rows[2], rows[3]
    assert.same({ "voice", "sms", "voice", "sms" }, { rows[1].kind, rows[2].kind, rows[3].kind, rows[4].kind })
    assert.equal(200, v.status)
    assert.is_true(v.twiml)
    assert.is_true(v.ok)
    assert.is_number(v.latency_ms)
    assert.equal("GET", sm.method)
    assert.equal(404, sm.status)
    assert.equal("HTTP 404", sm.error)
    assert.is_false(sm.ok)
    assert.equal(403, sv.status)
    assert.equal(SUB_SID, sv.account_sid)
    -- the handler with the subaccount's token accepts the same request
    point(sub_num, open)
    rows = assert(check(client, { sub_num }, { kinds = { "voice" }, auth_tokens = { [SUB_SID] = SUB_TOKEN } }))
    assert.equal(1, #rows)
    assert.is_true(rows[1].ok)
    -- a number given by E.164, and one whose URL is missing
    assert(num:update{ sms_url = "" })
    rows = assert(check(client, { num.phone_number }, { auth_token = TOKEN }))
    assert.is_true(rows[1].ok)
    assert.equal("no sms_url", rows[2].error)
    assert.matches("^PN%x+ +%+1415%d+ +voice +POST 200 +%d+ms twiml ok$", check.format_row(rows[1]))
  end)

  it("twilio-numbers check calls each webhook, prints a row per number and kind, exits 1 on a failure", function()
    local fake = require "cli.fake"
    point(num, open)
    local code, out, err = fake.run({ "check", num.phone_number, "-o", "json" })
    assert.equal(0, code, err)
    local rows = require("cjson").decode(out)
    assert.equal(2, #rows)
    assert.same({ "voice", "sms" }, { rows[1].kind, rows[2].kind })
    for _, r in ipairs(rows) do
      assert.equal(200, r.status)
      assert.is_true(r.twiml)
      assert.equal(num.phone_number, r.phone_number)
    end
    -- a wrong signing token: the handler refuses (403), the command says so and exits 1
    code, out, err = fake.run({ "check", num.sid, "--kind", "voice", "-o", "csv" },
                              { env = { TWILIO_WEBHOOK_AUTH_TOKEN = "0123456789abcdef0123456789abcdef" } })
    assert.equal(1, code)
    assert.matches("\n%+1415%d+,voice,POST,[^,]*,403,", out)
    assert.matches("1 of 1 webhook", err, 1, true)
    -- an API key cannot sign: said before anything is sent
    local _
    code, _, err = fake.run({ "check" }, { env = { TWILIO_AUTH_TOKEN = false, TWILIO_API_KEY = "SK" .. ("a"):rep(32),
                                                   TWILIO_API_SECRET = "s" } })
    assert.equal(1, code)
    assert.matches("an API key cannot sign", err, 1, true)
  end)

  it("check() runs inside nginx too, on the cosocket transport", function()
    point(num, open)
    local srv, why = nginx.start{
      name = "wh-check",
      main = "env TWILIO_EMULATOR_URL;\nenv TWILIO_EMULATOR_ACCOUNT_SID;\nenv TWILIO_EMULATOR_AUTH_TOKEN;\n",
      server = [[
    location = /check {
      content_by_lua_block {
        local twilio = require "twilio"
        local check = require "twilio.webhook.check"
        local token = os.getenv("TWILIO_EMULATOR_AUTH_TOKEN")
        local client = assert(twilio.new{ base_url = os.getenv("TWILIO_EMULATOR_URL"),
          account_sid = os.getenv("TWILIO_EMULATOR_ACCOUNT_SID"), auth_token = token })
        local rows, err = check(client, { ngx.unescape_uri(ngx.var.arg_to) }, { auth_token = token })
        ngx.say(require("cjson").encode({ transport = client.runtime:transport().name, err = err and tostring(err),
                                          rows = rows }))
      }
    }
]] }
    assert(srv, "nginx did not start: " .. tostring(why))
    local ok, r = pcall(srv.json, srv, { path = "/check?to=" .. num.phone_number:gsub("%+", "%%2B"), timeout = 20 })
    srv:stop()
    assert(ok, r)
    assert.is_nil(r.err)
    assert.equal("ngx", r.transport)
    assert.equal(2, #r.rows)
    assert.is_true(r.rows[1].ok)
    assert.is_true(r.rows[2].ok)
    assert.equal("sms", r.rows[2].kind)
  end)
end)
