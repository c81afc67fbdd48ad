-- The nginx transport on a kept-alive connection the server has closed
-- (issue 16). helpers.stale_server answers the first request of a
-- connection and leaves it open (so the transport pools it); the next
-- request on it is read and the connection closed without an answer, or
-- (answer_close) the connection is closed right after the first answer.
--   * a POST on such a connection is never resent: the server sees it once,
--     and the error says it was sent (it may have been applied);
--   * a GET is retried once, on a new connection, and succeeds;
--   * a DELETE is not resent by the transport (a resend after an applied
--     attempt gets 404): the error says it was sent, and the client's retry
--     loop, knowing an attempt may have been applied, ends it as released.
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

    # GET /t/release?port=&sid=[&warm=1]  the client releases sid (after a warm GET)
    location = /t/release {
      content_by_lua_block {
        local cjson = require "cjson.safe"
        local twilio = require "twilio"
        local c = assert(twilio.new{ base_url = "http://127.0.0.1:" .. ngx.var.arg_port,
                                     account_sid = "AC" .. string.rep("b", 32), auth_token = "t0ken",
                                     retries = { max = 2, base = 0.01, cap = 0.02 }, timeout = 3 })
        local numbers = c.incoming_phone_numbers
        local out = {}
        if ngx.var.arg_warm then out.warm = numbers:page{ page_size = 1 } and true or false end
        local ok, err = numbers:release(ngx.var.arg_sid)
        out.released = ok or false
        if err then
          out.err = { kind = err.kind, status = err.status, retries = err.retries,
                      maybe_applied_before = err.maybe_applied_before }
        end
        c:close()
        ngx.print(cjson.encode(out))
      }
    }
]]

local PN = "PN" .. string.rep("c", 32)
local PN_PATH = "/2010-04-01/Accounts/AC" .. string.rep("b", 32) .. "/IncomingPhoneNumbers/" .. PN .. ".json"

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

  -- the client (twilio.new, the ngx transport) releases PN, after a warm GET
  -- that leaves a pooled connection when warm; the server's mode: read_close
  local function release(warm)
    assert(srv, "test nginx did not start: " .. tostring(why))
    local path = "/t/release?port=" .. up.port .. "&sid=" .. PN .. (warm and "&warm=1" or "")
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

    -- the server applied it: a resend by the transport would get 404, and
    -- the caller could not tell it from "not there"
    it("a DELETE is not resent by the transport: one DELETE at the server, sent = true", function()
      local r, log = run("read_close", "DELETE")
      assert.is_nil(r.second.status)
      assert.equal("transport", r.second.err.kind)
      assert.is_true(r.second.err.sent)
      local dels = of(log, "DELETE")
      assert.equal(1, #dels)
      assert.equal(of(log, "GET", "/warm")[1].conn, dels[1].conn)
      assert.is_false(dels[1].answered)
      assert.equal(200, r.third.status)
    end)

    it("a release whose first DELETE was applied on it ends released: the client retried knowing", function()
      local r, log = release(true)
      assert.is_true(r.warm)
      assert.is_nil(r.err)
      assert.is_true(r.released)
      local dels = of(log, "DELETE", PN_PATH)
      assert.equal(2, #dels)                          -- the applied attempt and the client's retry
      assert.equal(of(log, "GET")[1].conn, dels[1].conn)   -- the first on the pooled connection
      assert.is_false(dels[1].answered)
      assert.is_true(dels[2].answered)                -- 404 at the server: already deleted
      assert.are_not.equal(dels[1].conn, dels[2].conn)
    end)
  end)

  describe("a DELETE of something absent, on a fresh connection", function()
    it("is an api error 404, sent once", function()
      up:gone(PN_PATH)
      local r, log = release(false)
      assert.is_false(r.released)
      assert.equal("api", r.err.kind)
      assert.equal(404, r.err.status)
      assert.equal(0, r.err.retries)
      local dels = of(log, "DELETE", PN_PATH)
      assert.equal(1, #dels)
      assert.is_true(dels[1].answered)
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
