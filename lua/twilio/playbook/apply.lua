-- twilio.playbook.apply: carry out a plan, never buying twice.
--
-- The accounts are read again first (a fresh plan of the same playbook); a
-- saved plan whose fingerprint differs from the fresh one is refused. Then,
-- with the bulk API: moves, updates (numbers:update_many per account),
-- purchases, releases. Purchases are safe to interrupt and re-run:
--   * an exact number is bought only when the fresh read does not find it;
--     a lost answer is settled by the library's lookup (list:create), and a
--     21422 ("not available") is checked the same way: found in the account
--     means an earlier, interrupted run bought it;
--   * a pool purchase sets the member's friendly name in the create request
--     itself, so a re-run counts it; candidates are taken in the search's
--     order, so an interrupted purchase and its re-run aim at the same number.
local errors = require "twilio.errors"
local plan_mod = require "twilio.playbook.plan"

local ipairs, pairs, tostring = ipairs, pairs, tostring
local fmt, concat = string.format, table.concat

local _M = {}

-- Twilio's regulatory errors, in words.
local function explain(err, what)
  local code = err and err.code
  local msg = tostring(err and err.message)
  if code == 21631 then
    msg = fmt("%s needs an address on file: Twilio refused the purchase (error 21631, %s). Create an Address " ..
              "for this country (console or Addresses API) and set address_sid on the number, the pool or " ..
              "defaults", what, msg)
  elseif code == 21649 then
    msg = fmt("%s needs an approved regulatory bundle: Twilio refused the purchase (error 21649, %s). Get a " ..
              "Regulatory Compliance bundle approved for this country and number type and set bundle_sid on " ..
              "the number, the pool or defaults", what, msg)
  elseif code == 21422 then
    msg = fmt("%s is not available (error 21422): it may have been released and taken, or never existed", what)
  else
    msg = fmt("%s: %s", what, msg)
  end
  local e = errors.new(err and err.kind or "api", msg, { code = code, status = err and err.status })
  return e
end
_M.explain = explain

local function config_params(config)
  local p = {}
  for k, v in pairs(config or {}) do p[k] = v end
  return p
end

