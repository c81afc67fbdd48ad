-- spec/helpers/ngx_runtime.lua -- handlers run inside the test nginx for
-- spec/nginx/runtime_spec.lua: the client's runtime inside nginx (its
-- transport, User-Agent and debug lines; bulk groups of ngx.threads).
-- luacheck: globals ngx
local ngx = ngx
local report = require "helpers.ngx_report"
local client, run = report.client, report.run

local _M = {}

-- one list with a debug hook: the runtime, the User-Agent sent, the lines
function _M.identity()
  run(function(r)
    local lines = {}
    local c = client{ debug = function(l) lines[#lines + 1] = l end }
    r.runtime = c.runtime.name
    r.user_agent = c.cfg and assert(c.cfg:build("ListIncomingPhoneNumber",
      { account_sid = c:account_sid() }, {})).headers["User-Agent"]
    local list, err = c.incoming_phone_numbers:list{}
    r.count = list and #list
    r.err = err and tostring(err)
    r.lines = lines
  end)
end

-- update_many of every number at ?concurrency=n, timed
function _M.bulk()
  run(function(r)
    local c = client()
    local nums = c.incoming_phone_numbers
    local list = assert(nums:list())
    local conc = tonumber(ngx.var.arg_concurrency) or 8
    ngx.update_time()
    local t0 = ngx.now()
    local results = assert(nums:update_many(list, { friendly_name = "rt" }, { concurrency = conc }))
    ngx.update_time()
    r.elapsed = ngx.now() - t0
    r.count, r.ok = #results, 0
    for _, res in ipairs(results) do if res.ok then r.ok = r.ok + 1 end end
  end)
end

return _M
