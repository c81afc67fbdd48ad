-- twilio.playbook: desired state for Twilio numbers (docs/PLAYBOOKS.md).
--
--   local playbook = require "twilio.playbook"
--   pb, err = playbook.load(path) / playbook.load_string(text, chunkname)
--   plan, err = playbook.plan(client, pb, { prune = bool })
--       plan.changes, plan.summary {buy, change, move, release}, plan.unchanged,
--       plan.warnings, plan.problems, plan.fingerprint
--   playbook.render(plan, write_fn)
--   text = playbook.plan_to_json(plan); plan, err = playbook.plan_from_json(text)
--   result, err = playbook.apply(client, plan_or_pb, { parallel = N, progress = fn(ev), prune = bool })
--   text, err = playbook.export(client, { accounts = {...}, write = fn })
--
-- Additions to the agreed contract (for the command):
--   * plan.problems: regulatory or stock problems found before buying (a
--     missing address_sid/bundle_sid, too few numbers to buy, an exact
--     number nobody sells or that could not be looked up). render prints
--     them as "Error: ..." lines; apply refuses a plan that has any (nothing
--     is done). The command should exit 1 when #plan.problems > 0.
--   * apply's opts.prune is used when apply is given a playbook (a plan
--     carries its own prune). apply returns result | nil, err; err.kind is
--     "stale" for a saved plan whose accounts changed, "invalid" for problems,
--     "apply" when some changes failed (err.result holds what was done).
--   * progress(ev): ev = { phase = "move"|"update"|"buy"|"release", done,
--     total, ok, failed, change, error }.
--   * export opts: accounts (SIDs, default the client's), write (stream).
--   * plan_to_json / plan_from_json use dkjson (Debian lua-dkjson, already in
--     tools/deps; the rockspec's dependencies should list "dkjson >= 2.5").
--     Everything else needs nothing but the library.
--   * a plan or a saved plan's apply reads the accounts again and refuses
--     (kind "stale") when its fingerprint no longer matches only when
--     plan.saved is true (plan_from_json sets it; set it yourself to apply
--     exactly what was shown).
local load = require "twilio.playbook.load"
local plan = require "twilio.playbook.plan"
local render = require "twilio.playbook.render"
local apply = require "twilio.playbook.apply"
local export = require "twilio.playbook.export"

local _M = {
  load = load.load,
  load_string = load.load_string,
  plan = plan.plan,
  render = render.render,
  plan_to_json = render.to_json,
  plan_from_json = render.from_json,
  apply = apply.apply,
  export = export.export,
}

return _M
