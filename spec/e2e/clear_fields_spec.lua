-- Clearing a field (issue 13 item 1): `n:update{ voice_url = "" }` or
-- `twilio.null` sends the field empty, which removes it (the emulator does
-- what Twilio does). Only fields that point somewhere can be cleared: webhook
-- URLs and the SIDs of an application, trunk, address, identity or bundle.
local emu = require "helpers.emulator"
local twilio = require "twilio"
local core = require "twilio.core"

local function hex(c) return string.rep(c, 32) end

-- every clearable field of UpdateIncomingPhoneNumber, with a value to set first
local CLEARABLE = {
  voice_url = "https://example.com/v", voice_fallback_url = "https://example.com/vf",
  sms_url = "https://example.com/s", sms_fallback_url = "https://example.com/sf",
  status_callback = "https://example.com/cb",
  voice_application_sid = "AP" .. hex("a"), sms_application_sid = "AP" .. hex("b"),
  trunk_sid = "TK" .. hex("c"), address_sid = "AD" .. hex("d"), identity_sid = "RI" .. hex("e"),
  bundle_sid = "BU" .. hex("f"), emergency_address_sid = "AD" .. hex("1"),
}

describe("clearing a field", function()
  local client, numbers

  setup(function() emu.ensure() end)
  teardown(function() emu.stop_if_started() end)
  before_each(function()
    emu.reset()
    client = emu.client()
    numbers = client.incoming_phone_numbers
  end)
  after_each(function() client:close() end)

  it("the request carries the field empty, for \"\" and twilio.null", function()
    local cfg = client.cfg
    local path = { account_sid = "AC" .. hex("0"), sid = "PN" .. hex("0") }
    for name in pairs(CLEARABLE) do
      for _, empty in ipairs{ "", twilio.null } do
        local req, err = cfg:build("UpdateIncomingPhoneNumber", path, { [name] = empty })
        assert(req, name .. ": " .. tostring(err))
        assert.matches("^%u%a+=$", req.body, nil, name)
      end
    end
  end)

  it("twilio.null is cjson.null (a JSON null clears too)", function()
    assert.equal(require("cjson").null, twilio.null)
  end)

  it("every URL and SID the update can set is clearable, and nothing else", function()
    local params = core.operations().UpdateIncomingPhoneNumber.params
    local got = {}
    for _, p in ipairs(params) do if p.clearable then got[p.name] = true end end
    local want = {}
    for name in pairs(CLEARABLE) do want[name] = true end
    assert.same(want, got)
  end)

  it("the emulator removes each field sent empty", function()
    local avail = assert(client.available_phone_numbers:search("US", "local", { limit = 1 }))
    for name, value in pairs(CLEARABLE) do
      local n = assert(numbers:create{ phone_number = avail[1].phone_number })
      assert(n:update{ [name] = value })
      assert.equal(value, assert(numbers:fetch(n.sid))[name], name)
      assert(n:update{ [name] = "" })
      local f = assert(numbers:fetch(n.sid))
      assert(f[name] == nil or f[name] == "", name .. " still " .. tostring(f[name]))
      assert(n:update{ [name] = value })
      assert(n:update{ [name] = twilio.null })
      f = assert(numbers:fetch(n.sid))
      assert(f[name] == nil or f[name] == "", name .. " still " .. tostring(f[name]) .. " after twilio.null")
      assert(n:release())
    end
  end)

  it("fields with a server default, the transfer target and ApiVersion cannot be cleared", function()
    local cfg = client.cfg
    local path = { account_sid = "AC" .. hex("0"), sid = "PN" .. hex("0") }
    for _, name in ipairs{ "voice_method", "sms_method", "emergency_status", "voice_receive_mode",
                           "account_sid", "api_version" } do
      for _, empty in ipairs{ "", twilio.null } do
        local req, err = cfg:build("UpdateIncomingPhoneNumber", path, { [name] = empty })
        assert.is_nil(req, name)
        assert.equal("invalid", err.kind)
        assert.equal(name, err.field)
      end
    end
    -- a friendly name may be empty (ordinary text), not null
    assert(cfg:build("UpdateIncomingPhoneNumber", path, { friendly_name = "" }))
    assert.is_nil((cfg:build("UpdateIncomingPhoneNumber", path, { friendly_name = twilio.null })))
  end)
end)
