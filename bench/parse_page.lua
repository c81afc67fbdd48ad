-- bench/parse_page.lua -- core.parse_page alone on a real list page.
--   LUA_CPATH="build/5.4/?.so;;" lua5.4 bench/parse_page.lua [N] [PAGE]
--   LUA_CPATH="build/jit/?.so;;" luajit bench/parse_page.lua [N] [PAGE]
-- PAGE: a saved list page (default build/bench/page0.json, which bench/run
-- writes: 1000 numbers, 1.34 MB); parses it N times (300) and prints the
-- mean milliseconds per page.
local core = require "twilio.core"
local n = tonumber(arg[1]) or 300
local f = assert(io.open(arg[2] or "build/bench/page0.json", "rb"))
local body = f:read("a")
f:close()
local t0 = core.monotonic()
for _ = 1, n do
  assert(core.parse_page("PhoneNumber", "incoming_phone_numbers", body))
end
print(string.format("%.3f ms/page", (core.monotonic() - t0) / n * 1000))
