-- twilio.cli.check: `twilio-numbers check [NUMBER…]`, each number's voice and
-- SMS webhooks called the way Twilio would (twilio.webhook.check): a signed
-- request, the number's method, Twilio's parameters. One row per number and
-- kind: status, latency, whether the answer is TwiML. Exit 0 when every row
-- is ok (2xx and TwiML), 1 otherwise.
--
-- Signing token: TWILIO_WEBHOOK_AUTH_TOKEN when set (e.g. a subaccount's own
-- token with --account: Twilio signs a subaccount's webhooks with it), else
-- TWILIO_AUTH_TOKEN. An API key cannot sign: the command says so.
local check = require "twilio.webhook.check"
local term = require "twilio.cli.term"

local EXIT = term.EXIT

local _M = {}

_M.COLUMNS = { "phone_number", "kind", "method", "url", "status", "latency_ms", "twiml", "ok", "error", "sid",
               "account_sid" }
local TABLE_COLUMNS = { "phone_number", "kind", "method", "status", "latency_ms", "twiml", "ok", "error", "url" }

local function env(sys, name)
  local v = sys.getenv(name)
  if v == "" then return nil end
  return v
end

function _M.check(ctx)
  local a, sys = ctx.args, ctx.sys
  local token = env(sys, "TWILIO_WEBHOOK_AUTH_TOKEN") or env(sys, "TWILIO_AUTH_TOKEN")
  if not token then
    return ctx:fail("check signs each request like Twilio, with an auth token: set TWILIO_AUTH_TOKEN " ..
                    "(or TWILIO_WEBHOOK_AUTH_TOKEN for a subaccount's numbers); an API key cannot sign")
  end
  local numbers = ctx:numbers()   -- also validates --account and makes the client
  local targets = a.numbers
  if #targets == 0 then
    targets = {}
    for n in numbers:each{ page_size = 1000 } do targets[#targets + 1] = n end
  end
  local kinds = a.kind and { a.kind } or nil
  local rows, err = check(ctx:client(), targets, { auth_token = token, kinds = kinds,
                                                   account_sid = a.account and ctx:account_sid() or nil })
  if not rows then return ctx:fail(err) end
  local w = ctx:writer(_M.COLUMNS, a.output == "table" and TABLE_COLUMNS or _M.COLUMNS, a.output)
  local failed = 0
  for _, r in ipairs(rows) do
    w:row(r)
    if not r.ok then failed = failed + 1 end
  end
  w:finish()
  if failed > 0 then
    ctx:warn(string.format("%d of %d webhook(s) did not answer 2xx with TwiML", failed, #rows))
    return EXIT.ERROR
  end
  return EXIT.OK
end

return _M
