-- The per-call path of numbers:fetch and numbers:update (twilio.list's
-- sid_method -> client:request_record -> core.call_record) reads only
-- fields the objects hold themselves: a method found through __index costs
-- a second table lookup on every call (callgrind, docs/PERFORMANCE.md).
local twilio = require "twilio"

describe("the per-call path", function()
  it("finds request_record on the client itself, the same function as the method", function()
    local c = assert(twilio.new{ account_sid = "AC" .. ("0f"):rep(16), auth_token = "t",
                                 base_url = "http://127.0.0.1:9" })
    local method = getmetatable(c).__index.request_record
    assert.is_function(method)
    assert.equals(method, rawget(c, "request_record"))
    assert.is_false(rawget(c, "debug"))           -- read on every call: held, false when unset
    assert.is_false(rawget(c, "batch"))
    assert.is_false(rawget(c.runtime, "direct"))  -- nothing made yet: rt:handle() is asked
    c:close()
  end)

  it("finds fetch and update on each list itself, the same functions as the methods", function()
    local c = assert(twilio.new{ account_sid = "AC" .. ("0f"):rep(16), auth_token = "t",
                                 base_url = "http://127.0.0.1:9" })
    for _, l in ipairs{ c.incoming_phone_numbers, c.incoming_phone_numbers.local_numbers or c.incoming_phone_numbers,
                        c:account("AC" .. ("1e"):rep(16)).incoming_phone_numbers } do
      local List = getmetatable(l).__index
      for _, name in ipairs{ "fetch", "update" } do
        assert.is_function(List[name])
        assert.equals(List[name], rawget(l, name))
      end
    end
    c:close()
  end)
end)
