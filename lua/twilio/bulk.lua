-- twilio.bulk: many calls in parallel, with a concurrency limit, results and
-- errors per item, a progress callback, and a 429 pause shared by every
-- request of the batch.
--
--   local results = client:bulk(tasks, { concurrency = 16, on_progress = fn })
--     tasks: an array of functions; each makes ordinary library calls
--            (n:update{...}, numbers:fetch(sid), ...) and returns value, err
--     results[i] = { ok = true, value = v } | { ok = false, error = err }
--     on_progress(done, total, i, result) after each task
--   numbers:update_many / release_many / fetch_many (twilio.list) build tasks
--   and call this.
--
-- How: `concurrency` workers are spawned in a group of the client's runtime
-- (twilio.runtime: coroutines over libcurl's multi interface, or ngx.threads
-- on cosockets inside nginx); each takes the next task until none is left.
-- A task's calls go through the client as usual, so retries, purchase
-- recovery and validation work unchanged; the runtime routes its requests
-- and sleeps. A 429 pauses new requests of the whole batch until its
-- Retry-After (or 1 s) has passed: the client asks the batch before each
-- request (client.batch:wait_turn) and tells it about a 429 (saw_429).
-- update_many with one params table, and fetch_many, send their plain
-- requests through the batch's lane instead (_M.lane below): same answers,
-- fewer steps. On libcurl the lane starts with a fast phase (run_each's
-- `fast`, core.lane_run in src/ltw_lane.c): one C call drives the group's
-- multi handle over the SID targets, up to `concurrency` in flight, and
-- makes each 2xx JSON answer its record; the first other answer ends it,
-- and the workers take that answer (as a first attempt) and every target
-- not done, as described above.
local core = require "twilio.core"
local errors = require "twilio.errors"
local defaults = require "twilio.defaults"
local runtime = require "twilio.runtime"

local co_running = coroutine.running
local type, error, pairs, tostring, pcall, setmetatable, min, floor =
  type, error, pairs, tostring, pcall, setmetatable, math.min, math.floor
local group_request = runtime.group_request

local _M = {}

-- A task's outcome as a result entry: it raised (ok false), or returned v, e.
local function result_of(ok, v, e)
  if not ok then
    return { ok = false, error = errors.is(v) and v or errors.new("invalid", "task raised: " .. tostring(v)) }
  end
  if v == nil and e ~= nil then return { ok = false, error = e } end
  return { ok = true, value = v }
end

local Batch = {}
Batch.__index = Batch

-- Whether the running coroutine is one of this batch's workers.
function Batch:owns_current()
  local co = co_running()
  return co ~= nil and self.members[co] == true
end

-- Called by the client before each request of a worker.
function Batch:wait_turn()
  if self.paused_until == 0 then return end    -- no 429 yet: no clock read
  local now = core.now()
  if self.paused_until > now then self.runtime:sleep(self.paused_until - now) end
end

function Batch:saw_429(delay)
  local until_ = core.now() + (delay or 1)
  if until_ > self.paused_until then self.paused_until = until_ end
end

local BULK_OPTS = { concurrency = "number", on_progress = "function" }

-- check_options(opts, where) -> concurrency, on_progress (raises on misuse)
function _M.check_options(opts, where)
  opts = opts or {}
  if type(opts) ~= "table" then error(("twilio: %s: options must be a table"):format(where), 3) end
  for k, v in pairs(opts) do
    if BULK_OPTS[k] == nil then error(("twilio: unknown bulk option '%s'"):format(tostring(k)), 3) end
    if type(v) ~= BULK_OPTS[k] then error(("twilio: bulk option '%s' must be a %s"):format(k, BULK_OPTS[k]), 3) end
  end
  local conc = opts.concurrency or defaults.concurrency
  if conc < 1 or conc > defaults.max_concurrency or conc ~= floor(conc) then
    error(("twilio: bulk concurrency must be an integer from 1 to %d"):format(defaults.max_concurrency), 3)
  end
  return conc, opts.on_progress
end

-- request_for(tmpl, url) -> a request table: tmpl's fields (a request
-- built by cfg:build), to url (cfg:rebuild_url).
function _M.request_for(tmpl, url)
  local req = {}
  for k, v in pairs(tmpl) do req[k] = v end
  req.url = url
  return req
end

