-- make install puts a working twilio-numbers in $(PREFIX)/bin (issue 17).
local emu = require "helpers.emulator"
local fake = require "cli.fake"

-- It tests the repository, not a VM: defined only in the plain lua5.4 pass.
local once = os.getenv("TWILIO_TEST_VM") == "lua5.4" and not os.getenv("TWILIO_TEST_ASAN")

describe("make install", function()
  if not once then return end
  it("installs bin/twilio-numbers that runs on the installed modules only", function()
    local root = fake.root()
    local dest = root .. "/build/dest-cli"
    local ok = os.execute(string.format("rm -rf %s && cd %s && make -s install DESTDIR=%s PREFIX=/usr/local " ..
                                        ">/dev/null 2>&1", dest, root, dest))
    assert.truthy(ok == true or ok == 0, "make install failed")
    local pre = dest .. "/usr/local"
    local cmd = string.format("cd /tmp && env -u LD_PRELOAD LUA_PATH='%s/share/lua/5.4/?.lua;;' " ..
      "LUA_CPATH='%s/lib/lua/5.4/?.so;;' TWILIO_ACCOUNT_SID=%s TWILIO_AUTH_TOKEN=%s TWILIO_BASE_URL=%s " ..
      "%s/bin/twilio-numbers %%s 2>&1", pre, pre, emu.account_sid(), emu.auth_token(), emu.url(), pre)
    local function run(args)
      local p = assert(io.popen(cmd:format(args)))
      local out = p:read("*a")
      p:close()
      return out
    end
    assert.matches("^TWILIO%-NUMBERS%(1%)", run("help"))
    emu.reset()
    local out = run("plan " .. root .. "/examples/playbook.lua")
    assert.matches("Plan: 4 to buy, 0 to change, 0 to move, 0 to release.", out, 1, true)
  end)
end)
