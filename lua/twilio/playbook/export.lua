-- twilio.playbook.export: a playbook of the accounts as they are.
-- Every number as an exact entry with its non-default configuration, so an
-- immediate plan of it shows no changes. Streamed: opts.write(piece) gets
-- the text as it is made, a bounded buffer at most (constant memory);
-- without it, the text is returned.
--
-- An account of up to BLOCK numbers is one table constructor. A bigger one
-- is filled by functions of BLOCK numbers each: one Lua function holds at
-- most 65,536 constants under LuaJIT, and every number and name is one.
local schema = require "twilio.playbook.schema"

local ipairs, tostring, type = ipairs, tostring, type
local fmt, concat = string.format, table.concat

local _M = {}

local BLOCK = 2000

local function lua_string(s)
  -- %q, but a newline as \n (one line per number)
  return (fmt("%q", s):gsub("\\\n", "\\n"):gsub("\r", "\\r"))
end

local function value(v)
  if type(v) == "string" then return lua_string(v) end
  return tostring(v)
end

local function entry(n, line)
  local k = 0
  for _, f in ipairs(schema.FIELDS) do
    local v = n[f]
    if v ~= nil and v ~= "" and v ~= schema.DEFAULTS[f] then
      k = k + 1
      line[k] = f .. " = " .. value(v)
    end
  end
  for i = #line, k + 1, -1 do line[i] = nil end
  return fmt("[%s] = { %s }", lua_string(n.phone_number), concat(line, ", "))
end

-- export(client, { accounts = { "AC…", ... } (default: the client's account), write = fn })
function _M.export(client, opts)
  opts = opts or {}
  local main = client:account_sid()
  local sids = opts.accounts or { main }
  local out = {}
  local write = opts.write or function(s) out[#out + 1] = s end
  write(fmt("-- twilio-numbers playbook exported from %d account%s. Fields left out keep their\n" ..
            "-- current value; a plan of this file right away shows no changes.\n", #sids, #sids == 1 and "" or "s"))
  local names = {}
  for a, sid in ipairs(sids) do
    local var = "account_" .. a
    names[a] = var
    local cur, err = client:account(sid).incoming_phone_numbers:cursor{ page_size = 1000 }
    if not cur then return nil, err end
    local line, buf, count, blocks = {}, {}, 0, false
    local function flush_block()
      write(fmt("do\n  local function add(n)\n    n%s\n  end\n  add(%s)\nend\n", concat(buf, "\n    n"), var))
      buf = {}
    end
    while true do
      local n, ierr = cur:next()
      if ierr then return nil, ierr end
      if n == nil then break end
      count = count + 1
      if count == BLOCK + 1 then
        -- too many for one function: blocks from now on
        blocks = true
        write(fmt("local %s = {}\n", var))
        flush_block()
      end
      buf[#buf + 1] = entry(n, line)
      if blocks and #buf == BLOCK then flush_block() end
    end
    if blocks then
      if #buf > 0 then flush_block() end
    elseif #buf > 0 then
      write(fmt("local %s = {\n  %s,\n}\n", var, concat(buf, ",\n  ")))
    else
      write(fmt("local %s = {}\n", var))
    end
  end
  write("return {\n  accounts = {\n")
  for a, sid in ipairs(sids) do
    write(fmt("    [%s] = { numbers = %s },\n", lua_string(sid == main and "main" or sid), names[a]))
  end
  write("  },\n}\n")
  if opts.write then return true end
  return concat(out)
end

return _M
