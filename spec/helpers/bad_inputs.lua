-- bad_inputs.lua: a corpus of request inputs as plain data, for
-- spec/validation_spec.lua (cfg:build must refuse every `bad` case with
-- nil, err: err.kind "invalid", err.field == field (false: no field), and
-- err.message matching the Lua pattern `match`) and for end-to-end replays
-- that prove nothing reached the server.
--
-- `good` cases must build; `url` is the part after the base URL and `body`
-- the exact form body (nil for GET/DELETE).
--
-- Entries: { op=, path= (nil: account from the config), params=, field=, match= }.
-- The module builds its tables with loops, but every entry is data only.
local _M = {}

local function sid(prefix, c) return prefix .. string.rep(c or "a", 32) end
local AC, AC2 = sid("AC"), sid("AC", "b")
local PN, XE, XF = sid("PN"), sid("XE"), sid("XF")
local AD, AP, BU, RI, TK, SK = sid("AD"), sid("AP"), sid("BU"), sid("RI"), sid("TK"), sid("SK")
_M.account_sid = AC
_M.sids = { AC = AC, AC2 = AC2, PN = PN, XE = XE, XF = XF, AD = AD, AP = AP, BU = BU, RI = RI, TK = TK, SK = SK }

local KB10 = string.rep("x", 10240)
local NAN, INF = 0 / 0, math.huge

