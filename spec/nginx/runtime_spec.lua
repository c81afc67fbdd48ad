-- The client's runtime inside nginx (issue 12; issue 13, item 9): chosen
-- once as "ngx"; its User-Agent names the cosockets, not libcurl; debug
-- lines name the transport; bulk work runs on ngx.thread workers, at most
-- `concurrency` at once (what transport.ngx's request_many did before it
-- went: bulk is the one way to run requests in parallel).
local nginx = require "helpers.nginx"
local cjson = require "cjson"

local EMU = os.getenv("TWILIO_EMULATOR_URL")
local SID = os.getenv("TWILIO_EMULATOR_ACCOUNT_SID")

if not (EMU and SID) then
  describe("the runtime inside nginx", function()
    pending("skipped: the emulator is not running (tests/run starts it)")
  end)
  return
end

local function emulator(path, body)
  local status, text = nginx.request_url{ url = EMU .. path, method = path:find("log$") and "GET" or "POST",
                                          body = body }
  assert(status and status < 300, "emulator " .. path .. ": " .. tostring(status) .. " " .. tostring(text))
  return text
end

describe("the runtime inside nginx", function()
  local srv, why

  setup(function()
    srv, why = nginx.start{
      name = "runtime",
      main = "env TWILIO_EMULATOR_URL;\nenv TWILIO_EMULATOR_ACCOUNT_SID;\nenv TWILIO_EMULATOR_AUTH_TOKEN;\n",
      server = [[
    location = /rt/identity { content_by_lua_block { require("helpers.ngx_runtime").identity() } }
    location = /rt/bulk { content_by_lua_block { require("helpers.ngx_runtime").bulk() } }
]],
    }
  end)
  teardown(function() if srv then srv:stop() end end)
  before_each(function()
    assert(srv, "test nginx did not start: " .. tostring(why))
    emulator("/_emulator/reset", "")
  end)

  it("names the cosocket transport in the User-Agent and the debug lines", function()
    emulator("/_emulator/seed", cjson.encode{ account_sid = SID, count = 2 })
    local r = srv:json{ path = "/rt/identity", timeout = 20 }
    assert.is_nil(r.raised)
    assert.is_nil(r.err)
    assert.equal(2, r.count)
    assert.equal("ngx", r.runtime)
    assert.matches("^twilio%-numbers/%S+ %(LuaJIT %S+; ngx_lua/%d+%.%d+%.%d+ cosockets%)$", r.user_agent)
    assert.is_nil(r.user_agent:find("curl", 1, true))
    assert.equal(1, #r.lines)
    assert.matches("^twilio: GET http://127%.0%.0%.1:%d+/2010%-04%-01/.* %-> 200 %(%d+ ms, ngx%)$", r.lines[1])
    -- what the emulator received
    local log = cjson.decode(emulator("/_emulator/log"))
    local seen = log[#log]
    assert.equal(r.user_agent, seen.user_agent)
  end)

  it("runs bulk work in parallel up to the concurrency limit", function()
    emulator("/_emulator/seed", cjson.encode{ account_sid = SID, count = 6 })
    emulator("/_emulator/config", cjson.encode{ latency_ms = 300 })
    local wide = srv:json{ path = "/rt/bulk?concurrency=6", timeout = 30 }
    local narrow = srv:json{ path = "/rt/bulk?concurrency=2", timeout = 30 }
    emulator("/_emulator/config", cjson.encode{ latency_ms = 0 })
    for _, r in ipairs{ wide, narrow } do
      assert.is_nil(r.raised)
      assert.equal(6, r.count)
      assert.equal(6, r.ok)
    end
    io.stderr:write(("\n[nginx bulk] 6 updates of 300 ms: %.2f s at concurrency 6, %.2f s at 2\n")
                    :format(wide.elapsed, narrow.elapsed))
    assert.is_true(wide.elapsed < 0.75, "concurrency 6 took " .. wide.elapsed)       -- 1 round
    assert.is_true(narrow.elapsed >= 0.85, "concurrency 2 took " .. narrow.elapsed)  -- 3 rounds
  end)
end)
