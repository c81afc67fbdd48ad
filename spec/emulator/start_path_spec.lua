-- The emulator starts for a user whose PATH lacks /usr/sbin (Debian's
-- default for non-root users), where Debian installs nginx: a new user's
-- first `eval "$(bin/twilio-emulator start --env)"` said "nginx not found".
local http = require "helpers.http"
local root = os.getenv("TWILIO_NUMBERS_ROOT") or "."

local function sh(cmd)
  local p = assert(io.popen(cmd .. " 2>&1"))
  local out = p:read("a")
  local ok, _, code = p:close()
  return out, ok == true or code == 0
end

describe("bin/twilio-emulator start with PATH=/usr/bin:/bin", function()
  local dir = root .. "/build/emulator-path"
  after_each(function() sh(root .. "/bin/twilio-emulator stop --dir " .. dir) end)

  it("finds nginx in /usr/sbin and answers", function()
    local out, ok = sh("env -u NGINX PATH=/usr/bin:/bin " .. root .. "/bin/twilio-emulator start --dir " .. dir ..
                       " --env")
    assert.is_true(ok, out)
    local url = out:match("export TWILIO_EMULATOR_URL=([^\n]+)")
    assert.truthy(url, out)
    -- (helpers.http, not a curl process: under the ASan run's LD_PRELOAD a
    -- curl child hung)
    local res = assert(http.request{ method = "GET", url = url .. "/_emulator/info" })
    assert.equal(200, res.status, res.body)
  end)
end)
