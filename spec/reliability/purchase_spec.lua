-- No double purchase (issue 6): a create is never resent blindly; when its
-- outcome is unknown the number is looked up exactly, and the emulator's
-- purchase counter proves how many were bought.
local emu = require "helpers.emulator"
local core = require "twilio.core"

local FAST = { max = 2, base = 0.01, cap = 0.05 }
local NUMBER = "+14155550100"

describe("purchases under faults", function()
  local client, numbers

  setup(function() emu.ensure() end)
  teardown(function() emu.stop_if_started() end)

  before_each(function()
    emu.reset()
    client = emu.client{ retries = FAST, timeout = 0.3 }
    numbers = client.incoming_phone_numbers
    -- a warm keep-alive connection, as in any program that did something before buying
    assert(numbers:page{ page_size = 1 })
    emu.clear_log()
  end)

  after_each(function()
    emu.clear_faults()
    client:close()
  end)

  local function purchases() return emu.stats().purchases end
  local posts = emu.purchase_posts

  it("applied then dropped on a reused connection: one POST, one purchase, the number recovered", function()
    emu.fault{ fault = "drop_after", method = "POST", path = "IncomingPhoneNumbers%.json$" }
    local n, err = numbers:create{ phone_number = NUMBER }
    assert.is_nil(err)
    assert.equals(NUMBER, n.phone_number)
    assert.is_true(n:call_info().recovered)
    assert.equals(1, posts())          -- libcurl did not resend it on a fresh connection
    assert.equals(1, purchases())
  end)

  it("area_code purchase applied then dropped on a reused connection: one purchase, outcome unknown", function()
    emu.fault{ fault = "drop_after", method = "POST", path = "IncomingPhoneNumbers%.json$" }
    local n, err = numbers:create{ area_code = "415" }
    assert.is_nil(n)
    assert.equals("transport", err.kind)
    assert.equals("unknown", err.outcome)
    assert.matches("may have gone through", err.message)
    assert.matches("numbers:list{ phone_number = '+1415' }", err.message, 1, true)
    assert.equals(1, posts())
    assert.equals(1, purchases())
  end)

  it("a create always goes on a fresh connection; the next GET reuses that one", function()
    -- a transport that records what each request asked for and what libcurl did
    local real = require("twilio.transport.curl").new{}
    local seen = {}
    local spy = { request = function(_, req)
      local res, err = real:request(req)
      seen[#seen + 1] = { method = req.method, fresh = req.fresh_connect, new = res and res.new_connections }
      return res, err
    end }
    local c = emu.client{ transport = spy }
    assert(c.incoming_phone_numbers:page{ page_size = 1 })        -- opens a connection
    assert(c.incoming_phone_numbers:page{ page_size = 1 })        -- reuses it
    local n = assert(c.incoming_phone_numbers:create{ phone_number = NUMBER })
    assert(c.incoming_phone_numbers:page{ page_size = 1 })
    assert(n:release())
    real:close()
    assert.same({ method = "GET", new = 1 }, { method = seen[1].method, new = seen[1].new })
    assert.equals(0, seen[2].new)
    assert.same({ method = "POST", fresh = true, new = 1 }, seen[3])
    assert.equals(0, seen[4].new)                                 -- the GET reuses a connection
    assert.same({ method = "DELETE", fresh = true, new = 1 }, seen[5])
  end)

  it("bulk purchases go on fresh connections too: applied then dropped buys once", function()
    -- one batch, one at a time: two GETs warm the multi handle's connection,
    -- then the answer of an applied purchase is dropped
    emu.fault{ fault = "drop_after", method = "POST", path = "IncomingPhoneNumbers%.json$" }
    local results = client:bulk({
      function() return numbers:page{ page_size = 1 } end,
      function() return numbers:page{ page_size = 1 } end,
      function() return numbers:create{ area_code = 415 } end,
    }, { concurrency = 1 })
    assert.is_true(results[1].ok and results[2].ok)
    assert.is_false(results[3].ok)
    assert.equals("transport", results[3].error.kind)
    assert.equals(1, posts())
    assert.equals(1, purchases())
  end)

  it("a timed-out purchase the server is still working on is not declared safe to repeat", function()
    emu.fault{ fault = "delay", delay_ms = 800, method = "POST", path = "IncomingPhoneNumbers%.json$" }
    local t0 = core.monotonic()
    local n, err = numbers:create{ phone_number = NUMBER }
    assert.is_nil(n)
    assert.equals("timeout", err.kind)
    assert.is_true(err.sent)
    assert.equals("unknown", err.outcome)
    assert.matches("not in account %w+ yet", err.message)
    assert.matches("before buying again", err.message)
    assert.is_nil(err.message:find("buying again is safe", 1, true))
    core.sleep(math.max(0, 0.9 - (core.monotonic() - t0)))
    assert.equals(1, purchases())      -- it did land
    assert(numbers:find(NUMBER))
  end)

  -- Issue 16: the answer of an applied purchase is lost and the lookup that
  -- should tell whether it happened fails too. The only safe answer is
  -- "unknown" with advice to check first: "not bought, buy again" here would
  -- buy the number twice.
  it("a lost purchase answer plus a failing lookup: outcome unknown, check before buying again", function()
    local lookups = {
      { fault = "status", status = 503 },                 -- api error, every retry of the lookup
      { fault = "status", status = 500, body_type = "html" },
      { fault = "drop_before" },                          -- transport error
      { fault = "malformed" },                            -- 200 that cannot be read
      { fault = "status", status = 401 },                 -- not retried at all
    }
    for _, lf in ipairs(lookups) do
      local what = lf.fault .. " " .. tostring(lf.status or "")
      emu.reset()
      local c = emu.client{ retries = FAST, timeout = 2 }
      emu.fault{ fault = "drop_after", method = "POST", path = "IncomingPhoneNumbers%.json$" }
      emu.fault{ fault = lf.fault, status = lf.status, body_type = lf.body_type, count = -1,
                 method = "GET", path = "IncomingPhoneNumbers%.json$" }
      local n, err = c.incoming_phone_numbers:create{ phone_number = NUMBER }
      emu.clear_faults()
      assert.is_nil(n, what)
      assert.equals("transport", err.kind, what)
      assert.is_true(err.sent, what)
      assert.equals("unknown", err.outcome, what)
      for _, says in ipairs{ "may have gone through", "the check failed too",
                             "look for " .. NUMBER .. " with numbers:find before buying again" } do
        assert.truthy(err.message:find(says, 1, true), what .. ": " .. err.message)
      end
      assert.is_nil(err.message:find("buying again is safe", 1, true), what)
      assert.is_nil(err.message:find("not bought", 1, true), what)
      assert.is_nil(err.message:find("was not bought", 1, true), what)
      local gets = 0
      for _, e in ipairs(emu.requests("IncomingPhoneNumbers%.json$")) do
        if e.method == "GET" then gets = gets + 1 end
      end
      assert.is_true(gets >= 1, what)               -- the lookup was tried
      assert.equals(1, purchases(), what)           -- and it had been bought: the advice matters
      assert(c.incoming_phone_numbers:find(NUMBER), what)
      c:close()
    end
  end)

  it("a 2xx purchase answer that cannot be read is recovered by the lookup", function()
    for _, f in ipairs{ { fault = "malformed" }, { fault = "content_type" },
                        { fault = "truncate" }, { fault = "oversize", bytes = 1024 * 1024 } } do
      emu.reset()
      local c = emu.client{ retries = FAST, timeout = 2, max_body = 256 * 1024 }
      emu.fault{ fault = f.fault, bytes = f.bytes, method = "POST", path = "IncomingPhoneNumbers%.json$" }
      local n, err = c.incoming_phone_numbers:create{ phone_number = NUMBER }
      assert.is_nil(err, f.fault)
      assert.equals(NUMBER, n.phone_number)
      assert.is_true(n:call_info().recovered, f.fault)
      assert.equals(1, purchases(), f.fault)
      c:close()
    end
  end)

  it("a 2xx area_code answer that cannot be read says the purchase went through", function()
    emu.fault{ fault = "malformed", method = "POST", path = "IncomingPhoneNumbers%.json$" }
    local n, err = numbers:create{ area_code = "415" }
    assert.is_nil(n)
    assert.equals("decode", err.kind)
    assert.equals(200, err.status)
    assert.equals("applied", err.outcome)
    assert.matches("went through %(HTTP 200%)", err.message)
    assert.equals(1, purchases())
  end)

  it("429 on a purchase is retried (not processed) and buys once", function()
    emu.fault{ fault = "status", status = 429, retry_after = "0", method = "POST",
               path = "IncomingPhoneNumbers%.json$" }
    local n = assert(numbers:create{ phone_number = NUMBER })
    assert.equals(1, n:call_info().retries)
    assert.is_false(n:call_info().recovered)
    assert.equals(2, posts())
    assert.equals(1, purchases())
  end)

  it("5xx on a purchase is never resent: looked up, reported not bought", function()
    emu.fault{ fault = "status", status = 503, count = -1, method = "POST", path = "IncomingPhoneNumbers%.json$" }
    local n, err = numbers:create{ phone_number = NUMBER }
    assert.is_nil(n)
    assert.equals("api", err.kind)
    assert.equals(503, err.status)
    assert.equals("not_applied", err.outcome)
    assert.matches("not bought", err.message)
    assert.equals(1, posts())
    assert.equals(0, purchases())
  end)
end)
