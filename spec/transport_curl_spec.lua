-- The libcurl transport (core.curl_new, core.curl_multi_new and
-- twilio.transport.curl) against a real nginx on loopback
-- (spec/helpers/static_server.lua), plus a smoke test against the emulator
-- when TWILIO_EMULATOR_URL is set.
local core = require "twilio.core"
local T = require "twilio.transport.curl"
local server = require "helpers.static_server"
local cjson = require "cjson"
local socket = require "socket"

local now = socket.gettime

-- The sockets this process holds (Linux /proc), or nil where there is no /proc.
local sockets
do
  local f = io.open("/proc/self/stat")
  local pid = f and tonumber(f:read("*l"):match("^(%d+)"))
  if f then f:close() end
  if pid then
    sockets = setmetatable({ pid = pid }, { __call = function()
      local p = io.popen("ls -l /proc/" .. pid .. "/fd 2>/dev/null")
      local n = 0
      for line in p:lines() do if line:find("socket:", 1, true) then n = n + 1 end end
      p:close()
      return n
    end })
  end
end

local function refused_url()
  -- a port that was free a moment ago: nothing listens there
  local s = assert(socket.bind("127.0.0.1", 0))
  local _, port = s:getsockname()
  s:close()
  return "http://127.0.0.1:" .. port .. "/"
end

