-- The emulator: HTTP Basic auth, accounts, subaccounts and the API key.
local http = require "helpers.http"

describe("emulator auth", function()
  local emu
  setup(function() emu = http.emulator() end)
  teardown(function() http.emulator_stop() end)
  before_each(function() http.reset() end)

  local function list(o)
    o.path = o.path or "/IncomingPhoneNumbers.json"
    return assert(http.api(o))
  end

  it("answers 401 with Twilio's error body when credentials are missing", function()
    local res = list{ user = false }
    assert.equal(401, res.status)
    assert.equal(20003, res.json.code)
    assert.equal(401, res.json.status)
    assert.equal("https://www.twilio.com/docs/errors/20003", res.json.more_info)
    assert.is_string(res.json.message)
    assert.matches("^Basic", res.headers["www-authenticate"])
  end)

  it("answers 401 for a wrong token, an unknown user and a malformed header", function()
    assert.equal(401, list{ password = "wrong" }.status)
    assert.equal(401, list{ user = "AC" .. string.rep("0", 32), password = emu.auth_token }.status)
    local res = list{ user = false, headers = { Authorization = "Bearer xyz" } }
    assert.equal(401, res.status)
    assert.equal(20003, res.json.code)
  end)

  it("answers 401 even on unknown paths (auth comes first)", function()
    local res = assert(http.api{ full = "/nope", user = false })
    assert.equal(401, res.status)
  end)

  it("accepts the main account's token and the API key", function()
    assert.equal(200, list{}.status)
    assert.equal(200, list{ user = emu.api_key, password = emu.api_secret }.status)
    assert.matches("^SK%x+$", emu.api_key)
    assert.equal(34, #emu.api_key)
  end)

  it("lets a subaccount use its own credentials on its own path", function()
    local res = list{ account = emu.sub_sid, user = emu.sub_sid, password = emu.sub_token }
    assert.equal(200, res.status)
    assert.same({}, res.json.incoming_phone_numbers)
  end)

  it("lets the main account (token or API key) reach its subaccounts", function()
    assert.equal(200, list{ account = emu.sub_sid }.status)
    assert.equal(200, list{ account = emu.sub2_sid, user = emu.api_key, password = emu.api_secret }.status)
  end)

  it("refuses a subaccount's credentials on the main account and on a sibling", function()
    local res = list{ account = emu.account_sid, user = emu.sub_sid, password = emu.sub_token }
    assert.equal(403, res.status)
    assert.equal(20003, res.json.code)
    res = list{ account = emu.sub2_sid, user = emu.sub_sid, password = emu.sub_token }
    assert.equal(403, res.status)
  end)

  it("answers 404 for an unknown or malformed account sid", function()
    local res = list{ account = "AC" .. string.rep("a", 32) }
    assert.equal(404, res.status)
    assert.equal(20404, res.json.code)
    assert.equal(404, list{ account = "ACnope" }.status)
  end)

  it("uses SIDs of two upper-case letters and 32 lower-case hex digits", function()
    for _, s in ipairs({ emu.account_sid, emu.sub_sid, emu.sub2_sid }) do
      assert.matches("^AC[0-9a-f]+$", s)
      assert.equal(34, #s)
    end
    assert.are_not.equal(emu.sub_sid, emu.sub2_sid)
  end)
end)
