-- bench/driver.lua -- runs the jobs of `make bench` and prints the table.
-- Started by bench/run (lua5.4) once the servers are up; everything it
-- needs comes from the environment bench/run sets:
--   BENCH_ROOT, BENCH_REPS, BENCH_EMU_URL, BENCH_EMU_SID, BENCH_EMU_TOKEN,
--   BENCH_PAGES_URL, BENCH_SIDS (file of PN sids), BENCH_BIG_PAGES
-- Subcommand: lua5.4 bench/driver.lua split-page PAGE HEAD TAIL
--   splits a page at its next_page_uri value (for bench/pages.conf.in).
local _M = {}

local fmt = string.format
local getenv = os.getenv

local function env(name, default)
  local v = getenv(name)
  if v == nil or v == "" then return default end
  return v
end

local function sh(s) return "'" .. tostring(s):gsub("'", "'\\''") .. "'" end

local function slurp(path)
  local f = assert(io.open(path, "rb"))
  local s = f:read("a")
  f:close()
  return s
end

local function spit(path, s)
  local f = assert(io.open(path, "wb"))
  f:write(s)
  f:close()
end

function _M.split_page(page, head, tail)
  local body = slurp(page)
  local a, b = body:find('"next_page_uri": ', 1, true)
  assert(a, "no next_page_uri in " .. page)
  local value_end
  if body:sub(b + 1, b + 4) == "null" then value_end = b + 4
  else value_end = assert(body:find('"', b + 2, true), "unterminated next_page_uri") end
  spit(head, body:sub(1, b))
  spit(tail, body:sub(value_end + 1))
end

---------------------------------------------------------------- running

