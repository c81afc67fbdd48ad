-- The heap a bulk call touches: update_many's fast phase (src/ltw_lane.c)
-- against a server that answers at once (a local nginx, helpers.static_server),
-- counted in fresh-page faults per update (/proc/self/stat minflt), in a
-- child process (busted's own heap would pace the collector).
--
-- What it guards: libcurl mallocs a transfer's receive buffer when the
-- transfer starts and frees it when it ends; the records a bulk call keeps
-- take the freed holes, so with 16 transfers of libcurl's default 16 KiB
-- the top of the heap is freed 256 KiB at a time, glibc gives it back to
-- the system (its trim threshold is 128 KiB) and touches it again for the
-- next transfers. The multi sizes the buffer by its connection count
-- instead (src/tw_curl.c, MULTI_BUF_TOTAL). Against this server, 2,100
-- minus 100 updates kept, faults per update: 5.4 0.61-0.62 with it,
-- 0.65-1.06 without (red in 2 runs of 3); LuaJIT 0.65 with it, 0.92-0.97
-- without (red every time). A weak guard: the integrator's runs at 9c6b3b2,
-- the lower of two measurements, gave 0.58 / 0.62 with it and 0.73 (5.4,
-- green) / 0.80 (LuaJIT, red at the limit) without; the limits stay where
-- a quiet run with the sizing cannot reach them. TWILIO_TEST_VERBOSE=1
-- prints the figure.
local server = require "helpers.static_server"
local child = require "helpers.child"

local CHILD = [=[
local twilio = require "twilio"
local base, conc = arg[1], tonumber(arg[2])
local function minflt()
  local s = assert(io.open("/proc/self/stat")):read("a")
  local f = {}
  for w in s:match("%) (.*)$"):gmatch("%S+") do f[#f + 1] = w end
  return tonumber(f[8])                   -- field 10 of stat: minor faults
end
local client = assert(twilio.new{ account_sid = "AC" .. ("0"):rep(30) .. "99", auth_token = "t",
                                  base_url = base })
local numbers = client.incoming_phone_numbers
local params = { friendly_name = "heap", voice_url = "https://example.com/heap" }
local function targets(n)
  local t = {}
  for i = 1, n do t[i] = ("PN%032x"):format(i) end
  return t
end
local n = tonumber(arg[3])
local before = minflt()
local kept = numbers:update_many(targets(n), params, { concurrency = conc })
local after = minflt()
for i = 1, n do
  local r = kept[i]
  assert(r.ok and r.value.method == "POST" and r.value.sid == ("PN%032x"):format(i), "update " .. i)
end
client:close()
io.write(after - before)
]=]

describe("update_many's fast phase", function()
  local srv

  setup(function() srv = assert(server.start()) end)
  teardown(function() if srv then srv:stop() end end)

  local function faults(conc, n)
    local out, ok = child.run(CHILD, srv.url, conc, n)
    assert(ok, out)
    return assert(tonumber(out), out)
  end

  it("keeps 2,000 records without giving the heap back and faulting it in again", function()
    if os.getenv("TWILIO_TEST_ASAN") then return pending("ASan's allocator is not glibc's") end
    if not io.open("/proc/self/stat") then return pending("needs /proc/self/stat") end
    local jit = child.vm() == "luajit"
    local limit = jit and 0.8 or 0.75
    -- the lower of two measurements: how transfers meet in a poll moves the
    -- count by a few hundredths run to run (and more on a loaded machine);
    -- without the sizing every run is high
    local f = math.huge
    for _ = 1, 2 do f = math.min(f, (faults(16, 2100) - faults(16, 100)) / 2000) end
    if os.getenv("TWILIO_TEST_VERBOSE") then io.stderr:write("FAULTS ", f, "\n") end
    assert.is_true(f < limit, ("%.3f page faults per update (limit %.2f)"):format(f, limit))
  end)
end)
