-- twilio.cli.numbers: the everyday commands (list, show, export, search,
-- buy, update, move, release). Each takes the context of twilio.cli.main
-- and returns an exit code; a library error raised while streaming is
-- reported by main.
local csv = require "twilio.csv"
local args = require "twilio.cli.args"
local term = require "twilio.cli.term"
local ops = require "twilio.cli.ops"
local explain = require "twilio.cli.explain"
local output = require "twilio.cli.output"
local desired = require "twilio.cli.desired"

local ipairs, tostring, fmt, concat = ipairs, tostring, string.format, table.concat
local EXIT = term.EXIT

local _M = {}

-- Columns of a number: every CSV column, plus "capabilities" as one cell.
local NUMBER_COLUMNS = {}
for i, c in ipairs(csv.COLUMNS) do NUMBER_COLUMNS[i] = c end
NUMBER_COLUMNS[#NUMBER_COLUMNS + 1] = "capabilities"
_M.NUMBER_COLUMNS = NUMBER_COLUMNS
local TABLE_COLUMNS = { "phone_number", "friendly_name", "voice_url", "sms_url", "sid" }
_M.TABLE_COLUMNS = TABLE_COLUMNS

local AVAILABLE_COLUMNS = { "phone_number", "friendly_name", "locality", "region", "postal_code", "iso_country",
  "lata", "rate_center", "latitude", "longitude", "address_requirements", "beta", "capabilities",
  "capabilities.voice", "capabilities.sms", "capabilities.mms", "capabilities.fax" }
_M.AVAILABLE_COLUMNS = AVAILABLE_COLUMNS
local AVAILABLE_TABLE = { "phone_number", "friendly_name", "locality", "region", "iso_country",
                          "address_requirements", "capabilities" }

local LISTS = { ["local"] = "local_numbers", mobile = "mobile_numbers", toll_free = "toll_free_numbers" }

local function number_writer(ctx, format)
  local f = format or ctx.args.output
  local default = (f == "table") and TABLE_COLUMNS or csv.COLUMNS
  return ctx:writer(NUMBER_COLUMNS, default, f)
end

function _M.list(ctx)
  local a = ctx.args
  local numbers = ctx:numbers()
  local l = a.type and numbers[LISTS[a.type]] or numbers
  local params = args.collect(a, args.LIST_PARAMS)
  params.page_size = args.integer(a.page_size, "--page-size", 1)
  local limit = args.integer(a.limit, "--limit", 1)
  local pat = a.match and ops.glob(a.match)
  if not pat then params.limit = limit end   -- with --match the limit counts matches
  local w = number_writer(ctx)
  local cur, err = l:cursor(params)
  if not cur then return ctx:fail(err) end
  local shown = 0
  while true do
    local n, ierr = cur:next()
    if ierr then w:finish(); return ctx:fail(ierr) end
    if n == nil then break end
    if not pat or (n.friendly_name or ""):match(pat) or (n.phone_number or ""):match(pat) then
      w:row(n)
      shown = shown + 1
      if pat and limit and shown >= limit then break end
    end
  end
  w:finish()
  return EXIT.OK
end

-- A vertical table: one field a line.
local function show_fields(ctx, n, cols)
  local width = 0
  for _, c in ipairs(cols) do if #c > width then width = #c end end
  local out = output
  local tw = term.width(ctx.sys, ctx.args.width and args.integer(ctx.args.width, "--width", 1))
  for _, c in ipairs(cols) do
    local v = out.text(out.value(n, c))
    ctx.sys.out(c .. string.rep(" ", width - #c + 2) .. term.fit(v, math.max(tw - width - 2, 8)) .. "\n")
  end
end

function _M.show(ctx)
  local a = ctx.args
  local n, err = ops.fetch_one(ctx:numbers(), a.number)
  if not n then return ctx:fail(err) end
  if a.output == "table" then
    local cols = NUMBER_COLUMNS
    if a.columns then
      local c, cerr = output.parse_columns(a.columns, NUMBER_COLUMNS)
      if not c then args.usage_error(cerr) end
      cols = c
    end
    show_fields(ctx, n, cols)
    return EXIT.OK
  end
  local w = number_writer(ctx)
  w:row(n)
  w:finish()
  return EXIT.OK
end

-- The whole account, one page (1000 numbers) in memory at a time.
function _M.export(ctx)
  if ctx.args.output == "playbook" then return desired.import(ctx) end
  local w = number_writer(ctx)
  for n in ctx:numbers():each{ page_size = 1000 } do w:row(n) end
  w:finish()
  return EXIT.OK
end

function _M.search(ctx)
  local a = ctx.args
  local params = args.collect(a, args.SEARCH_PARAMS)
  params.limit = args.integer(a.limit, "--limit", 1)
  local c = ctx:client()
  local av = a.account and c:account(ctx:account_sid()).available_phone_numbers or c.available_phone_numbers
  local found, err = av:search(a.country:upper(), a.type, params)
  if not found then return ctx:fail(err) end
  local w = ctx:writer(AVAILABLE_COLUMNS, a.output == "table" and AVAILABLE_TABLE or AVAILABLE_COLUMNS)
  for _, n in ipairs(found) do w:row(n) end
  w:finish()
  if #found == 0 then ctx.sys.err("no numbers found\n") end
  return EXIT.OK
end

local function plural(n, word) return fmt("%d %s%s", n, word, n == 1 and "" or "s") end

-- Purchases go one at a time: each is money, and the library settles an
-- unknown outcome (a dropped answer) before the next one starts.
function _M.buy(ctx)
  local a = ctx.args
  local targets = a.numbers or {}
  if #targets == 0 and not a.area_code then
    args.usage_error("give the numbers to buy (E.164, from `twilio-numbers search`), or --area-code")
  end
  if #targets > 0 and a.area_code then args.usage_error("give numbers or --area-code, not both") end
  local config = args.collect(a, args.CREATE_PARAMS)
  local what = #targets > 0 and fmt("buy %s (%s); purchases cost money", plural(#targets, "number"),
                                    concat(targets, ", "))
                            or fmt("buy 1 number in area code %s; purchases cost money", a.area_code)
  ctx.sys.err("About to " .. what .. ".\n")
  local ok, why = term.confirm(ctx.sys, what:match("^(.-);"), a.yes)
  if not ok then return ctx:fail(why, EXIT.NOT_CONFIRMED) end
  local numbers = ctx:numbers()
  local w = number_writer(ctx)
  local failed = 0
  local list = #targets > 0 and targets or { false }
  for _, e164 in ipairs(list) do
    local p = {}
    for k, v in pairs(config) do p[k] = v end
    if e164 then p.phone_number = e164 else p.area_code = a.area_code end
    local n, err = numbers:create(p)
    if n then
      w:row(n)
      if n:call_info().recovered then
        ctx:warn(fmt("%s: the answer was lost, but the number is in the account: bought once", n.phone_number))
      end
    else
      failed = failed + 1
      ctx:warn(fmt("buy %s failed: %s", e164 or ("in area code " .. a.area_code), explain.error(err)))
    end
  end
  w:finish()
  if failed > 0 then return ctx:fail(fmt("%d of %d purchases failed", failed, #list)) end
  return EXIT.OK
end

-- NUMBER|SID arguments to SIDs: SIDs as they are, E.164 numbers looked up
-- (in parallel). Returns sids, records-by-index (when fetched), failures.
local function resolve(ctx, ids, want_records, parallel)
  local numbers = ctx:numbers()
  local sids, recs, failed = {}, {}, 0
  local lookup, where = {}, {}
  for i, id in ipairs(ids) do
    if ops.is_sid(id) and not want_records then sids[i] = id
    else lookup[#lookup + 1] = id; where[#lookup] = i end
  end
  if #lookup > 0 then
    local results = ops.fetch_many(numbers, lookup, { parallel = parallel })
    for j, r in ipairs(results) do
      local i = where[j]
      if r.ok then sids[i], recs[i] = r.value.sid, r.value
      else
        failed = failed + 1
        ctx:warn(fmt("%s: %s", ids[i], explain.error(r.error)))
      end
    end
  end
  local s, rr, labels = {}, {}, {}
  for i = 1, #ids do
    if sids[i] then s[#s + 1] = sids[i]; rr[#s] = recs[i]; labels[#s] = ids[i] end
  end
  return s, rr, failed, labels
end

-- Results of a bulk call: rows to stdout, failures to stderr, exit code.
local function report(ctx, results, labels, verb, w, pre_failed)
  local failed = pre_failed or 0
  for i, r in ipairs(results) do
    if r.ok then
      if w and type(r.value) ~= "boolean" then w:row(r.value) end
    else
      failed = failed + 1
      ctx:warn(fmt("%s %s failed: %s", verb, labels[i], explain.error(r.error)))
    end
  end
  if w then w:finish() end
  if failed > 0 then
    return ctx:fail(fmt("%d of %d failed", failed, #results + (pre_failed or 0)))
  end
  return EXIT.OK
end

local function progress_for(ctx, labels, verb)
  if #labels < 2 then return nil end
  local p = term.progress(ctx.sys, #labels, verb)
  local failed = 0
  return p, function(done, total, i, r)
    if not r.ok then failed = failed + 1 end
    p:step{ done = done, total = total, failed = failed, item = verb .. " " .. tostring(labels[i]),
            error = (not r.ok) and explain.error(r.error) or nil }
  end
end

-- Field values are checked once, before any number is looked up or changed.
local function check_params(ctx, params)
  local req, err = ctx:client().cfg:build(args.UPDATE_OP,
    { account_sid = ctx:account_sid(), sid = "PN" .. ("0"):rep(32) }, params)
  if not req then args.usage_error(explain.error(err)) end
end

function _M.update(ctx)
  local a = ctx.args
  local params, count = args.collect(a, args.UPDATE_PARAMS)
  -- --clear takes the field as its flag is spelled (voice-url) or as the API names it (voice_url)
  local clear = {}
  for i, f in ipairs(a.clear or {}) do clear[i] = (f:gsub("-", "_")) end
  local clearable = ops.clearable(args.UPDATE_ALL)
  for _, f in ipairs(clear) do
    local okf = false
    for _, c in ipairs(clearable) do if c == f then okf = true end end
    if not okf then
      local s = output.suggest(f, clearable)
      args.usage_error(fmt("--clear %s: not a field that can be emptied%s", f,
                           s and fmt("; did you mean '%s'?", s) or ""))
    end
    if params[f] ~= nil then args.usage_error(fmt("--%s and --clear %s contradict each other", args.kebab(f), f)) end
  end
  if count == 0 and #clear == 0 then
    args.usage_error("nothing to change: give a field (e.g. --voice-url URL) or --clear FIELD")
  end
  check_params(ctx, params)
  local parallel = args.integer(a.parallel, "--parallel", 1)
  local sids, _, pre, labels = resolve(ctx, a.numbers, false, parallel)
  local p, on_item = progress_for(ctx, labels, "update")
  local results = ops.update_many(ctx:numbers(), sids, params, clear, { parallel = parallel, on_item = on_item })
  if p then p:finish() end
  return report(ctx, results, labels, "update", number_writer(ctx), pre)
end

function _M.move(ctx)
  local a = ctx.args
  local to = a.to
  if type(to) == "table" then to = to[1] end
  if not (to and to:match("^AC%x+$") and #to == 34) then
    args.usage_error(fmt("--to must be an account SID: AC followed by 32 hex digits (got '%s')", tostring(to)))
  end
  check_params(ctx, { account_sid = to })
  local parallel = args.integer(a.parallel, "--parallel", 1)
  local sids, _, pre, labels = resolve(ctx, a.numbers, false, parallel)
  local p, on_item = progress_for(ctx, labels, "move")
  local results = ops.update_many(ctx:numbers(), sids, { account_sid = to }, nil,
                                  { parallel = parallel, on_item = on_item })
  if p then p:finish() end
  return report(ctx, results, labels, "move", number_writer(ctx), pre)
end

function _M.release(ctx)
  local a = ctx.args
  local parallel = args.integer(a.parallel, "--parallel", 1)
  local _, recs, pre = resolve(ctx, a.numbers, true, parallel)
  if #recs == 0 then return ctx:fail("nothing to release") end
  local names = {}
  for i, n in ipairs(recs) do
    names[i] = fmt("%s %s%s", n.phone_number, n.sid, n.friendly_name and (" (" .. n.friendly_name .. ")") or "")
  end
  ctx.sys.err(fmt("About to release %s:\n  %s\nA released number goes back to Twilio and may never be " ..
                  "available to buy again.\n", plural(#recs, "number"), concat(names, "\n  ")))
  local ok, why = term.confirm(ctx.sys, "release " .. plural(#recs, "number"), a.yes)
  if not ok then return ctx:fail(why, EXIT.NOT_CONFIRMED) end
  local labels = {}
  for i, n in ipairs(recs) do labels[i] = n.phone_number end
  local p, on_item = progress_for(ctx, labels, "release")
  local results = ops.release_many(ctx:numbers(), recs, { parallel = parallel, on_item = on_item })
  if p then p:finish() end
  local w = number_writer(ctx)
  for i, r in ipairs(results) do if r.ok then w:row(recs[i]) end end
  local failed = pre
  for i, r in ipairs(results) do
    if not r.ok then
      failed = failed + 1
      ctx:warn(fmt("release %s failed: %s", labels[i], explain.error(r.error)))
    end
  end
  w:finish()
  if failed > 0 then return ctx:fail(fmt("%d of %d releases failed", failed, #a.numbers)) end
  return EXIT.OK
end

return _M
