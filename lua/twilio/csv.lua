-- twilio.csv: CSV both ways.
--
-- Reading: the API's .csv list representation has a header row and no
-- defined column order (Twilio says so, and new columns appear), so rows are
-- mapped by header name, never by position:
--   local rows = assert(twilio.csv.read(text))     -- { { sid = "PN…", phone_number = "+1…", ... }, ... }
--   local rows = assert(numbers:csv{ friendly_name = "Support" })  -- one request to the .csv URL
-- Writing: numbers out with a stable, documented column order (COLUMNS),
-- RFC 4180 quoting (commas, quotes and newlines inside friendly names):
--   local text = twilio.csv.write(numbers:list())
--   local text = twilio.csv.write(list, { "sid", "phone_number", "friendly_name" })
local core = require "twilio.core"
local errors = require "twilio.errors"

local type, tostring, ipairs, pairs, error = type, tostring, ipairs, pairs, error

local _M = {}

-- The export columns, in this order: every field of the resource, nested
-- objects flattened with "." (capabilities.voice ...). Append-only: new
-- columns go at the end so that spreadsheets keep working.
_M.COLUMNS = {
  "sid", "phone_number", "friendly_name", "account_sid", "status", "type", "origin",
  "capabilities.voice", "capabilities.sms", "capabilities.mms", "capabilities.fax",
  "voice_url", "voice_method", "voice_fallback_url", "voice_fallback_method",
  "voice_caller_id_lookup", "voice_application_sid", "voice_receive_mode", "trunk_sid",
  "sms_url", "sms_method", "sms_fallback_url", "sms_fallback_method", "sms_application_sid",
  "status_callback", "status_callback_method",
  "address_sid", "address_requirements", "emergency_status", "emergency_address_sid",
  "emergency_address_status", "identity_sid", "bundle_sid", "beta", "api_version",
  "date_created", "date_updated", "uri",
}

-- read(text) -> array of rows keyed by header name | nil, err
-- Empty cells read as nil; a row with more cells than the header is an error
-- (the data would be silently dropped otherwise).
function _M.read(text)
  if type(text) ~= "string" then error("twilio.csv.read: a string expected", 2) end
  local rows, err = core.csv_parse(text)
  if not rows then return nil, err end
  local header = rows[1]
  if not header then return {} end
  for i, name in ipairs(header) do
    if name == "" then
      return nil, errors.new("decode", "CSV header column " .. i .. " has no name")
    end
    for j = 1, i - 1 do
      if header[j] == name then return nil, errors.new("decode", "CSV header repeats column '" .. name .. "'") end
    end
  end
  local out = {}
  for r = 2, #rows do
    local cells = rows[r]
    if #cells > #header then
      return nil, errors.new("decode", ("CSV row %d has %d cells for %d columns"):format(r, #cells, #header))
    end
    local row = {}
    for i, name in ipairs(header) do
      local v = cells[i]
      if v ~= nil and v ~= "" then row[name] = v end
    end
    out[#out + 1] = row
  end
  return out
end

local function cell(rec, column)
  local v
  local a, b = column:match("^([^.]+)%.(.+)$")
  if a then
    local t = rec[a]
    v = type(t) == "table" and t[b] or nil
  else
    v = rec[column]
  end
  if v == nil then return "" end
  if type(v) == "table" then return "" end
  return tostring(v)
end

-- write(records, columns) -> CSV text (CRLF line ends, header first).
-- records: an array of twilio.PhoneNumber objects (or plain tables).
function _M.write(records, columns)
  if type(records) ~= "table" then error("twilio.csv.write: an array of records expected", 2) end
  columns = columns or _M.COLUMNS
  local rows = { columns }
  for i, rec in ipairs(records) do
    local row = {}
    for j, col in ipairs(columns) do row[j] = cell(rec, col) end
    rows[i + 1] = row
  end
  return core.csv_write(rows)
end

-- list:csv{ filters } -> rows read from the API's .csv representation.
-- That representation carries no paging envelope, so this reads one page
-- (page_size up to 1000); use write(list:list()) for whole accounts.
function _M.fetch(list, params, opts)
  local p = {}
  if params then for k, v in pairs(params) do p[k] = v end end
  if p.limit ~= nil then error("twilio: csv: limit does not apply (one page; use page_size)", 3) end
  opts = list.client:call_options(opts)
  local req, err = list.client.cfg:build(list.list_op, list.path, p, "csv")
  if not req then return nil, err end
  req.headers.Accept = "text/csv"
  local res, serr = list.client:send(req, opts)
  if not res then return nil, serr end
  local rows, perr = _M.read(res.body)
  if not rows then perr.status = res.status end
  return rows, perr
end

return _M
