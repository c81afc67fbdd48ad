-- spec/helpers/ngx_report.lua -- what the handlers run inside the test nginx
-- share (helpers.ngx_e2e, helpers.ngx_runtime): a client on the emulator from
-- the environment, and run(fn), which answers fn's report table as JSON, a
-- raised error included (reported, not lost).
-- luacheck: globals ngx
local ngx = ngx
local cjson = require "cjson.safe"

local _M = {}

function _M.reply(t)
  local s = cjson.encode(t) or '{"encode":"failed"}'
  ngx.header.content_type = "application/json"
  ngx.header.content_length = #s
  ngx.print(s)
end

-- client{ extra options } on the emulator named by TWILIO_EMULATOR_*
function _M.client(opts)
  local o = {
    base_url = os.getenv("TWILIO_EMULATOR_URL"),
    account_sid = os.getenv("TWILIO_EMULATOR_ACCOUNT_SID"),
    auth_token = os.getenv("TWILIO_EMULATOR_AUTH_TOKEN"),
  }
  for k, v in pairs(opts or {}) do o[k] = v end
  return assert(require("twilio").new(o))
end

function _M.run(fn)
  local report = {}
  local ok, e = pcall(fn, report)
  if not ok then report.raised = tostring(e) end
  _M.reply(report)
end

return _M
