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
local IMPLS = { "baseline", "ours-5.4", "ours-jit" }

local function command(impl, job, url, sid, token, n)
  local args = table.concat({ sh(job), sh(url), sh(sid), sh(token), tostring(n or 0),
                              sh(env("BENCH_SIDS", "/dev/null")) }, " ")
  if impl == "baseline" then
    return sh(ROOT .. "/build/bench/baseline") .. " " .. args
  end
  local vm, dir = "lua5.4", "5.4"
  if impl == "ours-jit" then vm, dir = "luajit", "jit" end
  return fmt("LUA_PATH=%s LUA_CPATH=%s %s %s %s", sh(ROOT .. "/lua/?.lua;;"), sh(ROOT .. "/build/" .. dir .. "/?.so;;"),
             vm, sh(ROOT .. "/bench/ours.lua"), args)
end

-- One run: { seconds=, maxrss_kb=, items=, errors=, lua_peak_kb= } | nil, output
local function run(impl, job, url, sid, token, n)
  local p = assert(io.popen(command(impl, job, url, sid, token, n) .. " 2>&1"))
  local out = p:read("a")
  p:close()
  local line = out:match("result [^\n]+")
  if not line then return nil, out end
  local r = {}
  for k, v in line:gmatch("(%S+)=(%S+)") do r[k] = tonumber(v) or v end
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

