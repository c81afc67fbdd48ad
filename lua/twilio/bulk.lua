-- twilio.bulk: many calls in parallel, with a concurrency limit, results and
-- errors per item, a progress callback, and 429 backoff shared by every
-- request in flight.
--
--   local results = client:bulk(tasks, { concurrency = 16, on_progress = fn })
--     tasks: an array of functions; each makes ordinary library calls
--            (n:update{...}, numbers:fetch(sid), ...) and returns value, err
--     results[i] = { ok = true, value = v } | { ok = false, error = err }
--     on_progress(done, total, i, result) after each task
--   numbers:update_many(targets, params, opts)   -- targets: numbers or SIDs;
--     params: a table, or function(target, i) -> table
--
-- How: outside nginx each task runs in a coroutine; its transport calls
-- yield the request to a scheduler that drives libcurl's multi interface
-- (core.curl_multi_new) and resumes the task when its response arrives, so
-- retries, purchase recovery and validation work unchanged. Inside nginx each
-- worker is an ngx.thread using the cosocket transport. A 429 pauses new
-- requests of the whole batch until its Retry-After (or backoff) has passed.
local core = require "twilio.core"
local errors = require "twilio.errors"

local co_create, co_resume, co_yield, co_running, co_status =
  coroutine.create, coroutine.resume, coroutine.yield, coroutine.running, coroutine.status
local type, error, pairs, tostring, max, min, floor = type, error, pairs, tostring, math.max, math.min, math.floor

local _M = {}

-- A task's outcome as a result entry: it raised (ok false), or returned v, e.
local function result_of(ok, v, e)
  if not ok then
    return { ok = false, error = errors.is(v) and v or errors.new("invalid", "task raised: " .. tostring(v)) }
  end
  if v == nil and e ~= nil then return { ok = false, error = e } end
  return { ok = true, value = v }
end

local Scheduler = {}
Scheduler.__index = Scheduler

local function new_scheduler(client, opts)
  return setmetatable({ client = client, paused_until = 0, tasks = {}, opts = opts }, Scheduler)
end

-- Called by the client before each request of a bulk task, and after a 429.
function Scheduler:wait_turn()
  local now = core.now()
  if self.paused_until > now then self:sleep(self.paused_until - now) end
end

function Scheduler:saw_429(delay)
  local until_ = core.now() + (delay or 1)
  if until_ > self.paused_until then self.paused_until = until_ end
end

-- Whether the running coroutine is one of this scheduler's tasks.
function Scheduler:owns_current()
  local co = co_running()
  return co ~= nil and self.tasks[co] ~= nil
end

---------------------------------------------------------------- libcurl multi

local CoTransport = {}
CoTransport.__index = CoTransport

function CoTransport.request(_, req)
  local res, err = co_yield("request", req)
  return res, err
end

function Scheduler:sleep(seconds)
  if self.ngx then return self.ngx.sleep(seconds) end
  co_yield("sleep", seconds)
end

