-- twilio_emulator.faults: targeted, counted faults on API requests.
-- A fault = { fault = kind, method = "POST"|nil, path = lua pattern|nil,
--             count = N (default 1; -1 = until cleared), ...kind options }.
-- The first pending fault that matches a request is used and its count
-- decremented; one request gets at most one fault.
local state = require "twilio_emulator.state"

local type, tonumber, pcall, find = type, tonumber, pcall, string.find

local _M = {}

_M.KINDS = {
  status = true, drop_before = true, drop_after = true, delay = true, truncate = true,
  malformed = true, oversize = true, content_type = true, foreign_next_page = true, respond = true,
}

local id = 0

-- Validate and queue one fault; returns the stored fault or nil, message.
function _M.add(f)
  if type(f) ~= "table" then return nil, "a fault must be a JSON object" end
  if not _M.KINDS[f.fault] then return nil, "unknown fault: " .. tostring(f.fault) end
  if f.method ~= nil and type(f.method) ~= "string" then return nil, "method must be a string" end
  if f.path ~= nil then
    if type(f.path) ~= "string" then return nil, "path must be a string (a Lua pattern)" end
    local ok = pcall(find, "", f.path)
    if not ok then return nil, "path is not a valid Lua pattern" end
  end
  local count = f.count == nil and 1 or tonumber(f.count)
  if not count or count == 0 or count < -1 or count ~= math.floor(count) then
    return nil, "count must be a positive integer or -1"
  end
  if f.fault == "status" or f.fault == "respond" then
    local s = tonumber(f.status or (f.fault == "status" and 503 or 200))
    if not s or s < 100 or s > 599 then return nil, "status must be 100..599" end
    f.status = s
  end
  if f.body_type ~= nil and f.body_type ~= "json" and f.body_type ~= "html" and f.body_type ~= "empty" then
    return nil, "body_type must be json, html or empty"
  end
  if f.delay_ms ~= nil and (not tonumber(f.delay_ms) or tonumber(f.delay_ms) < 0) then
    return nil, "delay_ms must be a non-negative number"
  end
  if f.fault == "delay" and f.delay_ms == nil then f.delay_ms = 1000 end
  if f.bytes ~= nil and (not tonumber(f.bytes) or tonumber(f.bytes) < 1) then
    return nil, "bytes must be a positive number"
  end
  if f.headers ~= nil and type(f.headers) ~= "table" then return nil, "headers must be an object" end
  if f.body ~= nil and type(f.body) ~= "string" then return nil, "body must be a string" end
  if f.method then f.method = f.method:upper() end
  id = id + 1
  f.id = id
  f.count = count
  f.hits = 0
  local list = state.faults
  list[#list + 1] = f
  return f
end

function _M.match(method, path)
  local list = state.faults
  for i = 1, #list do
    local f = list[i]
    if (not f.method or f.method == method) and (not f.path or find(path, f.path)) then
      f.hits = f.hits + 1
      if f.count > 0 then
        f.count = f.count - 1
        if f.count == 0 then table.remove(list, i) end
      end
      return f
    end
  end
  return nil
end

function _M.clear()
  state.faults = {}
end

return _M
