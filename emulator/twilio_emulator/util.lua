-- twilio_emulator.util: JSON text building, SIDs, dates, query strings, errors.
-- Record JSON is written by hand (fixed key order, no "\/" escaping) so that
-- each record can be serialized once and cached as a string.
local ngx = ngx
local byte, char, fmt, gsub, sub = string.byte, string.char, string.format, string.gsub, string.sub
local concat, sort, tostring, type, pairs = table.concat, table.sort, tostring, type, pairs
local floor = math.floor

local _M = {}

_M.API_VERSION = "2010-04-01"

-- JSON -------------------------------------------------------------------

local escapes = { ['"'] = '\\"', ["\\"] = "\\\\", ["\b"] = "\\b", ["\f"] = "\\f",
                  ["\n"] = "\\n", ["\r"] = "\\r", ["\t"] = "\\t" }
local function esc(c)
  return escapes[c] or fmt("\\u%04x", byte(c))
end

local find = string.find
local function jstr(s)
  if not find(s, '[%c"\\]') then return '"' .. s .. '"' end
  return '"' .. gsub(s, '[%c"\\]', esc) .. '"'
end
_M.jstr = jstr

local encode_value
-- arrays: tables with a positive [1] or the marker field __array
local function encode_table(t)
  if t[1] ~= nil or rawget(t, "__array") then
    local out = {}
    for i = 1, #t do out[i] = encode_value(t[i]) end
    return "[" .. concat(out, ",") .. "]"
  end
  local keys = {}
  for k in pairs(t) do keys[#keys + 1] = k end
  sort(keys)
  local out = {}
  for i = 1, #keys do
    local k = keys[i]
    out[i] = jstr(k) .. ": " .. encode_value(t[k])
  end
  return "{" .. concat(out, ", ") .. "}"
end

encode_value = function(v)
  local tv = type(v)
  if v == nil or v == _M.null then return "null" end
  if tv == "string" then return jstr(v) end
  if tv == "boolean" then return v and "true" or "false" end
  if tv == "number" then
    if v == floor(v) and v > -1e15 and v < 1e15 then return fmt("%d", v) end
    return tostring(v)
  end
  if tv == "table" then return encode_table(v) end
  return "null"
end
_M.encode = encode_value

-- Encode an object with keys in the given order. fields: array of names,
-- rec: the values (nil -> null).
function _M.object(fields, rec)
  local out = {}
  for i = 1, #fields do
    local k = fields[i]
    out[i] = '"' .. k .. '": ' .. encode_value(rec[k])
  end
  return "{" .. concat(out, ", ") .. "}"
end

-- a sentinel for JSON null in plain tables
_M.null = setmetatable({}, { __tostring = function() return "null" end })

-- SIDs ---------------------------------------------------------------------

-- Deterministic 32-hex SID: prefix .. md5(seed).
function _M.sid(prefix, seed)
  return prefix .. ngx.md5(seed)
end

-- Ordered SID: 16 hex of md5(prefix) then a 16-hex counter, so that
-- lexicographic order is creation order (used by the PageToken cursor).
local ordered_base = {}
function _M.ordered_sid(prefix, n)
  local base = ordered_base[prefix]
  if not base then
    base = sub(ngx.md5("twilio-emulator-" .. prefix), 1, 16)
    ordered_base[prefix] = base
  end
  return prefix .. base .. fmt("%016x", n)
end

function _M.is_sid(s, prefix)
  return type(s) == "string" and #s == 34 and sub(s, 1, 2) == prefix
    and s:find("^%u%u[0-9a-fA-F]+$") ~= nil
end

-- Dates ---------------------------------------------------------------------

local last_t, last_s
function _M.rfc2822(t)
  if t ~= last_t then last_t, last_s = t, os.date("!%a, %d %b %Y %H:%M:%S +0000", t) end
  return last_s
end

-- Query strings --------------------------------------------------------------

local escape_uri = ngx.escape_uri
function _M.encode_query(pairs_list)
  local out = {}
  for i = 1, #pairs_list do
    local p = pairs_list[i]
    out[i] = escape_uri(p[1]) .. "=" .. escape_uri(tostring(p[2]))
  end
  return concat(out, "&")
end

-- Form / query values: ngx gives a table for repeated keys; keep the last.
function _M.flatten(args)
  local out = {}
  for k, v in pairs(args) do
    if type(v) == "table" then v = v[#v] end
    if v == true then v = "" end
    out[k] = v
  end
  return out
end

function _M.parse_bool(v)
  if v == nil then return nil, true end
  local l = v:lower()
  if l == "true" then return true, true end
  if l == "false" then return false, true end
  return nil, false
end

-- CSV (RFC 4180) ---------------------------------------------------------------

local function csv_cell(v)
  if v == nil or v == _M.null then return "" end
  local tv = type(v)
  if tv == "table" then v = encode_value(v)
  elseif tv == "boolean" then v = v and "true" or "false"
  else v = tostring(v) end
  if v:find('[,"\r\n]') then
    return '"' .. gsub(v, '"', '""') .. '"'
  end
  return v
end

function _M.csv(columns, rows)
  local out = {}
  local header = {}
  for i = 1, #columns do header[i] = csv_cell(columns[i]) end
  out[1] = concat(header, ",")
  for r = 1, #rows do
    local row, cells = rows[r], {}
    for i = 1, #columns do cells[i] = csv_cell(row[columns[i]]) end
    out[r + 1] = concat(cells, ",")
  end
  return concat(out, "\r\n") .. "\r\n"
end

-- Errors ------------------------------------------------------------------------

function _M.error_body(status, code, message)
  return "{" .. '"code": ' .. fmt("%d", code) .. ', "message": ' .. jstr(message)
    .. ', "more_info": "https://www.twilio.com/docs/errors/' .. fmt("%d", code) .. '"'
    .. ', "status": ' .. fmt("%d", status) .. "}"
end

-- A response table as the handlers return it.
function _M.err(status, code, message)
  return { status = status, body = _M.error_body(status, code, message),
           headers = { ["Content-Type"] = "application/json; charset=utf-8" } }
end

function _M.json(status, body)
  return { status = status, body = body,
           headers = { ["Content-Type"] = "application/json; charset=utf-8" } }
end

_M.char = char
return _M
