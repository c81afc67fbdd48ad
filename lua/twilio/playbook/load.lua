-- twilio.playbook.load: a playbook file -> a validated playbook (pb).
--
-- The file is Lua data, run in a sandbox: an empty environment (no os, io,
-- require, string library, nothing of ours), text chunks only, an
-- instruction and CPU-time limit, no metatables or functions in what it
-- gives back. It returns a table, or assigns the top-level keys as globals
-- (they land in its own environment, never in ours).
--
-- Every value is checked before any request, by building (never sending)
-- the request it would become with the C validation (cfg:build): a number's
-- configuration as UpdateIncomingPhoneNumber, a pool's search as
-- ListAvailablePhoneNumber<Type>. Errors say file:line: field: message,
-- with a "did you mean" for unknown keys.
local errors = require "twilio.errors"
local schema = require "twilio.playbook.schema"

local type, pairs, ipairs, tostring, next, error = type, pairs, ipairs, tostring, next, error
local fmt, sort, concat = string.format, table.sort, table.concat
local pcall, getmetatable, setmetatable = pcall, getmetatable, setmetatable

local _M = {}

local MAX_INSTRUCTIONS = 20000000
local MAX_SECONDS = 2
local MAX_DEPTH = 16

local SAFE_STRING = {}
for k, f in pairs(string) do
  if k ~= "rep" and k ~= "dump" then SAFE_STRING[k] = f end
end

---------------------------------------------------------------- positions

