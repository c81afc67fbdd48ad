-- list_page_memory_spec.lua -- a listing's pages die while it goes on.
-- A list page from the curl transport is a twilio.Body: on Lua 5.4 its
-- bytes are in the heap (the collector counts them); on LuaJIT they are
-- malloc'd outside it, and parse_page reports them to the collector in
-- batches (src/ltw_record.c report_off_heap), or nothing in the Lua heap
-- grows fast enough to collect a page's 1.3 MB before dozens more arrive.
-- Here pages of 1,000 numbers are fetched as Bodies and parsed, and
-- nothing is collected by hand: the most Bodies alive after a parse (a
-- weak table sees them) must stay a few, on both VMs. In a child process
-- with a known heap: how many pages a collector lets pile up depends on
-- the heap it paces itself with, and busted's grows with the specs loaded.
local emu = require "helpers.emulator"
local child = require "helpers.child"

local SCRIPT = [[
local core = require "twilio.core"
require "twilio.client"                  -- the library's heap, as an application has it
local url, sid, token = ...
-- an application's live data (~1.5 MB): without the reports, the heap's
-- own growth would start a cycle only every dozen pages or more
local keep = {}
for i = 1, 10000 do keep[i] = ("x"):rep(100) .. i end
local h = core.curl_new()
local req = {
  method = "GET", body_object = true,
  url = url .. "/2010-04-01/Accounts/" .. sid .. "/IncomingPhoneNumbers.json?PageSize=1000",
  headers = { Authorization = "Basic " .. core.base64(sid .. ":" .. token) } }
local alive = setmetatable({}, { __mode = "v" })   -- a Body collected leaves it
local PAGES, size, most = 16, 0, 0
for i = 1, PAGES do
  local res = assert(h:perform(req))
  assert(res.status == 200 and type(res.body) == "userdata", "a page as a twilio.Body")
  size = #res.body
  alive[i] = res.body
  local items = assert(core.parse_page("PhoneNumber", "incoming_phone_numbers", res.body))
  assert(#items == 1000 and type(items[1000].sid) == "string")
  local n = 0
  for _ in pairs(alive) do n = n + 1 end
  if n > most then most = n end
end
h:close()
io.write(PAGES, " ", size, " ", most)
]]


describe("a listing's pages (twilio.Body, parse_page)", function()
  setup(function() emu.ensure() end)
  teardown(function() emu.stop_if_started() end)

  it("are collected as the listing goes on, without a collection by hand", function()
    local sid = emu.account_sid()
    emu.reset()
    emu.seed(sid, 1000)
    local out, ok = child.run(SCRIPT, emu.url(), sid, emu.auth_token())
    assert(ok, out)
    local pages, size, n = out:match("^(%d+) (%d+) (%d+)$")
    assert(pages, out)
    pages, size, n = tonumber(pages), tonumber(size), tonumber(n)
    assert.is_true(size > 1000 * 1000, "pages of over 1 MB (" .. size .. " bytes)")
    -- LuaJIT: a report every 2 MiB (every second page), which runs the
    -- collector's cycle to its end: never more than three pages alive
    -- (2 now; 16 of 16 without the reports)
    assert.is_true(n <= 4, "up to " .. n .. " of " .. pages .. " pages alive at once")
  end)
end)
