-- The nginx transport (twilio.transport.ngx) and pick() inside a real Debian
-- nginx (lua-nginx-module, LuaJIT), one worker, loopback only. Upstreams are
-- locations of the same nginx: a self-call only works if the transport yields
-- to the event loop, so every passing test here is also a non-blocking test.
local nginx = require "helpers.nginx"
local cjson = require "cjson"

local HTTP = [[
  lua_shared_dict twtest 1m;
  init_by_lua_block {
    ngx.shared.twtest:set("init", require("helpers.ngx_driver").pick_report(false))
  }
  init_worker_by_lua_block {
    require("helpers.ngx_driver").store("init_worker", true)
  }
]]

local SERVER = [[
    location = /up/plain {
      content_by_lua_block {
        local b = "hello"
        ngx.header.content_length = #b
        ngx.header["X-Conn"] = ngx.var.connection
        ngx.print(b)
      }
    }
    location = /up/echo {
      content_by_lua_block {
        ngx.req.read_body()
        local out = require("cjson").encode{
          method = ngx.req.get_method(), uri = ngx.var.request_uri,
          body = ngx.req.get_body_data() or "", headers = ngx.req.get_headers(),
          conn = tonumber(ngx.var.connection) }
        ngx.header.content_length = #out
        ngx.print(out)
      }
    }
    location = /up/chunked {
      content_by_lua_block {
        for i = 1, 5 do ngx.print(string.rep(tostring(i), 1000)) ngx.flush(true) end
      }
    }
    location = /up/slow {
      content_by_lua_block {
        ngx.sleep(tonumber(ngx.var.arg_ms or 3000) / 1000)
        ngx.print("slow ", ngx.var.arg_i or "")
      }
    }
    location = /up/204 { return 204; }
    location = /up/304 { return 304; }
    location = /up/redirect { return 302 /up/plain; }
    location = /up/close { keepalive_timeout 0; content_by_lua_block { ngx.print("bye") } }
    location = /up/drop {
      content_by_lua_block {
        ngx.req.read_body()
        ngx.shared.twtest:incr("drop", 1, 0)
        ngx.exit(444)
      }
    }
    location = /up/count {
      content_by_lua_block { ngx.shared.twtest:incr("count", 1, 0) ngx.say("counted") }
    }
    location = /up/big {
      content_by_lua_block {
        local n = tonumber(ngx.var.arg_n)
        if not ngx.var.arg_chunked then ngx.header.content_length = n end
        local piece = string.rep("x", 4096)
        local left = n
        while left > 0 do
          local k = left < 4096 and left or 4096
          ngx.print(k == 4096 and piece or piece:sub(1, k))
          left = left - k
        end
      }
    }
    location = /up/raw {
      content_by_lua_block {
        local sock = assert(ngx.req.socket(true))
        local kind = ngx.var.arg_kind
        if kind == "eof" then
          sock:send("HTTP/1.0 200 OK\r\nContent-Type: text/plain\r\n\r\nuntil the end")
        elseif kind == "interim" then
          sock:send("HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 201 Created\r\nContent-Length: 2\r\n"
                    .. "X-Multi: a\r\nX-Multi: b\r\nConnection: close\r\n\r\nok")
        elseif kind == "garbage" then
          sock:send("SPDY/9 what\r\n\r\n")
        end
        ngx.exit(444)
      }
    }
    location = /t/load { content_by_lua_block { require("helpers.ngx_driver").load() } }
    location = /t/request { content_by_lua_block { require("helpers.ngx_driver").request() } }

    location = /p/content { content_by_lua_block { ngx.print(require("helpers.ngx_driver").pick_report()) } }
    location = /p/access {
      access_by_lua_block { ngx.ctx.r = require("helpers.ngx_driver").pick_report() }
      content_by_lua_block { ngx.print(ngx.ctx.r) }
    }
    location = /p/rewrite {
      rewrite_by_lua_block { ngx.ctx.r = require("helpers.ngx_driver").pick_report() }
      content_by_lua_block { ngx.print(ngx.ctx.r) }
    }
    location = /p/timer {
      content_by_lua_block {
        local dict = ngx.shared.twtest
        dict:delete("timer")
        assert(ngx.timer.at(0, function() dict:set("timer", require("helpers.ngx_driver").pick_report()) end))
        for _ = 1, 200 do
          if dict:get("timer") then break end
          ngx.sleep(0.01)
        end
        ngx.print(dict:get("timer") or "{}")
      }
    }
    location = /p/log {
      content_by_lua_block { ngx.say("ok") }
      log_by_lua_block { require("helpers.ngx_driver").store("log", true) }
    }
    location = /p/header_filter {
      content_by_lua_block { ngx.say("ok") }
      header_filter_by_lua_block { require("helpers.ngx_driver").store("header_filter", true) }
    }
    location = /p/body_filter {
      content_by_lua_block { ngx.say("ok") }
      body_filter_by_lua_block {
        if ngx.arg[2] then require("helpers.ngx_driver").store("body_filter", true) end
      }
    }
    location = /p/set {
      set_by_lua_block $picked { return require("helpers.ngx_driver").pick_report(false) }
      return 200 $picked;
    }
    location = /p/get {
      content_by_lua_block { ngx.print(ngx.shared.twtest:get(ngx.var.arg_k) or "{}") }
    }
]]

