-- twilio.cli.args: the command line (lua-argparse), with the API's flags
-- generated from the library's validation tables (core.operations(), built
-- from Twilio's OpenAPI document), so that a field Twilio adds or a filter
-- it changes shows up here without anyone listing it by hand.
--
--   local parser, state = args.build()
--   params, err = args.collect(result, args.LIST_PARAMS)   -- flags -> snake_case API params
local argparse = require "argparse"
local core = require "twilio.core"
local available = require "twilio.available"
local cli_ops = require "twilio.cli.ops"

local ipairs, pairs, tostring, tonumber, type = ipairs, pairs, tostring, tonumber, type
local fmt, concat = string.format, table.concat

local _M = {}

local OPS = core.operations()
local PAGING = { page_size = true, page = true, page_token = true }

local function kebab(name) return (name:gsub("_", "-")) end
_M.kebab = kebab

-- The parameters of `op` that are `where` (query or form), in the spec's
-- order, minus `skip`.
local function params_of(op, where, skip)
  local out = {}
  for _, p in ipairs(OPS[op].params) do
    if p["in"] == where and not (skip and skip[p.name]) then out[#out + 1] = p end
  end
  return out
end

-- The union of several operations' parameters, first appearance first.
local function union(ops, where, skip)
  local out, seen = {}, {}
  for _, op in ipairs(ops) do
    for _, p in ipairs(params_of(op, where, skip)) do
      if not seen[p.name] then seen[p.name] = true; out[#out + 1] = p end
    end
  end
  return out
end

-- IncomingPhoneNumbers list filters (beta, friendly_name, phone_number, origin).
_M.LIST_PARAMS = params_of("ListIncomingPhoneNumber", "query", PAGING)

-- Every AvailablePhoneNumbers filter of every number type.
do
  local names = {}
  for _, suffix in pairs(available.TYPES) do names[#names + 1] = "ListAvailablePhoneNumber" .. suffix end
  table.sort(names)
  _M.SEARCH_PARAMS = union(names, "query", PAGING)
end

-- Every writable field of a number (update); account_sid is `move --to`.
_M.UPDATE_OP = "UpdateIncomingPhoneNumber"
_M.UPDATE_PARAMS = params_of(_M.UPDATE_OP, "form", { account_sid = true })
_M.UPDATE_ALL = OPS[_M.UPDATE_OP].params
-- Purchase configuration (buy): create's fields but the number itself.
_M.CREATE_PARAMS = params_of("CreateIncomingPhoneNumber", "form", { phone_number = true, area_code = true })

_M.TYPES = {}
for k in pairs(available.TYPES) do _M.TYPES[#_M.TYPES + 1] = k end
table.sort(_M.TYPES)

-- What a value must look like, from the table.
local function describe(p)
  local what
  if p.check == "url" then what = "an absolute http(s) URL"
  elseif p.check == "sid" then
    -- "an AP… SID", "a TK… SID": the article goes by how the first letter is said
    local prefix = p.sid_prefix or ""
    what = (prefix:match("^[AEFHILMNORSX]") and "an " or "a ") .. prefix .. "… SID"
  elseif p.enum then what = "one of " .. concat(p.enum, ", ")
  elseif p.check == "boolean" then what = "true or false"
  elseif p.check == "e164" then what = "an E.164 number like +14155550100"
  elseif p.check == "area_code" then what = "a 3-digit area code"
  elseif p.check == "integer" then
    what = "an integer" .. ((p.min or p.max) and fmt(" %s..%s", tostring(p.min or ""), tostring(p.max or "")) or "")
  elseif p.check == "text" then what = "text" .. (p.max_length and fmt(" up to %d characters", p.max_length) or "")
  else what = p.type == "integer" and "an integer" or "text" end
  return fmt("%s (%s).", what, p.wire)
end

local function argname(p)
  if p.check == "url" then return "<url>" end
  if p.check == "sid" then return "<" .. (p.sid_prefix or "") .. "…>" end
  if p.enum then return "<" .. concat(p.enum, "|") .. ">" end
  if p.check == "boolean" then return "<true|false>" end
  return "<" .. kebab(p.name) .. ">"
end

-- One option per parameter. style "filter": booleans are --x / --no-x
-- flags; style "value": booleans take true|false (a field being set).
function _M.add_params(cmd, params, style)
  for _, p in ipairs(params) do
    local flag = "--" .. kebab(p.name)
    if p.check == "boolean" and style == "filter" then
      cmd:flag(flag):target("p_" .. p.name):description("Only numbers with " .. p.wire .. "=true.")
      cmd:flag("--no-" .. kebab(p.name)):target("pno_" .. p.name):description("Only " .. p.wire .. "=false.")
    else
      local o = cmd:option(flag):target("p_" .. p.name):argname(argname(p)):description(describe(p))
      if p.check == "boolean" then o:choices{ "true", "false" } end
    end
  end
end

local function usage_error(msg) error({ usage = msg }, 0) end
_M.usage_error = usage_error

-- The API parameters given on the command line, converted to what the
-- library takes; the library validates them (and refuses before sending).
function _M.collect(res, params)
  local out, n = {}, 0
  for _, p in ipairs(params) do
    local v = res["p_" .. p.name]
    if res["pno_" .. p.name] then
      if v == true then usage_error(fmt("--%s and --no-%s contradict each other", kebab(p.name), kebab(p.name))) end
      v = false
    end
    if type(v) == "string" then
      if p.check == "boolean" then
        v = (v == "true")
      elseif p.type == "integer" and not p.int_or_string then
        local i = tonumber(v)
        if not i or i ~= math.floor(i) then usage_error(fmt("--%s must be an integer (got '%s')", kebab(p.name), v)) end
        v = math.floor(i)
      end
    end
    if v ~= nil then out[p.name] = v; n = n + 1 end
  end
  return out, n
end

function _M.integer(v, name, min)
  if v == nil then return nil end
  local i = tonumber(v)
  if not i or i ~= math.floor(i) or (min and i < min) then
    usage_error(fmt("%s must be an integer%s (got '%s')", name, min and fmt(" >= %d", min) or "", tostring(v)))
  end
  return math.floor(i)
end

-- Terraform spells its plan-file flag -out; argparse reads one-dash names as
-- short options, so -out is rewritten to --out before parsing.
function _M.normalize(argv)
  local out = {}
  for i, a in ipairs(argv) do
    if a == "-out" then a = "--out" elseif a:sub(1, 5) == "-out=" then a = "-" .. a end
    out[i] = a
  end
  return out
end

local HELP = setmetatable({}, { __tostring = function() return "help requested" end })
_M.HELP = HELP

-- A command with our own -h/--help: argparse's would print and os.exit in
-- the middle of a spec; ours stops the parse and says which help to show.
local function with_help(cmd, state)
  cmd:add_help(false)
  cmd:flag("-h --help"):description("Show this help and exit."):action(function()
    state.help = cmd
    error(HELP, 0)
  end)
  return cmd
end

local function output_options(cmd, formats, default)
  cmd:option("-o --output"):description("Output format: " .. concat(formats, ", ") .. ".")
     :choices(formats):default(default):argname("<format>")
  cmd:option("--columns"):description("Comma-separated columns to show (see `twilio-numbers help columns`).")
     :argname("<list>")
  cmd:option("--width"):description("Table width in characters (default: $COLUMNS, the terminal's, or 80).")
     :argname("<n>")
end

_M.SUMMARY = {
  { "help", "Show the manual, or one command's help." },
  { "list", "List the account's numbers (API filters, plus a client-side --match)." },
  { "show", "Show one number by E.164 number or PN SID." },
  { "export", "Every number of the account, streamed (csv, json, jsonl, table, playbook)." },
  { "search", "Search numbers available to buy: search COUNTRY TYPE [filters]." },
  { "buy", "Buy numbers (costs money: asks, or --yes)." },
  { "update", "Change fields of numbers: update NUMBER... --voice-url URL ..." },
  { "move", "Move numbers to another account: move NUMBER... --to AC..." },
  { "release", "Release numbers (cannot be undone: asks, or --yes)." },
  { "check", "Call each number's voice and SMS webhooks as Twilio would (signed): status, latency, TwiML." },
  { "plan", "Show what applying a playbook would change." },
  { "apply", "Apply a playbook or a saved plan." },
  { "import", "Write a playbook of the account as it is (same as export -o playbook)." },
}

function _M.build()
  local state = {}
  local parser = argparse("twilio-numbers")
    :description("Own Twilio phone numbers as code: everyday commands and playbooks (plan/apply).")
    :epilog("Run `twilio-numbers help` for the manual, `twilio-numbers COMMAND --help` for a command.")
    :help_max_width(100)
  with_help(parser, state)
  parser:command_target("command")
  parser:option("--account"):argname("<AC…>")
    :description("Act on this (sub)account with the credentials of its parent.")
  parser:option("--base-url"):argname("<url>")
    :description("Another API root, e.g. the emulator (also TWILIO_BASE_URL).")
  parser:option("--timeout"):argname("<seconds>"):description("Per-request timeout (default 30).")
  parser:flag("--debug"):description("One line per HTTP request and retry on stderr (never a credential).")
  local cmds = {}
  local function command(name, summary)
    local c = with_help(parser:command(name), state)
    c:summary(summary):description(summary)
    cmds[name] = c
    return c
  end
  local S = {}
  for _, s in ipairs(_M.SUMMARY) do S[s[1]] = s[2] end

  local help = command("help", S.help)
  help:argument("topic"):args("?"):description("A command name, or 'columns'.")

  local list = command("list", S.list)
  _M.add_params(list, _M.LIST_PARAMS, "filter")
  list:option("--type"):choices{ "local", "mobile", "toll_free" }:description("Only numbers of this type.")
  list:option("--match"):argname("<glob>")
    :description("Client-side: keep numbers whose friendly name or number matches the glob (* ? [..]); " ..
                 "every number of the listing is fetched and matched here.")
  list:option("--limit"):argname("<n>"):description("Stop after this many numbers.")
  list:option("--page-size"):argname("<n>"):description("Numbers per request (1..1000, default 1000).")
  output_options(list, { "table", "json", "jsonl", "csv" }, "table")

  local show = command("show", S.show)
  show:argument("number"):description("An E.164 number (+14155550100) or a PN SID.")
  output_options(show, { "table", "json", "jsonl", "csv" }, "table")

  local export = command("export", S.export)
  output_options(export, { "csv", "json", "jsonl", "table", "playbook" }, "csv")

  local search = command("search", S.search)
  search:argument("country"):description("ISO country code, e.g. US.")
  search:argument("type"):choices(_M.TYPES):description("Number type: " .. concat(_M.TYPES, ", ") .. ".")
  _M.add_params(search, _M.SEARCH_PARAMS, "filter")
  search:option("--limit"):argname("<n>"):default("20"):description("At most this many results.")
  output_options(search, { "table", "json", "jsonl", "csv" }, "table")

  local buy = command("buy", S.buy)
  buy:argument("numbers"):args("*"):description("E.164 numbers to buy (from `search`).")
  buy:option("--area-code"):argname("<nnn>"):description("Buy the first free number in this area code.")
  _M.add_params(buy, _M.CREATE_PARAMS, "value")
  buy:flag("-y --yes"):description("Do not ask (required when stdin is not a terminal).")
  output_options(buy, { "table", "json", "jsonl", "csv" }, "table")

  local update = command("update", S.update)
  update:argument("numbers"):args("+"):description("E.164 numbers or PN SIDs.")
  _M.add_params(update, _M.UPDATE_PARAMS, "value")
  update:option("--clear"):count("*"):argname("<field>"):target("clear")
    :description("Empty this field (repeatable): " ..
                 concat(cli_ops.clearable(_M.UPDATE_ALL), ", ") .. ".")
  update:option("--parallel"):argname("<n>"):default("8"):description("Requests in flight.")
  output_options(update, { "table", "json", "jsonl", "csv" }, "table")

  local move = command("move", S.move)
  move:argument("numbers"):args("+"):description("E.164 numbers or PN SIDs.")
  move:option("--to"):argname("<AC…>"):description("The account to move them to."):count(1)
  move:option("--parallel"):argname("<n>"):default("8"):description("Requests in flight.")
  output_options(move, { "table", "json", "jsonl", "csv" }, "table")

  local release = command("release", S.release)
  release:argument("numbers"):args("+"):description("E.164 numbers or PN SIDs.")
  release:flag("-y --yes"):description("Do not ask (required when stdin is not a terminal).")
  release:option("--parallel"):argname("<n>"):default("8"):description("Requests in flight.")
  output_options(release, { "table", "json", "jsonl", "csv" }, "table")

  local chk = command("check", S.check)
  chk:argument("numbers"):args("*"):description("E.164 numbers or PN SIDs (default: every number of the account).")
  chk:option("--kind"):choices{ "voice", "sms" }:description("Only this kind of webhook (default: both).")
  output_options(chk, { "table", "json", "jsonl", "csv" }, "table")

  local plan = command("plan", S.plan)
  plan:argument("file"):description("The playbook (Lua, data only).")
  plan:flag("--prune"):description("Also release numbers the playbook does not declare (never protected ones).")
  plan:flag("--detailed-exitcode"):description("Exit 0 when nothing would change, 2 when something would, 1 on error.")
  plan:option("-o --output"):choices{ "text", "json" }:default("text"):description("text or json.")
  plan:option("--out"):argname("<planfile>"):description("Save the plan for `apply PLANFILE` (also -out).")

  local apply = command("apply", S.apply)
  apply:argument("file"):description("A playbook, or a plan saved with plan --out.")
  apply:flag("--prune"):description("Also release numbers the playbook does not declare (never protected ones).")
  apply:flag("--auto-approve"):description("Do not ask (required when stdin is not a terminal).")
  apply:option("--parallel"):argname("<n>"):default("8"):description("Requests in flight.")

  local import = command("import", S.import)
  import:option("--out"):argname("<file>"):description("Write the playbook to this file instead of stdout.")

  return parser, state, cmds
end

return _M
