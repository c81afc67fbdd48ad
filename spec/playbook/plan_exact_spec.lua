-- An exact number to buy is looked up before apply buys anything
-- (AvailablePhoneNumbers, twilio.available's find): the plan says when it
-- needs an address the entry does not give, when nobody sells it (someone
-- else bought it), and when the lookup itself failed (it could not check);
-- apply then buys nothing. Against the emulator, whose inventory has numbers
-- that need an address (GB local: 'any'/'local'; US local: every 25th 'any').
local playbook = require "twilio.playbook"
local emu = require "helpers.emulator"

local AD = "AD00000000000000000000000000000001"

local posts_to_create = emu.purchase_posts

local function searches()
  local out = {}
  for _, e in ipairs(emu.requests("AvailablePhoneNumbers")) do
    out[#out + 1] = e.path:match("AvailablePhoneNumbers/(.*)%.json$") .. (e.query ~= "" and ("?" .. e.query) or "")
  end
  return out
end

local function book(numbers, extra)
  return assert(playbook.load_string("return { " .. (extra or "") .. " accounts = { main = { numbers = { " ..
                                     numbers .. " } } } }", "exact.lua"))
end

describe("playbook.plan of an exact number to buy", function()
  local client

  setup(function() emu.ensure() end)
  teardown(function() emu.stop_if_started() end)
  before_each(function()
    emu.reset()
    client = emu.client()
  end)
  after_each(function()
    emu.clear_faults()
    client:close()
  end)

  it("says address_sid is missing when the number needs an address, and apply buys nothing", function()
    local pb = book([[ ["+442079460001"] = {}, ["+14155550103"] = { friendly_name = "x" },
                       ["+447700900001"] = {}, ["+14155550100"] = {} ]])
    local plan = assert(playbook.plan(client, pb))
    assert.same({
      "+14155550103 (US local): address_sid is missing: the number says address_requirements 'any' (Twilio " ..
        "error 21631 without an address); set address_sid on the number or in defaults",
      "+442079460001 (GB local): address_sid is missing: the number says address_requirements 'any' (Twilio " ..
        "error 21631 without an address); set address_sid on the number or in defaults",
    }, plan.problems)
    assert.equal(4, plan.summary.buy)
    emu.clear_log()
    local res, err = playbook.apply(client, pb)
    assert.is_nil(res)
    assert.equal("invalid", err.kind)
    assert.matches("nothing was done:\n  %+14155550103 %(US local%): address_sid is missing", err.message)
    assert.equal(0, posts_to_create())
    assert.equal(0, emu.stats().purchases)
  end)

  it("takes the address_sid from the entry or its defaults", function()
    local plan = assert(playbook.plan(client, book('["+442079460001"] = { address_sid = "' .. AD .. '" }')))
    assert.same({}, plan.problems)
    plan = assert(playbook.plan(client, book('["+442079460001"] = {}, ["+14155550103"] = {}',
                                             'defaults = { address_sid = "' .. AD .. '" },')))
    assert.same({}, plan.problems)
    -- and then apply buys them (the emulator refuses GB without an AddressSid: 21631)
    local res = assert(playbook.apply(client, book('["+442079460001"] = {}', 'defaults = { address_sid = "' ..
                                                   AD .. '" },')))
    assert.equal(1, res.bought)
  end)

  it("says a number someone else bought is not available, and apply does not try to buy it", function()
    local other = emu.getenv("TWILIO_EMULATOR_SUBACCOUNT2_SID")   -- an account the playbook does not name
    assert(client:account(other).incoming_phone_numbers:create{ phone_number = "+14155550104" })
    local pb = book('["+14155550104"] = { voice_url = "https://example.com/v" }, ["+14155550105"] = {}')
    emu.clear_log()
    local plan = assert(playbook.plan(client, pb))
    assert.same({ "+14155550104: not available: no search offers it (US local, US toll_free, CA local, " ..
                  "CA toll_free): someone else has it, or it never existed (Twilio error 21422 if bought); if " ..
                  "it is of another country or type, set country and type on the number" }, plan.problems)
    -- each country's types asked once, then one search a number and type, with the whole number
    local s = searches()
    table.sort(s)
    assert.same({ "CA", "CA/Local?Contains=%2B14155550104%24&PageSize=20",
                  "CA/TollFree?Contains=%2B14155550104%24&PageSize=20",
                  "US", "US/Local?Contains=%2B14155550104%24&PageSize=20",
                  "US/Local?Contains=%2B14155550105%24&PageSize=20",
                  "US/TollFree?Contains=%2B14155550104%24&PageSize=20" }, s)
    emu.clear_log()
    local res, err = playbook.apply(client, pb)
    assert.is_nil(res)
    assert.matches("%+14155550104: not available", err.message)
    assert.equal(0, posts_to_create())
  end)

  it("searches only the country and type an entry names", function()
    local pb = book([[ ["+14155550104"] = { country = "US", type = "local" },
                       ["+18005552000"] = { type = "toll_free" } ]])
    emu.clear_log()
    assert.same({}, assert(playbook.plan(client, pb)).problems)
    local s = searches()
    table.sort(s)
    assert.same({ "US/Local?Contains=%2B14155550104%24&PageSize=20",
                  "US/TollFree?Contains=%2B18005552000%24&PageSize=20" }, s)
    -- the wrong type: not offered there, and the plan says what it searched
    local plan = assert(playbook.plan(client, book('["+14155550104"] = { country = "US", type = "toll_free" }')))
    assert.same({ "+14155550104: not available: no search offers it (US toll_free): someone else has it, or it " ..
                  "never existed (Twilio error 21422 if bought); take it out of the playbook or choose another " ..
                  "number" }, plan.problems)
  end)

  it("says it could not check when the lookup fails, never that the number is fine", function()
    local pb = book('["+14155550100"] = {}')   -- for sale, no address needed
    assert.same({}, assert(playbook.plan(client, pb)).problems)
    for _, f in ipairs{
      { fault = "status", status = 503, path = "AvailablePhoneNumbers/US/Local%.json$", count = -1 },
      { fault = "drop_before", path = "AvailablePhoneNumbers/US/Local%.json$", count = -1 },
      { fault = "status", status = 500, path = "AvailablePhoneNumbers/US%.json$", count = -1 },
    } do
      emu.clear_faults()
      emu.fault(f)
      local plan = assert(playbook.plan(client, pb))
      assert.equal(1, #plan.problems, f.fault)
      local what = f.path:find("Local", 1, true) and "US local" or "US"
      assert.matches("^%+14155550100 %(" .. what .. "%): the lookup of the number to buy failed: .+; plan " ..
                     "could not check that it is available and needs no address$", plan.problems[1])
      emu.clear_log()
      local res, err = playbook.apply(client, pb)
      assert.is_nil(res)
      assert.equal("invalid", err.kind)
      assert.equal(0, posts_to_create())
    end
  end)

  it("needs a country for a calling code it does not know", function()
    local plan = assert(playbook.plan(client, book('["+8801712345678"] = {}')))
    assert.same({ "+8801712345678: the lookup of the number to buy could not be made: its calling code is not " ..
                  "one the playbook knows; set country (and type) on the number" }, plan.problems)
    plan = assert(playbook.plan(client, book('["+8801712345678"] = { country = "BD" }')))
    assert.matches("^%+8801712345678: not available: no search offers it %(BD: no numbers offered%)",
                   plan.problems[1])
  end)

  it("looks a +1 number of another NANP member up in its own country, not the US or Canada", function()
    emu.clear_log()
    local plan = assert(playbook.plan(client, book('["+17875550100"] = {}')))   -- Puerto Rico
    assert.equal(1, #plan.problems)
    assert.matches("^%+17875550100: not available: no search offers it %(PR", plan.problems[1])
    for _, path in ipairs(searches()) do
      assert.is_nil(path:find("^US"), path)
      assert.is_nil(path:find("^CA"), path)
    end
    for code, cc in pairs(require("twilio.playbook.plan").NANP) do
      assert.truthy(code:match("^[2-9]%d%d$") and cc:match("^%u%u$") and cc ~= "US" and cc ~= "CA", code)
    end
  end)

  it("makes the same lookups when the plan is made inside a bulk call (bulk calls do not nest)", function()
    local pb = book([[ ["+442079460001"] = {}, ["+14155550100"] = {} ]])
    local outside = assert(playbook.plan(client, pb)).problems
    assert.equal(1, #outside)
    local results = client:bulk({ function() return playbook.plan(client, pb) end })
    assert.is_true(results[1].ok, tostring(results[1].error and results[1].error.message))
    assert.same(outside, results[1].value.problems)
  end)

  it("knows calling codes that are prefix-free (the first of 1 to 3 digits found is the one)", function()
    local calling = require("twilio.playbook.plan").CALLING
    for a in pairs(calling) do
      assert.truthy(a:match("^[1-9]%d?%d?$"), a)
      for b in pairs(calling) do
        if a ~= b then assert.is_false(b:sub(1, #a) == a, a .. " is a prefix of " .. b) end
      end
    end
  end)

  it("looks nothing up when nothing is bought", function()
    assert(client.incoming_phone_numbers:create{ phone_number = "+442079460001", address_sid = AD })
    emu.clear_log()
    local plan = assert(playbook.plan(client, book('["+442079460001"] = { friendly_name = "London" }')))
    assert.same({}, plan.problems)
    assert.equal(1, plan.summary.change)
    assert.same({}, searches())
  end)

  it("checks a country and type when the playbook is loaded", function()
    local pb, err = playbook.load_string([[return { accounts = { main = { numbers = {
      ["+14155550100"] = { type = "locl" } } } } }]], "t.lua")
    assert.is_nil(pb)
    assert.matches('numbers%["%+14155550100"%]%.type: type must be one of .*did you mean \'local\'', err.message)
    pb, err = playbook.load_string([[return { accounts = { main = { numbers = {
      ["+14155550100"] = { country = "us" } } } } }]], "t.lua")
    assert.is_nil(pb)
    assert.matches("country is an ISO code like 'US' %(got us%)", err.message)
  end)
end)

describe("available_phone_numbers:find", function()
  local client, av

  setup(function() emu.ensure() end)
  teardown(function() emu.stop_if_started() end)
  before_each(function()
    emu.reset()
    client = emu.client()
    av = client.available_phone_numbers
  end)
  after_each(function()
    emu.clear_faults()
    client:close()
  end)

  it("finds exactly that number, with what Twilio says of it", function()
    local a = assert(av:find("GB", "local", "+442079460001"))
    assert.equal("+442079460001", a.phone_number)
    assert.equal("any", a.address_requirements)
    assert.is_false(a.capabilities.sms)
    -- a number that is the start of others is not any of them
    local n, err = av:find("US", "local", "+1415555010")
    assert.is_nil(n)
    assert.equal("not_found", err.kind)
  end)

  it("says not_found for a bought number and for a type the country does not have", function()
    assert(client.incoming_phone_numbers:create{ phone_number = "+14155550100" })
    assert.equal("not_found", select(2, av:find("US", "local", "+14155550100")).kind)
    assert.equal("not_found", select(2, av:find("GB", "voip", "+442079460001")).kind)
  end)

  it("passes other failures on, and refuses what is not E.164", function()
    emu.fault{ fault = "status", status = 503, path = "AvailablePhoneNumbers/US/Local%.json$" }
    local n, err = av:find("US", "local", "+14155550100")
    assert.is_nil(n)
    assert.equal(503, err.status)
    assert.equal("invalid", select(2, av:find("US", "local", "4155550100")).kind)
    assert.has_error(function() av:find("US", "local", 4155550100) end)
  end)

  it("anchors the pattern at the end only when Contains has room for it (16 characters)", function()
    emu.clear_log()
    assert.equal("not_found", select(2, av:find("DE", "mobile", "+491512000000123")).kind)   -- 15 digits
    assert.equal("+4915120000001", assert(av:find("DE", "mobile", "+4915120000001")).phone_number)
    local q = {}
    for _, e in ipairs(emu.requests("AvailablePhoneNumbers")) do q[#q + 1] = e.query end
    assert.same({ "Contains=%2B491512000000123&PageSize=20", "Contains=%2B4915120000001%24&PageSize=20" }, q)
  end)
end)
