-- twilio_emulator.ring: POST /_emulator/ring -- the emulator "rings" a number it
-- luacheck: globals ngx
-- owns: it calls the number's voice_url / sms_url the way Twilio does.
--
-- Request (JSON): { to = "+1415...", from = "+1...", kind = "voice"|"sms",
--   body = "text" (sms), timeout_ms = 15000,
--   -- test knobs, to show a handler refusing what it must refuse:
--   sign_port = "as_is" | "toggle"   (sign over the URL with its port toggled, as
--                                     Twilio has done: ":443"/":80" added or the port stripped),
--   token = "..."                    (sign with this instead of the owner's auth token),
--   tamper = { Param = "value" } }   (change parameters after signing)
--
-- What happens (docs/EMULATOR.md, "Ringing numbers"):
--   1. the number's URL and method (voice_url/voice_method, sms_url/sms_method) get
--      Twilio's parameters (AccountSid, ApiVersion, CallSid | MessageSid, From, To,
--      CallStatus=ringing | SmsStatus=received, Direction, ...), form-encoded for POST,
--      in the query string for GET; X-Twilio-Signature = base64(HMAC-SHA1(token of the
--      account that owns the number -- a subaccount's own token for its numbers,
--      URL .. sorted key..value));
--   2. a failure (connection error, timeout, non-2xx) falls back to the fallback URL
--      (same parameters plus ErrorCode=11200 and ErrorUrl), as Twilio does;
--   3. for voice, the number's status_callback then gets CallStatus=completed.
-- Only loopback targets (127.0.0.0/8, localhost, [::1]) are called; any other host
-- is refused without a connection. Each URL tried (role, url, method, status,
-- latency_ms, body, twiml, error) is returned and logged in /_emulator/log.
--
-- The signature is computed here with ngx.hmac_sha1, independently of the
-- library's C core (src/tw_webhook.c), so the end-to-end spec checks one
-- against the other.
local util = require "twilio_emulator.util"
local state = require "twilio_emulator.state"

local ngx = ngx
local concat, sort, fmt = table.concat, table.sort, string.format
local type, pairs, ipairs, tonumber, tostring = type, pairs, ipairs, tonumber, tostring
local floor, lower = math.floor, string.lower

local _M = {}

local MAX_BODY = 65536           -- bytes of an answer kept
local SHOWN_BODY = 4096          -- bytes of it returned and logged

-- url -> { scheme, host, port, hostport (as written), path (with query) } | nil
local function parse_url(url)
  local scheme, auth, path = url:match("^(%a[%w+.-]*)://([^/?#]*)(.*)$")
  if not scheme then return nil end
  scheme = lower(scheme)
  if scheme ~= "http" and scheme ~= "https" then return nil end
  local hostport = auth:gsub("^.*@", "")
  local host, port = hostport:match("^%[([^%]]+)%]:?(%d*)$")
  if not host then host, port = hostport:match("^([^:]+):?(%d*)$") end
  if not host then return nil end
  port = tonumber(port) or (scheme == "https" and 443 or 80)
  if path == "" then path = "/" end
  path = path:gsub("#.*$", "")
  return { scheme = scheme, host = host, port = port, hostport = hostport, path = path }
end

local function loopback(host)
  host = lower(host)
  if host == "localhost" or host == "::1" then return true end
  local a = host:match("^(%d+)%.%d+%.%d+%.%d+$")
  return a == "127"
end

-- The URL with its port toggled (the variant Twilio may sign), or the URL itself.
local function toggle_port(url)
  local pre, auth, rest = url:match("^(%a[%w+.-]*://)([^/?#]*)(.*)$")
  if not pre then return url end
  local user, hostport = auth:match("^(.*@)(.*)$")
  if not user then user, hostport = "", auth end
  local host = hostport:match("^(%[.*%]):%d*$") or hostport:match("^([^:%[]+):%d*$")
  if host then return pre .. user .. host .. rest end
  return pre .. user .. hostport .. (lower(pre) == "https://" and ":443" or ":80") .. rest
end
_M.toggle_port = toggle_port