local function split_lines(text)
  local lines = {}
  for l in (text .. "\n"):gmatch("([^\n]*)\n") do lines[#lines + 1] = l end
  return lines
end

local function esc(s) return (s:gsub("[%^%$%(%)%%%.%[%]%*%+%-%?]", "%%%0")) end

-- The line of the last component of path, found by looking for each
-- component in turn from where the previous one was found. nil: not found.
local function locate(lines, path)
  if not lines then return nil end
  local at, found = 1, nil
  for _, comp in ipairs(path) do
    comp = tostring(comp)
    local pat = comp:match("^[%a_][%w_]*$") and ("%f[%w_]" .. esc(comp) .. "%f[^%w_]") or esc(comp)
    local hit
    for i = at, #lines do
      if lines[i]:find(pat) then hit = i; break end
    end
    if hit then at, found = hit, hit end
  end
  return found
end

local function path_text(path)
  local out = {}
  for i, c in ipairs(path) do
    if type(c) == "string" and c:match("^[%a_][%w_]*$") then
      out[#out + 1] = (i > 1 and "." or "") .. c
    else
      out[#out + 1] = "[" .. (type(c) == "string" and fmt("%q", c) or tostring(c)) .. "]"
    end
  end
  return concat(out)
end

local Ctx = {}
Ctx.__index = Ctx

-- Raise a validation failure (caught by from_data): file:line: field: msg.
function Ctx:fail(path, msg, suggestion)
  local line = locate(self.lines, path)
  local field = path_text(path)
  if suggestion and not msg:find("did you mean", 1, true) then
    msg = msg .. fmt("; did you mean '%s'?", suggestion)
  end
  local where = self.file .. (line and (":" .. line) or "")
  error({ playbook_error = errors.new("invalid", fmt("%s: %s: %s", where, field, msg),
                                      { file = self.file, line = line, field = field, suggestion = suggestion }) })
end

local function with(path, k)
  local p = {}
  for i, c in ipairs(path) do p[i] = c end
  p[#p + 1] = k
  return p
end

---------------------------------------------------------------- sandbox

local function plain_copy(ctx, v, path, depth, seen)
  local t = type(v)
  if t == "string" or t == "number" or t == "boolean" then return v end
  if t ~= "table" then ctx:fail(path, "a playbook holds data only (got a " .. t .. ")") end
  if depth > MAX_DEPTH then ctx:fail(path, "nested too deeply") end
  if seen[v] then ctx:fail(path, "a table appears twice (playbooks are trees)") end
  if getmetatable(v) ~= nil then ctx:fail(path, "tables with metatables are not data") end
  seen[v] = true
  local c = {}
  for k, x in pairs(v) do
    local kt = type(k)
    if kt ~= "string" and kt ~= "number" then ctx:fail(path, "keys are strings or numbers") end
    c[k] = plain_copy(ctx, x, with(path, k), depth + 1, seen)
  end
  return c
end

-- Runs text in the sandbox: data | nil, err
local function run(text, chunkname)
  if text:byte(1) == 27 then
    return nil, errors.new("invalid", chunkname .. ": a playbook is Lua text, not bytecode", { file = chunkname })
  end
  local env = {}
  local fn, lerr = load(text, "=" .. chunkname, "t", env)
  if not fn then
    return nil, errors.new("invalid", tostring(lerr), { file = chunkname,
                                                         line = tonumber(tostring(lerr):match(":(%d+):")) })
  end
  local jit = rawget(_G, "jit")
  if jit and jit.off then jit.off(fn, true) end   -- every instruction counts in the hook
  local co = coroutine.create(fn)
  local clock = os.clock
  local deadline, steps = clock() + MAX_SECONDS, 0
  -- LuaJIT's hook is one for the whole VM: the one in place comes back after
  local old_hook, old_mask, old_count = debug.gethook()
  debug.sethook(co, function()
    steps = steps + 1000
    if steps > MAX_INSTRUCTIONS or clock() > deadline then
      error("the playbook runs too long (limit: " .. MAX_INSTRUCTIONS .. " instructions, " ..
            MAX_SECONDS .. " s): it should be data", 2)
    end
  end, "", 1000)
  -- ("x"):rep(1e9) reaches string.rep through the string metatable, and one
  -- C call is one instruction to the hook: while the playbook runs, strings
  -- have every method but rep and dump (a profiler's or an nginx timer's
  -- code running meanwhile keeps working)
  local smt = getmetatable("")
  local saved = smt and smt.__index
  if smt then smt.__index = SAFE_STRING end
  local ok, ret = coroutine.resume(co)
  if smt then smt.__index = saved end
  if jit then
    if old_hook then debug.sethook(old_hook, old_mask, old_count) else debug.sethook() end
  else
    debug.sethook(co)
  end
  if not ok then
    local msg = tostring(ret)
    return nil, errors.new("invalid", msg, { file = chunkname, line = tonumber(msg:match(":(%d+):")) })
  end
  if ret == nil then
    if next(env) == nil then
      return nil, errors.new("invalid", chunkname .. ": the playbook declares nothing (return a table, " ..
                                          "or set accounts = {...})", { file = chunkname })
    end
    return env
  end
  if type(ret) ~= "table" then
    return nil, errors.new("invalid", chunkname .. ": a playbook returns a table (got a " .. type(ret) .. ")",
                           { file = chunkname })
  end
  return ret
end

---------------------------------------------------------------- validation

local function keys_sorted(t)
  local ks = {}
  for k in pairs(t) do ks[#ks + 1] = k end
  sort(ks, function(a, b) return tostring(a) < tostring(b) end)
  return ks
end

local function in_list(list, k)
  for _, x in ipairs(list) do if x == k then return true end end
  return false
end

local function check_keys(ctx, t, path, allowed, also_fields)
  for _, k in ipairs(keys_sorted(t)) do
    if type(k) ~= "string" then ctx:fail(with(path, k), "unexpected array item here (a table of named keys)") end
    if not in_list(allowed, k) and not (also_fields and schema.IS_FIELD[k]) then
      if k == "account_sid" and also_fields then
        ctx:fail(with(path, k), "a number's account is the account it is declared under " ..
                                "(move it there to move it)")
      end
      ctx:fail(with(path, k), "unknown key '" .. k .. "'",
               schema.suggest(k, allowed, also_fields and schema.FIELDS or {}))
    end
  end
end

local function is_e164(s)
  return type(s) == "string" and s:match("^%+[1-9]%d+$") ~= nil and #s >= 9 and #s <= 16
end

-- The configuration fields of t (the keys that are API fields), checked by
-- the C validation of UpdateIncomingPhoneNumber.
local function config_of(ctx, t, path)
  local c, all = {}, true
  for k, v in pairs(t) do
    if schema.IS_FIELD[k] then c[k] = v else all = false end
  end
  if next(c) == nil then return c end
  if all then c = t end   -- shared with the data (big playbooks: half the tables)
  local _, err = schema.cfg():build("UpdateIncomingPhoneNumber",
                                    { account_sid = schema.DUMMY_AC, sid = schema.DUMMY_PN }, c)
  if err then
    local msg = tostring(err.message):gsub("^twilio: ", "")
    ctx:fail(with(path, err.field or "?"), msg)
  end
  return c
end

local function table_at(ctx, t, path, what)
  if type(t) ~= "table" then ctx:fail(path, what .. " must be a table (got " .. type(t) .. ")") end
  return t
end

local function protect_list(ctx, list, path, into)
  table_at(ctx, list, path, "protect")
  for i, v in ipairs(list) do
    if not is_e164(v) then ctx:fail(with(path, i), "protect lists E.164 numbers like '+14155550100' (got " ..
                                     tostring(v) .. ")") end
    into[v] = true
  end
  for k in pairs(list) do
    if type(k) ~= "number" then ctx:fail(with(path, k), "protect is a list of numbers: { '+14155550100', ... }") end
  end
end

local function merge(...)
  local out = {}
  for i = 1, select("#", ...) do
    for k, v in pairs((select(i, ...))) do out[k] = v end
  end
  return out
end

local function template_pattern(tpl)
  local a, b = tpl:match("^(.-)%%d(.*)$")
  return "^" .. esc(a) .. "(%d+)" .. esc(b) .. "$"
end

-- t.country and t.type, checked (an ISO code; a number type), or the defaults.
local function country_type(ctx, t, path, country, kind)
  country = t.country or country
  if country ~= nil and (type(country) ~= "string" or not country:match("^%u%u$")) then
    ctx:fail(with(path, "country"), "country is an ISO code like 'US' (got " .. tostring(country) .. ")")
  end
  kind = t.type or kind
  if kind ~= nil and not schema.TYPES[kind] then
    local kinds = keys_sorted(schema.TYPES)
    ctx:fail(with(path, "type"), "type must be one of " .. concat(kinds, ", ") .. " (got " .. tostring(kind) .. ")",
             schema.suggest(tostring(kind), kinds))
  end
  return country, kind
end

local function check_pool(ctx, name, p, path, defaults)
  table_at(ctx, p, path, "a pool")
  check_keys(ctx, p, path, schema.POOL_KEYS, true)
  local count = p.count
  if type(count) ~= "number" or count < 0 or count ~= math.floor(count) or count > 100000 then
    ctx:fail(with(path, "count"), "count must be a whole number from 0 to 100000 (got " .. tostring(count) .. ")")
  end
  local tpl = p.friendly_name
  if type(tpl) ~= "string" then
    ctx:fail(with(path, "friendly_name"), "a pool needs friendly_name, a pattern with one %d such as 'Sales %d' " ..
                                          "(it is how a re-run counts the numbers already bought)")
  end
  local _, nd = tpl:gsub("%%d", "")
  local _, np = tpl:gsub("%%", "")
  if nd ~= 1 or np ~= 1 then
    ctx:fail(with(path, "friendly_name"), "friendly_name must hold exactly one %d and no other % (got '" ..
                                          tpl .. "')")
  end
  local country, kind = country_type(ctx, p, path, "US", "local")
  local search = p.search or {}
  table_at(ctx, search, with(path, "search"), "search")
  local allowed = schema.search_params(kind)
  for _, k in ipairs(keys_sorted(search)) do
    if not in_list(allowed, k) then
      ctx:fail(with(with(path, "search"), k), "unknown search filter '" .. tostring(k) .. "' for " .. kind ..
               " numbers", schema.suggest(tostring(k), allowed))
    end
  end
  local _, serr = schema.cfg():build("ListAvailablePhoneNumber" .. schema.TYPES[kind],
                                     { account_sid = schema.DUMMY_AC, country_code = country }, search)
  if serr then
    ctx:fail(with(with(path, "search"), serr.field or "?"), (tostring(serr.message):gsub("^twilio: ", "")))
  end
  local own = p
  local sample = merge(own, { friendly_name = tpl:gsub("%%d", "99999", 1) })
  config_of(ctx, sample, path)
  local config = merge(defaults, config_of(ctx, own, path))
  config.friendly_name = nil
  if p.protect ~= nil and type(p.protect) ~= "boolean" then
    ctx:fail(with(path, "protect"), "protect must be true or false")
  end
  return { name = name, count = count, template = tpl, pattern = template_pattern(tpl), country = country,
           type = kind, search = search, config = config, protect = p.protect == true }
end

local function check_account(ctx, key, a, path, top_defaults, seen_numbers)
  table_at(ctx, a, path, "an account")
  check_keys(ctx, a, path, schema.ACCOUNT_KEYS)
  local defaults = merge(top_defaults, config_of(ctx, table_at(ctx, a.defaults or {}, with(path, "defaults"),
                                                              "defaults"), with(path, "defaults")))
  check_keys(ctx, a.defaults or {}, with(path, "defaults"), {}, true)
  local acct = { key = key, sid = key ~= "main" and key or nil, numbers = {}, pools = {}, protect = {} }
  if a.protect ~= nil then protect_list(ctx, a.protect, with(path, "protect"), acct.protect) end
  local nums = table_at(ctx, a.numbers or {}, with(path, "numbers"), "numbers")
  for _, e164 in ipairs(keys_sorted(nums)) do
    local np = with(with(path, "numbers"), e164)
    if not is_e164(e164) then
      ctx:fail(np, "numbers are keyed by E.164 phone number like ['+14155550100'] (got " .. tostring(e164) .. ")")
    end
    local _, perr = schema.cfg():build("CreateIncomingPhoneNumber", { account_sid = schema.DUMMY_AC },
                                       { phone_number = e164 })
    if perr then ctx:fail(np, (tostring(perr.message):gsub("^twilio: ", ""))) end
    if seen_numbers[e164] then
      ctx:fail(np, "declared twice (also under accounts." .. seen_numbers[e164] .. ")")
    end
    seen_numbers[e164] = key
    local v = nums[e164]
    if v == true then v = {} end
    table_at(ctx, v, np, "a number")
    check_keys(ctx, v, np, schema.NUMBER_KEYS, true)
    if v.protect ~= nil and type(v.protect) ~= "boolean" then
      ctx:fail(with(np, "protect"), "protect must be true or false")
    end
    -- where plan looks it up before buying it (default: from its calling code, every type)
    local country, kind = country_type(ctx, v, np)
    local config = config_of(ctx, v, np)
    if next(defaults) ~= nil then config = merge(defaults, config) end
    acct.numbers[#acct.numbers + 1] = { phone_number = e164, config = config, account = acct,
                                        country = country, type = kind }
    if v.protect then acct.protect[e164] = true end
  end
  local pools = table_at(ctx, a.pools or {}, with(path, "pools"), "pools")
  local templates = {}
  for _, name in ipairs(keys_sorted(pools)) do
    local pp = with(with(path, "pools"), name)
    if type(name) ~= "string" then ctx:fail(pp, "pools are keyed by name: pools = { sales = {...} }") end
    local pool = check_pool(ctx, name, pools[name], pp, defaults)
    if templates[pool.template] then
      ctx:fail(with(pp, "friendly_name"), "pool '" .. templates[pool.template] .. "' uses the same friendly_name")
    end
    templates[pool.template] = name
    acct.pools[#acct.pools + 1] = pool
  end
  return acct
end

-- data (a plain table) -> pb | nil, err.  lines: the source, for positions.
function _M.from_data(data, file, lines)
  local ctx = setmetatable({ file = file or "playbook", lines = lines }, Ctx)
  local ok, res = pcall(function()
    table_at(ctx, data, {}, "a playbook")
    check_keys(ctx, data, {}, schema.TOP_KEYS)
    local defaults = config_of(ctx, table_at(ctx, data.defaults or {}, { "defaults" }, "defaults"), { "defaults" })
    check_keys(ctx, data.defaults or {}, { "defaults" }, {}, true)
    local pb = { file = ctx.file, data = data, accounts = {}, protect = {} }
    if data.protect ~= nil then protect_list(ctx, data.protect, { "protect" }, pb.protect) end
    local accounts = data.accounts
    if accounts == nil then
      ctx:fail({ "accounts" }, "a playbook needs accounts = { main = { numbers = ..., pools = ... } }")
    end
    table_at(ctx, accounts, { "accounts" }, "accounts")
    local seen = {}
    for _, key in ipairs(keys_sorted(accounts)) do
      if type(key) ~= "string" or not (key == "main" or key:match("^AC%x+$") and #key == 34) then
        ctx:fail({ "accounts", key }, "accounts are keyed by 'main' (the client's account) or a subaccount SID " ..
                                      "(AC + 32 hex digits)", schema.suggest(tostring(key), { "main" }))
      end
      pb.accounts[#pb.accounts + 1] = check_account(ctx, key, accounts[key], { "accounts", key }, defaults, seen)
    end
    -- every exact number by phone (plan looks each number it reads up here)
    pb.declared = {}
    for _, a in ipairs(pb.accounts) do
      for _, n in ipairs(a.numbers) do pb.declared[n.phone_number] = n end
    end
    for e164 in pairs(pb.protect) do
      for _, a in ipairs(pb.accounts) do a.protect[e164] = true end
    end
    return pb
  end)
  if ok then return res end
  if type(res) == "table" and res.playbook_error then return nil, res.playbook_error end
  error(res, 0)
end

function _M.load_string(text, chunkname)
  if type(text) ~= "string" then error("twilio.playbook: load_string(text): a string expected", 2) end
  chunkname = chunkname or "playbook"
  local data, err = run(text, chunkname)
  if not data then return nil, err end
  local ctx = setmetatable({ file = chunkname, lines = split_lines(text) }, Ctx)
  local ok, copy = pcall(plain_copy, ctx, data, {}, 0, {})
  if not ok then
    if type(copy) == "table" and copy.playbook_error then return nil, copy.playbook_error end
    error(copy, 0)
  end
  return _M.from_data(copy, chunkname, ctx.lines)
end

function _M.load(path)
  if type(path) ~= "string" then error("twilio.playbook: load(path): a path expected", 2) end
  local f, oerr = io.open(path, "rb")
  if not f then return nil, errors.new("invalid", "cannot read playbook: " .. tostring(oerr), { file = path }) end
  local text = f:read("*a")
  f:close()
  return _M.load_string(text, path)
end

return _M
