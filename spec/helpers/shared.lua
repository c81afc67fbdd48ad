-- spec/helpers/shared.lua -- where ../shared (the shared facts: the OpenAPI
-- document, the peer vectors) is, and the one way a spec that needs it skips.
--
--   local shared = require "helpers.shared"
--   local dir = shared.dir("conformance/peer-vectors.json")   -- nil when absent
--   it("...", function()
--     local dir = shared.need(pending, "twilio-oai/twilio_api_v2010.json", "spec drift")
--     ...                                                     -- pending when absent
--   end)
--
-- A skip reads "needs ../shared/FILE (what)": tests/run sums these up as
-- "skipped: N (../shared absent: what, ...)". Candidates:
-- $TWILIO_NUMBERS_ROOT/../shared, then <clone>/../shared from this file.
local _M = {}

local function script_dir()
  local src = debug.getinfo(1, "S").source
  if src:sub(1, 1) ~= "@" then return nil end
  src = src:sub(2)
  if src:sub(1, 1) ~= "/" then src = "./" .. src end
  return src:match("^(.*)/[^/]*$")
end

local function readable(path)
  local f = io.open(path, "rb")
  if f then f:close(); return true end
  return false
end

-- dir(file) -> the shared directory holding `file` (relative to it) | nil, where looked
function _M.dir(file)
  local tried = {}
  local root = os.getenv("TWILIO_NUMBERS_ROOT")
  if root and root ~= "" then tried[#tried + 1] = root .. "/../shared" end
  local here = script_dir()
  if here then tried[#tried + 1] = here .. "/../../../shared" end
  for _, d in ipairs(tried) do
    if readable(d .. "/" .. file) then return d end
  end
  return nil, "no " .. file .. " in " .. table.concat(tried, " or ")
end

-- The reason a skip gives: "needs ../shared/FILE (what)".
function _M.reason(file, what)
  return "needs ../shared/" .. file .. " (" .. what .. ")"
end

-- Inside an `it`: the directory, or the test is marked pending (busted's
-- pending stops the test there). busted gives `pending` to spec files only,
-- so the spec passes its own.
function _M.need(pending, file, what)
  local d = _M.dir(file)
  if not d then pending(_M.reason(file, what)) end
  return d
end

return _M
