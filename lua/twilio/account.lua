-- twilio.account: the resources of one account (the main one or a subaccount).
--   acct.incoming_phone_numbers                      IncomingPhoneNumbers
--   acct.incoming_phone_numbers.local_numbers        .../IncomingPhoneNumbers/Local
--   acct.incoming_phone_numbers.mobile_numbers       .../IncomingPhoneNumbers/Mobile
--   acct.incoming_phone_numbers.toll_free_numbers    .../IncomingPhoneNumbers/TollFree
--   acct.available_phone_numbers                     AvailablePhoneNumbers searches
local list = require "twilio.list"
local available = require "twilio.available"

local _M = {}

local function numbers_list(client, sid, suffix, name)
  return list.new(client, {
    kind = "PhoneNumber", items_key = "incoming_phone_numbers",
    list_op = "ListIncomingPhoneNumber" .. suffix, create_op = "CreateIncomingPhoneNumber" .. suffix,
    fetch_op = "FetchIncomingPhoneNumber", path = { account_sid = sid }, name = name,
  })
end

function _M.new(client, sid)
  local numbers = numbers_list(client, sid, "", "incoming_phone_numbers")
  numbers.local_numbers = numbers_list(client, sid, "Local", "incoming_phone_numbers.local_numbers")
  numbers.mobile_numbers = numbers_list(client, sid, "Mobile", "incoming_phone_numbers.mobile_numbers")
  numbers.toll_free_numbers = numbers_list(client, sid, "TollFree", "incoming_phone_numbers.toll_free_numbers")
  return {
    sid = sid,
    client = client,
    incoming_phone_numbers = numbers,
    available_phone_numbers = available.new(client, sid),
  }
end

return _M