local ROOT = env("BENCH_ROOT", ".")
local PEERS = env("BENCH_PEERS", "0") == "1"
local OURS = { "baseline", "ours-5.4", "ours-jit" }
local IMPLS = { "baseline", "ours-5.4", "ours-jit" }
if PEERS then IMPLS[#IMPLS + 1] = "python"; IMPLS[#IMPLS + 1] = "node" end
-- BENCH_FLOOR=1: the list-all row also runs build/bench/floor_client, the
-- wall-clock floor of any Lua 5.4 binding (bench/floor_client.c)
local FLOOR = env("BENCH_FLOOR", "0") == "1"
if FLOOR then IMPLS[#IMPLS + 1] = "floor-5.4" end
-- requests each peer said it sent (bench/peer_*.py|js count them), checked
-- against the page server's access log at the end
local peer_requests = { python = 0, node = 0 }

-- BENCH_CPU (bench/run): the one CPU that every measured process shares with
-- the servers ("none": where the scheduler puts them; see "Servers, and why"
-- in docs/PERFORMANCE.md).
local CPU = env("BENCH_CPU", "none")
local PIN = CPU ~= "none" and fmt("taskset -c %s env ", sh(CPU)) or ""

local function command(impl, job, url, sid, token, n)
  local args = table.concat({ sh(job), sh(url), sh(sid), sh(token), tostring(n or 0),
                              sh(env("BENCH_SIDS", "/dev/null")) }, " ")
  if impl == "baseline" or impl == "floor-5.4" then
    return PIN .. sh(ROOT .. (impl == "baseline" and "/build/bench/baseline" or "/build/bench/floor_client"))
           .. " " .. args
  elseif impl == "python" then
    return PIN .. "/usr/bin/python3 " .. sh(ROOT .. "/bench/peer_python.py") .. " " .. args
  elseif impl == "node" then
    return fmt("%sNODE_PATH=%s node %s %s", PIN, sh(ROOT .. "/build/peers/node/node_modules"),
               sh(ROOT .. "/bench/peer_node.js"), args)
  end
  local vm, dir = "lua5.4", "5.4"
  if impl == "ours-jit" then vm, dir = "luajit", "jit" end
  return fmt("%sLUA_PATH=%s LUA_CPATH=%s %s %s %s", PIN, sh(ROOT .. "/lua/?.lua;;"),
             sh(ROOT .. "/build/" .. dir .. "/?.so;;"), vm, sh(ROOT .. "/bench/ours.lua"), args)
end

-- One run: { seconds=, maxrss_kb=, items=, errors=, lua_peak_kb= } | nil, output
local function run(impl, job, url, sid, token, n, env_prefix)
  local p = assert(io.popen((env_prefix and (env_prefix .. " ") or "") .. command(impl, job, url, sid, token, n)
                            .. " 2>&1"))
  local out = p:read("a")
  p:close()
  local line = out:match("result [^\n]+")
  if not line then return nil, out end
  local r = {}
  for k, v in line:gmatch("(%S+)=(%S+)") do r[k] = tonumber(v) or v end
  if peer_requests[impl] then peer_requests[impl] = peer_requests[impl] + (r.requests or 0) end
  if (r.errors or 1) ~= 0 then return nil, out end
  return r
end

local function control(path, json)
  local url = env("BENCH_EMU_URL", "") .. "/_emulator/" .. path
  local ok = os.execute("curl -sf -o /dev/null --max-time 30 -X POST -H 'Content-Type: application/json' -d "
                        .. sh(json) .. " " .. sh(url))
  assert(ok == true or ok == 0, "control call failed: " .. path)
end

local function median(xs)
  local s = {}
  for i, x in ipairs(xs) do s[i] = x end
  table.sort(s)
  local n = #s
  if n == 0 then return nil end
  if n % 2 == 1 then return s[(n + 1) // 2] end
  return (s[n // 2] + s[n // 2 + 1]) / 2
end

local function minimum(xs)
  local m
  for _, x in ipairs(xs) do if not m or x < m then m = x end end
  return m
end

local function maximum(xs)
  local m
  for _, x in ipairs(xs) do if not m or x > m then m = x end end
  return m
end

-- Runs a job REPS times, the implementations interleaved, after one
-- unmeasured warm-up run of each. The order is shuffled each repetition
-- (a fixed seed: the same orders every `make bench`), so that no
-- implementation always runs right after the same one: with a rotation the
-- baseline always followed the last implementation (node with PEERS=1, the
-- heaviest), and what a run leaves behind (caches, the CPU's clock, the
-- host's scheduling of a vCPU that was busy) fell on the same neighbour
-- every time.
-- impls: the implementations to run (default: ours and the baseline, plus
-- the peers when PEERS=1 and the row allows them: opts.peers, and the floor
-- when BENCH_FLOOR=1 and opts.floor).
local function measure(job, server, n, opts)
  opts = opts or {}
  local reps = opts.reps or tonumber(env("BENCH_REPS", "5"))
  local impls = {}
  for _, impl in ipairs(IMPLS) do
    local peer = impl == "python" or impl == "node"
    if (not peer or opts.peers) and (impl ~= "floor-5.4" or opts.floor) then impls[#impls + 1] = impl end
  end
  local times, rss, lua_peak, failures = {}, {}, {}, {}
  for _, impl in ipairs(IMPLS) do times[impl], rss[impl], lua_peak[impl] = {}, {}, {} end
  for _, impl in ipairs(impls) do run(impl, job, server.url, server.sid, server.token, n) end
  local order = {}
  for i, impl in ipairs(impls) do order[i] = impl end
  for rep = 1, reps do
    for k = #order, 2, -1 do                     -- Fisher-Yates, seeded in main
      local j = math.random(k)
      order[k], order[j] = order[j], order[k]
    end
    for k = 1, #order do
      local impl = order[k]
      local r, out = run(impl, job, server.url, server.sid, server.token, n)
      if r then
        local t = times[impl]
        t[#t + 1] = r.seconds
        rss[impl][#rss[impl] + 1] = r.maxrss_kb
        if r.lua_peak_kb then lua_peak[impl][#lua_peak[impl] + 1] = r.lua_peak_kb end
      else
        failures[#failures + 1] = fmt("%s %s rep %d failed:\n%s", job, impl, rep, out)
      end
    end
    io.stderr:write(fmt("bench: %s (%s) rep %d/%d done\n", job, server.name, rep, reps))
  end
  for _, f in ipairs(failures) do io.stderr:write(f, "\n") end
  local res = { job = job, server = server.name, reps = reps, impls = impls }
  local ran = {}
  for _, impl in ipairs(impls) do ran[impl] = true end
  for _, impl in ipairs(IMPLS) do
    res[impl] = { ran = ran[impl], med = median(times[impl]), min = minimum(times[impl]), n = #times[impl],
                  rss_kb = maximum(rss[impl]), lua_peak_kb = maximum(lua_peak[impl]) }
  end
  return res
end

---------------------------------------------------------------- report

local function secs(r)
  if not r.ran then return "-" end
  if not r.med then return "FAILED" end
  return fmt("%.3f (%.3f)", r.med, r.min)
end

-- median ratio (ratio of the minimums): on a noisy machine the minimums
-- show what each side costs when nothing else runs.
local function ratio(r, base)
  if not (r.med and base.med) then return "-" end
  return fmt("%.2fx (%.2fx)", r.med / base.med, r.min / base.min)
end

local function mb(kb) return kb and fmt("%.1f", kb / 1024) or "-" end

-- target: { ratio = 1.2 } (median <= 1.2 x the baseline's median)
--       | { floor = 1.25, max = 1.1 } (median <= 1.1 x 1.25 s)
--   and/or mem_mb = 20 (peak RSS of every run <= 20 MB),
--          flat_of = res (peak RSS <= 1.05 x that row's: 500,000 numbers
--          use no more memory than 50,000)
local function verdict(res, impl, target)
  local r, base = res[impl], res.baseline
  if not target then return "-" end
  if not r.med then return "no" end
  local ok = true
  if target.ratio then
    if not base.med then return "?" end
    ok = ok and r.med / base.med <= target.ratio
  end
  if target.floor then ok = ok and r.med <= target.floor * target.max end
  if target.mem_mb then ok = ok and (r.rss_kb or math.huge) <= target.mem_mb * 1024 end
  if target.flat_of then
    local small = target.flat_of[impl].rss_kb
    ok = ok and small ~= nil and (r.rss_kb or math.huge) <= small * 1.05
  end
  return ok and "yes" or "no"
end

local function target_text(t)
  if not t then return "(info)" end
  local parts = {}
  if t.ratio then parts[#parts + 1] = fmt("<= %.2gx base", t.ratio) end
  if t.floor then parts[#parts + 1] = fmt("<= %.4g s", t.floor * t.max) end
  if t.mem_mb then parts[#parts + 1] = fmt("<= %d MB", t.mem_mb) end
  if t.flat_of then parts[#parts + 1] = "flat" end
  return table.concat(parts, ", ")
end

local function print_table(rows)
  local head = { "job", "server", "baseline s med (min)", "ours-5.4 s med (min)", "ratio (min)",
                 "ours-jit s med (min)", "ratio (min)" }
  if PEERS then
    for _, h in ipairs({ "python s med (min)", "ratio (min)", "node s med (min)", "ratio (min)" }) do
      head[#head + 1] = h
    end
  end
  if FLOOR then head[#head + 1] = "floor-5.4 s med (min)"; head[#head + 1] = "ratio (min)" end
  for _, h in ipairs({ "target (5.4, jit)", "met 5.4/jit",
                       "peak MB base/5.4/jit" .. (PEERS and "/py/node" or "") .. (FLOOR and "/floor" or "") }) do
    head[#head + 1] = h
  end
  local lines = { head }
  for _, row in ipairs(rows) do
    local res, t = row.res, row.target
    local l = { res.job, res.server, secs(res.baseline) }
    for _, impl in ipairs(IMPLS) do
      if impl ~= "baseline" then
        l[#l + 1] = secs(res[impl])
        l[#l + 1] = ratio(res[impl], res.baseline)
      end
    end
    local peaks = {}
    for i, impl in ipairs(IMPLS) do peaks[i] = mb(res[impl].rss_kb) end
    l[#l + 1] = target_text(t)
    l[#l + 1] = verdict(res, "ours-5.4", t) .. "/" .. verdict(res, "ours-jit", t)
    l[#l + 1] = table.concat(peaks, "/")
    lines[#lines + 1] = l
  end
  local w = {}
  for _, l in ipairs(lines) do
    for i, c in ipairs(l) do if not w[i] or #c > w[i] then w[i] = #c end end
  end
  for k, l in ipairs(lines) do
    local cells = {}
    for i, c in ipairs(l) do cells[i] = c .. string.rep(" ", w[i] - #c) end
    print((table.concat(cells, "  "):gsub("%s+$", "")))
    if k == 1 then
      local dashes = {}
      for i = 1, #w do dashes[i] = string.rep("-", w[i]) end
      print(table.concat(dashes, "  "))
    end
  end
end

-- Requests per User-Agent family in the page server's access log (every
-- peer request must have arrived there: the peers were pointed at it).
local function access_log_counts()
  local path = env("BENCH_ACCESS_LOG")
  local counts = { python = 0, node = 0 }
  if not path then return nil end
  local f = io.open(path, "rb")
  if not f then return nil end
  for line in f:lines() do
    if line:find("twilio-python/", 1, true) then counts.python = counts.python + 1
    elseif line:find("twilio-node/", 1, true) then counts.node = counts.node + 1 end
  end
  f:close()
  return counts
end

local function want(job)
  local only = env("BENCH_JOBS")
  if not only then return true end
  for j in only:gmatch("[^,%s]+") do if j == job then return true end end
  return false
end

function _M.main()
  math.randomseed(15)         -- measure's orders: shuffled, the same in every run
  local emu = { name = "emulator", url = env("BENCH_EMU_URL"), sid = env("BENCH_EMU_SID"),
                token = env("BENCH_EMU_TOKEN") }
  local pages_url = env("BENCH_PAGES_URL")
  local function pages_server(npages, name)
    return { name = name or "pages", url = pages_url, sid = fmt("AC%s%08d", string.rep("b", 24), npages),
             token = "x" }
  end
  -- answers a stored number at once (bench/pages.conf.in, ACc… route)
  local nowait = { name = "nowait", url = pages_url, sid = "AC" .. string.rep("c", 24) .. "00000000", token = "x" }
  local big = tonumber(env("BENCH_BIG_PAGES", "500"))
  local reps = tonumber(env("BENCH_REPS", "5"))
  local rows = {}
  local t_start = os.time()
  local function add(job, label, server, n, target, opts)
    if not want(label) then return nil end
    local res = measure(job, server, n, opts)
    res.job = label
    rows[#rows + 1] = { res = res, target = target }
    return res
  end
  local la = add("list-all", "list-all", pages_server(50), 0, { ratio = 1.6, mem_mb = 20 },
                 { peers = true, floor = true })
  add("list-all", fmt("list-all-%dk", big), pages_server(big, "pages"), 0,
      { mem_mb = 20, flat_of = la }, { reps = math.min(reps, 3) })
  add("list-all", "list-all", emu, 0)
  add("fetch", "fetch-2000", nowait, 2000, { ratio = 1.2 }, { peers = true })
  add("fetch", "fetch-2000", emu, 2000)
  add("update", "update-2000", nowait, 2000, { ratio = 1.2 }, { peers = true })
  add("update", "update-2000", emu, 2000)
  -- on a server that answers at once the floor is the baseline itself
  add("update-concurrent", "update-concurrent-1000", nowait, 1000, { ratio = 1.1 })
  -- the page server's updates wait the account's last 8 digits in ms: 20;
  -- floor 1000 x 20 ms / 16 = 1.25 s
  add("update-concurrent", "update-concurrent-1000", pages_server(20, "pages-20ms"), 1000,
      { floor = 1.25, max = 1.1 })
  if want("update-concurrent-1000") then
    control("config", '{"latency_ms":20}')
    local ok, res = pcall(measure, "update-concurrent", { name = "emu-20ms", url = emu.url, sid = emu.sid,
                                                          token = emu.token }, 1000)
    control("config", '{"latency_ms":0}')
    if not ok then error(res, 0) end
    res.job = "update-concurrent-1000"
    rows[#rows + 1] = { res = res }
  end

  print(fmt("make bench: %d repetitions per job (list-all-%dk: %d), implementations interleaved in a shuffled order;"
            .. " seconds are medians (min); %s", reps, big, math.min(reps, 3),
            CPU ~= "none" and fmt("clients and servers on CPU %s (BENCH_CPU)", CPU)
              or "clients and servers not pinned (BENCH_CPU=none)"))
  print("")
  print_table(rows)

  -- list-all memory, 50,000 vs 500,000 numbers (pages server)
  print("")
  print("list-all memory (VmHWM, whole process, the largest of the runs; Lua heap peak sampled after each page"
        .. " parse; target <= 20 MB, 500,000 numbers within 5 % of 50,000):")
  for _, row in ipairs(rows) do
    local res = row.res
    if res.job:match("^list%-all") and res.server == "pages" then
      local cells = {}
      for _, impl in ipairs(OURS) do
        local r = res[impl]
        cells[#cells + 1] = fmt("%s %s MB%s", impl, mb(r.rss_kb),
                                r.lua_peak_kb and fmt(" (Lua heap %.1f MB)", r.lua_peak_kb / 1024) or "")
      end
      print(fmt("  %-14s %s", res.job, table.concat(cells, " | ")))
    end
  end
  -- the same on 5.4 with the host's collector set otherwise (one run each):
  -- the library no longer forces collections, so the host's policy decides
  if want("list-all") then
    for _, spec in ipairs({ "incremental", "generational,20,50" }) do
      local cells = {}
      for _, npages in ipairs({ 50, big }) do
        local r, out = run("ours-5.4", "list-all", pages_url, pages_server(npages).sid, "x", 0,
                           "BENCH_LUA_GC=" .. sh(spec))
        cells[#cells + 1] = r and fmt("%d numbers: %s MB (Lua heap %.1f MB)", r.items, mb(r.maxrss_kb),
                                      (r.lua_peak_kb or 0) / 1024) or ("FAILED " .. tostring(out))
      end
      print(fmt("  ours-5.4 with collectgarbage(%s): %s", spec, table.concat(cells, " | ")))
    end
  end
  if PEERS then
    os.execute("sleep 1.5")            -- the access log is flushed each second
    local counts = access_log_counts()
    print("")
    if not counts then
      print("peers: no access log to check")
    else
      for _, impl in ipairs({ "python", "node" }) do
        print(fmt("peers: %s sent %d requests (its own count, all runs); the local server's access log has %d"
                  .. " from its User-Agent: %s", impl, peer_requests[impl], counts[impl],
                  counts[impl] == peer_requests[impl] and "all arrived locally" or "MISMATCH"))
      end
    end
  end
  print("")
  print(fmt("servers: nowait = bench/pages.conf.in's stored-number route (nginx, answers at once);"
            .. " pages = the same nginx's list pages (one pre-rendered emulator page, next_page_uri rewritten),"
            .. " pages-20ms = its number route answering after 20 ms; emulator = bin/twilio-emulator"
            .. " (emu-20ms: latency_ms=20). Total %d s.", os.time() - t_start))
  return 0
end

if arg and arg[0] and arg[0]:match("driver%.lua$") then
  if arg[1] == "split-page" then
    _M.split_page(arg[2], arg[3], arg[4])
    os.exit(0)
  end
  os.exit(_M.main())
end

return _M
