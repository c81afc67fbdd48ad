-- list:each{}: the unfiltered iterator (no limit, no match) keeps its page
-- and position in upvalues and hands the rest to the cursor's advance; the
-- general iterator (limit, match) reads the cursor. Both must give what
-- the cursor gives, item for item, across pages and after the end.
local emu = require "helpers.emulator"

describe("list:each", function()
  local N = 23
  local fx = emu.seeded(N)   -- fx.client, fx.numbers: a client of N seeded numbers

  local function cursor_sids(params)
    local cur = assert(fx.numbers:cursor(params))
    local out = {}
    while true do
      local n, err = cur:next()
      assert.is_nil(err)
      if n == nil then return out end
      out[#out + 1] = n.sid
    end
  end

  local function each_sids(params)
    local out = {}
    for n in fx.numbers:each(params) do out[#out + 1] = n.sid end
    return out
  end

  it("gives the cursor's items in its order, over every page, with and without limit or match", function()
    local all = cursor_sids{ page_size = 5 }
    assert.equals(N, #all)
    assert.same(all, each_sids{ page_size = 5 })                       -- the unfiltered path
    assert.same(cursor_sids{ page_size = 5, limit = 12 }, each_sids{ page_size = 5, limit = 12 })
    assert.same(cursor_sids{ page_size = 5, match = "*" }, each_sids{ page_size = 5, match = "*" })
    assert.equals(12, #each_sids{ page_size = 5, limit = 12 })
    assert.same(all, each_sids{ page_size = 23 })                      -- one full page
    assert.same(all, each_sids{ page_size = 1000 })
  end)

  it("keeps answering nil after the end, without another request", function()
    local it = fx.numbers:each{ page_size = 5 }
    local count = 0
    for _ in it do count = count + 1 end
    assert.equals(N, count)
    emu.clear_log()
    assert.is_nil(it())
    assert.is_nil(it())
    assert.equals(0, #emu.requests("IncomingPhoneNumbers"))
  end)

  it("hands out records that stay readable after their page is gone and the loop has ended", function()
    local kept, sids = {}, {}
    for n in fx.numbers:each{ page_size = 5 } do
      kept[#kept + 1] = n
      sids[#sids + 1] = n.sid
    end
    collectgarbage(); collectgarbage()
    assert.equals(N, #kept)
    for i, n in ipairs(kept) do
      assert.equals(sids[i], n.sid)
      assert.is_string(n.phone_number)
      assert.is_function(n.update)                                     -- methods first
    end
  end)
end)
