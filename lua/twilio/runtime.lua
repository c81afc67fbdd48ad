-- twilio.runtime: how one client does I/O. Made once per client (twilio.new)
-- and asked by everything else; no other module looks at `ngx`, picks a
-- transport, sleeps, or runs work in parallel.
--
--   local rt = runtime.new{ transport = nil | "curl" | "ngx" | object, ca_file = }
--   rt.name                    "curl", "ngx" or the custom transport's name ("custom")
--   rt:transport()             -> t (t:request(req), t.name) | nil, twilio.Error
--   rt:request(req)            -> res | nil, terr   (rt:transport() then t:request)
--   rt:handle()                -> the client's libcurl easy handle when a call
--                              made now goes to it (curl, no group), or nil
--   rt.direct                  that handle once rt:handle() has made it, while
--                              it is the answer; else false (then ask rt:handle())
--   rt:sleep(seconds)          never blocks an nginx worker, never spins
--   local g = rt:group(n)      parallel work; n: how many fns the caller spawns
--   g:spawn(fn) ... g:wait()   (it caps libcurl's connections). wait runs every
--                              spawned fn to its end; an error raised by one is
--                              raised again by wait, after cleanup
--   g:multi_handle()           a coroutine group's libcurl multi handle (made on
--                              first use; nil for ngx.thread groups: no method)
--   g:close()                  frees what the group holds (idempotent)
-- Defaults (timeouts, max_body, pool sizes, concurrency) are in twilio.defaults.
--   rt:user_agent(extra)       the User-Agent, naming the transport really used
--   rt:close()                 closes the kept connections (idempotent)
--
-- The three runtimes:
--   curl    outside nginx (or transport = "curl"): ONE libcurl easy handle per
--           client, kept for keep-alive (the only handle cache). Inside nginx's
--           init phase a handle is made per call and not kept: forked workers
--           would otherwise share it.
--   ngx     inside nginx (or transport = "ngx"): cosockets in the rewrite,
--           access, content, timer and ssl_* phases; libcurl in the init phase
--           (blocking is harmless in the master); an error in every other
--           phase (log, header_filter, init_worker...), where nothing may
--           yield. The phase is read per call, the decision made here only.
--   custom  transport = an object with request(self, req): used as given.
--
-- Sleeping: inside a group's coroutine it yields to the group's loop; in an
-- nginx phase that may yield, ngx.sleep; otherwise core.sleep (nanosleep).
--
-- Groups: in an nginx phase that may yield, each spawned fn is an ngx.thread
-- (cosockets interleave on the event loop). Everywhere else each is a
-- coroutine driven by one loop: a request of a curl runtime yields to the
-- loop, which runs it on a libcurl multi handle (core.curl_multi_new) and
-- resumes the coroutine with its answer; a sleep yields too. The loop waits
-- in curl_multi_poll while requests are in flight and in core.sleep when only
-- sleepers are left, so a batch held by a 429's Retry-After costs no CPU.
local core = require "twilio.core"
local errors = require "twilio.errors"
local defaults = require "twilio.defaults"
local curl = require "twilio.transport.curl"

local NGX = rawget(_G, "ngx")
if type(NGX) ~= "table" or type(NGX.get_phase) ~= "function" then NGX = nil end
-- the cosocket transport can only be loaded inside nginx (it reads ngx.socket)
local cosocket = NGX and type(NGX.socket) == "table" and require "twilio.transport.ngx" or nil

local type, error, tostring, pcall, setmetatable, rawget = type, error, tostring, pcall, setmetatable, rawget
local co_create, co_resume, co_yield, co_running, co_status =
  coroutine.create, coroutine.resume, coroutine.yield, coroutine.running, coroutine.status
local min, max, ceil, floor = math.min, math.max, math.ceil, math.floor
local ipairs = ipairs
local fmt = string.format
local monotonic = core.monotonic

local _M = {}

local COSOCKET_PHASES = {
  rewrite = true, access = true, content = true, timer = true,
  ssl_cert = true, ssl_session_fetch = true, ssl_client_hello = true,
}