-- base64(HMAC-SHA1(token, url .. key..value sorted by key, then value))
local function signature(token, url, params)
  local list = {}
  for i, kv in ipairs(params) do list[i] = kv end
  sort(list, function(a, b) if a[1] ~= b[1] then return a[1] < b[1] end return a[2] < b[2] end)
  local parts, lk, lv = { url }, nil, nil
  for _, kv in ipairs(list) do
    if kv[1] ~= lk or kv[2] ~= lv then parts[#parts + 1] = kv[1] .. kv[2] end
    lk, lv = kv[1], kv[2]
  end
  return ngx.encode_base64(ngx.hmac_sha1(token, concat(parts)))
end
_M.signature = signature

local function looks_like_twiml(body)
  if type(body) ~= "string" then return false end
  local s = body:gsub("^\239\187\191", ""):gsub("^%s*<%?xml[^>]*%?>", "")
  return s:match("^%s*<Response[%s/>]") ~= nil
end
_M.looks_like_twiml = looks_like_twiml

local function dechunk(body)
  local out, pos = {}, 1
  while true do
    local size_hex, after = body:match("^(%x+)[^\r\n]*\r\n()", pos)
    if not size_hex then return nil end
    local size = tonumber(size_hex, 16)
    if size == 0 then break end
    out[#out + 1] = body:sub(after, after + size - 1)
    pos = after + size + 2
  end
  return concat(out)
end

-- One HTTP/1.1 exchange over a cosocket (Connection: close).
-- -> { status, headers = { lower name = value }, body } | nil, error text
local function http_call(u, method, headers, body, timeout_ms)
  local sock = ngx.socket.tcp()
  sock:settimeouts(timeout_ms, timeout_ms, timeout_ms)
  local host = lower(u.host) == "localhost" and "127.0.0.1" or u.host
  local ok, err = sock:connect(host, u.port)
  if not ok then return nil, "connect: " .. tostring(err) end
  if u.scheme == "https" then
    ok, err = sock:sslhandshake(nil, u.host, false)
    if not ok then sock:close() return nil, "TLS: " .. tostring(err) end
  end
  local lines = { fmt("%s %s HTTP/1.1", method, u.path), "Host: " .. u.hostport }
  for k, v in pairs(headers) do lines[#lines + 1] = k .. ": " .. v end
  lines[#lines + 1] = "Content-Length: " .. #(body or "")
  lines[#lines + 1] = "Connection: close"
  lines[#lines + 1] = ""
  lines[#lines + 1] = body or ""
  ok, err = sock:send(concat(lines, "\r\n"))
  if not ok then sock:close() return nil, "send: " .. tostring(err) end
  local status_line
  status_line, err = sock:receive("*l")
  if not status_line then sock:close() return nil, (err == "timeout" and "timeout" or "receive: " .. tostring(err)) end
  local status = tonumber(status_line:match("^HTTP/%d%.%d (%d%d%d)"))
  if not status then sock:close() return nil, "bad status line" end
  local rh = {}
  for _ = 1, 200 do
    local line
    line, err = sock:receive("*l")
    if not line then sock:close() return nil, (err == "timeout" and "timeout" or "receive: " .. tostring(err)) end
    if line == "" then break end
    local k, v = line:match("^([^:]+):%s*(.-)%s*$")
    if k then rh[lower(k)] = v end
  end
  local data
  local len = tonumber(rh["content-length"] or "")
  if method == "HEAD" or status == 204 or status == 304 then
    data = ""
  elseif len then
    data, err = sock:receive(math.min(len, MAX_BODY))
  else
    local chunks, total = {}, 0
    while total <= MAX_BODY do
      local chunk, e, partial = sock:receive(8192)
      chunk = chunk or partial
      if chunk and #chunk > 0 then chunks[#chunks + 1] = chunk total = total + #chunk end
      if e == "closed" then break end
      if e then err = e break end
    end
    if err then sock:close() return nil, (err == "timeout" and "timeout" or "receive: " .. tostring(err)) end
    data = concat(chunks)
    if (rh["transfer-encoding"] or ""):lower():find("chunked", 1, true) then data = dechunk(data) or data end
  end
  sock:close()
  if not data then return nil, (err == "timeout" and "timeout" or "receive: " .. tostring(err)) end
  return { status = status, headers = rh, body = data }
end

local function now_ms()
  ngx.update_time()
  return ngx.now() * 1000
end

-- One webhook attempt: sign, send, time, describe.
local function attempt(role, url, method, params, o)
  method = (method == "GET") and "GET" or "POST"
  local a = { role = role, url = url, method = method }
  local u = parse_url(url)
  if not u then a.error = "not an http(s) URL" return a end
  if not loopback(u.host) then
    a.error = "refused: the emulator only calls loopback addresses (127.0.0.0/8, localhost, [::1])"
    return a
  end
  local target, body = url, nil
  local headers = { ["User-Agent"] = "TwilioProxy/1.1", ["Accept"] = "*/*",
                    ["I-Twilio-Idempotency-Token"] = ngx.md5(url .. ngx.now()) }
  local signed_params = params
  if method == "GET" then
    target = url .. (url:find("?", 1, true) and "&" or "?") .. util.encode_query(params)
    signed_params = {}
  end
  local signed_url = (o.sign_port == "toggle") and toggle_port(target) or target
  headers["X-Twilio-Signature"] = signature(o.token, signed_url, signed_params)
  -- tampering happens after signing
  local sent = params
  if o.tamper then
    sent = {}
    local seen = {}
    for i, kv in ipairs(params) do
      local v = o.tamper[kv[1]]
      sent[i] = { kv[1], v ~= nil and tostring(v) or kv[2] }
      seen[kv[1]] = true
    end
    for k, v in pairs(o.tamper) do if not seen[k] then sent[#sent + 1] = { k, tostring(v) } end end
    if method == "GET" then target = url .. (url:find("?", 1, true) and "&" or "?") .. util.encode_query(sent) end
  end
  if method == "POST" then
    body = util.encode_query(sent)
    headers["Content-Type"] = "application/x-www-form-urlencoded"
  end
  local tu = parse_url(target)
  local t0 = now_ms()
  local res, err = http_call(tu, method, headers, body, o.timeout_ms)
  a.latency_ms = floor(now_ms() - t0 + 0.5)
  if not res then
    a.error = err
    return a
  end
  a.status = res.status
  a.content_type = res.headers["content-type"] or util.null
  a.body = res.body:sub(1, SHOWN_BODY)
  a.twiml = looks_like_twiml(res.body)
  a.ok = res.status >= 200 and res.status < 300
  return a
end

local function param(list, k, v)
  if v ~= nil and v ~= "" then list[#list + 1] = { k, tostring(v) } end
end

-- ring(req) -> status, outcome
function _M.ring(req)
  local kind = req.kind or "voice"
  if kind ~= "voice" and kind ~= "sms" then return 400, { error = "kind must be voice or sms" } end
  if type(req.to) ~= "string" then return 400, { error = "to (an E.164 number the emulator owns) is required" } end
  local from = req.from or "+15005550006"
  if type(from) ~= "string" then return 400, { error = "from must be a string" } end
  local rec = state.owned_phone[req.to]
  if not rec then return 404, { error = "no account owns " .. req.to } end
  local acct = state.accounts[rec.account_sid]
  local timeout_ms = tonumber(req.timeout_ms or 15000)
  if not timeout_ms or timeout_ms < 1 or timeout_ms > 60000 then
    return 400, { error = "timeout_ms must be 1..60000" }
  end
  if req.sign_port ~= nil and req.sign_port ~= "as_is" and req.sign_port ~= "toggle" then
    return 400, { error = "sign_port must be as_is or toggle" }
  end
  if req.tamper ~= nil and type(req.tamper) ~= "table" then return 400, { error = "tamper must be an object" } end
  local o = { token = type(req.token) == "string" and req.token or acct.auth_token,
              sign_port = req.sign_port, tamper = req.tamper, timeout_ms = timeout_ms }

  local c = state.counters
  c.ring = (c.ring or 0) + 1
  local params, sid = {}
  param(params, "AccountSid", acct.sid)
  param(params, "ApiVersion", util.API_VERSION)
  param(params, "From", from)
  param(params, "To", rec.phone_number)
  param(params, "Called", kind == "voice" and rec.phone_number or nil)
  param(params, "Caller", kind == "voice" and from or nil)
  param(params, "FromCountry", "US")
  param(params, "ToCountry", "US")
  local url, method, fb_url, fb_method
  if kind == "voice" then
    sid = util.ordered_sid("CA", c.ring)
    param(params, "CallSid", sid)
    param(params, "CallStatus", "ringing")
    param(params, "Direction", "inbound")
    url, method = rec.voice_url, rec.voice_method
    fb_url, fb_method = rec.voice_fallback_url, rec.voice_fallback_method
  else
    sid = util.ordered_sid("SM", c.ring)
    param(params, "MessageSid", sid)
    param(params, "SmsSid", sid)
    param(params, "SmsMessageSid", sid)
    param(params, "SmsStatus", "received")
    params[#params + 1] = { "Body", tostring(req.body or "") }
    param(params, "NumMedia", "0")
    param(params, "NumSegments", "1")
    url, method = rec.sms_url, rec.sms_method
    fb_url, fb_method = rec.sms_fallback_url, rec.sms_fallback_method
  end

  local out = { kind = kind, sid = sid, to = rec.phone_number, from = from, account_sid = acct.sid,
                number_sid = rec.sid, attempts = {} }
  out.attempts.__array = true
  if url == nil or url == "" then
    out.error = "the number has no " .. kind .. "_url"
  else
    local a = attempt("primary", url, method, params, o)
    out.attempts[1] = a
    if a.ok then
      out.answered_by = "primary"
    elseif fb_url and fb_url ~= "" then
      local fparams = {}
      for i, kv in ipairs(params) do fparams[i] = kv end
      fparams[#fparams + 1] = { "ErrorCode", "11200" }
      fparams[#fparams + 1] = { "ErrorUrl", url }
      local f = attempt("fallback", fb_url, fb_method, fparams, o)
      out.attempts[2] = f
      if f.ok then out.answered_by = "fallback" end
    end
    local answered = out.attempts[#out.attempts]
    out.ok = answered.ok == true
    out.twiml = answered.ok == true and answered.twiml == true
  end
  if kind == "voice" and rec.status_callback and rec.status_callback ~= "" then
    local sparams = {}
    for i, kv in ipairs(params) do
      sparams[i] = kv[1] == "CallStatus" and { "CallStatus", out.ok and "completed" or "failed" } or kv
    end
    sparams[#sparams + 1] = { "CallDuration", "0" }
    out.attempts[#out.attempts + 1] = attempt("status_callback", rec.status_callback,
                                              rec.status_callback_method, sparams, o)
  end
  out.ok = out.ok == true
  state.log_add{ method = "POST", path = "/_emulator/ring", query = "", body = "", content_type = util.null,
                 user_agent = util.null, auth_user = util.null, status = 200, fault = util.null,
                 time = ngx.now(), ring = out }
  return 200, out
end

return _M
