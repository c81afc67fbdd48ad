-- twilio.account: the resources of one account (the main one or a subaccount).
--   acct.incoming_phone_numbers                      IncomingPhoneNumbers
--   acct.incoming_phone_numbers.local_numbers        .../IncomingPhoneNumbers/Local
--   acct.incoming_phone_numbers.mobile_numbers       .../IncomingPhoneNumbers/Mobile
--   acct.incoming_phone_numbers.toll_free_numbers    .../IncomingPhoneNumbers/TollFree
--   acct.available_phone_numbers                     AvailablePhoneNumbers searches
local list = require "twilio.list"
local available = require "twilio.available"
local addons = require "twilio.addons"

local _M = {}

local function numbers_list(client, sid, suffix, name)
  return list.new(client, {
    kind = "PhoneNumber", items_key = "incoming_phone_numbers",
    list_op = "ListIncomingPhoneNumber" .. suffix, create_op = "CreateIncomingPhoneNumber" .. suffix,
    fetch_op = "FetchIncomingPhoneNumber", update_op = "UpdateIncomingPhoneNumber",
    delete_op = "DeleteIncomingPhoneNumber", path = { account_sid = sid }, name = name,
  })
end

function _M.new(client, sid)
  local numbers = numbers_list(client, sid, "", "incoming_phone_numbers")
  numbers.local_numbers = numbers_list(client, sid, "Local", "incoming_phone_numbers.local_numbers")
  numbers.mobile_numbers = numbers_list(client, sid, "Mobile", "incoming_phone_numbers.mobile_numbers")
  numbers.toll_free_numbers = numbers_list(client, sid, "TollFree", "incoming_phone_numbers.toll_free_numbers")
  -- numbers:assigned_add_ons("PN…"): a number's add-ons without fetching it.
  numbers.assigned_add_ons = function(self, pn_sid)
    if type(pn_sid) ~= "string" then error("twilio: assigned_add_ons(sid): sid must be a string", 2) end
    return addons.add_ons_list(self.client, sid, pn_sid)
  end
  return {
    sid = sid,
    client = client,
    incoming_phone_numbers = numbers,
    available_phone_numbers = available.new(client, sid),
  }
end

return _M