describe("twilio.Curl", function()
  local srv, h

  setup(function()
    srv = assert(server.start())
  end)

  teardown(function()
    if h then h:close() end
    if srv then srv:stop() end
  end)

  before_each(function()
    if not h then h = core.curl_new() end
  end)

  it("reports the libcurl version", function()
    assert.matches("^libcurl/%d+%.%d+", core.curl_version())
  end)

  it("GETs with the headers given and returns status, lower-case headers and body", function()
    local res, err = h:perform{ method = "GET", url = srv.url .. "/echo?a=1&b=%20",
                                headers = { ["X-Test"] = "v 1", Accept = "application/json",
                                            ["X-Empty"] = "" } }
    assert.is_nil(err)
    assert.equal(200, res.status)
    assert.equal("application/json", res.headers["content-type"])
    assert.is_nil(res.headers["Content-Type"])
    local echo = cjson.decode(res.body)
    assert.equal("GET", echo.method)
    assert.equal("/echo?a=1&b=%20", echo.uri)
    assert.equal("v 1", echo.headers["x-test"])
    assert.equal("application/json", echo.headers.accept)
    assert.equal("", echo.headers["x-empty"])
    assert.is_nil(echo.headers.expect)
    assert.is_nil(echo.headers["content-length"])
  end)

  it("POSTs the body byte for byte, with no Expect: 100-continue", function()
    local body = "A=b&c=%2B\0binary\255" .. string.rep("z", 200000)
    local res = assert(h:perform{ method = "POST", url = srv.url .. "/echo", body = body,
                                  headers = { ["Content-Type"] = "application/x-www-form-urlencoded" } })
    local echo = cjson.decode(res.body)
    assert.equal("POST", echo.method)
    assert.equal(#body, #echo.body)
    assert.is_true(echo.body == body)
    assert.equal(tostring(#body), echo.headers["content-length"])
    assert.equal("application/x-www-form-urlencoded", echo.headers["content-type"])
    assert.is_nil(echo.headers.expect)
  end)

  it("POSTs an empty body when body is nil", function()
    local res = assert(h:perform{ method = "POST", url = srv.url .. "/echo" })
    local echo = cjson.decode(res.body)
    assert.equal("POST", echo.method)
    assert.equal("", echo.body)
    assert.equal("0", echo.headers["content-length"])
  end)

  it("does not keep a pointer into the Lua body string", function()
    for i = 1, 5 do
      local body = ("k=" .. i):rep(1000)
      local res = assert(h:perform{ method = "POST", url = srv.url .. "/echo", body = body })
      body = nil                                         -- luacheck: ignore
      collectgarbage()
      assert.equal(("k=" .. i):rep(1000), cjson.decode(res.body).body)
    end
  end)

  it("DELETEs without a body", function()
    local res = assert(h:perform{ method = "DELETE", url = srv.url .. "/echo" })
    local echo = cjson.decode(res.body)
    assert.equal("DELETE", echo.method)
    assert.equal("", echo.body)
  end)

  it("returns 204 with an empty body", function()
    local res = assert(h:perform{ method = "DELETE", url = srv.url .. "/status?code=204" })
    assert.equal(204, res.status)
    assert.equal("", res.body)
  end)

  it("returns error statuses as responses", function()
    local res = assert(h:perform{ method = "GET", url = srv.url .. "/status?code=503" })
    assert.equal(503, res.status)
  end)

  it("keeps the last of repeated response headers (all_headers)", function()
    local h2 = core.curl_new{ all_headers = true }
    local res = assert(h2:perform{ method = "GET", url = srv.url .. "/dup" })
    h2:close()
    assert.equal("two", res.headers["x-dup"])
    assert.matches("^text/", res.headers["content-type"])
  end)

  it("returns only the documented headers by default, lower-case", function()
    local res = assert(h:perform{ method = "GET", url = srv.url .. "/dup" })
    assert.is_nil(res.headers["x-dup"])
    assert.is_nil(res.headers.server)
    assert.is_nil(res.headers.date)
    assert.matches("^text/", res.headers["content-type"])
    for name in pairs(res.headers) do
      assert.truthy(({ ["content-type"] = true, ["content-length"] = true, ["retry-after"] = true,
                       location = true, ["www-authenticate"] = true,
                       ["twilio-request-id"] = true })[name], name)
    end
  end)

  it("sends changed header lines, and none when headers go away", function()
    local function echo(headers)
      local res = assert(h:perform{ method = "GET", url = srv.url .. "/echo", headers = headers })
      return cjson.decode(res.body).headers
    end
    assert.equal("1", echo({ ["X-A"] = "1" })["x-a"])
    assert.equal("1", echo({ ["X-A"] = "1" })["x-a"])       -- same lines: the list is reused
    local e = echo({ ["X-A"] = "2", ["X-B"] = 3 })
    assert.equal("2", e["x-a"])
    assert.equal("3", e["x-b"])
    e = echo(nil)
    assert.is_nil(e["x-a"])
    assert.is_nil(e["x-b"])
    assert.is_nil(e.expect)
    assert.equal("", echo({ ["X-Empty"] = "" })["x-empty"])
  end)

  it("switches methods on the reused handle", function()
    local function method(req)
      req.url = srv.url .. "/echo"
      local echo = cjson.decode(assert(h:perform(req)).body)
      return echo.method, echo.body
    end
    assert.same({ "POST", "a=1" }, { method{ method = "POST", body = "a=1" } })
    assert.same({ "GET", "" }, { method{ method = "GET" } })
    assert.same({ "DELETE", "" }, { method{ method = "DELETE" } })
    assert.same({ "POST", "b=2" }, { method{ method = "POST", body = "b=2" } })
    assert.same({ "DELETE", "" }, { method{ method = "DELETE" } })
    assert.same({ "GET", "" }, { method{ method = "GET" } })
  end)

  it("opens a new connection for fresh_connect, and reuses it afterwards", function()
    local h2 = core.curl_new()
    local r1 = assert(h2:perform{ method = "GET", url = srv.url .. "/echo" })
    local r2 = assert(h2:perform{ method = "POST", url = srv.url .. "/echo", body = "x=1",
                                  fresh_connect = true })
    local r3 = assert(h2:perform{ method = "GET", url = srv.url .. "/echo" })
    h2:close()
    assert.equal(1, r1.new_connections)
    assert.equal(1, r2.new_connections)
    assert.equal(0, r3.new_connections)
  end)

  it("takes request defaults from curl_new", function()
    local h2 = core.curl_new{ max_body = 10, timeout_ms = 200 }
    local _, err = h2:perform{ method = "GET", url = srv.url .. "/big?n=11" }
    assert.equal("decode", err.kind)
    assert.equal(11, #assert(h2:perform{ method = "GET", url = srv.url .. "/big?n=11",
                                         max_body = 11 }).body)
    local _, err2 = h2:perform{ method = "GET", url = srv.url .. "/slow?ms=2000" }
    assert.equal("timeout", err2.kind)
    h2:close()
    assert.has_error(function() core.curl_new{ timeout_ms = 0 } end)
  end)

  it("returns bodies of every size from one handle, big then small then big", function()
    for _, n in ipairs({ 3000000, 10, 0, 6000000, 1, 1500000 }) do
      local res = assert(h:perform{ method = "GET", url = srv.url .. "/big?n=" .. n })
      assert.equal(n, #res.body)
    end
  end)

  it("hands a 2xx body over as a twilio.Body with body_object, leaving other answers strings", function()
    -- sizes chosen for the paths of the in-place write (ltw_curl.c): the
    -- first answer is copied; then written into a Body sized from the last
    -- one (same size, a bit smaller), too big for it (moved to the handle's
    -- buffer), far smaller (copied into a Body of its size)
    for _, n in ipairs({ 1500000, 1500000, 1400000, 3000000, 10, 1500000 }) do
      local plain = assert(h:perform{ method = "GET", url = srv.url .. "/big?n=" .. n })
      local res = assert(h:perform{ method = "GET", url = srv.url .. "/big?n=" .. n, body_object = true })
      assert.equal(200, res.status)
      assert.equal("userdata", type(res.body))
      assert.equal("twilio.Body", getmetatable(res.body).__name)
      assert.equal(n, #res.body)
      local text = tostring(res.body)
      assert.equal(n, #text)
      assert.equal(plain.body, text)
    end
    -- the handle's next body is unaffected by the one it handed over
    local kept = assert(h:perform{ method = "GET", url = srv.url .. "/big?n=20", body_object = true })
    local after = assert(h:perform{ method = "GET", url = srv.url .. "/big?n=7" })
    assert.equal("string", type(after.body))
    assert.equal(7, #after.body)
    assert.equal(20, #tostring(kept.body))
    -- an error status keeps its body as a string (the error path reads it)
    local err = assert(h:perform{ method = "GET", url = srv.url .. "/status?code=503", body_object = true })
    assert.equal(503, err.status)
    assert.equal("string", type(err.body))
    -- an empty 2xx body is an empty Body
    local empty = assert(h:perform{ method = "DELETE", url = srv.url .. "/status?code=204", body_object = true })
    assert.equal(0, #empty.body)
    assert.equal("", tostring(empty.body))
    -- no close method: a page's records may be reading the bytes
    assert.has_error(function() return empty.body.close end)
    kept, empty = nil, nil  -- luacheck: ignore 311 (dropped on purpose)
    collectgarbage()
    collectgarbage()
  end)

  it("never follows redirects", function()
    local res = assert(h:perform{ method = "GET", url = srv.url .. "/redirect" })
    assert.equal(302, res.status)
    assert.matches("/echo$", res.headers.location)
  end)

  it("reuses the connection (keep-alive)", function()
    local h2 = core.curl_new()
    local r1 = assert(h2:perform{ method = "GET", url = srv.url .. "/echo" })
    local r2 = assert(h2:perform{ method = "POST", url = srv.url .. "/echo", body = "x=1" })
    local r3 = assert(h2:perform{ method = "DELETE", url = srv.url .. "/status?code=204" })
    h2:close()
    assert.equal(1, r1.new_connections)
    assert.equal(0, r2.new_connections)
    assert.equal(0, r3.new_connections)
  end)

  it("reports a refused connection as transport, not sent", function()
    local res, err = h:perform{ method = "POST", url = refused_url(), body = "a=1" }
    assert.is_nil(res)
    assert.equal("transport", err.kind)
    assert.is_false(err.sent)
    assert.equal(7, err.curl_code)                       -- CURLE_COULDNT_CONNECT
    assert.is_true(core.is_error(err))
    assert.equal("POST", err.method)
    assert.matches("transport error", tostring(err))
  end)

  it("reports a total timeout after the request was written as timeout, sent", function()
    local t0 = now()
    local res, err = h:perform{ method = "POST", url = srv.url .. "/slow?ms=3000", body = "a=1",
                                timeout_ms = 300 }
    local dt = now() - t0
    assert.is_nil(res)
    assert.equal("timeout", err.kind)
    assert.is_true(err.sent)
    assert.equal(28, err.curl_code)                      -- CURLE_OPERATION_TIMEDOUT
    assert.is_true(dt >= 0.25 and dt < 2, "took " .. dt)
    -- the handle is still usable afterwards
    assert.equal(200, assert(h:perform{ method = "GET", url = srv.url .. "/echo" }).status)
  end)

  it("reports a connect timeout as timeout, not sent", function()
    local bh = server.black_hole()
    if not bh then
      pending("cannot build a full accept queue here")
      return
    end
    local t0 = now()
    local res, err = h:perform{ method = "GET", url = "http://127.0.0.1:" .. bh.port .. "/",
                                connect_timeout_ms = 300, timeout_ms = 5000 }
    local dt = now() - t0
    bh.close()
    assert.is_nil(res)
    assert.equal("timeout", err.kind)
    assert.is_false(err.sent)
    assert.is_true(dt < 2, "took " .. dt)
  end)

  it("reports a connection dropped after the request as transport, sent", function()
    local res, err = h:perform{ method = "POST", url = srv.url .. "/drop", body = "a=1" }
    assert.is_nil(res)
    assert.equal("transport", err.kind)
    assert.is_true(err.sent)
    assert.equal(52, err.curl_code)                      -- CURLE_GOT_NOTHING
  end)

  it("aborts a body over max_body with kind decode, keeping the status", function()
    local res, err = h:perform{ method = "GET", url = srv.url .. "/big?n=100000", max_body = 1000 }
    assert.is_nil(res)
    assert.equal("decode", err.kind)
    assert.equal(200, err.status)
    assert.equal("response body larger than 1000 bytes", err.message)
    local ok = assert(h:perform{ method = "GET", url = srv.url .. "/big?n=1000", max_body = 1000 })
    assert.equal(1000, #ok.body)
    local big = assert(h:perform{ method = "GET", url = srv.url .. "/big?n=3000000" })
    assert.equal(3000000, #big.body)
  end)

  it("raises on misuse before doing anything", function()
    assert.has_error(function() h:perform() end)
    assert.has_error(function() h:perform{ method = "PUT", url = srv.url } end)
    assert.has_error(function() h:perform{ method = "GET" } end)
    assert.has_error(function() h:perform{ method = "GET", url = "ftp://127.0.0.1/" } end)
    assert.has_error(function() h:perform{ method = "GET", url = srv.url, body = "x" } end)
    assert.has_error(function() h:perform{ method = "GET", url = srv.url, timeout_ms = 0 } end)
    assert.has_error(function() h:perform{ method = "GET", url = srv.url, max_body = 1.5 } end)
    assert.has_error(function()
      h:perform{ method = "GET", url = srv.url, headers = { ["X-A"] = "a\r\nX-Injected: 1" } }
    end)
    assert.has_error(function()
      h:perform{ method = "GET", url = srv.url, headers = { ["Bad Name"] = "x" } }
    end)
    assert.has_error(function()
      h:perform{ method = "GET", url = srv.url, headers = { [1] = "x" } }
    end)
  end)

  it("close is idempotent and shared with __gc and __close", function()
    local h2 = core.curl_new{ verbose = false }
    local mt = getmetatable(h2)
    assert.equal(mt.__gc, mt.__close)
    assert.equal(mt.__gc, mt.__index.close)
    h2:close()
    h2:close()
    assert.matches("closed", tostring(h2))
    assert.has_error(function() h2:perform{ method = "GET", url = srv.url } end)
  end)

  it("accepts a CA file and still verifies TLS", function()
    local h2 = core.curl_new{ ca_file = "/nonexistent/ca.pem" }
    local res, err = h2:perform{ method = "GET", url = "https://127.0.0.1:" .. srv.port .. "/" }
    h2:close()
    assert.is_nil(res)
    assert.equal("transport", err.kind)
  end)

  describe("twilio.transport.curl", function()
    it("fills defaults and performs", function()
      local t = T.new{ timeout_ms = 5000 }
      local res = assert(t:request{ method = "POST", url = srv.url .. "/echo", body = "a=1",
                                    headers = { ["User-Agent"] = "twilio-numbers-test" } })
      assert.equal(200, res.status)
      local echo = cjson.decode(res.body)
      assert.equal("twilio-numbers-test", echo.headers["user-agent"])
      local r2 = assert(t:request{ method = "GET", url = srv.url .. "/echo" })
      assert.equal(0, r2.new_connections)
      local _, err = t:request{ method = "GET", url = srv.url .. "/slow?ms=2000", timeout_ms = 200 }
      assert.equal("timeout", err.kind)
      local _, err2 = t:request{ method = "GET", url = srv.url .. "/big?n=5000", max_body = 10 }
      assert.equal("decode", err2.kind)
      t:close()
      t:close()
      assert.has_error(function() t:request{ method = "GET", url = srv.url } end)
    end)

    it("takes max_body and timeouts from new{}", function()
      local t = T.new{ max_body = 10, timeout_ms = 200 }
      local _, err = t:request{ method = "GET", url = srv.url .. "/big?n=11" }
      assert.equal("decode", err.kind)
      local _, err2 = t:request{ method = "GET", url = srv.url .. "/slow?ms=2000" }
      assert.equal("timeout", err2.kind)
      t:close()
    end)

    it("rejects bad options", function()
      assert.has_error(function() T.new{ timeout_ms = -1 } end)
      assert.has_error(function() T.new{ ca_file = 1 } end)
      assert.has_error(function() T.new("x") end)
    end)
  end)

  describe("twilio.CurlMulti", function()
    it("runs 20 requests in flight and keeps their ids", function()
      local m = core.curl_multi_new{ max_connections = 16 }
      local ids = {}
      for i = 1, 20 do
        local id = { n = i }
        ids[i] = id
        assert.is_true(m:add(id, { method = "GET", url = srv.url .. "/slow?ms=300&i=" .. i }))
      end
      assert.equal(20, m:pending())
      local seen, got = {}, 0
      local t0 = now()
      while m:pending() > 0 and now() - t0 < 10 do
        for _, d in ipairs(m:poll(1000)) do
          assert.is_nil(d.err)
          assert.equal(200, d.res.status)
          assert.equal("slow " .. d.id.n, d.res.body)
          assert.equal(ids[d.id.n], d.id)
          assert.is_nil(seen[d.id.n])
          seen[d.id.n] = true
          got = got + 1
        end
      end
      local dt = now() - t0
      assert.equal(20, got)
      assert.equal(0, m:pending())
      -- 16 connections at a time: two waves of 300 ms, far from 20 x 300 ms
      assert.is_true(dt < 3, "took " .. dt)
      -- a second round reuses the pooled connections
      for i = 1, 4 do m:add(i, { method = "GET", url = srv.url .. "/echo" }) end
      local reused = 0
      t0 = now()
      while m:pending() > 0 and now() - t0 < 5 do
        for _, d in ipairs(m:poll(1000)) do
          if d.res and d.res.new_connections == 0 then reused = reused + 1 end
        end
      end
      assert.equal(4, reused)
      m:close()
    end)

    it("sends each transfer's own headers, shared list or not", function()
      -- the multi shares the first request's header list with every request
      -- of the same lines; others get their own (tw_curl.c multi_headers)
      local m = core.curl_multi_new{ max_connections = 2 }
      local A = { Accept = "application/json", ["X-Which"] = "a" }
      local B = { Accept = "text/csv", ["X-Which"] = "b", ["X-Only-B"] = "yes" }
      local want, got = {}, 0
      for round = 1, 3 do                             -- later rounds: pooled handles
        for i = 1, 6 do
          local hs = (i % 3 == 0) and B or A
          local id = round * 10 + i
          want[id] = hs
          assert.is_true(m:add(id, { method = "GET", url = srv.url .. "/echo?i=" .. id, headers = hs }))
        end
        local t0 = now()
        while m:pending() > 0 and now() - t0 < 5 do
          for _, d in ipairs(m:poll(1000)) do
            assert.is_nil(d.err)
            local echo = cjson.decode(d.res.body)
            local hs = want[d.id]
            assert.equal(hs["X-Which"], echo.headers["x-which"])
            assert.equal(hs.Accept, echo.headers.accept)
            assert.equal(hs["X-Only-B"], echo.headers["x-only-b"])
            assert.is_nil(echo.headers.expect)
            got = got + 1
          end
        end
      end
      assert.equal(18, got)
      m:close()
    end)

    it("honours the poll timeout", function()
      local m = core.curl_multi_new{}
      m:add("slow", { method = "GET", url = srv.url .. "/slow?ms=2000" })
      local t0 = now()
      local done = m:poll(150)
      local dt = now() - t0
      assert.same({}, done)
      assert.is_true(dt >= 0.1 and dt < 1, "took " .. dt)
      assert.equal(1, m:pending())
      m:close()                                      -- aborts the transfer in flight
      m:close()
      assert.has_error(function() m:pending() end)
    end)

    it("returns an empty table at once when nothing is pending", function()
      local m = core.curl_multi_new()
      local t0 = now()
      assert.same({}, m:poll(2000))
      assert.is_true(now() - t0 < 0.5)
      m:close()
    end)

    it("reports errors per transfer", function()
      local m = core.curl_multi_new{ max_connections = 4 }
      m:add("ok", { method = "GET", url = srv.url .. "/echo" })
      m:add("refused", { method = "POST", url = refused_url(), body = "a=1" })
      m:add("timeout", { method = "GET", url = srv.url .. "/slow?ms=3000", timeout_ms = 200 })
      m:add("big", { method = "GET", url = srv.url .. "/big?n=5000", max_body = 100 })
      m:add("drop", { method = "POST", url = srv.url .. "/drop", body = "a=1" })
      m:add(42, { method = "DELETE", url = srv.url .. "/status?code=204" })
      local out = {}
      local t0 = now()
      while m:pending() > 0 and now() - t0 < 5 do
        for _, d in ipairs(m:poll(500)) do out[d.id] = d end
      end
      m:close()
      assert.equal(200, out.ok.res.status)
      assert.equal(204, out[42].res.status)
      assert.equal("transport", out.refused.err.kind)
      assert.is_false(out.refused.err.sent)
      assert.equal("timeout", out.timeout.err.kind)
      assert.is_true(out.timeout.err.sent)
      assert.equal("decode", out.big.err.kind)
      assert.equal(200, out.big.err.status)
      assert.equal("transport", out.drop.err.kind)
      assert.is_true(out.drop.err.sent)
    end)

    it("sets every request option again on a pooled handle (method, body, headers, timeout)", function()
      -- one connection, so each transfer reuses the one pooled easy handle
      -- (tw_curl.c setup_pooled: no curl_easy_reset between transfers)
      local m = core.curl_multi_new{ max_connections = 1 }
      local function one(req)
        assert.is_true(m:add(1, req))
        local t0 = now()
        while now() - t0 < 5 do
          local done = m:poll(500)
          if done[1] then return done[1] end
        end
        error("no answer")
      end
      local d = one{ method = "POST", url = srv.url .. "/echo", body = "a=1", headers = { ["X-A"] = "1" },
                     timeout_ms = 300 }
      local e = cjson.decode(d.res.body)
      assert.equal("POST", e.method)
      assert.equal("a=1", e.body)
      assert.equal("1", e.headers["x-a"])
      d = one{ method = "GET", url = srv.url .. "/echo", headers = { ["X-B"] = "2" } }
      e = cjson.decode(d.res.body)
      assert.equal("GET", e.method)
      assert.equal("", e.body)
      assert.is_nil(e.headers["x-a"])
      assert.equal("2", e.headers["x-b"])
      d = one{ method = "DELETE", url = srv.url .. "/echo" }
      assert.equal("DELETE", cjson.decode(d.res.body).method)
      d = one{ method = "GET", url = srv.url .. "/slow?ms=1500", timeout_ms = 200 }
      assert.equal("timeout", d.err.kind)
      d = one{ method = "GET", url = srv.url .. "/slow?ms=600" }   -- the handle's default timeout again
      assert.equal(200, d.res.status)
      m:close()
    end)

    it("raises on misuse", function()
      local m = core.curl_multi_new()
      assert.has_error(function() m:add(nil, { method = "GET", url = srv.url }) end)
      assert.has_error(function() m:add(1, { method = "PATCH", url = srv.url }) end)
      assert.has_error(function() m:poll(-1) end)
      assert.equal(0, m:pending())
      m:close()
      assert.has_error(function() core.curl_multi_new{ max_connections = 0 } end)
    end)

    -- Measured two ways: the three transfers' sockets are closed once the
    -- multi handle is collected (counted in /proc), and tests/run runs the
    -- tests tagged #leaks again under ASan with leak detection on.
    it("frees transfers left in flight when collected #leaks", function()
      local pid = sockets and sockets.pid
      if not pid then pending("no /proc/self here: cannot count sockets") end
      collectgarbage()
      collectgarbage()
      local before = sockets()
      local m = core.curl_multi_new()
      for i = 1, 3 do m:add(i, { method = "GET", url = srv.url .. "/slow?ms=1000" }) end
      local t0 = now()
      repeat m:poll(10) until sockets() >= before + 3 or now() - t0 > 2
      local during = sockets()                       -- three connections (and libcurl's wakeup pair)
      assert.is_true(during >= before + 3, "sockets before " .. before .. ", in flight " .. during)
      assert.equal(3, m:pending())
      m = nil                                        -- luacheck: ignore
      collectgarbage()
      collectgarbage()
      assert.equal(before, sockets())                -- all closed: the transfers were freed
    end)
  end)
end)

describe("twilio.Curl against the emulator", function()
  local url = os.getenv("TWILIO_EMULATOR_URL")
  it("reaches the emulator's control API", function()
    if not url then
      pending("TWILIO_EMULATOR_URL is not set")
      return
    end
    local h = core.curl_new()
    local res, err = h:perform{ method = "GET", url = url .. "/_emulator/info" }
    assert.is_nil(err)
    assert.equal(200, res.status)
    -- a body announced by Content-Length (the buffer is sized from it)
    for _ = 1, 3 do
      res = assert(h:perform{ method = "GET", url = url .. "/_emulator/info" })
      assert.equal(tostring(#res.body), res.headers["content-length"])
      assert.matches("json", res.headers["content-type"])
    end
    h:close()
  end)
end)

describe("a list page as a twilio.Body (the curl transport's zero-copy path)", function()
  local url = os.getenv("TWILIO_EMULATOR_URL")
  local sid, token = os.getenv("TWILIO_EMULATOR_ACCOUNT_SID"), os.getenv("TWILIO_EMULATOR_AUTH_TOKEN")
  local key = "incoming_phone_numbers"

  local function get(h, as_object)
    return assert(h:perform{
      method = "GET", body_object = as_object,
      url = url .. "/2010-04-01/Accounts/" .. sid .. "/IncomingPhoneNumbers.json?PageSize=20",
      headers = { Authorization = "Basic " .. core.base64(sid .. ":" .. token) } })
  end

  it("parses like the same page as a string, reading the Body's bytes in place", function()
    if not (url and sid and token) then
      pending("TWILIO_EMULATOR_URL / _ACCOUNT_SID / _AUTH_TOKEN are not set")
      return
    end
    local emu = require "helpers.emulator"
    emu.reset()
    emu.seed(sid, 30)
    local h = core.curl_new()
    local as_string = get(h, false)
    local res = get(h, true)
    assert.equal("userdata", type(res.body))
    assert.equal(#as_string.body, #res.body)
    local want, want_next = assert(core.parse_page("PhoneNumber", key, as_string.body))
    local body = res.body
    local items, nxt = assert(core.parse_page("PhoneNumber", key, body))
    assert.equal(#as_string.body, #body)      -- read in place: the Body keeps its bytes
    assert.equal(as_string.body, tostring(body))
    assert.equal(want_next, nxt)
    assert.equal(20, #want)
    assert.equal(20, #items)
    assert.is_string(nxt)
    -- the records outlive the response, the Body and several collections
    -- (under the ASan build a freed page would be caught here)
    res, body, as_string = nil, nil, nil  -- luacheck: ignore 311 (dropped on purpose)
    for _ = 1, 3 do
      local other = get(h, true)              -- other pages come and go
      assert(core.parse_page("PhoneNumber", key, other.body))
      collectgarbage()
    end
    for i = 1, #items do
      assert.equal(want[i].sid, items[i].sid)
      assert.equal(want[i].phone_number, items[i].phone_number)
      assert.same(core.record_totable(want[i]), core.record_totable(items[i]))
    end
    -- a Body parses again (nothing is taken from it), and the two pages'
    -- records read the same bytes
    local again = get(h, true)
    local b = again.body
    local first = assert(core.parse_page("PhoneNumber", key, b))
    local second = assert(core.parse_page("PhoneNumber", key, b))
    assert.equal(first[1].sid, second[1].sid)
    -- anything else is still refused as before
    assert.has_error(function() core.parse_page("PhoneNumber", key, h) end)
    h:close()
  end)
end)
