-- End to end inside nginx: require "twilio" in content_by_lua, the cosocket
-- transport picked automatically, against the project emulator
-- (TWILIO_EMULATOR_URL, started by tests/run); then the example admin
-- endpoint (examples/nginx) started from its own nginx.conf.
-- Pending when the facade (lua/twilio.lua) or the emulator is missing.
local nginx = require "helpers.nginx"
local cjson = require "cjson"

local EMU = os.getenv("TWILIO_EMULATOR_URL")
local SID = os.getenv("TWILIO_EMULATOR_ACCOUNT_SID")
local TOKEN = os.getenv("TWILIO_EMULATOR_AUTH_TOKEN")

local function facade_present()
  local f = io.open(nginx.root .. "/lua/twilio.lua")
  if f then f:close() return true end
  return false
end

local missing
if not facade_present() then
  missing = "lua/twilio.lua (the facade) is missing"
elseif not (EMU and SID and TOKEN) then
  missing = "the emulator is not running (TWILIO_EMULATOR_URL etc. unset; tests/run starts it)"
end

local function emulator(path, body)
  local status, text = nginx.request_url{ url = EMU .. path, method = "POST", body = body or "" }
  assert(status and status < 300, "emulator " .. path .. ": " .. tostring(status) .. " " .. tostring(text))
  return text
end

local EMU_ENV = "env TWILIO_EMULATOR_URL;\nenv TWILIO_EMULATOR_ACCOUNT_SID;\nenv TWILIO_EMULATOR_AUTH_TOKEN;\n"

local function start_admin(secret)
  local conf = assert(nginx.read_file(nginx.root .. "/examples/nginx/nginx.conf"))
  conf = conf:gsub("/opt/twilio%-numbers", nginx.root)
             :gsub("listen 127%.0%.0%.1:8080;", "listen 127.0.0.1:${PORT};")
             :gsub("worker_processes %d+;", "worker_processes 1;")
  return nginx.start{ name = "admin", conf = conf, env = {
    TWILIO_ACCOUNT_SID = SID or ("AC" .. string.rep("0", 32)), TWILIO_AUTH_TOKEN = TOKEN or "unused",
    TWILIO_BASE_URL = EMU or "http://127.0.0.1:9", TWILIO_ADMIN_SECRET = secret },
    unset = { "TWILIO_API_KEY", "TWILIO_API_SECRET" } }
end

describe("examples/nginx starts from its nginx.conf", function()
  local srv, why
  local SECRET = "test-admin-secret-0123456789"
  setup(function() srv, why = start_admin(SECRET) end)
  teardown(function() if srv then srv:stop() end end)

  it("refuses requests without the right secret (constant-time check)", function()
    assert(srv, "example nginx did not start: " .. tostring(why))
    assert.equal(401, (srv:request{ path = "/admin/numbers" }))
    assert.equal(401, (srv:request{ path = "/admin/numbers", headers = { ["X-Admin-Secret"] = "wrong" } }))
    assert.equal(401, (srv:request{ path = "/admin/numbers",
                                    headers = { ["X-Admin-Secret"] = SECRET .. "x" } }))
    assert.equal(401, (srv:request{ path = "/admin/numbers",
                                    headers = { ["X-Admin-Secret"] = SECRET:sub(1, -2) } }))
    assert.equal(404, (srv:request{ path = "/elsewhere" }))
  end)
end)

if missing then
  describe("twilio in nginx, end to end", function()
    pending("skipped: " .. missing)
  end)
  return
end

