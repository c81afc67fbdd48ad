-- The fault matrix (issue 6): every emulator fault against every operation it
-- applies to, through the library, with the outcome checked: the result or
-- the error kind, the retries made, the requests the emulator saw and the
-- numbers bought.
--
-- The matrix is data (FAULTS x OPS -> CELLS below). One `it` is generated per
-- cell, and the markdown table in docs/RELIABILITY.md is printed from the same
-- data by tools/fault-matrix (a spec below checks the doc is up to date).
-- Loaded as loadfile(path)("fault-matrix:data") it only returns the data.
--
-- A cell is a string of words:
--   ok | <error kind>      the result, or err.kind (api, timeout, transport, decode, invalid)
--   rN                     retries made (on_retry calls; err.retries / n:call_info().retries)
--   qN                     API requests the emulator saw (the recovery lookup included)
--   pN                     numbers bought (emulator stats; 0 when omitted)
--   recovered              a create whose answer was lost, found by the exact lookup
--   not_applied | unknown | applied   err.outcome of a failed create
--   -                      the fault does not apply to that operation
local M = {}

-- Settings every cell uses (fast: tiny backoff, short timeout).
M.CLIENT = { retries = { max = 2, base = 0.01, cap = 0.05 }, timeout = 0.3, max_body = 256 * 1024 }
M.DELAY_MS = 800           -- the "delay" fault: longer than the 0.3 s timeout
M.OVERSIZE = 1024 * 1024   -- the "oversize" fault: larger than max_body

-- Operations: what the fault is aimed at (method + Lua pattern on the path).
M.OPS = {
  { id = "list_first", label = "list, page 1", method = "GET", path = "/IncomingPhoneNumbers%.json$",
    call = "numbers:list{ page_size = 2 }", note = " (3 numbers: 2 pages)", page = true },
  { id = "list_later", label = "list, page 2", method = "GET", path = "/IncomingPhoneNumbers%.json$",
    call = "numbers:list{ page_size = 2 }", note = " (3 numbers: 2 pages)", page = true },
  { id = "fetch", label = "fetch", method = "GET", path = "/IncomingPhoneNumbers/PN%x+%.json$",
    call = "numbers:fetch(sid)" },
  { id = "create_pn", label = "create (phone_number)", method = "POST", path = "/IncomingPhoneNumbers%.json$",
    call = "numbers:create{ phone_number = '+14155550100' }", create = true },
  { id = "create_ac", label = "create (area_code)", method = "POST", path = "/IncomingPhoneNumbers%.json$",
    call = "numbers:create{ area_code = '415' }", create = true },
  { id = "update", label = "update", method = "POST", path = "/IncomingPhoneNumbers/PN%x+%.json$",
    call = "numbers:update(sid, { friendly_name = 'matrix' })" },
  { id = "delete", label = "delete", method = "DELETE", path = "/IncomingPhoneNumbers/PN%x+%.json$",
    call = "n:release()" },
  { id = "addon_create", label = "add-on create", method = "POST", path = "/AssignedAddOns%.json$",
    call = "numbers:assigned_add_ons(sid):create{ installed_add_on_sid = XE… }" },
  { id = "addon_delete", label = "add-on delete", method = "DELETE", path = "/AssignedAddOns/XE%x+%.json$",
    call = "a:delete()" },
  { id = "search", label = "available search", method = "GET", path = "/AvailablePhoneNumbers/US/Local%.json$",
    call = "available_phone_numbers:search('US', 'local', { area_code = 415, limit = 5 })", page = true },
}

-- Faults: the emulator fault objects queued for the cell (method and path
-- come from the operation). retry_after0: every retry must wait exactly the
-- Retry-After (0 s here), proving the header, not the backoff, was used.
local function status(s, body_type, extra)
  local f = { fault = "status", status = s, body_type = body_type }
  for k, v in pairs(extra or {}) do f[k] = v end
  return { f }
