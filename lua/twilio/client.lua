-- twilio.client: the Client object and the request driver.
--
-- Every call goes the same way (docs/DESIGN.md, ../shared/docs/OPENRESTY.md):
--   cfg:build(op, path, params)   C: validate and build the request table
--   transport:request(req)        Lua: libcurl, or nginx cosockets (may yield)
--   core.parse_*(...)             C: response to objects or an error object
-- with the retry loop around the transport call. Nothing here blocks inside
-- nginx: the transport is picked per call and sleeping uses ngx.sleep there.
local core = require "twilio.core"
local errors = require "twilio.errors"
local retry = require "twilio.retry"
local pick = require "twilio.transport.pick"
local bulk = require "twilio.bulk"

local setmetatable, type, tostring, pairs = setmetatable, type, tostring, pairs
local floor, getenv = math.floor, os.getenv
local fmt = string.format
local monotonic = core.monotonic

local _M = {}
local Client = {}
Client.__index = Client
_M.Client = Client

local VERSION = core._VERSION

-- An environment variable that is set but empty counts as unset.
local function env(name)
  local v = getenv(name)
  if v == "" then return nil end
  return v
end

local function user_agent(extra)
  local vm = rawget(_G, "jit") and rawget(_G, "jit").version or _VERSION
  local curl = core.curl_version and core.curl_version() or "libcurl"
  curl = curl:match("^(%S+)") or curl
  local ua = fmt("twilio-numbers/%s (%s; %s)", VERSION, vm, curl)
  if extra then ua = ua .. " " .. extra end
  return ua
end

local CLIENT_OPTS = {
  account_sid = "string", auth_token = "string", api_key = "string", api_secret = "string",
  region = "string", edge = "string", base_url = "string", user_agent = "string",
  timeout = "number", connect_timeout = "number", max_body = "number",
  retries = "any", on_retry = "function", debug = "function", transport = "any",
  ca_file = "string",
}

local function check_opts(opts, allowed, what)
  for k, v in pairs(opts) do
    local want = allowed[k]
    if not want then
      error(fmt("twilio: unknown option '%s' for %s", tostring(k), what), 3)
    end
    if want ~= "any" and type(v) ~= want then
      error(fmt("twilio: option '%s' for %s must be a %s (got %s)", k, what, want, type(v)), 3)
    end
  end
end

local function positive(v, name)
  if v ~= nil and not (v > 0 and v < 1e6) then
    error(fmt("twilio: option '%s' must be a positive number of seconds", name), 3)
  end
  return v
end

-- twilio.new{...} -> client | nil, err (err.kind == "invalid" for credentials)
function _M.new(opts)
  opts = opts or {}
  if type(opts) ~= "table" then error("twilio.new: options table expected", 2) end
  check_opts(opts, CLIENT_OPTS, "twilio.new")
  local conf = {
    account_sid = opts.account_sid or env("TWILIO_ACCOUNT_SID"),
    auth_token = opts.auth_token or env("TWILIO_AUTH_TOKEN"),
    api_key = opts.api_key or env("TWILIO_API_KEY"),
    api_secret = opts.api_secret or env("TWILIO_API_SECRET"),
    base_url = opts.base_url or env("TWILIO_BASE_URL"),
    user_agent = user_agent(opts.user_agent),
  }
  -- A base URL (the emulator, a test server) names the host itself: region
  -- and edge from the environment do not apply to it (explicit ones still
  -- conflict, and core.config says so).
  conf.region = opts.region or (not conf.base_url and env("TWILIO_REGION") or nil)
  conf.edge = opts.edge or (not conf.base_url and env("TWILIO_EDGE") or nil)
  -- An explicit auth_token wins over an API key found only in the environment.
  if opts.auth_token and not opts.api_key then conf.api_key, conf.api_secret = nil, nil end
  if opts.api_key and not opts.auth_token then conf.auth_token = nil end
  if conf.api_key and conf.auth_token and not opts.api_key then conf.api_key, conf.api_secret = nil, nil end
  local cfg, err = core.config(conf)
  if not cfg then return nil, err end
  local self = setmetatable({
    cfg = cfg,
    timeout = positive(opts.timeout, "timeout") or 30,
    connect_timeout = positive(opts.connect_timeout, "connect_timeout") or 10,
    max_body = opts.max_body or 32 * 1024 * 1024,
    policy = retry.policy(opts.retries),
    on_retry = opts.on_retry,
    debug = opts.debug,
    transport_opt = opts.transport,
    ca_file = opts.ca_file,
    accounts = {},
  }, Client)
  -- ctx shared by the records of pages this client parses (records find
  -- their client through it; see core.record_ctx).
  self.ctx = { client = self }
  local main = self:account(cfg:account_sid())
  self.incoming_phone_numbers = main.incoming_phone_numbers
  self.available_phone_numbers = main.available_phone_numbers
  return self
