-- request_spec.lua: core.config, cfg:build, cfg:follow, core.operations,
-- core.urlencode, core.base64.
local core = require "twilio.core"

local AC = "AC" .. string.rep("0123456789abcdef", 2)
local PN = "PN" .. string.rep("fedcba9876543210", 2)
local SK = "SK" .. string.rep("a1", 16)
local TOKEN = "tok_0123456789abcdef"

local function config(extra)
  local opts = { account_sid = AC, auth_token = TOKEN }
  for k, v in pairs(extra or {}) do opts[k] = v end
  return core.config(opts)
end

local function invalid(field, pattern, ...)
  local v, err = ...
  assert.is_nil(v)
  assert.is_true(core.is_error(err))
  assert.equal("invalid", err.kind)
  assert.equal(field, err.field)
  if pattern then assert.matches(pattern, err.message) end
  return err
end

describe("core.config", function()
  it("builds a config with defaults", function()
    local cfg = assert(config())
    assert.equal(AC, cfg:account_sid())
    assert.equal("https://api.twilio.com", cfg:base_url())
    assert.equal("api.twilio.com", cfg:host())
    assert.equal(443, cfg:port())
    assert.equal("https", cfg:scheme())
  end)

  it("tostring shows the account and host, never the secret", function()
    local cfg = assert(config())
    assert.equal("twilio.Config: " .. AC .. " https://api.twilio.com", tostring(cfg))
    local cfg2 = assert(core.config{ account_sid = AC, api_key = SK, api_secret = "s3cr3t-value" })
    assert.is_nil(tostring(cfg2):find("s3cr3t", 1, true))
    assert.is_nil(tostring(cfg):find(TOKEN, 1, true))
  end)

  it("hides its metatable and fields", function()
    local cfg = assert(config())
    assert.equal("twilio.Config", getmetatable(cfg))
    assert.is_nil(cfg.auth_token)
    assert.is_nil(cfg.auth)
  end)

  it("Authorization is Basic base64(account_sid:auth_token)", function()
    local req = assert(assert(config()):build("ListIncomingPhoneNumber"))
    assert.equal("Basic " .. core.base64(AC .. ":" .. TOKEN), req.headers.Authorization)
  end)

  it("with an API key the user is the key SID", function()
    local cfg = assert(core.config{ account_sid = AC, api_key = SK, api_secret = "sec" })
    local req = assert(cfg:build("ListIncomingPhoneNumber"))
    assert.equal("Basic " .. core.base64(SK .. ":sec"), req.headers.Authorization)
    assert.matches("/Accounts/" .. AC .. "/", req.url, 1, true)
  end)

  it("refuses missing and malformed credentials without echoing secrets", function()
    invalid("account_sid", "required", core.config{ auth_token = TOKEN })
    invalid("account_sid", "AC followed by 32 hex digits", core.config{ account_sid = "AC123", auth_token = TOKEN })
    invalid("account_sid", "must be a string", core.config{ account_sid = 5, auth_token = TOKEN })
    invalid("auth_token", "required", core.config{ account_sid = AC })
    invalid("auth_token", "empty", core.config{ account_sid = AC, auth_token = "" })
    for _, bad in ipairs({ "sec\r\nret", "sec\0ret", "sec\nret" }) do
      local err = invalid("auth_token", "printable ASCII", core.config{ account_sid = AC, auth_token = bad })
      assert.is_nil(err.message:find("sec", 1, true))
      assert.is_nil(tostring(err):find("ret", 1, true))
    end
    local err = invalid("auth_token", "must be a string", core.config{ account_sid = AC, auth_token = 12345 })
    assert.is_nil(err.message:find("12345", 1, true))
    invalid("auth_token", "too long", core.config{ account_sid = AC, auth_token = string.rep("x", 257) })
    invalid("api_key", "SK followed by", core.config{ account_sid = AC, api_key = PN, api_secret = "s" })
    invalid("api_secret", "required", core.config{ account_sid = AC, api_key = SK })
    invalid("api_secret", "empty", core.config{ account_sid = AC, api_key = SK, api_secret = "" })
    invalid("api_key", "without api_key", core.config{ account_sid = AC, api_secret = "s" })
  end)

  it("refuses a non-table", function()
    assert.has_error(function() core.config("x") end)
  end)

  describe("base_url", function()
    it("accepts https hosts and loopback http, strips one trailing slash", function()
      assert.equal("https://example.test", assert(config{ base_url = "https://example.test/" }):base_url())
      assert.equal("https://example.test:8443", assert(config{ base_url = "https://Example.TEST:8443" }):base_url())
      assert.equal("http://127.0.0.1:8080", assert(config{ base_url = "http://127.0.0.1:8080/" }):base_url())
      assert.equal("http://127.1.2.3", assert(config{ base_url = "http://127.1.2.3" }):base_url())
      assert.equal("http://localhost:9", assert(config{ base_url = "http://localhost:9" }):base_url())
      local v6 = assert(config{ base_url = "http://[::1]:8080" })
      assert.equal("http://[::1]:8080", v6:base_url())
      assert.equal("[::1]", v6:host())
      assert.equal(8080, v6:port())
    end)
    it("refuses everything else", function()
      for _, b in ipairs({ "http://example.com", "http://127.0.0.1.nip.io", "http://10.0.0.1",
                           "ftp://x", "https://u:p@example.com", "https://example.com/base",
                           "https://example.com?x", "https://example.com#f", "https://", "example.com",
                           "https://exa mple.com", "https://example.com:0", "https://example.com:70000",
                           "https://example.com\r\n", "" }) do
        invalid("base_url", "base_url must be", config{ base_url = b })
      end
    end)
  end)

  describe("region and edge", function()
    it("build api.{edge}.{region}.twilio.com", function()
      assert.equal("https://api.ie1.twilio.com", assert(config{ region = "ie1" }):base_url())
      assert.equal("https://api.dublin.us1.twilio.com", assert(config{ edge = "dublin" }):base_url())
      assert.equal("https://api.sydney.au1.twilio.com",
                   assert(config{ edge = "sydney", region = "au1" }):base_url())
    end)
    it("refuse bad names and the base_url combination", function()
      invalid("region", "lower%-case", config{ region = "IE1" })
      invalid("region", "lower%-case", config{ region = "ie1.evil.com/" })
      invalid("edge", "lower%-case", config{ edge = "" })
      invalid("region", "base_url", config{ region = "ie1", base_url = "https://x.test" })
    end)
  end)

  it("user_agent defaults and can be set; no CR/LF", function()
    local req = assert(assert(config()):build("ListIncomingPhoneNumber"))
    assert.matches("^twilio%-numbers/", req.headers["User-Agent"])
    req = assert(assert(config{ user_agent = "my-app/1.0" }):build("ListIncomingPhoneNumber"))
    assert.equal("my-app/1.0", req.headers["User-Agent"])
    invalid("user_agent", "printable", config{ user_agent = "x\r\nEvil: 1" })
    invalid("user_agent", "printable", config{ user_agent = "" })
  end)
end)

