-- examples/nginx/admin.lua -- a small admin endpoint for the account's phone
-- numbers, inside nginx, non-blocking (the twilio module picks the cosocket
-- transport in content_by_lua). See examples/nginx/nginx.conf.
--
--   GET  /admin/numbers[?page_size=N&limit=N&phone_number=+1415...]
--        -> 200 { "numbers": [ { sid, phone_number, friendly_name, voice_url, ... } ] }
--   POST /admin/numbers/PN...   body: JSON { "friendly_name": "...", "voice_url": "...", ... }
--        -> 200 { "number": { ... } }
--
-- Every request needs the header  X-Admin-Secret: <TWILIO_ADMIN_SECRET>.
-- Credentials and the secret come from the environment (nginx `env`
-- directives): TWILIO_ACCOUNT_SID, TWILIO_AUTH_TOKEN (or TWILIO_API_KEY +
-- TWILIO_API_SECRET), optional TWILIO_BASE_URL, and TWILIO_ADMIN_SECRET.
-- luacheck: globals ngx
local ngx = ngx
local cjson = require "cjson.safe"
local bit = require "bit"

local byte, concat = string.byte, table.concat
local bor, bxor = bit.bor, bit.bxor

local _M = {}

local SECRET = os.getenv("TWILIO_ADMIN_SECRET")

-- Fields an admin may change (anything else is refused with 400 before any
-- request is built).
local UPDATABLE = {
  friendly_name = true, voice_url = true, voice_method = true, voice_fallback_url = true,
  voice_fallback_method = true, status_callback = true, status_callback_method = true,
  sms_url = true, sms_method = true, sms_fallback_url = true, sms_fallback_method = true,
  voice_caller_id_lookup = true, voice_application_sid = true, sms_application_sid = true,
}
local SHOWN = { "sid", "phone_number", "friendly_name", "status", "voice_url", "voice_method",
                "sms_url", "sms_method", "status_callback", "date_updated" }

-- A random per-worker key: the secret check compares HMACs under it, so its
-- time depends neither on where the values differ nor on their lengths.
local KEY
local function key()
  if not KEY then
    local seed = { tostring(ngx.now()), tostring(ngx.worker.pid()), tostring({}), tostring(math.random()) }
    local f = io.open("/dev/urandom", "rb")
    if f then seed[#seed + 1] = f:read(32) or "" f:close() end
    KEY = ngx.sha1_bin(concat(seed))
  end
  return KEY
end

local function equal_ct(a, b)
  local x, y = ngx.hmac_sha1(key(), a), ngx.hmac_sha1(key(), b)
  local diff = 0
  for i = 1, #x do diff = bor(diff, bxor(byte(x, i), byte(y, i))) end
  return diff == 0
end

local function reply(status, t)
  local body = cjson.encode(t)
  ngx.status = status
  ngx.header.content_type = "application/json"
  ngx.header.cache_control = "no-store"
  ngx.header.content_length = #body + 1
  ngx.say(body)
  return ngx.exit(ngx.HTTP_OK)
end

local function fail(err)
  -- twilio.Error -> an HTTP status for the admin's caller
  local kind, status = err.kind, 502
  if kind == "invalid" then
    status = 400
  elseif kind == "timeout" then
    status = 504
  elseif kind == "api" and (err.status == 404 or err.status == 400) then
    status = err.status
  end
  return reply(status, { error = { kind = kind, status = err.status, code = err.code,
                                   message = err.message, more_info = err.more_info } })
end

local function env(name)
  local v = os.getenv(name)
  if v == "" then return nil end
  return v
end

local client -- one per worker; it holds configuration only (connections are nginx's)
local function get_client()
  if client then return client end
  local ok, twilio = pcall(require, "twilio")
  if not ok then return nil, { message = tostring(twilio) } end
  local c, err = twilio.new{
    account_sid = env("TWILIO_ACCOUNT_SID"), auth_token = env("TWILIO_AUTH_TOKEN"),
    api_key = env("TWILIO_API_KEY"), api_secret = env("TWILIO_API_SECRET"),
    base_url = env("TWILIO_BASE_URL"),
  }
  if not c then return nil, err end
  client = c
  return c
end

local function show(n)
  local t = {}
  for _, k in ipairs(SHOWN) do t[k] = n[k] end
  return t
end

local function list_numbers(c)
  local args = ngx.req.get_uri_args(10)
  local params = {
    page_size = tonumber(args.page_size) or 50,
    limit = tonumber(args.limit) or 200,
    phone_number = type(args.phone_number) == "string" and args.phone_number or nil,
    friendly_name = type(args.friendly_name) == "string" and args.friendly_name or nil,
  }
  local ok, numbers, err = pcall(c.incoming_phone_numbers.list, c.incoming_phone_numbers, params)
  if not ok then return fail{ kind = "invalid", message = tostring(numbers) } end
  if not numbers then return fail(err) end
  local out = {}
  for i, n in ipairs(numbers) do out[i] = show(n) end
  return reply(200, { numbers = setmetatable(out, cjson.empty_array_mt), count = #out })
end

local function update_number(c, sid)
  ngx.req.read_body()
  local body = ngx.req.get_body_data()
  local fields = body and cjson.decode(body)
  if type(fields) ~= "table" then return fail{ kind = "invalid", message = "a JSON object body is required" } end
  local n = 0
  for k, v in pairs(fields) do
    if not UPDATABLE[k] then
      return fail{ kind = "invalid", message = "field '" .. tostring(k) .. "' is not updatable" }
    end
    if type(v) ~= "string" and type(v) ~= "boolean" then
      return fail{ kind = "invalid", message = "field '" .. k .. "' must be a string or a boolean" }
    end
    n = n + 1
  end
  if n == 0 then return fail{ kind = "invalid", message = "nothing to update" } end
  local ok, num, err = pcall(c.incoming_phone_numbers.fetch, c.incoming_phone_numbers, sid)
  if not ok then return fail{ kind = "invalid", message = tostring(num) } end
  if not num then return fail(err) end
  local uok, updated, uerr = pcall(num.update, num, fields)
  if not uok then return fail{ kind = "invalid", message = tostring(updated) } end
  if not updated then return fail(uerr) end
  return reply(200, { number = show(num) })
end

function _M.handle()
  if not SECRET or #SECRET < 16 then
    return reply(503, { error = { message = "TWILIO_ADMIN_SECRET is not set (16 characters or more)" } })
  end
  local given = ngx.req.get_headers(50)["x-admin-secret"]
  if type(given) ~= "string" or not equal_ct(given, SECRET) then
    return reply(401, { error = { message = "missing or wrong X-Admin-Secret" } })
  end
  local c, cerr = get_client()
  if not c then return reply(500, { error = { message = "twilio client: " .. tostring(cerr and cerr.message) } }) end
  local method, uri = ngx.req.get_method(), ngx.var.uri
  if uri == "/admin/numbers" or uri == "/admin/numbers/" then
    if method ~= "GET" then return reply(405, { error = { message = "use GET" } }) end
    return list_numbers(c)
  end
  local sid = uri:match("^/admin/numbers/(PN%x+)$")
  if sid and #sid == 34 then
    if method ~= "POST" then return reply(405, { error = { message = "use POST" } }) end
    return update_number(c, sid)
  end
  return reply(404, { error = { message = "not found" } })
end

return _M
