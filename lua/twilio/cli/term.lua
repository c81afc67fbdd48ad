-- twilio.cli.term: what the command knows about where it runs. Every
-- decision about the terminal is made here (is it one, how wide, asking for
-- confirmation, drawing progress) and the commands ask this module.
--
-- A "sys" table is the command's whole contact with the process, so that
-- specs can run the command in-process with their own:
--   sys.out(s)        write data (stdout)
--   sys.err(s)        write progress, prompts, messages (stderr)
--   sys.read_line()   read one line of the answer to a prompt (stdin) | nil at EOF
--   sys.isatty(fd)    0 stdin, 1 stdout, 2 stderr
--   sys.getenv(name)
--   sys.clock()       monotonic seconds
--   sys.width()       the terminal's columns, when there is one (nil otherwise)
local core = require "twilio.core"

local floor, tonumber, tostring, type = math.floor, tonumber, tostring, type
local fmt, rep = string.format, string.rep

local _M = {}

-- Exit codes (documented in `twilio-numbers help` and docs/CLI.md).
_M.EXIT = {
  OK = 0,            -- success; plan --detailed-exitcode: no changes
  ERROR = 1,         -- an error (API, network, invalid file, some items failed)
  CHANGES = 2,       -- plan --detailed-exitcode: the plan has changes
  NOT_CONFIRMED = 3, -- declined at the prompt, or no terminal to ask on and no --yes
  USAGE = 64,        -- bad command line (sysexits.h EX_USAGE)
  INTERRUPTED = 130, -- Ctrl-C (128 + SIGINT)
}

local function shell_ok(cmd)
  local a, _, c = os.execute(cmd)
  if type(a) == "number" then return a == 0 end   -- Lua 5.1 / LuaJIT
  return a == true and c == 0
end

-- The terminal's width from the kernel (the ioctl behind stty) or terminfo,
-- asked only when one of our descriptors is a terminal.
local function probe_width()
  for _, cmd in ipairs{ "stty size <&2 2>/dev/null", "stty size <&1 2>/dev/null", "tput cols 2>/dev/null" } do
    local p = io.popen(cmd)
    if p then
      local out = p:read("*a") or ""
      p:close()
      local cols = tonumber(out:match("^%s*%d+%s+(%d+)") or out:match("^%s*(%d+)%s*$"))
      if cols and cols > 0 then return cols end
    end
  end
  return nil
end

-- The process's own sys table.
function _M.system()
  local tty = {}
  local sys = {}
  function sys.out(s) io.stdout:write(s) end
  function sys.err(s) io.stderr:write(s); io.stderr:flush() end
  function sys.flush() io.stdout:flush() end
  function sys.read_line() return io.stdin:read("*l") end
  function sys.isatty(fd)
    if tty[fd] == nil then tty[fd] = shell_ok(fmt("[ -t %d ]", fd)) end
    return tty[fd]
  end
  sys.getenv = os.getenv
  sys.clock = core.monotonic
  function sys.width()
    if sys.isatty(1) or sys.isatty(2) then return probe_width() end
    return nil
  end
  return sys
end

-- Width for tables: --width, else $COLUMNS, else the terminal's, else 80.
function _M.width(sys, explicit)
  if explicit then return explicit end
  local c = tonumber(sys.getenv("COLUMNS") or "")
  if c and c >= 1 then return floor(c) end
  return (sys.width and sys.width()) or 80
end

-- Display width of a UTF-8 string (code points; no East Asian wide cells).
local function ulen(s)
  local _, n = s:gsub("[^\128-\191]", "")
  return n
end
_M.ulen = ulen

