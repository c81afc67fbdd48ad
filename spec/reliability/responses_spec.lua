-- Bad responses never crash and never hang (issue 6): each gives an error of
-- kind decode or api with the HTTP status kept.
local emu = require "helpers.emulator"
local core = require "twilio.core"

describe("bad responses", function()
  local client, numbers, sid

  setup(function() emu.ensure() end)
  teardown(function() emu.stop_if_started() end)

  before_each(function()
    emu.reset()
    client = emu.client{ timeout = 5, max_body = 256 * 1024 }
    numbers = client.incoming_phone_numbers
    sid = emu.seed(emu.account_sid(), 3).first_sid
  end)

  after_each(function()
    emu.clear_faults()
    client:close()
  end)

  local function respond(method, path, status, ctype, body)
    emu.fault{ fault = "respond", method = method, path = path, status = status,
               headers = ctype and { ["Content-Type"] = ctype } or nil, body = body }
  end

  it("a 200 that is not labelled JSON is refused, even when the body parses", function()
    for _, ct in ipairs{ "text/html; charset=utf-8", "text/plain" } do
      emu.fault{ fault = "content_type", content_type = ct, method = "GET" }
      local l, err = numbers:list{}
      assert.is_nil(l)
      assert.equals("decode", err.kind)
      assert.equals(200, err.status)
      assert.truthy(err.message:find("Content-Type '" .. ct .. "'", 1, true), err.message)
      emu.fault{ fault = "content_type", content_type = ct, method = "GET" }
      local n, ferr = numbers:fetch(sid)
      assert.is_nil(n)
      assert.equals("decode", ferr.kind)
      assert.equals(200, ferr.status)
    end
    -- any JSON type, with or without parameters, is fine
    emu.fault{ fault = "content_type", content_type = "application/problem+json", method = "GET" }
    assert(numbers:fetch(sid))
  end)

  it("an HTML page with 200 is a decode error with the status", function()
    respond("GET", "IncomingPhoneNumbers%.json$", 200, "text/html", "<html><body>Login</body></html>")
    local l, err = numbers:list{}
    assert.is_nil(l)
    assert.equals("decode", err.kind)
    assert.equals(200, err.status)
  end)

  it("error pages keep the HTTP status whatever the body", function()
    for _, case in ipairs{
      { 502, "text/html", "<html><body><h1>502 Bad Gateway</h1></body></html>" },
      { 500, nil, "" },
      { 503, "application/json", "{\"code\": 20503, \"message\": \"down\", \"status\": 503" },   -- cut
      { 404, "text/plain", "not here" },
    } do
      respond("GET", "/PN%x+%.json$", case[1], case[2], case[3])
      local n, err = client.incoming_phone_numbers:fetch(sid, { retries = 0 })
      assert.is_nil(n)
      assert.equals("api", err.kind)
      assert.equals(case[1], err.status)
      assert.is_string(err.message)
    end
  end)

  it("truncated and malformed JSON, items that are not objects: decode errors", function()
    for _, body in ipairs{
      '{"incoming_phone_numbers": [{"sid": "PN',
      '{"incoming_phone_numbers": [1, 2, 3], "next_page_uri": null}',
      '{"incoming_phone_numbers": "no", "next_page_uri": null}',
      '[]', 'null', '',
    } do
      respond("GET", "IncomingPhoneNumbers%.json$", 200, "application/json", body)
      local l, err = numbers:list{}
      assert.is_nil(l, body)
      assert.equals("decode", err.kind, body)
      assert.equals(200, err.status, body)
    end
  end)

  it("each() raises the error object instead of ending early", function()
    respond("GET", "IncomingPhoneNumbers%.json$", 200, "application/json", '{"incoming_phone_numbers": [1]}')
    local ok, err = pcall(function() for _ in numbers:each{} do end end)
    assert.is_false(ok)
    assert.is_true(core.is_error(err))
    assert.equals("decode", err.kind)
  end)

  it("an oversized body stops at max_body with a clear error", function()
    emu.fault{ fault = "oversize", bytes = 2 * 1024 * 1024, method = "GET" }
    local t0 = core.monotonic()
    local l, err = numbers:list{}
    assert.is_nil(l)
    assert.equals("decode", err.kind)
    assert.equals(200, err.status)
    assert.matches("larger than 262144 bytes", err.message)
    assert.is_true(core.monotonic() - t0 < 3)
    -- the client is still usable
    assert.equals(3, #assert(numbers:list{}))
  end)

  it("a DELETE answered 2xx with an unreadable body still reports the number released", function()
    local n = assert(numbers:fetch(sid))
    emu.fault{ fault = "oversize", bytes = 1024 * 1024, method = "DELETE" }
    assert.is_true(n:release())
    assert.is_true(n:released())
    assert.equals(1, emu.stats().releases)
    local sid2 = assert(numbers:list{})[1].sid
    respond("DELETE", "/PN%x+%.json$", 200, "text/html", "<html>ok</html>")
    assert.is_true(numbers:delete(sid2))
  end)
end)
