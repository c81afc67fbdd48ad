-- twilio.playbook.schema: what a playbook may say, asked of the C validation
-- tables (core.operations) so it never drifts from the API spec; the
-- "did you mean" for the playbook's own keys; one validation config.
local core = require "twilio.core"
local available = require "twilio.available"

local ipairs, pairs, sort, min = ipairs, pairs, table.sort, math.min

local _M = {}

-- A config used only to build (never send) requests: the C validation.
local DUMMY_AC = "AC00000000000000000000000000000000"
_M.DUMMY_AC = DUMMY_AC
_M.DUMMY_PN = "PN00000000000000000000000000000000"
local vcfg
function _M.cfg()
  if not vcfg then vcfg = assert(core.config{ account_sid = DUMMY_AC, auth_token = "playbook-validation" }) end
  return vcfg
end

-- The writable configuration of a number: UpdateIncomingPhoneNumber's form
-- parameters but account_sid (a number's account is where it is declared).
local FIELDS, IS_FIELD, FIELD_TYPE = {}, {}, {}
for _, p in ipairs(core.operations().UpdateIncomingPhoneNumber.params) do
  if p["in"] == "form" and p.name ~= "account_sid" then
    FIELDS[#FIELDS + 1] = p.name
    IS_FIELD[p.name] = true
    FIELD_TYPE[p.name] = p.type
  end
end
sort(FIELDS)
_M.FIELDS, _M.IS_FIELD, _M.FIELD_TYPE = FIELDS, IS_FIELD, FIELD_TYPE

-- What Twilio answers for a number nobody configured (export leaves them out).
_M.DEFAULTS = {
  api_version = "2010-04-01", sms_method = "POST", sms_fallback_method = "POST",
  voice_method = "POST", voice_fallback_method = "POST", status_callback_method = "POST",
  voice_receive_mode = "voice", emergency_status = "Inactive", voice_caller_id_lookup = false,
}

_M.TYPES = available.TYPES

-- Countries where Twilio needs no regulatory bundle for most numbers
-- (../shared/docs/PLAYBOOKS-WEBHOOKS.md §5.2: "most numbers outside the US/CA").
_M.NO_BUNDLE = { US = true, CA = true }

_M.TOP_KEYS = { "accounts", "defaults", "protect" }
_M.ACCOUNT_KEYS = { "numbers", "pools", "defaults", "protect" }
_M.POOL_KEYS = { "country", "type", "count", "search", "friendly_name", "protect" }
_M.NUMBER_KEYS = { "protect", "country", "type" }

local function lev(a, b)
  local la, lb = #a, #b
  if la == 0 then return lb end
  if lb == 0 then return la end
  local prev, cur = {}, {}
  for j = 0, lb do prev[j] = j end
  for i = 1, la do
    cur[0] = i
    local ca = a:byte(i)
    for j = 1, lb do
      local cost = (ca == b:byte(j)) and 0 or 1
      cur[j] = min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + cost)
    end
    prev, cur = cur, prev
  end
  return prev[lb]
end

-- The closest of the candidate lists to key, or nil.
function _M.suggest(key, ...)
  if type(key) ~= "string" or #key > 64 then return nil end
  local low = key:lower():gsub("[-%s]", "_")
  local best, pick = math.huge, nil
  for _, list in ipairs{ ... } do
    for _, cand in ipairs(list) do
      local d = lev(low, cand)
      if d < best then best, pick = d, cand end
    end
  end
  if pick and (best <= 2 or best <= #pick / 3) then return pick end
  return nil
end

-- Search filters of a number type (for a pool's `search`).
function _M.search_params(kind)
  local out = {}
  local op = core.operations()["ListAvailablePhoneNumber" .. _M.TYPES[kind]]
  for _, p in ipairs(op.params) do
    if p["in"] == "query" and p.name ~= "page_size" and p.name ~= "page" and p.name ~= "page_token" then
      out[#out + 1] = p.name
    end
  end
  return out
end

function _M.copy(t)
  local c = {}
  for k, v in pairs(t or {}) do c[k] = v end
  return c
end

return _M
