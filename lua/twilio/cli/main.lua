-- twilio.cli.main: the `twilio-numbers` command, callable in-process.
--
--   local code = require("twilio.cli.main").main(argv, sys)
--     argv: the arguments (no program name); sys: see twilio.cli.term (the
--     process's own when nil). Returns the exit code (term.EXIT).
local twilio = require "twilio"
local args = require "twilio.cli.args"
local term = require "twilio.cli.term"
local output = require "twilio.cli.output"
local help = require "twilio.cli.help"

local type, tostring, pcall, xpcall, fmt = type, tostring, pcall, xpcall, string.format
local EXIT = term.EXIT

local _M = {}

-- The command's context: arguments, sys, and the client made on first use.
local Ctx = {}
Ctx.__index = Ctx

local function env(sys, name)
  local v = sys.getenv(name)
  if v == "" then return nil end
  return v
end

-- Credentials exactly as the library takes them (README "Configuration"),
-- read through sys.getenv so that specs can give their own environment:
-- TWILIO_ACCOUNT_SID with TWILIO_AUTH_TOKEN, or TWILIO_API_KEY and
-- TWILIO_API_SECRET (the auth token wins when both are set), TWILIO_BASE_URL
-- (or --base-url), TWILIO_REGION / TWILIO_EDGE (not with a base URL).
function Ctx:client()
  if self.client_ then return self.client_ end
  local sys, a = self.sys, self.args
  local o = {
    account_sid = env(sys, "TWILIO_ACCOUNT_SID"),
    base_url = a.base_url or env(sys, "TWILIO_BASE_URL"),
    timeout = a.timeout and args.integer(a.timeout, "--timeout", 1) or nil,
  }
  local token = env(sys, "TWILIO_AUTH_TOKEN")
  if token then o.auth_token = token
  else o.api_key, o.api_secret = env(sys, "TWILIO_API_KEY"), env(sys, "TWILIO_API_SECRET") end
  if not o.base_url then o.region, o.edge = env(sys, "TWILIO_REGION"), env(sys, "TWILIO_EDGE") end
  if not o.account_sid then
    error({ message = "no account: set TWILIO_ACCOUNT_SID (and TWILIO_AUTH_TOKEN, or " ..
                           "TWILIO_API_KEY and TWILIO_API_SECRET)" }, 0)
  end
  if not o.auth_token and not o.api_key then
    error({ message = "no credentials: set TWILIO_AUTH_TOKEN, or TWILIO_API_KEY and TWILIO_API_SECRET" }, 0)
  end
  if a.debug then o.debug = function(line) sys.err(line .. "\n") end end
  local c, err = twilio.new(o)
  if not c then error(err, 0) end
  self.client_ = c
  return c
end

-- The account the command acts on: --account, or the credentials' own.
function Ctx:account_sid()
  local a = self.args.account
  if a then
    if not a:match("^AC%x+$") or #a ~= 34 then
      args.usage_error(fmt("--account must be an account SID: AC followed by 32 hex digits (got '%s')", a))
    end
    return a
  end
  return self:client():account_sid()
end

function Ctx:numbers()
  local c = self:client()
  if self.args.account then return c:account(self:account_sid()).incoming_phone_numbers end
  return c.incoming_phone_numbers
end

-- A writer for the output options: known columns, default columns.
function Ctx:writer(known, default, format)
  local a = self.args
  local cols, explicit = default, false
  if a.columns then
    local c, err = output.parse_columns(a.columns, known)
    if not c then args.usage_error(err) end
    cols, explicit = c, true
  end
  local width = a.width and args.integer(a.width, "--width", 1) or nil
  return output.writer(self.sys, { format = format or a.output, columns = cols, explicit_columns = explicit,
                                   width = term.width(self.sys, width) })
end

-- Messages on stderr. stdout is fully buffered and stderr is not: stdout is
-- flushed first, so a message about rows already written comes after them on
-- a terminal or through 2>&1 (spec/cli/order_spec.lua).
local function to_stderr(sys, s)
  if sys.flush then sys.flush() end
  sys.err(s)
end

-- A failure message on stderr; returns the exit code for it.
function Ctx:fail(msg, code)
  to_stderr(self.sys, "twilio-numbers: " .. tostring(msg) .. "\n")
  return code or EXIT.ERROR
end

function Ctx:warn(msg)
  to_stderr(self.sys, "twilio-numbers: " .. msg .. "\n")
end

local COMMANDS = {
  list = "twilio.cli.numbers", show = "twilio.cli.numbers", export = "twilio.cli.numbers",
  search = "twilio.cli.numbers", buy = "twilio.cli.numbers", update = "twilio.cli.numbers",
  move = "twilio.cli.numbers", release = "twilio.cli.numbers",
  check = "twilio.cli.check",
  plan = "twilio.cli.desired", apply = "twilio.cli.desired", import = "twilio.cli.desired",
}

local function message_of(e)
  if type(e) == "table" and e.message and not twilio.is_error(e) then return e.message end
  return tostring(e)
end

function _M.main(argv, sys)
  sys = sys or term.system()
  local parser, state, cmds = args.build()
  local ok, parsed, res = pcall(parser.pparse, parser, args.normalize(argv or {}))
  if state.help then
    sys.out(state.help:get_help() .. "\n")
    return EXIT.OK
  end
  if not ok then error(parsed, 0) end
  if not parsed then
    local usage = (state.help or parser):get_usage()
    local cmd = argv and argv[1]
    if cmds[cmd or ""] then usage = cmds[cmd]:get_usage() end
    sys.err(usage .. "\n\ntwilio-numbers: " .. tostring(res) .. "\nTry 'twilio-numbers help'.\n")
    return EXIT.USAGE
  end
  if not res.command then
    sys.err(parser:get_usage() .. "\n\ntwilio-numbers: a command is needed; try 'twilio-numbers help'\n")
    return EXIT.USAGE
  end
  if res.command == "help" then
    return help.show(sys, res.topic, cmds)
  end
  local ctx = setmetatable({ sys = sys, args = res, cmds = cmds }, Ctx)
  local mod = require(COMMANDS[res.command])
  local trace
  local okc, code = xpcall(mod[res.command], function(e)
    if type(e) ~= "table" and res.debug then trace = debug.traceback("", 2) end
    return e
  end, ctx)
  if ctx.client_ then ctx.client_:close() end
  if sys.flush then sys.flush() end
  if okc then return code or EXIT.OK end
  if type(code) == "table" and code.usage then
    sys.err(fmt("twilio-numbers: %s\nSee 'twilio-numbers %s --help'.\n", code.usage, res.command))
    return EXIT.USAGE
  end
  if type(code) == "string" and code:match("interrupted!$") then   -- lua5.4's SIGINT, raised in our chunk
    sys.err("\ntwilio-numbers: interrupted; what was done so far stays done (apply: run it again, it converges " ..
            "and buys nothing twice)\n")
    return EXIT.INTERRUPTED
  end
  sys.err("twilio-numbers: " .. message_of(code) .. "\n")
  if trace then sys.err(trace .. "\n") end
  return EXIT.ERROR
end

return _M