end
local NOT_OBJECTS = '{"incoming_phone_numbers": [1, "two", null], "available_phone_numbers": [1, "two", null],'
  .. ' "next_page_uri": null, "page": 0, "page_size": 2}'
M.FAULTS = {
  { id = "429_seconds", label = "429, Retry-After: 0", faults = status(429, "json", { retry_after = "0" }),
    retry_after0 = true },
  { id = "429_date", label = "429, Retry-After: HTTP date", faults = status(429, "json", { retry_after_in = 0 }),
    retry_after0 = true },
  { id = "500_json", label = "500 JSON", faults = status(500, "json") },
  { id = "500_html", label = "500 HTML", faults = status(500, "html") },
  { id = "500_empty", label = "500 empty", faults = status(500, "empty") },
  { id = "502_json", label = "502 JSON", faults = status(502, "json") },
  { id = "502_html", label = "502 HTML", faults = status(502, "html") },
  { id = "502_empty", label = "502 empty", faults = status(502, "empty") },
  { id = "503_json", label = "503 JSON", faults = status(503, "json") },
  { id = "503_html", label = "503 HTML", faults = status(503, "html") },
  { id = "503_empty", label = "503 empty", faults = status(503, "empty") },
  { id = "503_always", label = "503 every time", faults = status(503, "json", { count = -1 }) },
  { id = "delay", label = "delay 0.8 s > timeout 0.3 s", faults = { { fault = "delay", delay_ms = M.DELAY_MS } },
    settle = M.DELAY_MS / 1000 },
  { id = "drop_before", label = "drop_before", faults = { { fault = "drop_before" } } },
  { id = "drop_after", label = "drop_after", faults = { { fault = "drop_after" } } },
  { id = "truncate", label = "truncate", faults = { { fault = "truncate" } } },
  { id = "malformed", label = "malformed", faults = { { fault = "malformed" } } },
  { id = "oversize", label = "oversize (1 MiB > max_body)", faults = { { fault = "oversize", bytes = M.OVERSIZE } } },
  { id = "content_type", label = "content_type text/html", faults = { { fault = "content_type" } } },
  { id = "foreign_next_page", label = "foreign_next_page", faults = { { fault = "foreign_next_page" } } },
  { id = "not_objects", label = "respond 200: items not objects",
    faults = { { fault = "respond", status = 200, headers = { ["Content-Type"] = "application/json" },
                 body = NOT_OBJECTS } },
    record_body = '[1, "two", null]' },   -- for operations that expect one object
}

