-- twilio.webhook.ngx: X-Twilio-Signature for nginx, one call in access_by_lua*.
--
--   -- once (module level of your handler, or init_by_lua):
--   local guard = require("twilio.webhook.ngx").new{
--     public_url = "https://hooks.example.com",   -- scheme://host[:port] Twilio calls (REQUIRED)
--     token = os.getenv("TWILIO_AUTH_TOKEN"),     -- or tokens = { primary, secondary, ... }
--                                                 -- or tokens = { ["AC..."] = token, ... }: the
--                                                 --    request's AccountSid picks (subaccounts)
--     shared_keys = { KS... = "secret" },         -- optional: Webhook Rules (HMAC-SHA256)
--     trusted_proxies = { "10.0.0.5", "10.1.0.0/16" }, -- optional: only requests from these
--                                                 --    addresses may set X-Forwarded-Proto/Host/Port
--     port_variants = true,                       -- accept the URL signed with the port toggled
--     max_body = 65536,                           -- larger bodies are refused (413 is nginx's job;
--                                                 --    here: 403 "body too large")
--   }
--   -- nginx.conf:  access_by_lua_block { require("my_handler").guard:check() }
--
-- guard:check() reads the raw request URI ($request_uri, never re-encoded) and
-- the body (form: every pair kept; JSON: raw, checked against bodySHA256),
-- validates with twilio.webhook, and
--   * on success returns true and leaves ngx.ctx.twilio_webhook =
--     { params = { key = value | {values} }, pairs = { {k, v}, ... }, body = raw,
--       url = the URL validated, key = index, variant = ..., account_sid = ... };
--   * on failure logs ONE line at warn level, "twilio webhook refused: <why>
--     (<reason>) client=<addr>", and ends the request with 403 (never returns).
-- guard:verify() does the same work and returns true, ctx | nil, err without
-- answering, for callers that answer themselves.
--
-- The public URL never comes from X-Forwarded-* unless the peer address is in
-- trusted_proxies (see docs/WEBHOOKS.md for load balancers, TLS-terminating
-- proxies and non-default ports).
-- luacheck: globals ngx
local webhook = require "twilio.webhook"
local errors = require "twilio.errors"

local ngx = ngx
local type, ipairs, pairs, tonumber, error, tostring, setmetatable = type, ipairs, pairs, tonumber, error,
  tostring, setmetatable
local fmt, lower = string.format, string.lower
local floor = math.floor

local _M = {}
local mt = { __index = _M }

-- "https://Host.example:8443/" -> "https", "Host.example", "8443" (port nil when absent)
local function parse_public(url)
  local scheme, rest = url:match("^(%a[%w+.-]*)://(.+)$")
  if not scheme then return nil end
  scheme = lower(scheme)
  if scheme ~= "http" and scheme ~= "https" then return nil end
  rest = rest:gsub("/+$", "")
  if rest:find("[/?#@]") then return nil end
  local host, port = rest:match("^(%[[^%]]+%])(.*)$")
  if not host then host, port = rest:match("^([^:]+)(.*)$") end
  if not host then return nil end
  if port ~= "" then
    port = port:match("^:(%d+)$")
    if not port then return nil end
  else
    port = nil
  end
  return scheme, host, port
end
_M.parse_public = parse_public

local function ipv4(s)
  local a, b, c, d = s:match("^(%d+)%.(%d+)%.(%d+)%.(%d+)$")
  if not a then return nil end
  a, b, c, d = tonumber(a), tonumber(b), tonumber(c), tonumber(d)
  if a > 255 or b > 255 or c > 255 or d > 255 then return nil end
  return ((a * 256 + b) * 256 + c) * 256 + d
end

