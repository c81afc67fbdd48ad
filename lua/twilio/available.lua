-- twilio.available: the AvailablePhoneNumbers searches that come before a purchase.
--   local av = client.available_phone_numbers
--   av:countries()                      -> array of twilio.Country
--   av:country("US")                    -> twilio.Country (c:search(type, params))
--   av:search("US", "local", { area_code = 415, sms_enabled = true, limit = 5 })
--                                        -> array of twilio.AvailablePhoneNumber
--   av:each("US", "toll_free", {...})   -> iterator
--   av:find("GB", "local", "+442079460001")
--                                        -> that twilio.AvailablePhoneNumber | nil, err
--                                           (kind "not_found": not offered there)
--   avail:buy{ voice_url = ... }        -> the new twilio.PhoneNumber
-- The methods of the records (buy, search) are in twilio.record.
-- Types: local, toll_free, mobile, national, voip, shared_cost, machine_to_machine.
local list = require "twilio.list"
local errors = require "twilio.errors"

local setmetatable, type, tostring, error, ipairs = setmetatable, type, tostring, error, ipairs
local fmt = string.format

local _M = {}
local Available = {}
Available.__index = Available

local TYPES = {
  ["local"] = "Local", toll_free = "TollFree", mobile = "Mobile", national = "National",
  voip = "Voip", shared_cost = "SharedCost", machine_to_machine = "MachineToMachine",
}
_M.TYPES = TYPES

function _M.new(client, account_sid)
  return setmetatable({ client = client, account_sid = account_sid }, Available)
end

function Available:list_of(country_code, kind)
  if type(country_code) ~= "string" then error("twilio: country code must be a string like 'US'", 3) end
  local suffix = TYPES[kind]
  if not suffix then   -- a value (it may come from data): nil, err (docs/ERRORS.md)
    return nil, errors.new("invalid", "unknown number type '" .. tostring(kind) ..
          "' (local, toll_free, mobile, national, voip, shared_cost, machine_to_machine)", { field = "type" })
  end
  return list.new(self.client, {
    kind = "AvailablePhoneNumber", items_key = "available_phone_numbers",
    list_op = "ListAvailablePhoneNumber" .. suffix,
    path = { account_sid = self.account_sid, country_code = country_code },
    name = "available_phone_numbers." .. kind,
  })
end

function Available:search(country_code, kind, params, opts)
  local l, err = self:list_of(country_code, kind)
  if not l then return nil, err end
  return l:list(params, opts)
end

function Available:each(country_code, kind, params, opts)
  local l, err = self:list_of(country_code, kind)
  if not l then error(err, 2) end    -- each raises its failures
  return l:each(params, opts)
end

-- The number e164 if the search of that country and type offers it: a
-- Contains pattern of the whole number, anchored at its start (and at its
-- end when that fits Contains' 16 characters: an E.164 number has at most 15
-- digits, so "+" and all of them match no longer number), then an exact
-- compare. Not offered (taken, never existed, another type, or a type the
-- country does not have): nil, err with kind "not_found".
function Available:find(country_code, kind, e164, opts)
  if type(e164) ~= "string" then error("twilio: find(country, type, phone_number): a string expected", 2) end
  if not (e164:match("^%+[1-9]%d+$") and #e164 <= 16) then
    return nil, errors.new("invalid", fmt("find: phone_number must be E.164 like +14155550100 (got '%s')",
                                          e164:sub(1, 40):gsub("[%c]", "?")), { field = "phone_number" })
  end
  local l, err = self:list_of(country_code, kind)
  if not l then return nil, err end
  local pattern = #e164 < 16 and (e164 .. "$") or e164
  local found, serr = l:list({ contains = pattern, limit = 20 }, opts)
  if not found then
    if serr.status ~= 404 then return nil, serr end
    found = {}   -- 404: the country has no numbers of that type
  end
  for _, a in ipairs(found) do
    if a.phone_number == e164 then return a end
  end
  return nil, errors.new("not_found", fmt("%s is not offered by the search of %s %s numbers", e164,
                                          tostring(country_code), tostring(kind)), { status = 404, code = 20404 })
end

function Available:page(country_code, kind, params, opts)
  local l, err = self:list_of(country_code, kind)
  if not l then return nil, err end
  return l:page(params, opts)
end

function Available:countries_list()
  return list.new(self.client, {
    kind = "Country", items_key = "countries", list_op = "ListAvailablePhoneNumberCountry",
    fetch_op = "FetchAvailablePhoneNumberCountry", path = { account_sid = self.account_sid },
    name = "available_phone_numbers",
  })
end

function Available:countries(params, opts)
  return self:countries_list():list(params, opts)
end

function Available:country(country_code, opts)
  local l = self:countries_list()
  l.fetch_op = "FetchAvailablePhoneNumberCountry"
  if type(country_code) ~= "string" then error("twilio: country(code): a string like 'US' expected", 2) end
  opts = self.client:call_options(opts)
  local res, err, retries = self.client:request(l.fetch_op,
    { account_sid = self.account_sid, country_code = country_code }, nil, opts)
  if not res then return nil, err end
  return l:record(res, retries)
end

return _M
