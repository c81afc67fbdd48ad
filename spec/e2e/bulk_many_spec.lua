-- release_many / fetch_many beside update_many, a client-side match on
-- friendly name or number, and one up-front error for invalid bulk
-- parameters (issue 13, item 8).
local emu = require "helpers.emulator"
local core = require "twilio.core"

describe("bulk conveniences", function()
  local client, numbers, list

  setup(function() emu.ensure() end)
  teardown(function() emu.stop_if_started() end)

  before_each(function()
    emu.reset()
    emu.control("POST", "seed", { account_sid = emu.account_sid(), count = 6, friendly_name_prefix = "Sales " })
    emu.control("POST", "seed", { account_sid = emu.account_sid(), count = 3, friendly_name_prefix = "Support " })
    client = emu.client()
    numbers = client.incoming_phone_numbers
    list = assert(numbers:list())
    assert.equals(9, #list)
  end)

  after_each(function() client:close() end)

  it("release_many takes number objects, SIDs and E.164 numbers; results per item", function()
    local ghost = "PN" .. ("0"):rep(32)
    local results = numbers:release_many({ list[1], list[2].sid, list[3].phone_number, ghost, "+19995550000" },
                                         { concurrency = 3 })
    assert.equals(5, #results)
    for i = 1, 3 do assert.same({ ok = true, value = true }, results[i]) end
    assert.is_true(list[1]:released())
    assert.is_false(results[4].ok)
    assert.equals(404, results[4].error.status)
    assert.is_false(results[5].ok)
    assert.equals("not_found", results[5].error.kind)
    assert.equals(6, #assert(numbers:list()))
    for i = 1, 3 do
      local _, err = numbers:fetch(list[i].sid)
      assert.equals(404, err.status)
    end
  end)

  it("fetch_many fetches SIDs and E.164 numbers and reloads objects in place", function()
    assert(numbers:update(list[1].sid, { friendly_name = "changed elsewhere" }))
    local results = numbers:fetch_many({ list[1], list[2].sid, list[3].phone_number, "PN" .. ("0"):rep(32) })
    assert.equals(list[1], results[1].value)                      -- in place
    assert.equals("changed elsewhere", list[1].friendly_name)
    assert.equals(list[2].sid, results[2].value.sid)
    assert.equals(list[3].sid, results[3].value.sid)
    assert.is_false(results[4].ok)
    assert.equals(404, results[4].error.status)
  end)

  it("invalid parameters give one error up front and send nothing", function()
    emu.clear_log()
    local results, err = numbers:update_many(list, { voice_method = "PUT" })
    assert.is_nil(results)
    assert.equals("invalid", err.kind)
    assert.equals("voice_method", err.field)
    local _
    _, err = numbers:update_many({ list[1].sid }, { voice_ulr = "https://example.com/v" })
    assert.matches("did you mean 'voice_url'", tostring(err), 1, true)
    assert.equals(0, #emu.requests("IncomingPhoneNumbers"))
    -- misuse raises, once, before anything runs
    assert.has_error(function() numbers:update_many(list, {}, { concurency = 4 }) end,
      "twilio: unknown option 'concurency' for update_many (concurrency, on_progress, timeout, " ..
      "connect_timeout, retries, on_retry)")
    assert.has_error(function() numbers:release_many(list, { concurrency = 0 }) end)
    assert.has_error(function() numbers:fetch_many({ list[1], 42 }) end)
    assert.has_error(function() numbers:release_many(list, { timeout = 0.00001 }) end)
    assert.equals(0, #emu.requests("IncomingPhoneNumbers"))
  end)

  it("match filters each and list on friendly name or number, client-side (a glob)", function()
    local names = {}
    for n in numbers:each{ match = "sales*" } do names[#names + 1] = n.friendly_name end
    assert.equals(6, #names)
    for _, name in ipairs(names) do assert.matches("^Sales %d+$", name) end
    assert.equals(3, #assert(numbers:list{ match = "Support ?" }))
    assert.equals(2, #assert(numbers:list{ match = "S*", limit = 2 }))
    assert.equals(1, #assert(numbers:list{ match = list[5].phone_number }))
    assert.equals(0, #assert(numbers:list{ match = "Sales" }))          -- a glob: the whole name
    local prefix = list[1].phone_number:sub(1, 5)
    assert.equals(9, #assert(numbers:list{ match = prefix .. "*" }))
    -- the API's friendly_name filter is exact; match is applied here, across pages
    assert.equals(6, #assert(numbers:list{ match = "SALES *", page_size = 2 }))    -- 5 pages
    assert.equals(0, #assert(numbers:list{ match = "Sales [1-6]" }))   -- only * and ? are special
  end)

  it("match is refused where it cannot apply", function()
    local _, err = numbers:list{ match = "" }
    assert.equals("invalid", err.kind)
    assert.equals("match", err.field)
    _, err = numbers:page{ match = "Sales*" }
    assert.equals("match", err.field)
    assert.truthy(core.is_error(err))
  end)
end)