local bad = {}
_M.bad = bad
local function add(op, path, params, field, match)
  bad[#bad + 1] = { op = op, path = path, params = params, field = field, match = match }
end

local UPDATE, FETCH, DELETE = "UpdateIncomingPhoneNumber", "FetchIncomingPhoneNumber", "DeleteIncomingPhoneNumber"
local CREATE, LIST = "CreateIncomingPhoneNumber", "ListIncomingPhoneNumber"
local P = { sid = PN }
local US = { country_code = "US" }

-- 1. Path values: nothing from a caller may add a segment, query or header.
local path_injections = {
  { "PN/../../Accounts/" .. AC2, "PN followed by 32 hex digits" },
  { PN .. "/", "PN followed by 32 hex digits" },
  { PN .. "?x=1", "PN followed by 32 hex digits" },
  { PN .. "#frag", "PN followed by 32 hex digits" },
  { PN:sub(1, 33) .. "\r", "PN followed by 32 hex digits" },
  { PN:sub(1, 32) .. "\r\nX: y", "PN followed by 32 hex digits" },
  { PN:sub(1, 33) .. "\0", "PN followed by 32 hex digits %(got 'PNa+\\x00'%)" },
  { "PN%2F" .. string.rep("a", 29), "PN followed by 32 hex digits" },
  { "..", "PN followed by 32 hex digits" },
  { "", "PN followed by 32 hex digits" },
  { "PN" .. string.rep("a", 31), "PN followed by 32 hex digits" },
  { "PN" .. string.rep("a", 33), "PN followed by 32 hex digits" },
  { "pn" .. string.rep("a", 32), "PN followed by 32 hex digits" },
  { "PN" .. string.rep("g", 32), "PN followed by 32 hex digits" },
  { " " .. PN, "PN followed by 32 hex digits" },
  { XE, "got 'XE" },
  { AC, "got 'AC" },
}
for i, case in ipairs(path_injections) do
  local op = ({ FETCH, UPDATE, DELETE })[i % 3 + 1]
  add(op, { sid = case[1] }, nil, "sid", case[2])
end
add(FETCH, {}, nil, "sid", "sid is required")
add(DELETE, nil, nil, "sid", "sid is required")
add(FETCH, { sid = 42 }, nil, "sid", "must be a string %(got number 42%)")
add(FETCH, { sid = { PN } }, nil, "sid", "got table")
add(UPDATE, { sid = true }, {}, "sid", "got boolean")
add(FETCH, { sid = PN, account_sid = "AC123" }, nil, "account_sid", "AC followed by 32 hex digits")
add(FETCH, { sid = PN, account_sid = SK }, nil, "account_sid", "got 'SK")
add(FETCH, { sid = PN, account_sid = AC .. "/x" }, nil, "account_sid", "Account SID")
add(LIST, { account_sid = "" }, nil, "account_sid", "Account SID")
add(FETCH, { sidd = PN }, nil, "sidd", "unknown path key 'sidd'")
add(FETCH, { PN }, nil, false, "path keys must be strings")
add("ListIncomingPhoneNumberAssignedAddOn", { resource_sid = XE }, nil, "resource_sid", "PN followed by")
add("ListIncomingPhoneNumberAssignedAddOn", {}, nil, "resource_sid", "resource_sid is required")
add("FetchIncomingPhoneNumberAssignedAddOn", { resource_sid = PN, sid = XF }, nil, "sid", "XE followed by")
add("DeleteIncomingPhoneNumberAssignedAddOn", { resource_sid = PN, sid = PN }, nil, "sid", "XE followed by")
add("DeleteIncomingPhoneNumberAssignedAddOn", { resource_sid = PN }, nil, "sid", "sid is required")
add("ListIncomingPhoneNumberAssignedAddOnExtension", { resource_sid = PN, assigned_add_on_sid = XF },
    nil, "assigned_add_on_sid", "XE followed by")
add("FetchIncomingPhoneNumberAssignedAddOnExtension", { resource_sid = PN, assigned_add_on_sid = XE, sid = XE },
    nil, "sid", "XF followed by")
add("FetchIncomingPhoneNumberAssignedAddOnExtension", { resource_sid = PN, assigned_add_on_sid = XE,
    sid = XF:sub(1, 33) .. "/" }, nil, "sid", "XF followed by")
for _, cc in ipairs({ "us", "USA", "U", "", "U/", "..", "U\0", "\195\156S", "U S" }) do
  add("FetchAvailablePhoneNumberCountry", { country_code = cc }, nil, "country_code", "two upper%-case letters")
end
add("ListAvailablePhoneNumberLocal", {}, nil, "country_code", "country_code is required")
add("ListAvailablePhoneNumberTollFree", { country_code = 1 }, nil, "country_code", "must be a string")

-- 2. Unknown parameters: named, with the nearest valid name.
add(UPDATE, P, { voice_ulr = "https://example.com" }, "voice_ulr", "did you mean 'voice_url'%?")
add(UPDATE, P, { VoiceUrl = "https://example.com" }, "VoiceUrl", "did you mean 'voice_url'%?")
add(UPDATE, P, { FriendlyName = "x" }, "FriendlyName", "did you mean 'friendly_name'%?")
add(UPDATE, P, { frendly_name = "x" }, "frendly_name", "did you mean 'friendly_name'%?")
add(UPDATE, P, { sms_ur = "https://example.com" }, "sms_ur", "did you mean 'sms_url'%?")
add(UPDATE, P, { phone_number = "+14155550100" }, "phone_number", "unknown parameter 'phone_number'")
add(UPDATE, P, { sid = PN }, "sid", "path table")
add(UPDATE, P, { [""] = "x" }, "", "unknown parameter ''")
add(UPDATE, P, { completely_unrelated_thing = 1 }, "completely_unrelated_thing", "valid: account_sid")
add(UPDATE, P, { [1] = "x" }, false, "parameter names must be strings")
add(UPDATE, P, { [true] = "x" }, false, "parameter names must be strings")
add(CREATE, nil, { areacode = 415 }, "areacode", "did you mean 'area_code'%?")
add("CreateIncomingPhoneNumberLocal", nil, { phone_number = "+14155550100", area_code = "415" },
    "area_code", "unknown parameter 'area_code'")
add("ListAvailablePhoneNumberLocal", US, { AreaCode = 415 }, "AreaCode", "did you mean 'area_code'%?")
add("ListAvailablePhoneNumberMobile", US, { contain = "555" }, "contain", "did you mean 'contains'%?")
add("ListAvailablePhoneNumberVoip", US, { page_sizes = 5 }, "page_sizes", "did you mean 'page_size'%?")
add("ListAvailablePhoneNumberCountry", nil, { PageSize = 5 }, "PageSize", "did you mean 'page_size'%?")
add(FETCH, P, { page_size = 5 }, "page_size", "takes no parameters")
add("FetchIncomingPhoneNumberAssignedAddOn", { resource_sid = PN, sid = XE }, { x = 1 }, "x", "unknown parameter")

-- 3. Strings: type, empty, NUL, CR/LF, invalid UTF-8, length.
local label_cases = {
  { string.rep("a", 65), "at most 64 characters" },
  { string.rep("\195\169", 65), "at most 64 characters" },
  { KB10, "10240 bytes" },
  { "a\0b", "NUL" },
  { "\255\254", "valid UTF%-8" },
  { "caf\233", "valid UTF%-8" },
  { "\192\175", "valid UTF%-8" },
  { "a\27[31m", "control characters" },
  { 42, "must be a string %(got number 42%)" },
  { true, "got boolean true" },
  { { "x" }, "got table" },
  { print, "got function" },
}
for _, c in ipairs(label_cases) do
  add(UPDATE, P, { friendly_name = c[1] }, "friendly_name", c[2])
end
add(CREATE, nil, { phone_number = "+14155550100", friendly_name = string.rep("z", 65) },
    "friendly_name", "at most 64")
add(LIST, nil, { friendly_name = string.rep("z", 65) }, "friendly_name", "at most 64")

-- 4. URLs: absolute http/https with a host, no spaces/controls/non-ASCII.
-- ("" is not here: it clears the field, see the good cases and spec/e2e/clear_fields_spec.lua)
local url_cases = {
  { "ftp://example.com/x", "absolute http" },
  { "example.com/voice", "absolute http" },
  { "/relative/voice", "absolute http" },
  { "https://", "absolute http" },
  { "https:///path", "absolute http" },
  { "https://exa mple.com/", "absolute http" },
  { "https://example.com/\r\nX-Injected: 1", "\\x0d\\x0a" },
  { "https://example.com/\0", "\\x00" },
  { "https://ex\195\169mple.com/", "absolute http" },
  { "javascript:alert(1)", "absolute http" },
  { "https://example.com/a\\b", "absolute http" },
  { "https://example.com/<x>", "absolute http" },
  { "https://example.com:99999/", "absolute http" },
  { "https://" .. KB10, "at most 2048 bytes" },
  { 80, "must be a string" },
  { { url = "https://example.com" }, "got table" },
}
local url_fields = { "voice_url", "sms_url", "voice_fallback_url", "sms_fallback_url", "status_callback" }
for i, c in ipairs(url_cases) do
  local field = url_fields[(i - 1) % #url_fields + 1]
  add(UPDATE, P, { [field] = c[1] }, field, c[2])
end
add("CreateIncomingPhoneNumberTollFree", nil, { phone_number = "+18005550100", voice_url = "mailto:x@y" },
    "voice_url", "absolute http")

-- 5. Enums: case-sensitive.
local enum_cases = {
  { "voice_method", "get" }, { "voice_method", "PUT" }, { "voice_method", "" }, { "voice_method", " POST" },
  { "sms_method", "post" }, { "sms_fallback_method", "Get" }, { "voice_fallback_method", "DELETE" },
  { "status_callback_method", "POST\r\n" },
  { "emergency_status", "active" }, { "emergency_status", "ACTIVE" }, { "emergency_status", "" },
  { "voice_receive_mode", "Voice" }, { "voice_receive_mode", "FAX" }, { "voice_receive_mode", "sms" },
}
for _, c in ipairs(enum_cases) do
  local m = c[2] == "" and "not empty" or "one of"
  add(UPDATE, P, { [c[1]] = c[2] }, c[1], m)
end
add(UPDATE, P, { voice_method = true }, "voice_method", "must be a string")
add(UPDATE, P, { emergency_status = 1 }, "emergency_status", "must be a string")
add("CreateIncomingPhoneNumberMobile", nil, { phone_number = "+447700900123", voice_receive_mode = "Fax" },
    "voice_receive_mode", "'voice', 'fax'")

-- 6. Booleans: Lua booleans only.
for _, v in ipairs({ "true", 1, 0, "yes", { true } }) do
  add(UPDATE, P, { voice_caller_id_lookup = v }, "voice_caller_id_lookup", "must be a boolean")
end
add(LIST, nil, { beta = "false" }, "beta", "must be a boolean")
add("ListAvailablePhoneNumberLocal", US, { sms_enabled = 1 }, "sms_enabled", "must be a boolean")
add("ListAvailablePhoneNumberNational", US, { fax_enabled = "true" }, "fax_enabled", "must be a boolean")
add("ListAvailablePhoneNumberSharedCost", US, { exclude_all_address_required = "no" },
    "exclude_all_address_required", "must be a boolean")

-- 7. SIDs of the wrong kind in the body.
local sid_cases = {
  { "voice_application_sid", PN, "AP followed by" }, { "sms_application_sid", "AP123", "AP followed by" },
  { "trunk_sid", AP, "TK followed by" }, { "identity_sid", AD, "RI followed by" },
  { "address_sid", RI, "AD followed by" }, { "emergency_address_sid", BU, "AD followed by" },
  { "bundle_sid", TK, "BU followed by" }, { "account_sid", SK, "AC followed by" },
  { "account_sid", "", "AC followed by" }, { "bundle_sid", "bu" .. string.rep("a", 32), "BU followed by" },
  { "trunk_sid", TK:sub(1, 33) .. "\0", "TK followed by" }, { "address_sid", AD .. "\n", "AD followed by" },
  { "voice_application_sid", 12, "must be a string" },
}
for _, c in ipairs(sid_cases) do add(UPDATE, P, { [c[1]] = c[2] }, c[1], c[3]) end
add("CreateIncomingPhoneNumberAssignedAddOn", { resource_sid = PN }, { installed_add_on_sid = XF },
    "installed_add_on_sid", "XE followed by")
add("CreateIncomingPhoneNumberAssignedAddOn", { resource_sid = PN }, {}, "installed_add_on_sid", "is required")
add("CreateIncomingPhoneNumberAssignedAddOn", { resource_sid = PN }, nil, "installed_add_on_sid", "is required")
add(UPDATE, P, { api_version = "2010" }, "api_version", "2010%-04%-01")
add(UPDATE, P, { api_version = "" }, "api_version", "2010%-04%-01")
add(UPDATE, P, { api_version = 2010 }, "api_version", "must be a string")

-- 8. Phone numbers: E.164 on create, NearNumber; filters on lists.
local e164_cases = {
  { "415-555-0100", "E%.164 like %+14155550100 %(got '415%-555%-0100'%)" },
  { "14155550100", "E%.164" }, { "+04155550100", "E%.164" }, { "+1 415 555 0100", "E%.164" },
  { "", "E%.164" }, { "+", "E%.164" }, { "+1415555010012345", "E%.164" },
  { "+\239\188\145\239\188\148", "E%.164" }, { 14155550100, "must be a string" }, { { "+1" }, "got table" },
}
for _, c in ipairs(e164_cases) do add(CREATE, nil, { phone_number = c[1] }, "phone_number", c[2]) end
add(CREATE, nil, {}, "phone_number", "needs phone_number .* or area_code")
add(CREATE, nil, nil, "phone_number", "needs phone_number")
add(CREATE, nil, { phone_number = "+14155550100", area_code = 415 }, "area_code", "not both")
add(CREATE, nil, { friendly_name = "only a name" }, "phone_number", "needs phone_number")
for _, op in ipairs({ "CreateIncomingPhoneNumberLocal", "CreateIncomingPhoneNumberMobile",
                      "CreateIncomingPhoneNumberTollFree" }) do
  add(op, nil, {}, "phone_number", "phone_number is required")
  add(op, nil, { phone_number = "4155550100" }, "phone_number", "E%.164")
end
for _, v in ipairs({ "41", "4155", "abc", "015", "" }) do
  add(CREATE, nil, { area_code = v }, "area_code", "3%-digit area code")
end
for _, v in ipairs({ 41.5, 99, 1000, -415, NAN }) do
  add(CREATE, nil, { area_code = v }, "area_code", "3%-digit area code")
end
add(CREATE, nil, { area_code = true }, "area_code", "an integer or a string")
for _, v in ipairs({ "abc", "+", "***", "415-555", "+1415 555", "+" .. string.rep("1", 16) }) do
  add(LIST, nil, { phone_number = v }, "phone_number", "digits with an optional leading %+")
end
add("ListIncomingPhoneNumberLocal", nil, { phone_number = 415 }, "phone_number", "must be a string")
add("ListIncomingPhoneNumberTollFree", nil, { origin = "twi\nlio" }, "origin", "single line")
add("ListIncomingPhoneNumberMobile", nil, { origin = "" }, "origin", "non%-empty")

-- 9. Integers: ranges, non-integers, NaN, inf, huge, strings.
local int_cases = {
  { "page_size", 0, "between 1 and 1000 %(got 0%)" }, { "page_size", 1001, "between 1 and 1000" },
  { "page_size", -1, "between 1 and 1000" }, { "page_size", 1.5, "must be an integer %(got number 1%.5%)" },
  { "page_size", NAN, "got number nan" }, { "page_size", INF, "got number inf" },
  { "page_size", -INF, "got number %-inf" }, { "page_size", 2 ^ 63, "must be an integer" },
  { "page_size", "50", "must be an integer %(got string '50'%)" }, { "page_size", true, "must be an integer" },
  { "page_size", {}, "got table" },
  { "page", -1, ">= 0" }, { "page", 0.5, "must be an integer" }, { "page", "1", "must be an integer" },
}
local list_ops = { LIST, "ListIncomingPhoneNumberLocal", "ListIncomingPhoneNumberMobile",
                   "ListIncomingPhoneNumberTollFree", "ListAvailablePhoneNumberCountry" }
for i, c in ipairs(int_cases) do
  add(list_ops[(i - 1) % #list_ops + 1], nil, { [c[1]] = c[2] }, c[1], c[3])
end
add("ListIncomingPhoneNumberAssignedAddOn", { resource_sid = PN }, { page_size = 5000 }, "page_size", "between")
add("ListIncomingPhoneNumberAssignedAddOnExtension", { resource_sid = PN, assigned_add_on_sid = XE },
    { page = -5 }, "page", ">= 0")
for _, v in ipairs({ "", "a b", "tok\r\n", string.rep("T", 2000), 7 }) do
  local m = type(v) == "number" and "must be a string" or "page token"
  add(LIST, nil, { page_token = v }, "page_token", m)
end

-- 10. Searches (all seven types).
local SEARCH = { "ListAvailablePhoneNumberLocal", "ListAvailablePhoneNumberTollFree",
                 "ListAvailablePhoneNumberMobile", "ListAvailablePhoneNumberNational",
                 "ListAvailablePhoneNumberVoip", "ListAvailablePhoneNumberSharedCost",
                 "ListAvailablePhoneNumberMachineToMachine" }
local search_cases = {
  { "area_code", "41", "3%-digit" }, { "area_code", 1234, "3%-digit" }, { "area_code", 41.5, "3%-digit" },
  { "area_code", "a15", "3%-digit" }, { "area_code", {}, "got table" },
  { "contains", "5", "2%-16 character" }, { "contains", "51*55", "2%-16 character" },
  { "contains", "+*555", "2%-16 character" }, { "contains", "12345678901234567", "2%-16 character" },
  { "contains", "55 5", "2%-16 character" }, { "contains", "\195\169555", "2%-16 character" },
  { "contains", "", "2%-16 character" }, { "contains", "%%55", "2%-16 character" },
  { "contains", 555, "must be a string" },
  { "near_number", "4155550100", "E%.164" }, { "near_number", "+1 415", "E%.164" },
  { "near_lat_long", "37.8", "latitude,longitude" }, { "near_lat_long", "91,0", "latitude,longitude" },
  { "near_lat_long", "a,b", "latitude,longitude" }, { "near_lat_long", "37.8, -122.4", "latitude,longitude" },
  { "distance", -1, "between 0 and 500" }, { "distance", 501, "between 0 and 500" },
  { "distance", 2.5, "must be an integer" }, { "distance", "25", "must be an integer" },
  { "in_region", "CA\r\n", "single line" }, { "in_locality", "x\0", "NUL" },
  { "in_rate_center", string.rep("r", 300), "at most 255" }, { "in_postal_code", "\255", "UTF%-8" },
  { "in_lata", 123, "must be a string" },
  { "voice_enabled", "true", "must be a boolean" }, { "mms_enabled", 0, "must be a boolean" },
}
for i, c in ipairs(search_cases) do
  add(SEARCH[(i - 1) % #SEARCH + 1], US, { [c[1]] = c[2] }, c[1], c[3])
end

-- ------------------------------------------------------------------------
-- Good inputs: must build, and encode exactly.
local A = "/2010-04-01/Accounts/" .. AC
_M.good = {
  { op = UPDATE, path = P, params = { friendly_name = "Desk & Co = 1+1" },
    method = "POST", url = A .. "/IncomingPhoneNumbers/" .. PN .. ".json",
    body = "FriendlyName=Desk%20%26%20Co%20%3D%201%2B1" },
  { op = UPDATE, path = P, params = { friendly_name = "Caf\195\169 \226\152\142" },
    method = "POST", url = A .. "/IncomingPhoneNumbers/" .. PN .. ".json",
    body = "FriendlyName=Caf%C3%A9%20%E2%98%8E" },
  { op = UPDATE, path = P, params = { friendly_name = string.rep("\195\169", 64) },
    method = "POST", url = A .. "/IncomingPhoneNumbers/" .. PN .. ".json",
    body = "FriendlyName=" .. string.rep("%C3%A9", 64) },
  { op = UPDATE, path = P, params = { friendly_name = "line1\nline2\ttab" },
    method = "POST", url = A .. "/IncomingPhoneNumbers/" .. PN .. ".json",
    body = "FriendlyName=line1%0Aline2%09tab" },
  { op = UPDATE, path = P, params = { friendly_name = "" },
    method = "POST", url = A .. "/IncomingPhoneNumbers/" .. PN .. ".json", body = "FriendlyName=" },
  { op = UPDATE, path = P, params = { voice_url = "" },      -- clears it (issue 13)
    method = "POST", url = A .. "/IncomingPhoneNumbers/" .. PN .. ".json", body = "VoiceUrl=" },
  { op = UPDATE, path = P, params = {},
    method = "POST", url = A .. "/IncomingPhoneNumbers/" .. PN .. ".json", body = "" },
  { op = UPDATE, path = P, params = { voice_url = "https://example.com/v?a=1&b=%20", voice_method = "GET",
                                      friendly_name = "x", voice_caller_id_lookup = false,
                                      emergency_status = "Active", voice_receive_mode = "fax" },
    method = "POST", url = A .. "/IncomingPhoneNumbers/" .. PN .. ".json",
    body = "FriendlyName=x&VoiceCallerIdLookup=false&VoiceMethod=GET"
      .. "&VoiceUrl=https%3A%2F%2Fexample.com%2Fv%3Fa%3D1%26b%3D%2520"
      .. "&EmergencyStatus=Active&VoiceReceiveMode=fax" },
  { op = UPDATE, path = { sid = PN, account_sid = AC }, params = { account_sid = AC2 },
    method = "POST", url = A .. "/IncomingPhoneNumbers/" .. PN .. ".json", body = "AccountSid=" .. AC2 },
  { op = UPDATE, path = { sid = "PN" .. string.rep("AbC0", 8) },
    params = { status_callback = "http://127.0.0.1:8080/cb" },
    method = "POST", url = A .. "/IncomingPhoneNumbers/PN" .. string.rep("AbC0", 8) .. ".json",
    body = "StatusCallback=http%3A%2F%2F127.0.0.1%3A8080%2Fcb" },
  { op = CREATE, params = { phone_number = "+14155550100" },
    method = "POST", url = A .. "/IncomingPhoneNumbers.json", body = "PhoneNumber=%2B14155550100" },
  { op = CREATE, params = { area_code = 415 },
    method = "POST", url = A .. "/IncomingPhoneNumbers.json", body = "AreaCode=415" },
  { op = CREATE, params = { area_code = "510", friendly_name = "Main" },
    method = "POST", url = A .. "/IncomingPhoneNumbers.json", body = "FriendlyName=Main&AreaCode=510" },
  { op = "CreateIncomingPhoneNumberLocal", params = { friendly_name = "L", phone_number = "+15017122661" },
    method = "POST", url = A .. "/IncomingPhoneNumbers/Local.json",
    body = "PhoneNumber=%2B15017122661&FriendlyName=L" },
  { op = "CreateIncomingPhoneNumberAssignedAddOn", path = { resource_sid = PN },
    params = { installed_add_on_sid = XE },
    method = "POST", url = A .. "/IncomingPhoneNumbers/" .. PN .. "/AssignedAddOns.json",
    body = "InstalledAddOnSid=" .. XE },
  { op = FETCH, path = P, method = "GET", url = A .. "/IncomingPhoneNumbers/" .. PN .. ".json" },
  { op = DELETE, path = P, method = "DELETE", url = A .. "/IncomingPhoneNumbers/" .. PN .. ".json" },
  { op = "DeleteIncomingPhoneNumberAssignedAddOn", path = { resource_sid = PN, sid = XE }, method = "DELETE",
    url = A .. "/IncomingPhoneNumbers/" .. PN .. "/AssignedAddOns/" .. XE .. ".json" },
  { op = "FetchIncomingPhoneNumberAssignedAddOnExtension",
    path = { resource_sid = PN, assigned_add_on_sid = XE, sid = XF }, method = "GET",
    url = A .. "/IncomingPhoneNumbers/" .. PN .. "/AssignedAddOns/" .. XE .. "/Extensions/" .. XF .. ".json" },
  { op = LIST, params = { page_size = 20.0, page = 0 }, method = "GET",
    url = A .. "/IncomingPhoneNumbers.json?PageSize=20&Page=0" },
  { op = LIST, params = { phone_number = "+1415*******", beta = true, friendly_name = "a b" }, method = "GET",
    url = A .. "/IncomingPhoneNumbers.json?Beta=true&FriendlyName=a%20b&PhoneNumber=%2B1415%2A%2A%2A%2A%2A%2A%2A" },
  { op = "ListIncomingPhoneNumberTollFree", params = { phone_number = "800", origin = "twilio" }, method = "GET",
    url = A .. "/IncomingPhoneNumbers/TollFree.json?PhoneNumber=800&Origin=twilio" },
  { op = "ListAvailablePhoneNumberLocal", path = US,
    params = { area_code = "415", contains = "%STORM%", near_lat_long = "37.840699,-122.461853",
               distance = 50, sms_enabled = true, page_size = 1000 }, method = "GET",
    url = A .. "/AvailablePhoneNumbers/US/Local.json?AreaCode=415&Contains=%25STORM%25&SmsEnabled=true"
      .. "&NearLatLong=37.840699%2C-122.461853&Distance=50&PageSize=1000" },
  { op = "ListAvailablePhoneNumberTollFree", path = US,
    params = { contains = "+1800$", near_number = "+18005550100" }, method = "GET",
    url = A .. "/AvailablePhoneNumbers/US/TollFree.json?Contains=%2B1800%24&NearNumber=%2B18005550100" },
  { op = "ListAvailablePhoneNumberMachineToMachine", path = { country_code = "GB" }, params = { distance = 0 },
    method = "GET", url = A .. "/AvailablePhoneNumbers/GB/MachineToMachine.json?Distance=0" },
  { op = "ListAvailablePhoneNumberMobile", path = { country_code = "GB" },
    params = { in_locality = "S\195\163o Paulo", contains = "510555****" }, method = "GET",
    url = A .. "/AvailablePhoneNumbers/GB/Mobile.json?Contains=510555%2A%2A%2A%2A&InLocality=S%C3%A3o%20Paulo" },
  { op = "FetchAvailablePhoneNumberCountry", path = { country_code = "GB" }, method = "GET",
    url = A .. "/AvailablePhoneNumbers/GB.json" },
  { op = "ListAvailablePhoneNumberCountry", params = { page_token = "PA%2Bx_y" }, method = "GET",
    url = A .. "/AvailablePhoneNumbers.json?PageToken=PA%252Bx_y" },
  { op = "ListIncomingPhoneNumberAssignedAddOnExtension", path = { resource_sid = PN, assigned_add_on_sid = XE },
    params = { page_size = 1 }, method = "GET",
    url = A .. "/IncomingPhoneNumbers/" .. PN .. "/AssignedAddOns/" .. XE .. "/Extensions.json?PageSize=1" },
  { op = LIST, path = { account_sid = AC2 }, method = "GET",
    url = "/2010-04-01/Accounts/" .. AC2 .. "/IncomingPhoneNumbers.json" },
}

return _M
