-- docs/OPENRESTY.md's complete nginx configuration works as pasted (issue 13
-- item 9): nginx starts from the ```nginx block with only the two
-- lua_package_* lines pointed at this checkout (instead of /usr/local) and a
-- free port, and lists the emulator's numbers through the env lines
-- (TWILIO_BASE_URL among them).
local nginx = require "helpers.nginx"

local EMU = os.getenv("TWILIO_EMULATOR_URL")
local SID = os.getenv("TWILIO_EMULATOR_ACCOUNT_SID")
local TOKEN = os.getenv("TWILIO_EMULATOR_AUTH_TOKEN")

local function config_block()
  local doc = nginx.read_file(nginx.root .. "/docs/OPENRESTY.md")
  if not doc then return nil, "docs/OPENRESTY.md is missing" end
  for body in doc:gmatch("\n```nginx\n(.-)\n```") do
    if body:find("events", 1, true) and body:find("server", 1, true) then return body end
  end
  return nil, "docs/OPENRESTY.md has no complete nginx configuration (events, http, server)"
end

describe("docs/OPENRESTY.md configuration", function()
  it("names every TWILIO_* variable twilio.new reads in an env line", function()
    local conf = assert(config_block())
    for _, name in ipairs{ "TWILIO_ACCOUNT_SID", "TWILIO_AUTH_TOKEN", "TWILIO_API_KEY", "TWILIO_API_SECRET",
                           "TWILIO_BASE_URL", "TWILIO_REGION", "TWILIO_EDGE" } do
      assert.matches("\nenv " .. name .. ";", conf, 1, true)
    end
  end)

  it("starts as pasted and lists the emulator's numbers", function()
    local conf = assert(config_block())
    local ok, why = nginx.available()
    if not ok then pending(why) return end
    if not (EMU and SID and TOKEN) then pending("the emulator is not running (tests/run starts it)") return end
    -- three numbers in the account
    local cjson = require "cjson"
    local status, text = nginx.request_url{ url = EMU .. "/_emulator/seed", method = "POST",
      headers = { ["Content-Type"] = "application/json" },
      body = cjson.encode{ account_sid = SID, count = 3 } }
    assert.equal(200, status, text)
    local n_sub
    conf, n_sub = conf:gsub("/usr/local/share/lua/5%.1/", nginx.root .. "/lua/")
    assert.equal(2, n_sub)
    conf, n_sub = conf:gsub("/usr/local/lib/lua/5%.1/", nginx.root .. "/build/jit/")
    assert.equal(1, n_sub)
    conf, n_sub = conf:gsub("listen 127%.0%.0%.1:8080;", "listen 127.0.0.1:${PORT};")
    assert.equal(1, n_sub)
    local srv = assert(nginx.start{ name = "openresty-doc", conf = conf,
      env = { TWILIO_ACCOUNT_SID = SID, TWILIO_AUTH_TOKEN = TOKEN, TWILIO_BASE_URL = EMU },
      unset = { "TWILIO_API_KEY", "TWILIO_API_SECRET", "TWILIO_REGION", "TWILIO_EDGE" } })
    local st, body = srv:request{ path = "/numbers" }
    local log = srv:error_log()
    srv:stop()
    assert.equal(200, st, tostring(body) .. log:sub(-800))
    local lines = {}
    for l in body:gmatch("[^\n]+") do lines[#lines + 1] = l end
    assert.is_true(#lines >= 3, body)
    for _, l in ipairs(lines) do assert.matches("^%+%d+$", l) end
  end)
end)
