-- request_memo_spec.lua: the params memo of cfg:build and core.call_record
-- (src/ltw_request.c). A config keeps the last params table that passed its
-- checks (its keys' and string values' Lua strings, held by the config so
-- their addresses stay theirs, and the encoding they gave); a params table
-- whose entries are those same strings (or booleans) in the same order and
-- number is not checked and encoded again. These specs change the table in
-- every way between calls and expect what a fresh config gives, and build
-- from strings made and collected one after another (a memo that did not
-- hold its strings would see a new string at a freed one's address).
local core = require "twilio.core"

local AC = "AC" .. string.rep("0123456789abcdef", 2)
local PN = "PN" .. string.rep("fedcba9876543210", 2)
local TOKEN = "tok_0123456789abcdef"
local OP = "UpdateIncomingPhoneNumber"

local function config() return assert(core.config{ account_sid = AC, auth_token = TOKEN }) end

-- the body (or the error's field and message) a config gives for params
local function outcome(cfg, params, op)
  local req, err = cfg:build(op or OP, { sid = PN }, params)
  if req then return req.body or req.url end
  return "error " .. tostring(err.field) .. ": " .. err.message
end

-- cfg (the memo in use) and a fresh config agree on params
local function same(cfg, params, op)
  local got, fresh = outcome(cfg, params, op), outcome(config(), params, op)
  assert.equal(fresh, got)
  return got
end

describe("the params memo", function()
  it("gives the same body for the same table, and sees every change to it", function()
    local cfg = config()
    local p = { voice_url = "https://example.com/v", friendly_name = "a" }
    local first = same(cfg, p)
    assert.equal("FriendlyName=a&VoiceUrl=https%3A%2F%2Fexample.com%2Fv", first)
    assert.equal(first, same(cfg, p))                    -- the memo's
    p.friendly_name = "b"                                -- a value changed
    assert.equal("FriendlyName=b&VoiceUrl=https%3A%2F%2Fexample.com%2Fv", same(cfg, p))
    p.sms_url = "https://example.com/s"                  -- a key added
    assert.matches("SmsUrl=https%%3A%%2F%%2Fexample.com%%2Fs", same(cfg, p))
    p.sms_url = nil                                      -- and gone again
    assert.equal("FriendlyName=b&VoiceUrl=https%3A%2F%2Fexample.com%2Fv", same(cfg, p))
    p.voice_url = nil                                    -- a key removed
    assert.equal("FriendlyName=b", same(cfg, p))
    assert.equal("FriendlyName=b", same(cfg, { friendly_name = "b" }))   -- a new table, same strings
  end)

  it("refuses a value made invalid after the memo took the table, with the same message", function()
    local cfg = config()
    local p = { voice_url = "https://example.com/v", friendly_name = "a" }
    same(cfg, p); same(cfg, p)
    p.voice_url = "ftp://example.com/v"
    assert.equal("error voice_url: voice_url must be an absolute http:// or https:// URL with a host "
                 .. "(spaces and non-ASCII percent-encoded) (got 'ftp://example.com/v')", same(cfg, p))
    p.voice_url = "https://example.com/v"
    same(cfg, p)
    p.voice_ulr, p.voice_url = "https://example.com/v", nil   -- a key misspelt
    assert.matches("^error voice_ulr: unknown parameter 'voice_ulr'", same(cfg, p))
    p.voice_ulr, p.voice_url = nil, "https://example.com/v"
    p.friendly_name = 42                                     -- not a string
    assert.matches("^error friendly_name: friendly_name must be a string", same(cfg, p))
    p.friendly_name = "a"
    same(cfg, p)
    p.friendly_name = core.null                              -- cannot be cleared
    assert.matches("^error friendly_name: ", same(cfg, p))
    p.friendly_name, p.voice_url = nil, core.null            -- cleared: sent empty
    assert.equal("VoiceUrl=", same(cfg, p))
    assert.equal("VoiceUrl=", same(cfg, p))
  end)

  it("keeps booleans and integers apart from strings and each other", function()
    local cfg = config()
    local p = { area_code = 415, sms_enabled = true }
    local op = "ListAvailablePhoneNumberLocal"
    local function build(t)
      local req, err = cfg:build(op, { country_code = "US" }, t)
      local fresh = config():build(op, { country_code = "US" }, t)
      assert.equal(fresh and fresh.url, req and req.url)
      return req and req.url or err.message
    end
    assert.matches("AreaCode=415&SmsEnabled=true$", build(p))
    assert.matches("AreaCode=415&SmsEnabled=true$", build(p))
    p.sms_enabled = false
    assert.matches("AreaCode=415&SmsEnabled=false$", build(p))
    p.area_code = 212
    assert.matches("AreaCode=212&SmsEnabled=false$", build(p))
    p.area_code = "212"
    assert.matches("AreaCode=212&SmsEnabled=false$", build(p))
    p.sms_enabled = "true"                     -- a string where a boolean goes
    assert.matches("sms_enabled must be a boolean", build(p))
  end)

  it("is per operation: the same table for another operation is checked for it", function()
    local cfg = config()
    local p = { friendly_name = "a" }
    same(cfg, p)
    local req, err = cfg:build("DeleteIncomingPhoneNumber", { sid = PN }, p)
    assert.is_nil(req)
    assert.matches("unknown parameter 'friendly_name' for DeleteIncomingPhoneNumber", err.message)
    same(cfg, p)
  end)

  it("keeps a table only when it comes again: tables that change every call cost no memo writes", function()
    local cfg = config()
    -- the strings the memo holds: the config's uservalue's [5] (src/ltw.h)
    local function kept()
      local uv = debug.getuservalue and debug.getuservalue(cfg) or debug.getfenv(cfg)
      local n = 0
      for _ in pairs(uv[5] or {}) do n = n + 1 end
      return n
    end
    for i = 1, 20 do outcome(cfg, { friendly_name = "n" .. i }) end
    assert.equal(0, kept())
    local p = { friendly_name = "again", voice_url = "https://example.com/v" }
    assert.equal("FriendlyName=again&VoiceUrl=https%3A%2F%2Fexample.com%2Fv", same(cfg, p))
    assert.equal(0, kept())
    assert.equal("FriendlyName=again&VoiceUrl=https%3A%2F%2Fexample.com%2Fv", same(cfg, p))
    assert.equal(4, kept())                                -- two keys, two values
    assert.equal("FriendlyName=again&VoiceUrl=https%3A%2F%2Fexample.com%2Fv", same(cfg, p))
    assert.equal("FriendlyName=other", same(cfg, { friendly_name = "other" }))
    assert.equal(4, kept())                                -- still p's
  end)

  it("never takes a new string for a collected one at the same address", function()
    local cfg = config()
    -- long strings (Lua 5.4 makes each one anew), made and dropped in turn
    for i = 1, 300 do
      local url = "https://example.com/" .. string.rep("x", 60) .. "/" .. i
      local body = outcome(cfg, { voice_url = url })
      assert.equal("VoiceUrl=https%3A%2F%2Fexample.com%2F" .. string.rep("x", 60) .. "%2F" .. i, body)
      url = nil   -- luacheck: ignore 311
      collectgarbage()
    end
  end)

  it("gives up on values too long to keep and still encodes them", function()
    local cfg = config()
    local long = "https://example.com/" .. string.rep("y", 600)
    local p = { voice_url = long, friendly_name = "a" }
    local b = same(cfg, p)
    assert.equal(b, same(cfg, p))
    assert.matches(string.rep("y", 600), b)
    p.voice_url = "https://example.com/short"
    assert.equal("FriendlyName=a&VoiceUrl=https%3A%2F%2Fexample.com%2Fshort", same(cfg, p))
  end)

  it("holds up when a finalizer builds on the same config in the middle of a build", function()
    local cfg = config()
    local inner = {}
    -- objects whose __gc builds with other params; collected at whatever
    -- allocation the collector picks, some inside a build on cfg (the memo
    -- itself is written without allocating: ltw_request.c memo_store)
    local function gc()
      inner[#inner + 1] = outcome(cfg, { friendly_name = "gc" .. (#inner % 3) })
    end
    local newproxy = rawget(_G, "newproxy")   -- LuaJIT: __gc on userdata only
    local function garbage()
      if newproxy then
        getmetatable(newproxy(true)).__gc = gc
      else
        setmetatable({}, { __gc = gc })
      end
    end
    for i = 1, 400 do
      garbage()
      local p = { friendly_name = "n" .. i, voice_url = "https://example.com/" .. i }
      assert.equal("FriendlyName=n" .. i .. "&VoiceUrl=https%3A%2F%2Fexample.com%2F" .. i, outcome(cfg, p))
      assert.equal("FriendlyName=n" .. i .. "&VoiceUrl=https%3A%2F%2Fexample.com%2F" .. i, outcome(cfg, p))
      if i % 50 == 0 then collectgarbage() end
    end
    collectgarbage()
    assert.is_true(#inner > 0)
    for _, b in ipairs(inner) do assert.matches("^FriendlyName=gc%d$", b) end
  end)
end)

describe("the URL prefix a config keeps", function()
  local SUB = "AC" .. string.rep("fedcba9876543210", 2)
  local PN2 = "PN" .. string.rep("0123456789abcdef", 2)
  local XE = "XE" .. string.rep("ab", 16)

  -- cfg's URL (or error) for op and path, checked against a fresh config's
  local function url(cfg, op, path)
    local req, err = cfg:build(op, path)
    local fresh, ferr = config():build(op, path)
    assert.equal(fresh and fresh.url, req and req.url)
    assert.equal(ferr and ferr.message, err and err.message)
    return req and req.url or ("error " .. err.message)
  end

  it("changes only the last value, and only on the config's own account", function()
    local cfg = config()
    local base = "https://api.twilio.com/2010-04-01/Accounts/"
    assert.equal(base .. AC .. "/IncomingPhoneNumbers/" .. PN .. ".json",
                 url(cfg, "FetchIncomingPhoneNumber", { sid = PN }))
    assert.equal(base .. AC .. "/IncomingPhoneNumbers/" .. PN2 .. ".json",
                 url(cfg, "FetchIncomingPhoneNumber", { account_sid = AC, sid = PN2 }))
    assert.equal(base .. SUB .. "/IncomingPhoneNumbers/" .. PN2 .. ".json",
                 url(cfg, "FetchIncomingPhoneNumber", { account_sid = SUB, sid = PN2 }))
    assert.equal(base .. AC .. "/IncomingPhoneNumbers/" .. PN .. ".json",
                 url(cfg, "FetchIncomingPhoneNumber", { sid = PN }))
    assert.equal(base .. AC .. "/IncomingPhoneNumbers/" .. PN .. "/AssignedAddOns/" .. XE .. ".json",
                 url(cfg, "FetchIncomingPhoneNumberAssignedAddOn", { resource_sid = PN, sid = XE }))
    assert.equal(base .. AC .. "/IncomingPhoneNumbers/" .. PN2 .. "/AssignedAddOns/" .. XE .. ".json",
                 url(cfg, "FetchIncomingPhoneNumberAssignedAddOn", { resource_sid = PN2, sid = XE }))
    assert.equal(base .. AC .. "/IncomingPhoneNumbers/" .. PN .. ".json",
                 url(cfg, "FetchIncomingPhoneNumber", { sid = PN }))
    assert.equal(base .. SUB .. "/IncomingPhoneNumbers.json",
                 url(cfg, "ListIncomingPhoneNumber", { account_sid = SUB }))
    assert.equal(base .. AC .. "/IncomingPhoneNumbers.json", url(cfg, "ListIncomingPhoneNumber", {}))
    assert.equal(base .. SUB .. "/IncomingPhoneNumbers.json",
                 url(cfg, "ListIncomingPhoneNumber", { account_sid = SUB }))
  end)

  it("refuses a bad last value after it kept the prefix, with the same message", function()
    local cfg = config()
    url(cfg, "FetchIncomingPhoneNumber", { sid = PN })
    assert.matches("^error sid must be", url(cfg, "FetchIncomingPhoneNumber", { sid = "PN../x" }))
    assert.matches("^error sid must be", url(cfg, "FetchIncomingPhoneNumber", { sid = "" }))
  end)

  it("is the config's own: two base URLs never mix", function()
    local a = assert(core.config{ account_sid = AC, auth_token = TOKEN, base_url = "http://127.0.0.1:1" })
    local b = assert(core.config{ account_sid = AC, auth_token = TOKEN, base_url = "http://127.0.0.1:2" })
    for _ = 1, 2 do
      assert.matches("^http://127.0.0.1:1/", assert(a:build("FetchIncomingPhoneNumber", { sid = PN })).url)
      assert.matches("^http://127.0.0.1:2/", assert(b:build("FetchIncomingPhoneNumber", { sid = PN })).url)
    end
  end)
end)
