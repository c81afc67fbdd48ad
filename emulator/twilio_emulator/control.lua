-- twilio_emulator.control: the control API under /_emulator/ (no auth, never
-- luacheck: globals ngx
-- subject to faults, logging or latency).
local cjson = require "cjson.safe"
local util = require "twilio_emulator.util"
local state = require "twilio_emulator.state"
local inventory = require "twilio_emulator.inventory"
local faults = require "twilio_emulator.faults"

local ngx = ngx
local encode, fmt, tonumber, type, ipairs, pairs = util.encode, string.format, tonumber, type, ipairs, pairs
local floor = math.floor

local _M = {}

local function reply(status, value)
  local body = type(value) == "string" and value or encode(value)
  ngx.status = status
  ngx.header["Content-Type"] = "application/json; charset=utf-8"
  ngx.header["Content-Length"] = #body + 1
  ngx.say(body)
  return ngx.exit(ngx.OK)
end

local function fail(status, message)
  return reply(status, { error = message })
end

local function array(t)
  t.__array = true
  return t
end

local function body_json()
  ngx.req.read_body()
  local body = ngx.req.get_body_data()
  if not body or body:match("^%s*$") then return {} end
  local v, e = cjson.decode(body)
  if v == nil then return nil, "invalid JSON body: " .. tostring(e) end
  return v
end

local function base_url()
  return "http://127.0.0.1:" .. ngx.var.server_port
end

