-- twilio.webhook: check that a request really comes from Twilio (X-Twilio-Signature).
--
--   local webhook = require "twilio.webhook"
--   local ok, err = webhook.validate{
--     token  = "auth token",            -- or tokens = { primary, secondary, subaccount's, ... }
--     url    = "https://example.com/voice?x=1",   -- the URL as Twilio called it (query byte for byte)
--     params = { From = "+1415...", Digits = { "1", "2" } }, -- form parameters, repeats kept
--                                       -- (or an array of { key, value } pairs)
--     body   = raw_body,                -- the raw body, needed when the URL has bodySHA256 (JSON)
--     signature = headers["X-Twilio-Signature"],
--     settings  = headers["X-Twilio-Webhooks-Signature-Settings"],  -- optional (Webhook Rules)
--     shared_keys = { KS... = "secret" } or { "secret" },            -- needed with settings
--     port_variants = true,             -- also accept the URL signed with the port toggled
--   }
--   -> true, { key = index, variant = "received"|"port_added"|"port_stripped", algorithm = "sha1" }
--   -> nil, twilio.Error{ kind = "signature", reason = ..., message = ... }
--
-- reasons: "no_signature" (header absent or empty), "bad_signature" (no key and no URL
-- variant gives it), "body_hash_mismatch" (signature fine, body is not the one signed),
-- "no_body" (bodySHA256 in the URL, no body given), "unsupported_algorithm",
-- "no_shared_key" (a Signature-Settings header, and no shared key configured).
-- The message says which URL variants and how many keys were tried; it never holds
-- a token, a key or the password of a URL's userinfo.
--
-- Misuse (no token, a non-string URL, ...) raises. The algorithm
-- (../shared/docs/PLAYBOOKS-WEBHOOKS.md section 3) is in C: src/tw_webhook.c.
local core = require "twilio.core"
local errors = require "twilio.errors"

local type, ipairs, error, tostring = type, ipairs, error, tostring
local concat, fmt = table.concat, string.format
local char, tonumber = string.char, tonumber

local _M = {}

_M.SIGNATURE_HEADER = "X-Twilio-Signature"
_M.SETTINGS_HEADER = "X-Twilio-Webhooks-Signature-Settings"

local ALG_NAME = { sha1 = "HMAC-SHA1", sha256 = "HMAC-SHA256" }
local VARIANT_TEXT = {
  received = "as received", port_added = "with the port added", port_stripped = "with the port stripped",
}

-- A URL for messages: the password of a userinfo part replaced.
local function shown_url(url)
  return (url:gsub("^(%a[%w+.-]*://[^/?#@]-:)[^/?#@]*@", "%1***@"))
end
_M.shown_url = shown_url

local function percent_decode(s)
  s = s:gsub("+", " ")
  return (s:gsub("%%(%x%x)", function(h) return char(tonumber(h, 16)) end))
end

-- parse_form("a=1&b=2&a=3") -> { {"a","1"}, {"b","2"}, {"a","3"} }: an
-- application/x-www-form-urlencoded body decoded, every pair kept in order
-- ('+' is a space; "k" without '=' is k = "").
function _M.parse_form(body)
  local out = {}
  if type(body) ~= "string" or body == "" then return out end
  for part in body:gmatch("[^&]+") do
    local k, v = part:match("^([^=]*)=(.*)$")
    if not k then k, v = part, "" end
    out[#out + 1] = { percent_decode(k), percent_decode(v) }
  end
  return out
end

-- The value of bodySHA256 in a URL's query string, or nil.
local function body_hash_of(url)
  local q = url:match("^[^?#]*%?([^#]*)")
  if not q then return nil end
  for part in q:gmatch("[^&]+") do
    local v = part:match("^bodySHA256=(.*)$")
    if v then return v end
  end
  return nil
end
_M.body_hash_of = body_hash_of

-- with_body_hash(url, body) -> the URL with &bodySHA256=<hex sha256(body)> appended,
-- as Twilio sends JSON webhooks.
function _M.with_body_hash(url, body)
  local sep = url:find("?", 1, true) and "&" or "?"
  return url .. sep .. "bodySHA256=" .. core.sha256_hex(body)
end

-- "key=KSxx,algorithm=HMAC_SHA256" -> { key = "KSxx", algorithm = "HMAC_SHA256" }
local function parse_settings(s)
  local t = {}
  for part in s:gmatch("[^,]+") do
    local k, v = part:match("^%s*([%w_]+)%s*=%s*(.-)%s*$")
    if k then t[k:lower()] = v end
  end
  return t
end

local function fail(reason, message, extra)
  local fields = extra or {}
  fields.reason = reason
  return nil, errors.new("signature", message, fields)
end

local function string_list(v, what)
  if type(v) == "string" then v = { v } end
  if type(v) ~= "table" or #v == 0 then error("twilio.webhook: " .. what .. " expected", 3) end
  for i, s in ipairs(v) do
    if type(s) ~= "string" or s == "" then
      error(fmt("twilio.webhook: %s[%d] must be a non-empty string", what, i), 3)
    end
  end
  return v
end

-- The keys and algorithm for this request: auth tokens with HMAC-SHA1, or, when the
-- Signature-Settings header is present, the shared key it names and its algorithm.
local function pick_keys(o)
  local settings = o.settings
  if settings ~= nil and settings ~= "" then
    if type(settings) ~= "string" then error("twilio.webhook: settings must be the header's string", 3) end
    local s = parse_settings(settings)
    local alg = ({ HMAC_SHA256 = "sha256", HMAC_SHA1 = "sha1" })[s.algorithm or "HMAC_SHA1"]
    if not alg then
      return fail("unsupported_algorithm",
                  "webhook signature settings name an unsupported algorithm: " .. tostring(s.algorithm))
    end
    local sk = o.shared_keys or o.shared_key
    if sk == nil then
      return fail("no_shared_key", "the request is signed with a shared key (" .. _M.SETTINGS_HEADER ..
                  ") and no shared_keys are configured")
    end
    if type(sk) == "table" and sk[1] == nil then   -- { [key id] = secret }
      local one = s.key and sk[s.key]
      if not one then
        return fail("no_shared_key", "no shared key configured for key " .. tostring(s.key))
      end
      sk = one
    end
    return string_list(sk, "shared_keys"), alg
  end
  local keys = o.tokens or o.token
  if keys == nil then error("twilio.webhook: token or tokens expected", 3) end
  local alg = o.algorithm or "sha1"
  if not ALG_NAME[alg] then error("twilio.webhook: algorithm must be sha1 or sha256", 3) end
  return string_list(keys, o.tokens and "tokens" or "token"), alg
end

function _M.validate(o)
  if type(o) ~= "table" then error("twilio.webhook.validate: options table expected", 2) end
  local url = o.url
  if type(url) ~= "string" or url == "" then error("twilio.webhook.validate: url must be a non-empty string", 2) end
  if o.params ~= nil and type(o.params) ~= "table" then
    error("twilio.webhook.validate: params must be a table", 2)
  end
  if o.body ~= nil and type(o.body) ~= "string" then error("twilio.webhook.validate: body must be a string", 2) end
  local keys, alg = pick_keys(o)
  if not keys then return nil, alg end
  local sig = o.signature
  if sig == nil or sig == "" then
    return fail("no_signature", "no " .. _M.SIGNATURE_HEADER .. " header")
  end
  if type(sig) ~= "string" then   -- a header given twice arrives as a table in nginx
    return fail("bad_signature", _M.SIGNATURE_HEADER .. " given more than once")
  end

  -- A JSON body is signed through the bodySHA256 in the URL: no parameters.
  local body_hash = body_hash_of(url)
  local params = o.params
  if body_hash then params = nil end
  local hit, variant = core.webhook_verify(keys, url, params, sig, alg)
  if o.port_variants == false and hit and variant ~= "received" then hit = false end
  if not hit then
    local tried = { VARIANT_TEXT.received }
    if variant and o.port_variants ~= false then tried[2] = VARIANT_TEXT[variant] end
    return fail("bad_signature", fmt("%s does not match (%s, %d %s; URL %s tried %s%s)",
      _M.SIGNATURE_HEADER, ALG_NAME[alg], #keys, #keys == 1 and "key" or "keys", shown_url(url),
      concat(tried, " and "), o.port_variants == false and ", port variants off" or ""),
      { tried = tried })
  end
  if body_hash then
    if o.body == nil then
      return fail("no_body", "the URL has bodySHA256 and no body was given to check against it")
    end
    if not core.ct_equal(core.sha256_hex(o.body), body_hash:lower()) then
      return fail("body_hash_mismatch", "the body's SHA-256 is not the URL's bodySHA256 (the body was changed)")
    end
  end
  return true, { key = hit, variant = variant, algorithm = alg }
end

-- sign{ token =, url =, params =, algorithm = "sha1" } -> the X-Twilio-Signature Twilio
-- would send (for tests, the emulator's peers and `check`).
function _M.sign(o)
  if type(o) ~= "table" then error("twilio.webhook.sign: options table expected", 2) end
  if type(o.token) ~= "string" or o.token == "" then error("twilio.webhook.sign: token expected", 2) end
  if type(o.url) ~= "string" or o.url == "" then error("twilio.webhook.sign: url expected", 2) end
  return core.webhook_sign(o.token, o.url, o.params, o.algorithm or "sha1")
end

-- The string that is signed (for debugging a mismatch; holds no secret).
function _M.signed_string(url, params)
  return core.webhook_input(url, params)
end

-- Whether an answer looks like TwiML: an optional BOM and XML declaration, then
-- a <Response> element.
function _M.looks_like_twiml(body)
  if type(body) ~= "string" then return false end
  local s = body:gsub("^\239\187\191", ""):gsub("^%s*<%?xml[^>]*%?>", "")
  return s:match("^%s*<Response[%s/>]") ~= nil
end

-- Params as a map key -> value or { values } (repeats kept), from pairs.
function _M.to_map(pairs_list)
  local m = {}
  for _, kv in ipairs(pairs_list) do
    local k, v = kv[1], kv[2]
    local cur = m[k]
    if cur == nil then m[k] = v
    elseif type(cur) == "table" then cur[#cur + 1] = v
    else m[k] = { cur, v } end
  end
  return m
end

return _M
