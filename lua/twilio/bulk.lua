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
local core = require "twilio.core"
local errors = require "twilio.errors"
local defaults = require "twilio.defaults"

local co_running = coroutine.running
local type, error, pairs, tostring, pcall, setmetatable, min, floor =
  type, error, pairs, tostring, pcall, setmetatable, math.min, math.floor

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

function _M.run(client, tasks, opts)
  if type(tasks) ~= "table" then error("twilio: bulk(tasks): an array of functions expected", 3) end
  for i = 1, #tasks do
    if type(tasks[i]) ~= "function" then error("twilio: bulk: task " .. i .. " is not a function", 3) end
  end
  local conc, on_progress = _M.check_options(opts, "bulk")
  if client.batch then error("twilio: bulk calls do not nest", 3) end
  local total, next_task, done = #tasks, 1, 0
  local results = {}
  local batch = setmetatable({ paused_until = 0, members = {}, runtime = client.runtime }, Batch)
  local function worker()
    batch.members[co_running()] = true
    while next_task <= total do
      local i = next_task
      next_task = i + 1
      local r = result_of(pcall(tasks[i]))
      results[i] = r
      done = done + 1
      if on_progress then on_progress(done, total, i, r) end
    end
  end
  local group = client.runtime:group(conc)
  client.batch = batch
  local ok, err = pcall(function()
    for _ = 1, min(conc, total) do group:spawn(worker) end
    group:wait()
  end)
  client.batch = nil
  if not ok then error(err, 0) end
  return results
end

return _M
