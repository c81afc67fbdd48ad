-- spec/helpers/http.lua: a tiny HTTP client for the emulator specs, on
-- luasocket (socket.http + ltn12), plus access to the emulator under test.
--
--   local http = require "helpers.http"
--   local res, err = http.request{ method = "POST", url = ..., body = "A=b",
--                                  headers = {...}, user = sid, password = token,
--                                  timeout = 10, max_body = nil }
--   -- res = { status =, headers = { [lower-case name] = value }, body =, bytes = }
--   -- nil, err, partial_body on a dropped/truncated connection or a timeout.
--
--   local emu = http.emulator()   -- { url=, account_sid=, auth_token=, ... }
--   http.emulator_stop()          -- stops it only when this helper started it
local socket = require "socket"
local shttp = require "socket.http"
local ltn12 = require "ltn12"
local mime = require "mime"
local cjson = require "cjson"

local concat, pairs, tostring = table.concat, pairs, tostring

local _M = {}

local function b64(s)
  return (mime.b64(s))
end

function _M.request(o)
  local chunks, bytes, max_body = {}, 0, o.max_body
  local function sink(chunk)
    if chunk then
      bytes = bytes + #chunk
      if not max_body or bytes <= max_body then chunks[#chunks + 1] = chunk end
    end
    return 1
  end
  local headers = {}
  for k, v in pairs(o.headers or {}) do headers[k:lower()] = v end
  if o.user then headers.authorization = "Basic " .. b64(o.user .. ":" .. (o.password or "")) end
  local source
  if o.body then
    headers["content-length"] = tostring(#o.body)
    headers["content-type"] = headers["content-type"] or "application/x-www-form-urlencoded"
    source = ltn12.source.string(o.body)
  end
  shttp.TIMEOUT = o.timeout or 10
  local ok, status, rh = shttp.request{
    url = o.url, method = o.method or "GET", headers = headers, source = source, sink = sink,
    redirect = false,
    create = function() return socket.tcp() end,
  }
  if not ok then return nil, tostring(status), concat(chunks) end
  return { status = status, headers = rh or {}, body = concat(chunks), bytes = bytes }
end

-- x-www-form-urlencoded / query encoding of { {name, value}, ... } or { name = value }.
local function enc(s)
  return (tostring(s):gsub("[^%w%-%._~]", function(c) return string.format("%%%02X", c:byte()) end))
end
_M.urlencode = enc

function _M.form(t)
  local out = {}
  if t[1] then
    for _, p in ipairs(t) do out[#out + 1] = enc(p[1]) .. "=" .. enc(p[2]) end
  else
    local keys = {}
    for k in pairs(t) do keys[#keys + 1] = k end
    table.sort(keys)
    for _, k in ipairs(keys) do out[#out + 1] = enc(k) .. "=" .. enc(t[k]) end
  end
  return concat(out, "&")
end

function _M.json(s)
  local ok, v = pcall(cjson.decode, s)
  if ok then return v end
  return nil, v
end
_M.null = cjson.null

-- The emulator ------------------------------------------------------------------

local env, started_dir

local function root()
  local r = os.getenv("TWILIO_NUMBERS_ROOT")
  if r then return r end
  local src = debug.getinfo(1, "S").source:sub(2)
  return src:match("^(.*)/spec/helpers/[^/]*$") or "."
end

local NAMES = {
  url = "TWILIO_EMULATOR_URL", account_sid = "TWILIO_EMULATOR_ACCOUNT_SID",
  auth_token = "TWILIO_EMULATOR_AUTH_TOKEN", sub_sid = "TWILIO_EMULATOR_SUBACCOUNT_SID",
  sub_token = "TWILIO_EMULATOR_SUBACCOUNT_TOKEN", api_key = "TWILIO_EMULATOR_API_KEY",
  api_secret = "TWILIO_EMULATOR_API_SECRET",
}

-- Returns the emulator's URL and credentials; starts one (build/emulator-spec)
-- when TWILIO_EMULATOR_URL is not set.
function _M.emulator()
  if env then return env end
  local e = {}
  if os.getenv("TWILIO_EMULATOR_URL") then
    for k, name in pairs(NAMES) do e[k] = os.getenv(name) end
  else
    local dir = root() .. "/build/emulator-spec"
    local p = assert(io.popen(root() .. "/bin/twilio-emulator start --dir '" .. dir .. "' --env"))
    local out = p:read("*a")
    p:close()
    local vars = {}
    for k, v in out:gmatch("export ([%w_]+)=([^\n]*)") do vars[k] = v end
    for k, name in pairs(NAMES) do e[k] = vars[name] end
    assert(e.url, "could not start the emulator: " .. out)
    started_dir = dir
  end
  -- the second subaccount comes from the control API
  local res = assert(_M.request{ url = e.url .. "/_emulator/info" })
  local info = assert(_M.json(res.body))
  e.sub2_sid, e.sub2_token = info.subaccounts[2].sid, info.subaccounts[2].auth_token
  e.info = info
  env = e
  return e
end

function _M.emulator_stop()
  if started_dir then
    os.execute(root() .. "/bin/twilio-emulator stop --dir '" .. started_dir .. "' >/dev/null 2>&1")
    started_dir = nil
  end
  env = nil
end

-- Control API: returns status, decoded JSON (or text).
function _M.control(method, what, body)
  local e = _M.emulator()
  local res, err = _M.request{ method = method, url = e.url .. "/_emulator/" .. what,
                               body = body and cjson.encode(body) or nil,
                               headers = body and { ["content-type"] = "application/json" } or nil }
  assert(res, err)
  return res.status, _M.json(res.body) or res.body
end

function _M.reset() return _M.control("POST", "reset") end
function _M.fault(f)
  local status, v = _M.control("POST", "faults", f)
  assert(status == 201, "fault not accepted: " .. tostring(status) .. " " .. cjson.encode(v))
  return v
end

-- API call as the main account (or o.user/o.password):
--   http.api{ method=, path = "/IncomingPhoneNumbers.json" (after the account) or full = "/2010-...",
--             query = {...}, form = {...}, account = sid }
function _M.api(o)
  local e = _M.emulator()
  local acct = o.account or e.account_sid
  local path = o.full or ("/2010-04-01/Accounts/" .. acct .. o.path)
  if o.query then path = path .. "?" .. _M.form(o.query) end
  local res, err, partial = _M.request{
    method = o.method or ((o.form or o.body) and "POST" or "GET"), url = e.url .. path,
    body = o.form and _M.form(o.form) or o.body, headers = o.headers,
    user = o.user == nil and e.account_sid or (o.user or nil),
    password = o.password == nil and e.auth_token or (o.password or nil),
    timeout = o.timeout, max_body = o.max_body,
  }
  if res and res.body ~= "" and (res.headers["content-type"] or ""):find("json") then
    res.json = _M.json(res.body)
  end
  return res, err, partial
end

return _M
