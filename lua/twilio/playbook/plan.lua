-- twilio.playbook.plan: read the playbook's accounts and diff them against it.
--
-- One listing per account (numbers:each, 1000 a page), reading only the
-- fields the playbook manages; then, per account, the exact numbers (buy,
-- move from another account of the playbook, update; a number to buy is
-- looked up in AvailablePhoneNumbers first: for sale? needs an address?),
-- the pools (members are the numbers whose friendly name fits the pool's
-- pattern: count them, update them, search the numbers to buy), and what
-- is left (release, only with prune and never when protected). The
-- fingerprint is a hash of all that was read: a saved plan whose
-- fingerprint no longer matches is stale.
local schema = require "twilio.playbook.schema"
local errors = require "twilio.errors"

local type, pairs, ipairs, tostring, next = type, pairs, ipairs, tostring, next
local fmt, sort, concat, byte, floor = string.format, table.sort, table.concat, string.byte, math.floor
local unpack_ = string.unpack

local _M = {}

---------------------------------------------------------------- fingerprint

-- Two 32-bit polynomial hashes over the text's little-endian 4-byte words;
-- the same value on every VM (exact integer arithmetic below 2^53).
-- st = { h1, h2, n }: updated by each piece of text in turn.
local function hash_update(st, s)
  local n = #s
  local h1, h2 = st[1], st[2]
  local i, last = 1, n - 3
  if unpack_ then   -- Lua 5.3+: eight words per call, same words
    local U8 = "<I4I4I4I4I4I4I4I4"
    while i + 31 <= n do
      local a, b, c, d, e, f, g, h = unpack_(U8, s, i)
      -- below 2^53 after three steps of *31 or *37 + a word: exact everywhere
      h1 = (((h1 * 31 + a) * 31 + b) * 31 + c) % 4294967296
      h1 = (((h1 * 31 + d) * 31 + e) * 31 + f) % 4294967296
      h1 = ((h1 * 31 + g) * 31 + h) % 4294967296
      h2 = (((h2 * 37 + a) * 37 + b) * 37 + c) % 4294967296
      h2 = (((h2 * 37 + d) * 37 + e) * 37 + f) % 4294967296
      h2 = ((h2 * 37 + g) * 37 + h) % 4294967296
      i = i + 32
    end
  end
  while i <= last do
    local a, b, c, d = byte(s, i, i + 3)
    local w = a + b * 256 + c * 65536 + d * 16777216
    h1 = (h1 * 31 + w) % 4294967296
    h2 = (h2 * 37 + w) % 4294967296
    i = i + 4
  end
  while i <= n do
    local w = byte(s, i)
    h1 = (h1 * 31 + w) % 4294967296
    h2 = (h2 * 37 + w) % 4294967296
    i = i + 1
  end
  st[1], st[2], st[3] = h1, h2, st[3] + n
end

local function hash_new() return { 5381, 2166136261, 0 } end
local function hash_hex(st) return fmt("%08x%08x-%d", floor(st[1]), floor(st[2]), st[3]) end

local function hash(s)
  local st = hash_new()
  hash_update(st, s)
  return hash_hex(st)
end
_M.hash = hash

---------------------------------------------------------------- values

local function norm(v)
  if v == nil then return "" end
  return v
end

local function same(a, b) return norm(a) == norm(b) end
_M.same = same

local function show(v)
  if v == nil then return "null" end
  if type(v) == "string" then return fmt("%q", v) end
  return tostring(v)
end
_M.show = show

-- want: config; have: current values -> diffs (sorted by field), set | nil (no difference)
local function diff(want, have)
  local diffs, set, n = nil, nil, 0
  for f, w in next, want do
    local h = have[f]
    if w ~= h and not (w == "" and h == nil) then   -- same(w, h), inline: once per declared field
      n = n + 1
      if n == 1 then diffs, set = {}, {} end
      diffs[n] = { field = f, old = h, new = w }
      set[f] = w
    end
  end
  if n > 1 then sort(diffs, function(a, b) return a.field < b.field end) end
  return diffs, set
end

---------------------------------------------------------------- reading

