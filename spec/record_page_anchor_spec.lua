-- record_page_anchor_spec.lua -- a page's records (core.parse_page) share
-- one uservalue table that anchors their page (body and doc box); on
-- LuaJIT each is born with it as its environment (src/ltw_record.c
-- new_records makes the table parse_page's own environment for the loop,
-- then puts the function's back). Each record of a page must hold its
-- page's table, no other, keep its page alive on its own, and parse_page's
-- environment must be what it was.
local core = require "twilio.core"
require "twilio.client"

local getuv = debug.getuservalue or debug.getfenv
local KEY = "incoming_phone_numbers"

local function page(tag, n)
  local items = {}
  for i = 1, n do
    items[i] = ('{"sid":"PN%s%030d","phone_number":"+1415555%04d"}'):format(tag, i, i)
  end
  return '{"' .. KEY .. '":[' .. table.concat(items, ",") .. '],"next_page_uri":null}'
end

describe("a page's records", function()
  it("each hold their page's table (ctx, body, doc box), one per page", function()
    local ctx = {}
    local a = assert(core.parse_page("PhoneNumber", KEY, page("aa", 50), ctx))
    local b = assert(core.parse_page("PhoneNumber", KEY, page("bb", 3), ctx))
    local ta, tb = getuv(a[1], 1), getuv(b[1], 1)
    assert.equal("table", type(ta))
    assert.are_not.equal(ta, tb)
    assert.equal(ctx, ta[1])
    assert.equal(page("aa", 50), ta[2])
    assert.equal("userdata", type(ta[3]))
    for i = 1, 50 do assert.equal(ta, getuv(a[i], 1)) end
    for i = 1, 3 do assert.equal(tb, getuv(b[i], 1)) end
    assert.equal(ctx, core.record_ctx(a[50]))
  end)

  it("keep their page alive on their own, and read it", function()
    local kept = {}
    for p = 1, 20 do
      local items = assert(core.parse_page("PhoneNumber", KEY, page(("%02d"):format(p), 200)))
      kept[p] = items[p * 7]
    end
    collectgarbage(); collectgarbage()
    for p = 1, 20 do
      assert.equal(("PN%02d%030d"):format(p, p * 7), kept[p].sid)
      assert.equal(("+1415555%04d"):format(p * 7), kept[p].phone_number)
    end
  end)

  it("leave parse_page's own environment as it was (LuaJIT)", function()
    if not debug.getfenv then return pending("Lua 5.4: no function environments") end
    local before = debug.getfenv(core.parse_page)
    for _ = 1, 3 do assert(core.parse_page("PhoneNumber", KEY, page("cc", 10))) end
    assert.equal(before, debug.getfenv(core.parse_page))
    -- and its records hold their page's table, not that environment
    local items = assert(core.parse_page("PhoneNumber", KEY, page("dd", 2)))
    assert.are_not.equal(before, getuv(items[1], 1))
    -- a page's table left there (as an error inside the loop would leave
    -- it) is replaced by the function's own at the next call
    debug.setfenv(core.parse_page, getuv(items[1], 1))
    assert(core.parse_page("PhoneNumber", KEY, page("ee", 2)))
    assert.equal(before, debug.getfenv(core.parse_page))
  end)
end)