end

function Client:__tostring()
  return "twilio.Client: " .. tostring(self.cfg)
end

-- client:account("AC…") -> an Account view whose resources use that account's path.
function Client:account(sid)
  if type(sid) ~= "string" then error("twilio: account(sid): sid must be a string", 2) end
  local acct = self.accounts[sid]
  if acct then return acct end
  acct = require("twilio.account").new(self, sid)
  self.accounts[sid] = acct
  return acct
end

function Client:account_sid() return self.cfg:account_sid() end

function Client:close()
  local t = self.curl_transport
  self.curl_transport = nil
  if t then t:close() end
end

-- Per-call options: { timeout =, connect_timeout =, retries =, on_retry = }.
local CALL_OPTS = { timeout = "number", connect_timeout = "number", retries = "any", on_retry = "function" }

function Client:call_options(opts)
  if opts == nil then return nil end
  if type(opts) ~= "table" then error("twilio: call options must be a table", 3) end
  if opts.checked then return opts end
  check_opts(opts, CALL_OPTS, "a call")
  positive(opts.timeout, "timeout")
  positive(opts.connect_timeout, "connect_timeout")
  -- a checked copy: the caller's table is not changed, and may be reused
  return { checked = true, timeout = opts.timeout, connect_timeout = opts.connect_timeout,
           on_retry = opts.on_retry, policy = opts.retries ~= nil and retry.policy(opts.retries) or nil }
end

local function sleep(seconds)
  local ngx = pick.yieldable_ngx()
  if ngx then ngx.sleep(seconds) else core.sleep(seconds) end
end
_M.sleep = sleep

function Client:log(fmtstr, ...)
  local d = self.debug
  if d then d(fmt(fmtstr, ...)) end
end

-- The bulk scheduler running the current call, if any.
function Client:current_scheduler()
  local s = self.scheduler
  if s and s:owns_current() then return s end
  return nil
end

-- One attempt: res (2xx) | nil, err. The clock is read, and debug lines
-- formatted, only when there is a debug hook.
function Client:attempt(t, req)
  local sched = self.scheduler
  if sched and not sched:owns_current() then sched = nil end
  if sched then sched:wait_turn() end
  local debug = self.debug
  local t0 = debug and monotonic()
  local res, terr = t:request(req)
  local ms = debug and floor((monotonic() - t0) * 1000 + 0.5)
  if not res then
    local sent = terr and terr.sent
    local msg = (terr and terr.message) or "transport failed"
    if sent and req.method ~= "GET" then   -- an update or DELETE too, once retries are spent
      msg = msg .. "; the request was sent, so it may have been applied"
    elseif sent == false then
      msg = msg .. "; the request was not sent"
    end
    if debug then
      debug(fmt("twilio: %s %s -> %s (%d ms)", req.method, req.url, (terr and terr.kind) or "transport", ms))
    end
    return nil, errors.new((terr and terr.kind) or "transport", msg, {
      sent = sent, status = terr and terr.status, method = req.method, url = req.url,
    })
  end
  local status = res.status
  if debug then debug(fmt("twilio: %s %s -> %d (%d ms)", req.method, req.url, status, ms)) end
  if status >= 200 and status < 300 then return res end
  local headers = res.headers or {}
  local err = core.parse_error(status, res.body or "", headers["content-type"])
  err.method, err.url = req.method, req.url
  local ra = headers["retry-after"]
  if ra then err.retry_after = core.retry_after(ra, floor(core.now())) end
  if status == 429 and sched then sched:saw_429(err.retry_after) end
  return nil, err
end

