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
end)
