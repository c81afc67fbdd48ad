-- twilio.transport.ngx -- a non-blocking HTTP/1.1 transport on nginx cosockets.
--
--   local T = require "twilio.transport.ngx"
--   local t = T.new{ ssl_verify = true, pool_size = 32, keepalive_timeout_ms = 30000,
--                    timeout_ms = 30000, connect_timeout_ms = 10000, max_body = 32 MiB }
--   local res, terr = t:request{ method = "GET", url = "https://api.twilio.com/...",
--                                headers = { Authorization = "..." }, body = nil }
--   -- res  = { status = 200, headers = { ["content-type"] = "..." }, body = "...",
--   --          reused = <times the connection had been reused> }
--   -- terr = { kind = "timeout"|"transport"|"decode", message = "...", sent = bool, status = n? }
-- Requests in parallel: client:bulk / numbers:update_many, whose ngx.thread
-- workers each call request() (twilio.runtime's groups).
--
-- Only ngx.socket.tcp is used (no lua-resty-http, no subrequests): the calling
-- light thread yields to the nginx event loop on connect, TLS handshake, send
-- and receive, so a slow Twilio response never stalls the worker. Works in
-- every phase with cosockets (rewrite, access, content, ngx.timer,
-- ssl_certificate, ssl_session_fetch, ssl_client_hello); elsewhere request()
-- returns a "transport" error with sent = false instead of raising.
--
-- Hostnames need a `resolver` directive; TLS verification (on by default)
-- needs `lua_ssl_trusted_certificate` (see docs/OPENRESTY.md).
-- Redirects are not followed: a 3xx is returned as a response.
local defaults = require "twilio.defaults"
local ngx = ngx
local ngx_socket_tcp = ngx.socket.tcp
local ngx_now = ngx.now
local ngx_update_time = ngx.update_time

local type = type
local pairs = pairs
local pcall = pcall
local tonumber = tonumber
local tostring = tostring
local setmetatable = setmetatable
local concat = table.concat
local str_lower = string.lower
local str_find = string.find
local str_match = string.match
local str_sub = string.sub
local str_upper = string.upper
local math_floor = math.floor
local math_min = math.min

local _M = { _VERSION = "0.1.0", name = "ngx" }
local mt = { __index = _M }

local DEFAULTS = {   -- from twilio.defaults, the one place that sets them
  ssl_verify = defaults.ssl_verify,
  pool_size = defaults.pool_size,
  keepalive_timeout_ms = defaults.keepalive_timeout_ms,
  timeout_ms = defaults.timeout_ms,                -- send + whole response, after the connection is up
  connect_timeout_ms = defaults.connect_timeout_ms, -- TCP connect and TLS handshake
  max_body = defaults.max_body,
}

local MAX_HEADER_LINES = 200     -- response header lines (bounded loop)
local MAX_INTERIM = 8            -- 1xx responses skipped before the final one
local MAX_ATTEMPTS = 2           -- a stale pooled connection is retried once (RESEND only)
local READ_CHUNK = 65536

-- The methods this transport resends by itself after a stale pooled
-- connection: those whose repetition cannot change what the caller sees.
-- Not a DELETE (issue 16): if the server applied the first one, the resend
-- answers 404 and the caller would take it for "not there". Everything else
-- (DELETE, POST, PUT, ...) comes back as an error with sent = true, and the
-- caller's retry loop (twilio.client send) retries it knowing an attempt may
-- have been applied.
local RESEND = { GET = true, HEAD = true, OPTIONS = true }
local NO_BODY_STATUS = { [204] = true, [304] = true }
-- request headers the transport owns
local OWNED = { host = true, ["content-length"] = true, ["transfer-encoding"] = true, connection = true }

local function opt(o, k)
  local v = o and o[k]
  if v == nil then return DEFAULTS[k] end
  return v
end

function _M.new(opts)
  if opts ~= nil and type(opts) ~= "table" then
    return nil, { kind = "transport", message = "twilio.transport.ngx.new: options must be a table", sent = false }
  end
  local self = {}
  for k in pairs(DEFAULTS) do self[k] = opt(opts, k) end
  return setmetatable(self, mt)
end

local function fail(kind, message, sent, status)
  return nil, { kind = kind, message = message, sent = sent and true or false, status = status }
end

local function now_ms()
  ngx_update_time()
  return ngx_now() * 1000
end

-- "http(s)://host[:port]/path?query" -> scheme, host, port, request-target, Host header value
local function parse_url(url)
  if type(url) ~= "string" then return nil, "request url must be a string" end
  local scheme, authority, rest = str_match(url, "^(%a[%w+.-]*)://([^/?#]*)(.*)$")
  if not scheme then return nil, "malformed url" end
  scheme = str_lower(scheme)
  if scheme ~= "http" and scheme ~= "https" then return nil, "unsupported url scheme '" .. scheme .. "'" end
  if str_find(authority, "@", 1, true) then return nil, "credentials in the url are not supported" end
  local host, port
  if str_sub(authority, 1, 1) == "[" then
    local h, p = str_match(authority, "^(%[[%x:.]+%])(.*)$")
    if not h then return nil, "malformed IPv6 host" end
    host, port = h, p
  else
    host, port = str_match(authority, "^([^:]+)(.*)$")
    if not host then return nil, "missing host" end
  end
  local default_port = scheme == "https" and 443 or 80
  if port == "" then
    port = default_port
  else
    port = tonumber(str_match(port, "^:(%d+)$"))
    if not port or port < 1 or port > 65535 then return nil, "bad port" end
  end
  rest = str_match(rest, "^([^#]*)")
  if rest == "" then
    rest = "/"
  elseif str_sub(rest, 1, 1) == "?" then
    rest = "/" .. rest
  end
  if str_find(rest, "[%s%c]") then return nil, "whitespace or control characters in the url" end
  local host_header = port == default_port and host or (host .. ":" .. port)
  return scheme, host, port, rest, host_header
end

local function build_request(method, target, host_header, headers, body)
  local buf = { method, " ", target, " HTTP/1.1\r\nHost: ", host_header, "\r\n" }
  local n = #buf
  if headers ~= nil then
    if type(headers) ~= "table" then return nil, "request headers must be a table" end
    for k, v in pairs(headers) do
      if type(k) ~= "string" or not str_find(k, "^[%w!#$%%&'*+.^_`|~-]+$") then
        return nil, "invalid request header name " .. tostring(k)
      end
      if type(v) == "number" then v = tostring(v) end
      if type(v) ~= "string" or str_find(v, "[\r\n%z]") then
        return nil, "invalid value for request header " .. k
      end
      if not OWNED[str_lower(k)] then
        buf[n + 1], buf[n + 2], buf[n + 3], buf[n + 4] = k, ": ", v, "\r\n"
        n = n + 4
      end
    end
  end
  if body ~= nil or method == "POST" or method == "PUT" or method == "PATCH" then
    buf[n + 1], buf[n + 2], buf[n + 3] = "Content-Length: ", tostring(body and #body or 0), "\r\n"
    n = n + 3
  end
  buf[n + 1] = "\r\n"
  if body ~= nil and body ~= "" then buf[n + 2] = body end
  return buf
end

-- One exchange on one connection. Returns res | nil, terr, retryable
local function exchange(sock, st)
  local function arm()
    local left = st.deadline - now_ms()
    if left <= 0 then return false end
    sock:settimeout(math_floor(left) + 1)
    return true
  end
  local function io_fail(what, err, status)
    local kind = (err == "timeout") and "timeout" or "transport"
    return fail(kind, what .. ": " .. tostring(err), true, status)
  end

  if not arm() then return fail("timeout", "timeout before sending", false) end
  local _, err = sock:send(st.wire)
  if err then
    local res, terr = io_fail("send failed", err)
    return res, terr, st.reused > 0 and err ~= "timeout"
  end

  -- status line (skipping interim 1xx responses)
  local status, version
  for _ = 1, MAX_INTERIM do
    if not arm() then return fail("timeout", "timeout waiting for the response", true) end
    local line, rerr, partial = sock:receive("*l")
    if not line then
      local res, terr = io_fail("reading the status line failed", rerr)
      return res, terr, st.reused > 0 and rerr ~= "timeout" and (partial == nil or partial == "")
    end
    local v, code = str_match(line, "^HTTP/(%d%.%d) (%d%d%d)")
    if not v then return fail("decode", "malformed status line", true) end
    status, version = tonumber(code), v
    -- headers of this response
    local headers, count, last = {}, 0, nil
    while true do
      count = count + 1
      if count > MAX_HEADER_LINES then return fail("decode", "too many response header lines", true, status) end
      if not arm() then return fail("timeout", "timeout reading the response headers", true, status) end
      local h, herr = sock:receive("*l")
      if not h then return io_fail("reading the response headers failed", herr, status) end
      if h == "" then break end
      if last and str_find(h, "^[ \t]") then
        headers[last] = headers[last] .. " " .. str_match(h, "^%s*(.-)%s*$")
      else
        local name, value = str_match(h, "^([^:%s]+):%s*(.-)%s*$")
        if not name then return fail("decode", "malformed response header line", true, status) end
        name = str_lower(name)
        local prev = headers[name]
        headers[name] = prev and (prev .. ", " .. value) or value
        last = name
      end
    end
    if status >= 200 or status == 101 then
      st.headers = headers
      break
    end
    status = nil
  end
  if not status then return fail("decode", "too many interim (1xx) responses", true) end
  if status == 101 then return fail("decode", "unexpected protocol switch (101)", true, status) end

  local headers = st.headers
  local conn = str_lower(headers["connection"] or "")
  local keepalive
  if version == "1.1" then
    keepalive = not str_find(conn, "close", 1, true)
  else
    keepalive = str_find(conn, "keep-alive", 1, true) ~= nil
  end

  local cap = st.max_body
  local body
  if st.method == "HEAD" or NO_BODY_STATUS[status] or status < 200 then
    body = ""
  elseif str_find(str_lower(headers["transfer-encoding"] or ""), "chunked%s*$") then
    local parts, size = {}, 0
    while true do  -- bounded: every chunk adds >= 1 byte, up to cap
      if not arm() then return fail("timeout", "timeout reading a chunk", true, status) end
      local line, cerr = sock:receive("*l")
      if not line then return io_fail("reading a chunk size failed", cerr, status) end
      local hex = str_match(line, "^%s*(%x+)")
      local len = hex and #hex <= 12 and tonumber(hex, 16)
      if not len then return fail("decode", "malformed chunk size", true, status) end
      if len == 0 then break end
      size = size + len
      if size > cap then
        return fail("decode", "response body exceeds max_body (" .. cap .. " bytes)", true, status)
      end
      if not arm() then return fail("timeout", "timeout reading a chunk", true, status) end
      local data, derr = sock:receive(len)
      if not data then return io_fail("reading a chunk failed", derr, status) end
      parts[#parts + 1] = data
      local crlf, eerr = sock:receive(2)
      if crlf ~= "\r\n" then
        if not crlf then return io_fail("reading a chunk failed", eerr, status) end
        return fail("decode", "malformed chunk terminator", true, status)
      end
    end
    for _ = 1, MAX_HEADER_LINES do  -- trailers, up to the empty line
      if not arm() then return fail("timeout", "timeout reading trailers", true, status) end
      local t, terr = sock:receive("*l")
      if not t then return io_fail("reading trailers failed", terr, status) end
      if t == "" then break end
    end
    body = concat(parts)
  elseif headers["content-length"] then
    local cl = headers["content-length"]
    local len = str_match(cl, "^(%d+)$")
    if not len then  -- "n, n" from duplicate headers is fine when the values agree
      local a, b = str_match(cl, "^(%d+),%s*(%d+)$")
      if a and a == b then len = a end
    end
    len = len and #len <= 15 and tonumber(len)
    if not len then return fail("decode", "malformed Content-Length", true, status) end
    if len > cap then
      return fail("decode", "response body exceeds max_body (" .. len .. " > " .. cap .. " bytes)", true, status)
    end
    if len == 0 then
      body = ""
    else
      if not arm() then return fail("timeout", "timeout reading the body", true, status) end
      local data, derr = sock:receive(len)
      if not data then return io_fail("reading the body failed", derr, status) end
      body = data
    end
  else  -- delimited by the end of the connection
    keepalive = false
    local parts, size = {}, 0
    while true do  -- bounded by cap
      if not arm() then return fail("timeout", "timeout reading the body", true, status) end
      local data, derr = sock:receiveany(math_min(READ_CHUNK, cap - size + 1))
      if not data then
        if derr == "closed" then break end
        return io_fail("reading the body failed", derr, status)
      end
      size = size + #data
      if size > cap then
        return fail("decode", "response body exceeds max_body (" .. cap .. " bytes)", true, status)
      end
      parts[#parts + 1] = data
    end
    body = concat(parts)
  end

  st.keepalive = keepalive
  return { status = status, headers = headers, body = body, reused = st.reused }
end

function _M.request(self, req)
  if type(req) ~= "table" then return fail("transport", "request must be a table", false) end
  local method = req.method
  if type(method) ~= "string" or not str_find(method, "^%a+$") then
    return fail("transport", "request method must be a token", false)
  end
  method = str_upper(method)
  local scheme, host, port, target, host_header = parse_url(req.url)
  if not scheme then return fail("transport", "bad url: " .. host, false) end
  local body = req.body
  if body ~= nil and type(body) ~= "string" then return fail("transport", "request body must be a string", false) end
  local wire, werr = build_request(method, target, host_header, req.headers, body)
  if not wire then return fail("transport", werr, false) end

  local timeout = tonumber(req.timeout_ms) or self.timeout_ms
  local connect_timeout = tonumber(req.connect_timeout_ms) or self.connect_timeout_ms
  local max_body = tonumber(req.max_body) or self.max_body
  local verify = self.ssl_verify and true or false
  local resend = RESEND[method] or false
  local pool = "twilio:" .. scheme .. ":" .. host .. ":" .. port
  if scheme == "https" then pool = pool .. ":" .. tostring(verify) end
  local start = now_ms()
  local st = { wire = wire, method = method, max_body = max_body, deadline = start + connect_timeout + timeout }

  for attempt = 1, MAX_ATTEMPTS do
    local ok, sock = pcall(ngx_socket_tcp)
    if not ok then
      return fail("transport", "cosockets are not available here (" .. tostring(sock) .. ")", false)
    end
    sock:settimeouts(connect_timeout, connect_timeout, connect_timeout)
    local cok, cerr = sock:connect(host, port, { pool = pool, pool_size = self.pool_size })
    if not cok then
      local kind = cerr == "timeout" and "timeout" or "transport"
      return fail(kind, "connect to " .. host .. ":" .. port .. " failed: " .. tostring(cerr), false)
    end
    local reused = sock:getreusedtimes() or 0
    if scheme == "https" and reused == 0 then
      local sess, serr = sock:sslhandshake(nil, str_match(host, "^%[(.*)%]$") or host, verify)
      if not sess then
        sock:close()
        local kind = serr == "timeout" and "timeout" or "transport"
        return fail(kind, "TLS handshake with " .. host .. " failed: " .. tostring(serr), false)
      end
    end
    st.reused = reused
    -- the request's own time budget starts once the connection is up
    st.deadline = now_ms() + timeout
    local res, terr, retryable = exchange(sock, st)
    if res then
      if st.keepalive then
        sock:setkeepalive(self.keepalive_timeout_ms, self.pool_size)
      else
        sock:close()
      end
      return res
    end
    sock:close()
    -- A pooled connection the server had closed, or closed on reading the
    -- request (it may have acted on it): only a request whose repetition
    -- cannot change the outcome goes again, on a fresh connection.
    if not (retryable and resend and attempt < MAX_ATTEMPTS) then
      return nil, terr
    end
  end
  return fail("transport", "unreachable", true)
end

function _M.close(_)
  -- connections belong to nginx's per-worker pool; nothing to release here
  return true
end

return _M
