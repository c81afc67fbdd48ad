-- twilio: own Twilio phone numbers as code.
--
--   local twilio = require "twilio"
--   local client = assert(twilio.new{ account_sid = "AC…", auth_token = "…" })
--   for n in client.incoming_phone_numbers:each{ page_size = 100 } do print(n.phone_number) end
--
-- See README.md for the whole API.
local core = require "twilio.core"
local client = require "twilio.client"   -- also installs the methods of every record type
local csv = require "twilio.csv"

local _M = {
  _VERSION = core._VERSION,
  new = client.new,
  is_error = core.is_error,
  csv = csv,
  -- n:update{ voice_url = twilio.null } clears a field, like voice_url = "".
  -- The NULL light userdata: cjson.null and ngx.null are the same value.
  null = core.null,
}

-- twilio.parse_date("Thu, 30 Jul 2015 23:19:04 +0000") -> 1438298344 | nil
function _M.parse_date(s)
  if type(s) ~= "string" then return nil end
  return core.rfc2822_to_epoch(s)
end

return _M
