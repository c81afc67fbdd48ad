-- Retries and timeouts (issue 6): Retry-After in seconds and as an HTTP date,
-- max_wait, the budget, the on_retry hook and its veto, per-call options,
-- client and per-call timeouts, and requests that were never sent.
local emu = require "helpers.emulator"
local core = require "twilio.core"
local twilio = require "twilio"

local FAST = { max = 2, base = 0.01, cap = 0.05 }

describe("retries and timeouts", function()
  local sid

  setup(function() emu.ensure() end)
  teardown(function() emu.stop_if_started() end)

  before_each(function()
    emu.reset()
    sid = emu.seed(emu.account_sid(), 1).first_sid
  end)
  after_each(function() emu.clear_faults() end)

  local function client(opts)
    local calls = {}
    local o = { retries = FAST, on_retry = function(i) calls[#calls + 1] = i end }
    for k, v in pairs(opts or {}) do o[k] = v end
    return emu.client(o), calls
  end

  local function fault(f)
    f.method = f.method or "GET"
    f.path = f.path or "/PN%x+%.json$"
    emu.fault(f)
  end

  it("waits exactly Retry-After seconds on a 429", function()
    local c, calls = client()
    fault{ fault = "status", status = 429, retry_after = "1" }
    local t0 = core.monotonic()
    local n = assert(c.incoming_phone_numbers:fetch(sid))
    assert.is_true(core.monotonic() - t0 >= 0.95)
    assert.equals(1, #calls)
    assert.equals(1, calls[1].delay)
    assert.equals(429, calls[1].error.status)
    assert.equals(1, n:call_info().retries)
  end)

  it("honours an HTTP-date Retry-After on a 503", function()
    local c, calls = client()
    fault{ fault = "status", status = 503, retry_after_in = 2 }
    assert(c.incoming_phone_numbers:fetch(sid))
    assert.equals(1, #calls)
    assert.is_true(calls[1].delay >= 1 and calls[1].delay <= 2, tostring(calls[1].delay))
  end)

  it("does not wait longer than max_wait: the error carries retry_after", function()
    local c, calls = client{ retries = { max = 2, base = 0.01, max_wait = 5 } }
    fault{ fault = "status", status = 429, retry_after = "120" }
    local t0 = core.monotonic()
    local n, err = c.incoming_phone_numbers:fetch(sid)
    assert.is_nil(n)
    assert.equals(429, err.status)
    assert.equals(120, err.retry_after)
    assert.equals(0, err.retries)
    assert.equals(0, #calls)
    assert.is_true(core.monotonic() - t0 < 1)
  end)

  it("retries = 0 turns retries off; a per-call budget overrides the client's", function()
    local c, calls = client{ retries = 0 }
    fault{ fault = "status", status = 503 }
    local n, err = c.incoming_phone_numbers:fetch(sid)
    assert.is_nil(n)
    assert.equals(503, err.status)
    assert.equals(0, #calls)
    fault{ fault = "status", status = 503 }
    n = assert(c.incoming_phone_numbers:fetch(sid, { retries = FAST }))
    assert.equals(1, n:call_info().retries)
  end)

  it("spends the whole budget with backoff bounded by cap, then reports the retries", function()
    local c, calls = client{ retries = { max = 3, base = 0.01, cap = 0.02 } }
    fault{ fault = "status", status = 502, count = -1 }
    local n, err = c.incoming_phone_numbers:fetch(sid)
    assert.is_nil(n)
    assert.equals(502, err.status)
    assert.equals(3, err.retries)
    assert.equals(3, #calls)
    for i, call in ipairs(calls) do
      assert.equals(i, call.attempt)
      assert.is_true(call.delay >= 0 and call.delay <= 0.02)
      assert.equals("GET", call.method)
    end
    assert.equals(4, #emu.requests("/PN%x+%.json$"))
  end)

  it("on_retry returning false stops retrying", function()
    local c = emu.client{ retries = FAST, on_retry = function() return false end }
    fault{ fault = "status", status = 503 }
    local n, err = c.incoming_phone_numbers:fetch(sid)
    assert.is_nil(n)
    assert.equals(0, err.retries)
    assert.equals(1, #emu.requests("/PN%x+%.json$"))
  end)

  it("a client timeout is kind timeout, sent, and says an update may have been applied", function()
    local c = client{ timeout = 0.3, retries = 0 }
    fault{ fault = "delay", delay_ms = 1000, method = "POST" }
    local t0 = core.monotonic()
    local n, err = c.incoming_phone_numbers:update(sid, { friendly_name = "slow" })
    assert.is_nil(n)
    assert.is_true(core.monotonic() - t0 < 0.9)
    assert.equals("timeout", err.kind)
    assert.is_true(err.sent)
    assert.matches("may have been applied", err.message)
    core.sleep(0.8)   -- let the emulator finish it
  end)

  it("a per-call timeout overrides the client's", function()
    local c = client{ timeout = 30, retries = 0 }
    fault{ fault = "delay", delay_ms = 1000, path = "IncomingPhoneNumbers%.json$" }
    local t0 = core.monotonic()
    local l, err = c.incoming_phone_numbers:list({}, { timeout = 0.3 })
    assert.is_nil(l)
    assert.equals("timeout", err.kind)
    assert.is_true(core.monotonic() - t0 < 0.9)
    core.sleep(0.8)
  end)

  it("a request that never left (connection refused) is not applied and is retried, a create too", function()
    local socket = require "socket"
    local s = assert(socket.bind("127.0.0.1", 0))
    local _, port = s:getsockname()
    s:close()
    local calls = {}
    local c = assert(twilio.new{ base_url = "http://127.0.0.1:" .. port, account_sid = emu.account_sid(),
                                 auth_token = emu.auth_token(), retries = FAST, connect_timeout = 1,
                                 on_retry = function(i) calls[#calls + 1] = i end })
    local n, err = c.incoming_phone_numbers:create{ phone_number = "+14155550100" }
    assert.is_nil(n)
    assert.equals("transport", err.kind)
    assert.is_false(err.sent)
    assert.equals("not_applied", err.outcome)
    assert.matches("not sent", err.message)
    assert.equals(2, err.retries)
    assert.equals(2, #calls)
    c:close()
  end)
end)
