-- twilio.webhook.check: does each number's webhook answer, and with TwiML?
--
--   local check = require "twilio.webhook.check"
--   local rows, err = check(client, numbers_or_sids, opts)
--
-- client           a twilio client (twilio.new{...}); its transport sends the
--                  requests (libcurl, or cosockets inside nginx) and it fetches
--                  numbers given by SID or E.164 from its main account.
-- numbers_or_sids  an array of twilio.PhoneNumber records, "PN…" SIDs or "+E.164"
--                  numbers (a subaccount's numbers: pass records, or SIDs with
--                  opts.account_sid); nil: every number of the account.
-- opts (optional):
--   auth_token  = "…"                  token to sign with (default: TWILIO_AUTH_TOKEN);
--   auth_tokens = { ["AC…"] = "…" }    per owning account (subaccounts sign with their own);
--   account_sid = "AC…"                the account SIDs/E.164 numbers are looked up in;
--   kinds       = { "voice", "sms" }   which URLs to call (default both);
--   from        = "+15005550006"       the synthetic caller; body = "twilio-numbers check" (sms);
--   timeout     = 10                   seconds per request.
-- -> rows | nil, err (err: a lookup failed; a webhook failing is a row, not an error)
--
-- One row per number and kind, in input order, voice first:
--   { sid =, phone_number =, account_sid =, kind = "voice"|"sms", url =, method =,
--     status = 200 | nil, latency_ms = 12, twiml = true|false, ok = true|false,
--     error = nil | "no voice_url" | "transport: …" | "HTTP 404" | "not TwiML" }
-- ok means 2xx and TwiML. Each request is the one Twilio would send: the
-- number's method (GET: parameters in the query string), Twilio's parameters
-- (AccountSid, ApiVersion, CallSid|MessageSid, From, To, CallStatus=ringing|
-- SmsStatus=received, Direction, ...), X-Twilio-Signature with the owning
-- account's token. Fallback URLs are not called (their answers are listed as
-- separate kinds only when opts.fallbacks = true: "voice_fallback", "sms_fallback").
--
-- The integrator wires `twilio-numbers check [NUMBER…]` to this call.
local core = require "twilio.core"
local webhook = require "twilio.webhook"
local errors = require "twilio.errors"

local type, ipairs, tostring, error = type, ipairs, tostring, error
local concat, fmt, floor = table.concat, string.format, math.floor

local API_VERSION = "2010-04-01"

local KINDS = {
  voice = { url = "voice_url", method = "voice_method" },
  sms = { url = "sms_url", method = "sms_method" },
  voice_fallback = { url = "voice_fallback_url", method = "voice_fallback_method", base = "voice" },
  sms_fallback = { url = "sms_fallback_url", method = "sms_fallback_method", base = "sms" },
}

local function synthetic_sid(prefix, seed)
  return prefix .. core.sha256_hex(seed):sub(1, 32)
end

