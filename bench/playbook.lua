-- bench/playbook.lua -- the playbook engine's two targets (issue 17):
--   1. plan over an account of 50,000 numbers (a playbook exported from it,
--      so the plan has no changes) vs listing it with numbers:each reading
--      sid and phone_number, as make bench's list-all does (bench/ours.lua)
--      (target: plan <= 1.5x the listing);
--   2. apply of 1,000 updates at parallel 16 against a server that delays
--      each answer by 20 ms vs the floor, ceil(1000 / 16) x 20 ms
--      (target: <= 1.2x).
-- Starts its own emulator (build/emulator-bench-playbook) and stops it.
--
--   make all
--   LUA_PATH="lua/?.lua;;" LUA_CPATH="build/5.4/?.so;;" lua5.4 bench/playbook.lua
--   LUA_PATH="lua/?.lua;;" LUA_CPATH="build/jit/?.so;;" luajit bench/playbook.lua
--   BENCH_REPS=5 (default 5): repetitions; the medians are compared.
local twilio = require "twilio"
local playbook = require "twilio.playbook"
local clock = require("twilio.core").monotonic

local fmt = string.format
local REPS = tonumber(os.getenv("BENCH_REPS") or "5")
local DIR = "build/emulator-bench-playbook"

local function sh(cmd)
  local p = assert(io.popen(cmd))
  local out = p:read("*a")
  p:close()
  return out
end

local env = {}
for k, v in sh("bin/twilio-emulator start --dir " .. DIR .. " --env"):gmatch("export ([%w_]+)=['\"]?([^'\"\n]*)") do
  env[k] = v
end
local URL = assert(env.TWILIO_EMULATOR_URL, "the emulator did not start")

local function control(method, path, body)
  return sh(fmt("curl -sf --max-time 300 -X %s -H 'Content-Type: application/json' %s '%s/_emulator/%s'",
                method, body and ("-d '" .. body .. "'") or "", URL, path))
end

local function median(t)
  table.sort(t)
  return t[math.floor((#t + 1) / 2)]
end

local vm = rawget(_G, "jit") and rawget(_G, "jit").version or _VERSION
local ok, err = pcall(function()
  -- 1. plan vs list, 50,000 numbers in the second subaccount
  local sid, token = env.TWILIO_EMULATOR_SUBACCOUNT2_SID, env.TWILIO_EMULATOR_SUBACCOUNT2_TOKEN
  control("POST", "seed", fmt('{"account_sid":"%s","count":50000}', sid))
  local client = assert(twilio.new{ base_url = URL, account_sid = sid, auth_token = token })
  local numbers = client.incoming_phone_numbers
  for _ in numbers:each() do end   -- the emulator builds its cached JSON once
  local pb = assert(playbook.load_string(assert(playbook.export(client)), "export.lua"))
  local lists, plans = {}, {}
  for r = 1, REPS do
    local t0 = clock()
    local n = 0
    for x in numbers:each() do local _, _ = x.sid, x.phone_number; n = n + 1 end
    lists[r] = clock() - t0
    assert(n == 50000)
    t0 = clock()
    local plan = assert(playbook.plan(client, pb))
    plans[r] = clock() - t0
    assert(#plan.changes == 0 and plan.unchanged == 50000)
  end
  local l, p = median(lists), median(plans)
  print(fmt("playbook-plan vm=%s numbers=50000 list_s=%.3f plan_s=%.3f ratio=%.2f target<=1.5 %s",
            vm, l, p, p / l, p / l <= 1.5 and "met" or "NOT met"))
  client:close()

  -- 2. apply 1,000 updates, parallel 16, 20 ms per answer
  local sid1, token1 = env.TWILIO_EMULATOR_SUBACCOUNT_SID, env.TWILIO_EMULATOR_SUBACCOUNT_TOKEN
  control("POST", "seed", fmt('{"account_sid":"%s","count":1000}', sid1))
  client = assert(twilio.new{ base_url = URL, account_sid = sid1, auth_token = token1 })
  local text = assert(playbook.export(client))
  local applies = {}
  local floor = math.ceil(1000 / 16) * 0.020
  for r = 1, REPS do
    local url = fmt("https://example.com/bench/%d", r)
    local want = assert(playbook.load_string((text:gsub("friendly_name = ", "voice_url = \"" .. url ..
                                                        "\", friendly_name = ")), "updates.lua"))
    control("POST", "config", '{"latency_ms":20}')
    local t0 = clock()
    local res = assert(playbook.apply(client, want, { parallel = 16 }))
    applies[r] = clock() - t0
    control("POST", "config", '{"latency_ms":0}')
    assert(res.updated == 1000 and res.failed == 0, "expected 1000 updates")
  end
  -- the same 1,000 updates through numbers:update_many alone: what the bulk API costs here
  local sids = {}
  for n in client.incoming_phone_numbers:each() do sids[#sids + 1] = n.sid end
  local bulks = {}
  for r = 1, REPS do
    control("POST", "config", '{"latency_ms":20}')
    local t0 = clock()
    local results = client.incoming_phone_numbers:update_many(sids, { voice_url = "https://example.com/b/" .. r },
                                                              { concurrency = 16 })
    bulks[r] = clock() - t0
    control("POST", "config", '{"latency_ms":0}')
    for _, x in ipairs(results) do assert(x.ok) end
  end
  local a, b = median(applies), median(bulks)
  print(fmt("playbook-apply vm=%s updates=1000 parallel=16 latency_ms=20 apply_s=%.3f floor_s=%.3f ratio=%.2f " ..
            "target<=1.2 %s (update_many alone: %.3f s, %.2fx the floor)", vm, a, floor, a / floor,
            a / floor <= 1.2 and "met" or "NOT met", b, b / floor))
  client:close()
end)
sh("bin/twilio-emulator stop --dir " .. DIR .. " >/dev/null 2>&1")
if not ok then io.stderr:write("bench/playbook.lua: ", tostring(err), "\n"); os.exit(1) end
