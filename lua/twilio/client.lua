-- twilio.client: the Client object and the request driver.
--
-- Every call goes the same way (docs/DESIGN.md, ../shared/docs/OPENRESTY.md):
--   cfg:build(op, path, params)   C: validate and build the request table
--   client:send(req)              the retry loop around one attempt:
--     runtime:transport()         twilio.runtime: libcurl, nginx cosockets, or
--       t:request(req)            the caller's transport (may yield in nginx)
--     core.parse_error(...)       C: a non-2xx answer to a twilio.Error
--     retry.delay / runtime:sleep
--   core.parse_page / twilio.record   C: the answer to records
-- A record call (fetch, update: client:request_record) on the client's own
-- libcurl handle, without a debug hook and outside a bulk batch, is one C
-- call instead (core.call_record, src/ltw_call.c: build, perform, parse);
-- any answer but a 2xx JSON record goes on through send as above, from that
-- first attempt, so retries, errors and call_info are the same.
-- The client decides nothing about I/O: its runtime (made once, in new) does.
-- Loading this module loads every resource module and so installs the
-- methods of every record type (twilio.record, twilio.addons).
local core = require "twilio.core"
local errors = require "twilio.errors"
local retry = require "twilio.retry"
local defaults = require "twilio.defaults"
local runtime = require "twilio.runtime"
local bulk = require "twilio.bulk"
local account = require "twilio.account"
local record = require "twilio.record"   -- and the methods of PhoneNumber, AvailablePhoneNumber, Country

local setmetatable, type, tostring, pairs = setmetatable, type, tostring, pairs
local floor, getenv = math.floor, os.getenv
local fmt = string.format
local monotonic = core.monotonic
local call_record = core.call_record
local runtime_handle = runtime.handle   -- rt:handle(), when rt.direct is false

local _M = {}
local Client = {}
Client.__index = Client
_M.Client = Client

-- An environment variable that is set but empty counts as unset.
local function env(name)
  local v = getenv(name)
  if v == "" then return nil end
  return v
end

local CLIENT_OPTS = {
  account_sid = "string", auth_token = "string", api_key = "string", api_secret = "string",
  region = "string", edge = "string", base_url = "string", user_agent = "string",
  timeout = "number", connect_timeout = "number", max_body = "number",
  retries = "any", on_retry = "function", debug = "function", transport = "any",
  ca_file = "string",
}

