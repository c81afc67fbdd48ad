-- request_csv_spec.lua: cfg:build(op, path, params, "csv") builds the CSV
-- form of a GET (issue 12: csv.lua no longer patches a built URL).
local core = require "twilio.core"

local AC = "AC" .. string.rep("0123456789abcdef", 2)
local PN = "PN" .. string.rep("fedcba9876543210", 2)

local function config()
  return assert(core.config{ account_sid = AC, auth_token = "tok", base_url = "http://127.0.0.1:9" })
end

describe("cfg:build, the csv form", function()
  it("asks for .csv with Accept text/csv, and keeps the query", function()
    local req = assert(config():build("ListIncomingPhoneNumber", nil,
                                      { friendly_name = "a.json b", page_size = 5 }, "csv"))
    assert.equal("http://127.0.0.1:9/2010-04-01/Accounts/" .. AC ..
                 "/IncomingPhoneNumbers.csv?FriendlyName=a.json%20b&PageSize=5", req.url)
    assert.equal("text/csv", req.headers.Accept)
    assert.equal("GET", req.method)
  end)

  it("is the json form otherwise, with or without \"json\"", function()
    local cfg = config()
    local a = assert(cfg:build("FetchIncomingPhoneNumber", { sid = PN }))
    local b = assert(cfg:build("FetchIncomingPhoneNumber", { sid = PN }, nil, "json"))
    assert.equal(a.url, b.url)
    assert.matches("/IncomingPhoneNumbers/" .. PN .. "%.json$", a.url)
    assert.equal("application/json", b.headers.Accept)
    local c = assert(cfg:build("FetchIncomingPhoneNumber", { sid = PN }, nil, "csv"))
    assert.matches("/IncomingPhoneNumbers/" .. PN .. "%.csv$", c.url)
  end)

  it("raises for a form other than json and csv, or csv on a POST or DELETE", function()
    local cfg = config()
    assert.has_error(function() cfg:build("ListIncomingPhoneNumber", nil, nil, "xml") end)
    local ok, msg = pcall(cfg.build, cfg, "UpdateIncomingPhoneNumber", { sid = PN }, { friendly_name = "x" }, "csv")
    assert.is_false(ok)
    assert.matches("the csv form exists only for GET operations", msg, 1, true)
    assert.has_error(function() cfg:build("DeleteIncomingPhoneNumber", { sid = PN }, nil, "csv") end)
  end)
end)
