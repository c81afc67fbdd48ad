-- record_own_spec.lua -- a single record (core.parse_record, the fused call)
-- holds its body and doc itself (src/ltw_record.c, orecord): its uservalue
-- is its ctx, its own metatable's __gc frees the doc. What a page record
-- does through its shared uservalue table (ctx, set_ctx, replace, detach)
-- must work the same on it, and on records that replaced from it; a loop of
-- parses must not grow.
local core = require "twilio.core"
local child = require "helpers.child"
local finalizer_race = require "helpers.finalizer_race"
local record = require "twilio.record"
require "twilio.client"

local KEY = "incoming_phone_numbers"
local function page(items)
  return '{"' .. KEY .. '":[' .. table.concat(items, ",") .. '],"next_page_uri":null}'
end
local function number(sid, extra)
  return '{"sid":"' .. sid .. '","phone_number":"+14155550100","voice_url":"https://example.com/' .. sid
    .. '","n":7' .. (extra or "") .. "}"
end

local function full_gc() collectgarbage(); collectgarbage(); collectgarbage() end

describe("a single record", function()
  it("reads its fields, json and totable from its own copy of the body", function()
    local body = number("PN1", ',"friendly_name":"caf\\u00e9"')
    local n = assert(core.parse_record("PhoneNumber", body))
    body = nil -- luacheck: ignore (the record holds a copy)
    full_gc()
    assert.equal("PN1", n.sid)
    assert.equal(7, n.n)
    assert.equal("caf\195\169", n.friendly_name)
    assert.equal(number("PN1", ',"friendly_name":"caf\\u00e9"'), core.record_json(n))
    assert.equal("https://example.com/PN1", core.record_totable(n).voice_url)
    assert.equal("twilio.PhoneNumber: PN1 +14155550100", tostring(n))
    assert.equal("twilio.PhoneNumber", getmetatable(n).__name)
    assert.equal("PhoneNumber", core.record_kind(n))
    local c = assert(core.parse_record("Country", '{"country_code":"US"}'))
    assert.equal("twilio.Country: US", tostring(c))
    assert.is_function(c.search)
  end)

  it("reads its own members when records of one kind order their keys differently (a shared cache)", function()
    -- a kind's single records share where a key was found last (the first
    -- read of a fresh record is a hit); a record of another layout must
    -- still read its own member, also one whose key starts alike
    local layouts = {
      '{"sid":"%s","s":"short","phone_number":"+1","n":1}',
      '{"s":"short","n":2,"phone_number":"+2","sid":"%s"}',
      '{"phone_number":"+3","sid":"%s","sidx":"x","n":3,"s":"short"}',
    }
    for round = 1, 4 do
      for i, l in ipairs(layouts) do
        local sid = "PN" .. round .. i
        local r = assert(core.parse_record("PhoneNumber", l:format(sid)))
        assert.equal(sid, r.sid)
        assert.equal("short", r.s)
        assert.equal("+" .. i, r.phone_number)
        assert.equal(i, r.n)
        assert.is_nil(r.si)
        assert.equal(sid, r.sid)
      end
    end
  end)

  it("keeps the ctx it was given; set_ctx changes its own only", function()
    local ctx = { account_sid = "AC1" }
    local a = assert(core.parse_record("PhoneNumber", number("PN1"), ctx))
    local b = assert(core.parse_record("PhoneNumber", number("PN2"), ctx))
    assert.equal(ctx, core.record_ctx(a))
    assert.same({}, core.record_ctx(assert(core.parse_record("PhoneNumber", number("PN3")))))
    local other = { account_sid = "AC2" }
    core.record_set_ctx(a, other)
    assert.equal(other, core.record_ctx(a))
    assert.equal(ctx, core.record_ctx(b))
    core.record_set_ctx(a, nil)
    assert.same({}, core.record_ctx(a))
    assert.equal("PN1", a.sid)
    assert.has_error(function() core.record_set_ctx(a, "x") end)
  end)

  it("takes another record's data by record_replace, from a single record or a page's", function()
    local ctx = { account_sid = "AC1" }
    local a = assert(core.parse_record("PhoneNumber", number("PN1"), ctx))
    local p
    do
      local fresh = assert(core.parse_record("PhoneNumber", number("PN2")))
      core.record_replace(a, fresh)
    end
    full_gc()
    assert.equal("PN2", a.sid)
    assert.equal(ctx, core.record_ctx(a))           -- the ctx stays
    do
      local items = assert(core.parse_page("PhoneNumber", KEY, page{ number("PN3"), number("PN4") }))
      core.record_replace(a, items[2])
      p = items[1]
    end
    full_gc()
    assert.equal("PN4", a.sid)
    assert.equal(ctx, core.record_ctx(a))
    do                                              -- a page record takes a single one's
      local fresh = assert(core.parse_record("PhoneNumber", number("PN5")))
      core.record_replace(p, fresh)
    end
    full_gc()
    assert.equal("PN5", p.sid)
    assert.equal(number("PN5"), core.record_json(p))
    -- set_ctx after a replace keeps the replaced data
    core.record_set_ctx(a, { account_sid = "AC9" })
    assert.equal("PN4", a.sid)
    assert.equal("AC9", core.record_ctx(a).account_sid)
  end)

  it("stays readable from a record that replaced from it after it took other data itself", function()
    local a = assert(core.parse_record("PhoneNumber", number("PN1")))
    local b = assert(core.parse_record("PhoneNumber", number("PN2")))
    core.record_replace(b, a)                       -- b reads a's doc
    core.record_replace(a, assert(core.parse_record("PhoneNumber", number("PN3"))))
    full_gc()
    assert.equal("PN3", a.sid)
    assert.equal("PN1", b.sid)                       -- a's first doc is still a's
    a = nil -- luacheck: ignore (b anchors it)
    full_gc()
    assert.equal("PN1", b.sid)
    assert.equal(number("PN1"), core.record_json(b))
  end)

  it("is its own when detached (nothing shared), and detaches after a replace", function()
    local a = assert(core.parse_record("PhoneNumber", number("PN1"), { account_sid = "AC1" }))
    assert.equal(a, record.detach(a))
    assert.equal("PN1", a.sid)
    assert.equal("AC1", core.record_ctx(a).account_sid)
    local weak = setmetatable({}, { __mode = "k" })
    do
      local items = assert(core.parse_page("PhoneNumber", KEY, page{ number("PN2") }))
      weak[items] = true
      core.record_replace(a, items[1])
    end
    record.detach(a)
    full_gc()
    assert.is_nil(next(weak))
    assert.equal("PN2", a.sid)
    assert.equal("AC1", core.record_ctx(a).account_sid)
  end)

  it("keeps its released flag and methods", function()
    local n = assert(core.parse_record("PhoneNumber", number("PN1")))
    assert.is_false(n:released())
    core.record_release(n)
    assert.is_true(n:released())
    assert.equal("twilio.PhoneNumber: PN1 +14155550100 (released)", tostring(n))
    assert.same({ retries = 0, recovered = false }, n:call_info())
  end)

  it("refuses a body that is not one JSON object, without a record", function()
    for _, body in ipairs { "", "[]", "{", "<html>" } do
      local r, err = core.parse_record("PhoneNumber", body)
      assert.is_nil(r)
      assert.equal("decode", err.kind)
    end
  end)

  it("frees its doc when collected, also after a failed parse, a replace or a close #leaks", function()
    local keep = assert(core.parse_record("PhoneNumber", number("PN0")))
    for i = 1, 200 do
      local a = assert(core.parse_record("PhoneNumber", number("PN" .. i)))
      assert.is_nil(core.parse_record("PhoneNumber", "[1]"))
      assert.is_nil(core.parse_record("PhoneNumber", "{"))
      core.record_replace(keep, a)
      local close = rawget(getmetatable(a), "__close")
      if close then close(a) end
    end
    full_gc()
    assert.equal("PN200", keep.sid)
  end)

  it("reads as closed, never freed memory, when a finalizer sees it after its __gc", function()
    local results = finalizer_race.run(20, function(round)
      return assert(core.parse_record("PhoneNumber", number("PN" .. round)))
    end, function(rec) return rec.sid end)
    assert.equal(20, #results)
    for _, r in ipairs(results) do
      if r[1] then assert.matches("^PN%d+$", r[2])
      else assert.matches("record is closed", r[2], 1, true) end
    end
  end)

  it("frees what it holds: 60,000 parses of a 1.3 KB body do not grow the process", function()
    if os.getenv("TWILIO_TEST_ASAN") then return pending("ASan keeps freed memory in quarantine") end
    local f = io.open("/proc/self/status")
    if not f then return pending("needs /proc/self/status") end
    f:close()
    -- In a child process: how far a heap grows between two collections
    -- depends on the heap the collector paces itself with, and busted's
    -- grows with the specs loaded (a full run on LuaJIT grew 32 MB here
    -- with nothing leaked).
    local out, ok = child.run([=[
local core = require "twilio.core"
require "twilio.client"
local function rss_kb()
  local s = assert(io.open("/proc/self/status")):read("a")
  return tonumber(s:match("VmRSS:%s*(%d+)"))
end
local t = {}
for i = 1, 40 do t[i] = ',"f' .. i .. '":' .. i end
local body = '{"sid":"PN1","phone_number":"+14155550100","voice_url":"https://example.com/PN1","n":7' ..
  ',"pad":"' .. ("x"):rep(1100) .. '","k":1' .. table.concat(t) .. "}"
local function run(n)
  for _ = 1, n do
    local r = core.parse_record("PhoneNumber", body)
    if not r then error("parse failed") end
  end
  collectgarbage(); collectgarbage(); collectgarbage()
end
run(10000)
local before = rss_kb()
run(50000)
io.write(rss_kb() - before)
]=])
    assert(ok, out)
    local grown = tonumber(out)
    assert(grown, out)
    assert.is_true(grown < 4096, "the process grew by " .. grown .. " KB over 50,000 parses")
  end)
end)
