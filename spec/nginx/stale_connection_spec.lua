-- The nginx transport on a kept-alive connection the server has closed
-- (issue 16). helpers.stale_server answers the first request of a
-- connection and leaves it open (so the transport pools it); the next
-- request on it is read and the connection closed without an answer, or
-- (answer_close) the connection is closed right after the first answer.
--   * a POST on such a connection is never resent: the server sees it once,
--     and the error says it was sent (it may have been applied);
--   * a GET is retried once, on a new connection, and succeeds.
local nginx = require "helpers.nginx"
local stale = require "helpers.stale_server"
local cjson = require "cjson"

-- GET /t/stale?port=&method=  a warm GET, then `method` on the pooled connection
local SERVER = [[
    location = /t/stale {
      content_by_lua_block {
        local cjson = require "cjson.safe"
        local t = assert(require("twilio.transport.ngx").new{})
        local base = "http://127.0.0.1:" .. ngx.var.arg_port
        local function one(method, path)
          local req = { method = method, url = base .. path, timeout_ms = 3000, connect_timeout_ms = 3000 }
          if method == "POST" then
            req.body = "PhoneNumber=%2B14155550100"
            req.headers = { ["Content-Type"] = "application/x-www-form-urlencoded" }
          end
          local res, err = t:request(req)
          if res then return { status = res.status, reused = res.reused, body = res.body } end
          return { err = err }
        end
        local out = { warm = one("GET", "/warm") }
        if ngx.var.arg_wait then ngx.sleep(tonumber(ngx.var.arg_wait)) end
        out.second = one(ngx.var.arg_method, "/second")
        out.third = one("GET", "/third")
        ngx.print(cjson.encode(out))
      }
    }
]]

describe("nginx transport: a kept-alive connection the server closed", function()
  local srv, why, up

  setup(function()
    srv, why = nginx.start{ name = "stale", server = SERVER }
  end)
  teardown(function()
    if srv then srv:stop() end
  end)
  -- a server (a port, so a connection pool) of its own for each test
  before_each(function() up = assert(stale.start()) end)
  after_each(function() up:stop() end)

  local function run(mode, method, wait)
    assert(srv, "test nginx did not start: " .. tostring(why))
    up:mode(mode)
    local path = "/t/stale?port=" .. up.port .. "&method=" .. method .. (wait and "&wait=" .. wait or "")
    local status, body = srv:request{ path = path, timeout = 15 }
    assert.equal(200, status, body)
    return cjson.decode(body), up:log()
  end

  local function of(log, method, path)
    local out = {}
    for _, e in ipairs(log) do
      if e.method == method and (not path or e.path == path) then out[#out + 1] = e end
    end
    return out
  end

  describe("the server read the request and closed without answering", function()
    it("a POST is not resent: one POST at the server, sent = true", function()
      local r, log = run("read_close", "POST")
      assert.equal(200, r.warm.status)
      assert.is_nil(r.second.status)
      assert.equal("transport", r.second.err.kind)
      assert.is_true(r.second.err.sent)
      local posts = of(log, "POST")
      assert.equal(1, #posts)                         -- never resent
      assert.equal(of(log, "GET", "/warm")[1].conn, posts[1].conn)   -- on the pooled connection
      assert.is_false(posts[1].answered)
      assert.equal(200, r.third.status)               -- the transport is usable afterwards
    end)

    it("a GET is retried once, on a new connection, and succeeds", function()
      local r, log = run("read_close", "GET")
      assert.equal(200, r.second.status)
      assert.equal(0, r.second.reused)                -- a new connection
      local gets = of(log, "GET", "/second")
      assert.equal(2, #gets)                          -- the stale attempt and one retry
      assert.equal(of(log, "GET", "/warm")[1].conn, gets[1].conn)
      assert.is_false(gets[1].answered)
      assert.is_true(gets[2].answered)
      assert.are_not.equal(gets[1].conn, gets[2].conn)
    end)

    it("a DELETE (idempotent) is retried once on a new connection too", function()
      local r, log = run("read_close", "DELETE")
      assert.equal(204, r.second.status)
      assert.equal(2, #of(log, "DELETE"))
    end)
  end)

  -- A connection the server closed while it sat idle in nginx's pool (an idle
  -- timeout): nginx drops it, so the next request, a POST included, goes
  -- out on a new connection and is read once.
  describe("the server closed the connection after its answer, while it was idle", function()
    for _, method in ipairs{ "POST", "GET" } do
      it("a " .. method .. " goes out on a new connection, once", function()
        local r, log = run("answer_close", method, 0.2)
        assert.equal(200, r.warm.status)
        assert.equal(method == "POST" and 201 or 200, r.second.status)
        assert.equal(0, r.second.reused)
        assert.equal(1, #of(log, method, "/second"))
      end)
    end
  end)
end)
