-- spec helper: the emulator every end-to-end spec talks to.
-- tests/run starts one and exports TWILIO_EMULATOR_*; when a spec file runs
-- alone (busted spec/e2e/x_spec.lua) this helper starts one itself.
local cjson = require "cjson"

local _M = {}

local env = {}
local started_here = false

local function root()
  local r = os.getenv("TWILIO_NUMBERS_ROOT")
  if r then return r end
  local src = debug.getinfo(1, "S").source:sub(2)
  return (src:match("^(.*)/spec/helpers/[^/]*$") or ".")
end

local function getenv(name) return env[name] or os.getenv(name) end
_M.getenv = getenv

function _M.ensure()
  if getenv("TWILIO_EMULATOR_URL") then return true end
  local dir = root() .. "/build/emulator-spec"
  local p = assert(io.popen(root() .. "/bin/twilio-emulator start --dir " .. dir .. " --env 2>/dev/null"))
  local out = p:read("*a")
  p:close()
  for k, v in out:gmatch("export ([%w_]+)=['\"]?([^'\"\n]*)['\"]?") do env[k] = v end
  if not env.TWILIO_EMULATOR_URL then error("could not start the emulator: " .. out) end
  started_here = dir
  return true
end

function _M.stop_if_started()
  if started_here then
    os.execute(root() .. "/bin/twilio-emulator stop --dir " .. started_here .. " >/dev/null 2>&1")
    started_here = false
    env = {}
  end
end

function _M.url() _M.ensure(); return getenv("TWILIO_EMULATOR_URL") end
function _M.account_sid() _M.ensure(); return getenv("TWILIO_EMULATOR_ACCOUNT_SID") end
function _M.auth_token() _M.ensure(); return getenv("TWILIO_EMULATOR_AUTH_TOKEN") end
function _M.sub_sid() _M.ensure(); return getenv("TWILIO_EMULATOR_SUBACCOUNT_SID") end
function _M.sub_token() _M.ensure(); return getenv("TWILIO_EMULATOR_SUBACCOUNT_TOKEN") end
function _M.api_key() _M.ensure(); return getenv("TWILIO_EMULATOR_API_KEY") end
function _M.api_secret() _M.ensure(); return getenv("TWILIO_EMULATOR_API_SECRET") end

-- Control API calls go through luasocket, not through the library under test.
local function control(method, path, body)
  local http = require "socket.http"
  local ltn12 = require "ltn12"
  http.TIMEOUT = 30
  local chunks = {}
  local payload = body and cjson.encode(body) or nil
  local ok, status = http.request{
    url = _M.url() .. "/_emulator/" .. path, method = method,
    headers = payload and { ["content-type"] = "application/json", ["content-length"] = #payload } or nil,
    source = payload and ltn12.source.string(payload) or nil,
    sink = ltn12.sink.table(chunks),
  }
  if not ok then error("emulator control " .. method .. " " .. path .. ": " .. tostring(status)) end
  local text = table.concat(chunks)
  if status >= 300 then error("emulator control " .. method .. " " .. path .. ": HTTP " .. status .. " " .. text) end
  if text == "" then return nil end
  local okj, v = pcall(cjson.decode, text)
  return okj and v or text
end
_M.control = control

function _M.reset() return control("POST", "reset") end
function _M.fault(f) return control("POST", "faults", f) end
function _M.clear_faults() return control("DELETE", "faults") end
function _M.log() return control("GET", "log") end
function _M.clear_log() return control("DELETE", "log") end
function _M.stats() return control("GET", "stats") end
function _M.seed(account_sid, count) return control("POST", "seed", { account_sid = account_sid, count = count }) end
function _M.config(c) return control("POST", "config", c) end

-- API requests the emulator saw (control requests are not logged), optionally
-- only those whose path matches a Lua pattern.
function _M.requests(pattern)
  local out = {}
  for _, e in ipairs(_M.log() or {}) do
    if not pattern or (e.path or ""):find(pattern) then out[#out + 1] = e end
  end
  return out
end

-- How many purchases (POST to an IncomingPhoneNumbers list) the emulator
-- saw since its log was cleared, refused ones included.
function _M.purchase_posts()
  local n = 0
  for _, e in ipairs(_M.requests("IncomingPhoneNumbers%.json$")) do
    if e.method == "POST" then n = n + 1 end
  end
  return n
end

-- A client of the library under test, pointed at the emulator.
function _M.client(opts)
  local twilio = require "twilio"
  local o = { base_url = _M.url(), account_sid = _M.account_sid(), auth_token = _M.auth_token(), retries = 0 }
  for k, v in pairs(opts or {}) do o[k] = v end
  return assert(twilio.new(o))
end

-- Inside a describe: the emulator up for the block, and before each test
-- a reset emulator seeded with n numbers on the main account and a client
-- of it; after each, the faults cleared and the client closed. Returns a
-- table whose client and numbers (its incoming_phone_numbers) are set
-- before each test.
function _M.seeded(n)
  local busted = require "busted"      -- the hooks of the describe being defined
  local t = {}
  busted.setup(function() _M.ensure() end)
  busted.teardown(function() _M.stop_if_started() end)
  busted.before_each(function()
    _M.reset()
    _M.seed(_M.account_sid(), n)
    t.client = _M.client()
    t.numbers = t.client.incoming_phone_numbers
  end)
  busted.after_each(function()
    _M.clear_faults()
    t.client:close()
  end)
  return t
end

-- Buy `n` local numbers in `area` (default 415) through the library.
function _M.buy(numbers_list, n, area)
  local client = numbers_list.client
  local found = assert(client:account(numbers_list.path.account_sid).available_phone_numbers
    :search("US", "local", { area_code = area or 415, limit = n }))
  assert(#found >= n, "emulator inventory too small")
  local bought = {}
  for i = 1, n do bought[i] = assert(found[i]:buy{}) end
  return bought
end

return _M
