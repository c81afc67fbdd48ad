-- spec helper, run as a child process: load, plan and apply a playbook
-- against the emulator, so a spec can kill it (kill -9) in the middle.
--   lua playbook_apply.lua FILE [PARALLEL] [prune]
-- The emulator comes from TWILIO_EMULATOR_URL/_ACCOUNT_SID/_AUTH_TOKEN.
-- Exit codes: 0 applied, 1 refused or failed (the error on stderr).
local twilio = require "twilio"
local playbook = require "twilio.playbook"

local file, parallel, prune = arg[1], tonumber(arg[2] or "4"), arg[3] == "prune"
local client = assert(twilio.new{
  base_url = os.getenv("TWILIO_EMULATOR_URL"),
  account_sid = os.getenv("TWILIO_EMULATOR_ACCOUNT_SID"),
  auth_token = os.getenv("TWILIO_EMULATOR_AUTH_TOKEN"),
})
local pb, err = playbook.load(file)
if not pb then io.stderr:write(tostring(err), "\n"); os.exit(1) end
local result, aerr = playbook.apply(client, pb, {
  parallel = parallel, prune = prune,
  progress = function(ev)
    io.stderr:write(string.format("%s %d/%d %s\n", ev.phase, ev.done, ev.total, ev.ok and "ok" or "failed"))
  end,
})
if not result then io.stderr:write(tostring(aerr), "\n"); os.exit(1) end
io.write(string.format("bought %d updated %d moved %d released %d\n", result.bought, result.updated,
                       result.moved, result.released))