-- The fields the playbook manages anywhere (read for every number).
local function managed_fields(pb)
  local set = { friendly_name = true }
  for _, a in ipairs(pb.accounts) do
    for _, n in ipairs(a.numbers) do for k in pairs(n.config) do set[k] = true end end
    for _, p in ipairs(a.pools) do for k in pairs(p.config) do set[k] = true end end
  end
  local list = {}
  for _, f in ipairs(schema.FIELDS) do if set[f] and f ~= "friendly_name" then list[#list + 1] = f end end
  return list
end

-- Calls visit(e) for each number of account sid, e = { sid, phone_number,
-- friendly_name and the managed fields } (one table, reused: copy what you
-- keep); what was read goes into the fingerprint st.
local function read_account(client, sid, fields, st, visit)
  local nf = #fields
  local cur, err = client:account(sid).incoming_phone_numbers:cursor{ page_size = 1000 }
  if not cur then return nil, err end
  local parts, np = { sid }, 1
  local e = {}
  while true do
    local n, ierr = cur:next()
    if ierr then return nil, ierr end
    if n == nil then break end
    local psid, phone, fname = n.sid, n.phone_number, n.friendly_name
    e.sid, e.phone_number, e.friendly_name = psid, phone, fname
    parts[np + 1], parts[np + 2], parts[np + 3] = psid, phone, fname == nil and "\1" or fname
    np = np + 3
    for i = 1, nf do
      local f = fields[i]
      local v = n[f]
      e[f] = v
      np = np + 1
      parts[np] = v == nil and "\1" or tostring(v)
    end
    visit(e)
    if np > 4000 then
      hash_update(st, concat(parts, "\0", 1, np))
      np = 0
    end
  end
  hash_update(st, concat(parts, "\0", 1, np))
  return true
end

local function copy_entry(e, sid)
  local c = { account = sid }
  for k, v in pairs(e) do c[k] = v end
  return c
end

---------------------------------------------------------------- planning

local function label(sid, main)
  if sid == main then return "main (" .. sid .. ")" end
  return sid
end

local function pool_desc(p)
  local s = {}
  for _, k in ipairs(schema.search_params(p.type)) do
    if p.search[k] ~= nil then s[#s + 1] = k .. "=" .. tostring(p.search[k]) end
  end
  return p.country .. " " .. p.type .. (#s > 0 and (", " .. concat(s, ", ")) or "")
end
_M.pool_desc = pool_desc

local function needs_address(ar) return ar ~= nil and ar ~= "none" end

-- Search what a pool would buy: candidates (phone numbers, best first), problems.
-- Search what a pool could buy: candidates (phone numbers, best first, none
-- already tried), the numbers passed over for want of an address_sid
-- (requirement -> count), and an error when the search failed.
local function search_candidates(client, sid, p, need, tried)
  local params = schema.copy(p.search)
  params.limit = need * 2 + 10
  if params.limit > 1000 then params.limit = 1000 end
  local found, err = client:account(sid).available_phone_numbers:search(p.country, p.type, params)
  if not found then return nil, nil, err end
  local cands, addr_req = {}, {}
  for _, a in ipairs(found) do
    local ar = a.address_requirements
    if needs_address(ar) and not p.config.address_sid then
      addr_req[ar] = (addr_req[ar] or 0) + 1
    elseif not (tried and tried[a.phone_number]) then
      cands[#cands + 1] = a.phone_number
    end
  end
  return cands, addr_req
end
_M.search_candidates = search_candidates

-- The pool's candidates now, and what stands in the way: problems (apply
-- refuses) and warnings.
local function search_pool(client, sid, p, need)
  local cands, addr_req, err = search_candidates(client, sid, p, need)
  local problems, warnings = {}, {}
  if not cands then
    problems[1] = fmt("pool %s (%s): the search for numbers to buy failed: %s", p.name, pool_desc(p),
                      tostring(err and err.message))
    return {}, problems, warnings
  end
  if not schema.NO_BUNDLE[p.country] and not p.config.bundle_sid then
    problems[#problems + 1] = fmt("pool %s (%s): bundle_sid is missing: %s numbers need an approved regulatory " ..
      "bundle (Twilio error 21649); set bundle_sid on the pool or in defaults", p.name, pool_desc(p), p.country)
  end
  local kinds = {}
  for k in pairs(addr_req) do kinds[#kinds + 1] = k end
  sort(kinds)
  for i, k in ipairs(kinds) do kinds[i] = fmt("%d '%s'", addr_req[k], k) end
  if #cands == 0 then
    if #kinds > 0 then
      problems[#problems + 1] = fmt("pool %s (%s): address_sid is missing: the numbers it would buy say " ..
        "address_requirements %s (Twilio error 21631 without an address); set address_sid on the pool or " ..
        "in defaults", p.name, pool_desc(p), concat(kinds, ", "))
    else
      problems[#problems + 1] = fmt("pool %s (%s): needs %d numbers but the search found none", p.name,
                                    pool_desc(p), need)
    end
  elseif #cands < need then
    -- Twilio answers at most 30 numbers a search: apply searches again as it buys
    warnings[#warnings + 1] = fmt("pool %s (%s): the search found %d of the %d numbers to buy%s; apply " ..
      "searches again as it buys and reports any it cannot find", p.name, pool_desc(p), #cands, need,
      #kinds > 0 and (" (passed over for want of an address_sid: " .. concat(kinds, ", ") .. ")") or "")
  end
  return cands, problems, warnings
end

---------------------------------------------------------------- exact numbers to buy

-- Calling code -> the countries an exact number is looked up in when its
-- entry does not say `country` (codes are prefix-free: the first of 1 to 3
-- digits that is here is the one). +1 is the NANP: the US, then Canada,
-- unless its area code is another member's (NANP below).
local CALLING = {
  ["1"] = { "US", "CA" }, ["20"] = { "EG" }, ["27"] = { "ZA" }, ["30"] = { "GR" }, ["31"] = { "NL" },
  ["32"] = { "BE" }, ["33"] = { "FR" }, ["34"] = { "ES" }, ["36"] = { "HU" }, ["39"] = { "IT" },
  ["40"] = { "RO" }, ["41"] = { "CH" }, ["43"] = { "AT" }, ["44"] = { "GB" }, ["45"] = { "DK" },
  ["46"] = { "SE" }, ["47"] = { "NO" }, ["48"] = { "PL" }, ["49"] = { "DE" }, ["51"] = { "PE" },
  ["52"] = { "MX" }, ["54"] = { "AR" }, ["55"] = { "BR" }, ["56"] = { "CL" }, ["57"] = { "CO" },
  ["60"] = { "MY" }, ["61"] = { "AU" }, ["62"] = { "ID" }, ["63"] = { "PH" }, ["64"] = { "NZ" },
  ["65"] = { "SG" }, ["66"] = { "TH" }, ["81"] = { "JP" }, ["82"] = { "KR" }, ["84"] = { "VN" },
  ["86"] = { "CN" }, ["90"] = { "TR" }, ["91"] = { "IN" }, ["351"] = { "PT" }, ["352"] = { "LU" },
  ["353"] = { "IE" }, ["354"] = { "IS" }, ["356"] = { "MT" }, ["357"] = { "CY" }, ["358"] = { "FI" },
  ["359"] = { "BG" }, ["370"] = { "LT" }, ["371"] = { "LV" }, ["372"] = { "EE" }, ["385"] = { "HR" },
  ["386"] = { "SI" }, ["420"] = { "CZ" }, ["421"] = { "SK" }, ["502"] = { "GT" }, ["503"] = { "SV" },
  ["506"] = { "CR" }, ["507"] = { "PA" }, ["852"] = { "HK" }, ["886"] = { "TW" }, ["971"] = { "AE" },
  ["972"] = { "IL" },
}
_M.CALLING = CALLING

-- +1 is shared by the US, Canada and the NANP's other members: an area code
-- of one of those is looked up in its own country (Twilio sells Puerto Rico
-- numbers as PR, not US); any other +1 number in the US, then Canada.
local NANP = {
  ["787"] = "PR", ["939"] = "PR", ["340"] = "VI", ["671"] = "GU", ["670"] = "MP", ["684"] = "AS",
  ["242"] = "BS", ["246"] = "BB", ["264"] = "AI", ["268"] = "AG", ["284"] = "VG", ["345"] = "KY",
  ["441"] = "BM", ["473"] = "GD", ["649"] = "TC", ["658"] = "JM", ["876"] = "JM", ["664"] = "MS",
  ["721"] = "SX", ["758"] = "LC", ["767"] = "DM", ["784"] = "VC", ["809"] = "DO", ["829"] = "DO",
  ["849"] = "DO", ["868"] = "TT", ["869"] = "KN",
}
_M.NANP = NANP

-- The types searched, in this order, when an entry does not say `type`
-- (those the country has: its subresource_uris).
local TYPE_ORDER = { "local", "mobile", "toll_free", "national", "voip", "shared_cost", "machine_to_machine" }

local function countries_of(phone)
  local nanp = phone:sub(2, 2) == "1" and NANP[phone:sub(3, 5)]
  if nanp then return { nanp } end
  for n = 1, 3 do
    local cc = CALLING[phone:sub(2, 1 + n)]
    if cc then return cc end
  end
  return nil
end

-- The types of numbers Twilio offers in country cc (its subresource_uris),
-- asked once a plan: types[cc] = array | { err = the failure }.
local function country_types(av, cc, types)
  if types[cc] then return end
  local c, err = av:country(cc)
  local t = {}
  if not c then
    if err.status ~= 404 then t.err = err end   -- 404: Twilio offers no numbers there
  else
    local subs = type(c.subresource_uris) == "table" and c.subresource_uris or {}
    for _, k in ipairs(TYPE_ORDER) do if subs[k] ~= nil then t[#t + 1] = k end end
  end
  types[cc] = t
end

-- Look n (an exact number to buy in account sid) up among the numbers Twilio
-- offers: rec, country, type (an AvailablePhoneNumber: it is for sale)
-- | false, searched (what was searched, none offers it) | nil, err, what
-- (the lookup failed: nothing is known) | nil (no country to look it up in).
local function lookup_exact(client, sid, n, types)   -- types: from country_types
  local av = client:account(sid).available_phone_numbers
  local phone = n.phone_number
  local countries = n.country and { n.country } or countries_of(phone)
  if not countries then return nil end
  local searched = {}
  for _, cc in ipairs(countries) do
    local kinds = { n.type }
    if not n.type then
      kinds = types[cc]
      if kinds.err then return nil, kinds.err, cc end
      if #kinds == 0 then searched[#searched + 1] = cc .. ": no numbers offered" end
    end
    for _, kind in ipairs(kinds) do
      local rec, err = av:find(cc, kind, phone)
      if rec then return rec, cc, kind end
      if err.kind ~= "not_found" then return nil, err, cc .. " " .. kind end
      searched[#searched + 1] = cc .. " " .. kind
    end
  end
  return false, searched
end

-- The problem of a lookup that failed (where: what was searched, if known).
local function lookup_failed(phone, where, msg)
  return fmt("%s%s: the lookup of the number to buy failed: %s; plan could not check that it is available " ..
             "and needs no address", phone, where and (" (" .. where .. ")") or "", tostring(msg))
end

-- What stands in the way of buying exact number n, from its lookup (the
-- pool check's terms): problems appended to the list.
local function check_exact(client, sid, n, types, problems)
  local phone = n.phone_number
  local rec, a, b = lookup_exact(client, sid, n, types)
  if rec then
    local ar = rec.address_requirements
    if needs_address(ar) and not n.config.address_sid then
      problems[#problems + 1] = fmt("%s (%s %s): address_sid is missing: the number says address_requirements " ..
        "'%s' (Twilio error 21631 without an address); set address_sid on the number or in defaults", phone, a, b,
        tostring(ar))
    end
  elseif rec == false then
    problems[#problems + 1] = fmt("%s: not available: no search offers it (%s): someone else has it, or it " ..
      "never existed (Twilio error 21422 if bought); %s", phone, concat(a, ", "),
      (n.country and n.type) and "take it out of the playbook or choose another number"
        or "if it is of another country or type, set country and type on the number")
  elseif a == nil then
    problems[#problems + 1] = fmt("%s: the lookup of the number to buy could not be made: its calling code is " ..
      "not one the playbook knows; set country (and type) on the number", phone)
  else
    problems[#problems + 1] = lookup_failed(phone, b, a and a.message)
  end
end

-- Every exact number to buy (changes c with c.entry), looked up together.
local function check_exacts(client, buys, problems)
  if #buys == 0 then return end
  local types = {}
  for _, c in ipairs(buys) do   -- the countries' types first: once each, not once a number
    local n = c.entry
    if not n.type then
      local av = client:account(c.account).available_phone_numbers
      for _, cc in ipairs(n.country and { n.country } or countries_of(n.phone_number) or {}) do
        country_types(av, cc, types)
      end
    end
  end
  local tasks = {}
  for i, c in ipairs(buys) do
    tasks[i] = function()
      local list = {}
      check_exact(client, c.account, c.entry, types, list)
      return list
    end
  end
  local results
  if client.batch or client.runtime.running_group then
    -- a plan made from a bulk call's or a runtime group's task: bulk calls
    -- do not nest (client:bulk refuses them), so one lookup after the other
    results = {}
    for i, t in ipairs(tasks) do
      local ok, v = pcall(t)
      results[i] = ok and { ok = true, value = v } or { ok = false, error = { message = tostring(v) } }
    end
  else
    results = client:bulk(tasks, { concurrency = 8 })
  end
  for i, c in ipairs(buys) do
    local r = results[i]
    local list = r.ok and r.value   -- a task that raised: say so rather than nothing
      or { lookup_failed(c.phone_number, nil, r.error and r.error.message) }
    for _, pr in ipairs(list) do problems[#problems + 1] = pr end
  end
end

-- plan(client, pb, { prune = bool }) -> plan | nil, err
function _M.plan(client, pb, opts)
  opts = opts or {}
  local prune = opts.prune == true
  local main = client:account_sid()
  local fields = managed_fields(pb)
  local st = hash_new()
  hash_update(st, main .. "\n" .. concat(fields, ",") .. "\n")
  local plan = { version = 1, prune = prune, main_account = main, changes = {}, unchanged = 0,
                 warnings = {}, problems = {}, candidates = {}, pools = {}, fields = fields }
  local changes, warnings = plan.changes, plan.warnings
  local function add(c) changes[#changes + 1] = c end
  -- the exact numbers of the whole playbook: phone -> { sid =, n = }
  local accounts, declared, sid_of = {}, pb.declared, {}
  for _, a in ipairs(pb.accounts) do
    local sid = a.sid or main
    for _, A in ipairs(accounts) do
      if A.sid == sid then
        return nil, errors.new("invalid", fmt("%s: account %s is declared twice ('main' is %s)",
                                                                pb.file, sid, main), { field = "accounts" })
      end
    end
    accounts[#accounts + 1] = { sid = sid, pb = a, exact = {}, rest = {} }
    sid_of[a] = sid
  end
  -- read every account; numbers declared where they are are diffed as they
  -- come (nothing kept); the others are kept for moves, pools and prune
  local elsewhere = {}   -- phone -> entry: declared in another account than its own
  local stamp = {}       -- n.found == stamp: declared and found where declared, in this plan
  for _, A in ipairs(accounts) do
    local sid, exact, rest = A.sid, A.exact, A.rest
    local ok, err = read_account(client, sid, fields, st, function(e)
      local phone = e.phone_number
      local d = declared[phone]
      if d and sid_of[d.account] == sid then
        d.found = stamp
        local diffs, set = diff(d.config, e)
        if diffs then
          exact[#exact + 1] = { action = "update", account = sid, sid = e.sid, phone_number = phone,
                                fields = diffs, set = set }
        else
          plan.unchanged = plan.unchanged + 1
        end
      elseif d then
        elsewhere[phone] = copy_entry(e, sid)
      else
        rest[#rest + 1] = copy_entry(e, sid)
      end
    end)
    if not ok then return nil, err end
  end
  plan.fingerprint = hash_hex(st)
  local buys = {}   -- the exact numbers to buy: looked up before anything is bought
  for _, A in ipairs(accounts) do
    local sid, exact = A.sid, A.exact
    for _, n in ipairs(A.pb.numbers) do
      local phone = n.phone_number
      local cur = elsewhere[phone]
      if cur then
        local diffs, set = diff(n.config, cur)
        exact[#exact + 1] = { action = "move", from = cur.account, to = sid, account = sid, sid = cur.sid,
                              phone_number = phone, fields = diffs or {}, set = set }
      elseif n.found ~= stamp then
        exact[#exact + 1] = { action = "buy", account = sid, phone_number = phone, config = n.config }
        buys[#buys + 1] = { account = sid, phone_number = phone, entry = n }
        warnings[#warnings + 1] = fmt("buying %s in %s costs money; it is not in any account of the playbook: " ..
          "if it was released it may no longer be available (error 21422)", phone, label(sid, main))
        if phone:sub(1, 2) ~= "+1" and not n.config.bundle_sid then
          warnings[#warnings + 1] = fmt("%s is outside the US and Canada, where most numbers need an approved " ..
            "regulatory bundle: set bundle_sid if Twilio refuses it with error 21649", phone)
        end
      end
    end
    sort(exact, function(x, y) return x.phone_number < y.phone_number end)
    for _, c in ipairs(exact) do add(c) end
  end
  check_exacts(client, buys, plan.problems)
  for _, A in ipairs(accounts) do
    local sid = A.sid
    local protect = A.pb.protect
    -- pools: members by friendly name, among the numbers not declared exactly
    local members = {}
    for _, p in ipairs(A.pb.pools) do members[p.name] = {} end
    local rest = {}
    for _, e in ipairs(A.rest) do
      local hit
      for _, p in ipairs(A.pb.pools) do
        local k = type(e.friendly_name) == "string" and e.friendly_name:match(p.pattern)
        if k then hit = p; e.index = tonumber(k); break end
      end
      if hit then local m = members[hit.name]; m[#m + 1] = e else rest[#rest + 1] = e end
    end
    for _, p in ipairs(A.pb.pools) do
      local m = members[p.name]
      sort(m, function(x, y) if x.index ~= y.index then return x.index < y.index end return x.sid < y.sid end)
      local keep = {}
      local used = {}
      for i, e in ipairs(m) do
        if i <= p.count then
          keep[#keep + 1] = e
        else
          if prune and not (protect[e.phone_number] or p.protect) then
            add({ action = "release", account = sid, sid = e.sid, phone_number = e.phone_number,
                  friendly_name = e.friendly_name, pool = p.name })
            warnings[#warnings + 1] = fmt("releasing %s (%s, beyond pool %s's count of %d) cannot be undone: " ..
              "a released number may never be bought back", e.phone_number, tostring(e.friendly_name), p.name, p.count)
          else
            keep[#keep + 1] = e
            if not prune then
              warnings[#warnings + 1] = fmt("pool %s has %s beyond its count of %d; kept (prune releases it)",
                                            p.name, e.phone_number, p.count)
            end
          end
        end
        used[e.index] = true
      end
      for _, e in ipairs(keep) do
        local diffs, set = diff(p.config, e)
        if diffs then
          add({ action = "update", account = sid, sid = e.sid, phone_number = e.phone_number,
                fields = diffs, set = set, pool = p.name })
        else
          plan.unchanged = plan.unchanged + 1
        end
      end
      local need = p.count - #keep
      if need > 0 then
        local key = sid .. "/" .. p.name
        local cands, problems, pwarn = search_pool(client, sid, p, need)
        plan.candidates[key] = cands
        plan.pools[key] = { sid = sid, pool = p }
        for _, pr in ipairs(problems) do plan.problems[#plan.problems + 1] = pr end
        for _, w in ipairs(pwarn) do warnings[#warnings + 1] = w end
        local k = 0
        for _ = 1, need do
          repeat k = k + 1 until not used[k]
          used[k] = true
          local name = p.template:gsub("%%d", tostring(k), 1)
          local config = schema.copy(p.config)
          config.friendly_name = name
          add({ action = "buy", account = sid, pool = p.name, pool_key = key, friendly_name = name,
                config = config, search = pool_desc(p) })
          warnings[#warnings + 1] = fmt("buying '%s' (pool %s: %s) in %s costs money", name, p.name,
                                        pool_desc(p), label(sid, main))
        end
      end
    end
    for _, e in ipairs(rest) do
      if prune and not protect[e.phone_number] then
        add({ action = "release", account = sid, sid = e.sid, phone_number = e.phone_number,
              friendly_name = e.friendly_name })
        warnings[#warnings + 1] = fmt("releasing %s (%s) in %s cannot be undone: a released number may never " ..
          "be bought back", e.phone_number, tostring(e.friendly_name), label(sid, main))
      else
        plan.unchanged = plan.unchanged + 1
      end
    end
  end
  local s = { buy = 0, change = 0, move = 0, release = 0 }
  for _, c in ipairs(changes) do
    if c.action == "update" then s.change = s.change + 1 else s[c.action] = s[c.action] + 1 end
  end
  plan.summary = s
  plan.pb = pb
  return plan
end

return _M
