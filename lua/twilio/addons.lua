-- twilio.addons: a number's AssignedAddOns and their Extensions.
--
--   local addons = n:assigned_add_ons()        -- or numbers:assigned_add_ons("PN…")
--   local a = assert(addons:create{ installed_add_on_sid = "XE…" })
--   for e in a:extensions():each() do print(e.sid, e.product_name, e.enabled) end
--   a:delete()                                 -> true | nil, err
--   a:fetch(), e:fetch()                       reload in place
--   addons:extensions("XE…")                   an add-on's extensions without fetching it
-- Lists are twilio.list lists; the record methods are installed through
-- twilio.record when this module loads (twilio.client loads it).
local list = require "twilio.list"
local record = require "twilio.record"

local _M = {}

-- The Extensions of add-on xe_sid of number pn_sid.
function _M.extensions_list(client, account_sid, pn_sid, xe_sid)
  return list.new(client, {
    kind = "Extension", items_key = "extensions",
    list_op = "ListIncomingPhoneNumberAssignedAddOnExtension",
    fetch_op = "FetchIncomingPhoneNumberAssignedAddOnExtension",
    path = { account_sid = account_sid, resource_sid = pn_sid, assigned_add_on_sid = xe_sid },
    name = "extensions",
  })
end

-- The AssignedAddOns of number pn_sid.
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

record.define("AssignedAddOn", {
  delete = function(a, opts)
    record.not_released(a, "deleted again")
    return record.remove(a, "DeleteIncomingPhoneNumberAssignedAddOn",
                         { resource_sid = a.resource_sid, sid = a.sid }, opts)
  end,
  fetch = function(a, opts)
    record.not_released(a, "fetched")
    return record.reload(a, "FetchIncomingPhoneNumberAssignedAddOn",
                         { resource_sid = a.resource_sid, sid = a.sid }, nil, opts)
  end,
  extensions = function(a)
    local client, _, account_sid = record.ctx_of(a)
    return _M.extensions_list(client, account_sid, a.resource_sid, a.sid)
  end,
  time = record.time_of,
})

record.define("Extension", {
  fetch = function(e, opts)
    return record.reload(e, "FetchIncomingPhoneNumberAssignedAddOnExtension",
      { resource_sid = e.resource_sid, assigned_add_on_sid = e.assigned_add_on_sid, sid = e.sid }, nil, opts)
  end,
})

return _M
