-- spec helper: the peer conformance vectors (../shared/conformance/peer-vectors.json).
--
-- The vectors are READ at run time from ../shared and never copied into this
-- repository. This module:
--   * finds and loads them (load() -> vectors | nil, why),
--   * maps placeholder SIDs (ACXXXX…: every X becomes one hex digit, as the
--     conformance README says; the account may be mapped to the emulator's),
--   * turns each vector into a plan: the equivalent call through this
--     library's Lua API, the canned responses to install, the request the
--     emulator must log and the outcome to check -- or the reason the vector
--     does not apply (plan.applicable == false).
-- spec/conformance_spec.lua runs the plans against the emulator.
local json = require "dkjson"

local type, pairs, ipairs, tostring, tonumber = type, pairs, ipairs, tostring, tonumber
local fmt = string.format

local _M = {}

_M.TOTAL = 206          -- vectors in peer-vectors.json (README.md)
_M.HEX = "0"            -- the hex digit each placeholder X becomes
_M.null = json.null

-- Directories -----------------------------------------------------------------

-- The shared facts directory holding the peer vectors (helpers.shared decides
-- where ../shared is): dir | nil, where it looked.
function _M.shared_dir()
  return require("helpers.shared").dir("conformance/peer-vectors.json")
end

-- JSON ------------------------------------------------------------------------
-- dkjson keeps [] and {} apart (metatables) and nulls (json.null), so a body
-- re-encoded for the emulator says what the vector said.

function _M.decode(text)
  local v, _, err = json.decode(text, 1, json.null)
  if err then return nil, err end
  return v
end

function _M.encode(v)
  return json.encode(v)
end

function _M.load()
  local dir, why = _M.shared_dir()
  if not dir then return nil, why end
  local f = assert(io.open(dir .. "/conformance/peer-vectors.json", "rb"))
  local text = f:read("a")
  f:close()
  local v, err = _M.decode(text)
  if not v then return nil, "peer-vectors.json: " .. tostring(err) end
  return v
end

-- SIDs ------------------------------------------------------------------------

-- map_sids(s, overrides): every placeholder SID (two upper-case letters then
-- X's) becomes the same prefix with each X replaced by _M.HEX, unless
-- overrides[prefix] gives the whole SID to use (the emulator's account).
function _M.map_sids(s, overrides)
  if type(s) ~= "string" then return s end
  return (s:gsub("(%u%u)(X+)", function(prefix, xs)
    if #xs < 2 then return nil end
    local o = overrides and overrides[prefix]
    if o then return o end
    return prefix .. _M.HEX:rep(#xs)
  end))
end

local function map_table(t, overrides)
  local out = {}
  for k, v in pairs(t or {}) do out[k] = _M.map_sids(v, overrides) end
  return out
end

-- Groups ----------------------------------------------------------------------

_M.GROUPS = {
  { id = "numbers", title = "IncomingPhoneNumbers" },
  { id = "sublists", title = "IncomingPhoneNumbers Local / Mobile / TollFree" },
  { id = "addons", title = "AssignedAddOns and Extensions" },
  { id = "available", title = "AvailablePhoneNumbers" },
  { id = "generic", title = "Generic HTTP behaviour" },
}

local SUBLISTS = { ["local"] = "local_numbers", mobile = "mobile_numbers", toll_free = "toll_free_numbers" }

function _M.group_of(v)
  local op = v.operation
  if op:find("^incoming_phone_numbers%.assigned_add_ons") then return "addons" end
  local sub = op:match("^incoming_phone_numbers%.([%w_]+)%.")
  if sub and SUBLISTS[sub] then return "sublists" end
  if op:find("^incoming_phone_numbers") then return "numbers" end
  if op:find("^available_phone_numbers") then return "available" end
  return "generic"
end

-- Responses -------------------------------------------------------------------

-- A vector response -> { status =, body = string|nil, headers = {} } for the
-- emulator's "respond" fault. Tables are JSON; strings are sent as they are
-- (JSON-looking ones with a JSON content type); null is no body (204).
local function response(status, body, extra_headers)
  local headers = {}
  local text
  if type(body) == "table" then
    text = _M.encode(body)
    headers["Content-Type"] = "application/json"
  elseif type(body) == "string" then
    text = body
    if body:find("^%s*[%[{]") then
      headers["Content-Type"] = "application/json"
    elseif body ~= "" then
      headers["Content-Type"] = "text/plain"
    end
  end
  for k, v in pairs(extra_headers or {}) do headers[k] = v end
  return { status = status, body = text, headers = headers }
end
_M.response = response

-- Objects of a response body a result must match: a page's items, or the
-- single object.
local function items_of(body, key)
  if type(body) ~= "table" then return nil end
  local items = body[key]
  if type(items) ~= "table" then return {} end
  return items
end

-- Plans -----------------------------------------------------------------------

local function snake(k)
  return (k:gsub("(%l)(%u)", function(a, b) return a .. "_" .. b:lower() end):gsub("^%u", string.lower))
end

local function args_of(v, overrides)
  local p = {}
  for k, val in pairs(v.call_args or {}) do p[snake(k)] = _M.map_sids(val, overrides) end
  -- node: each({pageSize:20}, cb) / list({limit:1}, cb) carry their options in the call text
  local ps = v.call:match("pageSize:(%d+)")
  if ps then p.page_size = tonumber(ps) end
  local lim = v.call:match("[{,]%s*limit:(%d+)")
  if lim then p.limit = tonumber(lim) end
  return p
end

local function url_path(url)
  return url:match("^https?://[^/]+(/.*)$") or url
end

local KIND = {
  numbers = { "PhoneNumber", "incoming_phone_numbers" },
  ["local"] = { "PhoneNumber", "incoming_phone_numbers" },
  mobile = { "PhoneNumber", "incoming_phone_numbers" },
  toll_free = { "PhoneNumber", "incoming_phone_numbers" },
  add_ons = { "AssignedAddOn", "assigned_add_ons" },
  extensions = { "Extension", "extensions" },
  countries = { "Country", "countries" },
  available = { "AvailablePhoneNumber", "available_phone_numbers" },
}

local ACTIONS = { list = "list", each = "each", fetch = "fetch", create = "create", update = "update",
                  delete = "delete", getPage = "get_page" }

local function not_applicable(plan, reason)
  plan.applicable = false
  plan.reason = reason
  return plan
end

-- The request the vector says the peer sent, with mapped SIDs.
local function expected_request(v, overrides)
  local r = v.request
  if not r or not r.url:find("^https?://") then return nil end
  return {
    method = r.method,
    path = _M.map_sids(url_path(r.url), overrides),
    params = map_table(r.params, overrides),
    location = r.params_location,
  }
end

-- The installed responses of a resource vector: the main one, then
-- additional_mocks / sequence entries in order.
local function responses_of(v, method, path)
  local res = v.response
  local out = {}
  if res.sequence then
    for _, step in ipairs(res.sequence) do
      out[#out + 1] = response(step.response.status, step.response.body)
    end
  else
    out[1] = response(res.status, res.body)
    for _, m in ipairs(res.additional_mocks or {}) do
      local body = m.body
      if body == "(same body as first mock)" then body = res.body end
      out[#out + 1] = response(m.status, body)
    end
  end
  for _, r in ipairs(out) do r.method, r.path = method, path end
  return out
end

-- A resource vector (operation under incoming_phone_numbers / available_phone_numbers).
local function resource_plan(v, plan, overrides)
  local op = v.operation
  local parts = {}
  for p in op:gmatch("[^.]+") do parts[#parts + 1] = p end
  local action = ACTIONS[parts[#parts]]
  if not action then return not_applicable(plan, "operation " .. op .. " has no equivalent") end
  plan.action = action
  local req = expected_request(v, overrides)
  plan.request = req
  local path = req and req.path or ""
  plan.sids = {
    AC = path:match("/Accounts/(AC%w+)"),
    PN = path:match("/IncomingPhoneNumbers/(PN%w+)"),
    XE = path:match("/AssignedAddOns/(XE%w+)"),
    XF = path:match("/Extensions/(XF%w+)"),
    country = path:match("/AvailablePhoneNumbers/(%u%u)"),
  }
  local target
  if parts[1] == "incoming_phone_numbers" then
    if parts[2] == "assigned_add_ons" then
      target = parts[3] == "extensions" and "extensions" or "add_ons"
    elseif SUBLISTS[parts[2]] then
      target = parts[2]
    else
      target = "numbers"
    end
  else
    target = (#parts == 2) and "countries" or "available"
    plan.number_type = (#parts == 3) and parts[2] or nil
  end
  plan.target = target
  plan.kind, plan.items_key = KIND[target][1], KIND[target][2]
  plan.params = args_of(v, overrides)
  -- the object's own SID for fetch / update / delete
  if action == "fetch" or action == "update" or action == "delete" then
    plan.sid = ({ numbers = plan.sids.PN, add_ons = plan.sids.XE, extensions = plan.sids.XF,
                  countries = plan.sids.country })[target]
  end
  plan.responses = responses_of(v, req and req.method or "GET", path)
  local res = v.response
  plan.status = res.status
  plan.body = res.body
  -- what a success returns
  if v.expect.kind ~= "raises" then
    if action == "delete" then
      plan.expect = { value = true }
    elseif action == "fetch" or action == "create" or action == "update" then
      plan.expect = { object = res.body }
    else
      plan.expect = { items = items_of(res.body, plan.items_key) }
    end
  else
    plan.expect = { error = true }
  end
  -- list({limit: n}): at most n records, and no page beyond the first
  if plan.params.limit then
    plan.expect.max_items = plan.params.limit
    plan.expect.requests = 1
  end
  -- getPage(url): the URL in the call; the library follows only its own
  -- host, so the api.twilio.com URL is refused and the spec replays it
  -- rebased onto the emulator.
  if action == "get_page" then
    plan.page_url = v.call:match("getPage%(\"([^\"]+)\"")
    plan.request.path = url_path(plan.page_url):match("^([^?]*)")
  end
  -- Deliberate difference: create with neither phone_number nor area_code
  -- is refused before sending (the spec's x-twilio.conditional needs one).
  if action == "create" and target ~= "add_ons" and target ~= "extensions"
     and plan.params.phone_number == nil and plan.params.area_code == nil then
    plan.refused, plan.refused_field = "invalid", "phone_number"
    plan.differs = "create() without phone_number or area_code is refused client-side (kind invalid), nothing sent"
  end
  return plan
end

-- Generic vectors (pagination.*, error.parse, delete, http.redirect,
-- validation.credentials), replayed on the IncomingPhoneNumbers resource.
local function generic_plan(v, plan, overrides)
  local op = v.operation
  local ac = (overrides and overrides.AC) or ("AC" .. _M.HEX:rep(32))
  local pn = "PN" .. _M.HEX:rep(32)
  local base = "/2010-04-01/Accounts/" .. ac
  local list_path = base .. "/IncomingPhoneNumbers.json"
  local one_path = base .. "/IncomingPhoneNumbers/" .. pn .. ".json"
  plan.kind, plan.items_key, plan.target = "PhoneNumber", "incoming_phone_numbers", "numbers"
  plan.sids = { AC = ac, PN = pn }
  local res = v.response
  local ex = v.expect

  if op == "delete" then
    -- Version.delete on a Messages URL -> numbers:release(PN) on the same responses
    plan.action, plan.sid = "delete", pn
    plan.request = { method = "DELETE", path = one_path, params = {} }
    plan.responses = { response(res.status, res.body) }
    plan.responses[1].method, plan.responses[1].path = "DELETE", one_path
    plan.status = res.status
    if ex.kind == "raises" then
      plan.expect = { error = true }
      plan.body = _M.decode(res.body) or res.body
    else
      plan.expect = { value = true }
    end
    plan.rebased = "Messages resource replaced by IncomingPhoneNumbers/" .. pn
    return plan
  end

  if op == "error.parse" then
    local method = v.request.method
    plan.action = method == "POST" and "update" or "fetch"
    plan.sid = pn
    plan.params = method == "POST" and { friendly_name = "conformance" } or nil
    plan.request = { method = method, path = one_path, params = {} }
    plan.responses = { response(res.status, res.body) }
    plan.responses[1].method, plan.responses[1].path = method, one_path
    plan.status = res.status
    plan.body = res.body
    if type(res.body) == "string" then plan.body = _M.decode(res.body) or res.body end
    plan.expect = { error = true, fields = ex.fields, message_contains = ex.message_contains }
    -- Go's decode-error vector: the body is not valid JSON (a trailing comma),
    -- so nothing in it may be trusted: code falls back to the status.
    if ex.message_contains then plan.body, plan.body_invalid = res.body, true end
    plan.check = "error_parse"
    plan.rebased = (method == "POST" and "numbers:update" or "numbers:fetch") .. " on IncomingPhoneNumbers/" .. pn
    return plan
  end

  if op == "http.redirect" then
    plan.action, plan.sid = "fetch", pn
    plan.request = { method = "GET", path = one_path, params = {} }
    plan.responses = { response(res.status, res.body, { Location = one_path .. "?redirected=1" }) }
    plan.responses[1].method, plan.responses[1].path = "GET", one_path
    plan.status = res.status
    plan.body = res.body
    plan.expect = { error = true, requests = 1 }
    plan.differs = "a 3xx comes back as an error object (kind api) with the status kept; it is not followed"
    return plan
  end

  if op == "validation.credentials" then
    plan.action = "new"
    plan.check = "credentials"
    plan.credentials = { username = v.call_args.username, password = v.call_args.password }
    plan.expect = { refused = "invalid", requests = 0 }
    plan.differs = "refused by twilio.new (nil, err kind invalid) instead of Go's 400/21222 error at send time"
    return plan
  end

  if op == "pagination.read_limits" then
    local a = v.call_args
    local limit = a.limit ~= json.null and a.limit or nil
    local page_size = a.page_size ~= json.null and a.page_size or nil
    plan.action = "list"
    plan.params = { limit = limit, page_size = page_size }
    plan.request = { method = "GET", path = list_path, params = v.request.params, location = "query" }
    local empty = setmetatable({}, { __jsontype = "array" })
    plan.responses = { response(200, { incoming_phone_numbers = empty, next_page_uri = json.null }) }
    plan.responses[1].method, plan.responses[1].path = "GET", list_path
    -- the library's rule: an explicit page_size is sent as given; else
    -- min(limit, 1000); else 1000 (PEERS.md take-away 14: fewest round trips)
    local ours = page_size or (limit and math.min(limit, 1000)) or 1000
    plan.request.params = { PageSize = ours }
    if ours ~= ex.value then
      plan.differs = fmt("PageSize %d where twilio-go sends %d", ours, ex.value)
    end
    plan.expect = { items = {}, requests = 1 }
    return plan
  end

  if op == "pagination.stream" then
    -- version.stream over 3 Messages pages -> numbers:each / list{limit} / page
    -- over the same pages served as IncomingPhoneNumbers pages.
    local seq = res.sequence
    plan.responses = {}
    local items = {}
    for i, step in ipairs(seq) do
      local b = step.response.body
      local page = { incoming_phone_numbers = b.messages }
      page.next_page_uri = (b.next_page_uri == json.null) and json.null
        or (b.next_page_uri:gsub("^/2010%-04%-01/Accounts/AC123/Messages%.json", list_path))
      plan.responses[i] = response(step.response.status, page)
      plan.responses[i].method, plan.responses[i].path = "GET", list_path
      for _, m in ipairs(b.messages) do items[#items + 1] = m end
    end
    plan.request = { method = "GET", path = list_path, params = {} }
    local pages = tonumber(ex.meaning:match("pages needed: (%d+)"))
    local want = {}
    for i = 1, ex.value do want[i] = items[i] end
    if v.call:find("page_limit=1", 1, true) then
      plan.action = "page"           -- one page: numbers:page{}
    elseif v.call:find("limit=(%d+)") then
      plan.action = "list"
      plan.params = { limit = tonumber(v.call:match("limit=(%d+)")) }
    else
      plan.action = "each"
    end
    plan.params = plan.params or {}
    plan.expect = { items = want, requests = pages }
    plan.check = "stream"
    plan.rebased = "Messages pages served as IncomingPhoneNumbers pages (records under incoming_phone_numbers)"
    return plan
  end

  if op == "pagination.next_page_url" then
    local body = res.body
    if type(body.meta) == "table" then
      return not_applicable(plan, "meta.next_page_url / meta.next_token pagination belongs to the newer " ..
        "APIs; 2010-04-01 pages carry a top-level next_page_uri only, which is all the library follows")
    end
    -- page{} on a first page holding this payload, then page:next()
    local first = {}
    for k, val in pairs(body) do first[k] = _M.map_sids(val, overrides) end
    setmetatable(first, { __jsontype = "object" })
    if first.incoming_phone_numbers == nil then
      first.incoming_phone_numbers = setmetatable({}, { __jsontype = "array" })
    end
    plan.action = "page_next"
    plan.check = "next_page"
    plan.params = {}
    plan.request = { method = "GET", path = list_path, params = {} }
    plan.responses = { response(200, first) }
    plan.responses[1].method, plan.responses[1].path = "GET", list_path
    local want = ex.value ~= "" and _M.map_sids(ex.value, overrides) or nil
    if type(body.next_page_uri) == "string" and body.next_page_uri:sub(1, 1) ~= "/" then
      -- Deliberate difference: cfg:follow takes a path starting with "/"
      -- (or a URL on the configured host) and refuses anything else.
      plan.expect = { requests = 1, next_refused = "invalid" }
      plan.differs = "a next_page_uri without the leading '/' is refused (kind invalid), not joined to the host"
    elseif want then
      local next_path = url_path(want)
      plan.next_path, plan.next_query = next_path:match("^([^?]*)%??(.*)$")
      local empty = setmetatable({}, { __jsontype = "array" })
      local second = response(200, { incoming_phone_numbers = empty, next_page_uri = json.null })
      second.method, second.path = "GET", plan.next_path
      plan.responses[2] = second
      plan.expect = { requests = 2 }
    else
      plan.expect = { requests = 1, no_next = true }
    end
    return plan
  end

  return not_applicable(plan, "no equivalent in this library")
end

-- plan(v, overrides) -> plan. overrides = { AC = "AC…" } maps the account.
function _M.plan(v, overrides)
  local plan = { name = v.name, group = _M.group_of(v), operation = v.operation,
                 expect_kind = v.expect.kind, applicable = true }
  if plan.group == "generic" then return generic_plan(v, plan, overrides) end
  return resource_plan(v, plan, overrides)
end

-- Calls -----------------------------------------------------------------------

-- The list object a plan's call goes to.
function _M.target(plan, client)
  local acct = client:account(plan.sids.AC)
  local numbers = acct.incoming_phone_numbers
  local t = plan.target
  if t == "numbers" then return numbers end
  if SUBLISTS[t] then return numbers[SUBLISTS[t]] end
  if t == "add_ons" then return numbers:assigned_add_ons(plan.sids.PN) end
  if t == "extensions" then return numbers:assigned_add_ons(plan.sids.PN):extensions(plan.sids.XE) end
  if t == "countries" then return acct.available_phone_numbers:countries_list(), acct.available_phone_numbers end
  if t == "available" then
    return acct.available_phone_numbers:list_of(plan.sids.country, plan.number_type), acct.available_phone_numbers
  end
  error("unknown target " .. tostring(t))
end

-- invoke(plan, client, opts) -> outcome:
--   { value = <result>, err = <error>, raised = bool, items = {...} (each) }
-- opts.page_url: the URL get_page is given.
function _M.invoke(plan, client, opts)
  local l, av = _M.target(plan, client)
  local a = plan.action
  local out = {}
  if a == "each" then
    local items = {}
    local ok, e = pcall(function()
      for item in l:each(plan.params) do items[#items + 1] = item end
    end)
    out.items = items
    if not ok then out.raised, out.err = true, e end
    return out
  elseif a == "list" then
    if plan.target == "available" then
      out.value, out.err = av:search(plan.sids.country, plan.number_type, plan.params)
    elseif plan.target == "countries" then
      out.value, out.err = av:countries(plan.params)
    else
      out.value, out.err = l:list(plan.params)
    end
  elseif a == "page" then
    out.value, out.err = l:page(plan.params)
  elseif a == "page_next" then
    local page, err = l:page(plan.params)
    out.value, out.err = page, err
    if page then out.next_page, out.next_err = page:next() end
  elseif a == "get_page" then
    out.value, out.err = l:get_page(opts.page_url)
  elseif a == "fetch" then
    if plan.target == "countries" then
      out.value, out.err = av:country(plan.sid)
    else
      out.value, out.err = l:fetch(plan.sid)
    end
  elseif a == "create" then
    out.value, out.err = l:create(plan.params)
  elseif a == "update" then
    out.value, out.err = l:update(plan.sid, plan.params or {})
  elseif a == "delete" then
    out.value, out.err = l:delete(plan.sid)
  else
    error("unknown action " .. tostring(a))
  end
  return out
end

-- Query and form text -> { [name] = decoded value } (last one wins).
function _M.parse_form(s)
  local t = {}
  if type(s) == "table" then
    for k, v in pairs(s) do t[k] = type(v) == "table" and v[#v] or v end
    return t
  end
  if type(s) ~= "string" or s == "" then return t end
  s = s:gsub("^%?", "")
  for pair in s:gmatch("[^&]+") do
    local k, v = pair:match("^([^=]*)=?(.*)$")
    local function dec(x)
      return (x:gsub("%+", " "):gsub("%%(%x%x)", function(h) return string.char(tonumber(h, 16)) end))
    end
    t[dec(k)] = dec(v)
  end
  return t
end

return _M