-- The closest name in `allowed` to the misspelt `name` (at most 2 edits).
local function closest(name, allowed)
  local best, best_d = nil, 3
  for cand in pairs(allowed) do
    local a, b = name, cand
    if math.abs(#a - #b) < best_d then
      local prev = {}
      for j = 0, #b do prev[j] = j end
      for i = 1, #a do
        local cur = { [0] = i }
        for j = 1, #b do
          local cost = a:sub(i, i) == b:sub(j, j) and 0 or 1
          cur[j] = math.min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + cost)
        end
        prev = cur
      end
      local d = prev[#b]
      if d < best_d or (d == best_d and best and cand < best) then best, best_d = cand, d end
    end
  end
  return best
end

local function check_opts(opts, allowed, what)
  for k, v in pairs(opts) do
    local want = allowed[k]
    if not want then
      local guess = type(k) == "string" and closest(k, allowed)
      error(fmt("twilio: unknown option '%s' for %s%s", tostring(k), what,
                guess and fmt("; did you mean '%s'?", guess) or ""), 3)
    end
    if want ~= "any" and type(v) ~= want then
      error(fmt("twilio: option '%s' for %s must be a %s (got %s)", k, what, want, type(v)), 3)
    end
  end
end

-- Seconds the transports accept: libcurl takes whole milliseconds, 1 ms to
-- 24 h (src/ltw_curl.c), and rounds down; refused here, not by every call.
local function seconds(v, name)
  if v ~= nil and not (v >= defaults.min_timeout and v <= defaults.max_timeout) then
    error(fmt("twilio: option '%s' must be a number of seconds from %g to %d (got %s)",
              name, defaults.min_timeout, defaults.max_timeout, tostring(v)), 3)
  end
  return v
end

local function byte_count(v, name)
  if v ~= nil and not (v >= 1 and v <= defaults.max_max_body and v == math.floor(v)) then
    error(fmt("twilio: option '%s' must be a whole number of bytes from 1 to %d (got %s)",
              name, defaults.max_max_body, tostring(v)), 3)
  end
  return v
end

-- twilio.new{...} -> client | nil, err (err.kind == "invalid" for credentials)
function _M.new(opts)
  opts = opts or {}
  if type(opts) ~= "table" then error("twilio.new: options table expected", 2) end
  check_opts(opts, CLIENT_OPTS, "twilio.new")
  seconds(opts.timeout, "timeout")
  seconds(opts.connect_timeout, "connect_timeout")
  byte_count(opts.max_body, "max_body")
  local rt = runtime.new{ transport = opts.transport, ca_file = opts.ca_file }
  local conf = {
    account_sid = opts.account_sid or env("TWILIO_ACCOUNT_SID"),
    auth_token = opts.auth_token or env("TWILIO_AUTH_TOKEN"),
    api_key = opts.api_key or env("TWILIO_API_KEY"),
    api_secret = opts.api_secret or env("TWILIO_API_SECRET"),
    base_url = opts.base_url or env("TWILIO_BASE_URL"),
    user_agent = rt:user_agent(opts.user_agent),
    -- the client's limits: the fused call (core.call_record) sends with
    -- them when a call brings none, so they are not passed on every call
    timeout = opts.timeout or defaults.timeout,
    connect_timeout = opts.connect_timeout or defaults.connect_timeout,
    max_body = opts.max_body or defaults.max_body,
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
    -- the limits as the config holds them (send reads these; the fused call
    -- the config's): fixed at twilio.new, per call only through opts
    timeout = conf.timeout,
    connect_timeout = conf.connect_timeout,
    max_body = conf.max_body,
    policy = retry.policy(opts.retries),
    on_retry = opts.on_retry,
    debug = opts.debug or false,   -- false, not nil: read on every call, found without __index
    runtime = rt,
    batch = false,                 -- the running bulk batch (twilio.bulk); false, as debug
    accounts = {},
    -- the path table of a SID alone (request_record), reused: cfg:build
    -- reads it synchronously and keeps nothing of it
    sid_path = { sid = false },
    -- twilio.list's fetch and update call it on every call: an instance
    -- field is found by one lookup, a method through __index by two
    request_record = Client.request_record,
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
  acct = account.new(self, sid)
  self.accounts[sid] = acct
  return acct
end

function Client:account_sid() return self.cfg:account_sid() end

function Client:close()
  self.runtime:close()
end

-- Per-call options: { timeout =, connect_timeout =, retries =, on_retry = }.
local CALL_OPTS = { timeout = "number", connect_timeout = "number", retries = "any", on_retry = "function" }

function Client:call_options(opts)
  if opts == nil then return nil end
  if type(opts) ~= "table" then error("twilio: call options must be a table", 3) end
  if opts.checked then return opts end
  check_opts(opts, CALL_OPTS, "a call")
  seconds(opts.timeout, "timeout")
  seconds(opts.connect_timeout, "connect_timeout")
  -- a checked copy: the caller's table is not changed, and may be reused
  return { checked = true, timeout = opts.timeout, connect_timeout = opts.connect_timeout,
           on_retry = opts.on_retry, policy = opts.retries ~= nil and retry.policy(opts.retries) or nil }
end

function Client:log(fmtstr, ...)
  local d = self.debug
  if d then d(fmt(fmtstr, ...)) end
end

-- The bulk batch the running coroutine works for, if any (its 429 pause).
function Client:current_batch()
  local b = self.batch
  if b and b:owns_current() then return b end
  return nil
end

-- What one attempt's transport result comes to: res (2xx) | nil, err.
-- ms: the attempt's duration when there is a debug hook (the line is
-- written then), else nil.
local function outcome(self, t, req, res, terr, batch, ms)
  local debug = ms and self.debug
  if not res then
    local sent = terr and terr.sent
    local msg = (terr and terr.message) or "transport failed"
    if sent and req.method ~= "GET" then   -- an update or DELETE too, once retries are spent
      msg = msg .. "; the request was sent, so it may have been applied"
    elseif sent == false then
      msg = msg .. "; the request was not sent"
    end
    if debug then
      debug(fmt("twilio: %s %s -> %s (%d ms, %s)", req.method, req.url, (terr and terr.kind) or "transport", ms,
                tostring(t.name or self.runtime.name)))
    end
    return nil, errors.new((terr and terr.kind) or "transport", msg, {
      sent = sent, status = terr and terr.status, method = req.method, url = req.url,
    })
  end
  local status = res.status
  if debug then
    debug(fmt("twilio: %s %s -> %d (%d ms, %s)", req.method, req.url, status, ms,
              tostring(t.name or self.runtime.name)))
  end
  if status >= 200 and status < 300 then return res end
  local headers = res.headers or {}
  local err = core.parse_error(status, res.body or "", headers["content-type"])
  err.method, err.url = req.method, req.url
  local ra = headers["retry-after"]
  if ra then err.retry_after = core.retry_after(ra, floor(core.now())) end
  if status == 429 and batch then batch:saw_429(err.retry_after) end
  return nil, err
end

-- One attempt: res (2xx) | nil, err. The clock is read, and debug lines
-- formatted, only when there is a debug hook; they name the transport.
function Client:attempt(t, req)
  local batch = self.batch          -- self:current_batch(), without a call when there is none
  if batch and not batch:owns_current() then batch = nil end
  if batch then batch:wait_turn() end
  local debug = self.debug
  local t0 = debug and monotonic()
  local res, terr = t:request(req)
  local ms = debug and floor((monotonic() - t0) * 1000 + 0.5)
  return outcome(self, t, req, res, terr, batch, ms)
end

-- send(req, opts) -> res, nil, retries | nil, err   (err.retries = retries made;
-- err.maybe_applied_before = true when an earlier attempt may have been applied:
-- its answer was lost or a 5xx)
-- send(req, opts, res1, terr1): the first attempt was made already (by the
-- fused call, core.call_record, which is never used with a debug hook or in
-- a batch) and came back as res1 | nil, terr1; the loop goes on from there.
-- The limits every request of this client is sent with (the call's
-- options over the client's): send sets them, and so does bulk's lane on
-- the one request it reuses for a batch.
function Client:set_limits(req, opts)
  req.timeout_ms = floor(((opts and opts.timeout) or self.timeout) * 1000)
  req.connect_timeout_ms = floor(((opts and opts.connect_timeout) or self.connect_timeout) * 1000)
  req.max_body = self.max_body
  return req
end

function Client:send(req, opts, res1, terr1)
  self:set_limits(req, opts)
  local policy = (opts and opts.policy) or self.policy
  local hook = (opts and opts.on_retry) or self.on_retry
  local t, terr = self.runtime:transport()
  if not t then return nil, terr end
  -- libcurl silently resends a request, POSTs included, when a reused
  -- keep-alive connection dies before any byte of the answer
  -- (Curl_retry_request): a purchase dropped after it was applied would be
  -- bought twice, and a DELETE would come back 404 without our retry loop
  -- knowing. A create or a delete therefore goes on a fresh connection (the
  -- curl transports, single and bulk, honour req.fresh_connect). The nginx
  -- transport resends only GET, HEAD, OPTIONS by itself; a POST or DELETE that meets
  -- a stale pooled connection comes back as an error with sent = true, and
  -- this loop retries it (when allowed) with maybe_applied set.
  if not req.idempotent or req.method == "DELETE" then req.fresh_connect = true end
  local attempt = 0
  local maybe_applied = false   -- an earlier attempt of this request may have been applied
  local given = res1 ~= nil or terr1 ~= nil
  while true do
    local res, err
    if given then
      given = false
      res, err = outcome(self, t, req, res1, terr1, nil, nil)
    else
      res, err = self:attempt(t, req)
    end
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
    self.runtime:sleep(delay)
    if retry.outcome(err) ~= "not_applied" then maybe_applied = true end
    attempt = attempt + 1
  end
end

-- build + send: res, nil, retries | nil, err
function Client:request(op, path, params, opts)
  local req, err = self.cfg:build(op, path, params)
  if not req then return nil, err end
  return self:send(req, opts)
end

-- The record of a single-object call (fetch, update): rec | nil, err.
-- kind, ctx: the record's kind and its list's ctx (twilio.record's
-- from_response). The common case, a call on the client's own libcurl
-- handle with no debug hook and outside a bulk batch, is one C call
-- (core.call_record: build, perform, parse); whatever else that call
-- meets (an error status, a transport error, a body that is not JSON) it
-- hands back with its request, and send goes on from that first attempt.
-- Every other case is request + from_response. path: a path table, or a
-- SID alone for { sid = it } on the client's own account.
function Client:request_record(op, path, params, opts, kind, ctx)
  local h = not self.debug and not self.batch
  if h then
    local rt = self.runtime
    h = rt.direct or runtime_handle(rt)
  end
  if h then
    -- the call's timeouts, when it has some (nil: the client's, which its
    -- config holds); the seconds become milliseconds in C, as send does:
    -- floor(s * 1000)
    local timeout, connect_timeout
    if opts then timeout, connect_timeout = opts.timeout, opts.connect_timeout end
    local rec, req, res, terr = call_record(self.cfg, op, path, params, h, kind, ctx, timeout,
                                            connect_timeout)
    if rec then return rec end
    if rec == nil then return nil, req end       -- refused before sending, or not a record
    local retries
    res, terr, retries = self:send(req, opts, res, terr)
    if not res then return nil, terr end
    return record.from_response(kind, res, ctx, retries)
  end
  if type(path) == "string" then                 -- a SID alone (twilio.list)
    local sid_path = self.sid_path
    sid_path.sid = path
    path = sid_path
  end
  local res, err, retries = self:request(op, path, params, opts)
  if not res then return nil, err end
  return record.from_response(kind, res, ctx, retries)
end

-- client:bulk(tasks, { concurrency =, on_progress = }) -> results (see twilio.bulk)
function Client:bulk(tasks, opts)
  return bulk.run(self, tasks, opts)
end

return _M
