-- twilio.cli.output: records out as table, json, jsonl or csv, streamed.
--
--   local w = output.writer(sys, { format = "table", columns = {...}, width = 80 })
--   w:row(record)  ...  w:finish()
--
-- json and jsonl write each record as it comes (a whole record keeps the
-- API's own JSON text; --columns builds objects of those fields, in that
-- order). csv writes a header, then rows (RFC 4180, by twilio.core).
-- table keeps the first rows only to size its columns, then streams; it
-- fits the width given (cells cut with "…", then columns dropped from the
-- right, said on stderr). Memory is bounded by one batch whatever the count.
local core = require "twilio.core"
local term = require "twilio.cli.term"

local type, tostring, pairs, ipairs, concat = type, tostring, pairs, ipairs, table.concat
local fmt, rep = string.format, string.rep
local floor = math.floor

local _M = {}

_M.FORMATS = { "table", "json", "jsonl", "csv" }

-- JSON text of a Lua value; `keys` orders an object's members.
local ESC = { ['"'] = '\\"', ["\\"] = "\\\\", ["\b"] = "\\b", ["\f"] = "\\f", ["\n"] = "\\n",
              ["\r"] = "\\r", ["\t"] = "\\t" }
local function json_string(s)
  return '"' .. s:gsub('[%c"\\]', function(c) return ESC[c] or fmt("\\u%04x", c:byte()) end) .. '"'
end

