-- twilio_emulator.render: JSON text and CSV rows of every resource.
-- A number's JSON is built once and cached on the record as its pieces (a
-- table of strings: _parts with `type` for the main list, _parts_sub without
-- it for the Local/Mobile/TollFree lists); state changes clear the cache
-- (render.touch). Pieces, not one string per number: OpenResty's LuaJIT
-- (2.1.0-beta3 here) interns every string with a hash of its length and
-- three 4-byte samples, and 50,000 number texts of one account share
-- their length and samples, so each new text was compared (memcmp) with a
-- long chain of others: the first full listing of a 50,000-number account
-- took 63 s (perf: 54 % memcmp, 39 % the intern loop). A page is now one
-- string built from the pieces of its numbers.
local util = require "twilio_emulator.util"

local encode, object = util.encode, util.object
local concat, type = table.concat, type

local _M = {}
local V = "/2010-04-01/Accounts/"

local NUMBER_FIELDS = {
  "account_sid", "address_requirements", "address_sid", "api_version", "beta", "capabilities",
  "date_created", "date_updated", "emergency_status", "emergency_address_sid", "emergency_address_status",
  "friendly_name", "identity_sid", "origin", "phone_number", "sid", "sms_application_sid",
  "sms_fallback_method", "sms_fallback_url", "sms_method", "sms_url", "status_callback",
  "status_callback_method", "trunk_sid", "uri", "voice_application_sid", "voice_caller_id_lookup",
  "voice_fallback_method", "voice_fallback_url", "voice_method", "voice_url", "bundle_sid",
  "voice_receive_mode", "status", "subresource_uris", "type",
}
_M.NUMBER_FIELDS = NUMBER_FIELDS
local NUMBER_FIELDS_SUB = {}
for i = 1, #NUMBER_FIELDS - 1 do NUMBER_FIELDS_SUB[i] = NUMBER_FIELDS[i] end
_M.NUMBER_FIELDS_SUB = NUMBER_FIELDS_SUB

function _M.number_uri(rec)
  return V .. rec.account_sid .. "/IncomingPhoneNumbers/" .. rec.sid .. ".json"
end

local caps_cache = setmetatable({}, { __mode = "k" })
local function caps_json(c)
  if not c then return "null" end
  local j = caps_cache[c]
  if j then return j end
  j = '{"voice": ' .. encode(c.voice) .. ', "sms": ' .. encode(c.sms) .. ', "mms": '
    .. encode(c.mms) .. ', "fax": ' .. encode(c.fax) .. "}"
  caps_cache[c] = j
  return j
end

local KEY, KEY1 = {}, {}
for _, k in ipairs(NUMBER_FIELDS) do KEY[k] = ', "' .. k .. '": '; KEY1[k] = '{"' .. k .. '": ' end
local find = string.find

-- Pieces are pushed into one table and concatenated once (few temporary
-- strings: this runs for thousands of records on a large heap).
local function number_parts(rec, with_type)
  local out, n = {}, 0
  local fields = with_type and NUMBER_FIELDS or NUMBER_FIELDS_SUB
  local acct, sid = rec.account_sid, rec.sid
  for i = 1, #fields do
    local k = fields[i]
    n = n + 1
    out[n] = i == 1 and KEY1[k] or KEY[k]
    if k == "capabilities" then
      n = n + 1; out[n] = caps_json(rec.capabilities)
    elseif k == "uri" then
      out[n + 1], out[n + 2], out[n + 3], out[n + 4], out[n + 5] =
        '"' .. V, acct, "/IncomingPhoneNumbers/", sid, '.json"'
      n = n + 5
    elseif k == "subresource_uris" then
      out[n + 1], out[n + 2], out[n + 3], out[n + 4], out[n + 5] =
        '{"assigned_add_ons": "' .. V, acct, "/IncomingPhoneNumbers/", sid, '/AssignedAddOns.json"}'
      n = n + 5
    else
      local v = rec[k]
      if type(v) == "string" and not find(v, '[%c"\\]') then
        out[n + 1], out[n + 2], out[n + 3] = '"', v, '"'
        n = n + 3
      else
        n = n + 1; out[n] = encode(v)
      end
    end
  end
  n = n + 1
  out[n] = "}"
  return out
end

local function parts_of(rec, with_type)
  local key = with_type and "_parts" or "_parts_sub"
  local p = rec[key]
  if not p then p = number_parts(rec, with_type); rec[key] = p end
  return p
end

function _M.number(rec) return concat(parts_of(rec, true)) end
function _M.number_sub(rec) return concat(parts_of(rec, false)) end

