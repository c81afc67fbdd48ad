-- twilio-numbers, the everyday commands, against the emulator (issue 17):
-- every command and output format, generated flags, confirmation, exit codes.
local emu = require "helpers.emulator"
local fake = require "cli.fake"
local core = require "twilio.core"
local twilio = require "twilio"
local cjson = require "cjson"

local run = fake.run

local function lines(s)
  local out = {}
  for l in s:gmatch("([^\n]*)\n") do out[#out + 1] = l end
  return out
end

local function posts(pattern)
  local n = 0
  for _, e in ipairs(emu.requests(pattern)) do if e.method ~= "GET" then n = n + 1 end end
  return n
end

describe("twilio-numbers", function()
  local client, numbers

  setup(function() emu.ensure() end)
  teardown(function() emu.stop_if_started() end)

  before_each(function()
    emu.reset()
    client = emu.client()
    numbers = client.incoming_phone_numbers
  end)
  after_each(function() client:close() end)

  local function buy(n, names)
    local bought = emu.buy(numbers, n)
    for i, b in ipairs(bought) do
      if names and names[i] then assert(b:update{ friendly_name = names[i] }) end
    end
    emu.clear_log()
    return bought
  end

  describe("help and usage", function()
    it("prints a manual with every command, the environment and the exit codes", function()
      local code, out = run{ "help" }
      assert.equals(0, code)
      for _, c in ipairs{ "list", "show", "export", "search", "buy", "update", "move", "release", "plan",
                          "apply", "import" } do
        assert.matches("\n    " .. c .. " ", out, 1, true)
      end
      assert.matches("EXIT STATUS", out, 1, true)
      assert.matches("TWILIO_ACCOUNT_SID", out, 1, true)
      for _, c in ipairs{ "0", "1", "2", "3", "64", "130" } do assert.matches("\n    " .. c .. "%s+%a", out) end
    end)

    it("gives --help on every command, and help COMMAND, with exit 0", function()
      for _, c in ipairs{ "list", "show", "export", "search", "buy", "update", "move", "release", "plan",
                          "apply", "import", "help" } do
        local code, out, err = run{ c, "--help" }
        assert.equals(0, code, c .. ": " .. err)
        assert.matches("Usage: twilio%-numbers " .. c, out)
        local code2, out2 = run{ "help", c }
        assert.equals(0, code2)
        assert.equals(out, out2)
      end
    end)

    it("exits 64 on an unknown command or option, with a suggestion, and sends nothing", function()
      local code, out, err = run{ "lst" }
      assert.equals(64, code)
      assert.equals("", out)
      assert.matches("Did you mean 'list'", err, 1, true)
      local _
      code, _, err = run{ "list", "--colums", "sid" }
      assert.equals(64, code)
      assert.matches("unknown option '--colums'", err, 1, true)
      code = run{}
      assert.equals(64, code)
      code, _, err = run{ "list", "--columns", "sid,phone_nuber" }
      assert.equals(64, code)
      assert.matches("did you mean 'phone_number'", err, 1, true)
      assert.same({}, emu.requests())
    end)

    it("says which credentials are missing", function()
      local code, _, err = run({ "list" }, { env = { TWILIO_AUTH_TOKEN = false } })
      assert.equals(1, code)
      assert.matches("TWILIO_AUTH_TOKEN", err, 1, true)
    end)
  end)

  describe("generated flags", function()
    local function flags_of(help)
      local set = {}
      for f in help:gmatch("%-%-([%w%-]+)") do set[f] = true end
      return set
    end

    it("search has every AvailablePhoneNumbers filter of every type, from the validation tables", function()
      local _, out = run{ "search", "--help" }
      local have = flags_of(out)
      local n = 0
      for name, op in pairs(core.operations()) do
        if name:match("^ListAvailablePhoneNumber") and name ~= "ListAvailablePhoneNumberCountry" then
          for _, p in ipairs(op.params) do
            if p["in"] == "query" and not ({ page = 1, page_size = 1, page_token = 1 })[p.name] then
              n = n + 1
              assert.is_true(have[(p.name:gsub("_", "-"))] or false, "search lacks --" .. p.name)
            end
          end
        end
      end
      assert.is_true(n > 15)
    end)

    it("update has every writable field, buy every purchase field", function()
      local _, out = run{ "update", "--help" }
      local have = flags_of(out)
      for _, p in ipairs(core.operations().UpdateIncomingPhoneNumber.params) do
        if p["in"] == "form" and p.name ~= "account_sid" then
          assert.is_true(have[(p.name:gsub("_", "-"))] or false, "update lacks --" .. p.name)
        end
      end
      local _, bout = run{ "buy", "--help" }
      have = flags_of(bout)
      for _, p in ipairs(core.operations().CreateIncomingPhoneNumber.params) do
        if p["in"] == "form" and p.name ~= "phone_number" then
          assert.is_true(have[(p.name:gsub("_", "-"))] or false, "buy lacks --" .. p.name)
        end
      end
    end)
  end)

  describe("list", function()
    it("writes json, jsonl and csv that parse back to the account's numbers", function()
      local bought = buy(3, { "Sales 1", "Sales, \"quoted\"", "Support" })
      local code, out = run{ "list", "-o", "json" }
      assert.equals(0, code)
      local arr = cjson.decode(out)
      assert.equals(3, #arr)
      for i, b in ipairs(bought) do
        assert.equals(b.sid, arr[i].sid)
        assert.equals(b.phone_number, arr[i].phone_number)
      end
      assert.equals('Sales, "quoted"', arr[2].friendly_name)

      code, out = run{ "list", "-o", "jsonl" }
      assert.equals(0, code)
      local ls = lines(out)
      assert.equals(3, #ls)
      for i, l in ipairs(ls) do assert.equals(bought[i].sid, cjson.decode(l).sid) end

      code, out = run{ "list", "-o", "csv" }
      assert.equals(0, code)
      local rows = assert(twilio.csv.read(out))
      assert.equals(3, #rows)
      assert.equals('Sales, "quoted"', rows[2].friendly_name)
      assert.equals("true", rows[1]["capabilities.voice"])
      assert.equals(#twilio.csv.COLUMNS, #core.csv_parse(out)[1])
    end)

    it("--columns picks and orders the fields in every format", function()
      local bought = buy(2)
      local _, out = run{ "list", "-o", "csv", "--columns", "phone_number,sid" }
      local parsed = core.csv_parse(out)
      assert.same({ "phone_number", "sid" }, parsed[1])
      assert.same({ bought[1].phone_number, bought[1].sid }, parsed[2])
      _, out = run{ "list", "-o", "jsonl", "--columns", "sid,capabilities.sms" }
      assert.equals('{"sid":"' .. bought[1].sid .. '","capabilities.sms":true}', lines(out)[1])
      _, out = run{ "list", "-o", "json", "--columns", "sid" }
      assert.same({ { sid = bought[1].sid }, { sid = bought[2].sid } }, cjson.decode(out))
      _, out = run{ "list", "--columns", "sid,phone_number" }
      local ls = lines(out)
      assert.equals(3, #ls)
      assert.matches("^SID%s+PHONE_NUMBER$", ls[1])
      assert.matches("^" .. bought[1].sid .. "%s+%" .. bought[1].phone_number .. "$", ls[2])
    end)

    it("fits the table to the given width ($COLUMNS, --width), cutting cells with an ellipsis", function()
      buy(3, { string.rep("a very long friendly name ", 3):sub(1, 64), "b", "c" })
      for _, w in ipairs{ 60, 80, 100, 140 } do
        local code, out = run({ "list" }, { env = { COLUMNS = tostring(w) } })
        assert.equals(0, code)
        local ls = lines(out)
        assert.equals(4, #ls)
        for _, l in ipairs(ls) do assert.is_true(fake.ulen(l) <= w, w .. ": " .. l) end
        local _, out2 = run{ "list", "--width", tostring(w) }
        assert.equals(out, out2)
      end
      local _, narrow = run({ "list" }, { env = { COLUMNS = "60" } })
      assert.matches("…", narrow, 1, true)
      -- the terminal's width when there is no $COLUMNS; 80 when there is no terminal either
      local _, t = run({ "list" }, { term_width = 70 })
      for _, l in ipairs(lines(t)) do assert.is_true(fake.ulen(l) <= 70) end
      local _, f = run({ "list" }, {})
      local widest = 0
      for _, l in ipairs(lines(f)) do widest = math.max(widest, fake.ulen(l)) end
      assert.is_true(widest <= 80 and widest > 70, "fallback width " .. widest)
    end)

    it("applies the API's filters on the server and --match on the client", function()
      buy(4, { "Sales 1", "Sales 2", "Support", "sales 3" })
      local code, out = run{ "list", "--friendly-name", "Support", "-o", "jsonl", "--columns", "friendly_name" }
      assert.equals(0, code)
      assert.equals('{"friendly_name":"Support"}\n', out)
      assert.matches("FriendlyName=Support", emu.requests("IncomingPhoneNumbers")[1].query, 1, true)
      emu.clear_log()
      local _
      _, out = run{ "list", "--match", "Sales*", "-o", "csv", "--columns", "friendly_name" }
      assert.equals("friendly_name\r\nSales 1\r\nSales 2\r\n", out)
      assert.not_matches("FriendlyName", emu.requests("IncomingPhoneNumbers")[1].query, 1, true)
      _, out = run{ "list", "--match", "+1415555010?", "-o", "csv", "--columns", "friendly_name", "--limit", "1" }
      assert.equals("friendly_name\r\nSales 1\r\n", out)
    end)

    it("lists a subaccount's numbers with --account and the parent's credentials", function()
      local sub = client:account(emu.sub_sid()).incoming_phone_numbers
      local b = emu.buy(sub, 1)[1]
      local code, out = run{ "--account", emu.sub_sid(), "list", "-o", "jsonl", "--columns", "sid" }
      assert.equals(0, code)
      assert.equals('{"sid":"' .. b.sid .. '"}\n', out)
      code = run{ "list", "--account", "ACnope" }
      assert.equals(64, code)
    end)
  end)

  describe("show and export", function()
    it("shows one number by E.164 or SID in every format", function()
      local b = buy(2, { "One", "Two" })[2]
      local code, out = run{ "show", b.phone_number }
      assert.equals(0, code)
      assert.matches("\nfriendly_name%s+Two\n", out)
      assert.matches("^sid%s+" .. b.sid .. "\n", out)
      local _
      _, out = run{ "show", b.sid, "-o", "json" }
      assert.equals(b.sid, cjson.decode(out)[1].sid)
      _, out = run{ "show", b.sid, "-o", "csv", "--columns", "sid,friendly_name" }
      assert.equals("sid,friendly_name\r\n" .. b.sid .. ",Two\r\n", out)
      local err
      code, out, err = run{ "show", "+14155550499" }
      assert.equals(1, code)
      assert.equals("", out)
      assert.matches("no number +14155550499", err, 1, true)
      -- a mistyped SID is refused as a SID, not as an E.164 number
      code, out, err = run{ "show", "PN123" }
      assert.equals(1, code)
      assert.equals("", out)
      assert.matches("PN followed by 32 hex digits", err, 1, true)
    end)

    it("exports every number of the account, page after page", function()
      emu.seed(emu.account_sid(), 1234)
      local code, out = run{ "export", "-o", "jsonl", "--columns", "sid" }
      assert.equals(0, code)
      local ls = lines(out)
      assert.equals(1234, #ls)
      local seen = {}
      for _, l in ipairs(ls) do
        local sid = cjson.decode(l).sid
        assert.is_nil(seen[sid])
        seen[sid] = true
      end
      assert.equals(2, #emu.requests("IncomingPhoneNumbers"))   -- 1000 a page
      code, out = run{ "export" }
      assert.equals(0, code)
      assert.equals(1234, #assert(twilio.csv.read(out)))
    end)
  end)

  it("exports in constant memory: 10 times the numbers, the same live Lua heap", function()
    -- The live heap (after a full collection, every 500 rows written): the
    -- heap's raw size also holds pages that are garbage but not yet
    -- collected, which depends on the collector's pace, not on the export.
    local function peak(count, format)
      emu.reset()
      emu.seed(emu.account_sid(), count)
      collectgarbage("collect")
      local top, rows, mark = 0, 0, 0
      local sys_out = function(s)
        local _, n = s:gsub("\n", "")
        rows = rows + n
        if rows - mark >= 500 then
          mark = rows
          collectgarbage("collect")
          local kb = collectgarbage("count")
          if kb > top then top = kb end
        end
      end
      local code = fake.run_with_out({ "export", "-o", format }, sys_out)
      assert.equals(0, code)
      return top, rows
    end
    for _, format in ipairs{ "jsonl", "csv" } do
      local small, n1 = peak(2000, format)
      local big, n2 = peak(20000, format)
      assert.is_true(n1 >= 2000 and n2 >= 20000)
      assert.is_true(big < small * 1.5, ("%s: %.0f KB for 2,000, %.0f KB for 20,000"):format(format, small, big))
    end
  end)

  describe("search", function()
    it("passes the filters and writes every format", function()
      local code, out = run{ "search", "US", "local", "--area-code", "415", "--sms-enabled", "--limit", "3",
                             "-o", "json" }
      assert.equals(0, code)
      local arr = cjson.decode(out)
      assert.equals(3, #arr)
      assert.matches("^%+1415", arr[1].phone_number)
      local q = emu.requests("AvailablePhoneNumbers")[1].query
      assert.matches("AreaCode=415", q, 1, true)
      assert.matches("SmsEnabled=true", q, 1, true)
      local _
      _, out = run{ "search", "US", "local", "--no-fax-enabled", "--in-region", "CA", "--limit", "2", "-o", "csv" }
      assert.matches("FaxEnabled=false", emu.requests("AvailablePhoneNumbers")[2].query, 1, true)
      assert.equals(3, #core.csv_parse(out))
      code, out = run{ "search", "US", "toll_free", "--limit", "2" }
      assert.equals(0, code)
      assert.matches("^PHONE_NUMBER", out)
    end)

    it("refuses a bad filter value before sending", function()
      local code, _, err = run{ "search", "US", "local", "--area-code", "41" }
      assert.equals(1, code)
      assert.matches("area_code", err, 1, true)
      code = run{ "search", "US", "local", "--distance", "ten" }
      assert.equals(64, code)
      code = run{ "search", "US", "nope" }
      assert.equals(64, code)
      assert.same({}, emu.requests())
    end)
  end)

  describe("buy and release", function()
    it("refuses without --yes when stdin is not a terminal, and buys nothing", function()
      local code, out, err = run{ "buy", "+14155550100" }
      assert.equals(3, code)
      assert.equals("", out)
      assert.matches("pass --yes", err, 1, true)
      assert.equals(0, emu.stats().purchases)
      code =  run({ "buy", "+14155550100" }, { tty = { [2] = true } })   -- stderr alone is not enough
      assert.equals(3, code)
      assert.equals(0, emu.stats().purchases)
    end)

    it("asks on a terminal: yes buys, anything else cancels", function()
      local code, _, err = run({ "buy", "+14155550100" }, { tty = { [0] = true, [2] = true }, input = { "no" } })
      assert.equals(3, code)
      assert.matches('Type "yes" to buy 1 number', err, 1, true)
      assert.equals(0, emu.stats().purchases)
      local out
      code, out = run({ "buy", "+14155550100", "--friendly-name", "Front desk", "-o", "jsonl" },
                      { tty = { [0] = true, [2] = true }, input = { "yes" } })
      assert.equals(0, code)
      assert.equals("Front desk", cjson.decode(out).friendly_name)
      assert.equals(1, emu.stats().purchases)
    end)

    it("buys with --yes, with configuration, and explains a refusal", function()
      local code, out = run{ "buy", "+14155550101", "+14155550102", "--voice-url", "https://example.com/v",
                             "--yes", "-o", "csv", "--columns", "phone_number,voice_url" }
      assert.equals(0, code)
      assert.equals("phone_number,voice_url\r\n+14155550101,https://example.com/v\r\n" ..
                    "+14155550102,https://example.com/v\r\n", out)
      local _, err
      code, _, err = run{ "buy", "+14155550101", "--yes" }
      assert.equals(1, code)
      assert.matches("21422", err, 1, true)
      assert.matches("not available to buy", err, 1, true)
      code, out = run{ "buy", "--area-code", "510", "--yes", "-o", "jsonl" }
      assert.equals(0, code)
      assert.matches("^%+1510", cjson.decode(out).phone_number)
      assert.equals(3, emu.stats().purchases)
    end)

    it("releases only with confirmation", function()
      local b = buy(2)
      local code, _, err = run{ "release", b[1].phone_number, b[2].sid }
      assert.equals(3, code)
      assert.matches("About to release 2 numbers", err, 1, true)
      assert.equals(0, emu.stats().releases)
      local out
      code, out = run{ "release", b[1].phone_number, b[2].sid, "--yes", "-o", "csv", "--columns", "sid" }
      assert.equals(0, code, out)
      assert.equals("sid\r\n" .. b[1].sid .. "\r\n" .. b[2].sid .. "\r\n", out)
      assert.equals(2, emu.stats().releases)
      assert.equals(0, #numbers:list())
    end)
  end)

  describe("update and move", function()
    it("sets fields on numbers given by E.164 or SID, and --clear empties one", function()
      local b = buy(2)
      local code, out = run{ "update", b[1].phone_number, b[2].sid, "--voice-url", "https://example.com/v",
                             "--voice-caller-id-lookup", "true", "--sms-method", "GET", "-o", "jsonl" }
      assert.equals(0, code)
      assert.equals(2, #lines(out))
      for _, n in ipairs(numbers:list()) do
        assert.equals("https://example.com/v", n.voice_url)
        assert.equals("GET", n.sms_method)
        assert.is_true(n.voice_caller_id_lookup)
      end
      code = run{ "update", b[1].sid, "--clear", "voice_url", "--friendly-name", "kept" }
      assert.equals(0, code)
      local n = assert(numbers:fetch(b[1].sid))
      assert.is_nil(n.voice_url)
      assert.equals("kept", n.friendly_name)
      assert.equals("https://example.com/v", assert(numbers:fetch(b[2].sid)).voice_url)
      -- as its flag is spelled, like the example of `twilio-numbers help`
      code = run{ "update", b[2].phone_number, "--clear", "voice-url" }
      assert.equals(0, code)
      assert.is_nil(assert(numbers:fetch(b[2].sid)).voice_url)
    end)

    it("refuses bad values before any request, with exit 64", function()
      local b = buy(1)
      for _, argv in ipairs{
        { "update", b[1].sid, "--voice-url", "ftp://example.com" },
        { "update", b[1].sid, "--sms-method", "PUT" },
        { "update", b[1].sid, "--clear", "voice_urll" },
        { "update", b[1].sid },
        { "update", b[1].sid, "--voice-url", "https://x.example", "--clear", "voice_url" },
        { "move", b[1].sid, "--to", "AC123" },
      } do
        local code, _, err = run(argv)
        assert.equals(64, code, table.concat(argv, " ") .. ": " .. err)
      end
      local _, _, err = run{ "update", b[1].sid, "--clear", "voice_urll" }
      assert.matches("did you mean 'voice_url'", err, 1, true)
      assert.same({}, emu.requests())
    end)

    it("reports a number that is not there and exits 1, still updating the others", function()
      local b = buy(1)
      local code, out, err = run{ "update", "+14155550499", b[1].sid, "--friendly-name", "x", "-o", "jsonl" }
      assert.equals(1, code)
      assert.equals(1, #lines(out))
      assert.matches("+14155550499", err, 1, true)
      assert.equals("x", assert(numbers:fetch(b[1].sid)).friendly_name)
    end)

    it("moves numbers to a subaccount", function()
      local b = buy(2)
      local code = run{ "move", b[1].phone_number, b[2].sid, "--to", emu.sub_sid() }
      assert.equals(0, code)
      assert.equals(0, #numbers:list())
      assert.equals(2, #client:account(emu.sub_sid()).incoming_phone_numbers:list())
      assert.equals(2, posts("IncomingPhoneNumbers/PN"))
    end)
  end)

  describe("the real command", function()
    it("runs as a process with data on stdout and messages on stderr, no escape codes", function()
      buy(2)
      local code, out, err = fake.exec("list -o csv --columns sid")
      assert.equals(0, code, err)
      assert.equals(3, #core.csv_parse(out))
      assert.equals("", err)
      code, out, err = fake.exec("release +14155550100")
      assert.equals(3, code)
      assert.equals("", out)
      assert.matches("pass --yes", err, 1, true)
      assert.not_matches("\27", err, 1, true)
      code, out = fake.exec("list")
      assert.equals(0, code)
      assert.not_matches("\27", out, 1, true)
      code = fake.exec("nope")
      assert.equals(64, code)
    end)
  end)
end)
