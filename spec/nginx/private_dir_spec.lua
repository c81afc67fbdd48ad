-- A clone in a directory only root can read (`mktemp -d` as root, /root/src):
-- nginx started as root runs its workers as `nobody` unless told otherwise,
-- and then every worker that reads the clone answers 500. The spec nginx
-- helper and the emulator must work from there. Pending when not root (an
-- ordinary user's nginx runs its workers as that user: nothing to prove).
local nginx = require "helpers.nginx"

local function sh(cmd)
  local p = assert(io.popen(cmd))
  local out = p:read("*a")
  p:close()
  return (out:gsub("%s+$", ""))
end

local is_root = sh("id -u") == "0"

describe("nginx from a directory only root can read", function()
  local dir
  setup(function()
    if not is_root then return end
    dir = sh("mktemp -d")                 -- mode 0700, owned by root
    os.execute("chmod 700 " .. nginx.sh_quote(dir))
  end)
  teardown(function()
    if dir then os.execute("rm -rf " .. nginx.sh_quote(dir)) end
  end)

  it("the spec helper's workers read files from there", function()
    if not is_root then pending("needs root (workers would run as this user anyway)") return end
    local ok, why = nginx.available()
    if not ok then pending(why) return end
    nginx.write_file(dir .. "/probe_private.lua", 'return { answer = "read from a private dir" }\n')
    local srv = assert(nginx.start{ name = "private",
      server = "    location = /p { content_by_lua_block { ngx.say(dofile('" .. dir
               .. "/probe_private.lua').answer) } }" })
    local status, body = srv:request{ path = "/p" }
    local log = srv:error_log()
    srv:stop()
    assert.equal(200, status, log:sub(-600))
    assert.equal("read from a private dir\n", body)
  end)

  it("a full config given to the helper (conf =) gets the same treatment", function()
    if not is_root then pending("needs root") return end
    local ok, why = nginx.available()
    if not ok then pending(why) return end
    nginx.write_file(dir .. "/probe_conf.lua", "return 42\n")
    local conf = table.concat({
      "load_module " .. nginx.MODULES .. "/ndk_http_module.so;",
      "load_module " .. nginx.MODULES .. "/ngx_http_lua_module.so;",
      "worker_processes 1;", "pid ${DIR}/logs/nginx.pid;", "error_log ${DIR}/logs/error.log;",
      "events { worker_connections 64; }",
      "http {", "  access_log off;", "  client_body_temp_path ${DIR}/tmp/body;",
      '  lua_package_path "' .. dir .. '/?.lua;;";',
      "  server { listen 127.0.0.1:${PORT};",
      "    location = /p { content_by_lua_block { ngx.say(require('probe_conf')) } } }",
      "}", "" }, "\n")
    local srv = assert(nginx.start{ name = "private-conf", conf = conf })
    local status, body = srv:request{ path = "/p" }
    local log = srv:error_log()
    srv:stop()
    assert.equal(200, status, log:sub(-600))
    assert.equal("42\n", body)
  end)

  it("bin/twilio-emulator runs from a copy in there", function()
    if not is_root then pending("needs root") return end
    local ok, why = nginx.available()
    if not ok then pending(why) return end
    local copy = dir .. "/clone"
    os.execute("mkdir -p " .. nginx.sh_quote(copy) .. " && cp -r " .. nginx.sh_quote(nginx.root .. "/bin") .. " "
               .. nginx.sh_quote(nginx.root .. "/emulator") .. " " .. nginx.sh_quote(copy))
    local emu = copy .. "/bin/twilio-emulator"
    local env = sh("env -u LD_PRELOAD " .. nginx.sh_quote(emu) .. " start --dir " .. nginx.sh_quote(copy .. "/run")
                   .. " --env 2>&1")
    local url = env:match("TWILIO_EMULATOR_URL='?([^'\n]+)")
    local sid = env:match("TWILIO_EMULATOR_ACCOUNT_SID='?([^'\n]+)")
    local token = env:match("TWILIO_EMULATOR_AUTH_TOKEN='?([^'\n]+)")
    finally(function()
      os.execute("env -u LD_PRELOAD " .. nginx.sh_quote(emu) .. " stop --dir " .. nginx.sh_quote(copy .. "/run")
                 .. " >/dev/null 2>&1")
    end)
    assert(url and sid and token, env)
    local auth = require("mime").b64(sid .. ":" .. token)
    local status, body = nginx.request_url{ url = url .. "/2010-04-01/Accounts/" .. sid .. "/IncomingPhoneNumbers.json",
      method = "POST", body = "PhoneNumber=%2B14155550100",
      headers = { Authorization = "Basic " .. auth, ["Content-Type"] = "application/x-www-form-urlencoded" } }
    assert.equal(201, status, body)
    status = nginx.request_url{ url = url .. "/2010-04-01/Accounts/" .. sid .. "/IncomingPhoneNumbers.csv",
      headers = { Authorization = "Basic " .. auth } }
    assert.equal(200, status)
  end)
end)
