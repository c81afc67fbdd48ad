-- The header lines the libcurl handles send (src/ltw_curl.c check_req,
-- src/tw_curl.c use_headers), against a real nginx on loopback that echoes
-- each request (spec/helpers/static_server.lua /echo). The easy handle keeps
-- one header list per kind of request (GET/DELETE without "Expect:", POST
-- with it) and swaps them; a POST's "Content-Type:
-- application/x-www-form-urlencoded" is left to libcurl, whose default it is.
-- What reaches the server must not change with either.
local core = require "twilio.core"
local server = require "helpers.static_server"
local cjson = require "cjson"

describe("request header lines (libcurl)", function()
  local srv, h

  setup(function() srv = assert(server.start()) end)
  teardown(function()
    if h then h:close() end
    if srv then srv:stop() end
  end)
  before_each(function() if not h then h = core.curl_new() end end)

  local FORM = "application/x-www-form-urlencoded"
  local HDRS = { Authorization = "Basic eDp5", ["User-Agent"] = "lines-spec/1", Accept = "application/json" }
  local function with(extra)
    local t = {}
    for k, v in pairs(HDRS) do t[k] = v end
    for k, v in pairs(extra or {}) do t[k] = v end
    return t
  end
  local function echo(handle, req)
    req.url = srv.url .. "/echo"
    local res = assert(handle:perform(req))
    return cjson.decode(res.body)
  end

  it("keeps every header across GET, POST and DELETE on one handle, in any order", function()
    local seq = { "GET", "POST", "GET", "DELETE", "POST", "POST", "GET", "DELETE", "GET" }
    for i, m in ipairs(seq) do
      local headers = m == "POST" and with{ ["Content-Type"] = FORM } or with()
      local e = echo(h, { method = m, headers = headers, body = m == "POST" and ("n=" .. i) or nil })
      assert.equal(m, e.method)
      assert.equal("Basic eDp5", e.headers.authorization, m .. " " .. i)
      assert.equal("lines-spec/1", e.headers["user-agent"])
      assert.equal("application/json", e.headers.accept)
      assert.is_nil(e.headers.expect)
      if m == "POST" then
        assert.equal(FORM, e.headers["content-type"])
        assert.equal("n=" .. i, e.body)
      else
        assert.is_nil(e.headers["content-type"])
      end
    end
    -- other lines for one kind: that kind's list is rebuilt, the other kept
    local e = echo(h, { method = "GET", headers = with{ ["X-Other"] = "1" } })
    assert.equal("1", e.headers["x-other"])
    e = echo(h, { method = "POST", headers = with{ ["Content-Type"] = FORM }, body = "a=1" })
    assert.is_nil(e.headers["x-other"])
    assert.equal("lines-spec/1", e.headers["user-agent"])
    e = echo(h, { method = "GET", headers = with() })
    assert.is_nil(e.headers["x-other"])
  end)

  it("sends a POST's form Content-Type once, whatever the case of its name, with or without a body", function()
    for _, name in ipairs{ "Content-Type", "content-type", "CONTENT-TYPE" } do
      local e = echo(h, { method = "POST", headers = with{ [name] = FORM }, body = "x=1" })
      assert.equal(FORM, e.headers["content-type"], name)
      e = echo(h, { method = "POST", headers = with{ [name] = FORM } })
      assert.equal(FORM, e.headers["content-type"], name)
    end
  end)

  it("sends any other Content-Type as given, and a form one on a GET", function()
    local e = echo(h, { method = "POST", headers = with{ ["Content-Type"] = "application/json" }, body = "{}" })
    assert.equal("application/json", e.headers["content-type"])
    e = echo(h, { method = "POST", headers = with{ ["Content-Type"] = FORM .. "; charset=utf-8" }, body = "a=1" })
    assert.equal(FORM .. "; charset=utf-8", e.headers["content-type"])
    e = echo(h, { method = "GET", headers = with{ ["Content-Type"] = FORM } })
    assert.equal(FORM, e.headers["content-type"])
  end)

  -- "Expect:" (empty: never wait for a 100-continue) goes first into the
  -- list of a POST whose body is long enough for libcurl to ask for a
  -- 100-continue (over 1 KiB: src/tw_curl.c wants_expect); shorter ones,
  -- and GET and DELETE, go without the line. The server must never see
  -- an Expect header, whatever the body's size, on either handle.
  it("never sends Expect: 100-continue, whatever the POST body's size", function()
    local m = core.curl_multi_new{ max_connections = 2 }
    local sizes = { 0, 3, 1024, 1025, 1536 * 1024 }
    for i, n in ipairs(sizes) do
      local body = n > 0 and ("b"):rep(n) or nil
      local req = { method = "POST", headers = with{ ["Content-Type"] = FORM }, body = body }
      local e = echo(h, req)
      assert.is_nil(e.headers.expect, "easy, " .. n .. " bytes")
      assert.equal(tostring(n), e.headers["content-length"])
      assert(m:add(i, { method = "POST", url = srv.url .. "/echo", headers = req.headers, body = body }))
      e = echo(h, { method = "GET", headers = with() })   -- and a GET in between
      assert.is_nil(e.headers.expect)
    end
    local got = {}
    while m:pending() > 0 do
      for _, d in ipairs(m:poll(1000)) do got[d.id] = cjson.decode(assert(d.res).body) end
    end
    m:close()
    for i, n in ipairs(sizes) do
      assert.is_nil(got[i].headers.expect, "multi, " .. n .. " bytes")
      assert.equal(tostring(n), got[i].headers["content-length"])
    end
  end)

  it("sends the same lines from a multi handle", function()
    local m = core.curl_multi_new{ max_connections = 2 }
    assert(m:add(1, { method = "POST", url = srv.url .. "/echo", headers = with{ ["Content-Type"] = FORM },
                      body = "k=v" }))
    assert(m:add(2, { method = "GET", url = srv.url .. "/echo", headers = with() }))
    local got = {}
    while m:pending() > 0 do
      for _, d in ipairs(m:poll(1000)) do got[d.id] = cjson.decode(assert(d.res).body) end
    end
    m:close()
    assert.equal(FORM, got[1].headers["content-type"])
    assert.equal("k=v", got[1].body)
    assert.equal("lines-spec/1", got[1].headers["user-agent"])
    assert.is_nil(got[2].headers["content-type"])
    assert.equal("Basic eDp5", got[2].headers.authorization)
  end)

  -- The easy handle and a multi handle read the headers they keep from
  -- libcurl's own store after the transfer (src/tw_curl.c
  -- headers_from_store; no header callback); a handle keeping every
  -- header (easy or multi) still takes them through the callback. The
  -- kept ones must be the same either way: lower-case names, trimmed
  -- values, the last of a repeated one; and none left from the last answer.
  local KEPT = { "content-type", "content-length", "retry-after", "location", "www-authenticate",
                 "twilio-request-id" }
  local function kept(headers)
    local t = {}
    for _, n in ipairs(KEPT) do t[n] = headers[n] end
    return t
  end

  it("keeps the same response headers read after the transfer as through the callback", function()
    local all = core.curl_new{ all_headers = true }
    local m = core.curl_multi_new{ max_connections = 1 }
    local mall = core.curl_multi_new{ max_connections = 1, all_headers = true }
    local function multi(mh, req)
      assert(mh:add(1, req))
      local got
      while mh:pending() > 0 do
        for _, d in ipairs(mh:poll(1000)) do got = assert(d.res) end
      end
      return got
    end
    for _, code in ipairs{ 200, 429, 503 } do
      local req = { method = "GET", url = srv.url .. "/kept?code=" .. code, headers = with() }
      local res = assert(h:perform(req))
      local ref = assert(all:perform(req))
      assert.equal(code, res.status)
      assert.same(kept(ref.headers), res.headers)
      assert.same({
        ["content-type"] = "application/json; charset=utf-8", ["content-length"] = "2",
        ["retry-after"] = "7", location = "/2010-04-01/x", ["www-authenticate"] = 'Basic realm="t"',
        ["twilio-request-id"] = "RQ0123" }, res.headers)
      local got = multi(m, req)
      assert.same(res.headers, got.headers)
      assert.same(kept(multi(mall, req).headers), got.headers)
      assert.equal("number", type(got.new_connections))
      assert.is_true(got.total_time > 0)
      got = multi(m, { method = "GET", url = srv.url .. "/big?n=3", headers = with() })
      assert.same({ ["content-type"] = got.headers["content-type"] }, kept(got.headers))
      assert.equal("xxx", got.body)
      -- and a POST on the same handle, then a GET without them: nothing stays
      res = assert(h:perform{ method = "POST", url = srv.url .. "/kept?code=" .. code, headers = with(),
                              body = "a=1" })
      assert.equal("7", res.headers["retry-after"])
      res = assert(h:perform{ method = "GET", url = srv.url .. "/big?n=3", headers = with() })
      assert.same({ ["content-type"] = res.headers["content-type"] }, kept(res.headers))
      assert.equal("xxx", res.body)
    end
    all:close()
    m:close()
    mall:close()
  end)

  -- The fused call (core.call_record) sends the header lines its config
  -- packed once (src/ltw_config.c) and the URL and body from cfg:build's
  -- checks; the general path (a custom transport) sends cfg:build's
  -- request through h:perform. The server must see the same request.
  it("sends the same request from the fused call as from the general path", function()
    local twilio = require "twilio"
    local curl = require "twilio.transport.curl"
    local sid = "PN" .. ("ab"):rep(16)
    local seen = {}
    for _, general in ipairs{ false, true } do
      local c = assert(twilio.new{ base_url = srv.url, account_sid = "AC" .. ("0f"):rep(16),
                                   auth_token = "lines-token", retries = 0,
                                   transport = general and curl.new{} or nil })
      local numbers = c.incoming_phone_numbers
      local got = {}
      for i, call in ipairs{
        function() return numbers:fetch(sid) end,
        function() return numbers:update(sid, { friendly_name = "a b&c", voice_url = "https://e.x/v?a=1" }) end,
        function() return numbers:fetch(sid) end } do
        local rec = assert(call())
        local hs = rec.headers
        got[i] = { method = rec.method, uri = rec.uri, body = rec.body, authorization = hs.authorization,
                   ["user-agent"] = hs["user-agent"], accept = hs.accept, expect = hs.expect,
                   ["content-type"] = hs["content-type"], ["content-length"] = hs["content-length"] }
      end
      local req = assert(c.cfg:build("UpdateIncomingPhoneNumber", { sid = sid },
                                     { friendly_name = "a b&c", voice_url = "https://e.x/v?a=1" }))
      assert.equal(req.headers.Authorization, got[2].authorization)
      for i = 1, 3 do   -- it names the transport: libcurl's, or the custom one
        assert.equal(c.runtime:user_agent(), got[i]["user-agent"])
        assert.equal(req.headers["User-Agent"], got[i]["user-agent"])
        got[i]["user-agent"] = nil
      end
      assert.equal("application/json", got[1].accept)
      assert.equal(req.body, got[2].body)
      assert.equal(FORM, got[2]["content-type"])
      assert.is_nil(got[1]["content-type"])
      seen[general] = got
      c:close()
    end
    assert.same(seen[true], seen[false])
  end)

  -- The fused call takes its timeouts in seconds and checks floor(s * 1000)
  -- ms itself when it is in range; anything else goes to h:perform's check,
  -- which raises with its own words.
  it("the fused call refuses the timeouts h:perform refuses, in the same words", function()
    local cfg = assert(core.config{ account_sid = "AC" .. ("0f"):rep(16), auth_token = "t", base_url = srv.url })
    local PN = "PN" .. ("ab"):rep(16)
    local function words(ok, err)
      assert.is_false(ok)
      return (tostring(err):gsub("^.-twilio: ", "twilio: "))
    end
    for _, s in ipairs{ 0, 0.0004, 0.0009, -1, -0.5, 86400.001, 1e12, math.huge, -math.huge, 0 / 0 } do
      for _, which in ipairs{ "timeout_ms", "connect_timeout_ms" } do
        local t, ct = 10, 10
        if which == "timeout_ms" then t = s else ct = s end
        local fused = words(pcall(core.call_record, cfg, "FetchIncomingPhoneNumber", { sid = PN }, nil, h,
                                  "PhoneNumber", {}, t, ct, 1000))
        local general = words(pcall(h.perform, h, { method = "GET", url = srv.url .. "/echo",
                                                     [which] = math.floor(s * 1000) }))
        assert.equal(general, fused, which .. " " .. tostring(s))
        assert.matches("request field '" .. which .. "' must be an integer in 1..86400000", fused, 1, true)
      end
    end
  end)
end)
