-- bench/parse_page.lua -- core.parse_page (or core.parse_record) alone on a
-- saved response body.
--   LUA_CPATH="build/5.4/?.so;;" lua5.4 bench/parse_page.lua [N] [BODY] [page|record]
--   LUA_CPATH="build/jit/?.so;;" luajit bench/parse_page.lua [N] [BODY] [page|record]
-- BODY: a saved list page (default build/bench/page0.json, which bench/run
-- writes: 1000 numbers, 1.34 MB), or with `record` one number's JSON (e.g.
-- a GET of /2010-04-01/Accounts/AC.../IncomingPhoneNumbers/PN....json from
-- the page server). Parses it N times (300) and prints the mean
-- milliseconds per parse. Under callgrind, the JSON scanner's share per
-- parse is scan_doc's inclusive count / N:
--   valgrind --tool=callgrind --callgrind-out-file=F lua5.4 bench/parse_page.lua 30 PAGE
--   callgrind_annotate --inclusive=yes F | grep -E 'scan_doc|stops_fill'
local core = require "twilio.core"
local n = tonumber(arg[1]) or 300
local f = assert(io.open(arg[2] or "build/bench/page0.json", "rb"))
local mode = arg[3] or "page"
assert(mode == "page" or mode == "record", "mode: page or record")
local body = f:read("a")
f:close()
local t0 = core.monotonic()
if mode == "page" then
  for _ = 1, n do
    assert(core.parse_page("PhoneNumber", "incoming_phone_numbers", body))
  end
else
  for _ = 1, n do
    assert(core.parse_record("PhoneNumber", body))
  end
end
print(string.format("%.4f ms/%s", (core.monotonic() - t0) / n * 1000, mode))