local function params_for(kind, n, o)
  local base = KINDS[kind].base or kind
  local p = {
    { "AccountSid", n.account_sid }, { "ApiVersion", API_VERSION },
    { "From", o.from }, { "To", n.phone_number }, { "FromCountry", "US" }, { "ToCountry", "US" },
  }
  local seed = n.sid .. kind .. tostring(core.now())
  if base == "voice" then
    local sid = synthetic_sid("CA", seed)
    p[#p + 1] = { "CallSid", sid }
    p[#p + 1] = { "CallStatus", "ringing" }
    p[#p + 1] = { "Direction", "inbound" }
    p[#p + 1] = { "Called", n.phone_number }
    p[#p + 1] = { "Caller", o.from }
  else
    local sid = synthetic_sid("SM", seed)
    p[#p + 1] = { "MessageSid", sid }
    p[#p + 1] = { "SmsSid", sid }
    p[#p + 1] = { "SmsMessageSid", sid }
    p[#p + 1] = { "SmsStatus", "received" }
    p[#p + 1] = { "Body", o.body }
    p[#p + 1] = { "NumMedia", "0" }
  end
  if base ~= kind then
    p[#p + 1] = { "ErrorCode", "11200" }
    p[#p + 1] = { "ErrorUrl", n[KINDS[base].url] or "" }
  end
  return p
end

local function form(p)
  local out = {}
  for i, kv in ipairs(p) do out[i] = core.urlencode(kv[1]) .. "=" .. core.urlencode(kv[2]) end
  return concat(out, "&")
end

local function resolve(client, list, o)
  local acct = o.account_sid and client:account(o.account_sid) or client
  local numbers = acct.incoming_phone_numbers
  if list == nil then
    return numbers:list()
  end
  if type(list) ~= "table" then error("twilio.webhook.check: numbers_or_sids must be an array", 3) end
  local out = {}
  for i, v in ipairs(list) do
    if type(v) == "string" then
      local n, err
      if v:match("^PN") then n, err = numbers:fetch(v) else n, err = numbers:find(v) end
      if not n then return nil, err end
      out[i] = n
    else
      out[i] = v
    end
  end
  return out
end

local function one(client, n, kind, o)
  local k = KINDS[kind]
  local row = { sid = n.sid, phone_number = n.phone_number, account_sid = n.account_sid, kind = kind,
                ok = false, twiml = false }
  local url = n[k.url]
  if url == nil or url == "" then
    row.error = "no " .. k.url
    return row
  end
  local method = (n[k.method] == "GET") and "GET" or "POST"
  row.url, row.method = url, method
  local token = (o.auth_tokens and o.auth_tokens[n.account_sid]) or o.auth_token
  if not token then
    row.error = "no auth token for " .. tostring(n.account_sid)
    return row
  end
  local p = params_for(kind, n, o)
  local req = { method = method, url = url, timeout_ms = floor(o.timeout * 1000),
                connect_timeout_ms = floor(o.timeout * 1000), max_body = 1024 * 1024,
                headers = { ["User-Agent"] = "TwilioProxy/1.1", Accept = "*/*" } }
  if method == "GET" then
    req.url = url .. (url:find("?", 1, true) and "&" or "?") .. form(p)
    req.headers["X-Twilio-Signature"] = webhook.sign{ token = token, url = req.url }
  else
    req.body = form(p)
    req.headers["Content-Type"] = "application/x-www-form-urlencoded"
    req.headers["X-Twilio-Signature"] = webhook.sign{ token = token, url = url, params = p }
  end
  local t, terr = client.runtime:transport()
  if not t then
    row.error = "transport: " .. tostring(terr and terr.message or terr)
    return row
  end
  local t0 = core.monotonic()
  local res, err = t:request(req)
  row.latency_ms = floor((core.monotonic() - t0) * 1000 + 0.5)
  if not res then
    row.error = (err and err.kind or "transport") .. ": " .. tostring(err and err.message or err)
    return row
  end
  row.status = res.status
  local body = type(res.body) == "string" and res.body or tostring(res.body or "")
  row.twiml = webhook.looks_like_twiml(body)
  if res.status < 200 or res.status > 299 then
    row.error = "HTTP " .. res.status
  elseif not row.twiml then
    row.error = "not TwiML"
  else
    row.ok = true
  end
  return row
end

local function check(client, list, opts)
  if type(client) ~= "table" then error("twilio.webhook.check: a client expected", 2) end
  local o = {}
  for k, v in pairs(opts or {}) do o[k] = v end
  o.auth_token = o.auth_token or os.getenv("TWILIO_AUTH_TOKEN")
  o.from = o.from or "+15005550006"
  o.body = o.body or "twilio-numbers check"
  o.timeout = o.timeout or 10
  o.kinds = o.kinds or (o.fallbacks and { "voice", "voice_fallback", "sms", "sms_fallback" } or { "voice", "sms" })
  for _, kd in ipairs(o.kinds) do
    if not KINDS[kd] then error("twilio.webhook.check: unknown kind " .. tostring(kd), 2) end
  end
  local numbers, err = resolve(client, list, o)
  if not numbers then return nil, err or errors.new("invalid", "no numbers") end
  local rows = {}
  for _, n in ipairs(numbers) do
    for _, kd in ipairs(o.kinds) do rows[#rows + 1] = one(client, n, kd, o) end
  end
  return rows
end

return setmetatable({ check = check, format_row = function(r)
  return fmt("%-34s %-16s %-14s %-4s %3s %6s %-5s %s", r.sid or "", r.phone_number or "", r.kind,
             r.method or "", r.status or "-", r.latency_ms and (r.latency_ms .. "ms") or "-",
             r.twiml and "twiml" or "-", r.error or "ok")
end }, { __call = function(_, ...) return check(...) end })
