-- bulk_rebuild_spec.lua: cfg:rebuild_url(req, path), the URL of a template
-- (cfg:build) for another path, as update_many with one params table uses
-- it (bulk.request_for: the template's fields with that URL). It must give
-- exactly what cfg:build gives for that path, and nil (never a different
-- request) wherever cfg:build would refuse.
local core = require "twilio.core"
local bulk = require "twilio.bulk"

local AC = "AC" .. string.rep("0123456789abcdef", 2)
local AC2 = "AC" .. string.rep("00112233445566ff", 2)
local PN0 = "PN" .. string.rep("0", 32)
local PN = "PN" .. string.rep("fedcba9876543210", 2)
local XE = "XE" .. string.rep("ab", 16)

local function config()
  return assert(core.config{ account_sid = AC, auth_token = "tok_0123456789abcdef",
                             base_url = "http://127.0.0.1:9" })
end

local FIELDS = { "method", "url", "body", "headers", "op", "idempotent" }

local function same_request(a, b)
  for _, k in ipairs(FIELDS) do assert.same(a[k], b[k], k) end
  local n = 0
  for _ in pairs(b) do n = n + 1 end
  local m = 0
  for _ in pairs(a) do m = m + 1 end
  assert.equals(m, n, "field count")
end

describe("cfg:rebuild_url", function()
  local cfg
  before_each(function() cfg = config() end)

  -- the request update_many sends for path: the template to its new URL
  local function rebuilt(tmpl, path)
    local url = cfg:rebuild_url(tmpl, path)
    return url and bulk.request_for(tmpl, url)
  end

  it("gives cfg:build's request for the new SID, body and headers shared", function()
    local params = { voice_url = "https://example.com/v?a=1&b=2", friendly_name = "bulk é", sms_url = "" }
    local tmpl = assert(cfg:build("UpdateIncomingPhoneNumber", { sid = PN0 }, params))
    local req = assert(rebuilt(tmpl, { sid = PN }))
    same_request(req, assert(cfg:build("UpdateIncomingPhoneNumber", { sid = PN }, params)))
    assert.equals(tmpl.headers, req.headers)
    assert.is_nil(tmpl.url:find(PN, 1, true))        -- the template is unchanged
    assert.truthy(tmpl.url:find(PN0, 1, true))
    -- another account in the path, as a subaccount's list has
    req = assert(rebuilt(tmpl, { account_sid = AC2, sid = PN }))
    same_request(req, assert(cfg:build("UpdateIncomingPhoneNumber", { account_sid = AC2, sid = PN }, params)))
  end)

  it("keeps a GET or DELETE template's query and its own fields", function()
    local tmpl = assert(cfg:build("FetchIncomingPhoneNumberAssignedAddOn", { resource_sid = PN, sid = XE }))
    local path = { resource_sid = PN0, sid = XE }
    same_request(assert(rebuilt(tmpl, path)),
                 assert(cfg:build("FetchIncomingPhoneNumberAssignedAddOn", path)))
    tmpl = assert(cfg:build("ListIncomingPhoneNumberAssignedAddOn", { resource_sid = PN }, { page_size = 20 }))
    path = { resource_sid = PN0 }
    local req = assert(rebuilt(tmpl, path))
    same_request(req, assert(cfg:build("ListIncomingPhoneNumberAssignedAddOn", path, { page_size = 20 })))
    assert.matches("%?PageSize=20$", req.url)
    tmpl = assert(cfg:build("DeleteIncomingPhoneNumber", { sid = PN0 }))
    same_request(assert(rebuilt(tmpl, { sid = PN })), assert(cfg:build("DeleteIncomingPhoneNumber", { sid = PN })))
  end)

  it("gives nil wherever cfg:build refuses the path (the caller asks build for the error)", function()
    local tmpl = assert(cfg:build("UpdateIncomingPhoneNumber", { sid = PN0 }, { friendly_name = "x" }))
    local bad = {
      { sid = "PN123" },                        -- too short
      { sid = "XE" .. PN:sub(3) },               -- wrong prefix
      { sid = "" },
      { sid = 42 },
      { sid = PN .. "/../x" },
      { },                                       -- no sid
      { sid = PN, account_sid = "AC1" },
      { sid = PN, nonsense = "x" },              -- a key build does not know
      { sid = PN, [1] = "x" },
      { sid = "+14155550100" },
    }
    for i, path in ipairs(bad) do
      assert.is_nil(rebuilt(tmpl, path), "case " .. i)
      assert.is_nil((cfg:build("UpdateIncomingPhoneNumber", path, { friendly_name = "x" })), "build case " .. i)
    end
  end)

  it("gives nil for a CSV template and raises on a table that is not a built request", function()
    local tmpl = assert(cfg:build("ListIncomingPhoneNumber", nil, { page_size = 5 }, "csv"))
    assert.is_nil(rebuilt(tmpl, {}))
    assert.has_error(function() cfg:rebuild_url({ url = "http://x/y.json" }, { sid = PN }) end)
    assert.has_error(function() cfg:rebuild_url({ op = "NoSuchOp", url = "http://x/y.json" }, { sid = PN }) end)
    assert.has_error(function() cfg:rebuild_url(nil, { sid = PN }) end)
    assert.has_error(function()
      cfg:rebuild_url(assert(cfg:build("DeleteIncomingPhoneNumber", { sid = PN })), "PN")
    end)
  end)
end)