describe("nginx transport (cosockets)", function()
  local srv, why

  setup(function()
    srv, why = nginx.start{ name = "transport", http = HTTP, server = SERVER }
  end)
  teardown(function()
    if srv then srv:stop() end
  end)

  local function need()
    if not srv then error("test nginx did not start: " .. tostring(why)) end
  end

  local function call(req, extra)
    need()
    local spec = { req = req }
    for k, v in pairs(extra or {}) do spec[k] = v end
    return srv:json{ method = "POST", path = "/t/request", body = cjson.encode(spec), timeout = 15 }
  end

  local function get(k)
    return srv:json{ path = "/p/get?k=" .. k }
  end

  it("loads twilio.core and twilio.transport.ngx under nginx's LuaJIT", function()
    need()
    local r = srv:json{ path = "/t/load" }
    assert.is_string(r.jit)
    assert.truthy(r.jit:find("LuaJIT 2.1", 1, true))
    assert.equal("table", r.core)
    assert.equal("function", r.transport)
    assert.is_true(r.is_error)
    assert.truthy(r.core_so:find("/build/jit/twilio/core.so", 1, true))
  end)

  describe("requests", function()
    it("GET with a Content-Length body, query string kept", function()
      local r = call{ method = "GET", path = "/up/echo?A=b&PageSize=2" }
      assert.is_nil(r.err)
      assert.equal(200, r.res.status)
      local e = cjson.decode(r.res.body)
      assert.equal("GET", e.method)
      assert.equal("/up/echo?A=b&PageSize=2", e.uri)
      assert.equal("127.0.0.1:" .. srv.port, e.headers.host)
      assert.is_nil(e.headers["content-length"])
      assert.equal(tostring(#r.res.body), r.res.headers["content-length"])
    end)

    it("POST sends the form body with Content-Length and the given headers", function()
      local r = call{ method = "POST", path = "/up/echo", body = "FriendlyName=Desk%20line&VoiceUrl=x",
                      headers = { ["Content-Type"] = "application/x-www-form-urlencoded",
                                  Authorization = "Basic QUM6dG9r", ["User-Agent"] = "twilio-lua/test",
                                  Host = "ignored.example", ["Content-Length"] = "999" } }
      assert.is_nil(r.err)
      local e = cjson.decode(r.res.body)
      assert.equal("POST", e.method)
      assert.equal("FriendlyName=Desk%20line&VoiceUrl=x", e.body)
      assert.equal("35", e.headers["content-length"])
      assert.equal("application/x-www-form-urlencoded", e.headers["content-type"])
      assert.equal("Basic QUM6dG9r", e.headers.authorization)
      assert.equal("twilio-lua/test", e.headers["user-agent"])
      assert.equal("127.0.0.1:" .. srv.port, e.headers.host)
    end)

    it("POST without a body sends Content-Length: 0", function()
      local r = call{ method = "POST", path = "/up/echo" }
      assert.equal("0", cjson.decode(r.res.body).headers["content-length"])
    end)

    it("DELETE", function()
      local r = call{ method = "DELETE", path = "/up/echo" }
      assert.is_nil(r.err)
      assert.equal("DELETE", cjson.decode(r.res.body).method)
    end)

    it("reads chunked bodies", function()
      local r = call{ method = "GET", path = "/up/chunked" }
      assert.is_nil(r.err)
      assert.equal("chunked", r.res.headers["transfer-encoding"])
      assert.equal(5000, #r.res.body)
      assert.equal(string.rep("1", 1000) .. string.rep("2", 1000), r.res.body:sub(1, 2000))
      assert.equal(string.rep("5", 1000), r.res.body:sub(4001))
    end)

    it("reads large bodies (1 MB, Content-Length and chunked)", function()
      local r = call({ method = "GET", path = "/up/big?n=1000000" }, { with_body = false })
      assert.equal(1000000, r.res.body_len)
      r = call({ method = "GET", path = "/up/big?n=1000001&chunked=1" }, { with_body = false })
      assert.equal(1000001, r.res.body_len)
    end)

    it("204 and 304 have no body and keep the connection", function()
      local rs = call({ method = "DELETE", path = "/up/204" }, { n = 2 })
      assert.equal(204, rs[1].res.status)
      assert.equal("", rs[1].res.body)
      assert.is_true(rs[2].res.reused >= 1)
      local r = call{ method = "GET", path = "/up/304" }
      assert.equal(304, r.res.status)
      assert.equal("", r.res.body)
    end)

    it("does not follow redirects", function()
      local r = call{ method = "GET", path = "/up/redirect" }
      assert.equal(302, r.res.status)
      assert.truthy(r.res.headers.location:find("/up/plain", 1, true))
    end)

    it("reads an HTTP/1.0 body delimited by the end of the connection", function()
      local r = call{ method = "GET", path = "/up/raw?kind=eof" }
      assert.is_nil(r.err)
      assert.equal(200, r.res.status)
      assert.equal("until the end", r.res.body)
    end)

    it("skips 1xx interim responses and joins repeated headers", function()
      local r = call{ method = "GET", path = "/up/raw?kind=interim" }
      assert.is_nil(r.err)
      assert.equal(201, r.res.status)
      assert.equal("ok", r.res.body)
      assert.equal("a, b", r.res.headers["x-multi"])
    end)

    it("a malformed status line is a decode error", function()
      local r = call{ method = "GET", path = "/up/raw?kind=garbage" }
      assert.equal("decode", r.err.kind)
      assert.is_true(r.err.sent)
    end)
  end)

  describe("keep-alive", function()
    it("reuses the pooled connection (getreusedtimes)", function()
      local rs = call({ method = "GET", path = "/up/plain" }, { n = 3 })
      local conn = rs[1].res.headers["x-conn"]
      for i = 2, 3 do
        assert.is_true(rs[i].res.reused >= 1, "request " .. i .. " reused")
        assert.equal(conn, rs[i].res.headers["x-conn"])
      end
      assert.is_true(rs[3].res.reused > rs[2].res.reused)
    end)

    it("does not pool a connection the server closes (Connection: close)", function()
      local rs = call({ method = "GET", path = "/up/close" }, { n = 2 })
      assert.equal("close", rs[1].res.headers.connection)
      assert.equal("bye", rs[2].res.body)
      assert.equal(0, rs[2].res.reused)
    end)
  end)

  describe("failures", function()
    it("a slow response is kind 'timeout', sent = true, within the budget", function()
      local r = call{ method = "GET", path = "/up/slow?ms=2000", timeout_ms = 300 }
      assert.is_nil(r.res)
      assert.equal("timeout", r.err.kind)
      assert.is_true(r.err.sent)
      assert.is_true(r.elapsed_ms < 1000, "elapsed " .. r.elapsed_ms)
    end)

    it("connection refused is kind 'transport', sent = false", function()
      local port = nginx.free_port()
      local r = call{ method = "POST", url = "http://127.0.0.1:" .. port .. "/x", body = "a=b" }
      assert.equal("transport", r.err.kind)
      assert.is_false(r.err.sent)
      assert.truthy(r.err.message:find("refused", 1, true))
    end)

    it("a connection dropped after the request was written is sent = true (not retried)", function()
      local before = get("count") -- warms nothing; the drop counter is separate
      assert.is_table(before)
      local r = call{ method = "POST", path = "/up/drop", body = "PhoneNumber=%2B15005550006" }
      assert.equal("transport", r.err.kind)
      assert.is_true(r.err.sent)
      local _, body = srv:request{ path = "/p/get?k=drop" }
      assert.equal("1", body)
    end)

    it("enforces max_body (kind 'decode', status kept), Content-Length and chunked", function()
      local r = call{ method = "GET", path = "/up/big?n=100000", max_body = 1000 }
      assert.equal("decode", r.err.kind)
      assert.equal(200, r.err.status)
      assert.truthy(r.err.message:find("max_body", 1, true))
      r = call{ method = "GET", path = "/up/big?n=100000&chunked=1", max_body = 1000 }
      assert.equal("decode", r.err.kind)
      assert.equal(200, r.err.status)
      r = call({ method = "GET", path = "/up/big?n=100000" }, { opts = { max_body = 50000 } })
      assert.equal("decode", r.err.kind)
      r = call{ method = "GET", path = "/up/big?n=1000", max_body = 1000 }
      assert.equal(1000, #r.res.body)
    end)

    it("rejects header injection and bad URLs before connecting", function()
      local r = call{ method = "GET", path = "/up/echo", headers = { ["X-A"] = "v\r\nX-Evil: 1" } }
      assert.equal("transport", r.err.kind)
      assert.is_false(r.err.sent)
      for _, url in ipairs{ "ftp://127.0.0.1/x", "http://user:pw@127.0.0.1/x", "nonsense",
                            "http://127.0.0.1:99999/x", "http://127.0.0.1/a b" } do
        r = call{ method = "GET", url = url }
        assert.equal("transport", r.err.kind, url)
        assert.is_false(r.err.sent, url)
      end
    end)
  end)

  describe("non-blocking", function()
    it("answers other requests in milliseconds while a handler waits 3 s on a slow upstream", function()
      need()
      local socket = require "socket"
      -- request A: a handler that calls the slow upstream through the transport
      local a = assert(socket.tcp())
      a:settimeout(10)
      assert(a:connect("127.0.0.1", srv.port))
      local body = cjson.encode{ req = { method = "GET", path = "/up/slow?ms=3000" } }
      local t_a = socket.gettime()
      assert(a:send("POST /t/request HTTP/1.1\r\nHost: x\r\nConnection: close\r\nContent-Length: "
                    .. #body .. "\r\n\r\n" .. body))
      socket.sleep(0.2) -- A is now parked in the transport's receive
      -- request B (plain location) and C (another transport call) meanwhile
      local t0 = socket.gettime()
      local status = srv:request{ path = "/up/plain", timeout = 5 }
      local plain_ms = (socket.gettime() - t0) * 1000
      assert.equal(200, status)
      t0 = socket.gettime()
      local c = call{ method = "GET", path = "/up/plain" }
      local through_ms = (socket.gettime() - t0) * 1000
      assert.equal(200, c.res.status)
      -- A finishes after its 3 s, successfully
      local raw = a:receive("*a")
      a:close()
      local a_ms = (socket.gettime() - t_a) * 1000
      assert.truthy(raw:find("HTTP/1.1 200", 1, true))
      assert.truthy(raw:find('"status":200', 1, true))
      assert.truthy(raw:find("slow ", 1, true))
      assert.is_true(a_ms >= 2900, "slow request took " .. a_ms)
      io.stderr:write(string.format(
        "\n[nginx non-blocking] during a 3 s upstream wait: plain GET %.1f ms, GET through the transport %.1f ms;"
        .. " slow request %.0f ms\n", plain_ms, through_ms, a_ms))
      assert.is_true(plain_ms < 200, "plain GET took " .. plain_ms .. " ms")
      assert.is_true(through_ms < 200, "transport GET took " .. through_ms .. " ms")
    end)
  end)

  describe("pick()", function()
    for _, phase in ipairs{ "content", "access", "rewrite", "timer" } do
      it("returns the ngx transport in phase " .. phase, function()
        need()
        local r = srv:json{ path = "/p/" .. phase }
        assert.equal(phase, r.phase)
        assert.equal("ngx", r.transport)
      end)
    end

    for _, phase in ipairs{ "log", "header_filter", "body_filter", "init_worker" } do
      it("returns an error object and sends nothing in phase " .. phase, function()
        need()
        if phase ~= "init_worker" then
          local status = srv:request{ path = "/p/" .. phase }
          assert.equal(200, status)
          nginx.sleep(0.1) -- the log phase runs after the response
        end
        local r = get(phase)
        assert.equal(phase, r.phase)
        assert.is_nil(r.transport)
        assert.equal("invalid", r.err_kind)
        assert.is_true(r.is_error)
        assert.equal("twilio: no non-blocking transport in phase '" .. phase
                     .. "'; use ngx.timer.at(0, fn) or pass transport=", r.err_message)
        assert.is_nil(r.request)
        local _, count = srv:request{ path = "/p/get?k=count" }
        assert.equal("{}", count) -- /up/count never hit
      end)
    end

    it("returns an error object in set_by_lua", function()
      need()
      local r = srv:json{ path = "/p/set" }
      assert.equal("set", r.phase)
      assert.equal("invalid", r.err_kind)
    end)

    it("does not pick the ngx transport in the init phase (curl, in the master)", function()
      need()
      local r = get("init")
      assert.equal("init", r.phase)
      assert.is_nil(r.raised)
      assert.are_not.equal("ngx", r.transport)
      local f = io.open(nginx.root .. "/lua/twilio/transport/curl.lua")
      if f then
        f:close()
        assert.is_string(r.transport)
      else
        assert.truthy(r.err_message:find("'curl' is not available", 1, true))
      end
    end)
  end)
end)
