-- twilio_emulator.api: the emulated Twilio REST API (2010-04-01):
-- luacheck: globals ngx
-- IncomingPhoneNumbers (+ Local/Mobile/TollFree), AssignedAddOns, Extensions,
-- AvailablePhoneNumbers; auth, paging, CSV, errors, and the fault hooks.
local util = require "twilio_emulator.util"
local state = require "twilio_emulator.state"
local inventory = require "twilio_emulator.inventory"
local render = require "twilio_emulator.render"
local faults = require "twilio_emulator.faults"

local ngx = ngx
local concat, sub, fmt, find, match, gmatch = table.concat, string.sub, string.format,
  string.find, string.match, string.gmatch
local tonumber, tostring, ipairs, pairs, type = tonumber, tostring, ipairs, pairs, type
local floor, max = math.floor, math.max
local err, jsonres, jstr = util.err, util.json, util.jstr

local _M = {}

local V = "/2010-04-01/Accounts/"
local SUBLISTS = { Local = "local", Mobile = "mobile", TollFree = "toll_free" }
local SUBLIST_NAME = { ["local"] = "Local", mobile = "Mobile", toll_free = "TollFree" }

local function not_found(path)
  return err(404, 20404, "The requested resource " .. path .. " was not found")
end

local function bad(code, message)
  return err(400, code, message)
end

-- Paging ---------------------------------------------------------------------

-- q: flattened query args. Returns { size, page, dir ("PA"|"PB"|nil), sid } or nil, res.
local function parse_paging(q, sid_prefix)
  local p = { size = 50, page = 0 }
  if q.PageSize ~= nil then
    local n = tonumber(q.PageSize)
    if not n or n ~= floor(n) or n < 1 or n > 1000 then
      return nil, bad(20001, "PageSize must be an integer between 1 and 1000")
    end
    p.size = n
  end
  if q.Page ~= nil then
    local n = tonumber(q.Page)
    if not n or n ~= floor(n) or n < 0 then return nil, bad(20001, "Page must be a non-negative integer") end
    p.page = n
  end
  if q.PageToken ~= nil then
    local dir, sid = match(q.PageToken, "^(P[AB])(.*)$")
    if not dir or not util.is_sid(sid, sid_prefix) then
      return nil, bad(21481, "Invalid PageToken: " .. q.PageToken)
    end
    p.dir, p.sid = dir, sid
  end
  return p
end

