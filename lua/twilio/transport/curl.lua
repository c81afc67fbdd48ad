-- twilio.transport.curl -- the blocking libcurl transport (core.curl_new).
--
--   local T = require "twilio.transport.curl"
--   local t = T.new{ ca_file = nil, timeout_ms = 30000, connect_timeout_ms = 10000,
--                    max_body = 32 MiB, verbose = false, all_headers = false }
--   local res, terr = t:request(req)   -- req from cfg:build(); fields not given
--                                      -- take the transport's defaults
--   t:close()
--
-- res  = { status=, headers = { [lower-case name] = value }, body = "", new_connections=, total_time= }
-- terr = twilio.Error{ kind = "timeout"|"transport"|"decode", message=, sent=bool, status=, curl_code= }
--
-- res.headers holds only the headers the library and its callers read:
-- content-type, content-length, retry-after, location, www-authenticate,
-- twilio-request-id (each when the server sent it; the last one wins).
-- T.new{ all_headers = true } keeps every header. req.fresh_connect = true
-- sends the request on a new connection (never a pooled one).
-- req.body_object = true (list pages): a 2xx body comes back as a
-- twilio.Body userdata instead of a string: the handle writes the answer
-- straight into a Body sized from the last one (#body, tostring(body) for
-- the text); core.parse_page reads it in place, and the page's records keep
-- it. Other answers keep a string body.
--
-- One easy handle per transport, reused, so connections are kept alive from
-- one request to the next. It blocks: use it outside nginx request phases
-- (twilio.runtime chooses; a client keeps one of these, its only handle cache). Proxies come from libcurl's standard
-- environment variables (http_proxy, HTTPS_PROXY, NO_PROXY, ...).
local core = require "twilio.core"
local defaults = require "twilio.defaults"

local type = type
local error = error
local pairs = pairs
local setmetatable = setmetatable
local math_type = math.type
local math_floor = math.floor

local _M = { _VERSION = core._VERSION, name = "curl" }
local mt = { __index = _M }

local DEFAULTS = {   -- from twilio.defaults, the one place that sets them
  timeout_ms = defaults.timeout_ms,
  connect_timeout_ms = defaults.connect_timeout_ms,
  max_body = defaults.max_body,
}

local function positive_integer(v)
  if type(v) ~= "number" or v < 1 then return false end
  if math_type then return math_type(v) == "integer" or v == math_floor(v) end
  return v == math_floor(v)
end

function _M.new(opts)
  if opts ~= nil and type(opts) ~= "table" then
    error("twilio.transport.curl.new: options table expected", 2)
  end
  opts = opts or {}
  local self = { ca_file = opts.ca_file, verbose = opts.verbose and true or false,
                 all_headers = opts.all_headers and true or false }
  for k, def in pairs(DEFAULTS) do
    local v = opts[k]
    if v == nil then
      v = def
    elseif not positive_integer(v) then
      error("twilio.transport.curl.new: " .. k .. " must be a positive integer", 2)
    end
    self[k] = v
  end
  if self.ca_file ~= nil and type(self.ca_file) ~= "string" then
    error("twilio.transport.curl.new: ca_file must be a string", 2)
  end
  -- the handle applies the defaults to requests that do not set them
  self.handle = core.curl_new{ ca_file = self.ca_file, verbose = self.verbose,
                               all_headers = self.all_headers, timeout_ms = self.timeout_ms,
                               connect_timeout_ms = self.connect_timeout_ms, max_body = self.max_body }
  return setmetatable(self, mt)
end

-- Performs req (method, url, headers, body, and optionally timeout_ms,
-- connect_timeout_ms, max_body, fresh_connect). req itself is not modified.
function _M.request(self, req)
  local h = self.handle
  if not h then
    error("twilio.transport.curl: transport is closed", 2)
  end
  if type(req) ~= "table" then
    error("twilio.transport.curl: request table expected", 2)
  end
  return h:perform(req)
end

-- Idempotent.
function _M.close(self)
  local h = self.handle
  if h then
    self.handle = nil
    h:close()
  end
  return true
end

return _M
