-- The emulator: the .csv representation of list resources.
local http = require "helpers.http"

-- A small RFC 4180 parser for the checks.
local function parse_csv(text)
  local rows, row, field, i, n = {}, {}, {}, 1, #text
  local quoted = false
  while i <= n do
    local c = text:sub(i, i)
    if quoted then
      if c == '"' then
        if text:sub(i + 1, i + 1) == '"' then field[#field + 1] = '"'; i = i + 1 else quoted = false end
      else field[#field + 1] = c end
    elseif c == '"' then quoted = true
    elseif c == "," then row[#row + 1] = table.concat(field); field = {}
    elseif c == "\r" and text:sub(i + 1, i + 1) == "\n" then
      row[#row + 1] = table.concat(field); field = {}
      rows[#rows + 1] = row; row = {}
      i = i + 1
    else field[#field + 1] = c end
    i = i + 1
  end
  assert(not quoted, "unterminated quote")
  assert(#field == 0 and #row == 0, "last line without CRLF")
  return rows
end

local function records(text)
  local rows = parse_csv(text)
  local header, out = rows[1], {}
  for r = 2, #rows do
    local t = {}
    for i, name in ipairs(header) do t[name] = rows[r][i] end
    out[#out + 1] = t
  end
  return header, out
end

describe("emulator CSV", function()
  setup(function() http.emulator() end)
  teardown(function() http.emulator_stop() end)
  before_each(function() http.reset() end)

  it("serves list resources as text/csv with a header row and RFC 4180 quoting", function()
    assert(http.api{ path = "/IncomingPhoneNumbers.json",
                     form = { PhoneNumber = "+14155550100", FriendlyName = 'Sales, "East"\r\nline 2' } })
    assert(http.api{ path = "/IncomingPhoneNumbers.json", form = { PhoneNumber = "+14155550101" } })
    local res = assert(http.api{ path = "/IncomingPhoneNumbers.csv" })
    assert.equal(200, res.status)
    assert.matches("^text/csv", res.headers["content-type"])
    local header, recs = records(res.body)
    assert.equal(36, #header)
    assert.equal(2, #recs)
    assert.equal('Sales, "East"\r\nline 2', recs[1].friendly_name)
    assert.equal("+14155550100", recs[1].phone_number)
    assert.equal("+14155550101", recs[2].phone_number)
    assert.equal("local", recs[2].type)
    assert.equal("", recs[2].voice_url)
  end)

  it("changes the column order from one response to the next", function()
    local h1 = records(assert(http.api{ path = "/IncomingPhoneNumbers.csv" }).body)
    local h2 = records(assert(http.api{ path = "/IncomingPhoneNumbers.csv" }).body)
    assert.are_not.same(h1, h2)
    local s1, s2 = {}, {}
    for i = 1, #h1 do s1[i] = h1[i]; s2[i] = h2[i] end
    table.sort(s1); table.sort(s2)
    assert.same(s1, s2)
  end)

  it("has CSV for the sub-lists, searches, countries, add-ons and extensions", function()
    local n = assert(http.api{ path = "/IncomingPhoneNumbers.json", form = { PhoneNumber = "+14155550100" } }).json
    local xe = http.emulator().info.installed_add_ons[1].sid
    local a = assert(http.api{ path = "/IncomingPhoneNumbers/" .. n.sid .. "/AssignedAddOns.json",
                               form = { InstalledAddOnSid = xe } }).json
    for _, p in ipairs({
      { "/IncomingPhoneNumbers/Local.csv", 1 }, { "/AvailablePhoneNumbers/US/Local.csv?PageSize=7", 7 },
      { "/AvailablePhoneNumbers.csv", 4 }, { "/IncomingPhoneNumbers/" .. n.sid .. "/AssignedAddOns.csv", 1 },
      { "/IncomingPhoneNumbers/" .. n.sid .. "/AssignedAddOns/" .. a.sid .. "/Extensions.csv", 1 },
    }) do
      local res = assert(http.api{ path = p[1] })
      assert.equal(200, res.status, p[1])
      assert.matches("^text/csv", res.headers["content-type"])
      local _, recs = records(res.body)
      assert.equal(p[2], #recs, p[1])
    end
    -- instances have no CSV representation here
    assert.equal(404, assert(http.api{ path = "/IncomingPhoneNumbers/" .. n.sid .. ".csv" }).status)
  end)
end)