local function info()
  local subs = {}
  for i, a in ipairs(state.subaccounts) do
    subs[i] = { sid = a.sid, auth_token = a.auth_token, friendly_name = a.friendly_name,
                owner_account_sid = a.owner_account_sid }
  end
  local addons = {}
  for i, a in ipairs(state.ADDONS) do
    addons[i] = { sid = a.sid, friendly_name = a.friendly_name, unique_name = a.unique_name,
                  extensions = #a.extensions }
  end
  local m = state.main
  return {
    base_url = base_url(), api_version = util.API_VERSION,
    account = { sid = m.sid, auth_token = m.auth_token, friendly_name = m.friendly_name },
    subaccounts = array(subs),
    api_key = { sid = state.api_key.sid, secret = state.api_key.secret, account_sid = m.sid },
    installed_add_ons = array(addons),
    inventory_size = inventory.count(),
  }
end

local function env_lines()
  local i = info()
  local lines = {
    "export TWILIO_EMULATOR_URL=" .. i.base_url,
    "export TWILIO_EMULATOR_ACCOUNT_SID=" .. i.account.sid,
    "export TWILIO_EMULATOR_AUTH_TOKEN=" .. i.account.auth_token,
    "export TWILIO_EMULATOR_SUBACCOUNT_SID=" .. i.subaccounts[1].sid,
    "export TWILIO_EMULATOR_SUBACCOUNT_TOKEN=" .. i.subaccounts[1].auth_token,
    "export TWILIO_EMULATOR_SUBACCOUNT2_SID=" .. i.subaccounts[2].sid,
    "export TWILIO_EMULATOR_SUBACCOUNT2_TOKEN=" .. i.subaccounts[2].auth_token,
    "export TWILIO_EMULATOR_API_KEY=" .. i.api_key.sid,
    "export TWILIO_EMULATOR_API_SECRET=" .. i.api_key.secret,
  }
  return table.concat(lines, "\n")
end

local function stats()
  local s = {}
  for k, v in pairs(state.stats) do s[k] = v end
  local owned = 0
  for _ in pairs(state.numbers) do owned = owned + 1 end
  s.numbers_owned = owned
  s.faults_pending = #state.faults
  s.log_entries = state.log_next - state.log_first
  local per = {}
  for _, a in ipairs(state.account_list) do per[a.sid] = #a.numbers end
  s.numbers_by_account = per
  return s
end

local function fault_view(f)
  local t = {}
  for k, v in pairs(f) do t[k] = v end
  return t
end

-- POST /_emulator/seed {account_sid, count, type, friendly_name_prefix}
local function seed(req)
  local acct = state.accounts[req.account_sid or state.main.sid]
  if not acct then return fail(400, "unknown account_sid") end
  local count = tonumber(req.count or 1000)
  if not count or count < 1 or count > 500000 or count ~= floor(count) then
    return fail(400, "count must be 1..500000")
  end
  local typ = req.type or "local"
  if typ ~= "local" and typ ~= "mobile" and typ ~= "toll_free" then
    return fail(400, "type must be local, mobile or toll_free")
  end
  local t0 = ngx.now()
  ngx.update_time()
  local now = ngx.time()
  local caps = { voice = true, sms = true, mms = true, fax = false }
  local c = state.counters
  local first
  for _ = 1, count do
    c.seed = c.seed + 1
    local k = c.seed
    local line = fmt("%07d", k % 10000000)
    local src = {
      phone_number = "+1200" .. line,
      friendly_name = req.friendly_name_prefix and (req.friendly_name_prefix .. k)
        or ("(200) " .. line:sub(1, 3) .. "-" .. line:sub(4)),
      type = typ, beta = false, capabilities = caps, address_requirements = "none",
    }
    local rec = state.new_number(acct, src, now)
    state.add_number(acct, rec)
    first = first or rec.sid
  end
  state.stats.seeded = state.stats.seeded + count
  ngx.update_time()
  return reply(200, { account_sid = acct.sid, seeded = count, first_sid = first,
                      total = #acct.numbers, ms = floor((ngx.now() - t0) * 1000) })
end

function _M.handle()
  local method = ngx.req.get_method()
  local what = ngx.var.uri:match("^/_emulator/([%w_]+)/?$")
  state.stats.control_requests = state.stats.control_requests + 1
  if what == "info" and method == "GET" then
    local args = ngx.req.get_uri_args()
    if args.format == "env" then
      ngx.header["Content-Type"] = "text/plain; charset=utf-8"
      ngx.say(env_lines())
      return ngx.exit(ngx.OK)
    end
    return reply(200, info())
  elseif what == "reset" and method == "POST" then
    state.reset()
    return reply(200, { ok = true })
  elseif what == "faults" then
    if method == "GET" then
      local out = {}
      for i, f in ipairs(state.faults) do out[i] = fault_view(f) end
      return reply(200, array(out))
    elseif method == "DELETE" then
      faults.clear()
      return reply(200, { ok = true })
    elseif method == "POST" then
      local req, e = body_json()
      if not req then return fail(400, e) end
      local list = req[1] ~= nil and req or { req }
      local added = {}
      for i, f in ipairs(list) do
        local stored, msg = faults.add(f)
        if not stored then return fail(400, msg) end
        added[i] = fault_view(stored)
      end
      return reply(201, req[1] ~= nil and array(added) or added[1])
    end
  elseif what == "log" then
    if method == "GET" then
      local entries = state.log_entries()
      local args = ngx.req.get_uri_args()
      local last = tonumber(args.last)
      if last and last >= 0 and last < #entries then
        local cut = {}
        for i = #entries - last + 1, #entries do cut[#cut + 1] = entries[i] end
        entries = cut
      end
      return reply(200, array(entries))
    elseif method == "DELETE" then
      state.log_clear()
      return reply(200, { ok = true })
    end
  elseif what == "ring" and method == "POST" then   -- ring a number: emulator/twilio_emulator/ring.lua
    local req, e = body_json()
    if not req then return fail(400, e) end
    return reply(require("twilio_emulator.ring").ring(req))
  elseif what == "stats" and method == "GET" then
    return reply(200, stats())
  elseif what == "seed" and method == "POST" then
    local req, e = body_json()
    if not req then return fail(400, e) end
    return seed(req)
  elseif what == "config" then
    if method == "POST" then
      local req, e = body_json()
      if not req then return fail(400, e) end
      if req.latency_ms ~= nil then
        local l = tonumber(req.latency_ms)
        if not l or l < 0 or l > 60000 then return fail(400, "latency_ms must be 0..60000") end
        state.config.latency_ms = l
      end
      if req.log_max ~= nil then
        local l = tonumber(req.log_max)
        if not l or l < 0 then return fail(400, "log_max must be >= 0") end
        state.config.log_max = floor(l)
      end
      return reply(200, state.config)
    elseif method == "GET" then
      return reply(200, state.config)
    end
  else
    return fail(404, "unknown control endpoint; see docs/EMULATOR.md")
  end
  return fail(405, "method not allowed")
end

return _M
