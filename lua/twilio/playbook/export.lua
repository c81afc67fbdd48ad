-- twilio.playbook.export: a playbook of the accounts as they are.
-- Every number as an exact entry with its non-default configuration, so an
-- immediate plan of it shows no changes. Streamed: opts.write(piece) gets
-- the text a number at a time (constant memory); without it, the text is returned.
local schema = require "twilio.playbook.schema"

local ipairs, tostring, type = ipairs, tostring, type
local fmt, concat = string.format, table.concat

local _M = {}

local function lua_string(s)
  -- %q, but a newline as \n and no raw control bytes (readable, one line)
  return (fmt("%q", s):gsub("\\\n", "\\n"):gsub("\r", "\\r"))
end

local function value(v)
  if type(v) == "string" then return lua_string(v) end
  return tostring(v)
end

-- export(client, { accounts = { "AC…", ... } (default: the client's account), write = fn })
function _M.export(client, opts)
  opts = opts or {}
  local main = client:account_sid()
  local sids = opts.accounts or { main }
  local out = {}
  local write = opts.write or function(s) out[#out + 1] = s end
  write(fmt("-- twilio-numbers playbook exported from %d account%s. Fields left out keep their\n" ..
            "-- current value; `twilio-numbers plan` of this file shows no changes.\nreturn {\n  accounts = {\n",
            #sids, #sids == 1 and "" or "s"))
  for _, sid in ipairs(sids) do
    write(fmt("    [%s] = {\n      numbers = {\n", lua_string(sid == main and "main" or sid)))
    local cur, err = client:account(sid).incoming_phone_numbers:cursor{ page_size = 1000 }
    if not cur then return nil, err end
    local line = {}
    while true do
      local n, ierr = cur:next()
      if ierr then return nil, ierr end
      if n == nil then break end
      local k = 0
      for _, f in ipairs(schema.FIELDS) do
        local v = n[f]
        if v ~= nil and v ~= "" and v ~= schema.DEFAULTS[f] then
          k = k + 1
          line[k] = f .. " = " .. value(v)
        end
      end
      for i = #line, k + 1, -1 do line[i] = nil end
      write(fmt("        [%s] = { %s },\n", lua_string(n.phone_number), concat(line, ", ")))
    end
    write("      },\n    },\n")
  end
  write("  },\n}\n")
  if opts.write then return true end
  return concat(out)
end

return _M