-- Runs a job REPS times, the three implementations interleaved (the order
-- rotates each repetition), after one unmeasured warm-up run of each.
local function measure(job, server, n)
  local reps = tonumber(env("BENCH_REPS", "5"))
  local times, rss, lua_peak, failures = {}, {}, {}, {}
  for _, impl in ipairs(IMPLS) do times[impl], rss[impl], lua_peak[impl] = {}, {}, {} end
  for _, impl in ipairs(IMPLS) do run(impl, job, server.url, server.sid, server.token, n) end
  for rep = 1, reps do
    for k = 0, #IMPLS - 1 do
      local impl = IMPLS[(rep - 1 + k) % #IMPLS + 1]
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
  local res = { job = job, server = server.name, reps = reps }
  for _, impl in ipairs(IMPLS) do
    res[impl] = { med = median(times[impl]), min = minimum(times[impl]), n = #times[impl],
                  rss_kb = maximum(rss[impl]), lua_peak_kb = maximum(lua_peak[impl]) }
  end
  return res
end

---------------------------------------------------------------- report

local function secs(r)
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

-- target: { kind = "ratio", max = 3 } | { kind = "floor", floor = 1.25, max = 1.15 } | nil
local function verdict(res, impl, target)
  local r, base = res[impl], res.baseline
  if not target then return "-" end
  if not r.med then return "no" end
  if target.kind == "ratio" then
    if not base.med then return "?" end
    return (r.med / base.med <= target.max) and "yes" or "no"
  end
  return (r.med <= target.floor * target.max) and "yes" or "no"
end

local function target_text(t)
  if not t then return "(info)" end
  if t.kind == "ratio" then return fmt("<= %.2gx base", t.max) end
  return fmt("<= %.4g s", t.floor * t.max)
end

local function print_table(rows)
  local head = { "job", "server", "baseline s med (min)", "ours-5.4 s med (min)", "ratio (min)",
                 "ours-jit s med (min)", "ratio (min)", "target", "met 5.4/jit", "peak MB base/5.4/jit" }
  local lines = { head }
  for _, row in ipairs(rows) do
    local res, t = row.res, row.target
    lines[#lines + 1] = {
      res.job, res.server, secs(res.baseline), secs(res["ours-5.4"]), ratio(res["ours-5.4"], res.baseline),
      secs(res["ours-jit"]), ratio(res["ours-jit"], res.baseline), target_text(t),
      verdict(res, "ours-5.4", t) .. "/" .. verdict(res, "ours-jit", t),
      mb(res.baseline.rss_kb) .. "/" .. mb(res["ours-5.4"].rss_kb) .. "/" .. mb(res["ours-jit"].rss_kb),
    }
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

function _M.main()
  local emu = { name = "emulator", url = env("BENCH_EMU_URL"), sid = env("BENCH_EMU_SID"),
                token = env("BENCH_EMU_TOKEN") }
  local pages_url = env("BENCH_PAGES_URL")
  local function pages_server(npages)
    return { name = "pages", url = pages_url, sid = fmt("AC%s%08d", string.rep("b", 24), npages), token = "x" }
  end
  local rows = {}
  local t_start = os.time()
  rows[#rows + 1] = { res = measure("list-all", pages_server(50), 0), target = { kind = "ratio", max = 3 } }
  rows[#rows + 1] = { res = measure("list-all", emu, 0) }
  rows[#rows + 1] = { res = measure("fetch", emu, 2000), target = { kind = "ratio", max = 1.3 } }
  rows[#rows + 1] = { res = measure("fetch", pages_server(0), 2000) }
  rows[#rows + 1] = { res = measure("update", emu, 2000), target = { kind = "ratio", max = 1.3 } }
  rows[#rows + 1] = { res = measure("update", pages_server(0), 2000) }
  -- the page server's updates wait the account's last 8 digits in ms: 20
  rows[#rows + 1] = { res = measure("update-concurrent", pages_server(20), 1000),
                      target = { kind = "floor", floor = 1.25, max = 1.15 } }
  control("config", '{"latency_ms":20}')
  local ok, res = pcall(measure, "update-concurrent", emu, 1000)
  control("config", '{"latency_ms":0}')
  if not ok then error(res, 0) end
  rows[#rows + 1] = { res = res }
  for _, row in ipairs(rows) do
    if row.res.job ~= "list-all" then row.res.job = row.res.job .. "-" .. (row.res.job == "update-concurrent"
      and "1000" or "2000") end
  end

  print(fmt("make bench: %d repetitions per job, implementations interleaved; seconds are medians (min)",
            tonumber(env("BENCH_REPS", "5"))))
  print("")
  print_table(rows)

  -- list-all peak memory, then 500,000 vs 50,000 numbers (pages server)
  local la = rows[1].res
  print("")
  print(fmt("list-all peak memory (VmHWM, whole process; target <= 20 MB): ours-5.4 %s MB (%s), ours-jit %s MB (%s);"
            .. " baseline %s MB", mb(la["ours-5.4"].rss_kb),
            la["ours-5.4"].rss_kb and la["ours-5.4"].rss_kb <= 20 * 1024 and "met" or "NOT met",
            mb(la["ours-jit"].rss_kb),
            la["ours-jit"].rss_kb and la["ours-jit"].rss_kb <= 20 * 1024 and "met" or "NOT met",
            mb(la.baseline.rss_kb)))
  local big = tonumber(env("BENCH_BIG_PAGES", "500"))
  print(fmt("memory vs listing size (pages server, one run each; Lua heap peak sampled after each page parse):"))
  for _, impl in ipairs(IMPLS) do
    local r50, o50 = run(impl, "list-all", pages_url, pages_server(50).sid, "x")
    local rbig, obig = run(impl, "list-all", pages_url, pages_server(big).sid, "x")
    if not (r50 and rbig) then
      print(fmt("  %-9s FAILED: %s", impl, (o50 or "") .. (obig or "")))
    else
      local okm = rbig.maxrss_kb <= r50.maxrss_kb * 1.05
      print(fmt("  %-9s %7d numbers: %5.1f MB%s in %.2f s | %7d numbers: %5.1f MB%s in %.2f s | %s", impl,
                r50.items, r50.maxrss_kb / 1024,
                r50.lua_peak_kb and fmt(" (Lua heap %.1f MB)", r50.lua_peak_kb / 1024) or "", r50.seconds,
                rbig.items, rbig.maxrss_kb / 1024,
                rbig.lua_peak_kb and fmt(" (Lua heap %.1f MB)", rbig.lua_peak_kb / 1024) or "", rbig.seconds,
                impl == "baseline" and "(reference)" or (okm and "met (within 5%)" or "NOT met")))
    end
  end
  print("")
  print(fmt("servers: pages = bench/pages.conf.in (nginx, one pre-rendered emulator page, next_page_uri rewritten;"
            .. " a number answered after the account's last 8 digits in ms: 0, 20 for update-concurrent);"
            .. " emulator = bin/twilio-emulator (latency_ms=20 only for"
            .. " update-concurrent). Total %d s.",
            os.time() - t_start))
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
