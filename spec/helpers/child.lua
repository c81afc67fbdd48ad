-- helpers.child: runs a Lua chunk in a fresh interpreter of the VM under
-- test, for what must not be measured inside busted (its heap paces the
-- collector, its own allocations fault pages) or needs a clean state.
--
--   local out = child.run(code, arg1, ...)
--
-- The VM is TWILIO_TEST_VM (tests/run sets it), else the one running this
-- spec; LUA_PATH and LUA_CPATH are inherited; the arguments are
-- shell-quoted (the chunk sees them in `arg`). Returns what the chunk wrote
-- to stdout and stderr, and whether it exited with status 0 (true or nil).
local _M = {}

local function sh(s)
  return "'" .. tostring(s):gsub("'", "'\\''") .. "'"
end
function _M.vm()
  return os.getenv("TWILIO_TEST_VM") or (rawget(_G, "jit") and "luajit" or "lua5.4")
end

function _M.run(code, ...)
  local file = os.tmpname()
  local f = assert(io.open(file, "w"))
  f:write(code)
  f:close()
  local cmd = { _M.vm(), file }
  for i = 1, select("#", ...) do cmd[#cmd + 1] = sh((select(i, ...))) end
  local p = assert(io.popen(table.concat(cmd, " ") .. " 2>&1"))
  local out = p:read("*a")
  local ok = p:close()
  os.remove(file)
  return out, ok
end

return _M
