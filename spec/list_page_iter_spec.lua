-- list_page_iter_spec.lua -- core.page_iter (Lua 5.4: list:each{}'s C
-- iterator, src/ltw_record.c page_next) over several lazy pages: every item
-- of every page once, in order, then the end; records handed out stay
-- readable after their page is done. The iterator keeps the page it reads
-- in two upvalues (the page, and its address for the common step): both
-- must follow each new page and both must be dropped while refill runs
-- (ASan catches a stale address: the page may be collected meanwhile). The
-- loop stops itself past the expected count, so a broken iterator fails
-- here instead of looping for ever.
local core = require "twilio.core"
require "twilio.client"

local KEY = "incoming_phone_numbers"

local function body(p, n)
  local items = {}
  for i = 1, n do
    items[i] = ('{"sid":"PN%02d%030d","phone_number":"+1%010d"}'):format(p, i, p * 1000 + i)
  end
  return '{"' .. KEY .. '":[' .. table.concat(items, ",") .. '],"next_page_uri":null}'
end

describe("core.page_iter", function()
  if not core.page_iter then
    it("is Lua 5.4's only", function() pending("LuaJIT compiles list:each{}'s Lua iterator") end)
    return
  end

  it("hands out every item of every lazy page once, in order, then ends", function()
    local sizes = { 3, 1, 4 }
    local expected = {}
    for p, n in ipairs(sizes) do
      for i = 1, n do expected[#expected + 1] = ('PN%02d%030d'):format(p, i) end
    end
    local p, refills = 0, 0
    local function refill()
      refills = refills + 1
      collectgarbage()                  -- the page just finished may go now
      p = p + 1
      if p > #sizes then return nil, false, 0 end
      local page = assert(core.parse_page("PhoneNumber", KEY, body(p, sizes[p]), nil, true))
      return page[1], page, 1           -- as twilio.list's advance: it hands out the first
    end
    local got, kept = {}, {}
    local next_item = core.page_iter(refill)
    for n in next_item do
      got[#got + 1] = n.sid
      kept[#kept + 1] = n
      if #got > #expected then break end   -- a broken iterator: stop, fail below
    end
    assert.same(expected, got)
    assert.equal(#sizes + 1, refills)
    collectgarbage()                         -- the last page's userdata is gone
    assert.is_nil(next_item())               -- called again: asks refill, holds no page
    assert.equal(#sizes + 2, refills)
    for i, n in ipairs(kept) do                -- records outlive their pages
      assert.equal(expected[i], n.sid)
    end
    assert.equal("+10000003004", kept[#kept].phone_number)
  end)
end)
