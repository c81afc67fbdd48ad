-- The client's limits in its config: core.config takes timeout,
-- connect_timeout (seconds) and max_body (bytes), checks them as the
-- fused call (core.call_record) sends them, and the fused call uses them
-- when it is given none (spec/e2e/fast_path_spec.lua shows the client's
-- own timeout and max_body reaching the wire).
local core = require "twilio.core"

describe("the client's limits in core.config", function()
  local AC = "AC" .. ("0f"):rep(16)
  local PN = "PN" .. ("ab"):rep(16)
  local function config(extra)
    local o = { account_sid = AC, auth_token = "t", base_url = "http://127.0.0.1:9" }
    for k, v in pairs(extra or {}) do o[k] = v end
    return core.config(o)
  end

  it("takes them in range", function()
    assert.truthy(config{ timeout = 0.001, connect_timeout = 86400, max_body = 1 })
    assert.truthy(config{ timeout = 30, connect_timeout = 10, max_body = 1024 * 1024 * 1024 })
    assert.truthy(config())
  end)

  it("refuses what the fused call could not send, in the client's words", function()
    local bad = {
      { "timeout", 0, "timeout must be a number of seconds from 0.001 to 86400 (got number 0)" },
      { "timeout", 0.0009, "timeout must be a number of seconds from 0.001 to 86400" },
      { "connect_timeout", 86400.001, "connect_timeout must be a number of seconds from 0.001 to 86400" },
      { "connect_timeout", "10", "connect_timeout must be a number of seconds from 0.001 to 86400" },
      { "timeout", 0 / 0, "timeout must be a number of seconds" },
      { "max_body", 0, "max_body must be a whole number of bytes from 1 to 1073741824 (got number 0)" },
      { "max_body", 1.5, "max_body must be a whole number of bytes from 1 to 1073741824" },
      { "max_body", 1024 * 1024 * 1024 + 1, "max_body must be a whole number of bytes" },
    }
    for _, b in ipairs(bad) do
      local cfg, err = config{ [b[1]] = b[2] }
      assert.is_nil(cfg, b[1] .. " " .. tostring(b[2]))
      assert.equals("invalid", err.kind)
      assert.equals(b[1], err.field)
      assert.matches(b[3], err.message, 1, true)
    end
  end)

  it("a fused call refuses what is not a config or a libcurl handle where they go (misuse)", function()
    local h = core.curl_new()
    local cfg = assert(config{ timeout = 1, connect_timeout = 1, max_body = 1000 })
    local other = io.tmpfile()                    -- a userdata of another kind
    for _, args in ipairs{ { other, h }, { h, h }, { {}, h }, { cfg, other }, { cfg, cfg }, { cfg, {} } } do
      local ok, err = pcall(core.call_record, args[1], "FetchIncomingPhoneNumber", PN, nil, args[2],
                            "PhoneNumber", {})
      assert.is_false(ok)
      assert.matches("twilio%.C[a-z]+ expected", tostring(err))
    end
    other:close()
    h:close()
  end)

  it("a fused call without limits on a config without them raises (misuse)", function()
    local h = core.curl_new()
    local cfg = assert(config())
    for _, args in ipairs{ { nil, 10, 1000 }, { 10, nil, 1000 }, { 10, 10, nil } } do
      local ok, err = pcall(core.call_record, cfg, "FetchIncomingPhoneNumber", PN, nil, h, "PhoneNumber", {},
                            args[1], args[2], args[3])
      assert.is_false(ok)
      assert.matches("number", tostring(err))
    end
    h:close()
  end)
end)
