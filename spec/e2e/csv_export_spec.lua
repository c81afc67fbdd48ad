-- CSV for whole accounts (issue 13 items 2 and 3): numbers:csv{} reads the
-- whole listing (or limit), csv.write(csv.read(text)) gives text back with the
-- capabilities.* columns, { columns = } is an option, and csv.write streams
-- from an iterator or a cursor into a file handle in constant memory.
local emu = require "helpers.emulator"
local twilio = require "twilio"
local csv = twilio.csv

local function tmpname()
  local p = os.tmpname()
  return p
end

describe("CSV export", function()
  local client, numbers

  setup(function() emu.ensure() end)
  teardown(function() emu.stop_if_started() end)
  before_each(function()
    emu.reset()
    client = emu.client()
    numbers = client.incoming_phone_numbers
  end)
  after_each(function() client:close() end)

  it("numbers:csv{} reads every number of a 1,102-number account (not one page of 50)", function()
    emu.seed(emu.account_sid(), 1102)
    local rows = assert(numbers:csv{})
    assert.equal(1102, #rows)
    local seen = {}
    for _, r in ipairs(rows) do
      assert.matches("^PN%x+$", r.sid)
      assert.is_nil(seen[r.sid])
      seen[r.sid] = true
    end
    assert.equal("true", rows[1]["capabilities.voice"])    -- values are text, nested objects flattened
    local some = assert(numbers:csv{ limit = 75 })
    assert.equal(75, #some)
    assert.equal(rows[75].sid, some[75].sid)
  end)

  it("round-trips: write(read(text)) == text, capabilities included", function()
    emu.seed(emu.account_sid(), 30)
    local list = assert(numbers:list())
    local text = csv.write(list)
    local rows = assert(csv.read(text))
    assert.equal(30, #rows)
    for _, cap in ipairs{ "voice", "sms", "mms", "fax" } do
      assert.matches("^%a+$", rows[1]["capabilities." .. cap])
    end
    assert.equal(text, csv.write(rows))
    -- and the rows numbers:csv{} gives write the same text
    assert.equal(text, csv.write(assert(numbers:csv{})))
    -- the API's own CSV (capabilities as one JSON cell) fills the columns too
    local page = assert(csv.fetch_page(numbers, { page_size = 5 }))
    local out = assert(csv.read(csv.write(page)))
    assert.equal(list[1].capabilities.voice and "true" or "false", out[1]["capabilities.voice"])
    assert.equal(list[1].capabilities.fax and "true" or "false", out[1]["capabilities.fax"])
  end)

  it("takes { columns = ... } and refuses what it does not know", function()
    emu.seed(emu.account_sid(), 3)
    local list = assert(numbers:list())
    local text = csv.write(list, { columns = { "sid", "phone_number", "capabilities.sms" } })
    local rows = assert(csv.read(text))
    assert.equal(3, #rows)
    assert.equal(list[2].sid, rows[2].sid)
    assert.equal(list[2].phone_number, rows[2].phone_number)
    assert.is_string(rows[2]["capabilities.sms"])
    -- the array form still works
    assert.equal(text, csv.write(list, { "sid", "phone_number", "capabilities.sms" }))
    assert.has_error(function() csv.write(list, { colums = { "sid" } }) end,
                     "twilio.csv.write: unknown option 'colums' (columns, file)")
    assert.has_error(function() csv.write(list, { columns = {} }) end)
    assert.has_error(function() csv.write(list, { columns = { "sid", 3 } }) end)
  end)

  it("streams from each{} into a file in constant memory", function()
    local function export(n)
      emu.reset()
      emu.seed(emu.account_sid(), n)
      local it = numbers:each{}
      local seen, high = 0, 0
      local function sampled()
        local rec = it()
        seen = seen + 1
        if seen % 250 == 0 then
          collectgarbage(); collectgarbage()
          local kb = collectgarbage("count")
          if kb > high then high = kb end
        end
        return rec
      end
      local path = tmpname()
      local f = assert(io.open(path, "wb"))
      collectgarbage(); collectgarbage()
      local base = collectgarbage("count")
      local count = assert(csv.write(sampled, { file = f }))
      f:close()
      local fh = assert(io.open(path, "rb"))
      local text = fh:read("*a")
      fh:close()
      os.remove(path)
      assert.equal(n, count)
      local _, lines = text:gsub("\r\n", "")
      assert.equal(n + 1, lines)
      return high - base
    end
    local small = export(1000)
    local large = export(4000)
    -- the same live heap for 4,000 numbers as for 1,000 (one page at a time)
    assert.is_true(large < small * 1.5 + 256,
                   ("live heap grew with the export: %.0f KiB for 1000, %.0f KiB for 4000"):format(small, large))
    -- the measurement sees growth when there is some: the whole list held in memory
    collectgarbage(); collectgarbage()
    local base = collectgarbage("count")
    local all = assert(numbers:list())
    local text = csv.write(all)
    collectgarbage(); collectgarbage()
    local held = collectgarbage("count") - base
    assert.is_true(#text > 0)
    assert.is_true(held > large * 2, ("held %.0f KiB, streamed %.0f KiB"):format(held, large))
    print(("\n[csv export] live heap while streaming: 1,000 numbers %.0f KiB, 4,000 numbers %.0f KiB; "
           .. "4,000 held as a list + text: %.0f KiB"):format(small, large, held))
  end)

  it("streams from a cursor, returning nil, err on a failure", function()
    emu.seed(emu.account_sid(), 5)
    local text = csv.write(assert(numbers:cursor{ limit = 3 }))
    local rows = assert(csv.read(text))
    assert.equal(3, #rows)
    emu.fault{ fault = "status", status = 500, body_type = "json", path = "IncomingPhoneNumbers", count = 10 }
    local c2 = emu.client{ retries = 0 }
    local out, err = csv.write(assert(c2.incoming_phone_numbers:cursor{}))
    c2:close()
    emu.clear_faults()
    assert.is_nil(out)
    assert.equal("api", err.kind)
    assert.equal(500, err.status)
  end)
end)
