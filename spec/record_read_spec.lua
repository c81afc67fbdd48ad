-- record_read_spec.lua -- reading a record's fields (n.sid) through the
-- __index twilio.record installs: on LuaJIT a Lua function the JIT compiles
-- (methods, then the C reader through the FFI for plain strings and nil,
-- the C __index for the rest: src/ltw_record.c ffi_read), on Lua 5.4 the C
-- __index. Every value must read exactly as the C path reads it
-- (core.record_get), on records of pages that are gone, detached or
-- replaced, for every JSON type, escapes and nulls.
local core = require "twilio.core"
local child = require "helpers.child"
local record = require "twilio.record"
require "twilio.client"                  -- every kind's methods (addons define two)

local KEY = "incoming_phone_numbers"

local function page(items, next_uri)
  return '{"end":0,"' .. KEY .. '":[' .. table.concat(items, ",") .. '],"next_page_uri":'
    .. (next_uri and ('"' .. next_uri .. '"') or "null") .. ',"page":0,"page_size":50}'
end

-- One number with every kind of value a field can hold.
local FIELDS = {
  '"sid":"PNaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"', '"phone_number":"+14155550100"',
  '"friendly_name":"caf\\u00e9 \\ud83d\\ude00 \\"q\\" \\/ \\\\ \\n"', '"nul":"a\\u0000b"',
  '"long_plain":"' .. ("x"):rep(300) .. '"', '"utf8":"caf\195\169"',
  '"beta":false', '"voice_caller_id_lookup":true',
  '"capabilities":{"voice":true,"sms":false,"mms":true,"fax":false}',
  '"sms_application_sid":""', '"trunk_sid":null', '"n_int":42', '"n_neg":-7', '"n_float":1.5',
  '"n_exp":2e3', '"configuration":[1,null,"x",{"deep":[true,""]}]', '"empty_obj":{}',
  '"empty_arr":[]', '"k\\u0065y":"escaped key"', '"dup":"first"', '"dup":"second"',
}
local NAMES = {
  "sid", "phone_number", "friendly_name", "nul", "long_plain", "utf8", "beta",
  "voice_caller_id_lookup", "capabilities", "sms_application_sid", "trunk_sid", "n_int", "n_neg",
  "n_float", "n_exp", "configuration", "empty_obj", "empty_arr", "key", "dup", "no_such_field",
  "", ("k"):rep(60),
}
local EXPECTED = {
  sid = "PNaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", phone_number = "+14155550100",
  friendly_name = "caf\195\169 \240\159\152\128 \"q\" / \\ \n", nul = "a\0b",
  long_plain = ("x"):rep(300), utf8 = "caf\195\169", beta = false, voice_caller_id_lookup = true,
  capabilities = { voice = true, sms = false, mms = true, fax = false },
  n_int = 42, n_neg = -7, n_float = 1.5, n_exp = 2000,
  configuration = { 1, nil, "x", { deep = { true, "" } } }, empty_obj = {}, empty_arr = {},
  key = "escaped key",
}

