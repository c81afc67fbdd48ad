-- The params memo (src/ltw_request.c) on a GET: its values go in the query,
-- after a "?" that only a request with values gets. The memo keeps no count
-- of values of its own (each entry is one value), so a request answered
-- from the memo must still have its "?" and query, on cfg:build and on the
-- fused call (core.call_record's URL is the one cfg:build gives).
local core = require "twilio.core"

local AC = "AC" .. string.rep("0123456789abcdef", 2)
local LIST = "ListIncomingPhoneNumber"

describe("the params memo on a GET", function()
  it("keeps the query of a table seen again and again", function()
    local cfg = assert(core.config{ account_sid = AC, auth_token = "t" })
    local fresh = assert(core.config{ account_sid = AC, auth_token = "t" })
    local p = { page_size = 50, friendly_name = "a", beta = true }
    local want = assert(fresh:build(LIST, nil, p)).url
    assert.matches("%.json%?", want)
    for _ = 1, 4 do                                  -- seen, kept, then answered from the memo
      assert.equal(want, assert(cfg:build(LIST, nil, p)).url)
    end
    local q = { friendly_name = "a", beta = false }
    want = assert(fresh:build(LIST, nil, q)).url
    for _ = 1, 4 do assert.equal(want, assert(cfg:build(LIST, nil, q)).url) end
    assert.equal(assert(fresh:build(LIST, nil, {})).url, assert(cfg:build(LIST, nil, {})).url)
  end)
end)
