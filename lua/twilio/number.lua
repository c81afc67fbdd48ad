-- twilio.number: the methods of twilio.PhoneNumber objects, and of the
-- AssignedAddOn and Extension objects reached from them.
--
--   n:update{ voice_url = ..., sms_method = "POST" }  -> n (changed in place) | nil, err
--   n:update{ account_sid = "AC…" }                   moves n; later calls use the new account
--   n:release()                                        -> true | nil, err
--   n:fetch()                                          -> n (reloaded in place) | nil, err
--   n:assigned_add_ons()                               -> list of twilio.AssignedAddOn
--   n:time("date_created")                             -> epoch seconds | nil
--   n:totable(), n:call_info() -> { retries =, recovered = }
-- A released number refuses :update, :release and :fetch (raises).
local core = require "twilio.core"
local list = require "twilio.list"
local retry = require "twilio.retry"
local json_body = require("twilio.client").json_body

local type, error, tostring = type, error, tostring
local fmt = string.format

local _M = {}

local function ctx_of(rec)
  local ctx = core.record_ctx(rec)
  local client = ctx.client
  if not client then error("twilio: this object is not attached to a client", 3) end
  return client, ctx
end

local function not_released(n, verb)
  if core.record_released(n) then
    error(fmt("twilio: number %s (%s) was released; it cannot be %s",
              tostring(n.sid), tostring(n.phone_number), verb), 3)
  end
end

-- Replace rec's data with the single object in res (same kind).
-- The ctx says how this call went (n:call_info()). The common case (no
-- retries, the old ctx says nothing about a call, same client, and the
-- fresh JSON names its account) keeps the old ctx: it reads the same, and
-- no table is built. Otherwise a ctx of its own, as before.
local function reload(rec, client, res, retries, old)
  local body, cerr = json_body(res)
  if not body then return nil, cerr end
  local kind = core.record_kind(rec)
  if (retries == nil or retries == 0) and old.info == nil and old.client == client then
    local fresh, err = core.parse_record(kind, body, old)
    if not fresh then err.status = res.status; return nil, err end
    if fresh.account_sid ~= nil then
      core.record_replace(rec, fresh)
      return rec
    end
  end
  local ctx = { client = client, account_sid = rec.account_sid, info = { retries = retries or 0 } }
  local fresh, err = core.parse_record(kind, body, ctx)
  if not fresh then err.status = res.status; return nil, err end
  core.record_replace(rec, fresh)
  ctx.account_sid = rec.account_sid or ctx.account_sid
  core.record_set_ctx(rec, ctx)
  return rec
end

local function account_of(rec, ctx)
  return rec.account_sid or ctx.account_sid
end

local function call_info(rec)
  local info = core.record_ctx(rec).info
  return { retries = info and info.retries or 0, recovered = info and info.recovered or false }
end

local function time_of(rec, field)
  local v = core.record_get(rec, field)
  if type(v) ~= "string" then return nil end
  return core.rfc2822_to_epoch(v)
end

local function op_with_path(rec, op, path, params, opts, verb)
  local client, ctx = ctx_of(rec)
  opts = client:call_options(opts)
  path.account_sid = account_of(rec, ctx)
  local res, err, retries = client:request(op, path, params, opts)
  if not res then return nil, err end
  if verb == "reload" then return reload(rec, client, res, retries, ctx) end
  return res, nil, retries
end

-- The AssignedAddOns of number pn_sid, and the Extensions of add-on xe_sid.
-- Also reachable without fetching: numbers:assigned_add_ons("PN…") and
-- add_ons:extensions("XE…").
function _M.add_ons_list(client, account_sid, pn_sid)
  local l = list.new(client, {
    kind = "AssignedAddOn", items_key = "assigned_add_ons",
    list_op = "ListIncomingPhoneNumberAssignedAddOn", create_op = "CreateIncomingPhoneNumberAssignedAddOn",
    fetch_op = "FetchIncomingPhoneNumberAssignedAddOn", delete_op = "DeleteIncomingPhoneNumberAssignedAddOn",
    path = { account_sid = account_sid, resource_sid = pn_sid }, name = "assigned_add_ons",
  })
  l.extensions = function(self, xe_sid)
    return _M.extensions_list(self.client, account_sid, pn_sid, xe_sid)
  end
  return l
end

function _M.extensions_list(client, account_sid, pn_sid, xe_sid)
  return list.new(client, {
    kind = "Extension", items_key = "extensions",
    list_op = "ListIncomingPhoneNumberAssignedAddOnExtension",
    fetch_op = "FetchIncomingPhoneNumberAssignedAddOnExtension",
    path = { account_sid = account_sid, resource_sid = pn_sid, assigned_add_on_sid = xe_sid },
    name = "extensions",
  })
end

local number_methods = {
  update = function(n, params, opts)
    if type(params) ~= "table" then error("twilio: update: a table of fields expected", 2) end
    not_released(n, "updated")
    return op_with_path(n, "UpdateIncomingPhoneNumber", { sid = n.sid }, params, opts, "reload")
  end,

  fetch = function(n, opts)
    not_released(n, "fetched")
    return op_with_path(n, "FetchIncomingPhoneNumber", { sid = n.sid }, nil, opts, "reload")
  end,

  release = function(n, opts)
    not_released(n, "released again")
    local res, err = op_with_path(n, "DeleteIncomingPhoneNumber", { sid = n.sid }, nil, opts)
    if not res then
      -- A retried DELETE that finds the number gone: an earlier attempt released it.
      if retry.deleted(err) then
        core.record_release(n)
        return true
      end
      return nil, err
    end
    core.record_release(n)
    return true
  end,

  assigned_add_ons = function(n)
    local client, ctx = ctx_of(n)
    return _M.add_ons_list(client, account_of(n, ctx), n.sid)
  end,

  released = core.record_released,
  time = time_of,
  totable = core.record_totable,
  json = core.record_json,
  call_info = call_info,
}
core.set_methods("PhoneNumber", number_methods)

core.set_methods("AssignedAddOn", {
  delete = function(a, opts)
    not_released(a, "deleted again")
    local res, err = op_with_path(a, "DeleteIncomingPhoneNumberAssignedAddOn",
                                  { resource_sid = a.resource_sid, sid = a.sid }, nil, opts)
    if not res then
      if retry.deleted(err) then core.record_release(a); return true end
      return nil, err
    end
    core.record_release(a)
    return true
  end,
  fetch = function(a, opts)
    not_released(a, "fetched")
    return op_with_path(a, "FetchIncomingPhoneNumberAssignedAddOn",
                        { resource_sid = a.resource_sid, sid = a.sid }, nil, opts, "reload")
  end,
  extensions = function(a)
    local client, ctx = ctx_of(a)
    return _M.extensions_list(client, account_of(a, ctx), a.resource_sid, a.sid)
  end,
  time = time_of,
  totable = core.record_totable,
  call_info = call_info,
})

core.set_methods("Extension", {
  fetch = function(e, opts)
    return op_with_path(e, "FetchIncomingPhoneNumberAssignedAddOnExtension",
      { resource_sid = e.resource_sid, assigned_add_on_sid = e.assigned_add_on_sid, sid = e.sid },
      nil, opts, "reload")
  end,
  totable = core.record_totable,
  call_info = call_info,
})

return _M