-- trusted_proxies: exact addresses (v4 or v6 text) and IPv4 CIDR blocks.
local function proxy_matcher(list)
  if list == nil then return nil end
  if type(list) == "string" then list = { list } end
  if type(list) ~= "table" then error("twilio.webhook.ngx: trusted_proxies must be a list of addresses", 3) end
  local exact, nets = {}, {}
  for _, p in ipairs(list) do
    local addr, bits = p:match("^([%d.]+)/(%d+)$")
    if addr then
      local base = ipv4(addr)
      bits = tonumber(bits)
      if not base or bits > 32 then error("twilio.webhook.ngx: bad CIDR " .. p, 3) end
      local size = 2 ^ (32 - bits)
      nets[#nets + 1] = { floor(base / size) * size, size }
    else
      exact[p] = true
    end
  end
  return function(remote)
    if not remote then return false end
    if exact[remote] then return true end
    local v = ipv4(remote)
    if not v then return false end
    for _, n in ipairs(nets) do
      if v >= n[1] and v < n[1] + n[2] then return true end
    end
    return false
  end
end

function _M.new(o)
  if type(o) ~= "table" then error("twilio.webhook.ngx.new: options table expected", 2) end
  if type(o.public_url) ~= "string" then
    error("twilio.webhook.ngx.new: public_url (scheme://host[:port] of the public endpoint) is required", 2)
  end
  local scheme, host, port = parse_public(o.public_url)
  if not scheme then error("twilio.webhook.ngx.new: public_url must be http(s)://host[:port]", 2) end
  local tokens, by_account = o.tokens or o.token, nil
  if type(tokens) == "table" and tokens[1] == nil then
    by_account = tokens
    for k, v in pairs(by_account) do
      if type(k) ~= "string" or type(v) ~= "string" or v == "" then
        error("twilio.webhook.ngx.new: tokens by account must map AC... to a token", 2)
      end
    end
    tokens = nil
  elseif tokens == nil or tokens == "" then
    error("twilio.webhook.ngx.new: token or tokens is required", 2)
  end
  return setmetatable({
    scheme = scheme, host = host, port = port,
    tokens = tokens, by_account = by_account,
    shared_keys = o.shared_keys, port_variants = o.port_variants,
    trusted = proxy_matcher(o.trusted_proxies),
    max_body = o.max_body or 65536,
  }, mt)
end

local function first(v)
  if type(v) == "table" then v = v[1] end
  if type(v) ~= "string" then return nil end
  return (v:match("^%s*([^,%s]+)"))
end

-- The URL Twilio called: the configured public scheme://host[:port] (or, from a
-- trusted proxy only, its X-Forwarded-Proto/Host/Port) and the raw request URI.
function _M:public_url()
  local scheme, host, port = self.scheme, self.host, self.port
  local headers
  if self.trusted and self.trusted(ngx.var.realip_remote_addr or ngx.var.remote_addr) then
    headers = ngx.req.get_headers()
    local p = first(headers["x-forwarded-proto"])
    if p and (lower(p) == "http" or lower(p) == "https") then scheme = lower(p) end
    local h = first(headers["x-forwarded-host"])
    if h and h:match("^[%w.%-]+$") then
      host, port = h, nil
    elseif h and h:match("^[%w.%-]+:%d+$") then
      host, port = h:match("^(.-):(%d+)$")
    end
    local fp = first(headers["x-forwarded-port"])
    if fp and fp:match("^%d+$") then port = fp end
  end
  return scheme .. "://" .. host .. (port and (":" .. port) or "") .. ngx.var.request_uri
end

local function read_body(max)
  ngx.req.read_body()
  local body = ngx.req.get_body_data()
  if not body then
    local file = ngx.req.get_body_file()
    if file then
      local f = io.open(file, "rb")
      if f then body = f:read(max + 1) f:close() end
    end
  end
  return body or ""
end

-- verify() -> true, ctx | nil, err (a twilio.Error of kind "signature")
function _M:verify()
  local url = self:public_url()
  local method = ngx.req.get_method()
  local body, pairs_list = nil, {}
  local headers = ngx.req.get_headers()
  if method ~= "GET" and method ~= "HEAD" then
    body = read_body(self.max_body)
    if #body > self.max_body then
      return nil, errors.new("signature", fmt("body too large (over %d bytes)", self.max_body),
                                                { reason = "body_too_large" })
    end
    local ctype = lower(first(headers["content-type"]) or "")
    if ctype:find("application/x-www-form-urlencoded", 1, true) and not webhook.body_hash_of(url) then
      pairs_list = webhook.parse_form(body)
    end
  end
  local params = webhook.to_map(pairs_list)
  local account_sid = params.AccountSid
  if type(account_sid) ~= "string" then
    account_sid = ngx.var.arg_AccountSid
  end
  local tokens = self.tokens
  if self.by_account then
    tokens = account_sid and self.by_account[account_sid]
    if not tokens then
      return nil, errors.new("signature",
        "no token configured for AccountSid " .. tostring(account_sid), { reason = "unknown_account" })
    end
  end
  local ok, info = webhook.validate{
    tokens = tokens, url = url, params = pairs_list, body = body,
    signature = headers["x-twilio-signature"],
    settings = headers["x-twilio-webhooks-signature-settings"],
    shared_keys = self.shared_keys, port_variants = self.port_variants,
  }
  if not ok then return nil, info end
  if method == "GET" or method == "HEAD" then   -- Twilio's parameters are in the query string
    params = webhook.to_map(webhook.parse_form(ngx.var.args or ""))
  end
  local ctx = { params = params, pairs = pairs_list, body = body, url = url, key = info.key,
                variant = info.variant, algorithm = info.algorithm, account_sid = account_sid }
  ngx.ctx.twilio_webhook = ctx
  return true, ctx
end

-- check(): verify, or log one line and answer 403.
function _M:check()
  local ok, err = self:verify()
  if ok then return true end
  ngx.log(ngx.WARN, "twilio webhook refused: ", err.message, " (", err.reason, ") client=",
          ngx.var.remote_addr)
  return ngx.exit(ngx.HTTP_FORBIDDEN)
end

return _M