local function run_multi(self, tasks, results)
  local concurrency = self.opts.concurrency
  local multi = core.curl_multi_new{ max_connections = concurrency, ca_file = self.client.ca_file }
  local total, next_task, running, done_count = #tasks, 1, 0, 0
  local waiting, sleepers, queued = {}, {}, {}
  local next_id = 0
  local on_progress = self.opts.on_progress
  self.transport = setmetatable({}, CoTransport)

  local resume   -- forward

  local function finish(i, ok, v, e)
    local r = result_of(ok, v, e)
    results[i] = r
    running, done_count = running - 1, done_count + 1
    if on_progress then on_progress(done_count, total, i, r) end
  end

  local function dispatch(co, req)
    next_id = next_id + 1
    multi:add(next_id, req)
    waiting[next_id] = co
  end

  resume = function(co, ...)
    local i = self.tasks[co]
    local ok, what, a, b = co_resume(co, ...)
    if co_status(co) == "dead" then
      self.tasks[co] = nil
      finish(i, ok, what, a)
      return
    end
    if what == "request" then
      if self.paused_until > core.now() then queued[#queued + 1] = { co, a } else dispatch(co, a) end
    elseif what == "sleep" then
      sleepers[#sleepers + 1] = { co = co, at = core.now() + a }
    else
      error("twilio.bulk: a task yielded outside the library (" .. tostring(what) .. ", " .. tostring(b) .. ")")
    end
  end

  while true do
    while running < concurrency and next_task <= total do
      local i, fn = next_task, tasks[next_task]
      next_task, running = next_task + 1, running + 1
      local co = co_create(fn)
      self.tasks[co] = i
      resume(co)
    end
    if running == 0 and next_task > total then break end
    local now = core.now()
    -- requests held back by a shared 429 pause
    if #queued > 0 and self.paused_until <= now then
      local q = queued
      queued = {}
      for _, e in ipairs(q) do dispatch(e[1], e[2]) end
    end
    local wait = 0.25
    for _, s in ipairs(sleepers) do wait = min(wait, max(0, s.at - now)) end
    if #queued > 0 then wait = min(wait, max(0, self.paused_until - now)) end
    local finished = multi:poll(floor(wait * 1000))
    for _, d in ipairs(finished) do
      local co = waiting[d.id]
      waiting[d.id] = nil
      resume(co, d.res, d.err)
    end
    now = core.now()
    local still = {}
    for _, s in ipairs(sleepers) do
      if s.at <= now then resume(s.co) else still[#still + 1] = s end
    end
    sleepers = still
  end
  multi:close()
end

---------------------------------------------------------------- nginx threads

local function run_ngx(self, tasks, results, ngx)
  local concurrency = self.opts.concurrency
  local total, next_task, done_count = #tasks, 1, 0
  local on_progress = self.opts.on_progress
  self.ngx = ngx
  local function worker()
    self.tasks[co_running()] = true
    while next_task <= total do
      local i = next_task
      next_task = i + 1
      local r = result_of(pcall(tasks[i]))
      results[i] = r
      done_count = done_count + 1
      if on_progress then on_progress(done_count, total, i, r) end
    end
  end
  local threads = {}
  for k = 1, min(concurrency, total) do threads[k] = ngx.thread.spawn(worker) end
  for k = 1, #threads do ngx.thread.wait(threads[k]) end
end

---------------------------------------------------------------- entry points

local BULK_OPTS = { concurrency = "number", on_progress = "function" }

function _M.run(client, tasks, opts)
  if type(tasks) ~= "table" then error("twilio: bulk(tasks): an array of functions expected", 3) end
  for i = 1, #tasks do
    if type(tasks[i]) ~= "function" then error("twilio: bulk: task " .. i .. " is not a function", 3) end
  end
  opts = opts or {}
  for k, v in pairs(opts) do
    if BULK_OPTS[k] == nil then error("twilio: unknown bulk option '" .. tostring(k) .. "'", 3) end
    if type(v) ~= BULK_OPTS[k] then error("twilio: bulk option '" .. k .. "' must be a " .. BULK_OPTS[k], 3) end
  end
  local conc = opts.concurrency or 8
  if conc < 1 or conc > 256 or conc ~= floor(conc) then
    error("twilio: bulk concurrency must be an integer from 1 to 256", 3)
  end
  if client.scheduler then error("twilio: bulk calls do not nest", 3) end
  local self = new_scheduler(client, { concurrency = conc, on_progress = opts.on_progress })
  local results = {}
  client.scheduler = self
  local ngx = rawget(_G, "ngx")
  local in_nginx = ngx and ngx.get_phase and ngx.get_phase() ~= "init" and ngx.thread
  local ok, err = pcall(in_nginx and run_ngx or run_multi, self, tasks, results, ngx)
  client.scheduler = nil
  if not ok then error(err, 0) end
  return results
end

-- The transport for a call made by a bulk task (nil: not in a bulk task).
function _M.transport_for(client)
  local s = client.scheduler
  if s and not s.ngx and s:owns_current() then return s.transport end
  return nil
end

return _M
