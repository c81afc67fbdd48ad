-- twilio_emulator.inventory: the deterministic catalogue of purchasable numbers
-- (AvailablePhoneNumbers) in US, CA, GB and DE, and its search filters.
local fmt, sub, tonumber = string.format, string.sub, tonumber
local rad, sin, cos, asin, sqrt, floor = math.rad, math.sin, math.cos, math.asin, math.sqrt, math.floor

local _M = {}

-- Search path segment -> inventory type, and the country subresource key.
_M.TYPES = {
  Local = "local", TollFree = "toll_free", Mobile = "mobile", National = "national",
  Voip = "voip", SharedCost = "shared_cost", MachineToMachine = "machine_to_machine",
}
_M.TYPE_SEGMENT = {}
for seg, t in pairs(_M.TYPES) do _M.TYPE_SEGMENT[t] = seg end
_M.TYPE_ORDER = { "local", "toll_free", "mobile", "national", "voip", "shared_cost", "machine_to_machine" }

_M.COUNTRIES = {
  { code = "US", name = "United States", beta = false },
  { code = "CA", name = "Canada", beta = false },
  { code = "GB", name = "United Kingdom", beta = false },
  { code = "DE", name = "Germany", beta = false },
}

-- NANP area codes: metadata used for the generated numbers.
local NANP = {
  ["415"] = { cc = "US", count = 400, locality = "San Francisco", region = "CA", rate_center = "SNFC",
              lata = "722", lat = 37.7749, long = -122.4194, postal = { "94103", "94107", "94110", "94117" } },
  ["510"] = { cc = "US", count = 400, locality = "Oakland", region = "CA", rate_center = "OKLD",
              lata = "722", lat = 37.8044, long = -122.2712, postal = { "94607", "94610", "94612" } },
  ["212"] = { cc = "US", count = 400, locality = "New York", region = "NY", rate_center = "NWYRCYZN01",
              lata = "132", lat = 40.7128, long = -74.0060, postal = { "10001", "10016", "10023" } },
  ["646"] = { cc = "US", count = 400, locality = "New York", region = "NY", rate_center = "NWYRCYZN01",
              lata = "132", lat = 40.7306, long = -73.9866, postal = { "10003", "10011" } },
  ["604"] = { cc = "CA", count = 200, locality = "Vancouver", region = "BC", rate_center = "VANCOUVER",
              lata = "888", lat = 49.2827, long = -123.1207, postal = { "V5K 0A1", "V6B 1A1" } },
  ["416"] = { cc = "CA", count = 200, locality = "Toronto", region = "ON", rate_center = "TORONTO",
              lata = "888", lat = 43.6532, long = -79.3832, postal = { "M5H 2N2", "M4B 1B3" } },
}
_M.NANP = NANP

-- Regulatory requirements the emulator enforces on purchases, per country (as
-- Twilio does: 21631 without an AddressSid for a number whose
-- address_requirements is not "none", 21649 without a BundleSid). Only GB and
-- DE, so US/CA purchases (and GB mobile, address "none") stay as they were.
_M.REGULATION = {
  GB = { address = true },
  DE = { address = true, bundle = true },
}

local state -- built by _M.build()

