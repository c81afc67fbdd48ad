-- twilio.transport.pick -- which transport a call made now would use.
--
--   local t, err = require("twilio.transport.pick").pick(choice)
--
-- choice: nil (automatic), "curl", "ngx" or an object with a request
-- function. A thin front to twilio.runtime, which alone makes the decision
-- (see its header): outside nginx curl; in nginx's rewrite, access, content,
-- timer and ssl_* phases the cosocket transport; in the init phase curl; in
-- any other phase nil, twilio.Error{kind="invalid"}. It never silently picks
-- a blocking transport inside an nginx worker. Each call asks a new runtime,
-- so nothing is cached here (a client keeps its transports in its runtime).
local core = require "twilio.core"
local runtime = require "twilio.runtime"

local pcall, type = pcall, type

local _M = {}

_M.yieldable_ngx = runtime.yieldable_ngx

function _M.pick(choice)
  local ok, rt = pcall(runtime.new, { transport = choice })
  if not ok then
    return nil, core.new_error{ kind = "invalid", message = type(rt) == "string" and rt or "bad transport" }
  end
  return rt:transport()
end

return _M
