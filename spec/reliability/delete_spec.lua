-- A DELETE answered 404 (issue 16). A 404 on the first attempt means the
-- object was not there: an error of kind "api" with status 404, never
-- "released". Only a 404 on a retry whose earlier attempt may have been
-- applied (its answer lost, or a 5xx) means that attempt deleted it.
local emu = require "helpers.emulator"

local FAST = { max = 2, base = 0.01, cap = 0.05 }
local GONE = "PN" .. string.rep("0", 32)

describe("DELETE answered 404", function()
  local client, numbers

  setup(function() emu.ensure() end)
  teardown(function() emu.stop_if_started() end)

  before_each(function()
    emu.reset()
    client = emu.client{ retries = FAST, timeout = 2 }
    numbers = client.incoming_phone_numbers
  end)

  after_each(function()
    emu.clear_faults()
    client:close()
  end)

  local function deletes()
    local n = 0
    for _, e in ipairs(emu.requests()) do if e.method == "DELETE" then n = n + 1 end end
    return n
  end

  local function is_404(ok, err, what)
    assert.is_nil(ok, what)
    assert.is_not_nil(err, what)
    assert.equals("api", err.kind, what)
    assert.equals(404, err.status, what)
    assert.equals(20404, err.code, what)
  end

  it("on the first attempt: an api error with status 404, not released", function()
    is_404(numbers:release(GONE))
    is_404(numbers:delete(GONE))
    assert.equals(2, deletes())
  end)

  it("a number someone else released: n:release() is a 404 error", function()
    local n = assert(emu.buy(numbers, 1)[1])
    local other = emu.client{}
    assert.is_true(other.incoming_phone_numbers:release(n.sid))
    other:close()
    local ok, err = n:release()
    is_404(ok, err, "n:release()")
  end)

  it("an add-on already removed: a:delete() is a 404 error", function()
    local n = assert(emu.buy(numbers, 1)[1])
    local add_ons = n:assigned_add_ons()
    local a = assert(add_ons:create{ installed_add_on_sid = emu.control("GET", "info").installed_add_ons[1].sid })
    assert.is_true(a:delete())
    local ok, err = add_ons:delete(a.sid)
    is_404(ok, err, "add_ons:delete(sid) after a:delete()")
  end)

  it("after a 429 (not processed) the retry's 404 is still an error", function()
    emu.fault{ fault = "status", status = 429, retry_after = "0", method = "DELETE" }
    is_404(numbers:release(GONE))
    assert.equals(2, deletes())
  end)

  it("after an attempt whose answer was lost, the retry's 404 means released", function()
    local n = assert(emu.buy(numbers, 1)[1])
    emu.fault{ fault = "drop_after", method = "DELETE" }
    assert.is_true(numbers:release(n.sid))
    assert.equals(2, deletes())                    -- applied, dropped, retried: 404
    assert.equals(0, #assert(numbers:list{}))
  end)

  it("after an attempt answered 5xx (may have been applied), the retry's 404 means released", function()
    local n = assert(emu.buy(numbers, 1)[1])
    -- the emulator's 503 fault does not apply the delete: the number goes behind the client's back
    local other = emu.client{}
    assert.is_true(other.incoming_phone_numbers:release(n.sid))
    other:close()
    emu.fault{ fault = "status", status = 503, method = "DELETE" }
    assert.is_true(numbers:release(n.sid))
  end)

  it("an answer lost and no retry left: a transport error that says it may have been applied", function()
    local n = assert(emu.buy(numbers, 1)[1])
    emu.fault{ fault = "drop_after", method = "DELETE" }
    local ok, err = numbers:release(n.sid, { retries = 0 })
    assert.is_nil(ok)
    assert.equals("transport", err.kind)
    assert.is_true(err.sent)
    assert.truthy(err.message:find("may have been applied", 1, true), err.message)
  end)
end)