local IDLE = 1   -- s: the longest single wait of a group's loop (it wakes earlier on any event)

-- What a group's task yields to the loop: private tables, so a task that
-- ends (whatever it returns) is never taken for a request or a sleep.
local REQUEST, SLEEP = {}, {}

-- The ngx table when the current nginx phase may yield (cosockets, ngx.sleep).
local function yieldable_ngx()
  if NGX and COSOCKET_PHASES[NGX.get_phase()] then return NGX end
  return nil
end
_M.yieldable_ngx = yieldable_ngx

local function is_transport(t)
  if type(t) ~= "table" and type(t) ~= "userdata" then return false end
  local ok, f = pcall(function() return t.request end)
  return ok and type(f) == "function"
end

local Runtime = {}
Runtime.__index = Runtime

-- new{ transport =, ca_file = } -> runtime. A transport that is none of
-- "curl", "ngx" or an object with a request function raises (misuse).
function _M.new(opts)
  opts = opts or {}
  local choice = opts.transport
  -- running_group: the group whose wait() runs (false: none; read on every
  -- call, so found without __index)
  local self = setmetatable({ ca_file = opts.ca_file, running_group = false, direct = false }, Runtime)
  if choice ~= nil and type(choice) ~= "string" then
    if not is_transport(choice) then
      error("twilio: transport must be \"curl\", \"ngx\" or an object with a request function", 3)
    end
    self.kind, self.custom = "custom", choice
    local ok, name = pcall(function() return choice.name end)
    self.name = ok and type(name) == "string" and name or "custom"
  elseif choice == "curl" or (choice == nil and not NGX) then
    self.kind, self.name = "curl", "curl"
  elseif choice == "ngx" or choice == nil then
    self.kind, self.name = "ngx", "ngx"
  else
    error(fmt("twilio: unknown transport '%s' (use \"curl\", \"ngx\" or an object)", choice), 3)
  end
  return self
end

function Runtime:__tostring()
  return "twilio.Runtime: " .. self.name
end

-- rt.direct: what rt:handle() answers, as a field the per-call path reads
-- without a call: the kept libcurl transport's handle on a curl runtime
-- while no group runs, else false. Set again whenever one of those changes
-- (the transport kept or closed, a group's wait begun or ended).
local function set_direct(self)
  local t = self.curl_t
  self.direct = self.kind == "curl" and not self.running_group and t and t.handle or false
end

-- The client's libcurl transport: one, kept, except in nginx's init phase.
function Runtime:curl()
  local t = self.curl_t
  if t then return t end
  t = curl.new{ ca_file = self.ca_file }
  if not (NGX and NGX.get_phase() == "init") then
    self.curl_t = t
    set_direct(self)
  end
  return t
end

-- The transport for a call made now, outside a group's coroutine.
local function direct(self)
  local kind = self.kind
  if kind == "custom" then return self.custom end
  if kind == "curl" then return self:curl() end
  if not NGX or not cosocket then
    return nil, errors.new("invalid", "twilio: transport 'ngx' needs nginx with lua-nginx-module (ngx.socket.tcp)")
  end
  local phase = NGX.get_phase()
  if COSOCKET_PHASES[phase] then
    local t = self.ngx_t
    if not t then
      t = cosocket.new{ ssl_verify = defaults.ssl_verify }
      self.ngx_t = t
    end
    return t
  end
  if phase == "init" then return self:curl() end
  return nil, errors.new("invalid", fmt("twilio: no non-blocking transport in phase '%s'; " ..
    "use ngx.timer.at(0, fn) or pass transport=", tostring(phase)))
end

-- A coroutine group's transport: each request yields to the group's loop.
-- req.primed = { res, terr }: the answer of this request, already sent
-- through the group by twilio.bulk's lane; given back once, as this
-- attempt's, instead of sending again.
local Yielding = { name = "curl-multi" }
function Yielding.request(_, req)
  local primed = req.primed
  if primed then
    req.primed = nil
    return primed[1], primed[2]
  end
  return co_yield(REQUEST, req)
end

-- group_request(tmpl, url) -> res | nil, terr: the request tmpl, to url,
-- sent through the running coroutine group's multi handle (call it only
-- from a task of a group of a curl runtime: rt:in_group()). The multi
-- reads tmpl once and keeps its checked copy (m:add(id, tmpl, url)): the
-- caller never changes it. twilio.bulk's lane.
function _M.group_request(tmpl, url)
  return co_yield(REQUEST, tmpl, url)
