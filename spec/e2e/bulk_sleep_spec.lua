-- A bulk batch that waits sleeps (issue 12): while every task waits on a
-- 429's Retry-After or a retry backoff, nothing is in flight, and the loop
-- must sleep instead of polling an empty multi handle in a busy loop (it
-- used to: one Retry-After: 3 in an update_many of 20 numbers cost 2.98 s of
-- CPU in 3.02 s). CPU time is os.clock(): this process only, libcurl included.
local emu = require "helpers.emulator"
local core = require "twilio.core"
local socket = require "socket"

describe("bulk waits sleep, never spin", function()
  local sids

  setup(function() emu.ensure() end)
  teardown(function() emu.stop_if_started() end)

  before_each(function()
    emu.reset()
    emu.seed(emu.account_sid(), 20)
    sids = {}
    local c = emu.client()
    for i, n in ipairs(assert(c.incoming_phone_numbers:list())) do sids[i] = n.sid end
    c:close()
  end)

  it("an update_many held 3 s by a 429's Retry-After costs under 0.3 s of CPU", function()
    emu.fault{ fault = "status", status = 429, body_type = "json", retry_after = "3",
               method = "POST", path = "IncomingPhoneNumbers/PN", count = 1 }
    local c = emu.client{ retries = 3 }
    local cpu0, t0 = os.clock(), core.monotonic()
    local results = c.incoming_phone_numbers:update_many(sids, { friendly_name = "held" }, { concurrency = 8 })
    local cpu, elapsed = os.clock() - cpu0, core.monotonic() - t0
    c:close()
    io.stderr:write(("\n[bulk sleep] update_many of %d held by Retry-After: 3: %.3f s CPU in %.2f s\n")
                    :format(#sids, cpu, elapsed))
    assert.equals(20, #results)
    for _, r in ipairs(results) do assert.is_true(r.ok, tostring(r.error)) end
    assert.is_true(elapsed >= 2.9, ("the batch waited only %.2f s"):format(elapsed))
    assert.is_true(cpu < 0.3, ("%.3f s of CPU while waiting %.2f s"):format(cpu, elapsed))
  end)

  it("40 requests backing off from a dead port cost under 0.3 s of CPU", function()
    local s = assert(socket.bind("127.0.0.1", 0))
    local _, port = s:getsockname()
    s:close()                                   -- nothing listens there now
    local c = emu.client{ base_url = "http://127.0.0.1:" .. port,
                          retries = { max = 2, base = 0.4, cap = 0.4 } }
    local numbers, tasks = c.incoming_phone_numbers, {}
    for i = 1, 40 do
      local sid = sids[(i - 1) % #sids + 1]
      tasks[i] = function() return numbers:fetch(sid) end
    end
    local cpu0, t0 = os.clock(), core.monotonic()
    local results = c:bulk(tasks, { concurrency = 8 })
    local cpu, elapsed = os.clock() - cpu0, core.monotonic() - t0
    c:close()
    io.stderr:write(("\n[bulk sleep] 40 fetches against a dead port: %.3f s CPU in %.2f s\n"):format(cpu, elapsed))
    for _, r in ipairs(results) do
      assert.is_false(r.ok)
      assert.equals(2, r.error.retries)
    end
    assert.is_true(cpu < 0.3, ("%.3f s of CPU while waiting %.2f s"):format(cpu, elapsed))
  end)
end)
