-- Bulk calls over libcurl's multi interface (issue 7): concurrency, results
-- and errors per item, progress, and a 429 that pauses the whole batch.
local emu = require "helpers.emulator"
local core = require "twilio.core"
local unpack = table.unpack or unpack  -- luacheck: ignore

describe("bulk", function()
  local client, numbers, sids

  setup(function() emu.ensure() end)
  teardown(function() emu.stop_if_started() end)

  before_each(function()
    emu.reset()
    emu.seed(emu.account_sid(), 40)
    client = emu.client()
    numbers = client.incoming_phone_numbers
    sids = {}
    for i, n in ipairs(assert(numbers:list())) do sids[i] = n.sid end
  end)

  after_each(function()
    emu.config{ latency_ms = 0 }
    client:close()
  end)

  it("update_many updates every number, in place, with progress", function()
    local list = assert(numbers:list())
    local progress = {}
    local results = numbers:update_many(list, function(_, i) return { friendly_name = "bulk " .. i } end,
      { concurrency = 8, on_progress = function(done, total, i, r)
          progress[#progress + 1] = done
          assert.equals(#list, total)
          assert.is_true(r.ok)
          assert.equals(list[i], r.value)
        end })
    assert.equals(#list, #results)
    for i, r in ipairs(results) do
      assert.is_true(r.ok, tostring(r.error))
      assert.equals("bulk " .. i, list[i].friendly_name)      -- in place
    end
    for i = 1, #list do assert.equals(i, progress[i]) end
    assert.equals("bulk 7", assert(numbers:fetch(list[7].sid)).friendly_name)
  end)

  it("runs requests in parallel up to the concurrency limit", function()
    emu.config{ latency_ms = 100 }
    local t0 = core.monotonic()
    local results = numbers:update_many({ unpack(sids, 1, 16) }, { voice_url = "https://example.com/p" },
                                        { concurrency = 8 })
    local elapsed = core.monotonic() - t0
    for _, r in ipairs(results) do assert.is_true(r.ok, tostring(r.error)) end
    -- 16 requests of 100 ms: about 0.2 s at concurrency 8, 1.6 s one at a time
    assert.is_true(elapsed < 0.9, ("16 updates took %.2f s"):format(elapsed))
    assert.is_true(elapsed >= 0.19, ("16 updates took %.2f s"):format(elapsed))
  end)

  it("reports errors per item and keeps going", function()
    local targets = { sids[1], "PN" .. string.rep("0", 32), sids[2], sids[3] }
    local results = numbers:update_many(targets, function(_, i)
      if i == 4 then return { voice_method = "PUT" } end        -- invalid: never sent
      return { friendly_name = "ok " .. i }
    end, { concurrency = 4 })
    assert.is_true(results[1].ok)
    assert.is_false(results[2].ok)
    assert.equals(404, results[2].error.status)
    assert.is_true(results[3].ok)
    assert.equals("ok 3", results[3].value.friendly_name)
    assert.is_false(results[4].ok)
    assert.equals("invalid", results[4].error.kind)
  end)

  it("client:bulk runs any library calls; a task that raises is an error result", function()
    local tasks = {}
    for i = 1, 10 do tasks[i] = function() return numbers:fetch(sids[i]) end end
    tasks[11] = function() error("boom") end
    tasks[12] = function() return client.available_phone_numbers:search("US", "local", { limit = 2 }) end
    local results = client:bulk(tasks, { concurrency = 5 })
    for i = 1, 10 do
      assert.is_true(results[i].ok)
      assert.equals(sids[i], results[i].value.sid)
    end
    assert.is_false(results[11].ok)
    assert.matches("boom", tostring(results[11].error))
    assert.equals(2, #results[12].value)
    -- the client works normally afterwards
    assert(numbers:fetch(sids[1]))
  end)

  it("a 429 pauses every new request of the batch until Retry-After has passed", function()
    emu.fault{ fault = "status", status = 429, body_type = "json", retry_after = "1",
               method = "POST", path = "IncomingPhoneNumbers/PN", count = 1 }
    local c = emu.client{ retries = 3 }
    local t0 = core.monotonic()
    local retried = 0
    local results = c.incoming_phone_numbers:update_many({ unpack(sids, 1, 12) },
      { friendly_name = "after 429" }, { concurrency = 4 })
    local elapsed = core.monotonic() - t0
    for _, r in ipairs(results) do
      assert.is_true(r.ok, tostring(r.error))
      retried = retried + r.value:call_info().retries
    end
    assert.equals(1, retried)
    assert.is_true(elapsed >= 0.9, ("the batch waited %.2f s"):format(elapsed))
    -- no request was sent during the pause: the 429 was the 1st..4th request,
    -- so at most 3 more (already in flight) can precede the 1 s gap
    local log = emu.requests("IncomingPhoneNumbers/PN")
    assert.equals(13, #log)
    c:close()
  end)

  it("refuses bad options and nested bulk calls", function()
    assert.has_error(function() client:bulk({ 1 }) end)
    assert.has_error(function() client:bulk({}, { concurrency = 0 }) end)
    assert.has_error(function() client:bulk({}, { parallel = 2 }) end)
    local results = client:bulk({ function() return client:bulk({}) end })
    assert.is_false(results[1].ok)
    assert.matches("nest", tostring(results[1].error))
  end)
end)