-- The JSON texts of recs joined with ", " (a list page's items), as one
-- string. with_type: the main list's shape (number) or a sub-list's.
function _M.numbers_json(recs, with_type)
  local out, n = {}, 0
  for i = 1, #recs do
    if i > 1 then n = n + 1; out[n] = ", " end
    local p = parts_of(recs[i], with_type)
    for k = 1, #p do out[n + k] = p[k] end
    n = n + #p
  end
  return concat(out, "", 1, n)
end

function _M.touch(rec)
  rec._parts, rec._parts_sub = nil, nil
end

-- A plain table (for CSV rows).
function _M.number_table(rec)
  local t = {}
  for _, k in ipairs(NUMBER_FIELDS) do t[k] = rec[k] end
  t.uri = _M.number_uri(rec)
  t.subresource_uris = { assigned_add_ons = V .. rec.account_sid .. "/IncomingPhoneNumbers/" .. rec.sid
    .. "/AssignedAddOns.json" }
  return t
end

-- Assigned add-ons and extensions ------------------------------------------------

local ADDON_FIELDS = { "sid", "account_sid", "resource_sid", "friendly_name", "description", "configuration",
                       "unique_name", "date_created", "date_updated", "uri", "subresource_uris" }
_M.ADDON_FIELDS = ADDON_FIELDS

function _M.addon_table(num, a)
  local base = V .. num.account_sid .. "/IncomingPhoneNumbers/" .. num.sid .. "/AssignedAddOns/" .. a.sid
  local inst = a.installed
  return {
    sid = a.sid, account_sid = num.account_sid, resource_sid = num.sid,
    friendly_name = inst.friendly_name, description = inst.description, configuration = inst.configuration,
    unique_name = inst.unique_name, date_created = a.date_created, date_updated = a.date_updated,
    uri = base .. ".json", subresource_uris = { extensions = base .. "/Extensions.json" },
  }
end

function _M.addon(num, a)
  return object(ADDON_FIELDS, _M.addon_table(num, a))
end

local EXT_FIELDS = { "sid", "account_sid", "resource_sid", "assigned_add_on_sid", "friendly_name",
                     "product_name", "unique_name", "uri", "enabled" }
_M.EXT_FIELDS = EXT_FIELDS

function _M.extension_table(num, a, e)
  return {
    sid = e.sid, account_sid = num.account_sid, resource_sid = num.sid, assigned_add_on_sid = a.sid,
    friendly_name = e.friendly_name, product_name = e.product_name, unique_name = e.unique_name,
    uri = V .. num.account_sid .. "/IncomingPhoneNumbers/" .. num.sid .. "/AssignedAddOns/" .. a.sid
      .. "/Extensions/" .. e.sid .. ".json",
    enabled = e.enabled,
  }
end

function _M.extension(num, a, e)
  return object(EXT_FIELDS, _M.extension_table(num, a, e))
end

-- Available numbers and countries ---------------------------------------------------

local AVAIL_FIELDS = { "friendly_name", "phone_number", "lata", "locality", "rate_center", "latitude",
                       "longitude", "region", "postal_code", "iso_country", "address_requirements", "beta",
                       "capabilities" }
_M.AVAIL_FIELDS = AVAIL_FIELDS

function _M.available_table(rec)
  local t = {}
  for _, k in ipairs(AVAIL_FIELDS) do t[k] = rec[k] end
  return t
end

function _M.available(rec)
  local j = rec._json
  if j then return j end
  local out = {}
  for i = 1, #AVAIL_FIELDS do
    local k = AVAIL_FIELDS[i]
    out[i] = '"' .. k .. '": ' .. (k == "capabilities" and caps_json(rec.capabilities) or encode(rec[k]))
  end
  j = "{" .. concat(out, ", ") .. "}"
  rec._json = j
  return j
end

local COUNTRY_FIELDS = { "country_code", "country", "uri", "beta", "subresource_uris" }
_M.COUNTRY_FIELDS = COUNTRY_FIELDS

function _M.country_table(acct_sid, c, types, segment_of)
  local base = V .. acct_sid .. "/AvailablePhoneNumbers/" .. c.code
  local subs = {}
  for _, t in ipairs(types) do subs[t] = base .. "/" .. segment_of[t] .. ".json" end
  return { country_code = c.code, country = c.name, uri = base .. ".json", beta = c.beta,
           subresource_uris = subs }
end

function _M.country(acct_sid, c, types, segment_of)
  return object(COUNTRY_FIELDS, _M.country_table(acct_sid, c, types, segment_of))
end

return _M
