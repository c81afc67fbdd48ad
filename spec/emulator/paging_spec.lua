-- The emulator: Twilio's paging envelope, cursor PageTokens, PageSize limits.
local http = require "helpers.http"

local function get(uri)
  local res = assert(http.api{ full = uri })
  assert.equal(200, res.status, res.body)
  return res.json
end

local function sids(page)
  local out = {}
  for i, n in ipairs(page.incoming_phone_numbers) do out[i] = n.sid end
  return out
end

describe("emulator paging", function()
  local emu, base
  setup(function()
    emu = http.emulator()
    base = "/2010-04-01/Accounts/" .. emu.account_sid .. "/IncomingPhoneNumbers.json"
  end)
  teardown(function() http.emulator_stop() end)
  before_each(function()
    http.reset()
    local status = http.control("POST", "seed", { account_sid = emu.account_sid, count = 25 })
    assert.equal(200, status)
  end)

  it("walks three pages with PageSize through next_page_uri", function()
    local p0 = get(base .. "?PageSize=10")
    assert.equal(0, p0.page)
    assert.equal(10, p0.page_size)
    assert.equal(0, p0.start)
    assert.equal(9, p0["end"])
    assert.equal(base .. "?PageSize=10&Page=0", p0.uri)
    assert.equal(base .. "?PageSize=10&Page=0", p0.first_page_uri)
    assert.equal(http.null, p0.previous_page_uri)
    assert.equal(base .. "?PageSize=10&Page=1&PageToken=PA" .. p0.incoming_phone_numbers[10].sid, p0.next_page_uri)
    local p1 = get(p0.next_page_uri)
    assert.equal(1, p1.page)
    assert.equal(10, p1.start)
    assert.equal(19, p1["end"])
    assert.equal(p0.first_page_uri, p1.first_page_uri)
    assert.is_string(p1.previous_page_uri)
    local p2 = get(p1.next_page_uri)
    assert.equal(2, p2.page)
    assert.equal(5, #p2.incoming_phone_numbers)
    assert.equal(20, p2.start)
    assert.equal(24, p2["end"])
    assert.equal(http.null, p2.next_page_uri)
    -- no repeats, all 25, in SID order
    local all = {}
    for _, p in ipairs({ p0, p1, p2 }) do
      for _, s in ipairs(sids(p)) do all[#all + 1] = s end
    end
    assert.equal(25, #all)
    for i = 2, #all do assert.is_true(all[i - 1] < all[i]) end
    -- previous_page_uri leads back to the same items
    assert.same(sids(p1), sids(get(p2.previous_page_uri)))
    assert.same(sids(p0), sids(get(p1.previous_page_uri)))
  end)

  it("uses 50 as the default page size", function()
    local p = get(base)
    assert.equal(50, p.page_size)
    assert.equal(25, #p.incoming_phone_numbers)
    assert.equal(http.null, p.next_page_uri)
  end)

  it("neither skips nor repeats when numbers are deleted during iteration", function()
    local seen, uri, pages = {}, base .. "?PageSize=10", 0
    while uri and pages < 10 do
      local p = get(uri)
      pages = pages + 1
      for _, n in ipairs(p.incoming_phone_numbers) do
        assert.is_nil(seen[n.sid], "repeated " .. n.sid)
        seen[n.sid] = true
      end
      -- delete the last item of this page (the cursor) and the first of the next
      local last = p.incoming_phone_numbers[#p.incoming_phone_numbers]
      assert.equal(204, assert(http.api{ full = last.uri, method = "DELETE" }).status)
      uri = p.next_page_uri ~= http.null and p.next_page_uri or nil
    end
    local count = 0
    for _ in pairs(seen) do count = count + 1 end
    assert.equal(25, count)
    assert.equal(3, pages)
  end)

  it("rejects PageSize outside 1..1000 and bad Page values with 400", function()
    for _, q in ipairs({ "PageSize=0", "PageSize=1001", "PageSize=abc", "PageSize=2.5", "Page=-1" }) do
      local res = assert(http.api{ full = base .. "?" .. q })
      assert.equal(400, res.status, q)
      assert.equal(400, res.json.status)
      assert.is_number(res.json.code)
    end
    assert.equal(200, assert(http.api{ full = base .. "?PageSize=1000" }).status)
  end)

  it("rejects an invalid PageToken with 21481", function()
    for _, t in ipairs({ "garbage", "PAPN123", "PX" .. string.rep("a", 34) }) do
      local res = assert(http.api{ full = base .. "?PageToken=" .. t })
      assert.equal(400, res.status)
      assert.equal(21481, res.json.code)
    end
  end)

  it("pages a filtered list and keeps the filter in next_page_uri", function()
    local p0 = get(base .. "?PageSize=4&PhoneNumber=%2B1200")
    assert.matches("PhoneNumber=%%2B1200", p0.next_page_uri)
    assert.matches("PageToken=PA", p0.next_page_uri)
    local n, uri, guard = 0, base .. "?PageSize=4&PhoneNumber=%2B1200", 0
    while uri and guard < 20 do
      local p = get(uri)
      n = n + #p.incoming_phone_numbers
      uri = p.next_page_uri ~= http.null and p.next_page_uri or nil
      guard = guard + 1
    end
    assert.equal(25, n)
    assert.equal(7, guard)
  end)

  it("serves a 1000-item page from a large seeded account", function()
    local status, r = http.control("POST", "seed", { account_sid = emu.sub_sid, count = 3000 })
    assert.equal(200, status)
    assert.equal(3000, r.total)
    local p = get("/2010-04-01/Accounts/" .. emu.sub_sid .. "/IncomingPhoneNumbers.json?PageSize=1000")
    assert.equal(1000, #p.incoming_phone_numbers)
    assert.equal(999, p["end"])
    local p3 = get(get(get(p.next_page_uri).next_page_uri).uri)
    assert.equal(2, p3.page)
    assert.equal(http.null, p3.next_page_uri)
  end)
end)

-- Regression: the emulator cached one string per number, and OpenResty's
-- LuaJIT (2.1.0-beta3) interned 50,000 texts of one length and the same
-- sampled bytes on long hash chains: the first listing of a freshly seeded
-- 50,000-number account took 14-63 s (0.7-1.2 s now). The state a fresh
-- start leaves matters (after a reset it was fast), so this starts an
-- emulator of its own. The bound is ~10x the time it takes now.
describe("emulator listing a fresh 50,000-number account", function()
  it("is done in well under 10 s (it took 14-63 s when numbers were cached as strings)", function()
    local socket = require "socket"
    local dir = os.getenv("TWILIO_NUMBERS_ROOT") or "."
    local p = assert(io.popen(dir .. "/bin/twilio-emulator start --dir " .. dir .. "/build/emulator-cold --env"))
    local out = p:read("a")
    p:close()
    local vars = {}
    for k, v in out:gmatch("export ([%w_]+)=([^\n]*)") do vars[k] = v end
    local url, sid, token = vars.TWILIO_EMULATOR_URL, vars.TWILIO_EMULATOR_SUBACCOUNT2_SID,
      vars.TWILIO_EMULATOR_SUBACCOUNT2_TOKEN
    local ok, err = pcall(function()
      assert(url and sid and token, "could not start the emulator: " .. out)
      local res = assert(http.request{ method = "POST", url = url .. "/_emulator/seed",
                                       body = ('{"account_sid":"%s","count":50000}'):format(sid),
                                       headers = { ["Content-Type"] = "application/json" } })
      assert.equal(200, res.status, res.body)
      local t0, pages, items = socket.gettime(), 0, 0
      local uri = "/2010-04-01/Accounts/" .. sid .. "/IncomingPhoneNumbers.json?PageSize=1000"
      while uri do
        local r = assert(http.request{ url = url .. uri, user = sid, password = token, timeout = 120 })
        assert.equal(200, r.status)
        local page = assert(http.json(r.body))
        pages, items = pages + 1, items + #page.incoming_phone_numbers
        uri = page.next_page_uri ~= http.null and page.next_page_uri or nil
      end
      local dt = socket.gettime() - t0
      assert.equal(50, pages)
      assert.equal(50000, items)
      assert.is_true(dt < 10, ("the first listing took %.1f s"):format(dt))
    end)
    os.execute(dir .. "/bin/twilio-emulator stop --dir " .. dir .. "/build/emulator-cold >/dev/null 2>&1")
    assert(ok, err)
  end)
end)
