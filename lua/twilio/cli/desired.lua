-- twilio.cli.desired: plan, apply and import, on the desired-state engine
-- (twilio.playbook). The engine decides what changes; this module reads
-- files, shows, asks, draws progress and picks exit codes.
local term = require "twilio.cli.term"
local args = require "twilio.cli.args"
local explain = require "twilio.cli.explain"

local tostring, type, fmt = tostring, type, string.format
local EXIT = term.EXIT

local _M = {}

local function playbook() return require "twilio.playbook" end

local function read_file(path)
  local f, err = io.open(path, "rb")
  if not f then return nil, err end
  local text = f:read("*a")
  f:close()
  return text
end

local function write_file(path, text)
  local f, err = io.open(path, "wb")
  if not f then return nil, err end
  local ok, werr = f:write(text)
  f:close()
  if not ok then return nil, werr end
  return true
end

local function message(err)
  if type(err) == "table" and err.message and not (getmetatable(err) and getmetatable(err).__tostring) then
    return tostring(err.message)
  end
  return explain.error(err)
end

local function plan_opts(ctx)
  return { prune = ctx.args.prune and true or false, account = ctx.args.account }
end

-- A playbook file to a plan: plan | nil, exit code (message written).
local function plan_of(ctx, path)
  local pb = playbook()
  local book, err = pb.load(path)
  if not book then return nil, ctx:fail(message(err)) end
  local plan, perr = pb.plan(ctx:client(), book, plan_opts(ctx))
  if not plan then return nil, ctx:fail(message(perr)) end
  return plan
end

local function count_changes(plan)
  local s = plan.summary or {}
  return (s.buy or 0) + (s.change or 0) + (s.move or 0) + (s.release or 0)
end
_M.count_changes = count_changes

function _M.plan(ctx)
  local a = ctx.args
  local plan, code = plan_of(ctx, a.file)
  if not plan then return code end
  local pb = playbook()
  if a.out then
    local ok, err = write_file(a.out, pb.plan_to_json(plan))
    if not ok then return ctx:fail(fmt("cannot write the plan to %s: %s", a.out, tostring(err))) end
  end
  if a.output == "json" then
    ctx.sys.out(pb.plan_to_json(plan))
    ctx.sys.out("\n")
  else
    pb.render(plan, ctx.sys.out)
    if a.out then
      ctx.sys.out(fmt("\nSaved the plan to %s; `twilio-numbers apply %s` applies exactly this plan.\n", a.out, a.out))
    end
  end
  if a.detailed_exitcode and count_changes(plan) > 0 then return EXIT.CHANGES end
  return EXIT.OK
end

-- A saved plan (JSON from plan --out) or a playbook.
local function load_for_apply(ctx, path)
  local text, err = read_file(path)
  if not text then return nil, ctx:fail(fmt("cannot read %s: %s", path, tostring(err))) end
  if text:match("^%s*{") then
    if ctx.args.prune then args.usage_error("--prune belongs to the plan that was saved, not to apply PLANFILE") end
    local plan, perr = playbook().plan_from_json(text, ctx:client())
    if not plan then return nil, ctx:fail(message(perr)) end
    return plan, nil, true
  end
  return plan_of(ctx, path)
end

function _M.apply(ctx)
  local a = ctx.args
  local sys = ctx.sys
  local parallel = args.integer(a.parallel, "--parallel", 1)
  local plan, code = load_for_apply(ctx, a.file)
  if not plan then return code end
  local pb = playbook()
  -- the plan is what the user approves: it goes to stderr, so stdout stays
  -- for data (nothing else is written there by apply)
  pb.render(plan, sys.err)
  local n = count_changes(plan)
  if n == 0 then
    sys.err("\nNothing to do.\n")
    return EXIT.OK
  end
  local ok, why = term.confirm(sys, fmt("apply these %d change%s", n, n == 1 and "" or "s"), a.auto_approve,
                               "--auto-approve")
  if not ok then return ctx:fail(why, EXIT.NOT_CONFIRMED) end
  local progress = term.progress(sys, n, "apply")
  local result, err = pb.apply(ctx:client(), plan, {
    parallel = parallel,
    progress = function(ev)
      progress:step{ done = ev.done, total = ev.total, failed = ev.failed, item = ev.item and tostring(ev.item),
                     error = ev.error and explain.error(ev.error) or nil }
    end,
  })
  progress:finish()
  if not result then return ctx:fail(message(err)) end
  local failed = result.failed or 0
  if type(failed) == "table" then failed = #failed end
  if failed > 0 then
    for _, e in ipairs(result.errors or {}) do
      ctx:warn(fmt("%s: %s", tostring(e.item or "?"), explain.error(e.error or e)))
    end
    return ctx:fail(fmt("apply finished with %d failure%s; run it again: it converges (nothing is bought twice)",
                        failed, failed == 1 and "" or "s"))
  end
  sys.err("Apply complete.\n")
  return EXIT.OK
end

function _M.import(ctx)
  local a = ctx.args
  local text, err = playbook().export(ctx:client(), { account = a.account })
  if not text then return ctx:fail(message(err)) end
  if a.out and ctx.args.command == "import" then
    local ok, werr = write_file(a.out, text)
    if not ok then return ctx:fail(fmt("cannot write %s: %s", a.out, tostring(werr))) end
    ctx.sys.err(fmt("wrote %s\n", a.out))
    return EXIT.OK
  end
  ctx.sys.out(text)
  return EXIT.OK
end

return _M
