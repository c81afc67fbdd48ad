-- validation_spec.lua: the bad-input corpus (spec/helpers/bad_inputs.lua)
-- through cfg:build: every bad case gives nil, err with kind "invalid", the
-- right field and op, and an actionable message; every good case builds
-- and encodes exactly.
local core = require "twilio.core"
local corpus = require "helpers.bad_inputs"

local function show(v)
  if type(v) == "string" then
    return (string.format("%q", #v > 60 and v:sub(1, 60) .. "..." or v))
  end
  return tostring(v)
end

local function describe_case(c)
  local parts = {}
  for k, v in pairs(c.params or {}) do parts[#parts + 1] = show(k) .. "=" .. show(v) end
  for k, v in pairs(c.path or {}) do parts[#parts + 1] = "path." .. show(k) .. "=" .. show(v) end
  table.sort(parts)
  return c.op .. " " .. table.concat(parts, " ")
end

describe("validation corpus", function()
  local cfg = assert(core.config{ account_sid = corpus.account_sid, auth_token = "secret-token-123" })
  local BASE = "https://api.twilio.com"

  it("has at least 150 bad cases across the operations", function()
    assert.is_true(#corpus.bad >= 150, "only " .. #corpus.bad)
    local ops = {}
    for _, c in ipairs(corpus.bad) do ops[c.op] = true end
    local n = 0
    for op in pairs(core.operations()) do
      if ops[op] then n = n + 1 end
    end
    assert.is_true(n >= 24, "bad cases cover only " .. n .. " operations")
  end)

  for i, c in ipairs(corpus.bad) do
    it(("refuses bad case %d: %s"):format(i, describe_case(c)), function()
      local req, err = cfg:build(c.op, c.path, c.params)
      assert.is_nil(req)
      assert.is_table(err)
      assert.is_true(core.is_error(err))
      assert.equal("invalid", err.kind)
      if c.field == false then
        assert.is_nil(err.field)
      else
        assert.equal(c.field, err.field)
      end
      assert.equal(c.op, err.op)
      assert.is_string(err.message)
      assert.matches(c.match, err.message)
      -- bounded, printable messages; never the auth token
      assert.is_true(#err.message < 1200, "message too long: " .. #err.message)
      assert.is_nil(err.message:find("[%z\r\n]"), "raw control byte in the message")
      assert.is_nil(err.message:find("secret-token-123", 1, true))
      assert.is_nil(tostring(err):find("secret-token-123", 1, true))
    end)
  end

  for i, c in ipairs(corpus.good) do
    it(("builds good case %d: %s"):format(i, describe_case(c)), function()
      local req, err = cfg:build(c.op, c.path, c.params)
      assert.is_nil(err)
      assert.equal(c.method, req.method)
      assert.equal(BASE .. c.url, req.url)
      assert.equal(c.body, req.body)
      assert.equal(c.op, req.op)
    end)
  end
end)
