-- twilio.cli.desired: plan, apply and import, on the desired-state engine
-- (twilio.playbook). The engine decides what changes; this module reads
-- files, shows, asks, draws progress and picks exit codes.
local term = require "twilio.cli.term"
local args = require "twilio.cli.args"
local explain = require "twilio.cli.explain"

local tostring, type, fmt = tostring, type, string.format
local EXIT = term.EXIT

local _M = {}

local playbook_lib = require "twilio.playbook"
local function playbook() return playbook_lib end

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

-- The engine's errors already say what and where (file:line: field: …,
-- Twilio's regulatory codes in words): their message as it is.
local function message(err)
  if type(err) == "table" and err.message then return tostring(err.message) end
  return explain.error(err)
end

local function plan_opts(ctx)
  return { prune = ctx.args.prune and true or false }
end

-- Playbooks name their accounts ("main" is the credentials' own), so
-- --account has no meaning for plan and apply.
local function no_account(ctx)
  if ctx.args.account then
    args.usage_error("--account does not apply to " .. ctx.args.command .. ": a playbook names its accounts " ..
                     "(\"main\" is the credentials' own)")
  end
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

local function problems(plan) return plan.problems and #plan.problems or 0 end

function _M.plan(ctx)
  local a = ctx.args
  no_account(ctx)
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
      ctx.sys.out(fmt("\nSaved the plan to %s; `twilio-numbers apply %s` applies exactly this plan, " ..
                      "and refuses it if the accounts change first.\n", a.out, a.out))
    end
  end
  if problems(plan) > 0 then
    return ctx:fail(fmt("the plan has %d problem%s (the Error lines): apply would refuse it",
                        problems(plan), problems(plan) == 1 and "" or "s"))
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
    local plan, perr = playbook().plan_from_json(text)
    if not plan then return nil, ctx:fail(message(perr)) end
    return plan
  end
  return plan_of(ctx, path)
end

local function label_of(change)
  if not change then return "" end
  return change.phone_number or change.bought or (change.friendly_name and ("'" .. change.friendly_name .. "'")) or ""
end

function _M.apply(ctx)
  local a = ctx.args
  local sys = ctx.sys
  no_account(ctx)
  local parallel = args.integer(a.parallel, "--parallel", 1)
  local plan, code = load_for_apply(ctx, a.file)
  if not plan then return code end
  local pb = playbook()
  -- the plan goes to stdout (the record of what was approved), the
  -- question and the progress to stderr
  pb.render(plan, sys.out)
  if sys.flush then sys.flush() end
  if problems(plan) > 0 then
    return ctx:fail("the plan has problems (the Error lines); nothing was done")
  end
  local n = count_changes(plan)
  if n == 0 and not plan.saved then return EXIT.OK end
  if n > 0 then
    local ok, why = term.confirm(sys, fmt("apply these %d change%s", n, n == 1 and "" or "s"), a.auto_approve,
                                 "--auto-approve")
    if not ok then return ctx:fail(why, EXIT.NOT_CONFIRMED) end
  end
  -- what was shown is what is applied: the engine reads the accounts again
  -- and refuses (kind "stale") when they changed since this plan was made,
  -- a moment ago or when it was saved
  plan.saved = true
  local progress = term.progress(sys, n, "apply")
  local result, err = pb.apply(ctx:client(), plan, {
    parallel = parallel,
    progress = function(ev)
      progress:step{ done = ev.done, total = ev.total, failed = ev.failed,
                     item = (ev.phase or "") .. " " .. label_of(ev.change),
                     error = ev.error and message(ev.error) or nil }
    end,
  })
  if progress.done > 0 then progress:finish() end
  if not result then
    if err and err.kind == "stale" then
      return ctx:fail(message(err) .. "\nRun `twilio-numbers plan` again and review the new plan.")
    end
    return ctx:fail(message(err))
  end
  sys.out(fmt("Apply complete: %d bought, %d changed, %d moved, %d released%s.\n", result.bought or 0,
              result.updated or 0, result.moved or 0, result.released or 0,
              (result.recovered or 0) > 0 and fmt(" (%d found already bought by an interrupted run)",
                                                   result.recovered) or ""))
  return EXIT.OK
end

function _M.import(ctx)
  local a = ctx.args
  local client = ctx:client()
  local accounts = a.account and { ctx:account_sid() } or nil
  if a.out and a.command == "import" then
    local chunks = {}
    local ok, err = playbook().export(client, { accounts = accounts, write = function(s) chunks[#chunks + 1] = s end })
    if not ok then return ctx:fail(message(err)) end
    local wok, werr = write_file(a.out, table.concat(chunks))
    if not wok then return ctx:fail(fmt("cannot write %s: %s", a.out, tostring(werr))) end
    ctx.sys.err(fmt("wrote %s\n", a.out))
    return EXIT.OK
  end
  -- streamed: one number at a time to stdout
  local ok, err = playbook().export(client, { accounts = accounts, write = ctx.sys.out })
  if not ok then return ctx:fail(message(err)) end
  return EXIT.OK
end

return _M
