-- bulk_multi_spec.lua: what the coroutine group's loop (twilio.runtime)
-- relies on in twilio.CurlMulti, and the loop's own routing: m:poll's flat
-- form (no table per finished transfer) and tasks that end, yield or raise.
local core = require "twilio.core"
local runtime = require "twilio.runtime"
local server = require "helpers.static_server"
local socket = require "socket"
local cjson = require "cjson"

local function refused_url()
  local s = assert(socket.bind("127.0.0.1", 0))
  local _, port = s:getsockname()
  s:close()
  return "http://127.0.0.1:" .. port .. "/"
end

describe("twilio.CurlMulti m:poll(ms, out)", function()
  local srv
  setup(function() srv = assert(server.start()) end)
  teardown(function() if srv then srv:stop() end end)

  it("writes id, res, err per finished transfer into out and returns how many", function()
    local m = core.curl_multi_new{ max_connections = 4 }
    local ids, index = {}, {}
    for i = 1, 6 do
      ids[i] = coroutine.create(function() end)        -- any value is an id
      index[ids[i]] = i
      assert.is_true(m:add(ids[i], { method = "GET", url = srv.url .. "/slow?ms=50&i=" .. i }))
    end
    local bad = { "refused" }
    assert.is_true(m:add(bad, { method = "GET", url = refused_url() }))
    local out = { "stale", "stale", "stale", "stale" }
    local seen, got, errors = {}, 0, 0
    local t0 = socket.gettime()
    while m:pending() > 0 and socket.gettime() - t0 < 10 do
      local n = m:poll(1000, out)
      assert.is_true(math.type == nil or math.type(n) == "integer")
      for k = 1, 3 * n, 3 do
        local id, res, err = out[k], out[k + 1], out[k + 2]
        if id == bad then
          assert.is_nil(res)
          assert.equals("transport", err.kind)
          assert.is_false(err.sent)
          errors = errors + 1
        else
          assert.is_nil(err)
          assert.equals(200, res.status)
          assert.equals("slow " .. index[id], res.body)
          assert.is_nil(seen[id])
          seen[id] = true
          got = got + 1
        end
      end
    end
    assert.equals(6, got)
    assert.equals(1, errors)
    for i = 1, 6 do assert.is_true(seen[ids[i]]) end
    assert.equals(0, m:pending())
    assert.equals(0, m:poll(0, out))
    assert.has_error(function() m:poll(0, "out") end)
    m:close()
  end)
end)