end

-- rt:transport() -> t | nil, err
function Runtime:transport()
  local g = self.running_group
  if not g then
    local t = self.curl_t           -- the usual case: a single call through libcurl
    if t and self.kind == "curl" then return t end
  elseif g.tasks[co_running() or false] then
    -- libcurl (also nginx's init phase): the group's multi handle; a custom
    -- transport: its own calls, each task in turn
    if self.kind == "curl" or (self.kind == "ngx" and NGX and NGX.get_phase() == "init") then
      return Yielding
    end
  end
  return direct(self)
end

-- The client's own libcurl easy handle when a call made now would go to it
-- (the curl runtime, no group running), else nil: twilio.client's fused
-- call (core.call_record) performs on it directly.
function Runtime:handle()
  if self.kind ~= "curl" or self.running_group then return nil end
  return (self.curl_t or self:curl()).handle
end
-- the same, as a function: twilio.client's per-call path calls it when
-- rt.direct is false, without looking the method up through the runtime's
-- metatable
_M.handle = Runtime.handle

function Runtime:request(req)
  local t, err = self:transport()
  if not t then return nil, err end
  return t:request(req)
end

function Runtime:sleep(seconds)
  local g = self.running_group
  if g and g.tasks[co_running() or false] then return co_yield(SLEEP, seconds) end
  local ngx = yieldable_ngx()
  if ngx then return ngx.sleep(seconds) end
  return core.sleep(seconds)
end

-- The User-Agent: this library, its version, the Lua VM and the transport.
function Runtime:user_agent(extra)
  local jit = rawget(_G, "jit")
  local vm = jit and jit.version or _VERSION
  local via
  if self.kind == "curl" then
    via = (core.curl_version and core.curl_version() or "libcurl"):match("^(%S+)")
  elseif self.kind == "ngx" then
    local v = NGX and NGX.config and NGX.config.ngx_lua_version
    via = v and fmt("ngx_lua/%d.%d.%d cosockets", floor(v / 1000000), floor(v / 1000) % 1000, v % 1000)
      or "ngx_lua cosockets"
  else
    via = self.name:sub(1, 40):gsub("[^%w._/-]", "_") .. " transport"
  end
  local ua = fmt("twilio-numbers/%s (%s; %s)", core._VERSION, vm, via)
  if extra then ua = ua .. " " .. extra end
  return ua
end

function Runtime:close()
  local t = self.curl_t
  self.curl_t = nil
  set_direct(self)
  if t then t:close() end
end

---------------------------------------------------------------- groups

-- ngx.thread group: each fn a light thread on the nginx event loop.
local Threads = {}
Threads.__index = Threads

function Threads:spawn(fn)
  local th, err = self.ngx.thread.spawn(fn)
  if not th then error("twilio: ngx.thread.spawn failed: " .. tostring(err), 2) end
  self.threads[#self.threads + 1] = th
end

function Threads.close() end

function Threads:wait()
  local failed
  for k = 1, #self.threads do
    local ok, err = self.ngx.thread.wait(self.threads[k])
    if not ok and not failed then failed = err end
  end
  self.threads = {}
  if failed then error(failed, 0) end
end

-- coroutine group: one loop drives every coroutine, their requests (libcurl
-- multi) and their sleeps.
local Coroutines = {}
Coroutines.__index = Coroutines

function Coroutines:spawn(fn)
  local co = co_create(fn)
  self.tasks[co] = true
  self.start[#self.start + 1] = co
end

-- The group's libcurl multi handle (made on first use): its requests go
-- there; twilio.bulk's fast phase (core.lane_run) drives it before wait,
-- so its connections serve the tasks after. g:close() frees it
-- (idempotent; wait does it too).
function Coroutines:multi_handle()
  local m = self.multi
  if not m then
    m = core.curl_multi_new{ max_connections = self.n, ca_file = self.rt.ca_file }
    self.multi = m
  end
  return m
end

function Coroutines:close()
  local m = self.multi
  self.multi = nil
  if m then m:close() end
end

function Coroutines:wait()
  local rt = self.rt
  if rt.running_group then error("twilio: a runtime group is already running", 2) end
  rt.running_group = self
  set_direct(rt)
  local ok, err = pcall(self.loop, self)
  rt.running_group = false
  set_direct(rt)
  self:close()
  self.tasks, self.start, self.sleepers = {}, {}, {}
  if not ok then error(err, 0) end
end

-- Resume co with ...; route what it yields. A request goes to the multi
-- handle under co itself (m:add's id), so its answer names the coroutine.
function Coroutines:resume(co, ...)
  local ok, what, a, url = co_resume(co, ...)
  if what == REQUEST then
    local m = self.multi or self:multi_handle()
    local added, aerr = m:add(co, a, url)
    if not added then
      self.ready[#self.ready + 1] = { co, nil, aerr }   -- resumed with the error next turn
    end
    return
  elseif what == SLEEP and ok then
    self.sleepers[#self.sleepers + 1] = { co = co, at = monotonic() + (a or 0) }
    return
  end
  if co_status(co) == "dead" then
    self.tasks[co] = nil
    self.live = self.live - 1
    if not ok then error(what, 0) end
    return
  end
  error("twilio: a task yielded outside the library (" .. tostring(what) .. ")", 0)
end

function Coroutines:loop()
  self.live = #self.start
  local start = self.start
  self.start = {}
  for i = 1, #start do self:resume(start[i]) end
  local done = {}        -- m:poll's out: co, res, err per finished request
  while self.live > 0 do
    local ready = self.ready
    if #ready > 0 then
      self.ready = {}
      for i = 1, #ready do self:resume(ready[i][1], ready[i][2], ready[i][3]) end
    end
    -- the clock is read, and tables made, only when a task sleeps
    local sleepers = self.sleepers
    local wait = IDLE
    if #sleepers > 0 then
      local now = monotonic()
      for _, s in ipairs(sleepers) do wait = min(wait, max(0, s.at - now)) end
    end
    if #self.ready > 0 then wait = 0 end
    local m = self.multi
    if m and m:pending() > 0 then
      -- returns as soon as a request finishes, or after `wait`
      local n = m:poll(ceil(wait * 1000), done)
      for k = 1, 3 * n, 3 do
        local co, res, err = done[k], done[k + 1], done[k + 2]
        done[k], done[k + 1], done[k + 2] = nil, nil, nil   -- out keeps no answer
        self:resume(co, res, err)
      end
    elseif wait > 0 and self.live > 0 then
      if #self.sleepers == 0 then error("twilio: bulk tasks wait on nothing (internal error)", 0) end
      core.sleep(wait)        -- nothing in flight: sleep until the next sleeper is due
    end
    sleepers = self.sleepers
    if #sleepers > 0 then
      local now = monotonic()
      local still, due = {}, {}
      for _, s in ipairs(sleepers) do
        if s.at <= now then due[#due + 1] = s.co else still[#still + 1] = s end
      end
      self.sleepers = still
      for i = 1, #due do self:resume(due[i]) end
    end
  end
end

-- rt:group(n) -> a group that runs spawned functions in parallel, with at
-- most n requests in flight (n also caps libcurl's connections).
function Runtime:group(n)
  n = n or defaults.concurrency
  local ngx = yieldable_ngx()
  if ngx and ngx.thread then
    return setmetatable({ ngx = ngx, threads = {} }, Threads)
  end
  return setmetatable({ rt = self, n = n, tasks = {}, start = {}, sleepers = {},
                        ready = {}, live = 0 }, Coroutines)
end

-- Whether the running coroutine is one of the running group's (for tests
-- and for bulk's 429 pause).
function Runtime:in_group()
  local g = self.running_group
  return g and g.tasks[co_running() or false] == true or false
end

return _M