-- The first `w` display cells of s; "…" marks a cut.
function _M.fit(s, w)
  if ulen(s) <= w then return s end
  if w <= 0 then return "" end
  local out, n, i = {}, 0, 1
  while i <= #s and n < w - 1 do
    local c = s:match("^[%z\1-\127\194-\244][\128-\191]*", i)
    if not c then c = s:sub(i, i) end
    out[#out + 1] = c
    n = n + 1
    i = i + #c
  end
  return table.concat(out) .. "…"
end

-- confirm(sys, what, yes) -> true | nil, message (exit code NOT_CONFIRMED)
--   what: "buy 2 numbers" (the prompt says: Type "yes" to buy 2 numbers)
-- On a terminal (stdin and stderr) the user is asked; elsewhere --yes is
-- needed, so that a script never hangs on a prompt nobody sees.
function _M.confirm(sys, what, yes, flag)
  if yes then return true end
  flag = flag or "--yes"
  if not (sys.isatty(0) and sys.isatty(2)) then
    return nil, fmt("refusing to %s without confirmation: standard input is not a terminal, so " ..
                    "nobody can be asked; pass %s to go ahead", what, flag)
  end
  sys.err(fmt('\nType "yes" to %s (anything else cancels): ', what))
  local answer = sys.read_line()
  if answer and answer:match("^%s*(.-)%s*$") == "yes" then return true end
  if answer == nil then sys.err("\n") end
  return nil, fmt("cancelled: did not %s", what)
end

local function clock_text(s)
  if s == nil or s ~= s or s == math.huge then return "--:--" end
  s = floor(s + 0.5)
  if s >= 3600 then return fmt("%d:%02d:%02d", floor(s / 3600), floor((s % 3600) / 60), s % 60) end
  return fmt("%d:%02d", floor(s / 60), s % 60)
end

-- Progress of many items: a bar redrawn in place on a terminal (stderr),
-- one plain line per item otherwise (no escape codes).
--   p = term.progress(sys, total, "apply")
--   p:step{ done =, total =, failed =, item = "update +1415…", error = "…" }
--   p:finish()
local Progress = {}
Progress.__index = Progress

function _M.progress(sys, total, label)
  local self = setmetatable({ sys = sys, total = total, label = label or "progress", done = 0, failed = 0,
                              t0 = sys.clock(), last_draw = -1, tty = sys.isatty(2) }, Progress)
  if self.tty then self.width = math.min(_M.width(sys), 200) end
  return self
end

function Progress:line()
  local elapsed = self.sys.clock() - self.t0
  local rate = elapsed > 0 and self.done / elapsed or 0
  local eta = rate > 0 and (self.total - self.done) / rate or nil
  local tail = fmt(" %d/%d  %.1f/s  ETA %s%s", self.done, self.total, rate, clock_text(eta),
                   self.failed > 0 and fmt("  %d failed", self.failed) or "")
  local head = self.label .. " ["
  local room = (self.width or 80) - ulen(head) - 1 - ulen(tail) - 1
  if room < 10 then room = 10 end
  local filled = self.total > 0 and floor(room * self.done / self.total) or room
  return head .. rep("#", filled) .. rep("-", room - filled) .. "]" .. tail
end

function Progress:step(ev)
  self.done = ev.done or (self.done + 1)
  self.total = ev.total or self.total
  self.failed = ev.failed or self.failed
  if self.tty then
    local now = self.sys.clock()
    if now - self.last_draw >= 0.1 or self.done >= self.total or ev.error then
      self.last_draw = now
      if ev.error then
        self.sys.err("\r\27[K" .. fmt("failed: %s: %s", tostring(ev.item or "?"), tostring(ev.error)) .. "\n")
      end
      self.sys.err("\r\27[K" .. self:line())
    end
  else
    local status = ev.error and ("FAILED " .. tostring(ev.error)) or "ok"
    self.sys.err(fmt("[%d/%d] %s %s\n", self.done, self.total, tostring(ev.item or ""), status))
  end
end

function Progress:finish()
  local elapsed = self.sys.clock() - self.t0
  if self.tty then self.sys.err("\r\27[K" .. self:line() .. "\n") end
  self.sys.err(fmt("%s: %d done, %d failed in %.1f s\n", self.label, self.done - self.failed, self.failed, elapsed))
end

return _M
