-- twilio-numbers on a real terminal (tmux): the confirmation prompt, the
-- progress bar drawn in place, --yes / --auto-approve skipping the prompt,
-- and the same command piped writing plain lines with no escape codes.
local emu = require "helpers.emulator"
local fake = require "cli.fake"

local q = fake.q

local function sh(cmd)
  local p = assert(io.popen(cmd .. " 2>/dev/null"))
  local out = p:read("*a")
  p:close()
  return out
end

local function have_tmux() return sh("command -v tmux") ~= "" end

local function sleep(s) os.execute("sleep " .. s) end

local function read(path)
  local f = io.open(path, "rb")
  if not f then return nil end
  local s = f:read("*a")
  f:close()
  return s
end

describe("twilio-numbers on a terminal", function()
  local sock, dir, book, client
  local root = fake.root()

  -- tmux on its own socket, one session per test, a 100x30 terminal
  local base, serial = nil, 0
  local function start(cmdline, width)
    serial = serial + 1
    sock = base .. "-" .. serial   -- a fresh server each time: no race with the one just killed
    local envs = {}
    for k, v in pairs(fake.env()) do envs[#envs + 1] = k .. "=" .. q(v) end
    local full = ("cd %s && env -u LD_PRELOAD -u COLUMNS %s %s; echo EXIT=$?; sleep 60"):format(
      q(root), table.concat(envs, " "), cmdline)
    assert(os.execute(("env -u LD_PRELOAD tmux -L %s new-session -d -x %d -y 30 -s t %s"):format(sock, width or 100,
                                                                                          q(full))))
  end
  local function screen() return sh(("env -u LD_PRELOAD tmux -L %s capture-pane -p -t t"):format(sock)) end
  local function keys(...)
    local ks = {}
    for _, k in ipairs{ ... } do ks[#ks + 1] = q(k) end
    os.execute(("env -u LD_PRELOAD tmux -L %s send-keys -t t %s"):format(sock, table.concat(ks, " ")))
  end
  local function wait_for(pattern, seconds)
    local deadline = os.time() + (seconds or 20)
    repeat
      local s = screen()
      if s:find(pattern) then return s end
      sleep(0.1)
    until os.time() > deadline
    error("timed out waiting for " .. pattern .. "; screen:\n" .. screen())
  end
  local function stop() os.execute(("env -u LD_PRELOAD tmux -L %s kill-server >/dev/null 2>&1"):format(sock)) end

  setup(function()
    emu.ensure()
    dir = os.tmpname()
    os.remove(dir)
    os.execute("mkdir -p " .. dir)
    base = "twn" .. tostring(os.time()) .. tostring(math.random(1e6))
    sock = base
    book = dir .. "/book.lua"
    local f = assert(io.open(book, "w"))
    f:write([[return { accounts = { main = { pools = {
      many = { country = "US", type = "local", count = 24, search = { area_code = 212 }, friendly_name = "Tty %d" },
    } } } }]])
    f:close()
  end)
  teardown(function()
    stop()
    os.execute("rm -rf " .. dir)
    emu.stop_if_started()
  end)
  before_each(function()
    if not have_tmux() then return end
    emu.reset()
    client = emu.client()
  end)
  after_each(function()
    stop()
    if client then client:close() end
    emu.config{ latency_ms = 0 }
  end)

  it("asks before applying, then draws a progress bar in place", function()
    if not have_tmux() then pending("tmux is not installed") return end
    emu.config{ latency_ms = 150 }   -- 24 purchases, 2 at a time: about 2 s of bar
    start("bin/twilio-numbers apply " .. q(book) .. " --parallel 2")
    local s = wait_for('Type "yes" to apply these 24 changes', 30)
    assert.matches("Plan: 24 to buy, 0 to change, 0 to move, 0 to release.", s, 1, true)
    assert.equals(0, emu.stats().purchases)
    keys("yes", "Enter")
    -- mid-run: one line, redrawn: label, bar, done/total, rate, ETA
    local mid = wait_for("apply %[#*%-+%] +1?[0-9]/24 +[%d.]+/s +ETA %d+:%d%d", 30)
    -- well into the run (several redraws), still one bar
    local deadline = os.time() + 30
    while not mid:find("apply %[#+%-+%] +1[0-9]/24") and os.time() < deadline do
      sleep(0.05)
      mid = screen()
    end
    assert.matches("apply %[#+%-+%] +1[0-9]/24 +[%d.]+/s +ETA %d+:%d%d", mid)
    local bars = 0
    for _ in mid:gmatch("apply %[") do bars = bars + 1 end
    assert.equals(1, bars, "the bar is redrawn in place, not repeated:\n" .. mid)
    local done = wait_for("EXIT=%d+", 60)
    assert.matches("apply %[#+%] 24/24", done)
    assert.matches("EXIT=0", done, 1, true)
    assert.matches("Apply complete: 24 bought", done, 1, true)
    assert.equals(24, emu.stats().purchases)
  end)

  it("cancels on anything but yes, and buys nothing", function()
    if not have_tmux() then pending("tmux is not installed") return end
    start("bin/twilio-numbers buy +14155550100")
    wait_for('Type "yes" to buy 1 number', 30)
    keys("y", "Enter")
    local s = wait_for("EXIT=%d+", 30)
    assert.matches("EXIT=3", s, 1, true)
    assert.matches("cancelled", s, 1, true)
    assert.equals(0, emu.stats().purchases)
  end)

  it("--yes and --auto-approve skip the prompt on a terminal", function()
    if not have_tmux() then pending("tmux is not installed") return end
    start("bin/twilio-numbers buy +14155550100 --yes")
    local s = wait_for("EXIT=%d+", 30)
    assert.matches("EXIT=0", s, 1, true)
    assert.not_matches('Type "yes"', s, 1, true)
    assert.equals(1, emu.stats().purchases)
    stop()
    start("bin/twilio-numbers apply " .. q(book) .. " --auto-approve")
    s = wait_for("EXIT=%d+", 60)
    assert.matches("EXIT=0", s, 1, true)
    assert.not_matches('Type "yes"', s, 1, true)
    assert.equals(25, emu.stats().purchases)
  end)

  it("Ctrl-C stops apply with exit 130; apply again converges, each number bought once", function()
    if not have_tmux() then pending("tmux is not installed") return end
    emu.config{ latency_ms = 300 }
    start("bin/twilio-numbers apply " .. q(book) .. " --parallel 2 --auto-approve")
    wait_for("apply %[#+%-+%] +[2-9]/24", 30)
    keys("C-c")
    local s = wait_for("EXIT=%d+", 30)
    assert.matches("EXIT=130", s, 1, true)
    assert.matches("interrupted", s, 1, true)
    sleep(1)   -- purchases the server had already received finish (the emulator's latency)
    local bought = math.floor(emu.stats().purchases)
    assert.is_true(bought >= 2 and bought < 24, "bought " .. bought)
    emu.config{ latency_ms = 0 }
    local code, out = fake.exec("apply " .. q(book) .. " --auto-approve")
    assert.equals(0, code)
    assert.matches(("Apply complete: %d bought"):format(24 - bought), out, 1, true)
    assert.equals(24, emu.stats().purchases)
    assert.equals(24, emu.stats().numbers_owned)
  end)

  it("fits a table to the terminal's width when $COLUMNS is not set", function()
    if not have_tmux() then pending("tmux is not installed") return end
    local numbers = client.incoming_phone_numbers
    for _, n in ipairs(emu.buy(numbers, 3)) do
      assert(n:update{ friendly_name = "A rather long friendly name for a number",
                       voice_url = "https://hooks.example.com/a/long/path/for/the/voice/webhook" })
    end
    local out = dir .. "/table.txt"
    -- stdout to a file, stderr on the 70-column terminal: its width is used
    start("bin/twilio-numbers list > " .. q(out), 70)
    assert.matches("EXIT=0", wait_for("EXIT=%d+", 30), 1, true)
    local widest = 0
    for l in assert(read(out)):gmatch("[^\n]+") do widest = math.max(widest, fake.ulen(l)) end
    assert.is_true(widest <= 70 and widest > 60, "widest line " .. widest)
  end)

  it("piped from a terminal: plain progress lines, no escape codes", function()
    if not have_tmux() then pending("tmux is not installed") return end
    local out = dir .. "/piped.txt"
    os.remove(out)
    -- stdin is still the terminal; stdout and stderr go to a pipe
    start("bin/twilio-numbers apply " .. q(book) .. " --auto-approve 2>&1 | cat > " .. q(out))
    wait_for("EXIT=%d+", 60)
    local text = assert(read(out))
    assert.not_matches("\27", text, 1, true)
    assert.not_matches("\r", text, 1, true)
    assert.matches("\n%[1/24%] buy %+1212%d+ ok\n", text)
    assert.matches("\n%[24/24%] buy %+1212%d+ ok\n", text)
    assert.matches("apply: 24 done, 0 failed", text, 1, true)
  end)
end)
