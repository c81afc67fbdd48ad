-- twilio.cli.ops: the calls the commands make on many numbers at once.
--
-- Each is one function here over the library's bulk calls
-- (numbers:fetch_many/update_many/release_many: parallel over libcurl's
-- multi interface or ngx threads, retries and 429 pauses as in single
-- calls); --clear sends a field empty, which the library accepts for the
-- fields it can clear. --match stays
-- ours (case-sensitive, with [...] classes; the library's each{ match = }
-- is case-insensitive).
local type, ipairs, pairs = type, ipairs, pairs

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

-- The library's bulk calls, with the command's options; results per item
-- ({ ok = true, value = v } | { ok = false, error = err }). Parameters the
-- library refuses as a whole give the same error for every item.
local function many(numbers, method, targets, params, opts)
  opts = opts or {}
  local bulk_opts = { concurrency = opts.parallel or 8, on_progress = opts.on_item }
  local results, err
  if params then results, err = numbers[method](numbers, targets, params, bulk_opts)
  else results, err = numbers[method](numbers, targets, bulk_opts) end
  if results then return results end
  local out = {}
  for i = 1, #targets do out[i] = { ok = false, error = err } end
  return out
end

-- fetch_many(numbers, ids, opts) -> results (value: the number)
function _M.fetch_many(numbers, ids, opts)
  return many(numbers, "fetch_many", ids, nil, opts)
end

-- release_many(numbers, records, opts) -> results (value true)
function _M.release_many(numbers, recs, opts)
  local sids = {}
  for i, n in ipairs(recs) do sids[i] = n.sid end
  return many(numbers, "release_many", sids, nil, opts)
end

-- The fields `--clear` may empty: those the library clears when sent empty
-- (core.operations() marks them clearable), and free text.
function _M.clearable(op_params)
  local names = {}
  for _, p in ipairs(op_params) do
    if p["in"] == "form" and (p.clearable or p.empty_ok) then names[#names + 1] = p.name end
  end
  return names
end

-- update_many(numbers, sids, params, clear, opts) -> results (value: the
-- updated number); each field named in `clear` is sent empty (the library's
-- way to remove it).
function _M.update_many(numbers, sids, params, clear, opts)
  local p = {}
  for k, v in pairs(params) do p[k] = v end
  for _, name in ipairs(clear or {}) do p[name] = "" end
  return many(numbers, "update_many", sids, p, opts)
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