local function add(rec)
  local c = state.lists[rec.iso_country]
  if not c then c = {}; state.lists[rec.iso_country] = c end
  local l = c[rec.type]
  if not l then l = {}; c[rec.type] = l end
  l[#l + 1] = rec
  state.by_phone[rec.phone_number] = rec
  state.count = state.count + 1
end

local function caps(voice, sms, mms, fax)
  return { voice = voice, sms = sms, mms = mms, fax = fax }
end

local function nanp_local(ac, meta)
  for i = 0, meta.count - 1 do
    local line = fmt("%04d", 100 + i)
    local addr = "none"
    if meta.cc == "CA" and i % 5 == 0 then addr = "any"
    elseif i % 25 == 3 then addr = "any" end
    add({
      phone_number = "+1" .. ac .. "555" .. line,
      friendly_name = "(" .. ac .. ") 555-" .. line,
      national = ac .. "555" .. line,
      iso_country = meta.cc, type = "local",
      lata = meta.lata, locality = meta.locality, rate_center = meta.rate_center,
      latitude = fmt("%.6f", meta.lat + (i % 20) * 0.002 - 0.02),
      longitude = fmt("%.6f", meta.long + (floor(i / 20) % 20) * 0.002 - 0.02),
      region = meta.region, postal_code = meta.postal[i % #meta.postal + 1],
      address_requirements = addr, beta = (i % 50 == 49),
      capabilities = meta.cc == "US" and caps(true, true, i % 10 ~= 7, i % 4 == 0)
        or caps(true, true, false, false),
    })
  end
end

local function nanp_toll_free(cc, ac, count)
  for i = 0, count - 1 do
    local line = fmt("%04d", 2000 + i)
    add({
      phone_number = "+1" .. ac .. "555" .. line, friendly_name = "(" .. ac .. ") 555-" .. line,
      national = ac .. "555" .. line, iso_country = cc, type = "toll_free",
      address_requirements = "none", beta = false, capabilities = caps(true, true, false, false),
    })
  end
end

-- Non-NANP: country code, national prefix digits, count, type, friendly prefix, extras.
local function intl(cc, dial, prefix, count, typ, o)
  for i = 0, count - 1 do
    local subscriber = prefix .. fmt("%0" .. o.width .. "d", i)
    add({
      phone_number = "+" .. dial .. subscriber,
      friendly_name = "+" .. dial .. " " .. o.pretty .. " " .. fmt("%0" .. o.width .. "d", i),
      national = subscriber, iso_country = cc, type = typ,
      locality = o.locality, region = o.region,
      address_requirements = o.addr(i), beta = o.beta and (i % 10 == 9) or false,
      capabilities = o.caps(i),
    })
  end
end

function _M.build()
  state = { lists = {}, by_phone = {}, count = 0 }
  for _, ac in ipairs({ "415", "510", "212", "646", "604", "416" }) do nanp_local(ac, NANP[ac]) end
  nanp_toll_free("US", "800", 150)
  nanp_toll_free("US", "888", 150)
  nanp_toll_free("US", "877", 100)
  nanp_toll_free("CA", "855", 100)
  local function const(v) return function() return v end end
  intl("GB", "44", "207946", 500, "local", { width = 4, pretty = "20 7946", locality = "London",
       addr = function(i) return i % 3 == 0 and "local" or "any" end,
       caps = function(i) return caps(true, false, false, i % 3 == 0) end })
  intl("GB", "44", "7700900", 300, "mobile", { width = 3, pretty = "7700 900", beta = true,
       addr = const("none"), caps = function() return caps(true, true, false, false) end })
  intl("GB", "44", "8081570", 100, "toll_free", { width = 3, pretty = "808 1570",
       addr = const("none"), caps = function() return caps(true, false, false, false) end })
  intl("GB", "44", "3300880", 100, "national", { width = 3, pretty = "330 0880",
       addr = const("any"), caps = function() return caps(true, false, false, false) end })
  intl("GB", "44", "3450000", 100, "shared_cost", { width = 3, pretty = "345 0000",
       addr = const("any"), caps = function() return caps(true, false, false, false) end })
  intl("DE", "49", "309000", 200, "local", { width = 4, pretty = "30 9000", locality = "Berlin",
       addr = const("local"), caps = function(i) return caps(true, false, false, i % 2 == 0) end })
  intl("DE", "49", "1512000", 200, "mobile", { width = 4, pretty = "1512 000",
       addr = const("any"), caps = function() return caps(true, true, false, false) end })
  intl("DE", "49", "800100", 100, "toll_free", { width = 4, pretty = "800 100",
       addr = const("none"), caps = function() return caps(true, false, false, false) end })
  intl("DE", "49", "322100", 100, "voip", { width = 4, pretty = "32 2100",
       addr = const("foreign"), caps = function() return caps(true, true, false, false) end })
  intl("DE", "49", "15790", 100, "machine_to_machine", { width = 4, pretty = "1579 0", beta = true,
       addr = const("none"), caps = function() return caps(false, true, false, false) end })
  for _, rec in pairs(state.by_phone) do rec.owned = false end
  return state
end

function _M.get(phone) return state.by_phone[phone] end
function _M.list(cc, typ)
  local c = state.lists[cc]
  return c and c[typ]
end
function _M.types(cc)
  local c, out = state.lists[cc], {}
  if not c then return out end
  for _, t in ipairs(_M.TYPE_ORDER) do
    if c[t] then out[#out + 1] = t end
  end
  return out
end
function _M.count() return state.count end

-- Contains -> Lua pattern. Letters map to keypad digits.
local KEYPAD = { A = 2, B = 2, C = 2, D = 3, E = 3, F = 3, G = 4, H = 4, I = 4, J = 5, K = 5, L = 5,
                 M = 6, N = 6, O = 6, P = 7, Q = 7, R = 7, S = 7, T = 8, U = 8, V = 8, W = 9, X = 9,
                 Y = 9, Z = 9 }

-- Returns pattern, anchored_start or nil, message.
function _M.contains_pattern(s)
  local anchor_start, anchor_end = false, false
  if sub(s, 1, 1) == "+" then anchor_start = true; s = sub(s, 2) end
  if sub(s, -1) == "$" then anchor_end = true; s = sub(s, 1, -2) end
  if #s < 2 or #s > 16 then return nil, "Contains must be 2 to 16 characters" end
  if not s:find("^[%w%*%%]+$") then return nil, "Contains may only hold digits, letters, '*' and '%'" end
  local lead, core, trail = s:match("^([%*%%]*)(%w*)([%*%%]*)$")
  if not lead then return nil, "Contains: wildcards cannot be used between non-meta-characters" end
  if #core < 2 then return nil, "Contains needs at least two non-meta characters" end
  if (anchor_start and #lead > 0) or (anchor_end and #trail > 0) then
    return nil, "Contains: meta-characters can't be adjacent to each other"
  end
  local out = {}
  for i = 1, #s do
    local c = sub(s, i, i)
    if c == "*" then out[#out + 1] = "%d"
    elseif c == "%" then out[#out + 1] = "%d-"
    elseif c:find("%a") then out[#out + 1] = tostring(KEYPAD[c:upper()])
    else out[#out + 1] = c end
  end
  local pat = table.concat(out)
  if anchor_end then pat = pat .. "$" end
  return { pat = pat, start = anchor_start }
end

local function miles(lat1, lon1, lat2, lon2)
  local dlat, dlon = rad(lat2 - lat1), rad(lon2 - lon1)
  local a = sin(dlat / 2) ^ 2 + cos(rad(lat1)) * cos(rad(lat2)) * sin(dlon / 2) ^ 2
  return 2 * 3958.8 * asin(sqrt(a))
end
_M.miles = miles

-- Position of a number for Near* (from the inventory, else its NANP area code).
function _M.position(phone)
  local rec = state.by_phone[phone]
  if rec and rec.latitude then return tonumber(rec.latitude), tonumber(rec.longitude) end
  local ac = phone:match("^%+1(%d%d%d)")
  local meta = ac and NANP[ac]
  if meta then return meta.lat, meta.long end
  return nil
end

-- f: compiled filters (see api.lua). Returns true when rec passes.
function _M.matches(rec, f)
  if rec.owned then return false end
  local c = rec.capabilities
  if f.sms ~= nil and (c.sms == true) ~= f.sms then return false end
  if f.voice ~= nil and (c.voice == true) ~= f.voice then return false end
  if f.mms ~= nil and (c.mms == true) ~= f.mms then return false end
  if f.fax ~= nil and (c.fax == true) ~= f.fax then return false end
  if f.beta == false and rec.beta then return false end
  local ar = rec.address_requirements
  if f.excl_all and ar ~= "none" then return false end
  if f.excl_local and ar == "local" then return false end
  if f.excl_foreign and ar == "foreign" then return false end
  if f.area_code and sub(rec.national, 1, #f.area_code) ~= f.area_code then return false end
  if f.region and (rec.region or ""):upper() ~= f.region then return false end
  if f.postal and rec.postal_code ~= f.postal then return false end
  if f.locality and (rec.locality or ""):lower() ~= f.locality then return false end
  if f.lata and rec.lata ~= f.lata then return false end
  if f.rate_center and (rec.rate_center or ""):upper() ~= f.rate_center then return false end
  if f.contains then
    local p = f.contains
    if p.start then
      local digits = sub(rec.phone_number, 2)
      if not (digits:find("^" .. p.pat) or rec.national:find("^" .. p.pat)) then return false end
    elseif not rec.phone_number:find(p.pat) then
      return false
    end
  end
  if f.near_lat then
    if not rec.latitude then return false end
    if miles(f.near_lat, f.near_long, tonumber(rec.latitude), tonumber(rec.longitude)) > f.distance then
      return false
    end
  end
  return true
end

return _M
