-- Error wording (issue 13 items 4 and 5, docs/ERRORS.md): one style,
--   twilio: <what>[ (HTTP <status>[, code <code>])]: <message>[ (<METHOD> <url>)][; see <more_info>]
-- a 401 keeps Twilio's `detail` and says what to check without printing it,
-- and one rule: values (which may come from data) give nil, err.
local emu = require "helpers.emulator"
local twilio = require "twilio"
local errors = require "twilio.errors"

describe("error wording", function()
  local client

  setup(function() emu.ensure() end)
  teardown(function() emu.stop_if_started() end)
  before_each(function() emu.reset(); client = emu.client() end)
  after_each(function() client:close() end)

  it("a 401 keeps Twilio's detail and says to check the SID and token, not printing the token", function()
    local c = emu.client{ auth_token = "wrong-token-123" }
    local l, err = c.incoming_phone_numbers:list()
    c:close()
    assert.is_nil(l)
    assert.equal(401, err.status)
    assert.equal("Your AccountSid or AuthToken was incorrect.", err.detail)
    local s = tostring(err)
    assert.matches("Your AccountSid or AuthToken was incorrect.", s, 1, true)
    assert.matches("Check the account SID and the auth token", s, 1, true)
    assert.matches("^twilio: API error %(HTTP 401, code 20003%): ", s)
    assert.is_nil(s:find("wrong-token-123", 1, true))
    assert.is_nil(s:find(emu.auth_token(), 1, true))
  end)

  it("validation errors read 'twilio: invalid input: <field> must ...'", function()
    local n, err = client.incoming_phone_numbers:fetch("PN1")
    assert.is_nil(n)
    local s = tostring(err)
    assert.equal("sid", err.field)
    assert.matches("^twilio: invalid input: sid must be a phone number SID", s)
    assert.is_nil(s:find("invalid error", 1, true))
    assert.is_nil(s:find(" in 'sid'", 1, true))
  end)

  it("never says twilio: twice", function()
    local e = errors.new("invalid", "twilio: transport 'x' is not available")
    assert.equal("twilio: invalid input: transport 'x' is not available", tostring(e))
    -- an unknown transport name is misuse: it raises, once prefixed
    local ok, msg = pcall(twilio.new, { account_sid = emu.account_sid(), auth_token = "t",
                                        base_url = emu.url(), transport = "no-such-transport" })
    assert.is_false(ok)
    assert.matches("twilio: unknown transport 'no-such-transport'", tostring(msg), 1, true)
    assert.is_nil(tostring(msg):find("twilio:.*twilio:"), msg)
  end)

  it("an API error names status, code, request and more_info in that order", function()
    local n, err = client.incoming_phone_numbers:fetch("PN" .. string.rep("0", 32))
    assert.is_nil(n)
    assert.matches("^twilio: API error %(HTTP 404, code 20404%): .+ %(GET http://[^)]+%.json%); "
                   .. "see https://www%.twilio%.com/docs/errors/20404$", tostring(err))
  end)

  it("an unknown number type returns nil, err like an unknown parameter (both are values)", function()
    local av = client.available_phone_numbers
    local r, err = av:search("US", "tollfree", { limit = 1 })
    assert.is_nil(r)
    assert.equal("invalid", err.kind)
    assert.equal("type", err.field)
    assert.matches("^twilio: invalid input: unknown number type 'tollfree' %(local, toll_free", tostring(err))
    local r2, err2 = av:search("US", "local", { limit = 1, are_code = 415 })
    assert.is_nil(r2)
    assert.equal("invalid", err2.kind)
    -- misuse of the Lua API itself still raises: a number is not a country code
    assert.has_error(function() av:search(1, "local") end)
  end)

  it("a phone number given where a SID goes points to find (fetch, update, fetch_many)", function()
    local numbers = client.incoming_phone_numbers
    local _, err = numbers:fetch("+14155550100")
    assert.equal("sid", err.field)
    assert.matches("; for a phone number use incoming_phone_numbers:find('+14155550100')", tostring(err), 1, true)
    _, err = numbers:update("14155550100", { friendly_name = "x" })
    assert.matches("find('+14155550100')", tostring(err), 1, true)
    local r = numbers:fetch_many({ "14155550100", "PN123" })
    assert.matches("find('+14155550100')", tostring(r[1].error), 1, true)
    assert.is_nil(tostring(r[2].error):find("find(", 1, true))   -- a mistyped SID is just a bad SID
  end)
end)