-- Expected outcomes. Columns in M.OPS order:
--   list_first, list_later, fetch, create_pn, create_ac, update, delete, addon_create, addon_delete, search
-- Normal request counts: list 2 (two pages), every other operation 1.
local F = {
  --            list_first    list_later    fetch        create_pn                    create_ac
  --            update        delete        addon_create addon_delete  search
  ["429_seconds"] = { "ok r1 q3", "ok r1 q3", "ok r1 q2", "ok r1 q2 p1", "ok r1 q2 p1",
                      "ok r1 q2", "ok r1 q2", "ok r1 q2", "ok r1 q2", "ok r1 q2" },
  ["429_date"] = { "ok r1 q3", "ok r1 q3", "ok r1 q2", "ok r1 q2 p1", "ok r1 q2 p1",
                   "ok r1 q2", "ok r1 q2", "ok r1 q2", "ok r1 q2", "ok r1 q2" },
  -- 5xx: retried where repeating is harmless; a purchase is looked up instead
  ["5xx"] = { "ok r1 q3", "ok r1 q3", "ok r1 q2", "api r0 q2 not_applied", "api r0 q1 unknown",
              "ok r1 q2", "ok r1 q2", "api r0 q1", "ok r1 q2", "ok r1 q2" },
  ["503_always"] = { "api r2 q3", "api r2 q4", "api r2 q3", "api r0 q2 not_applied", "api r0 q1 unknown",
                     "api r2 q3", "api r2 q3", "api r0 q1", "api r2 q3", "api r2 q3" },
  -- the server is still working on the timed-out request: a purchase lands later
  delay = { "ok r1 q3", "ok r1 q3", "ok r1 q2", "timeout r0 q2 p1 unknown", "timeout r0 q1 p1 unknown",
            "ok r1 q2", "ok r1 q2", "timeout r0 q1", "ok r1 q2", "ok r1 q2" },
  -- a dropped keep-alive connection: libcurl itself resends a GET or an update
  -- on a fresh connection (r0); creates and deletes never reuse a connection,
  -- so only our retry loop decides about them
  drop_before = { "ok r0 q3", "ok r0 q3", "ok r0 q2", "transport r0 q2 not_applied", "transport r0 q1 unknown",
                  "ok r0 q2", "ok r1 q2", "transport r0 q1", "ok r1 q2", "ok r0 q2" },
  -- applied, then dropped: exactly one purchase; a DELETE retried finds it gone
  drop_after = { "ok r0 q3", "ok r0 q3", "ok r0 q2", "ok r0 q2 p1 recovered", "transport r0 q1 p1 unknown",
                 "ok r0 q2", "ok r1 q2", "transport r0 q1", "ok r1 q2", "ok r0 q2" },
  -- the status line arrived (2xx: applied), the body was cut; a 204 has no body to cut
  truncate = { "ok r1 q3", "ok r1 q3", "ok r1 q2", "ok r0 q2 p1 recovered", "transport r0 q1 p1 applied",
               "ok r1 q2", "ok r0 q1", "transport r0 q1", "ok r0 q1", "ok r1 q2" },
  -- a 2xx whose body cannot be read: not retried; a purchase is looked up
  malformed = { "decode r0 q1", "decode r0 q2", "decode r0 q1", "ok r0 q2 p1 recovered", "decode r0 q1 p1 applied",
                "decode r0 q1", "ok r0 q1", "decode r0 q1", "ok r0 q1", "decode r0 q1" },
  oversize = { "decode r0 q1", "decode r0 q2", "decode r0 q1", "ok r0 q2 p1 recovered", "decode r0 q1 p1 applied",
               "decode r0 q1", "ok r0 q1", "decode r0 q1", "ok r0 q1", "decode r0 q1" },
  content_type = { "decode r0 q1", "decode r0 q2", "decode r0 q1", "ok r0 q2 p1 recovered",
                   "decode r0 q1 p1 applied", "decode r0 q1", "ok r0 q1", "decode r0 q1", "ok r0 q1", "decode r0 q1" },
  foreign_next_page = { "invalid r0 q1", "invalid r0 q2", "-", "-", "-", "-", "-", "-", "-", "-" },
  -- canned 200 (nothing applied): a create's lookup finds nothing; a DELETE's body is not read
  not_objects = { "decode r0 q1", "decode r0 q2", "decode r0 q1", "decode r0 q2 not_applied",
                  "decode r0 q1 applied", "decode r0 q1", "ok r0 q1", "decode r0 q1", "ok r0 q1", "decode r0 q1" },
}
for _, id in ipairs{ "500_json", "500_html", "500_empty", "502_json", "502_html", "502_empty",
                     "503_json", "503_html", "503_empty" } do
  F[id] = F["5xx"]
end
F["5xx"] = nil