-- The transport for this call. An explicit transport object always wins.
-- Inside nginx (any phase but init) twilio.transport.pick chooses: the
-- cosocket transport, or an error in phases where nothing may yield. Elsewhere
-- each client keeps one libcurl transport, so connections are reused.
function Client:transport()
  local bt = self.scheduler and bulk.transport_for(self)
  if bt then return bt end
  local opt = self.transport_opt
  if type(opt) == "table" then return opt end
  local ngx = rawget(_G, "ngx")
  local in_nginx = ngx and ngx.get_phase and ngx.get_phase() ~= "init"
  if in_nginx or opt == "ngx" then return pick.pick(opt) end
  if opt ~= nil and opt ~= "curl" then
    error("twilio: transport must be 'curl', 'ngx' or an object with a request method", 3)
  end
  local t = self.curl_transport
  if not t then
    t = require("twilio.transport.curl").new{ ca_file = self.ca_file }
    self.curl_transport = t
  end
  return t
end

-- send(req, opts) -> res, nil, retries | nil, err   (err.retries = retries made;
-- err.maybe_applied_before = true when an earlier attempt may have been applied:
-- its answer was lost or a 5xx)
function Client:send(req, opts)
  local timeout = (opts and opts.timeout) or self.timeout
  req.timeout_ms = floor(timeout * 1000)
  req.connect_timeout_ms = floor(((opts and opts.connect_timeout) or self.connect_timeout) * 1000)
  req.max_body = self.max_body
  local policy = (opts and opts.policy) or self.policy
  local hook = (opts and opts.on_retry) or self.on_retry
  local t, terr = self:transport()
  if not t then return nil, terr end
  -- libcurl silently resends a request, POSTs included, when a reused
  -- keep-alive connection dies before any byte of the answer
  -- (Curl_retry_request): a purchase dropped after it was applied would be
  -- bought twice, and a DELETE would come back 404 without our retry loop
  -- knowing. A create or a delete therefore goes on a fresh connection (the
  -- curl transports, single and bulk, honour req.fresh_connect; the nginx
  -- transport never resends a POST by itself).
  if not req.idempotent or req.method == "DELETE" then req.fresh_connect = true end
  local attempt = 0
  local maybe_applied = false   -- an earlier attempt of this request may have been applied
  while true do
    local res, err = self:attempt(t, req)
    if res then return res, nil, attempt end
    err.retries = attempt
    if maybe_applied then err.maybe_applied_before = true end
    local delay = retry.delay(policy, attempt, req, err)
    if not delay then return nil, err end
    if hook and hook({ attempt = attempt + 1, delay = delay, error = err,
                       method = req.method, url = req.url }) == false then
      return nil, err
    end
    self:log("twilio: retry %d of %s %s in %.3f s", attempt + 1, req.method, req.url, delay)
    local sched = self:current_scheduler()
    if sched then sched:sleep(delay) else sleep(delay) end
    if retry.outcome(err) ~= "not_applied" then maybe_applied = true end
    attempt = attempt + 1
  end
end

-- The body of a 2xx answer the caller parses as JSON: body | nil, err (kind
-- "decode", HTTP status kept) when the server labels it as something else
-- (an HTML page from a proxy, text/plain). No Content-Type: accepted.
function _M.json_body(res, req)
  local ct = res.headers and res.headers["content-type"]
  if ct and not ct:lower():find("json", 1, true) then
    return nil, errors.new("decode", fmt("expected a JSON response, got Content-Type '%s' (HTTP %d)",
                                         ct:sub(1, 80):gsub("[%c]", "?"), res.status),
                           { status = res.status, method = req and req.method, url = req and req.url })
  end
  return res.body or ""
end

-- build + send: res, nil, retries | nil, err
function Client:request(op, path, params, opts)
  local req, err = self.cfg:build(op, path, params)
  if not req then return nil, err end
  return self:send(req, opts)
end

-- client:bulk(tasks, { concurrency =, on_progress = }) -> results (see twilio.bulk)
function Client:bulk(tasks, opts)
  return bulk.run(self, tasks, opts)
end

-- A fresh ctx for a record returned by a single call: info about that call.
function Client:record_ctx(info)
  return { client = self, info = info }
end

return _M
