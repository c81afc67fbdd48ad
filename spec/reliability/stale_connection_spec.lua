-- The library (libcurl transport) on a kept-alive connection the server has
-- closed (issue 16), against helpers.stale_server: it answers the first
-- request of a connection, then reads the next one on it and closes without
-- answering. libcurl resends a request by itself when a reused connection
-- dies before any byte of the answer (POSTs included), so a purchase must
-- never go out on a reused connection, nor a DELETE; a GET may, and is resent.
-- (spec/nginx/stale_connection_spec.lua checks the nginx transport.)
local stale = require "helpers.stale_server"
local twilio = require "twilio"

local SID = "AC" .. string.rep("b", 32)

describe("a kept-alive connection the server closed (libcurl)", function()
  local up, client

  before_each(function()
    up = assert(stale.start())
    client = assert(twilio.new{ base_url = up.url, account_sid = SID, auth_token = "t0ken",
                                retries = { max = 2, base = 0.01, cap = 0.02 }, timeout = 3 })
  end)
  after_each(function()
    client:close()
    up:stop()
  end)

  local function of(method, path_pattern)
    local out = {}
    for _, e in ipairs(up:log()) do
      if e.method == method and (not path_pattern or e.path:find(path_pattern)) then out[#out + 1] = e end
    end
    return out
  end

  it("a purchase after a GET goes on a new connection: one POST at the server, bought", function()
    local numbers = client.incoming_phone_numbers
    assert(numbers:page{ page_size = 1 })                  -- opens a connection, kept alive
    local n, err = numbers:create{ phone_number = "+14155550100" }
    assert.is_nil(err)
    assert.equal("+14155550100", n.phone_number)
    local posts = of("POST")
    assert.equal(1, #posts)                                -- never on the stale connection, never resent
    assert.is_true(posts[1].answered)
    assert.are_not.equal(of("GET")[1].conn, posts[1].conn)
  end)

  it("a release after a GET goes on a new connection: one DELETE at the server, released", function()
    local numbers = client.incoming_phone_numbers
    assert(numbers:page{ page_size = 1 })
    local pn = "PN" .. string.rep("c", 32)
    local ok, err = numbers:release(pn)
    assert.is_nil(err)
    assert.is_true(ok)
    local dels = of("DELETE", pn)
    assert.equal(1, #dels)                                 -- not on the stale connection (which would apply
    assert.is_true(dels[1].answered)                       -- it, and libcurl's silent resend get 404)
    assert.are_not.equal(of("GET")[1].conn, dels[1].conn)
  end)

  it("a GET on the closed connection is resent once on a new one and succeeds", function()
    local numbers = client.incoming_phone_numbers
    assert(numbers:page{ page_size = 1 })
    local page, err = numbers:page{ page_size = 2 }
    assert.is_nil(err)
    assert.equal(0, #page.items)
    local gets = of("GET", "PageSize=2")
    assert.equal(2, #gets)                                 -- the stale attempt and one more
    assert.is_false(gets[1].answered)
    assert.is_true(gets[2].answered)
    assert.equal(of("GET", "PageSize=1")[1].conn, gets[1].conn)
  end)
end)