-- The batch's lane for requests built alike (twilio.list's update_many with
-- one params table, fetch_many): lane(client, call_opts, tmpl) -> send,
-- sent | nil, where send(url[, primed]) -> res, nil, retries | nil, err, as
-- client:send(request_for(tmpl, url), call_opts) gives, and sent is tmpl
-- with the client's limits (client:set_limits), the table the multi reads.
-- nil when the lane cannot apply to this batch at all: a transport other
-- than libcurl (custom, nginx cosockets), a debug hook (it wants a line
-- per attempt, with its time), or a request client:send sends on a fresh
-- connection (not idempotent, or a DELETE). Per request, the lane applies
-- only inside a coroutine group's task (libcurl's multi handle) while no
-- 429 has paused the batch. Then the first attempt is `sent` itself,
-- handed to the group's multi with the URL beside it (runtime.group_request:
-- the multi checks it once, not per request, and no request table is
-- made), and a 2xx answer is returned with 0 retries. Any other answer,
-- or error, is handed to client:send as its first attempt's (req.primed,
-- runtime.lua), so the retries, the 429 pause, on_retry and the errors'
-- wording are client:send's own. primed = { res, terr }: that first
-- attempt was made already (by the fast phase, core.lane_run) and is
-- taken as above. Otherwise client:send does it all.
function _M.lane(client, call_opts, tmpl)
  local rt = client.runtime
  if rt.kind ~= "curl" or client.debug then return nil end
  if not tmpl.idempotent or tmpl.method == "DELETE" then return nil end
  local sent = client:set_limits(_M.request_for(tmpl, tmpl.url), call_opts)
  return function(url, primed)
    local res, terr
    if primed then
      res, terr = primed[1], primed[2]
    else
      local batch = client.batch
      local g = rt.running_group            -- rt:in_group(), without the call
      if not (batch and batch.paused_until == 0 and g and g.tasks[co_running()]) then
        return client:send(_M.request_for(tmpl, url), call_opts)
      end
      res, terr = group_request(sent, url)
    end
    if res then
      local status = res.status
      if status >= 200 and status < 300 then return res, nil, 0 end
    end
    local req = _M.request_for(tmpl, url)
    req.primed = { res, terr }
    return client:send(req, call_opts)
  end, sent
end

-- run_each(client, total, task, opts[, fast]) -> results: task(i) for
-- i = 1..total (each returns value, err, or raises), as run does with
-- tasks[i]; no function per item (twilio.list's *_many).
-- fast(group, results, rest, on_progress, concurrency) -> done | nil: a
-- first phase run before the workers start, with the batch set (no 429
-- yet): it stores results[i] for the targets it finishes, calling
-- on_progress(done, total, i, result) for each, appends to rest every
-- index it leaves to the workers and returns how many it did (twilio.list:
-- core.lane_run on the group's multi handle); nil when it does not apply
-- (the workers take 1..total). A raise from it (on_progress's) is raised
-- again, after the group is closed.
function _M.run_each(client, total, task, opts, fast)
  local conc, on_progress = _M.check_options(opts, "bulk")
  if client.batch then error("twilio: bulk calls do not nest", 3) end
  local done, rest, nrest = 0, nil, total
  local k = 1                             -- the next of rest (or of 1..total)
  local results = core.bulk_results(total)
  local batch = setmetatable({ paused_until = 0, members = {}, runtime = client.runtime }, Batch)
  local function worker()
    batch.members[co_running()] = true
    while k <= nrest do
      local i = k
      if rest then i = rest[k] end
      k = k + 1
      local ok, v, e = pcall(task, i)
      local r
      if ok and (v ~= nil or e == nil) then r = { ok = true, value = v } else r = result_of(ok, v, e) end
      results[i] = r
      done = done + 1
      if on_progress then on_progress(done, total, i, r) end
    end
  end
  local group = client.runtime:group(conc)
  client.batch = batch
  local ok, err = pcall(function()
    if fast and total > 0 then
      local list = {}
      local d = fast(group, results, list, on_progress, conc)
      if d then done, rest, nrest = d, list, #list end
    end
    for _ = 1, min(conc, nrest) do group:spawn(worker) end
    group:wait()
  end)
  client.batch = false
  if not ok then
    group:close()
    error(err, 0)
  end
  return results
end

function _M.run(client, tasks, opts)
  if type(tasks) ~= "table" then error("twilio: bulk(tasks): an array of functions expected", 3) end
  for i = 1, #tasks do
    if type(tasks[i]) ~= "function" then error("twilio: bulk: task " .. i .. " is not a function", 3) end
  end
  return _M.run_each(client, #tasks, function(i) return tasks[i]() end, opts)
end

return _M