-- arr: records sorted by sid; ok(rec) -> bool or nil for all.
-- Returns items, env where env = { start, end, page, page_size, uri, first, next, prev }.
local function paginate(arr, ok, p, base, filter_pairs)
  local n, size = #arr, p.size
  local items = {}
  local first_i, last_i          -- array indexes of the first/last item on the page
  if p.dir == "PB" then
    local i = state.lower_bound(arr, p.sid) - 1
    local picked = {}
    while i >= 1 and #picked < size do
      if not ok or ok(arr[i]) then picked[#picked + 1] = i end
      i = i - 1
    end
    for k = #picked, 1, -1 do items[#items + 1] = arr[picked[k]] end
    first_i, last_i = picked[#picked], picked[1]
  else
    local i = 1
    if p.dir == "PA" then
      i = state.lower_bound(arr, p.sid)
      if arr[i] and arr[i].sid == p.sid then i = i + 1 end
    elseif p.page > 0 then
      -- legacy Page without a token: skip page * size matching items
      local skip = p.page * size
      if not ok then i = skip + 1
      else
        while i <= n and skip > 0 do
          if ok(arr[i]) then skip = skip - 1 end
          i = i + 1
        end
      end
    end
    if not ok then
      local stop = i + size - 1
      if stop > n then stop = n end
      for k = i, stop do items[#items + 1] = arr[k] end
      if stop >= i then first_i, last_i = i, stop end
    else
      while i <= n and #items < size do
        local r = arr[i]
        if ok(r) then
          items[#items + 1] = r
          if not first_i then first_i = i end
          last_i = i
        end
        i = i + 1
      end
    end
  end
  local has_next, has_prev = false, false
  if last_i then
    for k = last_i + 1, n do
      if not ok or ok(arr[k]) then has_next = true; break end
    end
  end
  local back = first_i and first_i - 1 or (p.dir and state.lower_bound(arr, p.sid) - 1) or 0
  for k = back, 1, -1 do
    if not ok or ok(arr[k]) then has_prev = true; break end
  end
  local function uri(extra)
    local list = {}
    for _, fp in ipairs(filter_pairs) do list[#list + 1] = fp end
    list[#list + 1] = { "PageSize", size }
    for _, e in ipairs(extra) do list[#list + 1] = e end
    return base .. "?" .. util.encode_query(list)
  end
  local this = { { "Page", p.page } }
  if p.dir then this[2] = { "PageToken", p.dir .. p.sid } end
  local env = {
    page = p.page, page_size = size, start = p.page * size,
    uri = uri(this), first = uri({ { "Page", 0 } }),
  }
  env["end"] = #items > 0 and env.start + #items - 1 or env.start
  if has_next then
    env.next = uri({ { "Page", p.page + 1 }, { "PageToken", "PA" .. items[#items].sid } })
  end
  if has_prev then
    local anchor = items[1] and items[1].sid or p.sid
    if anchor then env.prev = uri({ { "Page", max(p.page - 1, 0) }, { "PageToken", "PB" .. anchor } }) end
  end
  if ngx.ctx.foreign_next then
    env.next = "http://evil.example.invalid" .. (env.next or env.uri)
  end
  return items, env
end

local function envelope(key, parts, env)
  local function u(v) return v and jstr(v) or "null" end
  return concat({
    '{"end": ', fmt("%d", env["end"]), ', "first_page_uri": ', jstr(env.first),
    ', "', key, '": [', concat(parts, ", "), '], "next_page_uri": ', u(env.next),
    ', "page": ', fmt("%d", env.page), ', "page_size": ', fmt("%d", env.page_size),
    ', "previous_page_uri": ', u(env.prev), ', "start": ', fmt("%d", env.start),
    ', "uri": ', jstr(env.uri), "}",
  })
end

-- CSV of a page: columns rotated by a counter (Twilio leaves column order undefined).
local function csv_response(columns, rows)
  local c = state.counters
  c.csv = c.csv + 1
  local rot, cols = c.csv % #columns, {}
  for i = 1, #columns do cols[i] = columns[(i - 1 + rot) % #columns + 1] end
  return { status = 200, body = util.csv(cols, rows), headers = { ["Content-Type"] = "text/csv; charset=utf-8" } }
end

-- Form field validation (create and update) -------------------------------------

local SID_FIELDS = {
  SmsApplicationSid = { "sms_application_sid", "AP", "" }, VoiceApplicationSid = { "voice_application_sid", "AP", "" },
  TrunkSid = { "trunk_sid", "TK" }, IdentitySid = { "identity_sid", "RI" }, AddressSid = { "address_sid", "AD" },
  EmergencyAddressSid = { "emergency_address_sid", "AD" }, BundleSid = { "bundle_sid", "BU" },
}
local URL_FIELDS = { SmsFallbackUrl = "sms_fallback_url", SmsUrl = "sms_url", StatusCallback = "status_callback",
                     VoiceFallbackUrl = "voice_fallback_url", VoiceUrl = "voice_url" }
local METHOD_FIELDS = { SmsFallbackMethod = "sms_fallback_method", SmsMethod = "sms_method",
                        StatusCallbackMethod = "status_callback_method",
                        VoiceFallbackMethod = "voice_fallback_method", VoiceMethod = "voice_method" }
local ENUM_FIELDS = { EmergencyStatus = { "emergency_status", { Active = true, Inactive = true } },
                      VoiceReceiveMode = { "voice_receive_mode", { voice = true, fax = true } } }

-- Returns an array of { field, value } or nil, res. value false = set to null.
local function validate_fields(form)
  local ch = {}
  for name, v in pairs(form) do
    local s = SID_FIELDS[name]
    if s then
      if v == "" then ch[#ch + 1] = { s[1], s[3] or false }
      elseif not util.is_sid(v, s[2]) then
        return nil, bad(20001, "Invalid " .. name .. ": " .. v .. " (expected " .. s[2] .. " + 32 hex digits)")
      else ch[#ch + 1] = { s[1], v } end
    elseif URL_FIELDS[name] then
      if v ~= "" and not find(v, "^[Hh][Tt][Tt][Pp][Ss]?://[^%s/]+[^%s]*$") then
        return nil, bad(21402, name .. " is not a valid URL: " .. v)
      end
      ch[#ch + 1] = { URL_FIELDS[name], v }
    elseif METHOD_FIELDS[name] then
      if v ~= "GET" and v ~= "POST" then
        return nil, bad(20001, name .. " must be GET or POST, got '" .. v .. "'")
      end
      ch[#ch + 1] = { METHOD_FIELDS[name], v }
    elseif ENUM_FIELDS[name] then
      local e = ENUM_FIELDS[name]
      if not e[2][v] then
        local allowed = {}
        for k in pairs(e[2]) do allowed[#allowed + 1] = k end
        table.sort(allowed)
        return nil, bad(20001, name .. " must be one of " .. concat(allowed, ", ") .. ", got '" .. v .. "'")
      end
      ch[#ch + 1] = { e[1], v }
    elseif name == "VoiceCallerIdLookup" then
      local b, okb = util.parse_bool(v)
      if not okb then return nil, bad(20001, "VoiceCallerIdLookup must be true or false") end
      ch[#ch + 1] = { "voice_caller_id_lookup", b }
    elseif name == "FriendlyName" then
      if #v > 64 then return nil, bad(20001, "FriendlyName must be at most 64 characters") end
      ch[#ch + 1] = { "friendly_name", v }
    elseif name == "ApiVersion" then
      if v ~= "2010-04-01" and v ~= "2008-08-01" then
        return nil, bad(20001, "ApiVersion must be 2010-04-01 or 2008-08-01")
      end
      ch[#ch + 1] = { "api_version", v }
    end
  end
  return ch
end

local function apply_fields(rec, ch)
  for _, c in ipairs(ch) do
    local field, v = c[1], c[2]
    if v == false and field ~= "voice_caller_id_lookup" then v = nil end
    rec[field] = v
    if field == "voice_application_sid" and v and v ~= "" then rec.trunk_sid = nil end
    if field == "trunk_sid" and v then rec.voice_application_sid = "" end
    if field == "emergency_address_sid" then
      rec.emergency_address_status = v and "registered" or "unregistered"
    end
  end
end

-- IncomingPhoneNumbers ------------------------------------------------------------

local function number_json(typ)
  return typ and render.number_sub or render.number
end

local function phone_pattern(s)
  local out = {}
  for c in gmatch(s, ".") do
    if c == "*" then out[#out + 1] = "%d"
    elseif find(c, "%w") then out[#out + 1] = c
    else out[#out + 1] = "%" .. c end
  end
  return concat(out)
end

local function list_numbers(ctx, acct, typ, q)
  local p, e = parse_paging(q, "PN")
  if not p then return e end
  local beta, okb = util.parse_bool(q.Beta)
  if not okb then return bad(20001, "Beta must be true or false") end
  local fname, phone, origin = q.FriendlyName, q.PhoneNumber, q.Origin
  local ppat = phone and phone ~= "" and phone_pattern(phone) or nil
  local ok
  if typ or beta == false or fname or ppat or origin then
    ok = function(r)
      if typ and r.type ~= typ then return false end
      if beta == false and r.beta then return false end
      if fname and r.friendly_name ~= fname then return false end
      if ppat and not find(r.phone_number, ppat) then return false end
      if origin and r.origin ~= origin then return false end
      return true
    end
  end
  local fp = {}
  if fname then fp[#fp + 1] = { "FriendlyName", fname } end
  if q.Beta then fp[#fp + 1] = { "Beta", q.Beta } end
  if phone then fp[#fp + 1] = { "PhoneNumber", phone } end
  if origin then fp[#fp + 1] = { "Origin", origin } end
  local base = V .. acct.sid .. "/IncomingPhoneNumbers" .. (typ and "/" .. SUBLIST_NAME[typ] or "") .. ".json"
  local items, env = paginate(acct.numbers, ok, p, base, fp)
  state.stats.lists = state.stats.lists + 1
  if ctx.ext == "csv" then
    local rows = {}
    for i, r in ipairs(items) do rows[i] = render.number_table(r) end
    return csv_response(typ and render.NUMBER_FIELDS_SUB or render.NUMBER_FIELDS, rows)
  end
  return jsonres(200, envelope("incoming_phone_numbers", { render.numbers_json(items, not typ) }, env))
end

local E164 = "^%+[1-9]%d%d%d%d%d%d%d?%d?%d?%d?%d?%d?%d?%d?$"

local function create_number(_, acct, typ, form)
  local ch, e = validate_fields(form)
  if not ch then return e end
  local phone, area = form.PhoneNumber, not typ and form.AreaCode or nil
  local inv
  if phone and phone ~= "" then
    if not find(phone, E164) then
      return bad(21421, "PhoneNumber is invalid: '" .. phone .. "' (E.164 expected, e.g. +14155550100)")
    end
    inv = inventory.get(phone)
    if not inv or inv.owned then
      return bad(21422, "PhoneNumber " .. phone .. " is not available")
    end
    if typ and inv.type ~= typ then
      return bad(21422, "PhoneNumber " .. phone .. " is not available as a " .. SUBLIST_NAME[typ] .. " number")
    end
  elseif area and area ~= "" then
    if not find(area, "^%d%d%d$") then return bad(20001, "AreaCode must be 3 digits: " .. area) end
    local meta = inventory.NANP[area]
    local list = meta and inventory.list(meta.cc, "local") or {}
    for _, r in ipairs(list) do
      if not r.owned and sub(r.national, 1, 3) == area then inv = r; break end
    end
    if not inv then return bad(21452, "No phone numbers found in area code " .. area) end
  else
    if typ then return bad(21421, "Missing required parameter PhoneNumber") end
    return bad(21421, "A PhoneNumber or an AreaCode is required")
  end
  local reg = inventory.REGULATION[inv.iso_country]
  if reg then
    if reg.address and inv.address_requirements ~= "none" and (form.AddressSid or "") == "" then
      return bad(21631, "Phone Number Requires an Address: " .. inv.phone_number .. " has address_requirements '" ..
                 inv.address_requirements .. "'; pass an AddressSid")
    end
    if reg.bundle and (form.BundleSid or "") == "" then
      return bad(21649, "Phone Number Requires a Bundle: " .. inv.phone_number .. " (" .. inv.iso_country ..
                 ") needs an approved regulatory BundleSid")
    end
  end
  local rec = state.new_number(acct, inv, ngx.time())
  apply_fields(rec, ch)
  state.add_number(acct, rec)
  state.stats.purchases = state.stats.purchases + 1
  return jsonres(201, number_json(typ)(rec))
end

local function find_number(ctx, acct, sid)
  local rec = util.is_sid(sid, "PN") and state.numbers[sid]
  if not rec or rec.account_sid ~= acct.sid then return nil, not_found(ctx.path) end
  return rec
end

local function update_number(ctx, acct, rec, form)
  local ch, e = validate_fields(form)
  if not ch then return e end
  local target
  if form.AccountSid ~= nil then
    local to = form.AccountSid
    if not util.is_sid(to, "AC") then return bad(20001, "Invalid AccountSid: " .. to) end
    target = state.accounts[to]
    if not target then return bad(20001, "AccountSid " .. to .. " is not an account you can transfer to") end
    local p = ctx.principal
    if not (state.can_access(p, acct) and state.can_access(p, target)) then
      return err(403, 20003, "Permission denied: transferring a number needs the parent account's credentials")
    end
  end
  apply_fields(rec, ch)
  if target and target ~= acct then state.move_number(rec, target) end
  rec.date_updated = util.rfc2822(ngx.time())
  render.touch(rec)
  state.stats.updates = state.stats.updates + 1
  return jsonres(200, render.number(rec))
end

-- AssignedAddOns and Extensions ------------------------------------------------------

local function find_addon(ctx, rec, sid)
  if not util.is_sid(sid, "XE") then return nil, not_found(ctx.path) end
  local arr = state.addons(rec)
  local i = state.lower_bound(arr, sid)
  if arr[i] and arr[i].sid == sid then return arr[i] end
  return nil, not_found(ctx.path)
end

local function list_addons(ctx, rec, q)
  local p, e = parse_paging(q, "XE")
  if not p then return e end
  local base = V .. rec.account_sid .. "/IncomingPhoneNumbers/" .. rec.sid .. "/AssignedAddOns.json"
  local items, env = paginate(state.addons(rec), nil, p, base, {})
  if ctx.ext == "csv" then
    local rows = {}
    for i, a in ipairs(items) do rows[i] = render.addon_table(rec, a) end
    return csv_response(render.ADDON_FIELDS, rows)
  end
  local parts = {}
  for i, a in ipairs(items) do parts[i] = render.addon(rec, a) end
  return jsonres(200, envelope("assigned_add_ons", parts, env))
end

local function create_addon(_, rec, form)
  local xe = form.InstalledAddOnSid
  if not xe or xe == "" then return bad(20001, "Missing required parameter InstalledAddOnSid") end
  if not util.is_sid(xe, "XE") then return bad(20001, "Invalid InstalledAddOnSid: " .. xe) end
  local inst = state.addon_by_sid[xe]
  if not inst then return bad(20001, "Installed Add-on " .. xe .. " not found") end
  for _, a in ipairs(state.addons(rec)) do
    if a.installed == inst then return bad(20001, "Add-on " .. xe .. " is already assigned to " .. rec.sid) end
  end
  local sid, n = state.next_xe_sid()
  local date = util.rfc2822(ngx.time())
  local a = { sid = sid, installed = inst, date_created = date, date_updated = date, extensions = {} }
  for i, x in ipairs(inst.extensions) do
    a.extensions[i] = { sid = util.ordered_sid("XF", n * 16 + i), friendly_name = x.friendly_name,
                        product_name = x.product_name, unique_name = x.unique_name, enabled = x.enabled }
  end
  state.sorted_insert(state.addons(rec), a)
  state.stats.addon_assigns = state.stats.addon_assigns + 1
  return jsonres(201, render.addon(rec, a))
end

local function list_extensions(ctx, rec, a, q)
  local p, e = parse_paging(q, "XF")
  if not p then return e end
  local base = V .. rec.account_sid .. "/IncomingPhoneNumbers/" .. rec.sid .. "/AssignedAddOns/" .. a.sid
    .. "/Extensions.json"
  local items, env = paginate(a.extensions, nil, p, base, {})
  if ctx.ext == "csv" then
    local rows = {}
    for i, x in ipairs(items) do rows[i] = render.extension_table(rec, a, x) end
    return csv_response(render.EXT_FIELDS, rows)
  end
  local parts = {}
  for i, x in ipairs(items) do parts[i] = render.extension(rec, a, x) end
  return jsonres(200, envelope("extensions", parts, env))
end

-- AvailablePhoneNumbers ----------------------------------------------------------------

local function country_by_code(cc)
  for _, c in ipairs(inventory.COUNTRIES) do
    if c.code == cc then return c end
  end
end

local function list_countries(ctx, acct)
  local parts, rows = {}, {}
  for _, c in ipairs(inventory.COUNTRIES) do
    local types = inventory.types(c.code)
    parts[#parts + 1] = render.country(acct.sid, c, types, inventory.TYPE_SEGMENT)
    rows[#rows + 1] = render.country_table(acct.sid, c, types, inventory.TYPE_SEGMENT)
  end
  if ctx.ext == "csv" then return csv_response(render.COUNTRY_FIELDS, rows) end
  return jsonres(200, '{"countries": [' .. concat(parts, ", ") .. '], "uri": '
    .. jstr(V .. acct.sid .. "/AvailablePhoneNumbers.json") .. "}")
end

local function bool_filter(q, name, f, key)
  local b, okb = util.parse_bool(q[name])
  if not okb then return bad(20001, name .. " must be true or false") end
  f[key] = b
end

local function search(ctx, acct, c, typ, seg, q)
  local p, e = parse_paging(q, "PN")
  if not p then return e end
  local f = {}
  for name, key in pairs({ SmsEnabled = "sms", VoiceEnabled = "voice", MmsEnabled = "mms", FaxEnabled = "fax",
                           Beta = "beta", ExcludeAllAddressRequired = "excl_all",
                           ExcludeLocalAddressRequired = "excl_local",
                           ExcludeForeignAddressRequired = "excl_foreign" }) do
    local r = bool_filter(q, name, f, key)
    if r then return r end
  end
  if q.AreaCode then
    if not find(q.AreaCode, "^%d%d%d$") then return bad(20001, "AreaCode must be 3 digits") end
    f.area_code = q.AreaCode
  end
  if q.Contains and q.Contains ~= "" then
    local pat, msg = inventory.contains_pattern(q.Contains)
    if not pat then return bad(20001, "Invalid Contains pattern '" .. q.Contains .. "': " .. msg) end
    f.contains = pat
  end
  f.region = q.InRegion and q.InRegion:upper()
  f.postal = q.InPostalCode
  f.locality = q.InLocality and q.InLocality:lower()
  f.lata = q.InLata
  f.rate_center = q.InRateCenter and q.InRateCenter:upper()
  if f.rate_center and not f.lata then return bad(20001, "InRateCenter requires InLata") end
  local dist = 25
  if q.Distance then
    dist = tonumber(q.Distance)
    if not dist or dist < 0 or dist > 500 then return bad(20001, "Distance must be between 0 and 500") end
  end
  if q.NearNumber then
    if not find(q.NearNumber, E164) then return bad(21421, "NearNumber is invalid: " .. q.NearNumber) end
    local lat, long = inventory.position(q.NearNumber)
    if not lat then return bad(20001, "NearNumber has no known location: " .. q.NearNumber) end
    f.near_lat, f.near_long = lat, long
  elseif q.NearLatLong then
    local lat, long = match(q.NearLatLong, "^%s*(%-?[%d%.]+)%s*,%s*(%-?[%d%.]+)%s*$")
    lat, long = tonumber(lat), tonumber(long)
    if not lat or not long or lat < -90 or lat > 90 or long < -180 or long > 180 then
      return bad(20001, "NearLatLong must be 'latitude,longitude'")
    end
    f.near_lat, f.near_long = lat, long
  end
  f.distance = dist
  local out = {}
  for _, r in ipairs(inventory.list(c.code, typ)) do
    if inventory.matches(r, f) then
      out[#out + 1] = r
      if #out >= p.size then break end
    end
  end
  state.stats.searches = state.stats.searches + 1
  if ctx.ext == "csv" then
    local rows = {}
    for i, r in ipairs(out) do rows[i] = render.available_table(r) end
    return csv_response(render.AVAIL_FIELDS, rows)
  end
  local parts = {}
  for i, r in ipairs(out) do parts[i] = render.available(r) end
  return jsonres(200, '{"available_phone_numbers": [' .. concat(parts, ", ") .. '], "uri": '
    .. jstr(V .. acct.sid .. "/AvailablePhoneNumbers/" .. c.code .. "/" .. seg .. ".json") .. "}")
end

-- Routing -----------------------------------------------------------------------------

local function method_not_allowed(ctx)
  return err(405, 20004, "Method " .. ctx.method .. " not allowed on " .. ctx.path)
end

local function route(ctx)
  local acct_sid, rest = match(ctx.path, "^/2010%-04%-01/Accounts/([^/]+)/(.+)$")
  if not acct_sid then return not_found(ctx.path) end
  local stem, ext = match(rest, "^(.-)%.(%a+)$")
  if not stem or (ext ~= "json" and ext ~= "csv") then return not_found(ctx.path) end
  ctx.ext = ext
  local acct = util.is_sid(acct_sid, "AC") and state.accounts[acct_sid]
  if not acct then return not_found(ctx.path) end
  if not state.can_access(ctx.principal, acct) then
    return err(403, 20003, "Permission denied: the credentials of " .. ctx.principal.sid
      .. " do not grant access to account " .. acct_sid)
  end
  local seg = {}
  for s in gmatch(stem, "[^/]+") do seg[#seg + 1] = s end
  local m, n = ctx.method, #seg
  local q, form = ctx.query, ctx.form
  local is_list = false
  local res
  if seg[1] == "IncomingPhoneNumbers" then
    if n == 1 then
      is_list = m == "GET"
      if m == "GET" then res = list_numbers(ctx, acct, nil, q)
      elseif m == "POST" then res = create_number(ctx, acct, nil, form)
      else res = method_not_allowed(ctx) end
    elseif n == 2 and SUBLISTS[seg[2]] then
      is_list = m == "GET"
      if m == "GET" then res = list_numbers(ctx, acct, SUBLISTS[seg[2]], q)
      elseif m == "POST" then res = create_number(ctx, acct, SUBLISTS[seg[2]], form)
      else res = method_not_allowed(ctx) end
    else
      local rec, e = find_number(ctx, acct, seg[2])
      if not rec then return e end
      if n == 2 then
        if m == "GET" then
          state.stats.fetches = state.stats.fetches + 1
          res = jsonres(200, render.number(rec))
        elseif m == "POST" then res = update_number(ctx, acct, rec, form)
        elseif m == "DELETE" then
          state.remove_number(rec)
          state.stats.releases = state.stats.releases + 1
          res = { status = 204 }
        else res = method_not_allowed(ctx) end
      elseif seg[3] == "AssignedAddOns" then
        if n == 3 then
          is_list = m == "GET"
          if m == "GET" then res = list_addons(ctx, rec, q)
          elseif m == "POST" then res = create_addon(ctx, rec, form)
          else res = method_not_allowed(ctx) end
        else
          local a, e2 = find_addon(ctx, rec, seg[4])
          if not a then return e2 end
          if n == 4 then
            if m == "GET" then res = jsonres(200, render.addon(rec, a))
            elseif m == "DELETE" then
              state.sorted_remove(state.addons(rec), a)
              state.stats.addon_removals = state.stats.addon_removals + 1
              res = { status = 204 }
            else res = method_not_allowed(ctx) end
          elseif seg[5] == "Extensions" and n <= 6 then
            if m ~= "GET" then return method_not_allowed(ctx) end
            if n == 5 then
              is_list = true
              res = list_extensions(ctx, rec, a, q)
            else
              for _, x in ipairs(a.extensions) do
                if x.sid == seg[6] then res = jsonres(200, render.extension(rec, a, x)) end
              end
              res = res or not_found(ctx.path)
            end
          end
        end
      end
    end
  elseif seg[1] == "AvailablePhoneNumbers" and n <= 3 then
    if m ~= "GET" then return method_not_allowed(ctx) end
    if n == 1 then
      is_list = true
      res = list_countries(ctx, acct)
    else
      local c = country_by_code(seg[2])
      if not c then return not_found(ctx.path) end
      if n == 2 then
        res = jsonres(200, render.country(acct.sid, c, inventory.types(c.code), inventory.TYPE_SEGMENT))
      else
        local typ = inventory.TYPES[seg[3]]
        if not typ or not inventory.list(c.code, typ) then return not_found(ctx.path) end
        is_list = true
        res = search(ctx, acct, c, typ, seg[3], q)
      end
    end
  end
  if not res then return not_found(ctx.path) end
  if ext == "csv" and not is_list and res.status < 300 then
    return not_found(ctx.path) -- only list resources have a CSV representation here
  end
  return res
end

-- Authentication ------------------------------------------------------------------------

local function authenticate(ctx)
  local h = ctx.headers.authorization
  if type(h) == "table" then h = h[1] end
  local b64 = h and match(h, "^%s*[Bb]asic%s+(%S+)%s*$")
  local raw = b64 and ngx.decode_base64(b64)
  local user, pass
  if raw then user, pass = match(raw, "^([^:]*):(.*)$") end
  ctx.auth_user = user
  local cred = user and state.credentials[user]
  if not cred or cred.secret ~= pass then return nil end
  ctx.principal = cred.account
  return cred.account
end

local function unauthorized()
  local r = jsonres(401, '{"code": 20003, "detail": "Your AccountSid or AuthToken was incorrect.", '
    .. '"message": "Authenticate", "more_info": "https://www.twilio.com/docs/errors/20003", "status": 401}')
  r.headers["WWW-Authenticate"] = 'Basic realm="Twilio API"'
  return r
end

-- Sending ---------------------------------------------------------------------------------

local function send(res)
  ngx.status = res.status
  local h = ngx.header
  for k, v in pairs(res.headers or {}) do h[k] = v end
  local body = res.body or ""
  h["Content-Length"] = #body
  if #body > 0 then ngx.print(body) else ngx.send_headers() end
  return ngx.exit(ngx.OK)
end

local STATUS_TEXT = { [429] = "Too Many Requests", [500] = "Internal Server Error", [502] = "Bad Gateway",
                      [503] = "Service Unavailable", [504] = "Gateway Timeout" }

local function status_fault(f)
  local s = f.status
  local bt = f.body_type or "json"
  local res = { status = s, headers = {} }
  if bt == "json" then
    local code = s == 429 and 20429 or (20000 + s)
    res.body = util.error_body(s, code, STATUS_TEXT[s] or ("HTTP " .. s))
    res.headers["Content-Type"] = "application/json; charset=utf-8"
  elseif bt == "html" then
    local t = s .. " " .. (STATUS_TEXT[s] or "Error")
    res.body = "<html>\r\n<head><title>" .. t .. "</title></head>\r\n<body>\r\n<center><h1>" .. t
      .. "</h1></center>\r\n</body>\r\n</html>\r\n"
    res.headers["Content-Type"] = "text/html"
  else
    res.body = ""
  end
  if f.retry_after ~= nil then res.headers["Retry-After"] = tostring(f.retry_after) end
  if f.retry_after_in ~= nil then
    res.headers["Retry-After"] = ngx.http_time(ngx.time() + (tonumber(f.retry_after_in) or 0))
  end
  for k, v in pairs(f.headers or {}) do res.headers[k] = v end
  return res
end

local oversize_item
local function oversize(f)
  local bytes = floor(tonumber(f.bytes) or 24 * 1024 * 1024)
  if not oversize_item then
    local fake = state.new_number(state.main, { phone_number = "+12005550100", friendly_name = "(200) 555-0100",
      type = "local", beta = false, capabilities = { voice = true, sms = true, mms = true, fax = false },
      address_requirements = "none" }, 0)
    state.counters.pn = state.counters.pn - 1
    oversize_item = render.number(fake)
  end
  local prefix = '{"end": 0, "first_page_uri": null, "incoming_phone_numbers": ['
  local suffix = '], "next_page_uri": null, "page": 0, "page_size": 1000, "previous_page_uri": null, '
    .. '"start": 0, "uri": null}'
  local per = #oversize_item + 2
  local count = max(1, math.ceil((bytes - #prefix - #suffix) / per))
  local total = #prefix + #suffix + count * #oversize_item + (count - 1) * 2
  ngx.status = 200
  ngx.header["Content-Type"] = "application/json; charset=utf-8"
  ngx.header["Content-Length"] = total
  local chunk_items = 256
  local chunk = concat({ oversize_item, ", " }):rep(chunk_items)
  ngx.print(prefix)
  local left = count
  while left > 0 do
    if left > chunk_items then
      ngx.print(chunk)
      left = left - chunk_items
    else
      ngx.print(concat({ oversize_item, ", " }):rep(left - 1) .. oversize_item)
      left = 0
    end
    local ok = ngx.flush(true)
    if not ok then return ngx.exit(444) end
  end
  ngx.print(suffix)
  return ngx.exit(ngx.OK)
end

-- The content handler for every API path.
function _M.handle()
  local st = state
  local stats = st.stats
  stats.requests = stats.requests + 1
  local method = ngx.req.get_method()
  local path = ngx.var.uri
  ngx.req.read_body()
  local body = ngx.req.get_body_data()
  if not body then
    local file = ngx.req.get_body_file()
    if file then
      local fh = io.open(file, "rb")
      if fh then body = fh:read("*a"); fh:close() end
    end
  end
  body = body or ""
  local headers = ngx.req.get_headers()
  local ctx = { method = method, path = path, headers = headers }
  local ok = authenticate(ctx)
  local f = faults.match(method, path)
  local ct = headers["content-type"]
  if type(ct) == "table" then ct = ct[1] end
  local entry = {
    method = method, path = path, query = ngx.var.args or "", body = body,
    content_type = ct or util.null, user_agent = headers["user-agent"] or util.null,
    auth_user = ctx.auth_user or util.null, status = 0, fault = f and f.fault or util.null,
    time = ngx.now(),
  }
  st.log_add(entry)
  local lat = st.config.latency_ms
  if lat > 0 then ngx.sleep(lat / 1000) end
  local kind = f and f.fault
  if f then
    stats.faults_applied = stats.faults_applied + 1
    if f.delay_ms and tonumber(f.delay_ms) > 0 then ngx.sleep(tonumber(f.delay_ms) / 1000) end
    if kind == "drop_before" then return ngx.exit(444) end
    if kind == "status" then
      local r = status_fault(f)
      entry.status = r.status
      return send(r)
    end
    if kind == "respond" then
      local r = { status = f.status, headers = f.headers or {}, body = f.body or "" }
      entry.status = r.status
      return send(r)
    end
    if kind == "foreign_next_page" then ngx.ctx.foreign_next = true end
  end

  local res
  if not ok then
    stats.auth_failures = stats.auth_failures + 1
    res = unauthorized()
  else
    ctx.query = util.flatten(ngx.req.get_uri_args(0))
    ctx.form = {}
    if method == "POST" and ct and find(ct:lower(), "application/x-www-form-urlencoded", 1, true) then
      ctx.form = util.flatten(ngx.decode_args(body, 0))
    end
    res = route(ctx)
  end
  res.headers = res.headers or {}
  if res.status >= 400 then stats.errors = stats.errors + 1 end
  if res.status < 300 then
    local h = res.headers
    h["Access-Control-Allow-Origin"] = "*"
    h["Access-Control-Allow-Methods"] = "GET, POST, DELETE, OPTIONS"
    h["Access-Control-Allow-Headers"] = "Accept, Authorization, Content-Type, If-Match, If-Modified-Since, "
      .. "If-None-Match, If-Unmodified-Since"
    h["Access-Control-Allow-Credentials"] = "true"
    h["Access-Control-Expose-Headers"] = "ETag"
  end
  res.headers["Twilio-Request-Id"] = "RQ" .. ngx.md5(stats.requests .. ":" .. path)
  entry.status = res.status

  if kind == "drop_after" then return ngx.exit(444) end
  if kind == "truncate" then
    local b = res.body or ""
    ngx.status = res.status
    for k, v in pairs(res.headers) do ngx.header[k] = v end
    ngx.header["Content-Length"] = #b + 100
    ngx.print(sub(b, 1, floor(#b / 2)))
    ngx.flush(true)
    return ngx.exit(444)
  end
  if kind == "malformed" then
    local b = res.body or ""
    res.status = 200
    res.body = #b > 20 and sub(b, 1, floor(#b / 2)) or '{"incoming_phone_numbers": [{"sid": "PN'
    res.headers["Content-Type"] = "application/json; charset=utf-8"
    entry.status = 200
  elseif kind == "oversize" then
    entry.status = 200
    return oversize(f)
  elseif kind == "content_type" then
    res.headers["Content-Type"] = f.content_type or "text/html; charset=utf-8"
  end
  return send(res)
end

return _M
