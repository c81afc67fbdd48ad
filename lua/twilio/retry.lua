-- twilio.retry: when a failed request may be sent again, and after how long.
--
-- Rules (issue 6; PEERS.md take-aways):
--  * 429: retried for every method (Twilio did not process the request).
--  * a request that never reached the server (connect or DNS failure,
--    err.sent == false): retried for every method.
--  * 5xx, timeouts and dropped connections after sending: retried only when
--    repeating is harmless (req.idempotent: GET, DELETE, updates). A purchase
--    is never resent blindly; list.lua recovers it instead.
--  * delay: Retry-After (seconds or HTTP date) for 429 and 503 when given,
--    else full-jitter exponential backoff: random(0, min(cap, base * 2^n)).
local random, min = math.random, math.min

local _M = {}

local DEFAULTS = { max = 2, base = 0.25, cap = 8, max_wait = 60 }

-- policy(opts.retries) -> normalised policy table.
-- retries may be a number (the budget; 0 turns retries off) or a table
-- { max =, base =, cap =, max_wait = }.
function _M.policy(retries)
  local p = { max = DEFAULTS.max, base = DEFAULTS.base, cap = DEFAULTS.cap, max_wait = DEFAULTS.max_wait }
  if type(retries) == "number" then
    p.max = retries
  elseif type(retries) == "table" then
    for k, v in pairs(retries) do
      if p[k] == nil then error("twilio: unknown retries option '" .. tostring(k) .. "'", 3) end
      if type(v) ~= "number" or v < 0 or v ~= v then
        error("twilio: retries." .. k .. " must be a non-negative number", 3)
      end
      p[k] = v
    end
  elseif retries ~= nil then
    error("twilio: retries must be a number or a table", 3)
  end
  return p
end

local function backoff(p, attempt)
  return random() * min(p.cap, p.base * 2 ^ attempt)
end

-- Whether err (from the attempt numbered `attempt`, 0-based) may be retried,
-- and after how many seconds. Returns nil when it must not be.
function _M.delay(p, attempt, req, err)
  if attempt >= p.max then return nil end
  local status = err.status
  local retry_ok
  if status == 429 then
    retry_ok = true
  elseif err.kind == "transport" or err.kind == "timeout" then
    retry_ok = req.idempotent or err.sent == false
  elseif err.kind == "api" and type(status) == "number" and status >= 500 then
    retry_ok = req.idempotent
  end
  if not retry_ok then return nil end
  if (status == 429 or status == 503) and err.retry_after then
    if err.retry_after > p.max_wait then return nil end
    return err.retry_after
  end
  return backoff(p, attempt)
end

-- The outcome of a request whose answer was lost: "applied" when a 2xx
-- status arrived (the body was cut, too big or unreadable), "unknown" when it
-- may have been applied, "not_applied" when it certainly was not.
function _M.outcome(err)
  local s = err.status
  if type(s) == "number" and s >= 200 and s < 300 then return "applied" end
  if err.kind == "transport" or err.kind == "timeout" then
    return err.sent == false and "not_applied" or "unknown"
  end
  if err.kind == "api" and type(err.status) == "number" and err.status >= 500 then
    return "unknown"
  end
  if err.kind == "decode" then return "unknown" end
  return "not_applied"
end

-- Whether a failed DELETE nevertheless leaves the object gone: a 2xx whose
-- body could not be read (a DELETE's answer carries nothing we need), or a
-- 404 on a retry after an attempt that may have been applied (answer lost,
-- or a 5xx: that attempt deleted it). A 404 on the first attempt, or after
-- a 429 or an unsent attempt, means the object was not there: an error.
function _M.deleted(err)
  local s = err.status
  if type(s) ~= "number" then return false end
  if s >= 200 and s < 300 then return true end
  return s == 404 and (err.retries or 0) > 0 and err.maybe_applied_before == true
end

return _M
