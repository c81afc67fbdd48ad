-- twilio.playbook.render: a plan as text (Terraform-like) and as JSON.
--   render(plan, write)   write(text) is called with whole lines; no escape codes
--   to_json(plan) -> text; from_json(text) -> plan | nil, err (a saved plan)
local plan_mod = require "twilio.playbook.plan"
local load = require "twilio.playbook.load"
local errors = require "twilio.errors"
local dkjson = require "dkjson"

local ipairs, pairs, tostring, type = ipairs, pairs, tostring, type
local fmt, sort = string.format, table.sort
local show = plan_mod.show

local _M = {}

local function where(sid, main)
  if sid == main then return "main" end
  return sid
end

local function sorted_config(config)
  local ks = {}
  for k in pairs(config or {}) do ks[#ks + 1] = k end
  sort(ks)
  return ks
end

function _M.render(plan, write)
  if type(write) ~= "function" then error("twilio.playbook.render(plan, write): write must be a function", 2) end
  local main = plan.main_account
  for _, c in ipairs(plan.changes) do
    local a = c.action
    if a == "buy" then
      if c.pool then
        write(fmt("  + buy %s (pool %s: %s) in %s\n", show(c.friendly_name), c.pool, c.search or "",
                  where(c.account, main)))
      else
        write(fmt("  + buy %s in %s\n", c.phone_number, where(c.account, main)))
      end
      for _, k in ipairs(sorted_config(c.config)) do
        if not (c.pool and k == "friendly_name") then write(fmt("      %s: %s\n", k, show(c.config[k]))) end
      end
    elseif a == "update" then
      write(fmt("  ~ update %s (%s) in %s%s\n", c.phone_number, c.sid, where(c.account, main),
                c.pool and (" (pool " .. c.pool .. ")") or ""))
      for _, d in ipairs(c.fields) do write(fmt("      %s: %s -> %s\n", d.field, show(d.old), show(d.new))) end
    elseif a == "move" then
      write(fmt("  > move %s (%s) from %s to %s\n", c.phone_number, c.sid, where(c.from, main), where(c.to, main)))
      for _, d in ipairs(c.fields or {}) do write(fmt("      %s: %s -> %s\n", d.field, show(d.old), show(d.new))) end
    elseif a == "release" then
      write(fmt("  - release %s (%s, %s) in %s\n", c.phone_number, c.sid, show(c.friendly_name),
                where(c.account, main)))
    end
  end
  if plan.unchanged > 0 then
    write(fmt("  (%d unchanged number%s hidden)\n", plan.unchanged, plan.unchanged == 1 and "" or "s"))
  end
  if #plan.changes == 0 then write("No changes. The accounts match the playbook.\n") end
  for _, w in ipairs(plan.warnings) do write("Warning: " .. w .. "\n") end
  for _, p in ipairs(plan.problems) do write("Error: " .. p .. "\n") end
  local s = plan.summary
  write(fmt("Plan: %d to buy, %d to change, %d to move, %d to release.\n", s.buy, s.change, s.move, s.release))
end

---------------------------------------------------------------- JSON

local function json()
  return dkjson
end

local function array(t)
  return setmetatable(t, { __jsontype = "array" })
end

local function object(t)
  return setmetatable(t, { __jsontype = "object" })
end

local function change_json(c)
  local o = {}
  for k, v in pairs(c) do o[k] = v end
  if c.config then o.config = object(c.config) end
  if c.set then o.set = object(c.set) end
  if c.fields then
    local fs = {}
    for i, d in ipairs(c.fields) do
      fs[i] = object({ field = d.field, old = d.old == nil and json().null or d.old, new = d.new })
    end
    o.fields = array(fs)
  end
  return object(o)
end

function _M.to_json(plan)
  local changes = {}
  for i, c in ipairs(plan.changes) do changes[i] = change_json(c) end
  local cands = {}
  for k, v in pairs(plan.candidates or {}) do cands[k] = array(v) end
  local doc = object({
    format = "twilio-numbers plan", version = plan.version, fingerprint = plan.fingerprint, prune = plan.prune,
    main_account = plan.main_account, summary = object(plan.summary), unchanged = plan.unchanged,
    changes = array(changes), warnings = array(plan.warnings), problems = array(plan.problems),
    candidates = object(cands), playbook_file = plan.pb and plan.pb.file,
    playbook = plan.pb and plan.pb.data,
  })
  return json().encode(doc, { indent = true, keyorder = {
    "format", "version", "fingerprint", "main_account", "prune", "summary", "unchanged", "changes",
    "warnings", "problems", "action", "account", "phone_number", "sid", "from", "to", "pool", "friendly_name",
    "fields", "field", "old", "new" } })
end

function _M.from_json(text)
  if type(text) ~= "string" then error("twilio.playbook.plan_from_json(text): a string expected", 2) end
  local doc, _, jerr = json().decode(text, 1, nil)
  if type(doc) ~= "table" or doc.format ~= "twilio-numbers plan" then
    return nil, errors.new("invalid", "not a saved twilio-numbers plan" .. (jerr and (": " .. tostring(jerr)) or ""))
  end
  if doc.version ~= 1 then
    return nil, errors.new("invalid", "saved plan version " .. tostring(doc.version) .. " is not supported")
  end
  local pb, err = load.from_data(doc.playbook, doc.playbook_file or "saved plan")
  if not pb then return nil, err end
  local plan = { version = 1, fingerprint = doc.fingerprint, prune = doc.prune == true,
                 main_account = doc.main_account, summary = doc.summary, unchanged = doc.unchanged,
                 changes = {}, warnings = doc.warnings or {}, problems = doc.problems or {},
                 candidates = doc.candidates or {}, pb = pb, saved = true }
  for i, c in ipairs(doc.changes or {}) do
    if c.fields then
      for _, d in ipairs(c.fields) do if d.old == json().null then d.old = nil end end
    end
    plan.changes[i] = c
  end
  return plan
end

return _M
