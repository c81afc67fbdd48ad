-- twilio.transport.pick -- choose the transport for one request.
--
--   local t, err = require("twilio.transport.pick").pick(opts.transport)
--
-- opts.transport:
--   an object with a request function  -> that object
--   "curl" / "ngx"                       -> that transport, forced
--   nil                                  -> automatic:
--     outside nginx                                   -> curl
--     nginx phase init (the master, at startup)       -> curl (blocking is harmless there)
--     rewrite, access, content, timer, ssl_cert,
--     ssl_session_fetch, ssl_client_hello             -> ngx (cosockets, non-blocking)
--     any other phase (init_worker, set, log,
--     header_filter, body_filter, balancer, ...)      -> nil, twilio.Error{kind="invalid"}
-- It never silently picks a blocking transport inside an nginx worker.
-- Call it per request: the phase changes from one call to the next.
local type = type
local pcall = pcall
local rawget = rawget
local tostring = tostring
local require = require

local _M = {}

local COSOCKET_PHASES = {
  rewrite = true, access = true, content = true, timer = true,
  ssl_cert = true, ssl_session_fetch = true, ssl_client_hello = true,
}

-- cached transports: one ngx transport per worker (it holds only options;
-- connections live in nginx's pool) and one curl transport per process
-- outside nginx. The curl transport built in nginx's init phase is not
-- cached: it would be inherited by every forked worker.
local cached_ngx, cached_curl

local function new_error(kind, message)
  local ok, core = pcall(require, "twilio.core")
  local e = { kind = kind, message = message }
  if ok and type(core) == "table" and core.new_error then return core.new_error(e) end
  return e
end

local function nginx()
  local ngx = rawget(_G, "ngx")
  if type(ngx) == "table" and type(ngx.get_phase) == "function" then return ngx end
  return nil
end

local function construct(name)
  local ok, mod = pcall(require, "twilio.transport." .. name)
  if not ok then
    return nil, new_error("invalid", "twilio: transport '" .. name .. "' is not available: " .. tostring(mod))
  end
  if type(mod) == "table" and type(mod.new) == "function" then
    local t, err = mod.new()
    if not t then
      return nil, new_error("invalid", "twilio: transport '" .. name .. "' failed to start: " ..
        tostring(type(err) == "table" and err.message or err))
    end
    return t
  end
  if type(mod) == "table" and type(mod.request) == "function" then return mod end
  return nil, new_error("invalid", "twilio: module twilio.transport." .. name .. " is not a transport")
end

local function ngx_transport()
  if not cached_ngx then
    local ngx = rawget(_G, "ngx")
    if type(ngx) ~= "table" or type(ngx.socket) ~= "table" then
      return nil, new_error("invalid", "twilio: transport 'ngx' needs nginx with lua-nginx-module (ngx.socket.tcp)")
    end
    local t, err = construct("ngx")
    if not t then return nil, err end
    cached_ngx = t
  end
  return cached_ngx
end

local function curl_transport(cache)
  if cached_curl then return cached_curl end
  local t, err = construct("curl")
  if not t then return nil, err end
  if cache then cached_curl = t end
  return t
end

local function is_transport(t)
  if type(t) ~= "table" and type(t) ~= "userdata" then return false end
  local ok, f = pcall(function() return t.request end)
  return ok and type(f) == "function"
end

-- The ngx table when running in an nginx phase where cosockets and ngx.sleep
-- may yield, else nil (used by the client to sleep without blocking).
function _M.yieldable_ngx()
  local ngx = nginx()
  if ngx and COSOCKET_PHASES[ngx.get_phase()] then return ngx end
  return nil
end

function _M.pick(choice)
  if choice ~= nil and type(choice) ~= "string" then
    if is_transport(choice) then return choice end
    return nil, new_error("invalid", "twilio: transport must be \"curl\", \"ngx\" or an object with a request function")
  end
  local ngx = nginx()
  if choice == "ngx" then return ngx_transport() end
  if choice == "curl" then
    -- forced: the caller accepts blocking; cached except in the master (init)
    return curl_transport(ngx == nil or ngx.get_phase() ~= "init")
  end
  if choice ~= nil then
    return nil, new_error("invalid", "twilio: unknown transport '" .. choice ..
      "' (use \"curl\", \"ngx\" or an object)")
  end
  if not ngx then return curl_transport(true) end
  local phase = ngx.get_phase()
  if COSOCKET_PHASES[phase] then return ngx_transport() end
  if phase == "init" then return curl_transport(false) end
  return nil, new_error("invalid", "twilio: no non-blocking transport in phase '" .. tostring(phase) ..
    "'; use ngx.timer.at(0, fn) or pass transport=")
end

-- for tests: forget cached transports
function _M._reset()
  cached_ngx, cached_curl = nil, nil
end

return _M
