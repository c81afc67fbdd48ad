-- The emulator: AssignedAddOns and their Extensions.
local http = require "helpers.http"

describe("emulator AssignedAddOns", function()
  local emu, num, base, installed
  setup(function()
    emu = http.emulator()
    installed = emu.info.installed_add_ons
  end)
  teardown(function() http.emulator_stop() end)
  before_each(function()
    http.reset()
    num = assert(http.api{ path = "/IncomingPhoneNumbers.json", form = { PhoneNumber = "+14155550100" } }).json
    base = "/IncomingPhoneNumbers/" .. num.sid .. "/AssignedAddOns"
  end)

  local function assign(xe)
    return assert(http.api{ path = base .. ".json", form = { InstalledAddOnSid = xe } })
  end

  it("has a catalogue of three installed add-ons", function()
    assert.equal(3, #installed)
    for _, a in ipairs(installed) do
      assert.matches("^XE[0-9a-f]+$", a.sid)
      assert.equal(34, #a.sid)
    end
  end)

  it("assigns, lists, fetches and deletes an add-on", function()
    local res = assign(installed[3].sid)
    assert.equal(201, res.status)
    local a = res.json
    assert.matches("^XE[0-9a-f]+$", a.sid)
    assert.equal(emu.account_sid, a.account_sid)
    assert.equal(num.sid, a.resource_sid)
    assert.equal(installed[3].friendly_name, a.friendly_name)
    assert.equal(installed[3].unique_name, a.unique_name)
    assert.is_string(a.description)
    assert.is_table(a.configuration)
    assert.equal(true, a.configuration.bad_words)
    assert.matches("%+0000$", a.date_created)
    local uri = "/2010-04-01/Accounts/" .. emu.account_sid .. base .. "/" .. a.sid
    assert.equal(uri .. ".json", a.uri)
    assert.equal(uri .. "/Extensions.json", a.subresource_uris.extensions)

    local l = assert(http.api{ path = base .. ".json" }).json
    assert.equal(1, #l.assigned_add_ons)
    assert.same(a, l.assigned_add_ons[1])
    assert.equal(50, l.page_size)
    assert.equal(http.null, l.next_page_uri)

    assert.same(a, assert(http.api{ path = base .. "/" .. a.sid .. ".json" }).json)
    local del = assert(http.api{ path = base .. "/" .. a.sid .. ".json", method = "DELETE" })
    assert.equal(204, del.status)
    assert.equal(404, assert(http.api{ path = base .. "/" .. a.sid .. ".json" }).status)
    assert.equal(0, #assert(http.api{ path = base .. ".json" }).json.assigned_add_ons)
  end)

  it("lists and fetches the extensions of an assigned add-on", function()
    local a = assign(installed[3].sid).json
    local l = assert(http.api{ path = base .. "/" .. a.sid .. "/Extensions.json" }).json
    assert.equal(3, #l.extensions)
    local x = l.extensions[1]
    assert.matches("^XF[0-9a-f]+$", x.sid)
    assert.equal(34, #x.sid)
    assert.equal(a.sid, x.assigned_add_on_sid)
    assert.equal(num.sid, x.resource_sid)
    assert.equal(emu.account_sid, x.account_sid)
    assert.is_string(x.friendly_name)
    assert.is_string(x.product_name)
    assert.is_string(x.unique_name)
    assert.is_boolean(x.enabled)
    local f = assert(http.api{ full = x.uri })
    assert.equal(200, f.status)
    assert.same(x, f.json)
    local p = assert(http.api{ path = base .. "/" .. a.sid .. "/Extensions.json", query = { PageSize = 2 } }).json
    assert.equal(2, #p.extensions)
    local p2 = assert(http.api{ full = p.next_page_uri }).json
    assert.equal(1, #p2.extensions)
    assert.equal(404, assert(http.api{ path = base .. "/" .. a.sid .. "/Extensions/XF" .. string.rep("0", 32)
      .. ".json" }).status)
  end)

  it("validates InstalledAddOnSid", function()
    for _, v in ipairs({ "", "XE123", "PN" .. string.rep("a", 32), "XE" .. string.rep("0", 32) }) do
      local res = assign(v)
      assert.equal(400, res.status, v)
      assert.is_number(res.json.code)
    end
    assert.equal(201, assign(installed[1].sid).status)
    assert.equal(400, assign(installed[1].sid).status)   -- already assigned
  end)

  it("answers 404 under an unknown number and 405 for other methods", function()
    local res = assert(http.api{ path = "/IncomingPhoneNumbers/PN" .. string.rep("0", 32) .. "/AssignedAddOns.json" })
    assert.equal(404, res.status)
    local a = assign(installed[2].sid).json
    res = assert(http.api{ path = base .. "/" .. a.sid .. ".json", form = { X = "1" } })
    assert.equal(405, res.status)
  end)

  it("follows the number when it moves to a subaccount, and dies with it", function()
    local a = assign(installed[2].sid).json
    assert(http.api{ path = "/IncomingPhoneNumbers/" .. num.sid .. ".json", form = { AccountSid = emu.sub_sid } })
    local res = assert(http.api{ account = emu.sub_sid, path = base .. "/" .. a.sid .. ".json" })
    assert.equal(200, res.status)
    assert.equal(emu.sub_sid, res.json.account_sid)
    assert(http.api{ account = emu.sub_sid, path = "/IncomingPhoneNumbers/" .. num.sid .. ".json", method = "DELETE" })
    assert.equal(404, assert(http.api{ account = emu.sub_sid, path = base .. "/" .. a.sid .. ".json" }).status)
  end)
end)
