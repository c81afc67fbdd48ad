-- spec/cli/fake.lua: run `twilio-numbers` in-process with a fake terminal
-- and environment, or as a real process, against the spec emulator.
--
--   local code, out, err = fake.run({ "list", "-o", "json" }, { tty = { [0] = true, [2] = true },
--                                     input = { "yes" }, env = { COLUMNS = "60" } })
--   local code, out, err = fake.exec("list -o json", { stdin = "..." })   -- bin/twilio-numbers
local emu = require "helpers.emulator"
local core = require "twilio.core"
local main = require "twilio.cli.main"

local _M = {}

function _M.root()
  local r = os.getenv("TWILIO_NUMBERS_ROOT")
  if r then return r end
  local src = debug.getinfo(1, "S").source:sub(2)
  return (src:match("^(.*)/spec/cli/[^/]*$") or ".")
end

function _M.env(extra)
  local env = { TWILIO_ACCOUNT_SID = emu.account_sid(), TWILIO_AUTH_TOKEN = emu.auth_token(),
                TWILIO_BASE_URL = emu.url() }
  for k, v in pairs(extra or {}) do env[k] = v or nil end
  return env
end

function _M.run(argv, opts)
  opts = opts or {}
  local out, err = {}, {}
  local env = _M.env(opts.env)
  local input = {}
  for i, l in ipairs(opts.input or {}) do input[i] = l end
  local sys = {
    out = function(s) out[#out + 1] = s end,
    err = function(s) err[#err + 1] = s end,
    read_line = function() return table.remove(input, 1) end,
    isatty = function(fd) return (opts.tty and opts.tty[fd]) or false end,
    getenv = function(k) return env[k] end,
    clock = core.monotonic,
    width = function() return opts.term_width end,
  }
  local code = main.main(argv, sys)
  return code, table.concat(out), table.concat(err)
end

-- run(argv) with stdout going to out_fn (not kept).
function _M.run_with_out(argv, out_fn, opts)
  opts = opts or {}
  local env = _M.env(opts.env)
  local sys = {
    out = out_fn, err = function() end, read_line = function() return nil end,
    isatty = function() return false end, getenv = function(k) return env[k] end,
    clock = core.monotonic, width = function() return nil end,
  }
  return main.main(argv, sys)
end

local function q(s) return "'" .. tostring(s):gsub("'", "'\\''") .. "'" end
_M.q = q

-- The real command, as a process: code, stdout, stderr.
function _M.exec(args, opts)
  opts = opts or {}
  local dir = os.tmpname()
  os.remove(dir)
  local outf, errf = dir .. ".out", dir .. ".err"
  local envs = {}
  for k, v in pairs(_M.env(opts.env)) do envs[#envs + 1] = k .. "=" .. q(v) end
  local stdin = "/dev/null"
  if opts.stdin then
    stdin = dir .. ".in"
    local f = assert(io.open(stdin, "w")); f:write(opts.stdin); f:close()
  end
  local cmd = ("env -u LD_PRELOAD %s %s/bin/twilio-numbers %s <%s >%s 2>%s"):format(
    table.concat(envs, " "), _M.root(), args, stdin, outf, errf)
  local a, _, c = os.execute(cmd)
  local code = type(a) == "number" and a / 256 or c
  local function slurp(p)
    local f = io.open(p, "rb")
    if not f then return "" end
    local s = f:read("*a"); f:close(); os.remove(p)
    return s
  end
  if opts.stdin then os.remove(stdin) end
  return code, slurp(outf), slurp(errf)
end

-- Display width of a line (code points).
function _M.ulen(s) local _, n = s:gsub("[^\128-\191]", ""); return n end

return _M
