-- record_page_lazy_spec.lua -- lazy pages (Lua 5.4: core.parse_page(...,
-- true), src/ltw_record.c): list:each{}'s C iterator makes each record as it
-- hands it out instead of parse_page making all of a page's at once. A
-- record born so must be the same as one of a table page in everything
-- (fields, pairs, tostring, json, ctx, methods) and outlive its loop and
-- its page as one. On LuaJIT the flag is ignored (a table, as before).
local emu = require "helpers.emulator"
local core = require "twilio.core"
require "twilio.record"                                   -- the kinds' methods

local LAZY = core.page_iter ~= nil                         -- Lua 5.4

local function body(n)
  local items = {}
  for i = 1, n do
    items[i] = string.format('{"sid":"PN%032d","phone_number":"+1415555%04d","friendly_name":"n\\u00e9 %d",' ..
      '"beta":%s,"sms_url":"","voice_url":null,"capabilities":{"voice":true},"n":%d}',
      i, i, i, i % 2 == 0 and "true" or "false", i)
  end
  return '{"incoming_phone_numbers":[' .. table.concat(items, ",") .. '],"next_page_uri":null}'
end

-- Everything a record shows, as one comparable table.
local function view(rec)
  local fields = {}
  if _VERSION ~= "Lua 5.1" then                            -- __pairs (not LuaJIT's)
    for k, v in pairs(rec) do fields[k] = v end
  end
  return {
    fields = fields, json = core.record_json(rec), kind = core.record_kind(rec),
    text = tostring(rec):gsub("0x%x+", "ADDR"), ctx = core.record_ctx(rec),
    sid = rec.sid, phone = rec.phone_number, name = rec.friendly_name, beta = rec.beta,
    sms = rec.sms_url, voice = rec.voice_url, voice_cap = rec.capabilities.voice, n = rec.n,
    table = rec:totable(), time = rec.time, mt = getmetatable(rec),
  }
end

describe("a lazy page", function()
  it("reads as its table page: each record the same in everything", function()
    local ctx = { account_sid = "AC1" }
    local text = body(7)
    local tbl = assert(core.parse_page("PhoneNumber", "incoming_phone_numbers", text, ctx))
    local page, next_uri = core.parse_page("PhoneNumber", "incoming_phone_numbers", text, ctx, true)
    assert.is_nil(next_uri)
    assert.equal(LAZY and "userdata" or "table", type(page))
    assert.equal(7, #page)
    for i = 1, 7 do
      assert.same(view(tbl[i]), view(page[i]), "item " .. i)
      assert.equal(ctx, core.record_ctx(page[i]))
    end
    assert.equal("PN" .. string.rep("0", 31) .. "3", page[3].sid)
    assert.equal("né 3", page[3].friendly_name)
    assert.is_nil(page[0])
    assert.is_nil(page[8])
    if LAZY then
      assert.is_nil(page.sid)
      page[2] = false                                      -- advance's write: nothing pinned
      assert.equal(tbl[2].sid, page[2].sid)
    end
  end)

  it("gives records that outlive the page and its doc's other records", function()
    local kept = {}
    do
      local page = core.parse_page("PhoneNumber", "incoming_phone_numbers", body(50), nil, true)
      for i = 1, 50, 7 do kept[#kept + 1] = page[i] end
    end
    collectgarbage(); collectgarbage()
    body(500)                                              -- new strings where the old ones were
    collectgarbage(); collectgarbage()
    for j, rec in ipairs(kept) do
      local i = (j - 1) * 7 + 1
      assert.equal(string.format("PN%032d", i), rec.sid)
      assert.equal(string.format("+1415555%04d", i), rec.phone_number)
      assert.equal(i, rec.n)
      assert.matches('"friendly_name":"n\\u00e9 ' .. i .. '"', core.record_json(rec), 1, true)
    end
  end)
end)

describe("list:each{} (lazy pages on Lua 5.4)", function()
  local N = 23
  local fx = emu.seeded(N)   -- fx.client, fx.numbers: a client of N seeded numbers

  it("hands out the cursor's records, the same in everything, and they stay valid after the loop", function()
    for _, size in ipairs{ 1, 2, 5, 22, 23 } do
      local want, cur = {}, assert(fx.numbers:cursor{ page_size = size })
      while true do
        local n = assert(cur:next() or true)
        if n == true then break end
        local v = view(n)
        v.ctx = nil                                        -- one ctx table per cursor's list call
        want[#want + 1] = v
      end
      local kept = {}
      for n in fx.numbers:each{ page_size = size } do kept[#kept + 1] = n end
      collectgarbage(); collectgarbage()
      assert.equal(N, #kept, "page_size " .. size)
      for i, n in ipairs(kept) do
        local v = view(n)
        assert.equal(fx.client, core.record_ctx(n).client, "page_size " .. size .. ", item " .. i)
        v.ctx = nil
        assert.same(want[i], v, "page_size " .. size .. ", item " .. i)
        assert.same({ retries = 0, recovered = false }, (n:call_info()))
      end
    end
  end)

  it("called by hand, detaches only the record it handed out last (the for's control variable)", function()
    local getuv = debug.getuservalue or debug.getfenv
    local function detached(rec)
      local b = getuv(rec, 1)[2]
      return type(b) == "string" and b == core.record_json(rec)
    end
    -- other: item 2 of another listing's first page of 2, the same bytes
    -- at the same offset as this listing's (only its page differs)
    local other
    do
      local k = 0
      for n in fx.numbers:each{ page_size = 2 } do
        k = k + 1
        if k == 2 then other = n; break end
      end
    end
    assert.is_false(detached(other))
    for _, arg in ipairs{ "nothing", "x", "other" } do
      local it, got = fx.numbers:each{ page_size = 2 }, {}
      while true do
        local n
        if arg == "nothing" then n = it()
        elseif arg == "x" then n = it(nil, "x")
        else n = it(nil, other) end
        if n == nil then break end
        got[#got + 1] = n.sid
      end
      assert.equal(N, #got, arg)
      assert.is_false(detached(other), arg)
    end
    -- the generic for passes the item back: the page's last one is detached
    local prev, ends = nil, 0
    for n in fx.numbers:each{ page_size = 2 } do
      if prev and detached(prev) then ends = ends + 1 end
      prev = n
    end
    assert.equal(math.ceil(N / 2) - 1, ends)
  end)
end)
