-- bin/twilio-numbers plan / apply, as a process against the emulator: an
-- exact number that needs an address the playbook does not give, and one
-- another account already bought, are Error lines of the plan (exit 1), and
-- apply buys nothing.
local emu = require "helpers.emulator"
local fake = require "cli.fake"

local BOOK = [[
return {
  accounts = {
    main = {
      numbers = {
        ["+442079460001"] = { friendly_name = "London", bundle_sid = "BU00000000000000000000000000000001" },
        ["+14155550104"] = { friendly_name = "Taken" },
        ["+14155550100"] = { friendly_name = "Fine" },
      },
    },
  },
}
]]

describe("twilio-numbers plan of exact numbers to buy", function()
  local client, dir, book

  setup(function()
    emu.ensure()
    dir = os.tmpname()
    os.remove(dir)
    assert(os.execute("mkdir -p " .. dir))
    book = dir .. "/book.lua"
    local f = assert(io.open(book, "w"))
    f:write(BOOK)
    f:close()
  end)
  teardown(function()
    os.execute("rm -rf " .. dir)
    emu.stop_if_started()
  end)
  before_each(function()
    emu.reset()
    client = emu.client()
  end)
  after_each(function() client:close() end)

  it("says which need an address and which are not available, exits 1, and apply buys nothing", function()
    local other = emu.getenv("TWILIO_EMULATOR_SUBACCOUNT2_SID")
    assert(client:account(other).incoming_phone_numbers:create{ phone_number = "+14155550104" })
    local code, out, err = fake.exec("plan " .. fake.q(book))
    assert.equal(1, code, err)
    assert.matches("\nError: %+14155550104: not available: no search offers it %(US local, US toll_free, " ..
                   "CA local, CA toll_free%): someone else has it", out)
    assert.matches("\nError: %+442079460001 %(GB local%): address_sid is missing: the number says " ..
                   "address_requirements 'any' %(Twilio error 21631 without an address%); set address_sid on " ..
                   "the number or in defaults\n", out)
    assert.is_nil(out:find("Error: +14155550100", 1, true))
    assert.matches("the plan has 2 problems", err, 1, true)
    local bought = emu.stats().purchases
    code, out = fake.exec("apply " .. fake.q(book) .. " --auto-approve")
    assert.equal(1, code)
    assert.matches("Error: +442079460001 (GB local): address_sid is missing", out, 1, true)
    assert.equal(bought, emu.stats().purchases)
  end)
end)
