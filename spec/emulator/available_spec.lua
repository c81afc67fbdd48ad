-- The emulator: AvailablePhoneNumbers countries and searches.
local http = require "helpers.http"

local function search(cc, typ, q)
  local res = assert(http.api{ path = "/AvailablePhoneNumbers/" .. cc .. "/" .. typ .. ".json", query = q })
  return res.json, res
end

local function numbers(list)
  local out = {}
  for i, n in ipairs(list.available_phone_numbers) do out[i] = n.phone_number end
  return out
end

describe("emulator AvailablePhoneNumbers", function()
  local emu
  setup(function() emu = http.emulator() end)
  teardown(function() http.emulator_stop() end)
  before_each(function() http.reset() end)

  it("lists the countries with their number types", function()
    local res = assert(http.api{ path = "/AvailablePhoneNumbers.json" })
    assert.equal(200, res.status)
    local codes, by = {}, {}
    for _, c in ipairs(res.json.countries) do codes[#codes + 1] = c.country_code; by[c.country_code] = c end
    assert.same({ "US", "CA", "GB", "DE" }, codes)
    assert.equal("/2010-04-01/Accounts/" .. emu.account_sid .. "/AvailablePhoneNumbers.json", res.json.uri)
    assert.equal("United States", by.US.country)
    assert.equal(false, by.US.beta)
    assert.equal("/2010-04-01/Accounts/" .. emu.account_sid .. "/AvailablePhoneNumbers/US/Local.json",
                 by.US.subresource_uris["local"])
    assert.is_nil(by.US.subresource_uris.mobile)
    assert.is_string(by.GB.subresource_uris.mobile)
    assert.is_string(by.GB.subresource_uris.shared_cost)
    assert.is_string(by.DE.subresource_uris.voip)
    assert.is_string(by.DE.subresource_uris.machine_to_machine)
    assert.is_nil(res.json.page)   -- the country list has only countries + uri
  end)

  it("fetches a country and answers 404 for unknown countries and types", function()
    local res = assert(http.api{ path = "/AvailablePhoneNumbers/CA.json" })
    assert.equal(200, res.status)
    assert.equal("CA", res.json.country_code)
    assert.equal("Canada", res.json.country)
    assert.equal(404, assert(http.api{ path = "/AvailablePhoneNumbers/FR.json" }).status)
    local _, r = search("US", "Mobile")
    assert.equal(404, r.status)
    assert.equal(20404, r.json.code)
    _, r = search("US", "Bogus")
    assert.equal(404, r.status)
  end)

  it("returns items with every field; lat/long as strings", function()
    local l, res = search("US", "Local", { AreaCode = "415", PageSize = "3" })
    assert.equal(200, res.status)
    assert.equal(3, #l.available_phone_numbers)
    local n = l.available_phone_numbers[1]
    assert.equal("+14155550100", n.phone_number)
    assert.equal("(415) 555-0100", n.friendly_name)
    assert.equal("San Francisco", n.locality)
    assert.equal("CA", n.region)
    assert.equal("US", n.iso_country)
    assert.equal("722", n.lata)
    assert.equal("SNFC", n.rate_center)
    assert.is_string(n.postal_code)
    assert.matches("^%-?%d+%.%d+$", n.latitude)
    assert.matches("^%-?%d+%.%d+$", n.longitude)
    assert.equal("none", n.address_requirements)
    assert.equal(false, n.beta)
    assert.same({ voice = true, sms = true, mms = true, fax = true }, n.capabilities)
    assert.equal("/2010-04-01/Accounts/" .. emu.account_sid .. "/AvailablePhoneNumbers/US/Local.json", l.uri)
  end)

  it("has hundreds of numbers per US area code and honours PageSize", function()
    for _, ac in ipairs({ "415", "510", "212", "646" }) do
      local l = search("US", "Local", { AreaCode = ac, PageSize = "1000" })
      assert.is_true(#l.available_phone_numbers >= 300, ac)
      for _, n in ipairs(l.available_phone_numbers) do assert.matches("^%+1" .. ac, n.phone_number) end
    end
    assert.equal(50, #search("US", "Local").available_phone_numbers)
    assert.equal(400, select(2, search("US", "Local", { PageSize = "0" })).status)
  end)

  it("leaves out numbers that were bought, and has them back after a release", function()
    local before = numbers(search("US", "Local", { AreaCode = "212", PageSize = "1" }))[1]
    local n = assert(http.api{ path = "/IncomingPhoneNumbers.json", form = { PhoneNumber = before } }).json
    local after = numbers(search("US", "Local", { AreaCode = "212", PageSize = "1" }))[1]
    assert.are_not.equal(before, after)
    assert(http.api{ full = n.uri, method = "DELETE" })
    assert.equal(before, numbers(search("US", "Local", { AreaCode = "212", PageSize = "1" }))[1])
  end)

  it("matches Contains with *, %, + and $ and letters", function()
    local l = search("US", "Local", { Contains = "510555****", PageSize = "5" })
    for _, n in ipairs(l.available_phone_numbers) do assert.matches("510555%d%d%d%d", n.phone_number) end
    assert.equal(5, #l.available_phone_numbers)
    l = search("US", "Local", { Contains = "0123$" })
    assert.same({ "+14155550123", "+15105550123", "+12125550123", "+16465550123" }, numbers(l))
    l = search("US", "Local", { Contains = "+1646%" , PageSize = "2" })
    assert.same({ "+16465550100", "+16465550101" }, numbers(l))
    l = search("US", "Local", { Contains = "%0123" })
    assert.equal(4, #l.available_phone_numbers)
    l = search("US", "TollFree", { Contains = "8OO" })  -- letters map to keypad digits: O -> 6
    assert.same({}, numbers(l))
    l = search("US", "Local", { Contains = "JK" , PageSize = "1" })  -- J K -> 55
    assert.equal(1, #l.available_phone_numbers)
    for _, bad in ipairs({ "5", "51*5", "+*12", "12%$", "12-3", string.rep("1", 17) }) do
      local _, r = search("US", "Local", { Contains = bad })
      assert.equal(400, r.status, bad)
    end
  end)

  it("filters on capabilities, Beta and address requirements", function()
    local l = search("US", "Local", { AreaCode = "415", MmsEnabled = "false", PageSize = "1000" })
    assert.is_true(#l.available_phone_numbers > 0)
    for _, n in ipairs(l.available_phone_numbers) do assert.equal(false, n.capabilities.mms) end
    l = search("US", "Local", { AreaCode = "415", FaxEnabled = "true", SmsEnabled = "true", VoiceEnabled = "true",
                                PageSize = "1000" })
    assert.equal(100, #l.available_phone_numbers)
    l = search("US", "Local", { AreaCode = "415", Beta = "false", PageSize = "1000" })
    for _, n in ipairs(l.available_phone_numbers) do assert.equal(false, n.beta) end
    assert.equal(392, #l.available_phone_numbers)
    l = search("GB", "Local", { ExcludeLocalAddressRequired = "true", PageSize = "1000" })
    for _, n in ipairs(l.available_phone_numbers) do assert.are_not.equal("local", n.address_requirements) end
    assert.equal(0, #search("GB", "Local", { ExcludeAllAddressRequired = "true" }).available_phone_numbers)
    assert.equal(0, #search("DE", "Voip", { ExcludeForeignAddressRequired = "true" }).available_phone_numbers)
    assert.equal(0, #search("DE", "MachineToMachine", { VoiceEnabled = "true" }).available_phone_numbers)
    assert.equal(400, select(2, search("US", "Local", { SmsEnabled = "yes" })).status)
  end)

  it("filters on region, postal code, locality, LATA and rate center", function()
    local l = search("US", "Local", { InRegion = "NY", PageSize = "1000" })
    assert.equal(800, #l.available_phone_numbers)
    l = search("US", "Local", { InPostalCode = "94103", PageSize = "1000" })
    assert.equal(100, #l.available_phone_numbers)
    l = search("CA", "Local", { InLocality = "toronto", PageSize = "1000" })
    assert.equal(200, #l.available_phone_numbers)
    l = search("US", "Local", { InLata = "722", InRateCenter = "OKLD", PageSize = "1000" })
    assert.equal(400, #l.available_phone_numbers)
    assert.equal(400, select(2, search("US", "Local", { InRateCenter = "OKLD" })).status)
  end)

  it("approximates NearNumber / NearLatLong with Distance", function()
    local l = search("US", "Local", { NearLatLong = "37.7749,-122.4194", Distance = "5", PageSize = "1000" })
    assert.is_true(#l.available_phone_numbers > 0)
    for _, n in ipairs(l.available_phone_numbers) do assert.equal("San Francisco", n.locality) end
    l = search("US", "Local", { NearNumber = "+15105550100", Distance = "50", PageSize = "1000" })
    local bay = 0
    for _, n in ipairs(l.available_phone_numbers) do
      assert.is_truthy(n.region == "CA")
      bay = bay + 1
    end
    assert.is_true(bay > 400)
    assert.equal(400, select(2, search("US", "Local", { NearLatLong = "north" })).status)
    assert.equal(400, select(2, search("US", "Local", { Distance = "501", NearLatLong = "1,1" })).status)
  end)

  it("searches other countries and types", function()
    local l = search("GB", "Mobile", { PageSize = "2" })
    assert.same({ "+447700900000", "+447700900001" }, numbers(l))
    assert.equal("GB", l.available_phone_numbers[1].iso_country)
    assert.equal(http.null, l.available_phone_numbers[1].latitude)
    assert.is_true(#search("DE", "TollFree").available_phone_numbers > 0)
    assert.is_true(#search("GB", "National").available_phone_numbers > 0)
    assert.is_true(#search("GB", "SharedCost").available_phone_numbers > 0)
    assert.is_true(#search("CA", "TollFree").available_phone_numbers > 0)
  end)
end)
