-- The bad-input corpus (spec/helpers/bad_inputs.lua) through the whole
-- client against the emulator: every case is refused with kind "invalid"
-- and the emulator's request log proves that nothing was sent (issue 4).
local emu = require "helpers.emulator"
local corpus = require "helpers.bad_inputs"

describe("bad inputs through the client", function()
  local client

  setup(function()
    emu.ensure()
    emu.reset()
    client = emu.client()
    emu.clear_log()
  end)

  teardown(function()
    client:close()
    emu.stop_if_started()
  end)

  for i, case in ipairs(corpus.bad) do
    it(("#%d %s %s"):format(i, case.op, tostring(case.field)), function()
      local res, err = client:request(case.op, case.path or {}, case.params)
      assert.is_nil(res)
      assert.equals("invalid", err.kind)
      if case.field then assert.equals(case.field, err.field) end
    end)
  end

  it("the emulator received none of them", function()
    assert.is_true(#corpus.bad >= 150)
    local log = emu.requests()
    assert.equals(0, #log, "requests reached the emulator: " ..
                  (log[1] and (log[1].method .. " " .. log[1].path) or ""))
  end)
end)