local function json(v, keys)
  local t = type(v)
  if v == nil then return "null" end
  if t == "string" then return json_string(v) end
  if t == "boolean" then return tostring(v) end
  if t == "number" then
    if v ~= v or v == math.huge or v == -math.huge then return "null" end
    if v == floor(v) and v > -1e15 and v < 1e15 then return fmt("%d", v) end
    return fmt("%.17g", v)
  end
  if t == "table" then
    if keys then
      local parts = {}
      for i, k in ipairs(keys) do parts[i] = json_string(k) .. ":" .. json(v[k]) end
      return "{" .. concat(parts, ",") .. "}"
    end
    local n = #v
    if n > 0 or next(v) == nil and getmetatable(v) == _M.array then
      local parts = {}
      for i = 1, n do parts[i] = json(v[i]) end
      return "[" .. concat(parts, ",") .. "]"
    end
    local names = {}
    for k in pairs(v) do names[#names + 1] = tostring(k) end
    table.sort(names)
    local parts = {}
    for i, k in ipairs(names) do parts[i] = json_string(k) .. ":" .. json(v[k]) end
    return "{" .. concat(parts, ",") .. "}"
  end
  return "null"
end
_M.json = json
_M.array = {}   -- setmetatable({}, output.array) encodes as [] when empty

-- The value of column `col` ("capabilities.sms" reaches into an object).
local function value(rec, col)
  local a, b = col:match("^([^.]+)%.(.+)$")
  if a then
    local t = rec[a]
    if type(t) == "table" then return t[b] end
    return nil
  end
  return rec[col]
end
_M.value = value

-- Cell text: nil is empty; capabilities read "voice,sms,mms".
local function text(v)
  if v == nil then return "" end
  if type(v) == "table" then
    local on = {}
    for _, k in ipairs{ "voice", "sms", "mms", "fax" } do if v[k] == true then on[#on + 1] = k end end
    if #on > 0 or next(v) == nil then return concat(on, ",") end
    return json(v)
  end
  return (tostring(v):gsub("[%c]", " "))
end
_M.text = text

-- One line of JSON for a record: its own JSON text when it is a whole
-- record (raw newlines in JSON can only be whitespace, so they go), a built
-- object for chosen columns.
local function record_json(rec, columns)
  if columns then
    local obj = {}
    for _, c in ipairs(columns) do obj[c] = value(rec, c) end
    return json(obj, columns)
  end
  if type(rec) == "userdata" then return (core.record_json(rec):gsub("\r?\n%s*", "")) end
  return json(rec)
end

local Writer = {}
Writer.__index = Writer

local TABLE_BATCH = 200   -- rows kept to size the table's columns

-- opts: { format=, columns= (array) , all_columns= (for csv without --columns),
--         width= (table) , explicit_columns = bool }
function _M.writer(sys, opts)
  local self = setmetatable({ sys = sys, format = opts.format or "table", columns = opts.columns,
                              explicit = opts.explicit_columns, width = opts.width or 80,
                              buf = {}, n = 0 }, Writer)
  return self
end

function Writer:row(rec)
  local f = self.format
  self.n = self.n + 1
  if f == "jsonl" then
    self.sys.out(record_json(rec, self.explicit and self.columns or nil) .. "\n")
  elseif f == "json" then
    self.sys.out((self.n == 1 and "[\n" or ",\n") .. record_json(rec, self.explicit and self.columns or nil))
  elseif f == "csv" then
    local cols = self.columns
    if self.n == 1 then self.sys.out(core.csv_write({ cols })) end
    local r = {}
    for i, c in ipairs(cols) do
      local v = value(rec, c)
      r[i] = (v == nil or type(v) == "table") and "" or tostring(v)
    end
    local b = self.buf
    b[#b + 1] = r
    if #b >= 500 then self:flush_csv() end
  else
    local cells = {}
    for i, c in ipairs(self.columns) do cells[i] = text(value(rec, c)) end
    if self.widths then
      self:emit(cells)
    else
      local b = self.buf
      b[#b + 1] = cells
      if #b >= TABLE_BATCH then self:size_table() end
    end
  end
end

function Writer:flush_csv()
  if #self.buf > 0 then
    self.sys.out(core.csv_write(self.buf))
    self.buf = {}
  end
end

-- Natural widths from the header and the kept rows, then shrink to fit.
function Writer:size_table()
  local cols = self.columns
  local nat, data = {}, {}
  for i in ipairs(cols) do data[i] = 0 end
  for _, cells in ipairs(self.buf) do
    for i, s in ipairs(cells) do
      local l = term.ulen(s)
      if l > data[i] then data[i] = l end
    end
  end
  -- a header longer than its data is cut before any data is
  for i, c in ipairs(cols) do nat[i] = math.max(data[i], math.min(term.ulen(c), math.max(data[i], 8))) end
  local width = self.width
  local shown = #cols
  local function total(k)
    local s = 0
    for i = 1, k do s = s + nat[i] end
    return s + 2 * (k - 1)
  end
  -- identifiers (numbers, SIDs) are never cut; other columns shrink,
  -- widest first, down to 6 cells; then columns go from the right
  local floor_w = {}
  for i, c in ipairs(cols) do
    local ident = c == "phone_number" or c == "sid" or c:match("_sid$")
    floor_w[i] = ident and nat[i] or math.min(nat[i], 6)
  end
  while total(shown) > width do
    local wi, ww = nil, 0
    for i = 1, shown do
      if nat[i] > floor_w[i] and nat[i] > ww then wi, ww = i, nat[i] end
    end
    if wi then
      nat[wi] = nat[wi] - 1
    elseif shown > 1 then
      shown = shown - 1
    else
      nat[1] = math.max(1, width)
      break
    end
  end
  -- room left (columns were dropped after the others shrank to their
  -- floor): give it back, to the column missing the most first
  local want = {}
  for i, c in ipairs(cols) do want[i] = math.max(data[i], math.min(term.ulen(c), math.max(data[i], 8))) end
  local room = width - total(shown)
  while room > 0 do
    local wi, deficit = nil, 0
    for i = 1, shown do
      if want[i] - nat[i] > deficit then wi, deficit = i, want[i] - nat[i] end
    end
    if not wi then break end
    nat[wi] = nat[wi] + 1
    room = room - 1
  end
  -- room left: give cut headers their full names back
  for i = 1, shown do
    local full = term.ulen(cols[i])
    local left = width - total(shown)
    if full > nat[i] and left > 0 then nat[i] = nat[i] + math.min(left, full - nat[i]) end
  end
  if shown < #cols then
    local hidden = {}
    for i = shown + 1, #cols do hidden[#hidden + 1] = cols[i] end
    self.sys.err(fmt("(%d column%s hidden to fit %d characters: %s; use --columns or --width)\n",
                     #hidden, #hidden == 1 and "" or "s", width, concat(hidden, ",")))
  end
  self.widths, self.shown = nat, shown
  local header = {}
  for i = 1, shown do header[i] = cols[i]:upper() end
  self:emit(header)
  for _, cells in ipairs(self.buf) do self:emit(cells) end
  self.buf = {}
end

function Writer:emit(cells)
  local out = {}
  local last = self.shown
  for i = 1, last do
    local s = term.fit(cells[i] or "", self.widths[i])
    if i < last then s = s .. rep(" ", self.widths[i] - term.ulen(s)) end
    out[i] = s
  end
  self.sys.out((concat(out, "  "):gsub("%s+$", "")) .. "\n")
end

function Writer:finish()
  local f = self.format
  if f == "json" then
    self.sys.out(self.n == 0 and "[]\n" or "\n]\n")
  elseif f == "csv" then
    if self.n == 0 then self.sys.out(core.csv_write({ self.columns })) end
    self:flush_csv()
  elseif f == "table" then
    -- no rows: nothing on stdout (a header alone reads as data)
    if not self.widths and #self.buf > 0 then self:size_table() end
  end
end

-- Edit distance, for "did you mean".
local function distance(a, b)
  local prev = {}
  for j = 0, #b do prev[j] = j end
  for i = 1, #a do
    local cur = { [0] = i }
    for j = 1, #b do
      local cost = a:byte(i) == b:byte(j) and 0 or 1
      cur[j] = math.min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + cost)
    end
    prev = cur
  end
  return prev[#b]
end

function _M.suggest(word, candidates)
  local best, bd = nil, math.huge
  for _, c in ipairs(candidates) do
    local d = distance(word, c)
    if d < bd then best, bd = c, d end
  end
  if best and bd <= math.max(2, floor(#word / 3)) then return best end
  return nil
end

-- parse_columns("sid,phone_number", known) -> array | nil, message
function _M.parse_columns(spec, known)
  local set = {}
  for _, k in ipairs(known) do set[k] = true end
  local cols = {}
  for c in spec:gmatch("[^,%s]+") do
    if not set[c] then
      local s = _M.suggest(c, known)
      return nil, fmt("unknown column '%s'%s (columns: %s)", c, s and fmt("; did you mean '%s'?", s) or "",
                      concat(known, ","))
    end
    cols[#cols + 1] = c
  end
  if #cols == 0 then return nil, "--columns needs at least one column name" end
  return cols
end

return _M
