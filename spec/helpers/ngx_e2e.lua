-- spec/helpers/ngx_e2e.lua -- the twilio facade driven from inside the test
-- nginx against the emulator (spec/nginx/e2e_spec.lua). Each handler runs one
-- scenario and answers a JSON report; raised errors are reported, not lost.
-- luacheck: globals ngx
local ngx = ngx
local cjson = require "cjson.safe"
local report = require "helpers.ngx_report"
local client, run = report.client, report.run

local _M = {}

local function err_table(e)
  if type(e) ~= "table" then return { raised = tostring(e) } end
  return { kind = e.kind, status = e.status, code = e.code, message = e.message,
           is_error = require("twilio").is_error(e), sent = e.sent, text = tostring(e) }
end

-- create 3 numbers, list across pages, fetch, update, release, errors
function _M.flow()
  run(function(r)
    local c = client()
    local nums = c.incoming_phone_numbers
    r.transport = (getmetatable(require("twilio.transport.pick").pick()) or {}).__index
      == require("twilio.transport.ngx") and "ngx" or "other"
    r.created = {}
    for i = 1, 3 do
      local n, err = nums:create{ area_code = "415", friendly_name = "e2e " .. i }
      if not n then r.create_err = err_table(err) return end
      r.created[i] = { sid = n.sid, phone_number = n.phone_number, friendly_name = n.friendly_name }
    end
    local all, lerr = nums:list{ page_size = 2 }
    if not all then r.list_err = err_table(lerr) return end
    r.listed = {}
    for i, n in ipairs(all) do r.listed[i] = n.sid end
    local count = 0
    for _ in nums:each{ page_size = 1 } do count = count + 1 end
    r.each_count = count

    local sid = r.created[1].sid
    local n, ferr = nums:fetch(sid)
    if not n then r.fetch_err = err_table(ferr) return end
    r.fetched = n.phone_number
    local u, uerr = n:update{ friendly_name = "updated via nginx", voice_url = "https://example.com/voice" }
    if not u then r.update_err = err_table(uerr) return end
    r.updated_in_place = n.friendly_name
    local again = assert(nums:fetch(sid))
    r.refetched = { friendly_name = again.friendly_name, voice_url = again.voice_url }

    local rel, rerr = n:release()
    if not rel then r.release_err = err_table(rerr) return end
    r.released = true
    local gone, gerr = nums:fetch(sid)
    r.fetch_released = gone and "found" or err_table(gerr)
    local after = assert(nums:list{})
    r.after_release = #after

    local _, nf = nums:fetch("PN" .. string.rep("0", 32))
    r.not_found = err_table(nf)
    local mok, mres, merr = pcall(again.update, again, { no_such_field = "x" })
    r.misuse = { raised = not mok, message = not mok and tostring(mres) or nil,
                 returned = mok and not mres and err_table(merr) or nil }
  end)
end

-- a list call through a delayed emulator (the spec measures other requests meanwhile)
function _M.slow_list()
  run(function(r)
    local t0 = ngx.now()
    local all, err = client().incoming_phone_numbers:list{}
    ngx.update_time()
    r.elapsed_ms = (ngx.now() - t0) * 1000
    r.count = all and #all
    r.err = err and err_table(err)
  end)
end

-- a timeout through the facade: no retries, 300 ms budget
function _M.timeout()
  run(function(r)
    local c = client{ retries = 0, timeout = 0.3 }
    local _, err = c.incoming_phone_numbers:list{}
    r.err = err_table(err)
  end)
end

-- pick() refuses the log phase: the facade returns the error, nothing is sent
function _M.log_phase()
  local c = client()
  local ok, res, err = pcall(c.incoming_phone_numbers.list, c.incoming_phone_numbers, {})
  ngx.shared.twtest:set("log_phase", cjson.encode{ ok = ok, res = res and #res, err = err_table(err or res) })
end

-- bulk updates inside nginx: ngx.thread workers on cosockets, in parallel
function _M.bulk()
  run(function(r)
    local c = client()
    local nums = c.incoming_phone_numbers
    local list = assert(nums:list())
    ngx.update_time()
    local t0 = ngx.now()
    local progress = 0
    local results = nums:update_many(list, function(_, i) return { friendly_name = "ngx bulk " .. i } end,
      { concurrency = 8, on_progress = function() progress = progress + 1 end })
    ngx.update_time()
    r.elapsed = ngx.now() - t0
    r.count, r.ok, r.progress = #results, 0, progress
    for i, res in ipairs(results) do
      if res.ok and list[i].friendly_name == "ngx bulk " .. i then r.ok = r.ok + 1 end
    end
    local bad = nums:update_many({ "PN" .. string.rep("0", 32) }, { friendly_name = "x" })
    r.bad_status = bad[1].error and bad[1].error.status
  end)
end

-- a 429 with Retry-After inside nginx: the retry waits with ngx.sleep
function _M.retry_429()
  run(function(r)
    ngx.update_time()
    local t0 = ngx.now()
    local all, err = client{ retries = 2 }.incoming_phone_numbers:list{}
    ngx.update_time()
    r.elapsed_ms = (ngx.now() - t0) * 1000
    r.count = all and #all
    r.retries = err and err.retries
    r.err = err and err_table(err)
  end)
end

return _M
