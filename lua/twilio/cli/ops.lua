-- twilio.cli.ops: the calls the commands make on many numbers at once.
--
-- Each is one function here, so the commands do not care how: fetch_many
-- and release_many use the library's own (numbers:fetch_many/release_many,
-- added on branch h12-lua) when the library has them, and otherwise
-- client:bulk over the single calls, which run in parallel over libcurl's
-- multi interface with retries and 429 pauses all the same. --match stays
-- ours (case-sensitive, with [...] classes; the library's each{ match = }
-- is case-insensitive).
local errors = require "twilio.errors"

local type, ipairs, fmt = type, ipairs, string.format

local _M = {}

local SID = "^PN%x%x%x%x%x%x%x%x%x%x%x%x%x%x%x%x%x%x%x%x%x%x%x%x%x%x%x%x%x%x%x%x$"

function _M.is_sid(id) return type(id) == "string" and id:match(SID) ~= nil end

-- A NUMBER|SID argument: anything starting with PN is fetched (a mistyped SID
-- is then refused as a SID, not as "must be E.164"), anything else must be
-- E.164 and is looked up exactly (numbers:find).
local function fetch_one(numbers, id, opts)
  if _M.is_sid(id) or (type(id) == "string" and id:match("^PN")) then return numbers:fetch(id, opts) end
  return numbers:find(id, opts)
end
_M.fetch_one = fetch_one

-- Run fn(item, i) for every item, `parallel` at a time: results[i] =
-- { ok = true, value = v } | { ok = false, error = err }.
-- on_item(done, total, i, result) after each.
local function each_parallel(client, items, fn, parallel, on_item)
  local tasks = {}
  for i, item in ipairs(items) do
    tasks[i] = function() return fn(item, i) end
  end
  return client:bulk(tasks, {
    concurrency = parallel or 8,
    on_progress = on_item and function(done, total, i, r) on_item(done, total, i, r) end,
  })
end
_M.each_parallel = each_parallel

-- The library's own bulk call when it has one (branch h12-lua: same
-- results, E.164 numbers looked up exactly), else client:bulk here.
local function library_many(numbers, method, targets, opts)
  local f = numbers[method]
  if type(f) ~= "function" then return nil end
  local results, err = f(numbers, targets, { concurrency = opts.parallel or 8, on_progress = opts.on_item })
  if results then return results end
  -- refused as a whole (invalid): the same error for every item
  local out = {}
  for i = 1, #targets do out[i] = { ok = false, error = err } end
  return out
end

-- fetch_many(numbers, ids, opts) -> results (see each_parallel)
function _M.fetch_many(numbers, ids, opts)
  opts = opts or {}
  return library_many(numbers, "fetch_many", ids, opts)
      or each_parallel(numbers.client, ids, function(id) return fetch_one(numbers, id) end,
                       opts.parallel, opts.on_item)
end

-- release_many(numbers, records, opts) -> results (value true)
function _M.release_many(numbers, recs, opts)
  opts = opts or {}
  local sids = {}
  for i, n in ipairs(recs) do sids[i] = n.sid end
  return library_many(numbers, "release_many", sids, opts)
      or each_parallel(numbers.client, sids, function(sid) return numbers:release(sid) end,
                       opts.parallel, opts.on_item)
end

-- An update that may also empty fields (`clear`, a list of field names).
-- The library refuses "" for URL and SID fields (it cannot tell a mistake
-- from a wish), so each cleared field is validated with a stand-in value
-- and then sent empty, which is how Twilio clears a field.
local STAND_IN = {
  url = function() return "https://clear.invalid/" end,
  sid = function(p) return p.sid_prefix .. ("0"):rep(32) end,
  text = function() return "x" end,
}

function _M.clearable(op_params)
  local names = {}
  for _, p in ipairs(op_params) do
    if p["in"] == "form" and STAND_IN[p.check] and p.name ~= "account_sid" then names[#names + 1] = p.name end
  end
  return names
end

local function wire_of(op_params, name)
  for _, p in ipairs(op_params) do
    if p.name == name and p["in"] == "form" then return p end
  end
  return nil
end

function _M.update_one(numbers, sid, params, clear, op_params)
  if not clear or #clear == 0 then return numbers:update(sid, params) end
  local p = {}
  for k, v in pairs(params) do p[k] = v end
  local wires = {}
  for _, name in ipairs(clear) do
    local spec = wire_of(op_params, name)
    if not spec or not STAND_IN[spec.check] then
      return nil, errors.new("invalid", fmt("--clear %s: not a field that can be emptied", name), { field = name })
    end
    p[name] = STAND_IN[spec.check](spec)
    wires[#wires + 1] = spec.wire
  end
  local client = numbers.client
  local req, err = client.cfg:build(numbers.update_op, { account_sid = numbers.path.account_sid, sid = sid }, p)
  if not req then return nil, err end
  local body = "&" .. req.body
  for _, w in ipairs(wires) do body = body:gsub("&" .. w .. "=[^&]*", "&" .. w .. "=") end
  req.body = body:sub(2)
  local res, serr, retries = client:send(req)
  if not res then return nil, serr end
  return numbers:record(res, retries)
end

-- update_many(numbers, sids, params, clear, op_params, opts) -> results (value: the updated number)
function _M.update_many(numbers, sids, params, clear, op_params, opts)
  opts = opts or {}
  return each_parallel(numbers.client, sids, function(sid)
    return _M.update_one(numbers, sid, params, clear, op_params)
  end, opts.parallel, opts.on_item)
end

-- Glob (* ? [abc]) to an anchored Lua pattern.
function _M.glob(g)
  local out = { "^" }
  local i = 1
  while i <= #g do
    local c = g:sub(i, i)
    if c == "*" then out[#out + 1] = ".*"
    elseif c == "?" then out[#out + 1] = "."
    elseif c == "[" then
      local close = g:find("]", i + 1, true)
      if close then
        local set = g:sub(i + 1, close - 1):gsub("^!", "^"):gsub("%%", "%%%%")
        out[#out + 1] = "[" .. set .. "]"
        i = close
      else
        out[#out + 1] = "%["
      end
    elseif c:match("%p") then out[#out + 1] = "%" .. c
    else out[#out + 1] = c end
    i = i + 1
  end
  out[#out + 1] = "$"
  return table.concat(out)
end

return _M