-- A pool's candidates ran out (Twilio answers at most 30 a search): search
-- again for numbers not tried yet. true when some were found.
local function refill(q)
  local P = q.pool
  if not P or q.exhausted then return false end
  local cands = plan_mod.search_candidates(P.client, P.sid, P.pool, 10, q.tried)
  for _, ph in ipairs(cands or {}) do
    if not q.tried[ph] then
      q.tried[ph] = true
      q.items[#q.items + 1] = ph
    end
  end
  -- another task may have refilled the queue while this one searched
  if q.next <= #q.items then return true end
  q.exhausted = true
  return false
end

-- Is phone in account sid (with friendly name fname, when given)? number | nil
local function lookup(client, sid, phone, fname)
  local n = client:account(sid).incoming_phone_numbers:find(phone, { retries = 2 })
  if n and (fname == nil or n.friendly_name == fname) then return n end
  return nil
end

function _M.apply(client, p, opts)
  opts = opts or {}
  local parallel = opts.parallel or 8
  local progress = opts.progress
  local fresh, err
  if p.pb and p.changes and p.fingerprint then
    fresh, err = plan_mod.plan(client, p.pb, { prune = p.prune })
    if not fresh then return nil, err end
    if p.saved and fresh.fingerprint ~= p.fingerprint then
      return nil, errors.new("stale", fmt("the saved plan is stale: the accounts changed since it was made " ..
        "(fingerprint %s, now %s); make a new plan", tostring(p.fingerprint), tostring(fresh.fingerprint)),
        { field = "fingerprint" })
    end
  elseif p.accounts and p.data then
    fresh, err = plan_mod.plan(client, p, { prune = opts.prune })
    if not fresh then return nil, err end
  else
    error("twilio.playbook.apply(client, plan_or_playbook): a plan or a loaded playbook expected", 2)
  end
  if #fresh.problems > 0 then
    return nil, errors.new("invalid", "the plan has problems; nothing was done:\n  " ..
                           concat(fresh.problems, "\n  "), { plan = fresh })
  end
  local result = { plan = fresh, bought = 0, updated = 0, moved = 0, released = 0, failed = 0,
                   errors = {}, recovered = 0 }
  local total, done = #fresh.changes, 0
  local function report(phase, c, ok, e)
    done = done + 1
    if ok then
      if phase == "buy" then result.bought = result.bought + 1
      elseif phase == "update" then result.updated = result.updated + 1
      elseif phase == "move" then result.moved = result.moved + 1
      else result.released = result.released + 1 end
    else
      result.failed = result.failed + 1
      result.errors[#result.errors + 1] = e
    end
    if progress then
      progress({ phase = phase, done = done, total = total, ok = ok, change = c, error = e,
                 failed = result.failed })
    end
  end
  local by = { move = {}, update = {}, buy = {}, release = {} }
  for _, c in ipairs(fresh.changes) do local l = by[c.action]; l[#l + 1] = c end
  local function what(c) return c.phone_number or ("'" .. tostring(c.friendly_name) .. "'") end

  -- 1. moves (then the moved number's fields, in its new account)
  if #by.move > 0 then
    local tasks = {}
    for i, c in ipairs(by.move) do
      tasks[i] = function()
        local n, e = client:account(c.from).incoming_phone_numbers:update(c.sid, { account_sid = c.to })
        if not n then return nil, e end
        if c.set then
          n, e = client:account(c.to).incoming_phone_numbers:update(c.sid, config_params(c.set))
        end
        return n, e
      end
    end
    client:bulk(tasks, { concurrency = parallel, on_progress = function(_, _, i, r)
      report("move", by.move[i], r.ok, not r.ok and explain(r.error, "moving " .. what(by.move[i])) or nil)
    end })
  end

  -- 2. updates, one update_many per account
  local per_account, order = {}, {}
  for _, c in ipairs(by.update) do
    local l = per_account[c.account]
    if not l then l = {}; per_account[c.account] = l; order[#order + 1] = c.account end
    l[#l + 1] = c
  end
  for _, sid in ipairs(order) do
    local list = per_account[sid]
    local targets = {}
    for i, c in ipairs(list) do targets[i] = c.sid end
    local function params_of(_, i) return config_params(list[i].set) end
    client:account(sid).incoming_phone_numbers:update_many(targets, params_of,
      { concurrency = parallel, on_progress = function(_, _, i, r)
        report("update", list[i], r.ok, not r.ok and explain(r.error, "updating " .. what(list[i])) or nil)
      end })
  end

  -- 3. purchases
  if #by.buy > 0 then
    local queues = {}
    for key, cands in pairs(fresh.candidates) do
      local q = {}
      for i, ph in ipairs(cands) do q[i] = ph end
      local tried = {}
      for _, ph in ipairs(q) do tried[ph] = true end
      local P = fresh.pools[key]
      queues[key] = { items = q, next = 1, tried = tried,
                      pool = P and { client = client, sid = P.sid, pool = P.pool } }
    end
    local tasks = {}
    for i, c in ipairs(by.buy) do
      local numbers = client:account(c.account).incoming_phone_numbers
      if c.pool then
        tasks[i] = function()
          local q = queues[c.pool_key]
          local last
          while q do
            if q.next > #q.items and not refill(q) then break end
            local phone = q.items[q.next]
            q.next = q.next + 1
            local params = config_params(c.config)
            params.phone_number = phone
            local n, e = numbers:create(params)
            if n then return n end
            last = e
            if e.code ~= 21422 then return nil, e end
            -- bought by an interrupted run under this very name? then it is ours;
            -- otherwise someone else has it: the next candidate
            local mine = lookup(client, c.account, phone, c.friendly_name)
            if mine then result.recovered = result.recovered + 1; return mine end
          end
          return nil, last or errors.new("api", "no candidate number left to buy")
        end
      else
        tasks[i] = function()
          local params = config_params(c.config)
          params.phone_number = c.phone_number
          local n, e = numbers:create(params)
          if n then return n end
          if e.code == 21422 then
            local mine = lookup(client, c.account, c.phone_number)
            if mine then result.recovered = result.recovered + 1; return mine end
          end
          return nil, e
        end
      end
    end
    client:bulk(tasks, { concurrency = parallel, on_progress = function(_, _, i, r)
      local c = by.buy[i]
      local label = c.pool and fmt("buying '%s' (pool %s)", tostring(c.friendly_name), c.pool)
                    or ("buying " .. c.phone_number)
      if r.ok and r.value then c.bought = r.value.phone_number end
      report("buy", c, r.ok, not r.ok and explain(r.error, label) or nil)
    end })
  end

  -- 4. releases
  if #by.release > 0 then
    local tasks = {}
    for i, c in ipairs(by.release) do
      tasks[i] = function() return client:account(c.account).incoming_phone_numbers:release(c.sid) end
    end
    client:bulk(tasks, { concurrency = parallel, on_progress = function(_, _, i, r)
      report("release", by.release[i], r.ok, not r.ok and explain(r.error, "releasing " .. what(by.release[i])) or nil)
    end })
  end

  if result.failed > 0 then
    local lines = {}
    for i, e in ipairs(result.errors) do
      if i > 20 then lines[#lines + 1] = fmt("... and %d more", #result.errors - 20); break end
      lines[#lines + 1] = tostring(e.message)
    end
    return nil, errors.new("apply", fmt("%d of %d changes failed (the others were made; run apply again " ..
      "to retry, it converges):\n  %s", result.failed, total, concat(lines, "\n  ")), { result = result })
  end
  return result
end

return _M
