-- record_read_trace_spec.lua -- what LuaJIT compiles for a field read
-- (n.sid) through twilio.record's Lua __index: the IR of the trace of a loop
-- reading a page's records, counted by opcode (jit.util.traceir). Each
-- kind's index is a prototype of its own, so its immutable upvalues (the FFI
-- reader, its output slot, ffi.string, debug.getmetatable, type, the check
-- interval) are constants in the trace, not loads; and the record's
-- metatable is read by debug.getmetatable, which looks up no __metatable
-- field. Only the index's tables (methods, the kind's metatable) and its
-- read counter are loaded. Lua 5.4 reads through the C __index: nothing to
-- compile.
local child = require "helpers.child"
local record = require "twilio.record"

local SCRIPT = [[
local core = require "twilio.core"
require "twilio.client"                 -- every kind's index (addons define two)
local util, vmdef = require "jit.util", require "jit.vmdef"
local items = {}
for i = 1, 200 do items[i] = '{"sid":"PN' .. i .. '","phone_number":"+1415555' .. i .. '"}' end
items = assert(core.parse_page("PhoneNumber", "incoming_phone_numbers",
  '{"incoming_phone_numbers":[' .. table.concat(items, ",") .. '],"next_page_uri":null}'))
local n = 0
for _ = 1, 20 do
  for j = 1, #items do
    if items[j].sid == "PN" .. j then n = n + 1 end
  end
end
-- the trace that calls the FFI reader (CALLXS): its IR opcodes, counted
local function opname(op) return (vmdef.irnames:sub(op * 6 + 1, op * 6 + 6):gsub(" ", "")) end
local counts
for tr = 1, 1000 do
  local info = util.traceinfo(tr)
  if not info then break end
  local c = {}
  for ref = 1, info.nins do
    local _, ot = util.traceir(tr, ref)
    if ot then local op = opname(math.floor(ot / 256)); c[op] = (c[op] or 0) + 1 end
  end
  if c.CALLXS then counts = c; break end
end
io.write(n, " ", counts and "compiled" or "not-compiled", " ULOAD=", counts and counts.ULOAD or 0,
         " HREF=", counts and counts.HREF or 0, "\n")
]]

-- A sandbox without string.dump: every kind's index is the factory's own
-- closure (one prototype), which reads the same.
local NO_DUMP = [[
string.dump = nil
local core = require "twilio.core"
local record = require "twilio.record"
require "twilio.client"
local items = assert(core.parse_page("PhoneNumber", "incoming_phone_numbers",
  '{"incoming_phone_numbers":[{"sid":"PN1","phone_number":"+1","n":7,"e":"a\\u0041"},' ..
  '{"sid":"PN2","beta":false}],"next_page_uri":null}'))
local av = assert(core.parse_record("AvailablePhoneNumber", '{"phone_number":"+2"}'))
local out = {}
for _ = 1, 300 do
  out = { items[1].sid, items[1].phone_number, items[1].n, items[1].e, items[2].sid,
          tostring(items[2].beta), tostring(items[2].phone_number), av.phone_number,
          type(items[1].update), type(av.buy) }
end
io.write(tostring(record.fast_reads), " ", debug.getinfo(getmetatable(items[1]).__index, "S").what,
         " ", table.concat(out, " "))
]]

describe("a record field read on LuaJIT", function()
  if not record.fast_reads then
    it("is the C __index's on Lua 5.4 (nothing compiled)", function()
      assert.equal("C", debug.getinfo(getmetatable(require("twilio.core")
        .parse_record("PhoneNumber", '{"sid":"PN1"}')).__index, "S").what)
    end)
    return
  end

  local out, ok = child.run(SCRIPT)
  local n, compiled, uloads, hrefs = out:match("^(%d+) (%S+) ULOAD=(%d+) HREF=(%d+)")

  it("is compiled into the loop, with the FFI reader called from the trace", function()
    assert(ok, out)
    assert.equal("4000", n)
    assert.equal("compiled", compiled, out)
  end)

  it("reads the same in a sandbox without string.dump (one index prototype for all kinds)", function()
    local o, done = child.run(NO_DUMP)
    assert(done, o)
    assert.equal("true Lua PN1 +1 7 aA PN2 false nil +2 function function", o)
  end)

  it("reads the same in a sandbox whose load raises (string.dump kept)", function()
    local o, done = child.run((NO_DUMP:gsub("^string%.dump = nil\n",
                                            'load = function() error("no load in this sandbox") end\n')))
    assert(done, o)
    assert.equal("true Lua PN1 +1 7 aA PN2 false nil +2 function function", o)
  end)

  it("loads only the index's tables and read counter: its other upvalues are constants", function()
    -- closures of one shared prototype (one per kind) loaded and checked
    -- every upvalue on each read: 18 loads in this loop
    assert(ok, out)
    assert.is_true(tonumber(uloads) <= 3, "ULOAD in the trace: " .. tostring(uloads))
  end)

  it("looks up no __metatable field (debug.getmetatable): one hash lookup, methods[key]", function()
    assert(ok, out)
    assert.is_true(tonumber(hrefs) <= 1, "HREF in the trace: " .. tostring(hrefs))
  end)
end)
