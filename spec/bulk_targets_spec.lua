-- bulk_targets_spec.lua: the *_many targets check (core.bulk_targets, one
-- C loop walking the targets as ipairs does) and the batch's results table
-- (core.bulk_results). No server: a bad target raises before anything is
-- sent.
local core = require "twilio.core"
local twilio = require "twilio"

local AC = "AC" .. string.rep("0123456789abcdef", 2)
local PN = "PN" .. string.rep("fedcba9876543210", 2)
local IS_54 = _VERSION == "Lua 5.4" and not rawget(_G, "jit")

local function numbers()
  local client = assert(twilio.new{ account_sid = AC, auth_token = "tok_0123456789abcdef",
                                    base_url = "http://127.0.0.1:9" })
  return client.incoming_phone_numbers, client
end

describe("core.bulk_targets", function()
  it("counts the targets before the first nil, strings and userdata alike", function()
    assert.equals(0, core.bulk_targets({}))
    assert.equals(3, core.bulk_targets({ PN, "+14155550100", io.stdout }))
    local n, bad = core.bulk_targets({ PN, PN, nil, 42 })   -- ipairs stops at the nil
    assert.equals(2, n)
    assert.is_nil(bad)
  end)

  it("names the first target that is neither a string nor a userdata", function()
    for _, v in ipairs({ 42, true, {}, print }) do
      local n, bad = core.bulk_targets({ PN, PN, v, 7 })
      assert.equals(2, n)
      assert.equals(3, bad)
    end
    assert.same({ 0, 1 }, { core.bulk_targets({ false, PN }) })
    assert.has_error(function() core.bulk_targets("PN") end)
  end)

  it("reads the targets as ipairs reads them (5.4: through __index)", function()
    local proxy = setmetatable({}, { __index = function(_, i) if i <= 4 then return PN end end })
    local walked = 0
    for _ in ipairs(proxy) do walked = walked + 1 end
    assert.equals(walked, core.bulk_targets(proxy))
    assert.equals(IS_54 and 4 or 0, walked)
  end)
end)

describe("*_many with a bad target", function()
  it("raises the same error, naming the target, before anything is sent", function()
    local nums, client = numbers()
    for _, c in ipairs({
      { "update_many", function() local r = nums:update_many({ PN, 42 }, { friendly_name = "x" }); return r end,
        2, "number" },
      { "fetch_many", function() local r = nums:fetch_many({ PN, PN, PN, true }); return r end, 4, "boolean" },
      { "release_many", function() local r = nums:release_many({ {} }); return r end, 1, "table" },
    }) do
      local ok, err = pcall(c[2])
      assert.is_false(ok)
      assert.matches(("twilio: %s: target %d must be a number object, a SID or an E.164 number (got %s)")
                     :format(c[1], c[3], c[4]), err, 1, true)
      assert.matches("bulk_targets_spec", err, 1, true)     -- raised at the caller's line
    end
    client:close()
  end)
end)

describe("core.bulk_results", function()
  it("is an empty table, whatever room it was made with", function()
    for _, n in ipairs({ 0, 1, 1000 }) do
      local t = core.bulk_results(n)
      assert.is_nil(next(t))
      assert.equals(0, #t)
    end
    assert.has_error(function() core.bulk_results(-1) end)
  end)
end)
