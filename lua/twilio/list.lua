-- twilio.list: a list resource (IncomingPhoneNumbers and its Local, Mobile
-- and TollFree sub-lists, AssignedAddOns, Extensions, AvailablePhoneNumbers
-- searches): each / list / page / get_page / fetch / create / find.
--
-- Pagination follows next_page_uri exactly as the server returns it
-- (cfg:follow refuses any other host), holds one page at a time, and stops at
-- `limit` without fetching a page it does not need. The loop is Lua, so every
-- page fetch may yield inside nginx.
local core = require "twilio.core"
local errors = require "twilio.errors"
local retry = require "twilio.retry"
local record = require "twilio.record"
local bulk = require "twilio.bulk"
local csv = require "twilio.csv"

local setmetatable, type, tostring, pairs, error = setmetatable, type, tostring, pairs, error
local math_type = math.type
local byte = string.byte
local PLUS = 43   -- "+": an E.164 target
local fmt = string.format

local _M = {}
local List = {}
List.__index = List
_M.List = List

local DEFAULT_PAGE_SIZE = 1000   -- the API's maximum: fewest round trips (PEERS.md #14)

-- spec = { kind=, items_key=, list_op=, create_op=, fetch_op=, update_op=, delete_op=,
--          path = {...}, name= }
function _M.new(client, spec)
  local self = setmetatable({}, List)
  for k, v in pairs(spec) do self[k] = v end
  self.client = client
  -- fetch and update run on every single call: own fields are found by one
  -- table lookup, methods through __index by two (luaV_finishget)
  self.fetch, self.update = List.fetch, List.update
  -- ctx shared by every record this list parses: records find their client
  -- and, if the JSON lacks it, their account through it.
  self.ctx = { client = client, account_sid = spec.path.account_sid }
  return self
end

function List:__tostring()
  return fmt("twilio.List: %s of %s", self.name or self.kind, tostring(self.path.account_sid))
end

local function is_integer(v)
  if math_type then return math_type(v) == "integer" or (type(v) == "number" and v == math.floor(v)) end
  return type(v) == "number" and v == math.floor(v)
end

local function copy(t)
  local c = {}
  if t then for k, v in pairs(t) do c[k] = v end end
  return c
end

