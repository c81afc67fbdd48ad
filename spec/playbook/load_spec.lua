-- Loading playbooks: Lua data in a sandbox; every mistake refused before any
-- request with file, line, field and a "did you mean".
local playbook = require "twilio.playbook"
local emu = require "helpers.emulator"

local function lines_of(text)
  local out = {}
  for l in (text .. "\n"):gmatch("([^\n]*)\n") do out[#out + 1] = l end
  return out
end

local function line_with(text, needle)
  for i, l in ipairs(lines_of(text)) do if l:find(needle, 1, true) then return i end end
end

local function refused(text, name)
  local pb, err = playbook.load_string(text, name or "typo.lua")
  assert.is_nil(pb)
  assert.is_true(require("twilio").is_error(err), tostring(err))
  assert.equal("invalid", err.kind)
  return err
end

describe("playbook.load_string", function()
  it("loads a playbook returned as a table and one written as assignments", function()
    local a = assert(playbook.load_string([[return { accounts = { main = { numbers = { ["+14155550100"] = {} } } } }]]))
    local b = assert(playbook.load_string([[accounts = { main = { numbers = { ["+14155550100"] = {} } } }]]))
    assert.equal("+14155550100", a.accounts[1].numbers[1].phone_number)
    assert.equal("+14155550100", b.accounts[1].numbers[1].phone_number)
  end)

  it("merges defaults: playbook, then account, then the number", function()
    local pb = assert(playbook.load_string([[return {
      defaults = { voice_method = "GET", sms_url = "https://a.example/sms" },
      accounts = { main = { defaults = { sms_url = "https://b.example/sms" },
        numbers = { ["+14155550100"] = { voice_method = "POST" } } } } }]]))
    local c = pb.accounts[1].numbers[1].config
    assert.equal("POST", c.voice_method)
    assert.equal("https://b.example/sms", c.sms_url)
  end)

  describe("sandbox", function()
    it("has no os, io, require or string.rep", function()
      assert.matches("os", tostring(refused([[os.exit(3)]]).message))
      assert.matches("io", tostring(refused([[io.open("/etc/passwd")]]).message))
      assert.matches("require", tostring(refused([[require "twilio"]]).message))
      assert.matches("rep", tostring(refused([[return { accounts = ("x"):rep(10) }]]).message))
      -- the string library works again afterwards
      assert.equal("xx", ("x"):rep(2))
    end)

    it("keeps the playbook's globals to itself", function()
      local pb = assert(playbook.load_string([[local url = "https://example.com/v"
        accounts = { main = { numbers = { ["+14155550100"] = { voice_url = url } } } }]]))
      assert.equal("https://example.com/v", pb.accounts[1].numbers[1].config.voice_url)
      assert.is_nil(rawget(_G, "accounts"))
      playbook.load_string([[leaked_global_h17 = 1]])
      assert.is_nil(rawget(_G, "leaked_global_h17"))
    end)

    it("stops a playbook that loops", function()
      local err = refused([[while true do end]])
      assert.matches("runs too long", err.message)
    end)

    it("refuses bytecode, functions and metatables", function()
      assert.matches("bytecode", refused(string.dump(function() end)).message)
      assert.matches("data only", refused([[return { accounts = { main = { numbers = function() end } } }]]).message)
      assert.matches("typo%.lua:1:", refused([[return { accounts = ]]).message)
    end)
  end)

  describe("mistakes", function()
    local TYPO = [[
-- a playbook with a typo
return {
  accounts = {
    main = {
      numbers = {
        ["+14155550100"] = {
          friendly_name = "Front desk",
          voice_ulr = "https://example.com/voice",
        },
      },
    },
  },
}
]]
    it("an unknown field: file, line, field and suggestion", function()
      local err = refused(TYPO, "ops/numbers.lua")
      assert.equal("ops/numbers.lua", err.file)
      assert.equal(line_with(TYPO, "voice_ulr"), err.line)
      assert.equal('accounts.main.numbers["+14155550100"].voice_ulr', err.field)
      assert.matches("^ops/numbers%.lua:8: accounts%.main%.numbers%[\"%+14155550100\"%]%.voice_ulr: ", err.message)
      assert.matches("did you mean 'voice_url'%?", err.message)
    end)

    local cases = {
      { "a top-level key", [[return { acounts = {} }]], "acounts", "accounts" },
      { "an account key", [[return { accounts = { mian = {} } }]], "accounts.mian", "main" },
      { "an account section", [[return { accounts = { main = { number = {} } } }]], "accounts.main.number", "numbers" },
      { "a pool key", [[return { accounts = { main = { pools = { s = {
          cuont = 3, count = 1, friendly_name = "S %d" } } } } }]], "accounts.main.pools.s.cuont", "count" },
      { "a search filter", [[return { accounts = { main = { pools = { s = {
          count = 1, friendly_name = "S %d", search = { area_cod = 415 } } } } } }]],
        "accounts.main.pools.s.search.area_cod", "area_code" },
      { "a pool type", [[return { accounts = { main = { pools = { s = {
          count = 1, friendly_name = "S %d", type = "locl" } } } } }]], "accounts.main.pools.s.type", "local" },
    }
    for _, c in ipairs(cases) do
      it("suggests for " .. c[1], function()
        local err = refused(c[2])
        assert.equal(c[3], err.field)
        assert.equal(c[4], err.suggestion)
        assert.matches("did you mean '" .. c[4] .. "'?", err.message, 1, true)
      end)
    end

    it("refuses invalid values with the C validation's words", function()
      local err = refused([[return { accounts = { main = { numbers = {
        ["+14155550100"] = { voice_method = "PUT" } } } } }]])
      assert.equal('accounts.main.numbers["+14155550100"].voice_method', err.field)
      assert.matches("one of 'GET', 'POST'", err.message)
      err = refused([[return { defaults = { sms_url = "ftp://x" }, accounts = { main = {} } }]])
      assert.equal("defaults.sms_url", err.field)
      err = refused([[return { accounts = { main = { numbers = { ["4155550100"] = {} } } } }]])
      assert.matches("E.164", err.message)
      err = refused([[return { accounts = { main = { numbers = { ["+14155550100"] = { account_sid = "x" } } } } }]])
      assert.matches("declared under", err.message)
      err = refused([[return { accounts = { main = { pools = { s = { count = 2, friendly_name = "Sales" } } } } }]])
      assert.matches("exactly one %%d", err.message)
      err = refused([[return { accounts = { main = { pools = { s = { count = -1, friendly_name = "S %d" } } } } }]])
      assert.equal("accounts.main.pools.s.count", err.field)
      err = refused([[return { accounts = { main = { numbers = { ["+14155550100"] = {} } },
        AC31383713eaed785b563c819c27479320 = { numbers = { ["+14155550100"] = {} } } } }]])
      assert.matches("declared twice", err.message)
    end)

    it("sends nothing: the command path (load, plan, apply) stops at load", function()
      emu.ensure()
      emu.reset()
      local path = os.tmpname()
      local f = assert(io.open(path, "w")); f:write(TYPO); f:close()
      local vm = os.getenv("TWILIO_TEST_VM") or "lua5.4"
      local cmd = string.format("TWILIO_EMULATOR_URL=%s TWILIO_EMULATOR_ACCOUNT_SID=%s " ..
        "TWILIO_EMULATOR_AUTH_TOKEN=%s %s spec/helpers/playbook_apply.lua %s 2>&1; echo exit=$?",
        emu.url(), emu.account_sid(), emu.auth_token(), vm, path)
      local p = io.popen(cmd)
      local out = p:read("*a")
      p:close()
      os.remove(path)
      assert.matches("exit=1\n$", out)
      assert.matches("voice_ulr", out)
      assert.matches("did you mean 'voice_url'", out)
      assert.same({}, emu.requests())
      emu.stop_if_started()
    end)
  end)
end)

describe("the plan fingerprint", function()
  it("is the same on every VM (Lua 5.4 reads 8 words at a time, LuaJIT 4 bytes: the same words)", function()
    -- the values below were printed by both lua5.4 and luajit; this spec runs under both
    local hash = require("twilio.playbook.plan").hash
    local t = {}
    for i = 1, 300 do t[i] = string.char(i % 256) end
    assert.equal("9e99151092733b68-377", hash(table.concat(t) .. ("\255"):rep(77)))
    assert.equal("00001505811c9dc5-0", hash(""))
    assert.equal("098f893d7b1ee157-3", hash("abc"))
    assert.is_not.equal(hash("abcd"), hash("abce"))
  end)
end)