describe("twilio.CurlMulti m:add(id, tmpl, url)", function()
  local srv
  setup(function() srv = assert(server.start()) end)
  teardown(function() if srv then srv:stop() end end)

  local function run(m, n)
    local out, got = {}, {}
    local t0 = socket.gettime()
    while m:pending() > 0 and socket.gettime() - t0 < 10 do
      local k = m:poll(1000, out)
      for j = 1, 3 * k, 3 do got[out[j]] = out[j + 1] or out[j + 2] end
    end
    local c = 0
    for _ in pairs(got) do c = c + 1 end
    assert.equals(n, c)
    return got
  end

  it("sends tmpl to each url: what m:add(id, req) sends for that url", function()
    local m = core.curl_multi_new{ max_connections = 4 }
    local tmpl = { method = "POST", url = srv.url .. "/echo?t", body = "A=1&B=%20x",
                   headers = { ["Content-Type"] = "application/x-www-form-urlencoded", Accept = "application/json",
                               ["X-Empty"] = "" }, timeout_ms = 5000 }
    for i = 1, 5 do assert.is_true(m:add("t" .. i, tmpl, srv.url .. "/echo?i=" .. i)) end
    local req = {}
    for k, v in pairs(tmpl) do req[k] = v end
    req.url = srv.url .. "/echo?i=1"
    assert.is_true(m:add("plain", req))
    local got = run(m, 6)
    local plain = cjson.decode(got.plain.body)
    for i = 1, 5 do
      local e = cjson.decode(got["t" .. i].body)
      assert.equals("/echo?i=" .. i, e.uri)
      assert.equals("POST", e.method)
      assert.equals("A=1&B=%20x", e.body)
      assert.same(plain.headers, e.headers)
    end
    m:close()
  end)

  it("a reused transfer (its easy handle kept warm) sends each request as given, in any order", function()
    -- one connection, one request at a time: every add after the first
    -- takes the same finished transfer, which sets only what changed
    local m = core.curl_multi_new{ max_connections = 1 }
    local H = { Authorization = "Basic eDp5", Accept = "application/json" }
    local H2 = { Authorization = "Basic eDp5", ["X-Other"] = "2" }
    local steps = {
      { method = "POST", body = "a=1", headers = H },
      { method = "POST", body = "a=1", headers = H },
      { method = "POST", body = "b=22", headers = H },
      { method = "GET", headers = H },
      { method = "DELETE", headers = H },
      { method = "POST", body = "b=22", headers = H },
      { method = "GET", headers = H2 },
      { method = "POST", headers = H2 },
      { method = "POST", body = "a=1", headers = H, fresh_connect = true },
      { method = "DELETE", headers = H2 },
      { method = "GET", headers = H },
    }
    for i, st in ipairs(steps) do
      local req = { method = st.method, url = srv.url .. "/echo?s=" .. i, body = st.body,
                    headers = st.headers, fresh_connect = st.fresh_connect }
      assert.is_true(m:add(i, req))
      local e = cjson.decode(assert(run(m, 1)[i]).body)
      assert.equals(st.method, e.method, "step " .. i)
      assert.equals("/echo?s=" .. i, e.uri)
      if st.method == "POST" then assert.equals(st.body or "", e.body, "step " .. i)
      else assert.is_true(e.body == nil or e.body == "" or e.body == cjson.null, "step " .. i) end
      assert.equals("Basic eDp5", e.headers.authorization)
      assert.equals(st.headers.Accept or "*/*", e.headers.accept, "step " .. i)   -- libcurl's own
      assert.equals(st.headers["X-Other"], e.headers["x-other"], "step " .. i)
    end
    -- the timeout follows each request too
    assert.is_true(m:add("short", { method = "GET", url = srv.url .. "/slow?ms=600", timeout_ms = 150 }))
    local err = run(m, 1).short
    assert.equals("timeout", err.kind)
    assert.is_true(m:add("long", { method = "GET", url = srv.url .. "/slow?ms=300&i=1", timeout_ms = 5000 }))
    assert.equals("slow 1", run(m, 1).long.body)
    m:close()
  end)

  it("reads a template once: later changes to it are not sent, a new table is read #leaks", function()
    local m = core.curl_multi_new{ max_connections = 2 }
    local tmpl = { method = "POST", url = srv.url .. "/echo", body = string.rep("b", 40) .. "1" }
    assert.is_true(m:add(1, tmpl, srv.url .. "/echo"))
    tmpl.body = string.rep("c", 40) .. "2"                -- the first body string may be collected now
    tmpl.method = "DELETE"
    collectgarbage()
    collectgarbage()
    assert.is_true(m:add(2, tmpl, srv.url .. "/echo"))
    local fresh = { method = "GET", url = srv.url .. "/echo" }
    assert.is_true(m:add(3, fresh, srv.url .. "/echo?f"))
    local got = run(m, 3)
    for id = 1, 2 do
      local e = cjson.decode(got[id].body)
      assert.equals("POST", e.method)
      assert.equals(string.rep("b", 40) .. "1", e.body)
    end
    assert.equals("GET", cjson.decode(got[3].body).method)
    m:close()
  end)

  it("reuses a finished transfer's buffers: nothing of the last answer stays #leaks", function()
    local m = core.curl_multi_new{ max_connections = 1 }
    local steps = {
      { url = "/big?n=5000", check = function(res) assert.equals(string.rep("x", 5000), res.body) end },
      { url = "/status?code=204", check = function(res)
          assert.equals(204, res.status)
          assert.equals("", res.body)
        end },
      { url = "/redirect", check = function(res)
          assert.equals(302, res.status)
          assert.truthy(res.headers.location)
        end },
      { url = "/echo", check = function(res)
          assert.equals(200, res.status)
          assert.is_nil(res.headers.location)
          assert.equals("GET", cjson.decode(res.body).method)
        end },
    }
    for round = 1, 2 do
      for i, step in ipairs(steps) do
        assert.is_true(m:add(i, { method = "GET", url = srv.url .. step.url }))
        local got = run(m, 1)
        assert.is_table(got[i], "round " .. round .. " step " .. i)
        step.check(got[i])
      end
    end
    m:close()
  end)

  it("sends a POST's form Content-Type once, as given or as libcurl's own; others as given", function()
    local m = core.curl_multi_new{ max_connections = 4 }
    local FORM = "application/x-www-form-urlencoded"
    local cases = {
      { method = "POST", body = "a=1", headers = { ["Content-Type"] = FORM }, want = FORM },
      { method = "POST", body = "a=1", headers = { ["content-type"] = FORM, Accept = "application/json" },
        want = FORM },
      { method = "POST", body = "a=1", headers = { ["Content-Type"] = "application/json" }, want = "application/json" },
      { method = "POST", body = "a=1", headers = { ["Content-Type"] = FORM .. "; charset=utf-8" },
        want = FORM .. "; charset=utf-8" },
      { method = "GET", headers = { ["Content-Type"] = FORM }, want = FORM },
      { method = "DELETE", headers = { ["Content-Type"] = FORM }, want = FORM },
      { method = "GET", want = nil },
    }
    for i, c in ipairs(cases) do
      local req = { method = c.method, url = srv.url .. "/echo?c=" .. i, body = c.body, headers = c.headers }
      if i % 2 == 0 then assert.is_true(m:add(i, req)) else assert.is_true(m:add(i, req, req.url)) end
    end
    local got = run(m, #cases)
    for i, c in ipairs(cases) do
      local e = cjson.decode(got[i].body)
      assert.equals(c.method, e.method, "case " .. i)
      assert.equals(c.want, e.headers["content-type"], "case " .. i)
    end
    m:close()
  end)

  it("checks the template and the url as it checks a request", function()
    local m = core.curl_multi_new{ max_connections = 2 }
    assert.has_error(function() m:add(1, { method = "PUT", url = srv.url .. "/echo" }, srv.url .. "/echo") end)
    assert.has_error(function() m:add(1, { method = "GET", url = srv.url .. "/echo" }, "ftp://x/") end)
    assert.has_error(function() m:add(1, { method = "GET", url = srv.url .. "/echo" }, srv.url .. "/a\0b") end)
    assert.has_error(function() m:add(1, "tmpl", srv.url .. "/echo") end)
    local tmpl = { method = "GET", url = srv.url .. "/echo", headers = { ["Bad Name"] = "x" } }
    assert.has_error(function() m:add(1, tmpl, srv.url .. "/echo") end)
    tmpl.headers = { Good = "x" }                         -- refused before: read again, not cached
    assert.is_true(m:add(1, tmpl, srv.url .. "/echo"))
    assert.equals("x", cjson.decode(run(m, 1)[1].body).headers.good)
    m:close()
  end)
end)

describe("a coroutine group", function()
  it("takes a task that ends returning anything for ended, never for a request or a sleep", function()
    local rt = runtime.new()
    local g = rt:group(3)
    local ended = 0
    g:spawn(function() ended = ended + 1; return "request", { method = "GET", url = "http://127.0.0.1:9/" } end)
    g:spawn(function() ended = ended + 1; return "sleep", 5 end)
    g:spawn(function() rt:sleep(0.01); ended = ended + 1; return "request" end)
    local t0 = core.monotonic()
    g:wait()
    assert.equals(3, ended)
    assert.is_true(core.monotonic() - t0 < 1)
    rt:close()
  end)

  it("refuses a task that yields by itself", function()
    local rt = runtime.new()
    local g = rt:group(1)
    g:spawn(function() coroutine.yield("request", {}) end)
    assert.has_error(function() g:wait() end, "twilio: a task yielded outside the library (request)")
    rt:close()
  end)
end)