describe("cfg:build", function()
  local cfg = assert(config())

  it("builds a POST with a form body and headers", function()
    local req = assert(cfg:build("UpdateIncomingPhoneNumber", { sid = PN },
                                 { voice_url = "https://example.com/voice", voice_method = "POST" }))
    assert.same({
      method = "POST",
      url = "https://api.twilio.com/2010-04-01/Accounts/" .. AC .. "/IncomingPhoneNumbers/" .. PN .. ".json",
      body = "VoiceMethod=POST&VoiceUrl=https%3A%2F%2Fexample.com%2Fvoice",
      headers = {
        Authorization = "Basic " .. core.base64(AC .. ":" .. TOKEN),
        Accept = "application/json",
        ["User-Agent"] = req.headers["User-Agent"],
        ["Content-Type"] = "application/x-www-form-urlencoded",
      },
      op = "UpdateIncomingPhoneNumber",
      idempotent = true,
    }, req)
  end)

  it("shares one headers table per form between a config's requests; adding to it raises", function()
    local get1 = assert(cfg:build("FetchIncomingPhoneNumber", { sid = PN }))
    local get2 = assert(cfg:build("ListIncomingPhoneNumber", {}, { page_size = 5 }))
    local post = assert(cfg:build("UpdateIncomingPhoneNumber", { sid = PN }, { friendly_name = "x" }))
    local follow = assert(cfg:follow("/2010-04-01/Accounts/" .. AC .. "/IncomingPhoneNumbers.json?Page=1"))
    assert.equal(get1.headers, get2.headers)
    assert.equal(get1.headers, follow.headers)
    assert.equal(post.headers, assert(cfg:build("UpdateIncomingPhoneNumber", { sid = PN })).headers)
    assert.are_not.equal(get1.headers, post.headers)
    assert.is_nil(get1.headers["Content-Type"])
    assert.equal("application/x-www-form-urlencoded", post.headers["Content-Type"])
    local ok, msg = pcall(function() get1.headers["X-Extra"] = "1" end)
    assert.is_false(ok)                                  -- the table is every request's
    assert.matches("req.headers is shared", tostring(msg), 1, true)
    assert.is_nil(get2.headers["X-Extra"])
    local other = assert(config())                       -- another config: its own tables
    assert.are_not.equal(get1.headers, assert(other:build("FetchIncomingPhoneNumber", { sid = PN })).headers)
    local csv1 = assert(cfg:build("ListIncomingPhoneNumber", {}, {}, "csv"))
    local csv2 = assert(cfg:build("ListIncomingPhoneNumber", {}, {}, "csv"))
    assert.are_not.equal(csv1.headers, csv2.headers)     -- a CSV request's own, changeable
    csv1.headers["X-Extra"] = "1"
    assert.equal("text/csv", csv1.headers.Accept)
    assert.equal("application/json", get1.headers.Accept)
  end)

  it("a POST without params has an empty body", function()
    local req = assert(cfg:build("UpdateIncomingPhoneNumber", { sid = PN }))
    assert.equal("", req.body)
  end)

  it("GET puts params in the query, no body, no Content-Type", function()
    local req = assert(cfg:build("ListAvailablePhoneNumberLocal", { country_code = "US" },
                                 { area_code = 415, sms_enabled = false, page_size = 10 }))
    assert.equal("GET", req.method)
    assert.equal("https://api.twilio.com/2010-04-01/Accounts/" .. AC
                 .. "/AvailablePhoneNumbers/US/Local.json?AreaCode=415&SmsEnabled=false&PageSize=10", req.url)
    assert.is_nil(req.body)
    assert.is_nil(req.headers["Content-Type"])
    assert.is_true(req.idempotent)
  end)

  it("marks creates non-idempotent, GET/DELETE/Update idempotent", function()
    local ops = core.operations()
    for id, op in pairs(ops) do
      local want = op.method ~= "POST" or id == "UpdateIncomingPhoneNumber"
      assert.equal(want, op.idempotent, id)
    end
    assert.is_false(assert(cfg:build("CreateIncomingPhoneNumber", nil, { area_code = 415 })).idempotent)
    assert.is_true(assert(cfg:build("DeleteIncomingPhoneNumber", { sid = PN })).idempotent)
  end)

  it("the path account_sid overrides the config's", function()
    local other = "AC" .. string.rep("b", 32)
    local req = assert(cfg:build("FetchIncomingPhoneNumber", { account_sid = other, sid = PN }))
    assert.matches("/Accounts/" .. other .. "/IncomingPhoneNumbers/" .. PN .. ".json$", req.url)
  end)

  it("a path account_sid equal to the config's is taken; one differing in any byte is checked", function()
    local req = assert(cfg:build("FetchIncomingPhoneNumber", { account_sid = AC, sid = PN }))
    assert.matches("/Accounts/" .. AC .. "/IncomingPhoneNumbers/" .. PN .. ".json$", req.url)
    for i = 1, #AC do
      local bad = AC:sub(1, i - 1) .. "g" .. AC:sub(i + 1)
      local err = invalid("account_sid", nil, cfg:build("FetchIncomingPhoneNumber", { account_sid = bad, sid = PN }))
      assert.equal("account_sid must be an Account SID: AC followed by 32 hex digits "
                   .. "(got '" .. bad .. "')", err.message)
    end
    invalid("account_sid", nil, cfg:build("FetchIncomingPhoneNumber", { account_sid = AC .. "0", sid = PN }))
    invalid("account_sid", nil, cfg:build("FetchIncomingPhoneNumber", { account_sid = AC:sub(1, 33), sid = PN }))
    invalid("account_sid", "must be a string", cfg:build("FetchIncomingPhoneNumber", { account_sid = 5, sid = PN }))
    local upper = "AC" .. AC:sub(3):upper()      -- the same hex digits in upper case: another SID
    req = assert(cfg:build("FetchIncomingPhoneNumber", { account_sid = upper, sid = PN }))
    assert.matches("/Accounts/" .. upper .. "/", req.url)
  end)

  it("a params key names the same parameter whatever keys and operations came before it", function()
    -- the config keeps a lookup hint per key string address (always checked
    -- against the name, tests/c/test_request.c): a hint left by another
    -- operation, or by a collected string whose address a new key of the
    -- same length may have, must not decide (the key is made here: no
    -- constant keeps it alive)
    local c = assert(config())
    local char = string.char
    for _ = 1, 20 do
      do
        local key = ("status_callback_" .. "method"):sub(1)
        local req = assert(c:build("UpdateIncomingPhoneNumber", { sid = PN }, { [key] = "GET" }))
        assert.equal("StatusCallbackMethod=GET", req.body)
        req = assert(c:build("CreateIncomingPhoneNumber", nil, { area_code = 415, [key] = "POST" }))
        assert.equal("StatusCallbackMethod=POST&AreaCode=415", req.body)
        invalid(key, nil, c:build("ListIncomingPhoneNumber", nil, { [key] = "GET" }))
      end
      collectgarbage()
      collectgarbage()
      for j = 1, 40 do                    -- same length as the collected key
        local other = "status_callback_meth" .. char(96 + j % 26, 65 + math.floor(j / 26) % 26)
        local err = invalid(other, nil, c:build("UpdateIncomingPhoneNumber", { sid = PN }, { [other] = "GET" }))
        assert.matches("unknown parameter '" .. other .. "'", err.message, 1, true)
      end
    end
  end)

  it("integral floats are sent as integers", function()
    local req = assert(cfg:build("ListIncomingPhoneNumber", nil, { page_size = 50.0 }))
    assert.matches("PageSize=50$", req.url)
  end)

  it("emits parameters in the table's order whatever the Lua table order", function()
    local params = {}
    local names = { "bundle_sid", "voice_url", "friendly_name", "api_version", "sms_method" }
    local values = { "BU" .. string.rep("1", 32), "https://x.test", "n", "2010-04-01", "GET" }
    for i = #names, 1, -1 do params[names[i]] = values[i] end
    local req = assert(cfg:build("UpdateIncomingPhoneNumber", { sid = PN }, params))
    assert.equal("ApiVersion=2010-04-01&FriendlyName=n&SmsMethod=GET&VoiceUrl=https%3A%2F%2Fx.test&BundleSid=BU"
                 .. string.rep("1", 32), req.body)
  end)

  it("raises on programming misuse", function()
    assert.has_error(function() cfg:build("NoSuchOperation") end)
    assert.has_error(function() cfg:build(42) end)
    assert.has_error(function() cfg:build("UpdateIncomingPhoneNumber", "PN", {}) end)
    assert.has_error(function() cfg:build("UpdateIncomingPhoneNumber", { sid = PN }, "voice_url=x") end)
    assert.has_error(function() cfg.build({}, "ListIncomingPhoneNumber") end)
    local ok, msg = pcall(cfg.build, cfg, "UpdateIncomingPhoneNumbr")
    assert.is_false(ok)
    assert.matches("did you mean 'UpdateIncomingPhoneNumber'", msg)
  end)

  it("says what was wrong and what is expected", function()
    local err = invalid("phone_number", nil, cfg:build("CreateIncomingPhoneNumber", nil,
                                                        { phone_number = "415-555-0100" }))
    assert.equal("phone_number must be E.164 like +14155550100 (got '415-555-0100')", err.message)
    assert.equal("CreateIncomingPhoneNumber", err.op)
    err = invalid("voice_ulr", nil, cfg:build("UpdateIncomingPhoneNumber", { sid = PN }, { voice_ulr = "x" }))
    assert.equal("unknown parameter 'voice_ulr' for UpdateIncomingPhoneNumber; did you mean 'voice_url'?",
                 err.message)
  end)

  it("truncates long values and escapes control bytes in messages", function()
    local err = invalid("voice_url", nil, cfg:build("UpdateIncomingPhoneNumber", { sid = PN },
                                                     { voice_url = "ftp://" .. string.rep("a", 5000) .. "\1" }))
    assert.is_true(#err.message < 300)
    assert.matches("%.%.%.' %(5007 bytes%)", err.message)
    err = invalid("friendly_name", nil, cfg:build("UpdateIncomingPhoneNumber", { sid = PN },
                                                   { friendly_name = "a\0\27b" }))
    assert.matches("\\x00\\x1b", err.message, 1, true)
  end)

  it("leaves the caller's tables alone and ignores metatables", function()
    local params = setmetatable({ friendly_name = "x" }, { __index = function() error("touched") end })
    local req = assert(cfg:build("UpdateIncomingPhoneNumber", { sid = PN }, params))
    assert.equal("FriendlyName=x", req.body)
  end)
end)

describe("cfg:follow", function()
  local cfg = assert(config())
  local rel = "/2010-04-01/Accounts/" .. AC .. "/IncomingPhoneNumbers.json?PageSize=50&Page=1&PageToken=PA%2Bx"

  it("uses a relative next_page_uri verbatim", function()
    local req = assert(cfg:follow(rel))
    assert.equal("https://api.twilio.com" .. rel, req.url)
    assert.equal("GET", req.method)
    assert.is_nil(req.body)
    assert.is_true(req.idempotent)
    assert.equal("Basic " .. core.base64(AC .. ":" .. TOKEN), req.headers.Authorization)
    assert.is_nil(req.headers["Content-Type"])
  end)

  it("carries an optional operationId", function()
    assert.equal("ListIncomingPhoneNumber", assert(cfg:follow(rel, "ListIncomingPhoneNumber")).op)
    assert.has_error(function() cfg:follow(rel, "Nope") end)
  end)

  it("accepts an absolute URL on the configured scheme, host and port only", function()
    assert.equal("https://api.twilio.com" .. rel, assert(cfg:follow("https://api.twilio.com" .. rel)).url)
    assert.equal("https://api.twilio.com" .. rel, assert(cfg:follow("https://API.twilio.com:443" .. rel)).url)
    local local_cfg = assert(config{ base_url = "http://127.0.0.1:8080" })
    assert.truthy(local_cfg:follow("http://127.0.0.1:8080" .. rel))
    invalid("uri", nil, local_cfg:follow("http://127.0.0.1:8081" .. rel))
    invalid("uri", nil, local_cfg:follow("https://127.0.0.1:8080" .. rel))
  end)

  it("refuses other hosts, injection and malformed paths", function()
    for _, u in ipairs({
      "https://evil.example" .. rel, "http://api.twilio.com" .. rel, "https://api.twilio.com.evil.example" .. rel,
      "https://user@api.twilio.com" .. rel, "//evil.example" .. rel, "2010-04-01/Accounts", "",
      rel .. "\r\nX-Evil: 1", rel .. " x", rel .. "\0", "/2010-04-01/Accounts/../../x",
      "/2010-04-01/./x", "/other/path", "javascript:alert(1)", rel .. "#frag", rel .. "%zz",
    }) do
      invalid("uri", "next page URI", cfg:follow(u))
    end
  end)

  it("raises on a non-string", function()
    assert.has_error(function() cfg:follow(nil) end)
    assert.has_error(function() cfg:follow({}) end)
  end)
end)

describe("core.operations", function()
  it("describes 26 operations with snake and wire names", function()
    local ops = core.operations()
    local n = 0
    for id, op in pairs(ops) do
      n = n + 1
      assert.is_string(op.method, id)
      assert.matches("^/2010%-04%-01/Accounts/{AccountSid}/.*%.json$", op.path)
      for _, p in ipairs(op.params) do
        assert.is_string(p.name)
        assert.matches("^%u%a+$", p.wire)
        assert.truthy(({ path = true, query = true, form = true })[p["in"]])
        assert.truthy(({ string = true, boolean = true, integer = true })[p.type])
      end
    end
    assert.equal(26, n)
    local upd = ops.UpdateIncomingPhoneNumber
    assert.equal("POST", upd.method)
    local found
    for _, p in ipairs(upd.params) do if p.name == "emergency_status" then found = p end end
    assert.same({ "Active", "Inactive" }, found.enum)
    assert.equal("EmergencyStatus", found.wire)
    assert.equal("form", found["in"])
  end)

  it("returns a fresh table each time", function()
    local a = core.operations()
    a.ListIncomingPhoneNumber = nil
    assert.is_table(core.operations().ListIncomingPhoneNumber)
  end)
end)

describe("core.urlencode and core.base64", function()
  it("percent-encodes everything but unreserved, upper-case hex", function()
    assert.equal("AZaz09-._~", core.urlencode("AZaz09-._~"))
    assert.equal("%2B14155550100", core.urlencode("+14155550100"))
    assert.equal("a%20b%26c%3Dd%25", core.urlencode("a b&c=d%"))
    assert.equal("%C3%A9%E2%98%8E", core.urlencode("\195\169\226\152\142"))
    assert.equal("%00%0D%0A", core.urlencode("\0\r\n"))
    assert.equal("", core.urlencode(""))
    local big = string.rep("+", 100000)
    assert.equal(string.rep("%2B", 100000), core.urlencode(big))
  end)

  it("base64 with padding, any length", function()
    assert.equal("", core.base64(""))
    assert.equal("Zg==", core.base64("f"))
    assert.equal("Zm8=", core.base64("fo"))
    assert.equal("Zm9v", core.base64("foo"))
    assert.equal("AP8A", core.base64("\0\255\0"))
    local big = string.rep("abc", 10000)
    assert.equal(string.rep("YWJj", 10000), core.base64(big))
    local odd = string.rep("ab", 4001)
    assert.equal(math.floor((#odd + 2) / 3) * 4, #core.base64(odd))
  end)
end)
