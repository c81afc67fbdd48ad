-- list_page_reuse_spec.lua -- a list page's memory is reused by later pages
-- (src/ltw_body.c: a large twilio.Body reads its bytes from a block that
-- goes to its Lua state's pool when the Body is collected, and the next
-- page takes it), and never while anything still reads it.
-- Pages of 1,000 numbers (~1.3 MB) are fetched as Bodies and parsed, as
-- list.lua does; collectgarbage() after each page hands the dead pages'
-- blocks to the pool at once.
local emu = require "helpers.emulator"
local core = require "twilio.core"
local child = require "helpers.child"

local NUMBERS = 4000                 -- 4 distinct pages, fetched round and round


-- The pages' code, shared by the in-process checks and the child process
-- (page faults): fetch(h, path) -> body, items, next_page_uri.
local LIB = [[
local core = require "twilio.core"
local url, sid, token = ...
local auth = "Basic " .. core.base64(sid .. ":" .. token)
local FIRST = "/2010-04-01/Accounts/" .. sid .. "/IncomingPhoneNumbers.json?PageSize=1000"
local function fetch(h, path)
  local res = assert(h:perform{ method = "GET", body_object = true, url = url .. (path or FIRST),
                                headers = { Authorization = auth } })
  assert(res.status == 200 and type(res.body) == "userdata", "a page as a twilio.Body")
  local items, nxt = core.parse_page("PhoneNumber", "incoming_phone_numbers", res.body)
  assert(items and #items == 1000, "a page of 1000")
  return res.body, items, nxt
end
]]

local function load_lib()
  return assert(load(LIB .. " return fetch", "=pages"))(emu.url(), emu.account_sid(), emu.auth_token())
end

describe("list pages (twilio.Body's pool)", function()
  setup(function()
    emu.ensure()
    emu.reset()
    emu.seed(emu.account_sid(), NUMBERS)
  end)
  teardown(function() emu.stop_if_started() end)

  it("a record of an old page reads its own page after later pages reused memory", function()
    local fetch = load_lib()
    local h = core.curl_new()
    -- two pages kept (a record each, their pages otherwise dropped), with
    -- the JSON they read now, as Lua strings (copies)
    local _, items1, nxt = fetch(h)
    local keep1, want1 = items1[500], core.record_json(items1[500])
    local _, items2 = fetch(h, nxt)
    local keep2, want2 = items2[1], core.record_json(items2[1])
    local last_sid = items2[1000].sid
    items1, items2 = nil, nil -- luacheck: ignore 311 (drops both pages)
    assert.are_not.equal(want1, want2)
    -- 24 more pages, the listing from its start again and again; every
    -- page dead once parsed, so later pages take blocks from the pool
    local seen, path = {}, nil
    for _ = 1, 24 do
      local body, items
      body, items, path = fetch(h, path)
      -- this page's own numbers, read through its records
      assert.is_true(items[1].sid ~= items[1000].sid)
      assert.equal(#body, #tostring(body))
      seen[items[1].sid] = true
      body, items = nil, nil -- luacheck: ignore 311 (drops the page)
      collectgarbage()
      -- the kept records still read the bytes of their own pages
      assert.equal(want1, core.record_json(keep1))
      assert.equal(want2, core.record_json(keep2))
    end
    assert.is_true(seen[keep1.sid] == nil and not seen[last_sid], "pages 1 and 2 were fetched again")
    local n = 0
    for _ in pairs(seen) do n = n + 1 end
    assert.equal(NUMBERS / 1000, n)          -- every page of the listing, in turn
    assert.equal(want1, core.record_json(keep1))
    assert.equal(want2, core.record_json(keep2))
    h:close()
  end)

  it("a Body kept alone still holds its page after later pages reused memory", function()
    local fetch = load_lib()
    local h = core.curl_new()
    local kept, _, nxt = fetch(h)
    local want = tostring(kept)
    local path = nxt
    for _ = 1, 12 do
      local _, _, p = fetch(h, path)
      path = p
      collectgarbage()
    end
    assert.equal(#want, #kept)
    assert.is_true(want == tostring(kept), "the kept Body's bytes changed")
    -- and parsed again, later
    local items = core.parse_page("PhoneNumber", "incoming_phone_numbers", kept)
    assert.equal(1000, #items)
    h:close()
  end)

  it("a page resurrected by another object's finalizer never reads reused memory", function()
    local fetch = load_lib()
    local h = core.curl_new()
    local back = {}                        -- what the finalizer resurrects
    local want_rec, want_body, path
    do
      local body, items, nxt = fetch(h)
      path = nxt
      want_rec, want_body = core.record_json(items[10]), tostring(body)
      local r, b = items[10], body         -- the finalizer's own upvalues
      local function fin() back.rec, back.body = r, b end
      -- made after the page: finalized first, when the page is still whole
      if newproxy then
        local p = newproxy(true)
        getmetatable(p).__gc = fin
        back.proxy = p
      else
        back.proxy = setmetatable({}, { __gc = fin })
      end
      body, items = nil, nil -- luacheck: ignore 311 (only fin holds the page)
    end
    back.proxy = nil
    collectgarbage()
    collectgarbage()
    assert.is_not_nil(back.rec, "the finalizer ran")
    for _ = 1, 8 do
      local _, _, p = fetch(h, path)
      path = p
      collectgarbage()
    end
    -- closed (it raises) or its own page: never another page's bytes
    local ok, json = pcall(core.record_json, back.rec)
    if ok then assert.equal(want_rec, json) end
    local text = tostring(back.body)
    assert.is_true(text == "" or text == want_body, "the resurrected Body reads another page")
    assert.equal(#text, #back.body)
    h:close()
  end)

  -- The reuse itself: a page written into a kept block faults in none of
  -- its memory; a fresh one faults in all of it (~330 4 KiB pages for 1.3
  -- MB). Minor page faults (/proc/self/stat) over 20 pages, in a child
  -- process (a known heap), against 4 pages all kept alive (fresh memory
  -- each). Before the pool ~155 a page for ~485 fresh, on both VMs; with
  -- it 0.
  it("takes far fewer page faults per page than fresh memory does", function()
    -- ASan's allocator holds freed memory back (quarantine): everything
    -- else a page allocates is fresh there
    if (os.getenv("TWILIO_TEST_ASAN") or "") ~= "" then pending("not under ASan") return end
    local f = io.open("/proc/self/stat")
    if not f then pending("needs /proc/self/stat") return end
    f:close()
    local script = LIB .. [[
local function minflt()
  local f = io.open("/proc/self/stat")
  local s = f:read("*a")
  f:close()
  return tonumber(s:match("^%d+ %b() %S+" .. (" %S+"):rep(6) .. " (%d+)"))
end
local h = core.curl_new()
-- the first page of a handle arrives in the handle's own buffer, which
-- becomes its Body (no copy into a second fresh block)
local f0 = minflt()
local b1, i1, path = fetch(h)
local first = minflt() - f0
b1, i1 = nil, nil -- luacheck: ignore 311 (drops the page)
-- fresh memory: 4 more pages all kept (blocks of the size hint)
local keep = {}
f0 = minflt()
for i = 1, 4 do
  local body, items, nxt = fetch(h, path)
  keep[i], path = { body, items }, nxt
end
local fresh = (minflt() - f0) / 4
keep = nil
collectgarbage()
-- the listing's way: each page dead once read
for _ = 1, 4 do path = select(3, fetch(h, path)); collectgarbage() end
local f1 = minflt()
for _ = 1, 20 do
  local _, items, nxt = fetch(h, path)
  path = nxt
  items = nil
  collectgarbage()
end
local reused = (minflt() - f1) / 20
h:close()
io.write(string.format("%d %d %d", math.floor(fresh), math.floor(reused), first))
]]
    local res, ok = child.run(script, emu.url(), emu.account_sid(), emu.auth_token())
    assert(ok, res)
    local fresh, reused, first = res:match("^(%d+) (%d+) (%d+)$")
    assert(fresh, res)
    fresh, reused, first = tonumber(fresh), tonumber(reused), tonumber(first)
    assert.is_true(fresh > 200, "fresh pages fault their memory in (" .. fresh .. " faults a page)")
    assert.is_true(reused * 6 < fresh, ("%d faults a page for %d with fresh memory"):format(reused, fresh))
    -- one buffer for the first page, not two
    assert.is_true(first < fresh * 1.3, ("%d faults for the first page, %d for a fresh one"):format(first, fresh))
  end)
end)
