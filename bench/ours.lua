-- bench/ours.lua -- the jobs of `make bench` through require "twilio".
--
--   LUA_PATH="lua/?.lua;;" LUA_CPATH="build/5.4/?.so;;" \
--     lua5.4 bench/ours.lua JOB BASE_URL ACCOUNT_SID AUTH_TOKEN [N] [SIDS_FILE]
--   (and the same under luajit with build/jit)
--
-- JOB: list-all (numbers:each{ page_size = 1000 }, reading sid and
-- phone_number), fetch (N x numbers:fetch(sid)), update (N x
-- numbers:update(sid, { voice_url, friendly_name })), update-concurrent
-- (numbers:update_many(sids, params, { concurrency = 16 })).
-- Prints the line bench/baseline.c prints, plus the Lua heap peak:
--   result job=… impl=ours seconds=… maxrss_kb=… items=… requests=… errors=… lua_peak_kb=…
-- maxrss_kb is VmHWM from /proc/self/status, read at the end.
local twilio = require "twilio"

local _M = {}

local clock = require("twilio.core").monotonic
local fmt = string.format

local VOICE_URL = "https://example.com/bench/voice"
local FRIENDLY = "bench updated"

local function vm_hwm_kb()
  local f = io.open("/proc/self/status")
  if not f then return 0 end
  local s = f:read("*a")
  f:close()
  return tonumber(s:match("VmHWM:%s*(%d+)")) or 0
end

local function read_sids(file)
  local sids = {}
  for line in io.lines(file) do
    if line ~= "" then sids[#sids + 1] = line end
  end
  assert(#sids > 0, "no sids in " .. file)
  return sids
end

-- Each job returns items, requests, errors, lua_peak_kb.
local jobs = {}

function jobs.list_all(numbers)
  local items, peak = 0, 0
  local collect = collectgarbage
  for n in numbers:each{ page_size = 1000 } do
    local sid, phone = n.sid, n.phone_number
    if sid and phone then items = items + 1 end
    if items % 1000 == 1 then          -- first item of a page: just after a parse
      local kb = collect("count")
      if kb > peak then peak = kb end
    end
  end
  return items, math.ceil(items / 1000), 0, peak
end

local function sequential(numbers, n, sids, update)
  local items, errors, nsids = 0, 0, #sids
  local params = { voice_url = VOICE_URL, friendly_name = FRIENDLY }
  for i = 1, n do
    local sid = sids[(i - 1) % nsids + 1]
    local rec, err
    if update then rec, err = numbers:update(sid, params) else rec, err = numbers:fetch(sid) end
    if rec and rec.sid then items = items + 1 else errors = errors + 1; _M.last_error = err end
  end
  return items, n, errors, collectgarbage("count")
end

function jobs.fetch(numbers, n, sids) return sequential(numbers, n, sids, false) end
function jobs.update(numbers, n, sids) return sequential(numbers, n, sids, true) end

function jobs.update_concurrent(numbers, n, sids)
  local targets, nsids = {}, #sids
  for i = 1, n do targets[i] = sids[(i - 1) % nsids + 1] end
  local results = numbers:update_many(targets, { voice_url = VOICE_URL, friendly_name = FRIENDLY },
                                      { concurrency = 16 })
  local items, errors = 0, 0
  for i = 1, n do
    local r = results[i]
    if r and r.ok and r.value.sid then items = items + 1 else errors = errors + 1; _M.last_error = r and r.error end
  end
  return items, n, errors, collectgarbage("count")
end

-- BENCH_LUA_GC: the host's collector setting for the run, e.g.
-- "incremental" or "generational,20,50" (collectgarbage's own arguments);
-- unset: the VM's default (the lua5.4 interpreter: generational, 20, 100).
local function set_gc(spec)
  if not spec or spec == "" then return end
  local args = {}
  for w in spec:gmatch("[^,]+") do args[#args + 1] = tonumber(w) or w end
  collectgarbage(table.unpack(args))
end

function _M.main(argv)
  set_gc(os.getenv("BENCH_LUA_GC"))
  local job, base, acct, token = argv[1], argv[2], argv[3], argv[4]
  local n = tonumber(argv[5] or "0")
  local sids = argv[6] and read_sids(argv[6]) or nil
  local fn = job and jobs[job:gsub("-", "_")]
  if not (fn and base and acct and token) then
    io.stderr:write("usage: ours.lua JOB BASE_URL ACCOUNT_SID AUTH_TOKEN [N] [SIDS_FILE]\n")
    return 2
  end
  local client = assert(twilio.new{ account_sid = acct, auth_token = token, base_url = base })
  local numbers = client.incoming_phone_numbers
  local t0 = clock()
  local items, requests, errors, peak = fn(numbers, n, sids)
  local dt = clock() - t0
  client:close()
  local vm = rawget(_G, "jit") and "jit" or "5.4"
  print(fmt("result job=%s impl=ours-%s seconds=%.6f maxrss_kb=%d items=%d requests=%d errors=%d lua_peak_kb=%d",
            job, vm, dt, vm_hwm_kb(), items, requests, errors, math.floor(peak)))
  if errors > 0 and _M.last_error then io.stderr:write("ours: last error: ", tostring(_M.last_error), "\n") end
  return errors > 0 and 1 or 0
end

if arg and arg[0] and arg[0]:match("ours%.lua$") then
  os.exit(_M.main(arg))
end

return _M