local function number(over)
  local t = {}
  for i, f in ipairs(FIELDS) do t[i] = f end
  if over then t[#t + 1] = over end
  return "{" .. table.concat(t, ",") .. "}"
end

-- Every name read through rec[name] equals the C path's value and the expected one.
local function assert_reads(rec, expected)
  for _, name in ipairs(NAMES) do
    local fast, c = rec[name], core.record_get(rec, name)
    assert.same(c, fast, "field " .. name .. " reads as in C")
    if name ~= "dup" then assert.same(expected[name], fast, "field " .. name) end
    assert.equal(type(c), type(fast))
    if math.type then assert.equal(math.type(c), math.type(fast), "number subtype of " .. name) end
  end
end

describe("record fields", function()
  it("are read by a Lua __index on LuaJIT (the JIT compiles it) and by C on Lua 5.4", function()
    local n = assert(core.parse_record("PhoneNumber", number()))
    local index = getmetatable(n).__index
    local what = debug.getinfo(index, "S").what
    if rawget(_G, "jit") then
      assert.is_true(record.fast_reads)
      assert.equal("Lua", what)
    else
      assert.is_false(record.fast_reads)
      assert.equal("C", what)
    end
  end)

  it("read every JSON type as the C path does: escapes, nulls, \"\", numbers, nested values", function()
    assert_reads(assert(core.parse_record("PhoneNumber", number())), EXPECTED)
    local items = assert(core.parse_page("PhoneNumber", KEY, page{ number(), number(), number() }))
    for i = 1, 3 do assert_reads(items[i], EXPECTED) end
  end)

  it("read the right member when records of a page order their keys differently", function()
    -- the lookup guesses a key's position from the record read before it
    local items = assert(core.parse_page("PhoneNumber", KEY, page{
      '{"sid":"PN1","phone_number":"+1","voice_url":"v1"}',
      '{"voice_url":"v2","sid":"PN2"}',
      '{"phone_number":"+3","sid":"PN3","voice_url":null}',
      '{"x":1}',
    }))
    for _ = 1, 2 do
      assert.same({ "PN1", "+1", "v1" }, { items[1].sid, items[1].phone_number, items[1].voice_url })
      assert.same({ "PN2", nil, "v2" }, { items[2].sid, items[2].phone_number, items[2].voice_url })
      assert.same({ "PN3", "+3" }, { items[3].sid, items[3].phone_number })
      assert.is_nil(items[3].voice_url)
      assert.is_nil(items[4].sid)
      assert.equal(1, items[4].x)
    end
  end)

  it("give fresh tables for nested values (a caller's change does not stick)", function()
    local n = assert(core.parse_record("PhoneNumber", number()))
    local caps = n.capabilities
    caps.voice = "changed"
    assert.is_true(n.capabilities.voice)
    assert.are_not.equal(caps, n.capabilities)
  end)

  it("outlive their page: body, items and other records gone, or detached", function()
    local getuv = debug.getuservalue or debug.getfenv
    local weak = setmetatable({}, { __mode = "v" })
    local kept, detached
    do
      local body = page{ number('"extra":"one"'), number('"extra":"two"'), number('"extra":"three"') }
      local items = assert(core.parse_page("PhoneNumber", KEY, body))
      kept, detached = items[1], items[3]
      weak.box = getuv(items[1])[3]
    end
    collectgarbage(); collectgarbage()
    assert.is_not_nil(weak.box)                         -- kept holds its page
    assert_reads(kept, EXPECTED)
    assert.equal("one", kept.extra)
    record.detach(detached)
    assert_reads(detached, EXPECTED)
    assert.equal("three", detached.extra)
    kept = nil -- luacheck: ignore (drops the page's last holder)
    collectgarbage(); collectgarbage()
    assert.is_nil(weak.box)                             -- the page is gone
    assert_reads(detached, EXPECTED)                    -- its copy reads the same
    assert.equal("three", detached.extra)
  end)

  it("follow record_replace to the other record's doc", function()
    local a = assert(core.parse_record("PhoneNumber", '{"sid":"PN1","voice_url":"old"}'))
    assert.equal("old", a.voice_url)
    do
      local b = assert(core.parse_record("PhoneNumber", number('"voice_url":"new"')))
      core.record_replace(a, b)
    end
    collectgarbage(); collectgarbage()
    assert.equal("new", a.voice_url)
    assert_reads(a, EXPECTED)
  end)

  it("come after the kind's methods, which win over a field of the same name", function()
    local n = assert(core.parse_record("PhoneNumber",
      '{"sid":"PN1","update":"field","totable":"field","released":"field","voice_url":"v"}'))
    assert.is_function(n.update)
    assert.is_function(n.totable)
    assert.is_false(n:released())
    assert.equal("v", n.voice_url)
    assert.equal("field", core.record_get(n, "update"))    -- the field is still there
    local c = assert(core.parse_record("Country", '{"country_code":"US","update":"field"}'))
    assert.equal("field", c.update)                         -- Country has no update
    assert.is_function(c.search)
  end)

  it("refuse what is not a record of this kind's metatable, without reading its memory", function()
    local n = assert(core.parse_record("PhoneNumber", '{"sid":"PN1"}'))
    local index = getmetatable(n).__index
    for _, other in ipairs{ io.stdout, {}, "PN1" } do
      local ok, err = pcall(index, other, "sid")
      assert.is_false(ok)
      assert.matches("twilio record expected", err, 1, true)
    end
    local c = assert(core.parse_record("Country", '{"sid":"CC1","country_code":"US"}'))
    assert.equal("CC1", index(c, "sid"))                    -- another kind: through C, still read
    assert.is_nil(n[1])
    assert.is_nil(n[true])
  end)

  it("core.set_methods puts the C __index back; define installs the reading one again", function()
    local a = assert(core.parse_record("AssignedAddOn", '{"sid":"XE1","describe":"field"}'))
    local what = debug.getinfo(getmetatable(a).__index, "S").what
    local saved = {}                                        -- twilio.addons' methods, to put back
    for _, k in ipairs{ "delete", "fetch", "extensions", "time", "totable", "call_info" } do
      saved[k] = assert(a[k])
    end
    local ok, err = pcall(function()
      core.set_methods("AssignedAddOn", { describe = function() return "method" end })
      assert.equal("C", debug.getinfo(getmetatable(a).__index, "S").what)
      assert.equal("method", a.describe())
      assert.equal("XE1", a.sid)
      assert.is_nil(a.fetch)
    end)
    record.define("AssignedAddOn", saved)
    assert(ok, err)
    assert.equal(what, debug.getinfo(getmetatable(a).__index, "S").what)
    assert.equal("field", a.describe)
    assert.equal(saved.fetch, a.fetch)
    assert.equal("XE1", a.sid)
  end)

  it("of a record whose page was finalized read as closed, never freed memory", function()
    -- A finalizer that runs after the page's doc box was finalized in the
    -- same cycle sees a record whose doc is gone (5.4: a table __gc; LuaJIT:
    -- a proxy's). Which finalizer runs first is the collector's business:
    -- every read either works or raises "record is closed".
    local newproxy = rawget(_G, "newproxy")
    local results = {}
    -- Leaves a page record reachable only from a finalizer's upvalue; odd
    -- rounds mark the finalizer's object before the page, even ones after.
    local function setup(round)
      local holder = {}
      local function fin()
        results[#results + 1] = { pcall(function() return holder.rec.sid end) }
      end
      local function parse()
        holder.rec = assert(core.parse_page("PhoneNumber", KEY, page{ '{"sid":"PN' .. round .. '"}' }))[1]
      end
      if round % 2 == 0 then parse() end
      if newproxy then
        getmetatable(newproxy(true)).__gc = fin
      else
        setmetatable({}, { __gc = fin })
      end
      if round % 2 == 1 then parse() end
    end
    for round = 1, 20 do
      setup(round)
      collectgarbage(); collectgarbage(); collectgarbage()
    end
    assert.equal(20, #results)
    local closed = 0
    for _, r in ipairs(results) do
      if r[1] then
        assert.matches("^PN%d+$", r[2])
      else
        assert.matches("record is closed", r[2], 1, true)
        closed = closed + 1
      end
    end
    assert.is_true(closed > 0, "some round finalized the page first")
  end)

  if record.fast_reads then
    it("go back to the C __index for good once LuaJIT blacklists the Lua one", function()
      -- A loop that cannot compile (it makes a closure: FNEW) calls the Lua
      -- __index from the interpreter, where each FFI read costs ~2,400
      -- instructions more than the C path; LuaJIT blacklists the __index
      -- (its traces abort), and then every trace that reaches it aborts too.
      -- In a child process: the blacklist is the VM's for good.
      local script = [[
        local core = require "twilio.core"
        require "twilio.client"
        local items = {}
        for i = 1, 100 do items[i] = '{"sid":"PN' .. i .. '","phone_number":"+1415555' .. i .. '"}' end
        items = assert(core.parse_page("PhoneNumber", "incoming_phone_numbers",
          '{"incoming_phone_numbers":[' .. table.concat(items, ",") .. '],"next_page_uri":null}'))
        local index = getmetatable(items[1]).__index
        local before = debug.getinfo(index, "S").what
        for _ = 1, 5000 do
          for j = 1, #items do
            local _ = function() end
            assert(items[j].sid == "PN" .. j)
          end
        end
        io.write(before, " ", debug.getinfo(getmetatable(items[1]).__index, "S").what, " ",
                 items[7].sid, " ", items[7].phone_number)
      ]]
      local out, ok = child.run(script)
      assert(ok, out)
      assert.equal("Lua C PN7 +14155557", out)
    end)
  end
end)
