-- rt.direct (twilio.runtime): the handle rt:handle() answers, kept as a
-- field for the per-call path (twilio.client's request_record reads it
-- without a call). It must be the answer at every moment: the kept libcurl
-- handle on a curl runtime with no group running, else false; a call made
-- inside a group must not find the handle there (its requests yield to the
-- group's loop), nor a call after close (the closed handle).
local runtime = require "twilio.runtime"

describe("rt.direct", function()
  it("is rt:handle()'s answer before, during and after a group, and after close", function()
    local rt = runtime.new{ transport = "curl" }
    assert.is_false(rt.direct)                    -- nothing made yet: ask rt:handle()
    local h = rt:handle()
    assert.truthy(h)
    assert.equals(h, rt.direct)
    local seen = {}
    local g = rt:group(2)
    for i = 1, 2 do
      g:spawn(function()
        seen[i] = { direct = rt.direct, handle = rt:handle() }
        rt:sleep(0.001)
      end)
    end
    g:wait()
    for i = 1, 2 do
      assert.is_false(seen[i].direct)
      assert.is_nil(seen[i].handle)
    end
    assert.equals(h, rt.direct)                   -- the group ended
    local ok = pcall(function()
      local g2 = rt:group(1)
      g2:spawn(function() error("boom") end)
      g2:wait()
    end)
    assert.is_false(ok)
    assert.equals(h, rt.direct)                   -- also after a task's error
    rt:close()
    assert.is_false(rt.direct)
    local h2 = rt:handle()                        -- a new one, made on demand
    assert.truthy(h2)
    assert.not_equals(h, h2)
    assert.equals(h2, rt.direct)
    rt:close()
  end)

  it("is false on a custom transport", function()
    local rt = runtime.new{ transport = { request = function() return nil end } }
    assert.is_nil(rt:handle())
    assert.is_false(rt.direct)
    rt:curl()                                     -- a curl transport made for some other use
    assert.is_false(rt.direct)
  end)
end)
