-- End to end: every IncomingPhoneNumber operation through the library
-- against the emulator (issue 2).
local emu = require "helpers.emulator"
local twilio = require "twilio"
local core = require "twilio.core"

describe("incoming phone numbers", function()
  local client, numbers

  setup(function() emu.ensure() end)
  teardown(function() emu.stop_if_started() end)

  before_each(function()
    emu.reset()
    client = emu.client()
    numbers = client.incoming_phone_numbers
  end)

  after_each(function() client:close() end)

  it("buys, fetches, updates in place and releases a number", function()
    local avail = assert(client.available_phone_numbers:search("US", "local", { area_code = 415, limit = 1 }))
    local e164 = avail[1].phone_number
    local n = assert(numbers:create{ phone_number = e164, voice_url = "https://example.com/v",
                                     friendly_name = "Support line" })
    assert.equals("twilio.PhoneNumber", getmetatable(n).__name)
    assert.matches("^PN%x+$", n.sid)
    assert.equals(e164, n.phone_number)
    assert.equals("https://example.com/v", n.voice_url)
    assert.equals("Support line", n.friendly_name)
    assert.equals(emu.account_sid(), n.account_sid)
    assert.is_boolean(n.capabilities.sms)
    assert.is_boolean(n.capabilities.voice)

    local f = assert(numbers:fetch(n.sid))
    assert.equals(n.sid, f.sid)
    assert.equals("https://example.com/v", f.voice_url)

    local same = assert(n:update{ voice_url = "https://example.com/v2", sms_method = "GET" })
    assert.equals(n, same)                             -- in place, returns n
    assert.equals("https://example.com/v2", n.voice_url)
    assert.equals("GET", n.sms_method)
    assert.equals("https://example.com/v2", assert(numbers:fetch(n.sid)).voice_url)

    assert.is_true(n:release())
    assert.is_true(n:released())
    local gone, err = numbers:fetch(n.sid)
    assert.is_nil(gone)
    assert.equals("api", err.kind)
    assert.equals(404, err.status)
    assert.equals(20404, err.code)
  end)

  it("reads every field of the resource, \"\" and null as nil, dates as strings and epoch", function()
    local n = emu.buy(numbers, 1)[1]
    n = assert(numbers:fetch(n.sid))
    for _, k in ipairs{ "account_sid", "api_version", "date_created", "date_updated", "friendly_name",
                        "phone_number", "sid", "uri", "origin", "status" } do
      assert.is_string(n[k], k)
    end
    assert.is_table(n.capabilities)
    assert.is_table(n.subresource_uris)
    assert.is_boolean(n.beta)
    assert.is_boolean(n.voice_caller_id_lookup)
    -- the emulator leaves these unset: "" or null on the wire, nil here
    assert.is_nil(n.trunk_sid)
    assert.is_nil(n.identity_sid)
    assert.matches("^%a%a%a, %d%d %a%a%a %d%d%d%d %d%d:%d%d:%d%d [+-]%d%d%d%d$", n.date_created)
    local t = n:time("date_created")
    assert.is_number(t)
    assert.equals(t, twilio.parse_date(n.date_created))
    assert.is_true(math.abs(os.time() - t) < 86400 * 365 * 30)
    assert.equals(1438298344, twilio.parse_date("Thu, 30 Jul 2015 23:19:04 +0000"))
    assert.is_nil(n.no_such_field)
    local t2 = n:totable()
    assert.equals(n.sid, t2.sid)
    assert.equals(n.capabilities.sms, t2.capabilities.sms)
  end)

  it("fields are read-only: assigning one raises and points to :update", function()
    local n = emu.buy(numbers, 1)[1]
    local ok, msg = pcall(function() n.voice_url = "https://x.example" end)
    assert.is_false(ok)
    assert.matches("read%-only", tostring(msg))
    assert.matches("update", tostring(msg))
  end)

  it("tostring shows the sid and number and never a secret", function()
    local n = emu.buy(numbers, 1)[1]
    local s = tostring(n)
    assert.matches(n.sid, s, 1, true)
    assert.matches(n.phone_number, s, 1, true)
    for _, v in ipairs{ s, tostring(client), tostring(client.cfg), tostring(numbers) } do
      assert.is_nil(v:find(emu.auth_token(), 1, true))
    end
  end)

  it("a released number refuses update, release and fetch with a clear error", function()
    local n = emu.buy(numbers, 1)[1]
    assert.is_true(n:release())
    for _, call in ipairs{
      function() return n:update{ friendly_name = "x" } end,
      function() return n:release() end,
      function() return n:fetch() end,
    } do
      local ok, msg = pcall(call)
      assert.is_false(ok)
      assert.matches("released", tostring(msg))
    end
    assert.matches("released", tostring(n))
  end)

  it("n:fetch() reloads in place", function()
    local n = emu.buy(numbers, 1)[1]
    assert(numbers:update(n.sid, { friendly_name = "changed elsewhere" }))
    assert.are_not.equal("changed elsewhere", n.friendly_name)
    assert.equals(n, assert(n:fetch()))
    assert.equals("changed elsewhere", n.friendly_name)
  end)

  it("releases by SID without fetching", function()
    local n = emu.buy(numbers, 1)[1]
    emu.clear_log()
    assert.is_true(numbers:release(n.sid))
    local log = emu.requests("IncomingPhoneNumbers")
    assert.equals(1, #log)
    assert.equals("DELETE", log[1].method)
  end)

  it("encodes parameters PascalCase, form-encoded, + as %2B, booleans as true/false", function()
    local avail = assert(client.available_phone_numbers:search("US", "local", { area_code = 415, limit = 1 }))
    emu.clear_log()
    local n = assert(numbers:create{ phone_number = avail[1].phone_number, friendly_name = "a b&c=d",
                                     voice_caller_id_lookup = true })
    local req = emu.requests("IncomingPhoneNumbers%.json$")[1]
    assert.equals("POST", req.method)
    assert.matches("PhoneNumber=%2B1", req.body, 1, true)
    assert.matches("FriendlyName=a%20b%26c%3Dd", req.body, 1, true)
    assert.matches("VoiceCallerIdLookup=true", req.body, 1, true)
    assert.equals("a b&c=d", n.friendly_name)
    assert.is_true(n.voice_caller_id_lookup)
  end)

  it("sends a User-Agent naming the library, its version, Lua and libcurl", function()
    emu.clear_log()
    assert(numbers:list{ limit = 1 })
    local ua = emu.requests()[1].user_agent
    assert.matches("twilio%-numbers/" .. core._VERSION:gsub("%.", "%%."), ua)
    assert.matches("Lua", ua)
    assert.matches("libcurl", ua)
  end)

  describe("the Local, Mobile and TollFree sub-lists", function()
    for _, case in ipairs{ { "local_numbers", "local", "US" }, { "mobile_numbers", "mobile", "GB" },
                           { "toll_free_numbers", "toll_free", "US" } } do
      local field, kind, country = case[1], case[2], case[3]
      it(field .. ": create and list", function()
        local sub = numbers[field]
        local avail = assert(client.available_phone_numbers:search(country, kind, { limit = 2 }))
        assert.is_true(#avail >= 1, "inventory has " .. kind .. " numbers in " .. country)
        local n = assert(sub:create{ phone_number = avail[1].phone_number })
        assert.equals(avail[1].phone_number, n.phone_number)
        local listed = assert(sub:list())
        local found = false
        for _, m in ipairs(listed) do if m.sid == n.sid then found = true end end
        assert.is_true(found)
        assert.is_true(#assert(numbers:list()) >= #listed)
        -- a sub-list create needs a phone_number (the spec requires it)
        local none, err = sub:create{ friendly_name = "no number" }
        assert.is_nil(none)
        assert.equals("invalid", err.kind)
      end)
    end
  end)

  describe("pagination", function()
    local N = 23
    before_each(function() emu.seed(emu.account_sid(), N) end)

    it("each follows next_page_uri over every page", function()
      emu.clear_log()
      local seen, count = {}, 0
      for n in numbers:each{ page_size = 5 } do
        assert.is_nil(seen[n.sid], "no number twice")
        seen[n.sid] = true
        count = count + 1
      end
      assert.equals(N, count)
      local log = emu.requests("IncomingPhoneNumbers")
      assert.equals(5, #log)                      -- 5 + 5 + 5 + 5 + 3
      assert.matches("PageToken", log[2].query)   -- the server's cursor, followed verbatim
    end)

    it("each does not keep the previous page alive while it fetches the next", function()
      -- The loop variable holds the item handed out last during the next
      -- page's fetch; the cursor detaches it (list-all memory, 5.4's
      -- generational collector: docs/PERFORMANCE-HISTORY.md round 2b).
      local getuv = debug.getuservalue or debug.getfenv
      local weak = setmetatable({}, { __mode = "v" })
      local alive = {}
      local c = emu.client{ debug = function(line)
        if line:find("IncomingPhoneNumbers.json", 1, true) then   -- a page arrived, not yet parsed
          collectgarbage(); collectgarbage()
          alive[#alive + 1] = weak.box ~= nil                       -- the previous page's doc box
        end
      end }
      local count = 0
      for n in c.incoming_phone_numbers:each{ page_size = 5 } do
        count = count + 1
        weak.box = getuv(n)[3]
      end
      c:close()
      assert.equals(N, count)
      assert.same({ false, false, false, false, false }, alive)
    end)

    it("limit stops without fetching a page it does not need", function()
      emu.clear_log()
      local list = assert(numbers:list{ page_size = 5, limit = 10 })
      assert.equals(10, #list)
      assert.equals(2, #emu.requests("IncomingPhoneNumbers"))
      emu.clear_log()
      local c = 0
      for _ in numbers:each{ page_size = 5, limit = 12 } do c = c + 1 end
      assert.equals(12, c)
      assert.equals(3, #emu.requests("IncomingPhoneNumbers"))
      emu.clear_log()
      assert.equals(3, #assert(numbers:list{ limit = 3 }))
      local log = emu.requests("IncomingPhoneNumbers")
      assert.equals(1, #log)
      assert.matches("PageSize=3", log[1].query)  -- page_size follows a small limit
    end)

    it("page() returns one page and page:next() walks the rest", function()
      local page = assert(numbers:page{ page_size = 10 })
      assert.equals(10, #page.items)
      assert.is_true(page:has_next())
      local total, pages = #page.items, 1
      while page:has_next() do
        page = assert(page:next())
        total, pages = total + #page.items, pages + 1
      end
      assert.equals(N, total)
      assert.equals(3, pages)
      assert.is_nil(page:next())
      -- resume from a saved next_page_uri
      local first = assert(numbers:page{ page_size = 20 })
      local rest = assert(numbers:get_page(first.next_page_uri))
      assert.equals(N - 20, #rest.items)
    end)

    it("page_size above 1000 is refused before anything is sent", function()
      emu.clear_log()
      local l, err = numbers:list{ page_size = 1001 }
      assert.is_nil(l)
      assert.equals("invalid", err.kind)
      assert.equals("page_size", err.field)
      assert.equals(0, #emu.requests())
      assert.has_error(function() for _ in numbers:each{ page_size = 5000 } do end end)
    end)

    it("a failure mid-iteration raises the error object, never ends the loop quietly", function()
      -- a transport that fails the second page with a 500 and an empty body
      local real = require("twilio.transport.curl").new{}
      local calls = 0
      local flaky = { request = function(_, req)
        calls = calls + 1
        if calls == 2 then return { status = 500, headers = {}, body = "" } end
        return real:request(req)
      end }
      local c = emu.client{ transport = flaky }
      local count = 0
      local ok, err = pcall(function()
        for _ in c.incoming_phone_numbers:each{ page_size = 5 } do count = count + 1 end
      end)
      real:close()
      assert.is_false(ok)
      assert.equals(5, count)
      assert.is_true(twilio.is_error(err))
      assert.equals(500, err.status)
      assert.equals("api", err.kind)
    end)

    it("lists a subaccount's numbers under its own path", function()
      emu.seed(emu.sub_sid(), 7)
      emu.clear_log()
      local sub = client:account(emu.sub_sid()).incoming_phone_numbers
      local l = assert(sub:list{ page_size = 3 })
      assert.equals(7, #l)
      for _, n in ipairs(l) do assert.equals(emu.sub_sid(), n.account_sid) end
      for _, r in ipairs(emu.requests()) do
        assert.matches("/Accounts/" .. emu.sub_sid() .. "/", r.path, 1, true)
      end
    end)

    it("iterating holds one page at a time: dropped numbers are collected", function()
      emu.seed(emu.account_sid(), 600)
      collectgarbage()
      local before = collectgarbage("count")
      local c = 0
      for n in numbers:each{ page_size = 200 } do
        c = c + 1
        assert(n.sid)
      end
      collectgarbage()
      collectgarbage()
      assert.equals(600 + N, c)
      assert.is_true(collectgarbage("count") - before < 2048, "memory returns after iteration")
    end)
  end)

  describe("errors", function()
    it("api: 404 with Twilio's code, message and more_info", function()
      local n, err = numbers:fetch("PN" .. string.rep("0", 32))
      assert.is_nil(n)
      assert.equals("api", err.kind)
      assert.equals(404, err.status)
      assert.equals(20404, err.code)
      assert.is_string(err.message)
      assert.matches("^https://www%.twilio%.com/docs/errors/20404", err.more_info)
      assert.equals("GET", err.method)
      assert.matches("IncomingPhoneNumbers/PN0+%.json", err.url)
      local s = tostring(err)
      assert.matches("404", s)
      assert.matches("20404", s)
    end)

    it("api: 401 for wrong credentials, and the token is not in the error", function()
      local c = emu.client{ auth_token = "wrong-token-123" }
      local l, err = c.incoming_phone_numbers:list()
      assert.is_nil(l)
      assert.equals(401, err.status)
      assert.equals(20003, err.code)
      assert.is_nil(tostring(err):find("wrong-token-123", 1, true))
    end)

    it("api: a 500 with an empty body keeps its status, code falls back to it", function()
      emu.fault{ fault = "status", status = 500, body_type = "empty", path = "IncomingPhoneNumbers", count = 1 }
      local l, err = numbers:list()
      assert.is_nil(l)
      assert.equals("api", err.kind)
      assert.equals(500, err.status)
      assert.equals(500, err.code)
    end)

    it("api: an HTML 502 keeps its status", function()
      emu.fault{ fault = "status", status = 502, body_type = "html", path = "IncomingPhoneNumbers", count = 1 }
      local l, err = numbers:list()
      assert.is_nil(l)
      assert.equals(502, err.status)
      assert.equals("api", err.kind)
    end)

    it("invalid: validation fails before sending", function()
      emu.clear_log()
      local n, err = numbers:create{ phone_number = "415-555-0100" }
      assert.is_nil(n)
      assert.equals("invalid", err.kind)
      assert.equals("phone_number", err.field)
      assert.equals(0, #emu.requests())
    end)

    it("transport: nothing listens on the port", function()
      local c = assert(twilio.new{ base_url = "http://127.0.0.1:1", account_sid = emu.account_sid(),
                                   auth_token = emu.auth_token(), retries = 0 })
      local l, err = c.incoming_phone_numbers:list()
      assert.is_nil(l)
      assert.equals("transport", err.kind)
      assert.is_false(err.sent)
    end)

    it("timeout: the server answers too late", function()
      emu.fault{ fault = "delay", delay_ms = 1500, path = "IncomingPhoneNumbers", count = 1 }
      local l, err = numbers:list(nil, { timeout = 0.3 })
      assert.is_nil(l)
      assert.equals("timeout", err.kind)
      assert.is_true(err.sent)
    end)

    it("decode: malformed JSON keeps the status", function()
      emu.fault{ fault = "malformed", path = "IncomingPhoneNumbers", count = 1 }
      local l, err = numbers:list()
      assert.is_nil(l)
      assert.equals("decode", err.kind)
      assert.equals(200, err.status)
    end)
  end)

  describe("credentials", function()
    it("an API key and secret with an account sid", function()
      local c = assert(twilio.new{ base_url = emu.url(), account_sid = emu.account_sid(),
                                   api_key = emu.api_key(), api_secret = emu.api_secret() })
      assert(c.incoming_phone_numbers:list{ limit = 1 })
    end)

    it("missing or malformed credentials give nil, err", function()
      for _, o in ipairs{
        { account_sid = "ACnothex", auth_token = "x" },
        { account_sid = emu.account_sid() },
        { account_sid = emu.account_sid(), api_key = "SK" .. string.rep("a", 32) },
        { account_sid = emu.account_sid(), auth_token = "a\r\nb" },
      } do
        o.base_url = emu.url()
        local c, err = twilio.new(o)
        assert.is_nil(c)
        assert.equals("invalid", err.kind)
      end
    end)

    it("plain http only for loopback hosts", function()
      local c, err = twilio.new{ base_url = "http://api.example.com", account_sid = emu.account_sid(),
                                 auth_token = "t" }
      assert.is_nil(c)
      assert.equals("invalid", err.kind)
    end)

    it("region and edge give api.{edge}.{region}.twilio.com", function()
      local c = assert(twilio.new{ account_sid = emu.account_sid(), auth_token = "t", edge = "sydney" })
      assert.equals("api.sydney.us1.twilio.com", c.cfg:host())
      c = assert(twilio.new{ account_sid = emu.account_sid(), auth_token = "t", edge = "dublin", region = "ie1" })
      assert.equals("api.dublin.ie1.twilio.com", c.cfg:host())
    end)

    it("falls back to TWILIO_* environment variables", function()
      local vm = os.getenv("TWILIO_TEST_VM") or "lua5.4"
      local cmd = string.format(
        -- TWILIO_REGION/EDGE do not apply to a base URL; empty variables count as unset
        "TWILIO_ACCOUNT_SID=%s TWILIO_AUTH_TOKEN=%s TWILIO_BASE_URL=%s TWILIO_REGION=ie1 TWILIO_EDGE=dublin " ..
        "TWILIO_API_KEY= TWILIO_API_SECRET= %s -e %q 2>&1",
        emu.account_sid(), emu.auth_token(), emu.url(), vm,
        "local t = require 'twilio'; local c = assert(t.new{ retries = 0 }); " ..
        "local l = assert(c.incoming_phone_numbers:list{ limit = 1 }); io.write('ok ', #l)")
      local p = io.popen(cmd)
      local out = p:read("*a")
      p:close()
      assert.matches("^ok %d", out)
    end)
  end)
end)
