-- apply against the emulator: pools buy exactly up to their count, moves,
-- lost answers, and an apply killed with SIGKILL in the middle then run
-- again buys each declared number exactly once (the emulator's counters and
-- request log prove it).
local playbook = require "twilio.playbook"
local emu = require "helpers.emulator"

-- phone number -> how many purchases of it the emulator answered 201
local function purchases_by_number()
  local out = {}
  for _, e in ipairs(emu.requests("IncomingPhoneNumbers%.json$")) do
    if e.method == "POST" and e.status == 201 then
      local ph = (e.body or ""):match("PhoneNumber=([^&]*)")
      ph = ph and ph:gsub("%%(%x%x)", function(h) return string.char(tonumber(h, 16)) end)
      out[ph or "?"] = (out[ph or "?"] or 0) + 1
    end
  end
  return out
end

local function sleep(s) os.execute("sleep " .. s) end

describe("playbook.apply", function()
  local client, numbers

  setup(function() emu.ensure() end)
  teardown(function() emu.stop_if_started() end)

  before_each(function()
    emu.reset()
    client = emu.client()
    numbers = client.incoming_phone_numbers
  end)
  after_each(function()
    emu.clear_faults()
    client:close()
  end)

  it("buys a pool exactly up to its count, counting members already there, and converges", function()
    assert(numbers:create{ phone_number = "+15105550150", friendly_name = "Sales 2" })
    local pb = assert(playbook.load_string([[return { accounts = { main = { pools = {
      sales = { count = 3, friendly_name = "Sales %d", search = { area_code = 510, sms_enabled = true },
                sms_url = "https://example.com/sms" } } } } }]]))
    local plan = assert(playbook.plan(client, pb))
    assert.same({ buy = 2, change = 1, move = 0, release = 0 }, plan.summary)
    local events = {}
    local function progress(ev) events[#events + 1] = ev end
    local res = assert(playbook.apply(client, pb, { parallel = 4, progress = progress }))
    assert.same({ 2, 1, 0 }, { res.bought, res.updated, res.failed })
    assert.equal(3, #events)
    assert.equal(3, events[3].done)
    assert.equal(3, events[3].total)
    local names = {}
    for n in numbers:each() do names[#names + 1] = n.friendly_name .. " " .. tostring(n.sms_url) end
    table.sort(names)
    assert.same({ "Sales 1 https://example.com/sms", "Sales 2 https://example.com/sms",
                  "Sales 3 https://example.com/sms" }, names)
    assert.equal(3, emu.stats().purchases)
    -- again: nothing to do, nothing bought
    res = assert(playbook.apply(client, pb))
    assert.same({ 0, 0 }, { res.bought, res.updated })
    assert.equal(3, emu.stats().purchases)
    -- a smaller count releases the highest members only with prune, and never a protected pool's
    local smaller = [[return { accounts = { main = { pools = { sales = { count = 1, friendly_name = "Sales %d",
      search = { area_code = 510 }, sms_url = "https://example.com/sms" PROTECT } } } } }]]
    local kept = assert(playbook.load_string((smaller:gsub("PROTECT", ", protect = true"))))
    assert.equal(0, assert(playbook.plan(client, kept, { prune = true })).summary.release)
    local pruned = assert(playbook.load_string((smaller:gsub("PROTECT", ""))))
    assert.equal(0, assert(playbook.plan(client, pruned)).summary.release)
    res = assert(playbook.apply(client, pruned, { prune = true }))
    assert.equal(2, res.released)
    local left = {}
    for n in numbers:each() do left[#left + 1] = n.friendly_name end
    assert.same({ "Sales 1" }, left)
  end)

  it("takes the next candidate when another buyer got one first", function()
    local pb = assert(playbook.load_string([[return { accounts = { main = { pools = {
      p = { count = 2, friendly_name = "P %d", search = { area_code = 212 } } } } } }]]))
    local plan = assert(playbook.plan(client, pb))
    local first = plan.candidates[plan.changes[1].pool_key][1]
    -- someone else buys the first candidate between plan and apply
    assert(client:account(emu.sub_sid()).incoming_phone_numbers:create{ phone_number = first })
    local res = assert(playbook.apply(client, plan))
    assert.equal(2, res.bought)
    assert.equal("not_found", select(2, numbers:find(first)).kind)
  end)

  it("searches again when the candidates run out (Twilio answers at most 30 a search)", function()
    local cjson = require "cjson"
    local one = assert(client.available_phone_numbers:search("US", "local", { area_code = 212, limit = 1 }))[1]
    -- the search made by apply's fresh plan answers one number only
    emu.fault{ fault = "respond", method = "GET", path = "AvailablePhoneNumbers/US/Local%.json$", count = 1,
               status = 200, headers = { ["Content-Type"] = "application/json" },
               body = cjson.encode({ available_phone_numbers = { one:totable() }, uri = "/x" }) }
    local pb = assert(playbook.load_string([[return { accounts = { main = { pools = {
      p = { count = 3, friendly_name = "NY %d", search = { area_code = 212 } } } } } }]]))
    local res = assert(playbook.apply(client, pb))
    assert.equal(3, res.bought)
    assert.equal(3, emu.stats().purchases)
    assert(numbers:find(one.phone_number))
    assert.same({}, assert(playbook.plan(client, pb)).changes)
  end)

  it("moves a number from another account of the playbook and configures it there", function()
    local sub = emu.sub_sid()
    local n = assert(client:account(sub).incoming_phone_numbers:create{ phone_number = "+14155550110" })
    local pb = assert(playbook.load_string([[return { accounts = { main = { numbers = {
      ["+14155550110"] = { friendly_name = "Moved", voice_url = "https://example.com/v" } } },
      ]] .. sub .. [[ = {} } }]]))
    local res = assert(playbook.apply(client, pb))
    assert.equal(1, res.moved)
    local m = assert(numbers:find("+14155550110"))
    assert.equal(n.sid, m.sid)
    assert.equal("Moved", m.friendly_name)
    assert.equal("https://example.com/v", m.voice_url)
    assert.same({}, assert(playbook.plan(client, pb)).changes)
  end)

  it("a purchase whose answer is lost is found, not bought again", function()
    local pb = assert(playbook.load_string([[return { accounts = { main = {
      numbers = { ["+14155550120"] = { friendly_name = "X" } },
      pools = { p = { count = 1, friendly_name = "Lost %d", search = { area_code = 646 } } } } } }]]))
    emu.fault{ fault = "drop_after", method = "POST", path = "IncomingPhoneNumbers%.json$", count = 2 }
    local res = assert(playbook.apply(client, pb, { parallel = 1 }))
    assert.equal(2, res.bought)
    assert.equal(2, emu.stats().purchases)
    assert.same({}, assert(playbook.plan(client, pb)).changes)
  end)

  it("killed with SIGKILL in the middle and run again, buys each declared number exactly once", function()
    local declared = { "+14155550130", "+14155550131", "+14155550132" }
    local path = os.tmpname()
    local f = assert(io.open(path, "w"))
    f:write([[return { accounts = { main = {
      numbers = { ["+14155550130"] = { friendly_name = "A" }, ["+14155550131"] = { friendly_name = "B" },
                  ["+14155550132"] = { friendly_name = "C" } },
      pools = { sales = { count = 4, friendly_name = "Sales %d", search = { area_code = 212 },
                          voice_url = "https://example.com/v" } } } } }]])
    f:close()
    -- every purchase waits 600 ms on the server, so the child is killed with one in flight; an update
    -- waits 3 s, so an apply that bought a pool member first and named it after would be killed in between
    emu.fault{ fault = "delay", delay_ms = 600, method = "POST", path = "IncomingPhoneNumbers%.json$", count = -1 }
    emu.fault{ fault = "delay", delay_ms = 3000, method = "POST", path = "/PN%x+%.json$", count = -1 }
    local vm = os.getenv("TWILIO_TEST_VM") or "lua5.4"
    local log = os.tmpname()
    local p = io.popen(string.format("TWILIO_EMULATOR_URL=%s TWILIO_EMULATOR_ACCOUNT_SID=%s " ..
      "TWILIO_EMULATOR_AUTH_TOKEN=%s %s spec/helpers/playbook_apply.lua %s 1 >%s 2>&1 & echo $!",
      emu.url(), emu.account_sid(), emu.auth_token(), vm, path, log))
    local pid = assert(tonumber(p:read("*l")))
    p:close()
    local waited = 0
    -- the three exact numbers and the first pool member
    while emu.stats().purchases < 4 and waited < 30 do sleep(0.05); waited = waited + 0.05 end
    assert.is_true(emu.stats().purchases >= 4, "the child did not get to the pool in 30 s")
    os.execute("kill -9 " .. pid)
    local killed_at = emu.stats().purchases
    assert.is_true(killed_at < 7, "the child finished before it was killed")
    emu.clear_faults()
    -- run again at once (the request in flight may land before or after this run's own)
    local pb = assert(playbook.load(path))
    local res, err = playbook.apply(client, pb, { parallel = 4 })
    assert.is_nil(err)
    assert.truthy(res)
    sleep(3.5)   -- whatever the killed child had in flight has landed by now
    assert.same({}, assert(playbook.plan(client, pb)).changes)
    assert.equal(7, emu.stats().purchases)
    local by = purchases_by_number()
    local total = 0
    for ph, count in pairs(by) do
      assert.equal(1, count, ph .. " bought " .. count .. " times")
      total = total + 1
    end
    assert.equal(7, total)
    for _, ph in ipairs(declared) do assert.equal(1, by[ph]) end
    local names = {}
    for n in numbers:each() do names[#names + 1] = n.friendly_name end
    table.sort(names)
    assert.same({ "A", "B", "C", "Sales 1", "Sales 2", "Sales 3", "Sales 4" }, names)
    os.remove(path)
    os.remove(log)
  end)
end)
