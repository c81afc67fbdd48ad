-- The fused single call (core.call_record, src/ltw_call.c): numbers:fetch and
-- numbers:update on the client's own libcurl handle are one C call (build,
-- perform, parse). These specs show that it is taken in the common case and
-- that everything else gives exactly what the general path gives: each
-- scenario runs twice against the emulator, once on a default client (the
-- fused call) and once on a client whose transport is a twilio.transport.curl
-- object given as a custom transport (the general path: cfg:build,
-- client:send, h:perform, record.from_response), and the outcomes (record or
-- error, its wording, status, retries, call_info, the requests the emulator
-- saw) must be the same. A spy on core.call_record says which way each call
-- went: "fast" (a record from C), "fallback" (C handed its first attempt to
-- client:send) or "refused" (cfg:build's error, or the record's parse error).
local emu = require "helpers.emulator"
local core = require "twilio.core"

local REAL = core.call_record

insulate("the fused single call", function()
  local spy = { fast = 0, fallback = 0, refused = 0 }
  local twilio, curl

  setup(function()
    emu.ensure()
    -- twilio.client keeps core.call_record in an upvalue: load it afresh
    -- (insulate restores package.loaded afterwards) with the spy in place
    core.call_record = function(...)
      local rec, a, b, c = REAL(...)
      if rec then spy.fast = spy.fast + 1
      elseif rec == false then spy.fallback = spy.fallback + 1
      else spy.refused = spy.refused + 1 end
      return rec, a, b, c
    end
    for name in pairs(package.loaded) do
      if name == "twilio" or (name:match("^twilio%.") and name ~= "twilio.core") then
        package.loaded[name] = nil
      end
    end
    twilio = require "twilio"
    curl = require "twilio.transport.curl"
  end)
  teardown(function()
    core.call_record = REAL
    emu.stop_if_started()
  end)

  local function reset_spy() spy.fast, spy.fallback, spy.refused = 0, 0, 0 end

  local function client(opts, general)
    local o = { base_url = emu.url(), account_sid = emu.account_sid(), auth_token = emu.auth_token(),
                retries = 0 }
    for k, v in pairs(opts or {}) do o[k] = v end
    if general then o.transport = curl.new{} end   -- a custom transport: the general path
    return assert(twilio.new(o))
  end

  local sid
  before_each(function()
    emu.reset()
    emu.seed(emu.account_sid(), 2)
    local c = client()
    sid = assert(c.incoming_phone_numbers:list())[1].sid
    c:close()
    reset_spy()
  end)

  -- What a call came to, in comparable form.
  local function outcome(rec, err)
    local reqs = emu.requests("/IncomingPhoneNumbers/PN")
    local o = { requests = #reqs }
    if rec then
      local info = rec:call_info()
      o.ok, o.sid, o.friendly_name, o.retries, o.recovered = true, rec.sid, rec.friendly_name,
        info.retries, info.recovered
      o.kind_of = getmetatable(rec).__name
    else
      o.ok, o.kind, o.status, o.code, o.message, o.retries, o.sent, o.maybe, o.method, o.url, o.field =
        false, err.kind, err.status, err.code, err.message, err.retries, err.sent, err.maybe_applied_before,
        err.method, err.url, err.field
      o.retry_after = err.retry_after
      -- libcurl's timings vary from run to run
      o.message = o.message:gsub("after %d+ milliseconds", "after N milliseconds")
    end
    return o
  end

  -- Runs `call` on a fresh client (general or not) after queuing `faults`;
  -- returns the outcome and the client (closed).
  local function run(general, opts, faults, call)
    local c = client(opts, general)
    emu.clear_faults()
    emu.clear_log()
    for _, f in ipairs(faults or {}) do assert(emu.fault(f)) end
    local o = outcome(call(c.incoming_phone_numbers))
    emu.clear_faults()
    c:close()
    return o
  end

  local FETCH = { method = "GET", path = "/IncomingPhoneNumbers/PN%x+%.json$" }
  local UPDATE = { method = "POST", path = "/IncomingPhoneNumbers/PN%x+%.json$" }
  local function fault(on, f)
    f.method, f.path = on.method, on.path
    return f
  end
  local function fetch(numbers) return numbers:fetch(sid) end
  local function update(numbers) return numbers:update(sid, { friendly_name = "fast path" }) end

  -- Both ways; the fused call must have gone `way` (fast | fallback | refused).
  local function same_both_ways(way, opts, faults, call)
    local general = run(true, opts, faults, call)
    assert.same({ fast = 0, fallback = 0, refused = 0 }, spy, "the general path used the fused call")
    local fused = run(false, opts, faults, call)
    assert.same(general, fused)
    local want = { fast = 0, fallback = 0, refused = 0 }
    want[way] = 1
    assert.same(want, spy, "the fused call went another way")
    reset_spy()
    return fused
  end

  it("fetches and updates in one C call, with the general path's requests and records", function()
    local o = same_both_ways("fast", nil, nil, fetch)
    assert.is_true(o.ok)
    assert.equals(sid, o.sid)
    assert.equals(0, o.retries)
    assert.equals(1, o.requests)
    o = same_both_ways("fast", nil, nil, update)
    assert.equals("fast path", o.friendly_name)
    -- what the emulator saw: the same headers and body as cfg:build's request
    local c = client()
    emu.clear_log()
    assert(c.incoming_phone_numbers:update(sid, { friendly_name = "a b&c", voice_url = "https://e.x/v?a=1" }))
    assert(c.incoming_phone_numbers:fetch(sid))
    local seen = emu.requests("/IncomingPhoneNumbers/PN")
    assert.equals(2, #seen)
    local req = assert(c.cfg:build("UpdateIncomingPhoneNumber", { sid = sid },
                                   { friendly_name = "a b&c", voice_url = "https://e.x/v?a=1" }))
    assert.equals(req.body, seen[1].body)
    assert.equals("application/x-www-form-urlencoded", seen[1].content_type)
    assert.equals(c.runtime:user_agent(), seen[1].user_agent)
    assert.equals(emu.account_sid(), seen[1].auth_user)
    assert.equals("GET", seen[2].method)
    assert.equals("", seen[2].query)
    assert.equals(c.runtime:user_agent(), seen[2].user_agent)
    assert.equals(2, spy.fast)
    c:close()
  end)

  it("a 429 then 200: the fused call hands over, send retries, call_info says so", function()
    local o = same_both_ways("fallback", { retries = { max = 2, base = 0.001, cap = 0.002 } },
                             { fault(FETCH, { fault = "status", status = 429, retry_after = "0" }) }, fetch)
    assert.is_true(o.ok)
    assert.equals(1, o.retries)
    assert.equals(2, o.requests)
    o = same_both_ways("fallback", { retries = { max = 2, base = 0.001, cap = 0.002 } },
                       { fault(UPDATE, { fault = "status", status = 429, retry_after = "0" }) }, update)
    assert.is_true(o.ok)
    assert.equals(1, o.retries)
  end)

  -- the fused call does not read the answer's headers for a 2xx (only its
  -- Content-Type, from libcurl); any other answer goes on with them
  it("a 429 with Retry-After and an HTML 503: the general path gets the answer's headers", function()
    local o = same_both_ways("fallback", nil,
                             { fault(FETCH, { fault = "status", status = 429, retry_after = "7" }) }, fetch)
    assert.equals(429, o.status)
    assert.equals(7, o.retry_after)
    o = same_both_ways("fallback", nil,
                       { fault(UPDATE, { fault = "respond", status = 503, body = "<html>busy</html>",
                                         headers = { ["Content-Type"] = "text/html", ["Retry-After"] = "3" } }) },
                       update)
    assert.equals(503, o.status)
    assert.equals(3, o.retry_after)
    assert.matches("text/html", o.message)
  end)

  it("a 500 and a 404: the API error, its wording and status", function()
    local o = same_both_ways("fallback", nil, { fault(FETCH, { fault = "status", status = 500 }) }, fetch)
    assert.equals("api", o.kind)
    assert.equals(500, o.status)
    o = same_both_ways("fallback", { retries = { max = 1, base = 0.001, cap = 0.002 } },
                       { fault(UPDATE, { fault = "status", status = 503, count = -1 }) }, update)
    assert.equals(503, o.status)
    assert.equals(1, o.retries)
    assert.is_true(o.maybe)
    local gone = function(numbers) return numbers:fetch("PN" .. ("0"):rep(32)) end
    o = same_both_ways("fallback", nil, nil, gone)
    assert.equals(404, o.status)
    assert.equals(20404, o.code)
  end)

  it("a 200 that is not JSON, and one without a Content-Type", function()
    local o = same_both_ways("fallback", nil,
                             { fault(FETCH, { fault = "content_type", content_type = "text/html" }) }, fetch)
    assert.equals("decode", o.kind)
    assert.equals(200, o.status)
    assert.matches("Content%-Type 'text/html'", o.message)
    o = same_both_ways("fallback", nil,
                       { fault(FETCH, { fault = "content_type", content_type = "application/xml" }) }, fetch)
    assert.equals("decode", o.kind)
    assert.matches("Content%-Type 'application/xml'", o.message)
    -- a JSON type in another spelling is JSON (twilio.record's body())
    o = same_both_ways("fast", nil,
                       { fault(UPDATE, { fault = "content_type", content_type = "Application/JSON; x=1" }) }, update)
    assert.is_true(o.ok)
    o = same_both_ways("fast", nil,
                       { fault(FETCH, { fault = "content_type", content_type = "text/x-json" }) }, fetch)
    assert.is_true(o.ok)
  end)

  it("a 200 that is JSON but not a record, or not JSON at all", function()
    local o = same_both_ways("refused", nil, { fault(FETCH, { fault = "malformed" }) }, fetch)
    assert.equals("decode", o.kind)
    assert.equals(200, o.status)
    o = same_both_ways("refused", nil, { fault(UPDATE, { fault = "respond", status = 200, body = "[1, 2]",
                                                         headers = { ["Content-Type"] = "application/json" } }) },
                       update)
    assert.equals("decode", o.kind)
    assert.equals("response is not a JSON object", o.message)
    assert.equals(200, o.status)
  end)

  it("a body over max_body", function()
    local o = same_both_ways("fallback", { max_body = 4096 }, { fault(FETCH, { fault = "oversize", bytes = 65536 }) },
                             fetch)
    assert.equals("decode", o.kind)
    assert.matches("larger than 4096 bytes", o.message)
  end)

  it("a dropped connection, before and after the request, and a truncated answer", function()
    local retries = { retries = { max = 2, base = 0.001, cap = 0.002 } }
    local o = same_both_ways("fallback", retries, { fault(FETCH, { fault = "drop_before" }) }, fetch)
    assert.is_true(o.ok)
    assert.equals(1, o.retries)
    o = same_both_ways("fallback", nil, { fault(UPDATE, { fault = "drop_after" }) }, update)
    assert.equals("transport", o.kind)
    assert.matches("the request was sent, so it may have been applied", o.message)
    o = same_both_ways("fallback", retries, { fault(UPDATE, { fault = "truncate" }) }, update)
    assert.is_true(o.ok)
    assert.equals(1, o.retries)
  end)

  it("a timeout, with the call's own timeout", function()
    local o = same_both_ways("fallback", nil, { fault(FETCH, { fault = "delay", delay_ms = 400 }) },
                             function(numbers) return numbers:fetch(sid, { timeout = 0.1 }) end)
    assert.equals("timeout", o.kind)
  end)

  -- The client's limits live in its config (core.config's timeout,
  -- connect_timeout, max_body): a call without options passes none and the
  -- fused call sends with the config's.
  it("a timeout, with the client's own timeout", function()
    local o = same_both_ways("fallback", { timeout = 0.1 }, { fault(FETCH, { fault = "delay", delay_ms = 400 }) },
                             fetch)
    assert.equals("timeout", o.kind)
    o = same_both_ways("fast", { timeout = 0.1 }, { fault(FETCH, { fault = "delay", delay_ms = 400 }) },
                       function(numbers) return numbers:fetch(sid, { timeout = 2 }) end)
    assert.is_true(o.ok)
  end)

  it("refuses what cfg:build refuses, with the same words", function()
    local o = same_both_ways("refused", nil, nil, function(numbers) return numbers:fetch("+14155550100") end)
    assert.equals("invalid", o.kind)
    assert.matches("find%('%+14155550100'%)", o.message)
    o = same_both_ways("refused", nil, nil, function(numbers) return numbers:update(sid, { voice_url = 3 }) end)
    assert.equals("invalid", o.kind)
    assert.equals("voice_url", o.field)
    assert.equals(0, o.requests)
  end)

  it("is not used with a debug hook, a custom transport, or inside a bulk batch", function()
    local lines = {}
    local c = client{ debug = function(l) lines[#lines + 1] = l end }
    assert(c.incoming_phone_numbers:fetch(sid))
    assert.equals(1, #lines)
    assert.matches("GET .* %-> 200", lines[1])
    c:close()
    local seen = 0
    local inner = curl.new{}
    c = client{ transport = { name = "mine",
                              request = function(_, req) seen = seen + 1; return inner:request(req) end } }
    assert(c.incoming_phone_numbers:update(sid, { friendly_name = "custom" }))
    assert.equals(1, seen)
    c:close()
    c = client()
    local numbers = c.incoming_phone_numbers
    local results = numbers:fetch_many({ sid, sid }, { concurrency = 2 })
    assert.is_true(results[1].ok and results[2].ok)
    results = c:bulk({ function() return numbers:fetch(sid) end,
                       function() return numbers:update(sid, { friendly_name = "in bulk" }) end })
    assert.is_true(results[1].ok and results[2].ok)
    -- a runtime group of the caller's own: its requests go to the group's loop
    local g, got = c.runtime:group(2), {}
    for i = 1, 2 do g:spawn(function() got[i] = numbers:fetch(sid) end) end
    g:wait()
    assert.equals(sid, got[1].sid)
    assert.equals(sid, got[2].sid)
    c:close()
    assert.same({ fast = 0, fallback = 0, refused = 0 }, spy)
  end)
end)
