-- list_page_memory_spec.lua -- a listing's pages die while it goes on.
-- A list page from the curl transport is a twilio.Body: on Lua 5.4 its
-- bytes are in the heap (the collector counts them); on LuaJIT they are
-- malloc'd outside it, and parse_page reports them to the collector in
-- batches (src/ltw_record.c report_off_heap), or nothing in the Lua heap
-- grows fast enough to collect a page's 1.3 MB before dozens more arrive.
-- Here pages of 1,000 numbers are fetched as Bodies and parsed, and
-- nothing is collected by hand: the Bodies still alive (a weak table sees
-- them) must stay a few, on both VMs.
local core = require "twilio.core"
local emu = require "helpers.emulator"

local KEY = "incoming_phone_numbers"

describe("a listing's pages (twilio.Body, parse_page)", function()
  setup(function() emu.ensure() end)
  teardown(function() emu.stop_if_started() end)

  it("are collected as the listing goes on, without a collection by hand", function()
    local sid = emu.account_sid()
    emu.reset()
    emu.seed(sid, 1000)
    local h = core.curl_new()
    local req = {
      method = "GET", body_object = true,
      url = emu.url() .. "/2010-04-01/Accounts/" .. sid .. "/IncomingPhoneNumbers.json?PageSize=1000",
      headers = { Authorization = "Basic " .. core.base64(sid .. ":" .. emu.auth_token()) } }
    local alive = setmetatable({}, { __mode = "v" })   -- a Body collected leaves it
    local PAGES, size = 16, 0
    collectgarbage()
    collectgarbage()
    for i = 1, PAGES do
      local res = assert(h:perform(req))
      assert.equal(200, res.status)
      assert.equal("userdata", type(res.body))
      size = #res.body
      alive[i] = res.body
      local items = assert(core.parse_page("PhoneNumber", KEY, res.body))
      assert.equal(1000, #items)
      assert.is_string(items[1000].sid)
    end
    h:close()
    local n = 0
    for _ in pairs(alive) do n = n + 1 end
    assert.is_true(size > 1000 * 1000, "pages of over 1 MB (" .. size .. " bytes)")
    -- LuaJIT: a report every 2 MiB (every second page), which runs the
    -- collector's cycle to its end: the last two or three pages are left
    assert.is_true(n <= 4, n .. " of " .. PAGES .. " pages still alive")
  end)
end)
