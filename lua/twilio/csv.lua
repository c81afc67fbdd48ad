-- twilio.csv: CSV both ways.
--
-- Reading: the API's .csv list representation has a header row and no
-- defined column order (Twilio says so, and new columns appear), so rows are
-- mapped by header name, never by position. Every value reads back as a
-- string ("true", "1", "+1415..."); an empty cell reads as nil (absent):
--   local rows = assert(twilio.csv.read(text))     -- { { sid = "PN…", phone_number = "+1…", ... }, ... }
--   local rows = assert(numbers:csv{ friendly_name = "Support" })  -- the whole listing (or limit), as rows
-- Writing: numbers out with a stable, documented column order (COLUMNS),
-- RFC 4180 quoting (commas, quotes and newlines inside friendly names), from
-- an array, an iterator or a cursor, into a string or a file handle:
--   local text = twilio.csv.write(numbers:list())
--   local text = twilio.csv.write(list, { columns = { "sid", "phone_number", "friendly_name" } })
--   assert(twilio.csv.write(numbers:each{}, { file = io.open("numbers.csv", "wb") }))  -- constant memory
-- Round trip: twilio.csv.write(twilio.csv.read(text)) == text for any text
-- write made (rows keep flattened names like "capabilities.voice").
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

-- A member of a JSON object held as text: the API's own CSV writes nested
-- objects as JSON ("capabilities" = '{"voice": true, "sms": false, ...}').
-- Only flat scalar members are read (all such objects in this API are flat).
local function json_member(text, key)
  local v = text:match('"' .. key:gsub("%W", "%%%0") .. '"%s*:%s*("[^"]*")')
         or text:match('"' .. key:gsub("%W", "%%%0") .. '"%s*:%s*([^,}%s]+)')
  if v == nil or v == "null" then return nil end
  return (v:gsub('^"(.*)"$', "%1"))
end

-- The text of one cell. rec is a twilio.PhoneNumber (nested objects are
-- tables), a row from read() (flat names: "capabilities.voice"), or a row
-- of the API's own CSV (nested objects as JSON text).
local function cell(rec, column)
  local v = rec[column]
  if v == nil then
    local a, b = column:match("^([^.]+)%.(.+)$")
    if a then
      local t = rec[a]
      if type(t) == "table" then v = t[b]
      elseif type(t) == "string" then v = json_member(t, b) end
    end
  end
  if v == nil or type(v) == "table" or type(v) == "userdata" then return "" end
  return tostring(v)
end

local function check_columns(columns)
  if type(columns) ~= "table" or columns[1] == nil then
    error("twilio.csv.write: columns must be a non-empty array of names", 3)
  end
  for i, c in ipairs(columns) do
    if type(c) ~= "string" or c == "" then
      error("twilio.csv.write: columns[" .. i .. "] must be a non-empty string", 3)
    end
  end
  return columns
end

local WRITE_OPTS = { columns = true, file = true, chunk = true }

-- The rows of a source, one at a time: next_record() -> record | nil | nil, err.
-- source: an array, an iterator function (numbers:each{...}: it raises its
-- failures) or a cursor (numbers:cursor{...}: cur:next() -> item | nil, err).
local function records_of(source)
  local ts = type(source)
  if ts == "function" then return source end
  if ts == "table" and type(source.next) == "function" and source[1] == nil then
    return function() return source:next() end
  end
  if ts ~= "table" then
    error("twilio.csv.write: an array of records, an iterator or a cursor expected", 3)
  end
  local i = 0
  return function()
    i = i + 1
    return source[i]
  end
end

-- write(source, opts) -> CSV text | (with opts.file) number of records | nil, err
-- source: array of records (twilio.PhoneNumber objects or rows from read),
--         an iterator function (numbers:each{...}) or a cursor (numbers:cursor{...}).
-- opts:   { columns = { ... } (default COLUMNS), file = a file handle (written
--         in chunks, nothing kept: constant memory; the caller closes it) }.
--         An array of column names is accepted in place of opts (the old form).
-- CRLF line ends, header first.
function _M.write(source, opts)
  local columns, file, chunk = _M.COLUMNS, nil, 256
  if opts ~= nil then
    if type(opts) ~= "table" then error("twilio.csv.write: options must be a table", 2) end
    if opts[1] ~= nil then
      columns = check_columns(opts)
    else
      for k in pairs(opts) do
        if not WRITE_OPTS[k] then
          error("twilio.csv.write: unknown option '" .. tostring(k) .. "' (columns, file)", 2)
        end
      end
      if opts.columns ~= nil then columns = check_columns(opts.columns) end
      file = opts.file
      if file ~= nil and (type(file) ~= "userdata" and type(file) ~= "table" or not file.write) then
        error("twilio.csv.write: file must be a file handle (io.open(path, \"wb\"))", 2)
      end
      chunk = opts.chunk or chunk
    end
  end
  local next_record = records_of(source)
  local out, nout = {}, 0
  local function emit(text)
    if file then
      local ok, werr = file:write(text)
      if not ok then return nil, errors.new("io", "cannot write the CSV file: " .. tostring(werr)) end
    else
      nout = nout + 1
      out[nout] = text
    end
    return true
  end
  local rows, n, count, ncol = { columns }, 1, 0, #columns
  while true do
    local rec, err = next_record()
    if rec == nil then
      if err ~= nil then return nil, err end
      break
    end
    local row = {}
    for j = 1, ncol do row[j] = cell(rec, columns[j]) end
    n = n + 1
    rows[n] = row
    count = count + 1
    if n >= chunk then
      local ok, werr = emit(core.csv_write(rows))
      if not ok then return nil, werr end
      rows, n = {}, 0
    end
  end
  if n > 0 then
    local ok, werr = emit(core.csv_write(rows))
    if not ok then return nil, werr end
  end
  if file then return count end
  return table.concat(out)
end

-- A record as a row: every field, nested objects flattened with "."
-- ("capabilities.voice"), values as text, empty values absent: the rows
-- read(write(records)) gives.
local function as_row(rec)
  local row = {}
  for k, v in pairs(core.record_totable(rec)) do
    if type(v) == "table" then
      for k2, v2 in pairs(v) do
        if type(v2) ~= "table" and v2 ~= "" then row[k .. "." .. k2] = tostring(v2) end
      end
    elseif v ~= "" then
      row[k] = tostring(v)
    end
  end
  return row
end

-- list:csv{ filters, limit = } -> every row of the listing (or the first
-- `limit`), read page by page (page_size 1000 unless given): rows keyed by
-- field name, nested objects flattened ("capabilities.voice"), values as text.
-- The API's .csv representation carries no paging envelope, so the pages
-- come from the JSON listing; fetch_page below reads one page of the .csv.
function _M.fetch(list, params, opts)
  local cur, err = list:cursor(params, opts)
  if not cur then return nil, err end
  local out, n = {}, 0
  while true do
    local item, ierr = cur:next()
    if ierr then return nil, ierr end
    if item == nil then return out end
    n = n + 1
    out[n] = as_row(item)
  end
end

-- fetch_page(list, { filters, page_size = 1000 }) -> rows of ONE page of the
-- API's own .csv representation, by header name (Twilio's columns: nested
-- objects as JSON text). It carries no paging envelope: fetch() reads all.
function _M.fetch_page(list, params, opts)
  local p = {}
  if params then for k, v in pairs(params) do p[k] = v end end
  if p.limit ~= nil then error("twilio.csv.fetch_page: limit does not apply (one page; use page_size)", 2) end
  if p.page_size == nil then p.page_size = 1000 end   -- the API's maximum (its default is 50)
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
