-- The params memo (src/ltw_request.c) on the fused call (core.call_record):
-- numbers:update with one params table changed between calls, and with a
-- new table of the same strings, sends what each call's table says (the
-- emulator stores it and answers the number: its fields show what it got).
-- And the SID alone as the fused call's path (twilio.list's sid_alone: the
-- client's own account): other accounts keep their path, and a bad SID is
-- refused as the general path refuses it.
local emu = require "helpers.emulator"
local core = require "twilio.core"

describe("numbers:update with a params table used again", function()
  local client, numbers, sids

  setup(function()
    emu.ensure()
    emu.reset()
    emu.seed(emu.account_sid(), 3)
    client = emu.client()
    numbers = client.incoming_phone_numbers
    sids = {}
    for _, n in ipairs(assert(numbers:list())) do sids[#sids + 1] = n.sid end
  end)
  teardown(function()
    if client then client:close() end
    emu.stop_if_started()
  end)

  it("sends each call's values, for one number after another", function()
    local p = { voice_url = "https://example.com/a", friendly_name = "first" }
    for i = 1, 3 do
      local n = assert(numbers:update(sids[i], p))
      assert.equal("first", n.friendly_name)
      assert.equal("https://example.com/a", n.voice_url)
    end
    p.friendly_name = "second"                      -- changed in place
    local n = assert(numbers:update(sids[1], p))
    assert.equal("second", n.friendly_name)
    p.voice_url = nil                               -- a key gone
    n = assert(numbers:update(sids[2], p))
    assert.equal("second", n.friendly_name)
    assert.equal("https://example.com/a", n.voice_url)
    p.voice_url = "https://example.com/b"           -- and back, with another value
    n = assert(numbers:update(sids[2], p))
    assert.equal("https://example.com/b", n.voice_url)
    n = assert(numbers:update(sids[3], { friendly_name = "second", voice_url = "https://example.com/b" }))
    assert.equal("second", n.friendly_name)
    assert.equal("https://example.com/b", n.voice_url)
    -- tables the memo does not take, between two uses of the memo's table
    local long = "https://example.com/" .. string.rep("z", 600)
    n = assert(numbers:update(sids[1], { voice_url = long, friendly_name = "long" }))   -- too long
    assert.equal(long, n.voice_url)
    assert.equal("long", n.friendly_name)
    n = assert(numbers:update(sids[2], p))
    assert.equal("https://example.com/b", n.voice_url)
    n = assert(numbers:update(sids[1], { voice_url = "https://example.com/c", friendly_name = "null",
                                         sms_url = core.null }))                        -- a null
    assert.equal("https://example.com/c", n.voice_url)
    assert.equal("null", n.friendly_name)
    n = assert(numbers:update(sids[1], p))
    assert.equal("https://example.com/b", n.voice_url)
    assert.equal("second", n.friendly_name)
    p.voice_url = "not a url"                       -- refused, nothing sent
    local before = #emu.requests("/IncomingPhoneNumbers/PN")
    local none, err = numbers:update(sids[3], p)
    assert.is_nil(none)
    assert.equal("voice_url", err.field)
    assert.equal(before, #emu.requests("/IncomingPhoneNumbers/PN"))
  end)
end)

describe("fetch and update by SID alone", function()
  local client, general

  setup(function()
    emu.ensure()
    emu.reset()
    emu.seed(emu.account_sid(), 2)
    emu.seed(emu.sub_sid(), 2)
    client = emu.client()
    -- a debug hook: the general path (cfg:build with a path table), never the fused call
    general = emu.client{ debug = function() end }
  end)
  teardown(function()
    if client then client:close() end
    if general then general:close() end
    emu.stop_if_started()
  end)

  it("goes to the list's own account, the client's or another", function()
    for _, acct in ipairs{ emu.account_sid(), emu.sub_sid() } do
      local numbers = client:account(acct).incoming_phone_numbers
      for _, n in ipairs(assert(numbers:list())) do
        emu.clear_log()
        local got = assert(numbers:fetch(n.sid))
        assert.equal(n.sid, got.sid)
        assert.equal(acct, got.account_sid)
        got = assert(numbers:update(n.sid, { friendly_name = "by " .. acct }))
        assert.equal("by " .. acct, got.friendly_name)
        for _, r in ipairs(emu.requests("/IncomingPhoneNumbers/")) do
          assert.matches("/Accounts/" .. acct .. "/IncomingPhoneNumbers/" .. n.sid .. ".json", r.path, 1, true)
        end
      end
    end
  end)

  it("refuses a bad SID with the general path's error, hint included", function()
    for _, bad in ipairs{ "PN123", "", "+14155550100", "14155550100", "PN" .. string.rep("g", 32),
                          "../x", string.rep("A", 300) } do
      for _, call in ipairs{ "fetch", "update" } do
        local a, aerr = client.incoming_phone_numbers[call](client.incoming_phone_numbers, bad,
                                                             call == "update" and { friendly_name = "x" } or nil)
        local b, berr = general.incoming_phone_numbers[call](general.incoming_phone_numbers, bad,
                                                              call == "update" and { friendly_name = "x" } or nil)
        assert.is_nil(a)
        assert.is_nil(b)
        assert.equal(berr.kind, aerr.kind)
        assert.equal(berr.field, aerr.field)
        assert.equal(berr.message, aerr.message)
      end
    end
  end)

  it("is the fused call's only: cfg:build still wants a path table", function()
    assert.has_error(function()
      client.cfg:build("FetchIncomingPhoneNumber", "PN" .. string.rep("a", 32))
    end)
  end)
end)
