-- bench/breakdown.lua -- where list-all's time goes, against the page server
-- (bench/pages.conf.in: start it as bench/run does, or run this while
-- `make bench` is not running and a page server is up).
--
--   BENCH_PAGES_URL=http://127.0.0.1:PORT LUA_PATH="lua/?.lua;;" \
--     LUA_CPATH="build/5.4/?.so;;" lua5.4 bench/breakdown.lua MODE [REPS]
--
-- MODE: transport (50 pages through client:send, body not parsed), parse
-- (+ core.parse_page), read (+ sid and phone_number of every number), each
-- (numbers:each{ page_size = 1000 }, reading the same two fields: the
-- list-all job). REPS (default 1) repeats the 50 pages in one process (for
-- `perf record`). Prints MODE and the seconds of the last repetition.
-- MODE reads: one page fetched and parsed once, then sid and phone_number
-- of its 1000 numbers read REPS times: the field read path alone. Under
-- callgrind, (Ir of `reads 50` - Ir of `reads 0`) / 100,000 is the cost of
-- one read (the value strings exist after the first pass); on LuaJIT the
-- loop compiles, under `luajit -joff` it does not.
local twilio = require "twilio"
local core = require "twilio.core"

local url = assert(os.getenv("BENCH_PAGES_URL"), "set BENCH_PAGES_URL to the page server's URL")
local sid = "ACbbbbbbbbbbbbbbbbbbbbbbbb00000050"
local mode, reps = arg[1] or "each", tonumber(arg[2] or "1")
local client = assert(twilio.new{ account_sid = sid, auth_token = "x", base_url = url })
local numbers = client.incoming_phone_numbers
local dt = 0

-- Reads sid and phone_number of every number of one page, reps times.
local function reads()
  local req = assert(client.cfg:build(numbers.list_op, numbers.path, { page_size = 1000 }))
  req.body_object = true
  local res = assert(client:send(req))
  local items = assert(core.parse_page(numbers.kind, numbers.items_key, res.body, numbers.ctx))
  local t0, count = core.monotonic(), 0
  for _ = 1, reps do
    for i = 1, #items do
      local n = items[i]
      if n.sid and n.phone_number then count = count + 1 end
    end
  end
  dt = core.monotonic() - t0
  assert(count == reps * #items)
end

if mode == "reads" then
  reads()
  reps = 0                     -- done: the page loop below is for the other modes
end
for _ = 1, reps do
  local t0 = core.monotonic()
  if mode == "each" then
    for n in numbers:each{ page_size = 1000 } do local _, _ = n.sid, n.phone_number end
  else
    local req = assert(client.cfg:build(numbers.list_op, numbers.path, { page_size = 1000 }))
    local path = "/2010-04-01/Accounts/" .. sid .. "/IncomingPhoneNumbers.json?PageSize=1000&Page="
    for p = 0, 49 do
      req.url = url .. path .. p
      req.body_object = true
      local res = assert(client:send(req))
      if mode ~= "transport" then
        local items = assert(core.parse_page(numbers.kind, numbers.items_key, res.body, numbers.ctx))
        if mode == "read" then
          for i = 1, #items do local n = items[i]; local _, _ = n.sid, n.phone_number end
        end
      end
    end
  end
  dt = core.monotonic() - t0
end
print(string.format("%s %.4f", mode, dt))