describe("twilio in nginx, end to end (emulator)", function()
  local srv, why

  setup(function()
    srv, why = nginx.start{
      name = "e2e",
      main = EMU_ENV,
      http = "  lua_shared_dict twtest 1m;",
      server = [[
    location = /e2e/flow { content_by_lua_block { require("helpers.ngx_e2e").flow() } }
    location = /e2e/slow_list { content_by_lua_block { require("helpers.ngx_e2e").slow_list() } }
    location = /e2e/timeout { content_by_lua_block { require("helpers.ngx_e2e").timeout() } }
    location = /e2e/bulk { content_by_lua_block { require("helpers.ngx_e2e").bulk() } }
    location = /e2e/retry_429 { content_by_lua_block { require("helpers.ngx_e2e").retry_429() } }
    location = /e2e/log_phase {
      content_by_lua_block { ngx.say("ok") }
      log_by_lua_block { require("helpers.ngx_e2e").log_phase() }
    }
    location = /e2e/get { content_by_lua_block { ngx.print(ngx.shared.twtest:get(ngx.var.arg_k) or "{}") } }
    location = /plain { return 200 "plain"; }
]],
    }
  end)
  teardown(function()
    if srv then srv:stop() end
  end)
  before_each(function()
    assert(srv, "test nginx did not start: " .. tostring(why))
    emulator("/_emulator/reset")
  end)

  it("creates, lists across pages, fetches, updates and releases numbers", function()
    local r = srv:json{ path = "/e2e/flow", timeout = 30 }
    assert.is_nil(r.raised)
    assert.equal("ngx", r.transport)
    assert.is_nil(r.create_err)
    assert.equal(3, #r.created)
    for _, n in ipairs(r.created) do
      assert.truthy(n.sid:match("^PN%x+$"))
      assert.truthy(n.phone_number:match("^%+1415"))
    end
    assert.equal(3, #r.listed)
    assert.equal(3, r.each_count)
    assert.equal(r.created[1].phone_number, r.fetched)
    assert.equal("updated via nginx", r.updated_in_place)
    assert.same({ friendly_name = "updated via nginx", voice_url = "https://example.com/voice" }, r.refetched)
    assert.is_true(r.released)
    assert.equal("api", r.fetch_released.kind)
    assert.equal(404, r.fetch_released.status)
    assert.equal(2, r.after_release)
    assert.equal("api", r.not_found.kind)
    assert.equal(404, r.not_found.status)
    assert.is_true(r.not_found.is_error)
    -- an unknown update field never reaches the wire: raised, or an "invalid" error
    if not r.misuse.raised then
      assert.equal("invalid", r.misuse.returned.kind)
    end
  end)

  it("bulk updates run in parallel on ngx.thread workers", function()
    emulator("/_emulator/seed", cjson.encode{ account_sid = os.getenv("TWILIO_EMULATOR_ACCOUNT_SID"), count = 16 })
    emulator("/_emulator/config", cjson.encode{ latency_ms = 100 })
    local r = srv:json{ path = "/e2e/bulk", timeout = 30 }
    emulator("/_emulator/config", cjson.encode{ latency_ms = 0 })
    assert.is_nil(r.raised)
    assert.equal(16, r.count)
    assert.equal(16, r.ok)
    assert.equal(16, r.progress)
    assert.equal(404, r.bad_status)
    -- 16 updates of 100 ms at concurrency 8 (plus one list): well under 1.6 s
    assert.is_true(r.elapsed < 0.9, "bulk took " .. r.elapsed .. " s")
  end)

  -- Starts GET `path` on its own connection, waits `settle` seconds, times a
  -- GET /plain on the same single-worker nginx, then reads the first answer.
  -- Returns the /plain status, its milliseconds, and the first answer decoded.
  local function plain_during(path, settle)
    local socket = require "socket"
    local a = assert(socket.tcp())
    a:settimeout(15)
    assert(a:connect("127.0.0.1", srv.port))
    assert(a:send("GET " .. path .. " HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"))
    socket.sleep(settle)
    local t0 = socket.gettime()
    local status = srv:request{ path = "/plain", timeout = 5 }
    local ms = (socket.gettime() - t0) * 1000
    local raw = a:receive("*a")
    a:close()
    return status, ms, cjson.decode(raw:match("\r\n\r\n(.*)$"))
  end

  it("keeps the worker responsive while the emulator delays a list by 2 s", function()
    emulator("/_emulator/faults", cjson.encode{ fault = "delay", delay_ms = 2000,
                                                path = "IncomingPhoneNumbers", count = 1 })
    local status, ms, r = plain_during("/e2e/slow_list", 0.2)
    assert.equal(200, status)
    io.stderr:write(string.format("\n[nginx e2e] GET /plain during a 2 s delayed list: %.1f ms\n", ms))
    assert.is_true(ms < 200, "took " .. ms .. " ms")
    assert.is_nil(r.raised)
    assert.is_nil(r.err)
    assert.is_true(r.elapsed_ms >= 1900)
  end)

  it("a retry after 429 sleeps with ngx.sleep: the worker keeps serving meanwhile", function()
    emulator("/_emulator/faults", cjson.encode{ fault = "status", status = 429, body_type = "json",
                                                retry_after = "1", path = "IncomingPhoneNumbers", count = 1 })
    local status, ms, r = plain_during("/e2e/retry_429", 0.3)
    assert.equal(200, status)
    assert.is_true(ms < 200, "GET /plain took " .. ms .. " ms during the retry wait")
    assert.is_nil(r.raised)
    assert.is_nil(r.err)
    assert.is_true(r.elapsed_ms >= 900, "waited " .. tostring(r.elapsed_ms) .. " ms")
  end)

  it("a slow emulator gives a timeout error object", function()
    emulator("/_emulator/faults", cjson.encode{ fault = "delay", delay_ms = 2000,
                                                path = "IncomingPhoneNumbers", count = 1 })
    local r = srv:json{ path = "/e2e/timeout", timeout = 10 }
    assert.is_nil(r.raised)
    assert.equal("timeout", r.err.kind)
    assert.is_true(r.err.is_error)
  end)

  it("refuses the log phase with an error object (nothing sent)", function()
    assert.equal(200, (srv:request{ path = "/e2e/log_phase" }))
    nginx.sleep(0.2)
    local r = srv:json{ path = "/e2e/get?k=log_phase" }
    assert.is_true(r.ok)
    assert.equal("invalid", r.err.kind)
    assert.truthy(r.err.message:find("phase 'log'", 1, true))
  end)
end)

describe("examples/nginx admin endpoint (emulator)", function()
  local srv, why
  local SECRET = "test-admin-secret-0123456789"

  setup(function()
    srv, why = start_admin(SECRET)
  end)
  teardown(function()
    if srv then srv:stop() end
  end)
  before_each(function()
    assert(srv, "example nginx did not start: " .. tostring(why))
    emulator("/_emulator/reset")
  end)

  it("lists and updates numbers", function()
    local h = { ["X-Admin-Secret"] = SECRET }
    -- the admin endpoint does not buy numbers: buy two with the module directly
    local twilio = require "twilio"
    local c = assert(twilio.new{ base_url = EMU, account_sid = SID, auth_token = TOKEN })
    local n1 = assert(c.incoming_phone_numbers:create{ area_code = "212" })
    assert(c.incoming_phone_numbers:create{ area_code = "212" })
    local r, status = srv:json{ path = "/admin/numbers?page_size=1", headers = h }
    assert.equal(200, status)
    assert.equal(2, r.count)
    r, status = srv:json{ method = "POST", path = "/admin/numbers/" .. n1.sid, headers = h,
                          body = cjson.encode{ friendly_name = "Front desk" } }
    assert.equal(200, status)
    assert.equal("Front desk", r.number.friendly_name)
    assert.equal("Front desk", assert(c.incoming_phone_numbers:fetch(n1.sid)).friendly_name)
    r, status = srv:json{ method = "POST", path = "/admin/numbers/" .. n1.sid, headers = h,
                          body = cjson.encode{ account_sid = "AC" } }
    assert.equal(400, status)
    assert.equal("invalid", r.error.kind)
    r, status = srv:json{ method = "POST", path = "/admin/numbers/PN" .. string.rep("0", 32), headers = h,
                          body = cjson.encode{ friendly_name = "x" } }
    assert.equal(404, status)
    assert.equal("api", r.error.kind)
  end)
end)