-- match = "Sales*": a glob (* any run of characters, ? one character,
-- case-insensitive) on friendly_name or phone_number, applied by this
-- library to each item read (the API's FriendlyName filter is exact).
local function matcher(glob)
  local pat = "^" .. glob:lower():gsub("[%^%$%(%)%%%.%[%]%+%-]", "%%%0"):gsub("%*", ".*"):gsub("%?", ".") .. "$"
  return function(item)
    local fname, number = item.friendly_name, item.phone_number
    return (type(fname) == "string" and fname:lower():find(pat) ~= nil)
        or (type(number) == "string" and number:lower():find(pat) ~= nil)
  end
end

-- Split `limit` and `match` (ours) from the API parameters and pick the
-- page size: p, limit, nil, match_fn | nil, nil, err
local function split_params(params)
  if params ~= nil and type(params) ~= "table" then
    error("twilio: parameters must be a table", 4)
  end
  local p = copy(params)
  local limit, glob = p.limit, p.match
  p.limit, p.match = nil, nil
  if limit ~= nil then
    if type(limit) ~= "number" or not is_integer(limit) or limit < 1 or limit ~= limit or limit > 1e15 then
      return nil, nil, errors.new("invalid", "limit must be a positive integer (got " .. tostring(limit) .. ")",
                                  { field = "limit" })
    end
  end
  if glob ~= nil and (type(glob) ~= "string" or glob == "" or #glob > 256) then
    return nil, nil, errors.new("invalid", "match must be a glob like 'Sales*' (1-256 characters)",
                                { field = "match" })
  end
  if p.page_size == nil then
    -- with a match, a page may hold fewer matching items than `limit`
    local want = (not glob) and limit or DEFAULT_PAGE_SIZE
    p.page_size = want < DEFAULT_PAGE_SIZE and want or DEFAULT_PAGE_SIZE
  end
  return p, limit, nil, glob and matcher(glob)
end

-- A cursor over the items of a listing: cur:next() -> item | nil (end) | nil, err
local Cursor = {}
Cursor.__index = Cursor

function List:cursor(params, opts)
  local p, limit, err, match = split_params(params)
  if not p then return nil, err end
  opts = self.client:call_options(opts)
  local req, berr = self.client.cfg:build(self.list_op, self.path, p)
  if not req then return nil, berr end
  -- Every field the cursor reads is present (false when unset): a missing
  -- one would be looked up in Cursor through the metatable on every item.
  return setmetatable({ list = self, req = req, limit = limit or false, count = 0, i = 0, opts = opts,
                        match = match or false, items = false,
                        next_uri = false, last = false, done = false, pages = 0, lazy = false }, Cursor)
end

-- Fetch the page `req` points at: items, next_uri | nil, nil, err
-- lazy (Lua 5.4, list:each{}'s C iterator only): items is a lazy page
-- (core.parse_page, src/ltw_record.c), whose records are made as they are
-- handed out.
function List:fetch_page(req, opts, lazy)
  -- the curl transport then writes the page into a twilio.Body (no copy into
  -- a Lua string; parse_page reads it in place); other transports ignore it
  req.body_object = true
  local res, err = self.client:send(req, opts)
  if not res then return nil, nil, err end
  local body, cerr = record.body(res, req)
  if not body then return nil, nil, cerr end
  local items, next_uri, perr = core.parse_page(self.kind, self.items_key, body, self.ctx, lazy)
  if not items then
    perr.status, perr.method, perr.url = res.status, req.method, req.url
    return nil, nil, perr
  end
  return items, next_uri
end

-- The page of an iterator that holds none (never written: it has no items).
local NO_ITEMS = {}
-- list:each{}'s C iterator where it pays (Lua 5.4; nil on LuaJIT): see each.
local page_iter = core.page_iter

-- Everything but the common case of next_item: limits, matches, the end of
-- a page (the next one fetched), the end of the listing, errors.
local function advance(self)
  if self.done then return nil end
  if self.limit and self.count >= self.limit then self.done = true; return nil end
  while true do
    local items = self.items
    if items then
      local i = self.i + 1
      local item = items[i]
      if item ~= nil then
        self.i = i
        items[i] = false           -- the page no longer pins what the caller dropped
        if not self.match or self.match(item) then
          self.count = self.count + 1
          self.last = item
          return item
        end
      else
        if not self.next_uri then self.done = true; self.items = false; return nil end
        local req, ferr = self.list.client.cfg:follow(self.next_uri)
        if not req then self.done = true; self.items = false; return nil, ferr end
        self.req = req
        self.items = false
        -- a lazy page anchors its doc: this frame must not hold it during the
        -- fetch (a dead local register is still marked by the collector)
        items = nil                -- luacheck: ignore 311
        -- The caller's loop variable still holds the item handed out last:
        -- it would keep this page alive during the next page's fetch and
        -- parse (two pages at once; and in generational mode an old page
        -- that only a major collection frees). Detached, it keeps nothing.
        local last = self.last
        if last then self.last = false; record.detach(last) end
      end
    end
    if not self.items then
      local its, next_uri, err = self.list:fetch_page(self.req, self.opts, self.lazy)
      if not its then self.done = true; return nil, err end
      self.items, self.i, self.next_uri = its, 0, next_uri or false
      self.pages = self.pages + 1
    end
  end
end

-- cur:next() -> item | nil (end) | nil, err. The common case (the page in
-- hand has a next item, the limit is not reached, no match) has no loop and
-- no call, so LuaJIT compiles the caller's loop through it (a loop here
-- aborted the trace of every `for n in numbers:each{}`). count is kept for
-- the limit only.
function Cursor:next()
  local items = self.items
  if items and not self.match then
    local i = self.i + 1
    local item = items[i]
    if item then
      local limit = self.limit
      if not limit then
        self.i, self.last = i, item
        items[i] = false           -- the page no longer pins what the caller dropped
        return item
      end
      local count = self.count
      if count < limit then
        self.i, self.last, self.count = i, item, count + 1
        items[i] = false
        return item
      end
    end
  end
  return advance(self)
end

-- for n in list:each{ page_size =, limit =, <filters> } do ... end
-- A failure raises the error object: it is never mistaken for the end.
-- The iterator is Cursor.next with its common case inlined (one Lua call
-- less per item on Lua 5.4).
function List:each(params, opts)
  local cur, err = self:cursor(params, opts)
  if not cur then error(err, 2) end
  local match, limit = cur.match, cur.limit
  if not match and not limit and page_iter then
    -- Lua 5.4: the same in C (core.page_iter, src/ltw_record.c): a Lua
    -- iterator costs a reentry of the VM per item there. refill gets the
    -- item handed out last (false when advance handed it out: the cursor
    -- has it) and its position, and does what the iterator below does at
    -- the end of a page. Its pages are lazy: each record is made as the
    -- iterator hands it out (advance's items[i] makes a page's first).
    cur.lazy = true
    return page_iter(function(last, i)
      cur.i = i
      if last then cur.last = last end
      local nxt, ierr = advance(cur)
      if ierr then error(ierr, 0) end
      return nxt, cur.items, cur.i
    end)
  end
  if not match and not limit then
    -- The whole listing, unfiltered (the usual loop; LuaJIT, which
    -- compiles this iterator into the caller's loop): the page and the
    -- position live in upvalues, which the iterator reads and writes more
    -- cheaply than the cursor's fields (on Lua 5.4, before the C iterator
    -- above: -5 % of list-all's instructions). The cursor is brought up
    -- to date before advance, which does the rest exactly as for the
    -- general iterator below.
    local items, i, last = NO_ITEMS, 0, false
    return function()
      local j = i + 1
      local item = items[j]
      if item then
        i, last = j, item
        items[j] = false           -- the page no longer pins what the caller dropped
        return item
      end
      cur.i, cur.last = i, last
      items, last = NO_ITEMS, false  -- nothing here pins the page while the next one arrives
      local nxt, ierr = advance(cur)
      if ierr then error(ierr, 0) end
      items, i, last = cur.items or NO_ITEMS, cur.i, cur.last
      return nxt
    end
  end
  return function()
    local items = cur.items
    if items and not match then
      local i = cur.i + 1
      local item = items[i]
      if item then
        if not limit then
          cur.i, cur.last = i, item
          items[i] = false
          return item
        end
        local count = cur.count
        if count < limit then
          cur.i, cur.last, cur.count = i, item, count + 1
          items[i] = false
          return item
        end
      end
    end
    local item, ierr = advance(cur)
    if ierr then error(ierr, 0) end
    return item
  end
end

-- list{...} -> array of objects | nil, err
function List:list(params, opts)
  local cur, err = self:cursor(params, opts)
  if not cur then return nil, err end
  local out, n = {}, 0
  while true do
    local item, ierr = cur:next()
    if ierr then return nil, ierr end
    if item == nil then return out end
    n = n + 1
    out[n] = item
  end
end

-- One page: page.items, page.next_page_uri, page:next() -> next page | nil (last) | nil, err
local Page = {}
Page.__index = Page
_M.Page = Page

function Page:has_next() return self.next_page_uri ~= nil end

function Page:next()
  if not self.next_page_uri then return nil end
  return self.list:get_page(self.next_page_uri, self.opts)
end

local function make_page(list, items, next_uri, opts)
  return setmetatable({ items = items, next_page_uri = next_uri, list = list, opts = opts }, Page)
end

function List:page(params, opts)
  local p, _, err, match = split_params(params)
  if not p then return nil, err end
  if match then
    return nil, errors.new("invalid", "match applies to each and list (it filters the items this " ..
                           "library reads); a page is what the API returns", { field = "match" })
  end
  opts = self.client:call_options(opts)
  local req, berr = self.client.cfg:build(self.list_op, self.path, p)
  if not req then return nil, berr end
  local items, next_uri, perr = self:fetch_page(req, opts)
  if not items then return nil, perr end
  return make_page(self, items, next_uri, opts)
end

-- get_page(uri): resume from a next_page_uri saved earlier (same host only).
function List:get_page(uri, opts)
  if type(uri) ~= "string" then error("twilio: get_page(uri): uri must be a string", 2) end
  local req, err = self.client.cfg:follow(uri)
  if not req then return nil, err end
  local items, next_uri, perr = self:fetch_page(req, opts)
  if not items then return nil, perr end
  return make_page(self, items, next_uri, opts)
end

-- Parse a single-object response into a record. Its ctx says how the call
-- went (n:call_info()): a call without retries or extra info shares the
-- list's ctx (no info reads as { retries = 0, recovered = false }), so the
-- common case builds no tables; otherwise the record gets a ctx of its own.
function List:record(res, retries, extra)
  return record.from_response(self.kind, res, self.ctx, retries, extra)
end

-- The path table for `sid`: one per list, reused: cfg:build and
-- core.call_record read it synchronously (C, no yield between setting sid
-- and the build) and keep nothing of it.
local function new_sid_path(self)
  local path = copy(self.path)
  self.sid_path = path
  -- a path that is the client's own account and nothing else: fetch and
  -- update give client:request_record the SID alone (its fused call needs
  -- no table then)
  local k, v = next(path)
  self.sid_alone = k == "account_sid" and next(path, k) == nil and v == self.client:account_sid()
  return path
end

-- A phone number where a SID goes: err says where phone numbers are taken.
local function sid_hint(self, sid, err)
  if err.kind == "invalid" and err.field == "sid" and sid:match("^%+?%d+$") and self.find then
    err.message = err.message .. fmt("; for a phone number use %s:find('%s')", tostring(self.name),
                                     sid:sub(1, 1) == "+" and sid or "+" .. sid)
  end
  return err
end

-- One request on the object `sid` of this list: res, nil, retries | nil, err
function List:on_sid(what, op, sid, params, opts)
  if not op then error(("twilio: %s has no %s"):format(tostring(self.name), what), 3) end
  if type(sid) ~= "string" then error(("twilio: %s(sid): sid must be a string"):format(what), 3) end
  opts = self.client:call_options(opts)
  local path = self.sid_path or new_sid_path(self)
  path.sid = sid
  local res, err, retries = self.client:request(op, path, params, opts)
  if not res then return nil, sid_hint(self, sid, err) end
  return res, err, retries
end

-- on_sid whose answer is the object: its record | nil, err
-- (client:request_record: one C call in the common case). A local
-- function, not a method: the per-call path stays short.
local function sid_record(self, what, op, sid, params, opts)
  if not op then error(("twilio: %s has no %s"):format(tostring(self.name), what), 3) end
  if type(sid) ~= "string" then error(("twilio: %s(sid): sid must be a string"):format(what), 3) end
  local client = self.client
  if opts ~= nil then opts = client:call_options(opts) end
  local path = self.sid_path or new_sid_path(self)
  path.sid = sid
  local rec, err = client:request_record(op, path, params, opts, self.kind, self.ctx)
  if rec then return rec end
  return nil, sid_hint(self, sid, err)
end

-- fetch and update take the common case (no call options, a string SID)
-- themselves, one Lua call fewer, with the SID alone as the path when the
-- list is the client's own account's (sid_alone); anything else goes
-- through sid_record, whose errors name the caller's line as before.
-- Both are made by sid_method: what = "fetch" | "update", op_key the
-- list's field holding its operation, with_params: update(sid, params).
local function sid_method(what, op_key, with_params)
  return function(self, sid, a, b)
    local params, opts = nil, a
    if with_params then
      if type(a) ~= "table" then error("twilio: update(sid, params): a table of fields expected", 2) end
      params, opts = a, b
    end
    local op = self[op_key]
    if opts == nil and op and type(sid) == "string" then
      local path = self.sid_path or new_sid_path(self)
      if self.sid_alone then path = sid else path.sid = sid end
      local rec, err = self.client:request_record(op, path, params, nil, self.kind, self.ctx)
      if rec then return rec end
      return nil, sid_hint(self, sid, err)
    end
    return sid_record(self, what, op, sid, params, opts)
  end
end

-- fetch(sid[, opts]) -> record | nil, err
List.fetch = sid_method("fetch", "fetch_op", false)

-- update(sid, {...}[, opts]) / delete(sid): act on an object by SID without
-- fetching it first (one request). numbers:release(sid) is delete under
-- its own name.
List.update = sid_method("update", "update_op", true)

function List:delete(sid, opts)
  -- a retried DELETE that finds the object gone: an earlier attempt deleted it
  return record.deleted(self:on_sid("delete", self.delete_op, sid, nil, opts))
end
List.release = List.delete

-- Bulk: update_many / release_many / fetch_many (twilio.bulk runs them).
--   targets: an array of twilio.PhoneNumber objects (changed in place), SIDs
--            ("PN…"), or E.164 numbers ("+1415…", looked up exactly with find)
--   opts:    { concurrency =, on_progress =, timeout =, connect_timeout =,
--              retries =, on_retry = }
--   -> results: results[i] = { ok = true, value = v } | { ok = false, error = err }
--      (value: the number for update and fetch, true for release), or
--      nil, err when the parameters are invalid: one error, nothing sent.
local MANY_CALL_OPTS = { timeout = true, connect_timeout = true, retries = true, on_retry = true }
local MANY_BULK_OPTS = { concurrency = true, on_progress = true }

-- -> bulk_opts, call_opts, n (the targets before the first nil)
local function many_setup(self, what, targets, opts)
  if type(targets) ~= "table" then
    error(("twilio: %s: an array of numbers, SIDs or E.164 numbers expected"):format(what), 3)
  end
  local n, bad = core.bulk_targets(targets)      -- ipairs' walk, checked in C
  if bad then
    error(("twilio: %s: target %d must be a number object, a SID or an E.164 number (got %s)")
          :format(what, bad, type(targets[bad])), 3)
  end
  if opts ~= nil and type(opts) ~= "table" then error(("twilio: %s: options must be a table"):format(what), 3) end
  local bulk_opts, call_opts = {}, {}
  for k, v in pairs(opts or {}) do
    if MANY_BULK_OPTS[k] then bulk_opts[k] = v
    elseif MANY_CALL_OPTS[k] then call_opts[k] = v
    else error(("twilio: unknown option '%s' for %s (concurrency, on_progress, timeout, " ..
                "connect_timeout, retries, on_retry)"):format(tostring(k), what), 3)
    end
  end
  bulk.check_options(bulk_opts, what)
  return bulk_opts, self.client:call_options(call_opts), n
end

-- One bulk task per target (bulk.run_each: no function per target): the
-- target resolved (an E.164 number looked up exactly with find), then
-- act(t, target, i) with t a record or a SID.
local function run_many(self, targets, n, bulk_opts, call_opts, act, fast)
  return bulk.run_each(self.client, n, function(i)
    local target = targets[i]
    local t = target
    if type(target) == "string" and byte(target, 1) == PLUS then
      local err
      t, err = self:find(target, call_opts)
      if not t then return nil, err end
    end
    return act(t, target, i)
  end, bulk_opts, fast)
end

-- The same request for many SIDs (update_many with one params table,
-- fetch_many): op's request checked and encoded once, up front (a PN SID
-- in its path), then, per SID, this request to that SID's URL
-- (cfg:rebuild_url: the path checked as cfg:build checks it; the body
-- shared). -> send, fast | nil, err (the template does not build), where
-- send(sid, i) -> res, nil, retries | nil, err, as client:send gives, or
-- false when rebuild_url refuses the SID: the caller then goes through
-- update or fetch, which word the error.
-- The batch's lane (twilio.bulk): while no 429 has paused the batch, no
-- debug hook wants a line per attempt and the group's own transport
-- carries the request, the first attempt is sent straight from here and
-- a 2xx answer returned; any other answer goes to client:send as its
-- first attempt's, which retries, words and pauses exactly as for a
-- request it sent itself.
-- fast (when the lane applies; nil otherwise): bulk.run_each's first
-- phase, core.lane_run on the group's multi handle: the SID targets sent
-- from one C call, each 2xx JSON answer made its record there (as the
-- task below would: from_response with 0 retries); the first other answer
-- ends it, and that target's answer, kept in primed[i], is send(sid, i)'s
-- first attempt when a worker takes it.
local function sid_sender(self, op, params, call_opts, targets, n)
  local client = self.client
  local cfg = client.cfg
  local path = copy(self.path)
  path.sid = "PN" .. ("0"):rep(32)
  local tmpl, err = cfg:build(op, path, params)
  if not tmpl then return nil, err end
  local lane, sent = bulk.lane(client, call_opts, tmpl)
  local primed = {}
  local fast
  if lane then
    local kind, ctx, lane_run = self.kind, self.ctx, core.lane_run
    fast = function(group, results, rest, on_progress, conc)
      if not group.multi_handle then return nil end       -- ngx.thread group
      return lane_run(group:multi_handle(), cfg, sent, path, targets, n, kind, ctx,
                      results, rest, primed, on_progress, conc)
    end
  end
  return function(sid, i)
    path.sid = sid
    local url = cfg:rebuild_url(tmpl, path)
    if not url then return false end
    if lane then
      local p = primed[i]
      if p then primed[i] = nil end
      return lane(url, p)
    end
    return client:send(bulk.request_for(tmpl, url), call_opts)
  end, fast
end

function List:update_many(targets, params, opts)
  if type(params) ~= "table" and type(params) ~= "function" then
    error("twilio: update_many: params must be a table or a function", 2)
  end
  if not self.update_op then error(("twilio: %s has no update"):format(tostring(self.name)), 2) end
  local bulk_opts, call_opts, n = many_setup(self, "update_many", targets, opts)
  if type(params) == "function" then
    return run_many(self, targets, n, bulk_opts, call_opts, function(t, target, i)
      local p = params(target, i)
      if type(t) == "string" then return self:update(t, p, call_opts) end
      return t:update(p, call_opts)
    end)
  end
  local send, fast = sid_sender(self, self.update_op, params, call_opts, targets, n)
  if not send then return nil, fast end
  local kind, ctx, from_response = self.kind, self.ctx, record.from_response
  -- run_many's task, with the update in it (one call less per target)
  return bulk.run_each(self.client, n, function(i)
    local t = targets[i]
    if type(t) == "string" then
      if byte(t, 1) == PLUS then
        local ferr
        t, ferr = self:find(t, call_opts)
        if not t then return nil, ferr end
        return t:update(params, call_opts)
      end
      local res, rerr, retries = send(t, i)
      if res == false then return self:update(t, params, call_opts) end
      if not res then return nil, rerr end
      return from_response(kind, res, ctx, retries)      -- self:record(res, retries)
    end
    return t:update(params, call_opts)
  end, bulk_opts, fast)
end

function List:release_many(targets, opts)
  if not self.delete_op then error(("twilio: %s has no release"):format(tostring(self.name)), 2) end
  local bulk_opts, call_opts, n = many_setup(self, "release_many", targets, opts)
  return run_many(self, targets, n, bulk_opts, call_opts, function(t)
    if type(t) == "string" then return self:delete(t, call_opts) end
    return t:release(call_opts)
  end)
end

function List:fetch_many(targets, opts)
  if not self.fetch_op then error(("twilio: %s has no fetch"):format(tostring(self.name)), 2) end
  local bulk_opts, call_opts, n = many_setup(self, "fetch_many", targets, opts)
  -- SIDs as update_many's (sid_sender); a list whose SIDs are not PN ones
  -- (the template does not build) fetches each through fetch
  local send, fast = sid_sender(self, self.fetch_op, nil, call_opts, targets, n)
  if not send then fast = nil end
  local kind, ctx, from_response = self.kind, self.ctx, record.from_response
  return run_many(self, targets, n, bulk_opts, call_opts, function(t, target, i)
    if type(t) == "string" then
      if send then
        local res, rerr, retries = send(t, i)
        if res ~= false then
          if not res then return nil, rerr end
          return from_response(kind, res, ctx, retries)  -- self:fetch's record
        end
      end
      return self:fetch(t, call_opts)
    end
    if t == target then return t:fetch(call_opts) end   -- reloaded in place
    return t                                            -- just found: fresh
  end, fast)
end

-- csv{ filters } -> rows from the API's .csv representation, by header name
function List:csv(params, opts)
  return csv.fetch(self, params, opts)
end

-- find("+14155550100") -> the number whose phone_number is exactly that.
-- The API's PhoneNumber filter also matches partial numbers and wildcards,
-- so every candidate is compared (PEERS.md: the CLI takes the first match).
function List:find(e164, opts)
  if type(e164) ~= "string" then error("twilio: find(phone_number): a string expected", 2) end
  if not (e164:match("^%+[1-9]%d+$") and #e164 <= 16) then
    return nil, errors.new("invalid", fmt("find: phone_number must be E.164 like +14155550100 (got '%s')",
                                          e164:sub(1, 40):gsub("[%c]", "?")), { field = "phone_number" })
  end
  local cur, err = self:cursor({ phone_number = e164, page_size = 50 }, opts)
  if not cur then return nil, err end
  while true do
    local n, ierr = cur:next()
    if ierr then return nil, ierr end
    if n == nil then break end
    if n.phone_number == e164 then return n end
  end
  return nil, errors.new("not_found", fmt("no number %s in account %s", e164, tostring(self.path.account_sid)),
                         { status = 404, code = 20404 })
end

-- create{...} -> the new object | nil, err
-- A purchase is never resent blindly (retry.lua). When its outcome is
-- unknown, the number is looked up exactly in the account: found means the
-- purchase happened (the object is returned, n:call_info().recovered is
-- true); absent means the error says it did not.
function List:create(params, opts)
  if not self.create_op then error("twilio: " .. tostring(self.name) .. " has no create", 2) end
  if params ~= nil and type(params) ~= "table" then error("twilio: create: parameters must be a table", 2) end
  opts = self.client:call_options(opts)
  local res, err, retries = self.client:request(self.create_op, self.path, params, opts)
  if res then
    local rec, perr = self:record(res, retries)
    if rec then return rec end
    -- a 2xx whose body cannot be read: bought, but we cannot see what
    err, perr.retries = perr, retries
  end
  if err.kind == "invalid" then return nil, err end
  err.outcome = retry.outcome(err)
  if err.outcome == "not_applied" or self.kind ~= "PhoneNumber" then return nil, err end
  return self:recover_purchase(params, err, opts)
end

function List:recover_purchase(params, err, opts)
  local acct = self.client:account(self.path.account_sid)
  local number = params and params.phone_number
  if not number then
    err.message = fmt("%s; the purchase in area code %s %s: check with " ..
      "numbers:list{ phone_number = '+1%s' } before buying again", err.message or "request failed",
      tostring(params and params.area_code),
      err.outcome == "applied" and "went through (HTTP " .. tostring(err.status) .. ")" or "may have gone through",
      tostring(params and params.area_code))
    return nil, err
  end
  local n, ferr = acct.incoming_phone_numbers:find(number, { retries = 2, timeout = opts and opts.timeout })
  if n then
    return record.recovered(n, self.client, self.path.account_sid, err)
  end
  if ferr.kind == "not_found" and err.kind == "timeout" then
    -- the server may still be working on the request we stopped waiting for
    err.message = fmt("%s; checked: %s is not in account %s yet, but the timed-out request may still " ..
                      "be applied: look for it again with numbers:find before buying again",
                      err.message or "request failed", number, tostring(self.path.account_sid))
  elseif ferr.kind == "not_found" then
    err.outcome = "not_applied"
    err.message = fmt("%s; checked: %s is not in account %s, so it was not bought and buying again is safe",
                      err.message or "request failed", number, tostring(self.path.account_sid))
  else
    err.message = fmt("%s; the purchase may have gone through and the check failed too (%s): " ..
                      "look for %s with numbers:find before buying again",
                      err.message or "request failed", tostring(ferr.message), number)
  end
  return nil, err
end

return _M
