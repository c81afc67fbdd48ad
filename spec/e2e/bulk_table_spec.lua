-- update_many with one params table: the request is built once and rebuilt
-- per SID (cfg:rebuild), and the batch's own lane skips the general task
-- path while every answer is a plain 2xx. Whatever the server does, each
-- item must end exactly as numbers:update(sid, params) ends under the same
-- answer: the same error (kind, status, wording), the same retries, the
-- same record. Each case runs the fault once through update_many and once
-- through update and compares.
local emu = require "helpers.emulator"
local twilio = require "twilio"

local PARAMS = { friendly_name = "bulk table", voice_url = "https://example.com/v" }

-- What a result says, for comparison: ok and the record's fields, or the
-- error's kind, status, code, wording and retries.
local function summary(ok, v, e)
  if ok then
    return { ok = true, sid = v.sid, friendly_name = v.friendly_name, voice_url = v.voice_url,
             retries = v:call_info().retries }
  end
  return { ok = false, kind = e.kind, status = e.status, code = e.code, message = tostring(e),
           retries = e.retries, field = e.field }
end

describe("update_many with a params table", function()
  local client, numbers, sids

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
  end)

  after_each(function()
    emu.clear_faults()
    client:close()
  end)

  -- The fault (on sids[k] only) through update_many among the other SIDs;
  -- then through update_many with a params function (the general path:
  -- cfg:build and the task path per item, as before the table's own lane);
  -- then through update. The three summaries, and the batch's results.
  local function both(fault, opts, k)
    k = k or 3
    opts = opts or { concurrency = 4 }
    local f = {}
    for key, v in pairs(fault) do f[key] = v end
    f.path = "IncomingPhoneNumbers/" .. sids[k] .. "%.json"
    f.method = "POST"
    emu.fault(f)
    local results = numbers:update_many(sids, PARAMS, opts)
    emu.clear_faults()
    local r = results[k]
    local many = summary(r.ok, r.value, r.error)
    emu.fault(f)
    local general = numbers:update_many(sids, function() return PARAMS end, opts)[k]
    emu.clear_faults()
    emu.fault(f)
    local n, err = numbers:update(sids[k], PARAMS, opts.retries and { retries = opts.retries } or nil)
    emu.clear_faults()
    return many, summary(n ~= nil, n, err), results, summary(general.ok, general.value, general.error)
  end

  local function others_ok(results, k)
    for i, r in ipairs(results) do
      if i ~= k then
        assert.is_true(r.ok, tostring(r.error))
        assert.equals(sids[i], r.value.sid)
        assert.equals("bulk table", r.value.friendly_name)
        assert.equals(0, r.value:call_info().retries)
      end
    end
  end

  it("updates every SID once, records parsed, progress per item, nothing retried", function()
    emu.clear_log()
    local seen = {}
    local results = numbers:update_many(sids, PARAMS, { concurrency = 5, on_progress = function(done, total, i, r)
      assert.equals(#sids, total)
      assert.is_true(r.ok)
      seen[#seen + 1] = done
      seen[-i] = true
    end })
    assert.equals(#sids, #results)
    others_ok(results, 0)
    for i = 1, #sids do assert.equals(i, seen[i]); assert.is_true(seen[-i]) end
    local log = emu.requests("IncomingPhoneNumbers/PN")
    assert.equals(#sids, #log)
    local hit = {}
    for _, e in ipairs(log) do
      assert.equals("POST", e.method)
      assert.equals("FriendlyName=bulk%20table&VoiceUrl=https%3A%2F%2Fexample.com%2Fv", e.body)
      assert.equals("application/x-www-form-urlencoded", e.content_type)
      hit[e.path:match("(PN%w+)%.json$")] = true
    end
    for _, sid in ipairs(sids) do assert.is_true(hit[sid], sid) end
    assert.equals("https://example.com/v", assert(numbers:fetch(sids[7])).voice_url)
  end)

  it("a 500 then 200 is retried as update retries it", function()
    local many, one, results, general = both{ fault = "status", status = 500 }
    assert.same(one, many)
    assert.same(general, many)
    assert.is_true(many.ok)
    assert.equals(1, many.retries)
    others_ok(results, 3)
  end)

  it("a 404, a 400 and an HTML 503 fail as update fails", function()
    for _, fault in ipairs{
      { fault = "status", status = 404 },
      { fault = "status", status = 400 },
      { fault = "status", status = 503, body_type = "html", count = 3 },
    } do
      local many, one, results, general = both(fault, { concurrency = 3, retries = 2 })
      assert.same(one, many)
      assert.same(general, many)
      assert.is_false(many.ok)
      others_ok(results, 3)
    end
  end)

  it("a 429 with Retry-After is waited out and retried as update does", function()
    local many, one, _, general = both{ fault = "status", status = 429, retry_after = "0" }
    assert.same(one, many)
    assert.same(general, many)
    assert.is_true(many.ok)
    assert.equals(1, many.retries)
  end)

  it("a non-JSON 200, a malformed body, a body over max_body fail as update fails", function()
    local c2 = emu.client{ retries = 2, max_body = 600 }
    for _, fault in ipairs{
      { fault = "content_type", content_type = "text/html" },
      { fault = "malformed" },
    } do
      local many, one, results, general = both(fault)
      assert.same(one, many)
      assert.same(general, many)
      assert.is_false(many.ok)
      others_ok(results, 3)
    end
    -- every answer is over 600 bytes: every item fails, as update does
    local results = c2.incoming_phone_numbers:update_many({ sids[1], sids[2] }, PARAMS)
    for i, r in ipairs(results) do
      local n, err = c2.incoming_phone_numbers:update(sids[i], PARAMS)
      assert.is_nil(n)
      assert.is_false(r.ok)
      assert.same(summary(false, nil, err), summary(false, nil, r.error))
    end
    c2:close()
  end)

  it("a dropped or cut answer is retried (an update is idempotent), or fails without retries, as before", function()
    -- compared with the general path only: a single update runs on an easy
    -- handle, whose reused connection libcurl may resend on by itself
    for _, kind in ipairs{ "drop_before", "drop_after", "truncate" } do
      local many, _, results, general = both{ fault = kind }
      assert.same(general, many)
      assert.is_true(many.ok, kind)
      assert.equals(1, many.retries)
      others_ok(results, 3)
      many, _, _, general = both({ fault = kind }, { retries = 0 })
      assert.same(general, many)
      assert.is_false(many.ok, kind)
    end
  end)

  it("bad SIDs, unknown SIDs, E.164 numbers and number objects among SIDs", function()
    local rec = assert(numbers:fetch(sids[2]))
    local e164 = assert(numbers:fetch(sids[4])).phone_number
    local targets = { sids[1], "PN123", rec, "14155550100", "PN" .. string.rep("0", 32), e164, sids[5] }
    local results = numbers:update_many(targets, PARAMS, { concurrency = 3 })
    assert.is_true(results[1].ok)
    assert.is_true(results[3].ok)
    assert.equals(rec, results[3].value)                         -- in place
    assert.equals("bulk table", rec.friendly_name)
    assert.is_true(results[6].ok)
    assert.equals(sids[4], results[6].value.sid)
    assert.is_true(results[7].ok)
    for _, k in ipairs{ 2, 4, 5 } do
      local n, err = numbers:update(targets[k], PARAMS)
      assert.is_nil(n)
      assert.is_false(results[k].ok)
      assert.same(summary(false, nil, err), summary(false, nil, results[k].error))
    end
    assert.equals("invalid", results[2].error.kind)
    assert.equals("sid", results[2].error.field)
    assert.matches("find%('%+14155550100'%)", results[4].error.message)
    assert.equals(404, results[5].error.status)
  end)

  it("fetch_many ends each SID as fetch does under the same answer", function()
    for _, fault in ipairs{
      { fault = "status", status = 500 },
      { fault = "status", status = 404 },
      { fault = "status", status = 503, body_type = "html", count = 3 },
      { fault = "content_type", content_type = "text/html" },
      { fault = "malformed" },
    } do
      local f = {}
      for key, v in pairs(fault) do f[key] = v end
      f.path, f.method = "IncomingPhoneNumbers/" .. sids[3] .. "%.json", "GET"
      emu.fault(f)
      local results = numbers:fetch_many(sids, { concurrency = 4 })
      emu.clear_faults()
      emu.fault(f)
      local n, err = numbers:fetch(sids[3])
      emu.clear_faults()
      local r = results[3]
      assert.same(summary(n ~= nil, n, err), summary(r.ok, r.value, r.error), f.fault .. " " .. tostring(f.status))
      for i, ri in ipairs(results) do
        if i ~= 3 then
          assert.is_true(ri.ok, tostring(ri.error))
          assert.equals(sids[i], ri.value.sid)
          assert.equals(0, ri.value:call_info().retries)
        end
      end
    end
    local e164 = assert(numbers:fetch(sids[4])).phone_number
    local targets = { "PN123", "14155550100", "PN" .. string.rep("0", 32), e164 }
    local results = numbers:fetch_many(targets)
    for k = 1, 3 do
      local n, err = numbers:fetch(targets[k])
      assert.is_nil(n)
      assert.same(summary(false, nil, err), summary(false, nil, results[k].error))
    end
    assert.equals(sids[4], results[4].value.sid)
  end)

  it("a debug hook and on_retry see every attempt of the batch", function()
    local lines, retried = {}, {}
    local c = emu.client{ retries = 2, debug = function(l) lines[#lines + 1] = l end }
    emu.fault{ fault = "status", status = 500, method = "POST", path = "IncomingPhoneNumbers/" .. sids[2] }
    local results = c.incoming_phone_numbers:update_many({ sids[1], sids[2], sids[3] }, PARAMS,
      { on_retry = function(info) retried[#retried + 1] = info.attempt end })
    for _, r in ipairs(results) do assert.is_true(r.ok, tostring(r.error)) end
    local posts = 0
    for _, l in ipairs(lines) do if l:match("^twilio: POST .* %-> %d+ %(") then posts = posts + 1 end end
    assert.equals(4, posts)
    assert.same({ 1 }, retried)
    c:close()
  end)

  it("a custom transport carries every request of the batch", function()
    local seen = 0
    local inner = twilio.new{ base_url = emu.url(), account_sid = emu.account_sid(),
                              auth_token = emu.auth_token() }.runtime:transport()
    local c = emu.client{ transport = { name = "wrapped", request = function(_, req)
      seen = seen + 1
      return inner:request(req)
    end } }
    local results = c.incoming_phone_numbers:update_many({ sids[1], sids[2], sids[3] }, PARAMS)
    for _, r in ipairs(results) do assert.is_true(r.ok, tostring(r.error)) end
    assert.equals(3, seen)
    c:close()
  end)
end)
