-- twilio.cli.help: `twilio-numbers help` (the manual) and `help COMMAND`.
local args = require "twilio.cli.args"
local term = require "twilio.cli.term"
local csv = require "twilio.csv"
local numbers = require "twilio.cli.numbers"

local fmt, concat, ipairs = string.format, table.concat, ipairs

local _M = {}

local function commands_text()
  local lines = {}
  for _, s in ipairs(args.SUMMARY) do lines[#lines + 1] = fmt("    %-9s %s", s[1], s[2]) end
  return concat(lines, "\n")
end

local function kebabs(params)
  local out = {}
  for _, p in ipairs(params) do out[#out + 1] = "--" .. args.kebab(p.name) end
  return concat(out, " ")
end

local function wrap(text, indent, width)
  local lines, line = {}, indent
  for word in text:gmatch("%S+") do
    if #line + #word + 1 > width and line ~= indent then
      lines[#lines + 1] = line
      line = indent
    end
    line = line .. (line == indent and "" or " ") .. word
  end
  lines[#lines + 1] = line
  return concat(lines, "\n")
end

function _M.manual()
  local E = term.EXIT
  return concat({
    "TWILIO-NUMBERS(1)",
    "",
    "NAME",
    "    twilio-numbers - own Twilio phone numbers as code",
    "",
    "SYNOPSIS",
    "    twilio-numbers [--account AC…] [--base-url URL] [--timeout S] [--debug] COMMAND [options]",
    "    twilio-numbers help [COMMAND]",
    "    twilio-numbers COMMAND --help",
    "",
    "DESCRIPTION",
    "    Everyday commands on the numbers of a Twilio account, and playbooks: a Lua file that",
    "    declares which numbers should exist and how they are configured; `plan` shows what",
    "    would change, `apply` makes it so. Data goes to stdout; progress, prompts and errors",
    "    to stderr. Nothing on stdout or stderr carries escape codes unless stderr is a terminal.",
    "",
    "COMMANDS",
    commands_text(),
    "",
    "GLOBAL OPTIONS (before or after the command)",
    "    --account AC…      act on this subaccount with the parent's credentials",
    "    --base-url URL     another API root (the emulator); http:// only for loopback hosts",
    "    --timeout S        per-request timeout in seconds (default 30)",
    "    --debug            one line per HTTP request and retry on stderr (never a secret)",
    "",
    "OUTPUT (list, show, export, search, buy, update, move, release)",
    "    -o table|json|jsonl|csv   table (default; fits the width: --width, $COLUMNS, the",
    "                              terminal's, else 80), a JSON array, one JSON object a line,",
    "                              or CSV with a header (RFC 4180). export defaults to csv and",
    "                              also takes -o playbook.",
    "    --columns a,b,c           the columns, in that order (`twilio-numbers help columns`)",
    "",
    "GENERATED FLAGS",
    "    The API's parameters are flags generated from the library's validation tables (built",
    "    from Twilio's OpenAPI document), so they follow the spec:",
    wrap("list filters: " .. kebabs(args.LIST_PARAMS) .. " (booleans also as --no-X)", "      ", 92),
    wrap("search filters: " .. kebabs(args.SEARCH_PARAMS) .. " (booleans also as --no-X)", "      ", 92),
    wrap("update fields: " .. kebabs(args.UPDATE_PARAMS) .. " (booleans take true|false); " ..
         "--clear FIELD empties one", "      ", 92),
    wrap("buy configuration: " .. kebabs(args.CREATE_PARAMS), "      ", 92),
    "",
    "CONFIRMATION",
    "    buy and release ask on a terminal (type yes); apply shows the plan and asks. Without a",
    "    terminal on stdin they refuse unless given --yes (apply: --auto-approve), so a script",
    "    never waits on a prompt nobody sees.",
    "",
    "ENVIRONMENT",
    "    TWILIO_ACCOUNT_SID    the account (AC…); required",
    "    TWILIO_AUTH_TOKEN     its auth token, or:",
    "    TWILIO_API_KEY, TWILIO_API_SECRET   an API key (SK…) and its secret",
    "    TWILIO_BASE_URL       like --base-url",
    "    TWILIO_REGION, TWILIO_EDGE   api.{edge}.{region}.twilio.com (not with a base URL)",
    "    COLUMNS               table width",
    "",
    "EXIT STATUS",
    fmt("    %-3d success (plan --detailed-exitcode: no changes)", E.OK),
    fmt("    %-3d error: API, network, invalid playbook, or some items failed", E.ERROR),
    fmt("    %-3d plan --detailed-exitcode: the plan has changes", E.CHANGES),
    fmt("    %-3d not confirmed: declined at the prompt, or no terminal and no --yes/--auto-approve;", E.NOT_CONFIRMED),
    "        nothing was changed",
    fmt("    %-3d usage error: unknown command or option, bad value (sysexits EX_USAGE)", E.USAGE),
    fmt("    %-3d interrupted (Ctrl-C); apply can be run again: it converges, nothing is bought twice",
        E.INTERRUPTED),
    "",
    "EXAMPLES",
    "    twilio-numbers list --match 'Sales*' -o csv --columns phone_number,friendly_name",
    "    twilio-numbers search US local --area-code 415 --sms-enabled --limit 5",
    "    twilio-numbers buy +14155550100 --voice-url https://example.com/voice --yes",
    "    twilio-numbers update +14155550100 --sms-url https://example.com/sms --clear voice-url",
    "    twilio-numbers plan numbers.lua --out numbers.plan && twilio-numbers apply numbers.plan",
    "    twilio-numbers import > numbers.lua",
    "",
    "SEE ALSO",
    "    docs/CLI.md, README.md (Playbooks)",
    "",
  }, "\n")
end

function _M.columns()
  return concat({
    "Columns of numbers (list, show, export, buy, update, move, release):",
    wrap(concat(numbers.NUMBER_COLUMNS, " "), "    ", 92),
    "  table default: " .. concat(numbers.TABLE_COLUMNS, ","),
    "  csv/json/jsonl default: every field (csv: " .. #csv.COLUMNS .. " columns in twilio.csv.COLUMNS order)",
    "Columns of search results:",
    wrap(concat(numbers.AVAILABLE_COLUMNS, " "), "    ", 92),
    "A dotted name (capabilities.sms) reaches into an object; `capabilities` alone reads voice,sms,mms,fax.",
    "",
  }, "\n")
end

function _M.show(sys, topic, cmds)
  if not topic then sys.out(_M.manual()); return term.EXIT.OK end
  if topic == "columns" then sys.out(_M.columns()); return term.EXIT.OK end
  local c = cmds[topic]
  if not c then
    sys.err(fmt("twilio-numbers: no help topic '%s' (commands, or 'columns')\n", topic))
    return term.EXIT.USAGE
  end
  sys.out(c:get_help() .. "\n")
  return term.EXIT.OK
end

return _M
