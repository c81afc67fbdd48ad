-- The emulator: IncomingPhoneNumbers create/fetch/update/delete, sub-lists, filters.
local http = require "helpers.http"

local function buy(form, o)
  o = o or {}
  o.path = o.path or "/IncomingPhoneNumbers.json"
  o.form = form
  return assert(http.api(o))
end

describe("emulator IncomingPhoneNumbers", function()
  local emu
  setup(function() emu = http.emulator() end)
  teardown(function() http.emulator_stop() end)
  before_each(function() http.reset() end)

  it("buys an available number with every resource field", function()
    local res = buy{ PhoneNumber = "+14155550100" }
    assert.equal(201, res.status)
    local n = res.json
    assert.matches("^PN[0-9a-f]+$", n.sid)
    assert.equal(34, #n.sid)
    assert.equal(emu.account_sid, n.account_sid)
    assert.equal("+14155550100", n.phone_number)
    assert.equal("(415) 555-0100", n.friendly_name)
    assert.matches("^%a%a%a, %d%d %a%a%a %d%d%d%d %d%d:%d%d:%d%d %+0000$", n.date_created)
    assert.equal(n.date_created, n.date_updated)
    assert.same({ voice = true, sms = true, mms = true, fax = true }, n.capabilities)
    assert.equal("/2010-04-01/Accounts/" .. emu.account_sid .. "/IncomingPhoneNumbers/" .. n.sid .. ".json", n.uri)
    assert.equal("/2010-04-01/Accounts/" .. emu.account_sid .. "/IncomingPhoneNumbers/" .. n.sid
      .. "/AssignedAddOns.json", n.subresource_uris.assigned_add_ons)
    assert.equal("local", n.type)
    assert.equal("twilio", n.origin)
    assert.equal("in-use", n.status)
    assert.equal("2010-04-01", n.api_version)
    assert.equal("none", n.address_requirements)
    assert.equal(false, n.beta)
    assert.equal("POST", n.voice_method)
    assert.equal("POST", n.sms_method)
    assert.equal("voice", n.voice_receive_mode)
    assert.equal("Inactive", n.emergency_status)
    assert.equal("unregistered", n.emergency_address_status)
    assert.equal(false, n.voice_caller_id_lookup)
    for _, k in ipairs({ "address_sid", "identity_sid", "trunk_sid", "bundle_sid", "emergency_address_sid",
                         "voice_url", "voice_fallback_url" }) do
      assert.equal(http.null, n[k], k)
    end
    assert.equal("", n.sms_url)
    assert.equal("", n.voice_application_sid)
  end)

  it("takes the writable fields on create", function()
    local n = buy{ PhoneNumber = "+14155550101", FriendlyName = "Desk", VoiceUrl = "https://example.com/v",
                   VoiceMethod = "GET", EmergencyStatus = "Active", VoiceReceiveMode = "fax",
                   VoiceCallerIdLookup = "true" }.json
    assert.equal("Desk", n.friendly_name)
    assert.equal("https://example.com/v", n.voice_url)
    assert.equal("GET", n.voice_method)
    assert.equal("Active", n.emergency_status)
    assert.equal("fax", n.voice_receive_mode)
    assert.equal(true, n.voice_caller_id_lookup)
  end)

  it("refuses a number that is already bought or not in the inventory (21422)", function()
    assert.equal(201, buy{ PhoneNumber = "+14155550100" }.status)
    local res = buy{ PhoneNumber = "+14155550100" }
    assert.equal(400, res.status)
    assert.equal(21422, res.json.code)
    assert.equal("https://www.twilio.com/docs/errors/21422", res.json.more_info)
    assert.equal(21422, buy{ PhoneNumber = "+14155559999" }.json.code)
  end)

  it("refuses a malformed number (21421), e.g. an unencoded '+'", function()
    local res = buy{ PhoneNumber = "4155550100" }
    assert.equal(400, res.status)
    assert.equal(21421, res.json.code)
    res = assert(http.api{ path = "/IncomingPhoneNumbers.json", body = "PhoneNumber=+14155550100" })
    assert.equal(21421, res.json.code)
    assert.equal(400, buy{}.status)
  end)

  it("picks an available number for an AreaCode", function()
    local a = buy{ AreaCode = "510" }.json
    local b = buy{ AreaCode = "510" }.json
    assert.matches("^%+1510", a.phone_number)
    assert.matches("^%+1510", b.phone_number)
    assert.are_not.equal(a.phone_number, b.phone_number)
    local res = buy{ AreaCode = "999" }
    assert.equal(400, res.status)
    assert.equal(21452, res.json.code)
    assert.equal(400, buy{ AreaCode = "5x0" }.status)
  end)

  it("buys through the Local, Mobile and TollFree lists (without 'type')", function()
    local res = buy({ PhoneNumber = "+14155550102" }, { path = "/IncomingPhoneNumbers/Local.json" })
    assert.equal(201, res.status)
    assert.is_nil(res.json.type)
    res = buy({ PhoneNumber = "+18005552000" }, { path = "/IncomingPhoneNumbers/TollFree.json" })
    assert.equal(201, res.status)
    res = buy({ PhoneNumber = "+447700900001" }, { path = "/IncomingPhoneNumbers/Mobile.json" })
    assert.equal(201, res.status)
    -- a toll-free number is not a Local number; AreaCode is not accepted there
    res = buy({ PhoneNumber = "+18005552001" }, { path = "/IncomingPhoneNumbers/Local.json" })
    assert.equal(21422, res.json.code)
    res = buy({ AreaCode = "415" }, { path = "/IncomingPhoneNumbers/Local.json" })
    assert.equal(400, res.status)
  end)

  it("lists only the matching type in a sub-list", function()
    buy{ PhoneNumber = "+14155550100" }
    buy{ PhoneNumber = "+18005552000" }
    local l = assert(http.api{ path = "/IncomingPhoneNumbers/TollFree.json" }).json
    assert.equal(1, #l.incoming_phone_numbers)
    assert.equal("+18005552000", l.incoming_phone_numbers[1].phone_number)
    assert.is_nil(l.incoming_phone_numbers[1].type)
    assert.matches("/IncomingPhoneNumbers/TollFree%.json%?PageSize=50&Page=0$", l.uri)
    l = assert(http.api{ path = "/IncomingPhoneNumbers.json" }).json
    assert.equal(2, #l.incoming_phone_numbers)
  end)

  it("fetches, updates and deletes a number", function()
    local n = buy{ PhoneNumber = "+14155550100" }.json
    local path = "/IncomingPhoneNumbers/" .. n.sid .. ".json"
    local res = assert(http.api{ path = path })
    assert.equal(200, res.status)
    assert.same(n, res.json)
    res = assert(http.api{ path = path, form = { FriendlyName = "Sales", SmsUrl = "http://example.com/s",
                                                 StatusCallback = "https://example.com/cb", ApiVersion = "2008-08-01",
                                                 AddressSid = "AD" .. string.rep("1", 32) } })
    assert.equal(200, res.status)
    assert.equal("Sales", res.json.friendly_name)
    assert.equal("http://example.com/s", res.json.sms_url)
    assert.equal("https://example.com/cb", res.json.status_callback)
    assert.equal("2008-08-01", res.json.api_version)
    assert.equal("AD" .. string.rep("1", 32), res.json.address_sid)
    assert.equal("Sales", assert(http.api{ path = path }).json.friendly_name)
    res = assert(http.api{ path = path, method = "DELETE" })
    assert.equal(204, res.status)
    assert.equal("", res.body)
    res = assert(http.api{ path = path })
    assert.equal(404, res.status)
    assert.equal(20404, res.json.code)
    -- back in the inventory: it can be bought again
    assert.equal(201, buy{ PhoneNumber = "+14155550100" }.status)
  end)

  it("keeps TrunkSid and VoiceApplicationSid exclusive, and EmergencyAddressSid registered", function()
    local n = buy{ PhoneNumber = "+14155550100" }.json
    local path = "/IncomingPhoneNumbers/" .. n.sid .. ".json"
    local tk, ap = "TK" .. string.rep("a", 32), "AP" .. string.rep("b", 32)
    local r = assert(http.api{ path = path, form = { TrunkSid = tk } }).json
    assert.equal(tk, r.trunk_sid)
    r = assert(http.api{ path = path, form = { VoiceApplicationSid = ap } }).json
    assert.equal(ap, r.voice_application_sid)
    assert.equal(http.null, r.trunk_sid)
    r = assert(http.api{ path = path, form = { EmergencyAddressSid = "AD" .. string.rep("c", 32) } }).json
    assert.equal("registered", r.emergency_address_status)
  end)

  it("validates enums, methods, SIDs and URLs with 400", function()
    local n = buy{ PhoneNumber = "+14155550100" }.json
    local path = "/IncomingPhoneNumbers/" .. n.sid .. ".json"
    for _, form in ipairs({
      { EmergencyStatus = "active" }, { VoiceMethod = "PUT" }, { SmsFallbackMethod = "get" },
      { VoiceReceiveMode = "sms" }, { TrunkSid = "TK123" }, { VoiceApplicationSid = "PN" .. string.rep("a", 32) },
      { BundleSid = "BU" .. string.rep("g", 32) }, { VoiceUrl = "ftp://example.com" },
      { VoiceCallerIdLookup = "yes" }, { FriendlyName = string.rep("x", 65) }, { AccountSid = "AC1" },
    }) do
      local res = assert(http.api{ path = path, form = form })
      assert.equal(400, res.status, next(form))
      assert.is_number(res.json.code)
      assert.equal(400, res.json.status)
    end
    assert.equal("Inactive", assert(http.api{ path = path }).json.emergency_status)
  end)

  it("moves a number to a subaccount with AccountSid", function()
    local n = buy{ PhoneNumber = "+14155550100" }.json
    local res = assert(http.api{ path = "/IncomingPhoneNumbers/" .. n.sid .. ".json",
                                 form = { AccountSid = emu.sub_sid } })
    assert.equal(200, res.status)
    assert.equal(emu.sub_sid, res.json.account_sid)
    assert.matches(emu.sub_sid, res.json.uri)
    assert.equal(404, assert(http.api{ path = "/IncomingPhoneNumbers/" .. n.sid .. ".json" }).status)
    res = assert(http.api{ account = emu.sub_sid, path = "/IncomingPhoneNumbers/" .. n.sid .. ".json",
                           user = emu.sub_sid, password = emu.sub_token })
    assert.equal(200, res.status)
    local l = assert(http.api{ account = emu.sub_sid, path = "/IncomingPhoneNumbers.json" }).json
    assert.equal(1, #l.incoming_phone_numbers)
    assert.equal(0, #assert(http.api{ path = "/IncomingPhoneNumbers.json" }).json.incoming_phone_numbers)
    -- and back, with the main credentials on the subaccount's path
    res = assert(http.api{ account = emu.sub_sid, path = "/IncomingPhoneNumbers/" .. n.sid .. ".json",
                           form = { AccountSid = emu.account_sid } })
    assert.equal(200, res.status)
    assert.equal(emu.account_sid, res.json.account_sid)
  end)

  it("refuses a transfer with a subaccount's credentials, or to an unknown account", function()
    local n = buy({ PhoneNumber = "+14155550100" }, { account = emu.sub_sid }).json
    local path = "/IncomingPhoneNumbers/" .. n.sid .. ".json"
    local res = assert(http.api{ account = emu.sub_sid, path = path, user = emu.sub_sid, password = emu.sub_token,
                                 form = { AccountSid = emu.account_sid } })
    assert.equal(403, res.status)
    res = assert(http.api{ account = emu.sub_sid, path = path, form = { AccountSid = "AC" .. string.rep("9", 32) } })
    assert.equal(400, res.status)
  end)

  it("answers 404 for unknown or malformed number sids and 405 for other methods", function()
    assert.equal(404, assert(http.api{ path = "/IncomingPhoneNumbers/PN" .. string.rep("0", 32) .. ".json" }).status)
    assert.equal(404, assert(http.api{ path = "/IncomingPhoneNumbers/PNxyz.json" }).status)
    assert.equal(404, assert(http.api{ path = "/IncomingPhoneNumbers.xml" }).status)
    local res = assert(http.api{ path = "/IncomingPhoneNumbers.json", method = "DELETE" })
    assert.equal(405, res.status)
    assert.equal(20004, res.json.code)
  end)

  describe("list filters", function()
    before_each(function()
      buy{ PhoneNumber = "+14155550100", FriendlyName = "alpha" }
      buy{ PhoneNumber = "+14155550111", FriendlyName = "beta" }
      buy{ PhoneNumber = "+15105550100", FriendlyName = "alpha" }
      buy{ PhoneNumber = "+14155550149" } -- a beta number in the inventory
    end)
    local function numbers(q)
      local res = assert(http.api{ path = "/IncomingPhoneNumbers.json", query = q })
      assert.equal(200, res.status)
      local out = {}
      for i, n in ipairs(res.json.incoming_phone_numbers) do out[i] = n.phone_number end
      table.sort(out)
      return out, res.json
    end
    it("FriendlyName", function()
      assert.same({ "+14155550100", "+15105550100" }, numbers{ FriendlyName = "alpha" })
    end)
    it("PhoneNumber: full, partial and with * wildcards", function()
      assert.same({ "+14155550111" }, numbers{ PhoneNumber = "+14155550111" })
      assert.same({ "+14155550100", "+14155550111", "+14155550149" }, numbers{ PhoneNumber = "415555" })
      assert.same({ "+14155550100", "+15105550100" }, numbers{ PhoneNumber = "***5550100" })
    end)
    it("Beta and Origin", function()
      assert.same({ "+14155550100", "+14155550111", "+15105550100" }, numbers{ Beta = "false" })
      assert.equal(4, #numbers{ Beta = "true" })
      assert.equal(4, #numbers{ Origin = "twilio" })
      assert.equal(0, #numbers{ Origin = "hosted" })
      assert.equal(400, assert(http.api{ path = "/IncomingPhoneNumbers.json", query = { Beta = "maybe" } }).status)
    end)
    it("keeps the filters, percent-encoded, in the page URIs", function()
      local _, page = numbers{ PhoneNumber = "+1415", FriendlyName = "a b" }
      assert.matches("FriendlyName=a%%20b", page.uri)
      assert.matches("PhoneNumber=%%2B1415", page.first_page_uri)
    end)
  end)
end)
