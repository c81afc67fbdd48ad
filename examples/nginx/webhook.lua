-- examples/nginx/webhook.lua -- the endpoints Twilio calls when one of your
-- numbers rings or gets a message: the signature is checked in the access
-- phase (twilio.webhook.ngx), then the content phase answers TwiML.
--
--   location /twilio/ {
--       access_by_lua_block  { require("webhook").access() }   -- 403 + one log line if forged
--       content_by_lua_block { require("webhook").answer() }   -- TwiML
--   }
--   POST|GET /twilio/voice  -> <Response><Say>...</Say></Response>
--   POST|GET /twilio/sms    -> <Response><Message>...</Message></Response>
--   anything else under /twilio/ (e.g. a status callback) -> 204 after validation
--
-- Configuration (nginx `env` directives, see examples/nginx/nginx.conf):
--   TWILIO_WEBHOOK_PUBLIC_URL      scheme://host[:port] Twilio calls (REQUIRED): the public
--                                  endpoint, e.g. https://hooks.example.com -- not what nginx sees
--   TWILIO_AUTH_TOKEN              the account's auth token
--   TWILIO_WEBHOOK_EXTRA_TOKENS    optional, comma-separated: a secondary token during rotation,
--                                  subaccounts' tokens for the numbers they own
--   TWILIO_WEBHOOK_TRUSTED_PROXIES optional, comma-separated addresses / IPv4 CIDRs allowed to set
--                                  X-Forwarded-Proto/Host/Port (your load balancer)
--   TWILIO_WEBHOOK_PORT_VARIANTS   "off": accept only the URL exactly as configured
-- luacheck: globals ngx
local ngx = ngx

local _M = {}

local function list(name)
  local out = {}
  for item in (os.getenv(name) or ""):gmatch("[^,%s]+") do out[#out + 1] = item end
  return out
end

local guard
local function get_guard()
  if guard then return guard end
  local tokens = { os.getenv("TWILIO_AUTH_TOKEN") }
  for _, t in ipairs(list("TWILIO_WEBHOOK_EXTRA_TOKENS")) do tokens[#tokens + 1] = t end
  local proxies = list("TWILIO_WEBHOOK_TRUSTED_PROXIES")
  guard = require("twilio.webhook.ngx").new{
    public_url = os.getenv("TWILIO_WEBHOOK_PUBLIC_URL"),
    tokens = tokens,
    trusted_proxies = #proxies > 0 and proxies or nil,
    port_variants = os.getenv("TWILIO_WEBHOOK_PORT_VARIANTS") ~= "off",
  }
  return guard
end

function _M.access()
  return get_guard():check()
end

local XML_ESC = { ["&"] = "&amp;", ["<"] = "&lt;", [">"] = "&gt;", ['"'] = "&quot;", ["'"] = "&apos;" }
local function xml(s)
  return (tostring(s or ""):gsub("[&<>\"']", XML_ESC))
end

local function twiml(inner)
  local body = '<?xml version="1.0" encoding="UTF-8"?>\n<Response>' .. inner .. "</Response>\n"
  ngx.header.content_type = "text/xml"
  ngx.header.content_length = #body
  ngx.print(body)
  return ngx.exit(ngx.HTTP_OK)
end

function _M.answer()
  local w = ngx.ctx.twilio_webhook          -- set by access(): validated parameters
  local p = w.params
  if type(p.From) == "table" then p.From = p.From[1] end
  local what = ngx.var.uri:match("^/twilio/(%w+)$")
  if what == "voice" then
    return twiml("<Say>Hello from twilio-numbers. Your call " .. xml(p.CallSid) .. " from " ..
                 xml(p.From) .. " was verified.</Say>")
  elseif what == "sms" then
    return twiml("<Message>Got your message: " .. xml(p.Body) .. "</Message>")
  end
  return ngx.exit(ngx.HTTP_NO_CONTENT)
end

return _M
