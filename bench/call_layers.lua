-- bench/call_layers.lua -- not part of `make bench`: one fetch in layers,
-- for finding where the per-call time goes (docs/PERFORMANCE.md).
--
--   LUA_PATH="lua/?.lua;;" LUA_CPATH="build/5.4/?.so;;" \
--     lua5.4 bench/call_layers.lua MODE N BASE_URL ACCOUNT_SID [SIDS_FILE]
--
-- MODE (each includes the ones before it):
--   perform  N x handle:perform(req): one request table built once (the
--            binding and libcurl only)
--   build    N x cfg:build (a new request table each call) + perform
--   parse    build + perform + core.parse_record of the body
--   fused    N x core.call_record: build, perform and parse in one C call
--            (what numbers:fetch makes on the client's own libcurl handle;
--            src/ltw_call.c)
--   fetch    N x numbers:fetch(sid) (the whole library: list, client,
--            runtime, the fused call, record ctx)
-- Run it under valgrind --tool=callgrind with N and with 0: the difference
-- divided by N is the instructions per call of that layer stack.
local twilio = require "twilio"
local core = require "twilio.core"

local mode, n, base, acct = arg[1], tonumber(arg[2] or "0"), arg[3], arg[4]
local sids = {}
for line in io.lines(arg[5] or "build/bench/sids.txt") do sids[#sids + 1] = line end
local client = assert(twilio.new{ account_sid = acct, auth_token = "x", base_url = base })
local numbers = client.incoming_phone_numbers
local cfg = client.cfg
local h = core.curl_new()
local path = { account_sid = acct, sid = sids[1] }
local op = "FetchIncomingPhoneNumber"
local req0 = assert(cfg:build(op, path, {}))

local items = 0
for i = 1, n do
  local sid = sids[(i - 1) % #sids + 1]
  if mode == "fetch" then
    local rec = assert(numbers:fetch(sid))
    if rec.sid then items = items + 1 end
  elseif mode == "fused" then
    path.sid = sid
    local rec = assert(core.call_record(cfg, op, path, nil, h, "PhoneNumber", numbers.ctx, client.timeout,
                                        client.connect_timeout, client.max_body))
    if rec.sid then items = items + 1 end
  else
    local req = req0
    if mode ~= "perform" then
      path.sid = sid
      req = assert(cfg:build(op, path, {}))
    end
    local res = assert(h:perform(req))
    if mode == "parse" then
      local rec = assert(core.parse_record("PhoneNumber", res.body, nil))
      if rec.sid then items = items + 1 end
    elseif res.status == 200 then
      items = items + 1
    end
  end
end
h:close()
client:close()
print(("call_layers mode=%s n=%d ok=%d"):format(mode, n, items))
