-- The emulator: faults on demand (POST /_emulator/faults).
local http = require "helpers.http"
local socket = require "socket"

describe("emulator faults", function()
  local list_path = "/IncomingPhoneNumbers.json"
  setup(function() http.emulator() end)
  teardown(function() http.emulator_stop() end)
  before_each(function() http.reset() end)

  local function list() return http.api{ path = list_path } end
  local function owned()
    return #assert(list()).json.incoming_phone_numbers
  end
  local function buy(n)
    return http.api{ path = list_path, form = { PhoneNumber = n or "+14155550100" } }
  end

  it("answers 503 with a Twilio JSON error once (count defaults to 1)", function()
    local f = http.fault{ fault = "status", status = 503 }
    assert.equal(1, f.count)
    local res = assert(list())
    assert.equal(503, res.status)
    assert.equal(20503, res.json.code)
    assert.equal(503, res.json.status)
    assert.equal(200, assert(list()).status)
  end)

  it("answers 429 with Retry-After in seconds or as an HTTP date", function()
    http.fault{ fault = "status", status = 429, retry_after = "2" }
    local res = assert(list())
    assert.equal(429, res.status)
    assert.equal("2", res.headers["retry-after"])
    assert.equal(20429, res.json.code)
    http.fault{ fault = "status", status = 429, retry_after = "Wed, 21 Oct 2015 07:28:00 GMT" }
    assert.equal("Wed, 21 Oct 2015 07:28:00 GMT", assert(list()).headers["retry-after"])
    http.fault{ fault = "status", status = 429, retry_after_in = 3 }
    assert.matches("^%a%a%a, %d%d %a%a%a %d%d%d%d %d%d:%d%d:%d%d GMT$", assert(list()).headers["retry-after"])
  end)

  it("answers 500/502/503 with HTML or empty bodies", function()
    http.fault{ fault = "status", status = 502, body_type = "html" }
    local res = assert(list())
    assert.equal(502, res.status)
    assert.matches("^text/html", res.headers["content-type"])
    assert.matches("<html>", res.body)
    http.fault{ fault = "status", status = 500, body_type = "empty" }
    res = assert(list())
    assert.equal(500, res.status)
    assert.equal("", res.body)
    assert.equal("0", res.headers["content-length"])
  end)

  it("targets a method and a path pattern, and counts", function()
    http.fault{ fault = "status", status = 503, method = "POST", path = "IncomingPhoneNumbers%.json$", count = 2 }
    assert.equal(200, assert(list()).status)
    assert.equal(200, assert(http.api{ path = "/AvailablePhoneNumbers.json" }).status)
    assert.equal(503, assert(buy()).status)
    assert.equal(503, assert(buy()).status)
    assert.equal(201, assert(buy()).status)
  end)

  it("keeps a count = -1 fault until cleared", function()
    http.fault{ fault = "status", status = 500, count = -1 }
    for _ = 1, 3 do assert.equal(500, assert(list()).status) end
    local status, pending = http.control("GET", "faults")
    assert.equal(200, status)
    assert.equal(1, #pending)
    assert.equal(3, pending[1].hits)
    assert.equal(200, (http.control("DELETE", "faults")))
    assert.equal(200, assert(list()).status)
  end)

  it("delays a response", function()
    http.fault{ fault = "delay", delay_ms = 300 }
    local t0 = socket.gettime()
    local res = assert(list())
    assert.equal(200, res.status)
    assert.is_true(socket.gettime() - t0 >= 0.28)
  end)

  it("drops the connection before the request is applied", function()
    http.fault{ fault = "drop_before", method = "POST" }
    local res, err = buy()
    assert.is_nil(res)
    assert.is_string(err)
    assert.equal(0, owned())
  end)

  it("drops the connection after the request was applied (a purchase whose answer was lost)", function()
    http.fault{ fault = "drop_after", method = "POST" }
    local res, err = buy()
    assert.is_nil(res)
    assert.is_string(err)
    assert.equal(1, owned())
    assert.equal(21422, assert(buy()).json.code)
    local _, log = http.control("GET", "log")
    assert.equal("drop_after", log[1].fault)
    assert.equal(201, log[1].status)
  end)

  it("truncates a body (Content-Length larger than what is sent, then close)", function()
    assert(buy())
    http.fault{ fault = "truncate" }
    local res, err = list()
    assert.is_nil(res)
    assert.is_string(err)
    -- on the wire: a Content-Length larger than the bytes that arrive before the close
    http.fault{ fault = "truncate" }
    local emu = http.emulator()
    local host, port = emu.url:match("^http://([^:/]+):(%d+)")
    local sock = assert(socket.connect(host, tonumber(port)))
    sock:settimeout(5)
    local auth = (require "mime").b64(emu.account_sid .. ":" .. emu.auth_token)
    assert(sock:send("GET /2010-04-01/Accounts/" .. emu.account_sid .. list_path .. " HTTP/1.1\r\nHost: x\r\n"
      .. "Authorization: Basic " .. auth .. "\r\n\r\n"))
    local data, rerr, partial = sock:receive("*a")
    sock:close()
    data = data or partial
    assert.is_nil(rerr)
    local head, body = data:match("^(.-)\r\n\r\n(.*)$")
    local len = tonumber(head:lower():match("content%-length: (%d+)"))
    assert.is_true(#body > 0)
    assert.is_true(len > #body)
    assert.matches('^{"end"', body)
  end)

  it("sends malformed JSON with status 200", function()
    assert(buy())
    http.fault{ fault = "malformed", method = "GET" }
    local res = assert(list())
    assert.equal(200, res.status)
    assert.matches("json", res.headers["content-type"])
    assert.is_nil(res.json)
    assert.is_nil((http.json(res.body)))
  end)

  it("sends an oversized body of valid-looking JSON (configurable, 24 MiB by default)", function()
    http.fault{ fault = "oversize", bytes = 2 * 1024 * 1024 }
    local res = assert(list())
    assert.equal(200, res.status)
    local len = tonumber(res.headers["content-length"])
    assert.is_true(len >= 2 * 1024 * 1024)
    assert.equal(len, #res.body)
    local v = assert(http.json(res.body))
    assert.is_true(#v.incoming_phone_numbers > 1000)
    http.fault{ fault = "oversize" }
    res = assert(http.api{ path = list_path, max_body = 0, timeout = 30 })
    assert.is_true(tonumber(res.headers["content-length"]) >= 24 * 1024 * 1024)
    assert.equal(tonumber(res.headers["content-length"]), res.bytes)
  end)

  it("sends a wrong content type", function()
    http.fault{ fault = "content_type" }
    local res = assert(list())
    assert.equal(200, res.status)
    assert.matches("^text/html", res.headers["content-type"])
    assert.is_table(http.json(res.body))
    http.fault{ fault = "content_type", content_type = "text/plain" }
    assert.equal("text/plain", assert(list()).headers["content-type"])
  end)

  it("points next_page_uri at another host", function()
    assert(buy("+14155550100"))
    assert(buy("+14155550101"))
    http.fault{ fault = "foreign_next_page" }
    local res = assert(http.api{ path = list_path, query = { PageSize = 1 } })
    assert.matches("^http://evil%.example%.invalid/2010%-04%-01/", res.json.next_page_uri)
  end)

  it("replays a canned response", function()
    http.fault{ fault = "respond", status = 418, headers = { ["X-Canned"] = "yes", ["Content-Type"] = "text/plain" },
                body = "short and stout" }
    local res = assert(list())
    assert.equal(418, res.status)
    assert.equal("yes", res.headers["x-canned"])
    assert.equal("short and stout", res.body)
    http.fault{ fault = "respond", status = 200, body = '{"incoming_phone_numbers": [], "next_page_uri": null}',
                headers = { ["Content-Type"] = "application/json" } }
    assert.same({}, assert(list()).json.incoming_phone_numbers)
  end)

  it("rejects malformed fault requests", function()
    for _, f in ipairs({ { fault = "explode" }, { fault = "status", status = 99 }, { fault = "status", count = 0 },
                         { fault = "status", path = "[" }, { fault = "status", body_type = "xml" } }) do
      assert.equal(400, (http.control("POST", "faults", f)))
    end
  end)

  it("never applies faults to the control API", function()
    http.fault{ fault = "drop_before", count = -1 }
    local status, info = http.control("GET", "info")
    assert.equal(200, status)
    assert.is_string(info.base_url)
    assert.equal(200, (http.control("GET", "stats")))
    assert.is_nil((list()))
    http.control("DELETE", "faults")
    assert.equal(200, assert(list()).status)
  end)
end)