M.CELLS = {}
for _, f in ipairs(M.FAULTS) do
  local row = assert(F[f.id], f.id)
  assert(#row == #M.OPS, f.id)
  M.CELLS[f.id] = {}
  for i, op in ipairs(M.OPS) do M.CELLS[f.id][op.id] = row[i] end
end

-- "ok r1 q3 p1 recovered" -> { result = "ok", retries = 1, requests = 3, purchases = 1, flags = {recovered=true} }
function M.parse(cell)
  if cell == "-" then return nil end
  local e = { flags = {}, purchases = 0 }
  for w in cell:gmatch("%S+") do
    if not e.result then e.result = w
    elseif w:match("^r%d+$") then e.retries = tonumber(w:sub(2))
    elseif w:match("^q%d+$") then e.requests = tonumber(w:sub(2))
    elseif w:match("^p%d+$") then e.purchases = tonumber(w:sub(2))
    else e.flags[w] = true end
  end
  assert(e.retries and e.requests, "bad cell: " .. cell)
  return e
end

function M.counts()
  local cells, na = 0, 0
  for _, f in ipairs(M.FAULTS) do
    for _, op in ipairs(M.OPS) do
      if M.CELLS[f.id][op.id] == "-" then na = na + 1 else cells = cells + 1 end
    end
  end
  return cells, na
end

-- The markdown table (docs/RELIABILITY.md, between the fault-matrix markers).
function M.markdown()
  local out = {}
  local function add(s) out[#out + 1] = s end
  local cells, na = M.counts()
  add(("%d faults x %d operations: %d cells checked, %d not applicable. "):format(#M.FAULTS, #M.OPS, cells, na)
      .. "Generated by `tools/fault-matrix` from `spec/reliability/fault_matrix_spec.lua`.")
  add("")
  local head, sep = { "fault \\ operation" }, { "---" }
  for _, op in ipairs(M.OPS) do head[#head + 1] = op.label; sep[#sep + 1] = "---" end
  add("| " .. table.concat(head, " | ") .. " |")
  add("|" .. table.concat(sep, "|") .. "|")
  for _, f in ipairs(M.FAULTS) do
    local row = { f.label }
    for _, op in ipairs(M.OPS) do row[#row + 1] = M.CELLS[f.id][op.id] end
    add("| " .. table.concat(row, " | ") .. " |")
  end
  add("")
  add("Cells: `ok` or the error kind; `rN` retries made; `qN` API requests the emulator saw "
      .. "(a purchase's recovery lookup included); `pN` numbers bought (0 when not shown); "
      .. "`recovered`: the lost answer of a create was replaced by the exact lookup "
      .. "(`n:call_info().recovered`); `not_applied` / `unknown` / `applied`: `err.outcome` of a failed create; "
      .. "`-`: not applicable.")
  add("")
  add(("Client: `retries = { max = %d, base = %g, cap = %g }`, `timeout = %g`, `max_body = %d`; "
      .. "every cell starts on a warm keep-alive connection. Operations:")
      :format(M.CLIENT.retries.max, M.CLIENT.retries.base, M.CLIENT.retries.cap, M.CLIENT.timeout, M.CLIENT.max_body))
  add("")
  for _, op in ipairs(M.OPS) do
    add(("* %s: `%s`%s, fault on `%s %s`"):format(op.label, op.call, op.note or "", op.method, op.path))
  end
  return table.concat(out, "\n") .. "\n"
end

if select("#", ...) > 0 and select(1, ...) == "fault-matrix:data" then return M end

------------------------------------------------------------------------------
-- The specs.
local emu = require "helpers.emulator"
local core = require "twilio.core"

local PN_NUMBER = "+14155550100"

local function root()
  return os.getenv("TWILIO_NUMBERS_ROOT") or "."
end

-- Setup (with the matrix client, before any fault) and the call, per operation.
local RUN = {
  list_first = {
    setup = function(c) emu.seed(c.account_sid, 3) end,
    run = function(c) return c.numbers:list{ page_size = 2 } end,
    check = function(_, res) assert.equals(3, #res) end,
  },
  list_later = {
    setup = function(c) emu.seed(c.account_sid, 3) end,
    -- page 1 passes through a no-op fault, so the real fault hits page 2
    pre_faults = { { fault = "delay", delay_ms = 0 } },
    run = function(c) return c.numbers:list{ page_size = 2 } end,
    check = function(_, res) assert.equals(3, #res) end,
  },
  fetch = {
    setup = function(c) c.sid = emu.seed(c.account_sid, 1).first_sid end,
    run = function(c) return c.numbers:fetch(c.sid) end,
    check = function(c, n) assert.equals(c.sid, n.sid) end,
  },
  create_pn = {
    run = function(c) return c.numbers:create{ phone_number = PN_NUMBER } end,
    check = function(_, n) assert.equals(PN_NUMBER, n.phone_number) end,
  },
  create_ac = {
    run = function(c) return c.numbers:create{ area_code = "415" } end,
    check = function(_, n) assert.matches("^%+1415", n.phone_number) end,
  },
  update = {
    setup = function(c) c.sid = emu.seed(c.account_sid, 1).first_sid end,
    run = function(c) return c.numbers:update(c.sid, { friendly_name = "matrix" }) end,
    check = function(c, n) assert.equals(c.sid, n.sid); assert.equals("matrix", n.friendly_name) end,
  },
  delete = {
    setup = function(c)
      c.sid = emu.seed(c.account_sid, 1).first_sid
      c.n = assert(c.numbers:fetch(c.sid))
    end,
    run = function(c) return c.n:release() end,
    check = function(c, ok) assert.is_true(ok); assert.is_true(c.n:released()) end,
  },
  addon_create = {
    setup = function(c) c.sid = emu.seed(c.account_sid, 1).first_sid end,
    run = function(c) return c.numbers:assigned_add_ons(c.sid):create{ installed_add_on_sid = c.addon } end,
    check = function(_, a) assert.matches("^XE%x+$", a.sid) end,
  },
  addon_delete = {
    setup = function(c)
      c.sid = emu.seed(c.account_sid, 1).first_sid
      c.a = assert(c.numbers:assigned_add_ons(c.sid):create{ installed_add_on_sid = c.addon })
    end,
    run = function(c) return c.a:delete() end,
    check = function(_, ok) assert.is_true(ok) end,
  },
  search = {
    run = function(c) return c.client.available_phone_numbers:search("US", "local", { area_code = 415, limit = 5 }) end,
    check = function(_, res) assert.equals(5, #res) end,
  },
}

local function merge(a, b)
  local t = {}
  for k, v in pairs(a) do t[k] = v end
  for k, v in pairs(b) do t[k] = v end
  return t
end

-- Every debug line of every cell, for the secret check at the end.
local all_lines = {}

local function run_cell(op, fault, want)
  local r = RUN[op.id]
  emu.reset()
  local c = { account_sid = emu.account_sid(), retries = 0, delays = {}, lines = {} }
  local opts = merge(M.CLIENT, {
    on_retry = function(info)
      if not c.armed then return end
      c.retries = c.retries + 1
      c.delays[#c.delays + 1] = info.delay
    end,
    debug = function(line) c.lines[#c.lines + 1] = line; all_lines[#all_lines + 1] = line end,
  })
  c.client = emu.client(opts)
  c.numbers = c.client.incoming_phone_numbers
  c.addon = emu.control("GET", "info").installed_add_ons[1].sid
  if r.setup then r.setup(c) end
  -- a warm keep-alive connection, as in any real program: the call may reuse it
  assert(c.numbers:page{ page_size = 1 })
  emu.clear_log()
  local before = emu.stats().purchases
  for _, f in ipairs(r.pre_faults or {}) do emu.fault(merge(f, { method = op.method, path = op.path })) end
  for _, f in ipairs(fault.faults) do
    local body = (not op.page and fault.record_body) and { body = fault.record_body } or {}
    emu.fault(merge(merge(f, body), { method = op.method, path = op.path }))
  end
  c.armed = true
  local t0 = core.monotonic()
  local res, err = r.run(c)
  c.armed = false
  -- let a request the client gave up on finish in the emulator before counting
  if fault.settle then
    local left = fault.settle + 0.1 - (core.monotonic() - t0)
    if left > 0 then core.sleep(left) end
  end
  local seen = #emu.requests()
  local bought = emu.stats().purchases - before
  emu.clear_faults()
  c.client:close()

  local got = res ~= nil and "ok" or (err and err.kind) or "nil"
  local detail = err and tostring(err.message) or ""
  assert.equals(want.result, got, "result; error: " .. detail)
  assert.equals(want.requests, seen, "requests the emulator saw")
  assert.equals(want.purchases, bought, "purchases")
  assert.equals(want.retries, c.retries, "retries (on_retry calls)")
  if res ~= nil then
    r.check(c, res)
    if type(res) == "userdata" and res.call_info then
      local info = res:call_info()
      assert.equals(want.retries, info.retries, "call_info().retries")
      assert.equals(want.flags.recovered or false, info.recovered, "call_info().recovered")
    end
  else
    assert.is_true(core.is_error(err))
    assert.equals(want.retries, err.retries or 0, "err.retries")
    if got == "api" or got == "decode" then
      assert.is_number(err.status, "HTTP status kept")
    end
    if got == "api" then assert.is_true(err.status >= 500, "5xx status kept") end
    if got == "timeout" then
      assert.is_boolean(err.sent)
      assert.is_true(err.sent)
      assert.matches("may", detail)
    end
    if op.create then
      local outcome = (want.flags.not_applied and "not_applied") or (want.flags.unknown and "unknown")
        or (want.flags.applied and "applied")
      assert.equals(outcome, err.outcome, "err.outcome; " .. detail)
      if outcome == "not_applied" then assert.matches("not bought", detail) end
      if outcome ~= "not_applied" and op.id == "create_ac" then assert.matches("check with", detail) end
      if outcome == "unknown" and op.id == "create_pn" then assert.matches("before buying again", detail) end
    end
  end
  if fault.retry_after0 then
    for _, d in ipairs(c.delays) do assert.equals(0, d, "Retry-After honoured, not the backoff") end
  end
  -- nothing was sent anywhere but the emulator
  for _, line in ipairs(c.lines) do assert.is_nil(line:find("evil", 1, true), line) end
end

describe("fault matrix", function()
  setup(function() emu.ensure() end)
  teardown(function()
    pcall(emu.reset)
    emu.stop_if_started()
  end)

  for _, fault in ipairs(M.FAULTS) do
    for _, op in ipairs(M.OPS) do
      local cell = M.CELLS[fault.id][op.id]
      local want = M.parse(cell)
      if want then
        it(("%s x %s -> %s"):format(fault.id, op.id, cell), function()
          run_cell(op, fault, want)
        end)
      end
    end
  end

  it("no debug line of the whole matrix holds a secret or an Authorization header", function()
    assert.is_true(#all_lines > 100)
    local token = emu.auth_token()
    for _, line in ipairs(all_lines) do
      assert.is_nil(line:find(token, 1, true))
      assert.is_nil(line:lower():find("authorization", 1, true))
      assert.is_nil(line:find(core.base64(emu.account_sid() .. ":" .. token), 1, true))
    end
  end)

  for _, doc_path in ipairs{ "docs/RELIABILITY.md" } do   -- the one place it is shown (issue 12)
    it(doc_path .. " shows the matrix as tools/fault-matrix prints it", function()
      local fh = assert(io.open(root() .. "/" .. doc_path, "rb"))
      local doc = fh:read("*a")
      fh:close()
      local table_text = doc:match("<!%-%- fault%-matrix:begin %-%->\n(.-)<!%-%- fault%-matrix:end %-%->")
      assert.is_string(table_text, "markers <!-- fault-matrix:begin --> / <!-- fault-matrix:end --> in " .. doc_path)
      assert.equals(M.markdown(), table_text, "run: tools/fault-matrix --update")
    end)
  end
end)
