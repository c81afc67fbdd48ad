-- list_each_iter_spec.lua -- list:each{}'s unfiltered iterator: on Lua 5.4
-- the C one (core.page_iter, src/ltw_record.c: it clears the item before
-- the one it hands out and gives the last one of a page to the cursor to
-- detach), on LuaJIT the Lua one (twilio.list). Both must give the
-- cursor's items over pages of every size (a page of one item included),
-- let the records the caller dropped go while the page is read, detach the
-- record handed out last before the next page is fetched, let a fetch
-- yield (the C iterator continues after it: lua_callk) and raise a failed
-- page's error.
local emu = require "helpers.emulator"
local core = require "twilio.core"

local getuv = debug.getuservalue or debug.getfenv

-- Whether rec reads a copy of its own JSON (record_detach) rather than its
-- page's body (its uservalue table's second slot: the page's string or
-- twilio.Body, which holds the whole page).
local function detached(rec)
  local body = getuv(rec, 1)[2]
  return type(body) == "string" and body == core.record_json(rec)
end

describe("list:each{} without limit or match", function()
  local N = 23
  local fx = emu.seeded(N)   -- fx.client, fx.numbers: a client of N seeded numbers

  it("is the C iterator on Lua 5.4 only, which calls no Lua between a page's items", function()
    assert.equal(_VERSION == "Lua 5.4" and not rawget(_G, "jit"), core.page_iter ~= nil)
    local i, lua_calls = 0, 0
    local getinfo, sethook = debug.getinfo, debug.sethook   -- no global read in the window
    local function hook()
      if getinfo(2, "S").what == "Lua" then lua_calls = lua_calls + 1 end
    end
    for _ in fx.numbers:each{ page_size = N } do
      i = i + 1
      if i == 2 then sethook(hook, "c") elseif i == N - 1 then sethook() end
    end
    assert.equal(N, i)
    -- the Lua iterator is called for each item from 3 to N - 1
    assert.equal(core.page_iter and 0 or N - 3, lua_calls, tostring(lua_calls))
  end)

  it("gives the cursor's items over pages of 1, 2, 5, 22, 23 and 1000 items", function()
    local cur = assert(fx.numbers:cursor{ page_size = 5 })
    local all = {}
    while true do
      local n = assert(cur:next() or true)
      if n == true then break end
      all[#all + 1] = n.sid
    end
    assert.equal(N, #all)
    for _, size in ipairs{ 1, 2, 5, 22, 23, 1000 } do
      local got = {}
      for n in fx.numbers:each{ page_size = size } do got[#got + 1] = n.sid end
      assert.same(all, got, "page_size " .. size)
    end
  end)

  it("lets the records the caller dropped go while their page is read", function()
    local alive = setmetatable({}, { __mode = "k" })
    local k, most = 0, 0
    for n in fx.numbers:each{ page_size = 10 } do
      k = k + 1
      alive[n] = true
      collectgarbage(); collectgarbage()
      local c = 0
      for _ in pairs(alive) do c = c + 1 end
      if c > most then most = c end
    end
    assert.equal(N, k)
    -- the loop's own, and the page's first (the cursor's last until the
    -- page ends: advance handed it out); 10 if the page kept them all
    assert.is_true(most <= 2, "records alive at once: " .. most)
  end)

  it("detaches the record handed out last before the next page is fetched", function()
    for _, size in ipairs{ 1, 2, 5 } do
      local prev, i, ends = nil, 0, 0
      for n in fx.numbers:each{ page_size = size } do
        i = i + 1
        if prev then
          -- prev ended its page: it reads a copy of its own JSON now;
          -- otherwise it still reads its page's body
          local ended = (i - 1) % size == 0
          assert.equal(ended, detached(prev), "page_size " .. size .. ", item " .. (i - 1))
          assert.is_false(detached(n))
          if ended then ends = ends + 1 end
          assert.is_string(prev.sid)
        end
        prev = n
      end
      assert.equal(N, i)
      assert.equal(math.ceil(N / size) - 1, ends, "page_size " .. size)
    end
  end)

  it("lets a page's fetch yield (a transport that yields, in a coroutine)", function()
    local curl = require "twilio.transport.curl"
    local inner = curl.new{}
    local yielding = { name = "yielding", request = function(_, req)
      coroutine.yield("fetching")
      return inner:request(req)
    end }
    local c = emu.client{ transport = yielding }
    local run = coroutine.wrap(function()
      local out = {}
      for n in c.incoming_phone_numbers:each{ page_size = 5 } do out[#out + 1] = n.sid end
      return "done", out
    end)
    local fetches, r, out = 0, run()
    while r == "fetching" do
      fetches = fetches + 1
      r, out = run()
    end
    assert.equal("done", r)
    assert.equal(5, fetches)                                  -- 23 numbers, pages of 5
    local all = {}
    for n in fx.numbers:each{ page_size = 5 } do all[#all + 1] = n.sid end
    assert.same(all, out)
    c:close()
    inner:close()
  end)

  it("raises the error of a page that fails, after the items of the pages before", function()
    local seen = 0
    local ok, err = pcall(function()
      for _ in fx.numbers:each{ page_size = 5 } do
        seen = seen + 1
        if seen == 1 then
          emu.fault{ fault = "status", status = 400, body_type = "json", count = 1, method = "GET",
                     path = "IncomingPhoneNumbers%.json" }
        end
      end
    end)
    assert.is_false(ok)
    assert.equal(5, seen)
    assert.equal("table", type(err))
    assert.equal(400, err.status)
  end)
end)
