-- record_block_spec.lua -- a single record (core.parse_record, the fused call,
-- the bulk lane) whose doc outgrows its first block: tw_json.c sizes a
-- single record's doc for Twilio's objects (one_layout: one item slot, an
-- index of about one member per 28 bytes), so a denser or larger record
-- moves its index to arrays of its own, and an object over 64 KiB gets a
-- wide index on its first lookup. Such a record must read every field,
-- free all of it (its __gc, on 5.4), keep the record that took its data
-- readable, and read as closed, never as freed memory, from a finalizer
-- that runs after its own.
local core = require "twilio.core"
local child = require "helpers.child"
local finalizer_race = require "helpers.finalizer_race"
require "twilio.client"

local function full_gc() collectgarbage(); collectgarbage(); collectgarbage() end

local function number(sid)
  return '{"sid":"' .. sid .. '","phone_number":"+14155550100","voice_url":"https://example.com/' .. sid
    .. '","friendly_name":"(415) 555-0100","n":7}'
end

-- A record whose doc cannot stay in its block: n tiny members (more than
-- the first estimate of the index, about one per 32 bytes) over 64 KiB.
local function big(sid, n)
  local t = {}
  for i = 1, n do t[i] = '"k' .. i .. '":' .. i end
  return '{"sid":"' .. sid .. '",' .. table.concat(t, ",") .. ',"last":"' .. sid .. '"}'
end


describe("a single record larger than its first block", function()
  it("reads a large record (its index outside the first block) and has a finalizer", function()
    local r = assert(core.parse_record("PhoneNumber", big("PN2", 12000)))
    assert.equal("PN2", r.sid)
    assert.equal("PN2", r.last)
    assert.equal(11999, r.k11999)
    assert.is_nil(r.k12001)
    -- both VMs: on LuaJIT a single record's doc is in its userdata, without
    -- a finalizer, unless it holds memory of its own (this one does)
    local gc = rawget(getmetatable(r), "__gc")
    assert.is_function(gc)
    local ok, err = pcall(gc, io.stdout)                -- a userdata, not a record
    assert.is_false(ok)
    assert.matches("twilio record expected", err, 1, true)
    assert.has_error(function() gc({}) end)
    local small = assert(core.parse_record("PhoneNumber", number("PN3")))
    if rawget(_G, "jit") then assert.is_nil(rawget(getmetatable(small), "__gc")) end
  end)

  it("frees what a large record holds outside its block #leaks", function()
    for i = 1, 20 do
      local r = assert(core.parse_record("PhoneNumber", big("PN" .. i, 12000)))
      assert.equal(i, r.k1 * i)            -- builds the wide index (a lookup)
      assert.equal(12000, r.k12000)
    end
    assert.is_nil(core.parse_record("PhoneNumber", big("PNx", 12000) .. "x"))
    full_gc()
  end)

  it("frees them: 400 more large records do not grow the process", function()
    if os.getenv("TWILIO_TEST_ASAN") then return pending("ASan keeps freed memory in quarantine") end
    if not io.open("/proc/self/status") then return pending("needs /proc/self/status") end
    -- in a child process (busted's heap paces the collector otherwise)
    local out, ok = child.run([=[
local core = require "twilio.core"
require "twilio.client"
local function rss_kb()
  local s = assert(io.open("/proc/self/status")):read("a")
  return tonumber(s:match("VmRSS:%s*(%d+)"))
end
local t = {}
for i = 1, 12000 do t[i] = '"k' .. i .. '":' .. i end
local body = '{"sid":"PN1",' .. table.concat(t, ",") .. '}'
local function run(n)
  for _ = 1, n do
    local r = assert(core.parse_record("PhoneNumber", body))
    assert(r.k12000 == 12000)
  end
  collectgarbage(); collectgarbage(); collectgarbage()
end
run(500)                 -- the heap's own plateau first (glibc keeps what was freed)
local before = rss_kb()
run(400)
io.write(rss_kb() - before)
]=])
    assert(ok, out)
    local grown = assert(tonumber(out), out)
    -- leaked, each would keep ~150 KB (its members and wide index): 60 MB
    assert.is_true(grown < 24576, "the process grew by " .. grown .. " KB over 400 more parses")
  end)

  it("stays readable from a record that took its data, after it was dropped", function()
    local keep = assert(core.parse_record("PhoneNumber", number("PN0")))
    local keep_big = assert(core.parse_record("PhoneNumber", number("PN0")))
    do
      core.record_replace(keep, assert(core.parse_record("PhoneNumber", number("PN77"))))
      core.record_replace(keep_big, assert(core.parse_record("PhoneNumber", big("PN78", 12000))))
    end
    full_gc()
    local junk = {}
    for i = 1, 2000 do junk[i] = number("PN" .. i) .. i end  -- reuse freed memory
    assert.equal(2000, #junk)
    assert.equal("PN77", keep.sid)
    assert.equal("https://example.com/PN77", keep.voice_url)
    assert.equal("PN78", keep_big.last)
    assert.equal(11000, keep_big.k11000)
    assert.equal("{", core.record_json(keep):sub(1, 1))
  end)

  it("reads as closed, never freed memory, when a finalizer sees a large one after its __gc", function()
    local results = finalizer_race.run(10, function(round)
      return assert(core.parse_record("PhoneNumber", big("PN" .. round, 12000)))
    end, function(rec) return rec.last end)
    assert.equal(10, #results)
    for _, r in ipairs(results) do
      if r[1] then assert.matches("^PN%d+$", r[2])
      else assert.matches("record is closed", r[2], 1, true) end
    end
  end)
end)
