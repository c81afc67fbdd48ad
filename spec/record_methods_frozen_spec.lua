-- record_methods_frozen_spec.lua -- methods before fields when the method
-- table is frozen (core.set_methods' third argument, which record.define
-- passes with a copy of its own): a field read skips the method table for
-- a key no method has the length of (src/ltw_record.c kind_index), so the
-- lengths noted must cover every key, long ones and non-string ones
-- included, and a table installed without `frozen` is read live again.
-- Both VMs: on LuaJIT the C __index is what core.set_methods installs.
local core = require "twilio.core"
local record = require "twilio.record"
require "twilio.client"                  -- every kind's methods (addons define two)

local LONG = ("k"):rep(70)              -- longer than the 63 lengths noted one by one
local BODY = '{"sid":"XE1","phone_number":"+1","describe":"field","' .. LONG .. '":"long field",'
  .. '"' .. LONG .. 'x":"longer field"}'

-- AssignedAddOn's methods as twilio.addons defined them, read off a record,
-- to put back with record.define after each test.
local saved = {}
do
  local a = assert(core.parse_record("AssignedAddOn", BODY))
  for _, k in ipairs{ "delete", "fetch", "extensions", "time", "totable", "call_info" } do
    saved[k] = assert(a[k])
  end
end

local function new() return assert(core.parse_record("AssignedAddOn", BODY)) end
local function page_item()
  local body = '{"assigned_add_ons":[' .. BODY .. '],"next_page_uri":null}'
  local items = assert(core.parse_page("AssignedAddOn", "assigned_add_ons", body))
  return items[1]
end

describe("a frozen method table", function()
  after_each(function() record.define("AssignedAddOn", saved) end)

  it("still wins over a field of a method's length, on single and page records", function()
    local function sid() return "method wins" end
    core.set_methods("AssignedAddOn", { sid = sid, describe = function() return "m" end }, true)
    for _, a in ipairs{ new(), page_item() } do
      assert.equal(sid, a.sid)
      assert.equal("m", a.describe())
      assert.equal("+1", a.phone_number)            -- no method of length 12
      assert.equal("XE1", core.record_get(a, "sid"))
    end
  end)

  it("finds methods whose names are longer than 63 bytes, and no field of that name", function()
    local function f() return "long method" end
    core.set_methods("AssignedAddOn", { [LONG] = f }, true)
    local a = new()
    assert.equal(f, a[LONG])
    assert.equal("longer field", a[LONG .. "x"])     -- no method of that name: the field
  end)

  it("finds methods under keys that are not strings", function()
    local f = function() end
    core.set_methods("AssignedAddOn", { [1] = f, [true] = f }, true)
    local a = new()
    assert.equal(f, a[1])
    assert.equal(f, a[true])
    core.set_methods("AssignedAddOn", { sid = f }, true)
    assert.is_nil(a[1])
    assert.is_nil(a[true])
  end)

  it("is read live again once a table is installed without frozen", function()
    core.set_methods("AssignedAddOn", { describe = function() end }, true)
    local methods = {}
    core.set_methods("AssignedAddOn", methods)
    local a = new()
    assert.equal("XE1", a.sid)
    methods.sid = function() return "added later" end  -- a length no method had
    assert.equal("added later", a.sid())
  end)
end)

describe("record.define", function()
  after_each(function() record.define("AssignedAddOn", saved) end)

  it("installs a copy: the table it was given is neither read nor changed afterwards", function()
    local methods = { describe = function() return "method" end }
    record.define("AssignedAddOn", methods)
    assert.is_nil(rawget(methods, "totable"))       -- COMMON's went to the copy
    local a = new()
    assert.equal("method", a.describe())
    assert.equal("function", type(a.totable))
    methods.sid = function() end                     -- after define: not seen
    assert.equal("XE1", a.sid)
  end)
end)
