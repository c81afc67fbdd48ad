-- The bulk lane's fast phase (core.lane_run, src/ltw_lane.c): update_many
-- with one params table and fetch_many send their plain SID targets from one
-- C call, and the first answer that is not a 2xx JSON record hands the rest
-- of the batch to the general path (workers, coroutines, retries, the 429
-- pause). Whatever the server does, every result must be the one the
-- general path gives (update_many with a params function: a numbers:update
-- per target), on_progress must see each target once, in completion order,
-- and a raising on_progress must leave nothing behind. core.lane_run is
-- watched (wrapped) to show which phase did what.
local emu = require "helpers.emulator"
local core = require "twilio.core"

local PARAMS = { friendly_name = "bulk lane", voice_url = "https://example.com/lane" }

local function summary(r)
  if r.ok then
    local v = r.value
    return { ok = true, sid = v.sid, friendly_name = v.friendly_name, voice_url = v.voice_url,
             retries = v:call_info().retries }
  end
  local e = r.error
  return { ok = false, kind = e.kind, status = e.status, code = e.code, message = tostring(e),
           retries = e.retries, field = e.field }
end

describe("the bulk lane's fast phase", function()
  local client, numbers, sids
  local lane_run, multi_new, runs, multis

  setup(function() emu.ensure() end)
  teardown(function() emu.stop_if_started() end)

  before_each(function()
    emu.reset()
    emu.clear_faults()
    emu.seed(emu.account_sid(), 12)
    client = emu.client{ retries = 2 }
    numbers = client.incoming_phone_numbers
    sids = {}
    for i, n in ipairs(assert(numbers:list())) do sids[i] = n.sid end
    -- watch the fast phase: each call's done count and what it left
    lane_run, multi_new, runs, multis = core.lane_run, core.curl_multi_new, {}, {}
    core.lane_run = function(...)
      local rest = select(10, ...)
      local done = lane_run(...)
      local left = {}
      for k, i in ipairs(rest) do left[k] = i end
      runs[#runs + 1] = { done = done, rest = left }
      return done
    end
    core.curl_multi_new = function(...)
      local m = multi_new(...)
      multis[#multis + 1] = m
      return m
    end
  end)

  after_each(function()
    core.lane_run, core.curl_multi_new = lane_run, multi_new
    emu.clear_faults()
    client:close()
  end)

  -- The fault (on sids[k] only, for method) through update_many(PARAMS),
  -- then through the general path; both batches' results.
  local function both(fault, opts, k, c)
    c = c or client
    local list = c.incoming_phone_numbers
    local f
    if fault then
      f = {}
      for key, v in pairs(fault) do f[key] = v end
      f.path = f.path or ("IncomingPhoneNumbers/" .. sids[k] .. "%.json")
      f.method = f.method or "POST"
      emu.fault(f)
    end
    local fast = list:update_many(sids, PARAMS, opts)
    emu.clear_faults()
    if f then emu.fault(f) end
    local general = list:update_many(sids, function() return PARAMS end, opts)
    emu.clear_faults()
    return fast, general
  end

  local function same_results(fast, general)
    assert.equals(#sids, #fast)
    assert.equals(#sids, #general)
    for i = 1, #sids do assert.same(summary(general[i]), summary(fast[i]), "target " .. i) end
  end

  it("does a plain batch in one C call: every SID, records as the general path's", function()
    emu.clear_log()
    local fast, general = both(nil, { concurrency = 4 })
    same_results(fast, general)
    assert.equals(1, #runs)
    assert.equals(#sids, runs[1].done)
    assert.same({}, runs[1].rest)
    for i = 1, #sids do
      assert.is_true(fast[i].ok)
      assert.equals(sids[i], fast[i].value.sid)
      assert.equals(0, fast[i].value:call_info().retries)
    end
    assert.equals(2 * #sids, #emu.requests("IncomingPhoneNumbers/PN"))   -- each sent once per batch
  end)

  it("a 500 mid-batch ends the fast phase; the 500 is the first attempt of the retries", function()
    for _, k in ipairs{ 1, 6, 12 } do
      runs = {}
      emu.clear_log()
      local fast, general = both({ fault = "status", status = 500, count = 1 }, { concurrency = 3 }, k)
      same_results(fast, general)
      assert.is_true(fast[k].ok)
      assert.equals(1, fast[k].value:call_info().retries)
      assert.equals(1, #runs)
      assert.is_true(runs[1].done < #sids, "k = " .. k)
      assert.truthy(runs[1].done >= k - 1, "k = " .. k)
      -- the 500's target was sent once by the fast phase, once more as its retry
      local hits = 0
      for _, e in ipairs(emu.requests("IncomingPhoneNumbers/" .. sids[k])) do
        if e.method == "POST" then hits = hits + 1 end
      end
      assert.equals(4, hits)                 -- 2 in each batch
      assert.equals(2 * #sids + 2, #emu.requests("IncomingPhoneNumbers/PN"))
    end
  end)

  it("404, 400 and an HTML 503 mid-batch fail as the general path fails them", function()
    for _, fault in ipairs{
      { fault = "status", status = 404 },
      { fault = "status", status = 400 },
      { fault = "status", status = 503, body_type = "html", count = 3 },
    } do
      local fast, general = both(fault, { concurrency = 4 }, 5)
      same_results(fast, general)
      assert.is_false(fast[5].ok)
    end
  end)

  it("a 429 with Retry-After mid-batch pauses the batch and is retried, as the general path does", function()
    local t0 = core.monotonic()
    numbers:update_many(sids, PARAMS, { concurrency = 4 })
    local plain = core.monotonic() - t0
    emu.fault{ fault = "status", status = 429, body_type = "json", retry_after = "1", count = 1,
               method = "POST", path = "IncomingPhoneNumbers/" .. sids[5] .. "%.json" }
    t0 = core.monotonic()
    local fast = numbers:update_many(sids, PARAMS, { concurrency = 4 })
    local held = core.monotonic() - t0
    emu.clear_faults()
    assert.is_true(held >= 0.9 and held > plain, ("the batch took %.2f s"):format(held))
    local _, general = both({ fault = "status", status = 429, body_type = "json", retry_after = "1",
                              count = 1 }, { concurrency = 4 }, 5)
    same_results(fast, general)
    assert.is_true(fast[5].ok)
    assert.equals(1, fast[5].value:call_info().retries)
  end)

  it("a non-JSON 200, a malformed body and a dropped or cut answer mid-batch", function()
    -- a 2xx JSON answer that is no record is a final answer (no retry): the
    -- fast phase words it and goes on
    runs = {}
    local fast, general = both({ fault = "malformed" }, { concurrency = 4 }, 7)
    same_results(fast, general)
    assert.is_false(fast[7].ok)
    assert.equals(#sids, runs[1].done)
    for _, fault in ipairs{
      { fault = "content_type", content_type = "text/html" },
      { fault = "drop_before" },
      { fault = "drop_after" },
      { fault = "truncate" },
    } do
      runs = {}
      -- a drop on target 2, among the first answers, on a new connection:
      -- libcurl resends by itself on a reused connection that dies before
      -- any byte of the answer (the fast phase would not see it)
      local k = fault.fault:match("^drop") and 2 or 7
      fast, general = both(fault, { concurrency = 4 }, k)
      same_results(fast, general)
      assert.is_true(runs[1].done < #sids, fault.fault)
      assert.is_true(runs[1].done > 0, fault.fault)
    end
    -- no retries: the dropped answer's error is the general path's
    fast, general = both({ fault = "drop_after" }, { concurrency = 4, retries = 0 }, 2)
    same_results(fast, general)
    assert.is_false(fast[2].ok)
  end)

  it("answers over max_body: every target fails as in the general path", function()
    local c = emu.client{ retries = 2, max_body = 600 }
    local fast, general = both(nil, { concurrency = 4 }, nil, c)
    same_results(fast, general)
    for i = 1, #sids do assert.is_false(fast[i].ok) end
    assert.equals(0, runs[1].done)
    c:close()
  end)

  it("on_progress sees every target once, done counting up, across both phases", function()
    for _, fault in ipairs{ false, { fault = "status", status = 500, count = 1 },
                            { fault = "status", status = 404 } } do
      if fault then
        local f = { path = "IncomingPhoneNumbers/" .. sids[4] .. "%.json", method = "POST" }
        for key, v in pairs(fault) do f[key] = v end
        emu.fault(f)
      end
      local seen, calls = {}, {}
      local results = numbers:update_many(sids, PARAMS, { concurrency = 3, on_progress = function(done, total, i, r)
        calls[#calls + 1] = { done = done, total = total, i = i, r = r }
      end })
      emu.clear_faults()
      assert.equals(#sids, #calls)
      for k, c in ipairs(calls) do
        assert.equals(k, c.done)
        assert.equals(#sids, c.total)
        assert.is_nil(seen[c.i], "target " .. c.i .. " reported twice")
        seen[c.i] = true
        assert.equals(results[c.i], c.r)                -- the stored entry itself
      end
    end
  end)

  it("a raising on_progress raises from update_many and leaves nothing behind", function()
    for _, at in ipairs{ 2, 11 } do                    -- in the fast phase, in the general one
      multis = {}
      emu.fault{ fault = "status", status = 500, count = 1, method = "POST",
                 path = "IncomingPhoneNumbers/" .. sids[9] .. "%.json" }
      local ok, err = pcall(numbers.update_many, numbers, sids, PARAMS, { concurrency = 3,
        on_progress = function(done) if done == at then error("progress stops at " .. done, 0) end end })
      emu.clear_faults()
      assert.is_false(ok)
      assert.equals("progress stops at " .. at, err)
      assert.is_false(client.batch)
      assert.is_true(#multis >= 1)
      for _, m in ipairs(multis) do assert.equals("twilio.CurlMulti (closed)", tostring(m)) end
      -- the client works on: the next batch does every target
      local results = numbers:update_many(sids, PARAMS, { concurrency = 3 })
      for i = 1, #sids do assert.is_true(results[i].ok, tostring(results[i].error)) end
    end
  end)

  it("E.164 numbers, records and bad SIDs among SIDs go to the general path", function()
    local rec = assert(numbers:fetch(sids[2]))
    local e164 = assert(numbers:fetch(sids[4])).phone_number
    local targets = { sids[1], rec, e164, "PN123", sids[5], "+14155550100", sids[6] }
    local fast = numbers:update_many(targets, PARAMS, { concurrency = 2 })
    assert.equals(1, #runs)
    assert.equals(3, runs[1].done)
    table.sort(runs[1].rest)
    assert.same({ 2, 3, 4, 6 }, runs[1].rest)
    local general = numbers:update_many(targets, function() return PARAMS end, { concurrency = 2 })
    for i = 1, #targets do assert.same(summary(general[i]), summary(fast[i]), "target " .. i) end
    assert.equals(rec, fast[2].value)                   -- in place
    assert.equals(sids[4], fast[3].value.sid)
    assert.equals("sid", fast[4].error.field)
  end)

  it("odd SIDs among SIDs end as update ends them; each SID sent goes to its own URL", function()
    local odd = { "pn" .. sids[3]:sub(3), "PN" .. sids[3]:sub(3):upper(), sids[3] .. "0", sids[3]:sub(1, 33),
                  "PN" .. ("f"):rep(32), "PN" .. ("F"):rep(32), "PN" .. ("g"):rep(32),
                  sids[3]:sub(1, 20) .. "%2F" .. sids[3]:sub(24), sids[3]:sub(1, 20) .. "/" .. sids[3]:sub(22), "" }
    local targets = { sids[1] }
    for _, t in ipairs(odd) do targets[#targets + 1] = t end
    targets[#targets + 1] = sids[2]
    emu.clear_log()
    local fast = numbers:update_many(targets, PARAMS, { concurrency = 3 })
    local sent = {}
    for _, e in ipairs(emu.requests("IncomingPhoneNumbers/")) do
      if e.method == "POST" then sent[#sent + 1] = e.path:match("IncomingPhoneNumbers/(.*)%.json$") end
    end
    local general = numbers:update_many(targets, function() return PARAMS end, { concurrency = 3 })
    for i = 1, #targets do
      assert.same(summary(general[i]), summary(fast[i]), "target " .. i .. " " .. targets[i])
      local n, err = numbers:update(targets[i], PARAMS)
      assert.same(summary{ ok = n ~= nil, value = n, error = err }, summary(fast[i]), "target " .. i)
    end
    table.sort(sent)
    local want = {}
    for _, t in ipairs(targets) do
      if t:match("^PN%x+$") and #t == 34 then want[#want + 1] = t end
    end
    table.sort(want)
    assert.same(want, sent)
  end)

  it("a debug hook keeps the batch off the fast phase: a line per attempt", function()
    local lines = {}
    local c = emu.client{ retries = 2, debug = function(l) lines[#lines + 1] = l end }
    local results = c.incoming_phone_numbers:update_many({ sids[1], sids[2], sids[3] }, PARAMS)
    for _, r in ipairs(results) do assert.is_true(r.ok, tostring(r.error)) end
    assert.equals(0, #runs)
    local posts = 0
    for _, l in ipairs(lines) do if l:match("^twilio: POST .* %-> 200 %(") then posts = posts + 1 end end
    assert.equals(3, posts)
    c:close()
  end)

  it("fetch_many takes the same lane, and falls back the same way", function()
    for _, fault in ipairs{ false, { fault = "status", status = 500, count = 1 }, { fault = "status", status = 404 },
                            { fault = "content_type", content_type = "text/html" } } do
      runs = {}
      local f
      if fault then
        f = { path = "IncomingPhoneNumbers/" .. sids[6] .. "%.json", method = "GET" }
        for key, v in pairs(fault) do f[key] = v end
        emu.fault(f)
      end
      local fast = numbers:fetch_many(sids, { concurrency = 4 })
      emu.clear_faults()
      assert.equals(1, #runs)
      for i = 1, #sids do
        if f then emu.fault(f) end
        local n, err = numbers:fetch(sids[i])
        emu.clear_faults()
        assert.same(summary{ ok = n ~= nil, value = n, error = err }, summary(fast[i]), "target " .. i)
      end
    end
  end)
end)
