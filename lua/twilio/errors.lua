-- twilio.errors: making and recognising twilio.Error objects from Lua.
-- The metatable and tostring live in C (src/ltw_error.c) so that errors made
-- by the core (validation, parsing) and by Lua (transport, lookups) are one type.
local core = require "twilio.core"

local _M = {}

-- new("timeout", "request timed out", { status = 0 }) -> twilio.Error
function _M.new(kind, message, fields)
  local e = fields or {}
  e.kind = kind
  e.message = message
  return core.new_error(e)
end

_M.is = core.is_error

return _M
