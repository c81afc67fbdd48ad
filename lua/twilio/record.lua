-- twilio.record: what happens to a record (a twilio.PhoneNumber and the other
-- userdata types parsed by the C core) after its answer arrives. The only
-- Lua module that calls core.record_* and core.set_methods.
--
--   record.body(res, req)                        the 2xx body to parse as JSON | nil, err
--   record.from_response(kind, res, ctx, retries, extra)
--                                                a new record from a single-object answer
--   record.call(rec, op, path, params, opts)     a request on rec's own path -> res, nil, retries
--   record.reload(rec, op, path, params, opts)   call + rec takes the answer in place -> rec
--   record.remove(rec, op, path, opts)           DELETE with recovery -> true (rec marked released)
--   record.deleted(res, err)                     DELETE with recovery, by SID -> true | nil, err
--   record.recovered(rec, client, account_sid, err)   mark a purchase found by lookup
--   record.ctx_of(rec) -> client, ctx, account_sid    (raises when detached)
--   record.define(kind, methods)                 install a copy of methods (+ totable, call_info...)
--                                                 (later changes to methods are not seen)
--
-- A record's ctx (core.record_ctx) says which client and account it belongs
-- to and, when there is something to say, how the call that made it went
-- (n:call_info(): retries, recovered). Records of one page share their list's
-- ctx; a call with retries or recovery gets a fresh ctx of its own
-- (call_ctx below, the one place that builds one).
--
-- Methods are installed here for PhoneNumber, AvailablePhoneNumber and
-- Country, and by twilio.addons (through define) for AssignedAddOn and
-- Extension, when twilio.client is loaded: `require "twilio.client"` alone
-- gives records with all their methods. Related lists are reached through
-- the record's client (client:account(sid)), so this module requires no list.
local core = require "twilio.core"
local errors = require "twilio.errors"
local retry = require "twilio.retry"

local type, error, tostring, pairs = type, error, tostring, pairs
local fmt = string.format

local _M = {}

-- The body of a 2xx answer the caller parses as JSON: body | nil, err (kind
-- "decode", HTTP status kept) when the server labels it as something else
-- (an HTML page from a proxy, text/plain). No Content-Type: accepted.
-- The Content-Types Twilio (and the emulator, and nginx) send, known to be
-- JSON without lowering a copy of the header each call.
local JSON_TYPES = { ["application/json"] = true, ["application/json; charset=utf-8"] = true,
                     ["application/json;charset=utf-8"] = true, ["application/json; charset=UTF-8"] = true }

function _M.body(res, req)
  local ct = res.headers and res.headers["content-type"]
  if ct and not JSON_TYPES[ct] and not ct:lower():find("json", 1, true) then
    return nil, errors.new("decode", fmt("expected a JSON response, got Content-Type '%s' (HTTP %d)",
                                         ct:sub(1, 80):gsub("[%c]", "?"), res.status),
                           { status = res.status, method = req and req.method, url = req and req.url })
  end
  return res.body or ""
end

-- detach(rec) -> rec: rec reads a copy of its own JSON from now on (same
-- fields, ctx and released flag), so it no longer keeps its page's body
-- alive. A list cursor detaches the record it handed out last before it
-- fetches the next page (twilio.list); a closed record stays closed.
_M.detach = core.record_detach

-- A fresh ctx that says how a call went, or nil when there is nothing to
-- say (no retries, no extra info): the caller then shares an existing ctx
-- and builds no table.
local function call_ctx(client, account_sid, retries, extra)
  if (retries == nil or retries == 0) and not extra then return nil end
  local info = { retries = retries or 0 }
  if extra then for k, v in pairs(extra) do info[k] = v end end
  return { client = client, account_sid = account_sid, info = info }
end

-- client, ctx, account_sid of rec; raises when rec belongs to no client.
function _M.ctx_of(rec)
  local ctx = core.record_ctx(rec)
  local client = ctx.client
  if not client then error("twilio: this object is not attached to a client", 3) end
  return client, ctx, rec.account_sid or ctx.account_sid
end

-- A record of `kind` from a single-object answer. shared: the ctx of the
-- list that asked (used as is when the call has nothing to report).
function _M.from_response(kind, res, shared, retries, extra)
  local ctx = call_ctx(shared.client, shared.account_sid, retries, extra) or shared
  local body, cerr = _M.body(res)
  if not body then return nil, cerr end
  local rec, err = core.parse_record(kind, body, ctx)
  if not rec then err.status = res.status end
  return rec, err
end

-- rec (found by an exact lookup after a purchase's answer was lost) reports
-- the purchase's call: recovered, with the retries and the error it hid.
function _M.recovered(rec, client, account_sid, err)
  core.record_set_ctx(rec, call_ctx(client, account_sid, err.retries or 0,
                                    { recovered = true, error = err }))
  return rec
end

-- A request on rec's own path (path.account_sid filled in): res, nil, retries | nil, err
function _M.call(rec, op, path, params, opts)
  local client, _, account_sid = _M.ctx_of(rec)
  opts = client:call_options(opts)
  path.account_sid = account_sid
  return client:request(op, path, params, opts)
end

-- Replace rec's data with the single object in res (same kind). The common
-- case (no retries, the old ctx says nothing about a call, and the fresh
-- JSON names its account) keeps the old ctx: it reads the same, and no
-- table is built. Otherwise a fresh ctx.
local function take(rec, client, res, retries, old)
  local body, cerr = _M.body(res)
  if not body then return nil, cerr end
  local kind = core.record_kind(rec)
  if (retries == nil or retries == 0) and old.info == nil and old.client == client then
    local fresh, err = core.parse_record(kind, body, old)
    if not fresh then err.status = res.status; return nil, err end
    if fresh.account_sid ~= nil then
      core.record_replace(rec, fresh)
      return rec
    end
  end
  local ctx = call_ctx(client, rec.account_sid or old.account_sid, retries or 0, {})
  local fresh, err = core.parse_record(kind, body, ctx)
  if not fresh then err.status = res.status; return nil, err end
  core.record_replace(rec, fresh)
  ctx.account_sid = rec.account_sid or ctx.account_sid
  core.record_set_ctx(rec, ctx)
  return rec
end

-- call, then rec takes the answer in place: rec | nil, err
function _M.reload(rec, op, path, params, opts)
  local client, ctx = _M.ctx_of(rec)
  local res, err, retries = _M.call(rec, op, path, params, opts)
  if not res then return nil, err end
  return take(rec, client, res, retries, ctx)
end

-- A DELETE's outcome: true, also when a retried DELETE finds the object gone
-- or its 2xx body was unreadable (retry.deleted); else nil, err.
function _M.deleted(res, err)
  if res or retry.deleted(err) then return true end
  return nil, err
end

-- DELETE rec; on success rec is marked released.
function _M.remove(rec, op, path, opts)
  local ok, err = _M.deleted(_M.call(rec, op, path, nil, opts))
  if ok then core.record_release(rec) end
  return ok, err
end

-- Raises when rec was released (or deleted).
function _M.not_released(rec, verb)
  if core.record_released(rec) then
    if core.record_kind(rec) == "PhoneNumber" then
      error(fmt("twilio: number %s (%s) was released; it cannot be %s",
                tostring(rec.sid), tostring(rec.phone_number), verb), 3)
    end
    error(fmt("twilio: %s %s was deleted; it cannot be %s", core.record_kind(rec), tostring(rec.sid), verb), 3)
  end
end

local function call_info(rec)
  local info = core.record_ctx(rec).info
  return { retries = info and info.retries or 0, recovered = info and info.recovered or false }
end

local function time_of(rec, field)
  local v = core.record_get(rec, field)
  if type(v) ~= "string" then return nil end
  return core.rfc2822_to_epoch(v)
end

-- Methods every record type has, unless its table says otherwise.
local COMMON = { totable = core.record_totable, call_info = call_info }

-- LuaJIT: field reads the JIT can compile. The C __index (methods, then
-- fields) is a C function, which LuaJIT's JIT does not compile: every n.sid
-- in a loop left the trace. Here __index is a Lua function: methods first,
-- as in C, then the record's field through the core's reader (a C function
-- called through the FFI, see ffi_read in src/ltw_record.c) and
-- ffi.string. The reader answers strings without escapes and nil (missing,
-- null, ""); anything else (numbers, booleans, objects, escapes, a closed
-- record) goes to the C __index, so every value reads as it does there.
-- The record is checked to be one of ours (its metatable) before its
-- memory is handed to C. Lua 5.4 (no FFI) keeps the C __index.
--
-- It pays only in compiled code: callgrind, per read, -560 instructions
-- in a compiled loop but +2,430 interpreted (an FFI call, a boxed pointer
-- and ffi.string, each a few hundred instructions in the interpreter).
-- And a Lua __index called often from interpreted code (a loop with an
-- inner loop or a closure in it) is blacklisted by LuaJIT: its
-- function-entry traces abort ("return to lower frame"), and from then on
-- every trace that reaches it aborts too, so every read anywhere runs
-- interpreted. So every CHECK_EVERY reads the index checks that the JIT
-- is on and has not blacklisted it (its first instruction turned IFUNCF);
-- if it has, the kind goes back to the C __index for good.
-- Each kind's index is a prototype of its own (fast_index loads the factory
-- afresh from its bytecode, string.dump): LuaJIT compiles the closures of a
-- prototype made more than once (once per kind) as polymorphic, loading
-- and checking every upvalue (the reader, its output slot, ffi.string...)
-- on each read; the only closure of a prototype has its immutable upvalues
-- folded into the trace as constants. The metatable is read by
-- debug.getmetatable, which the JIT folds into the load the metamethod
-- lookup made already (getmetatable also looks up a __metatable field).
-- callgrind, list-all (two reads a record): the loop's trace 265 -> 105
-- instructions a record, 6.09 M -> 5.93 M a page in all.
local fast_index
do
  local ok, ffi = pcall(require, "ffi")
  local ok_util, jit_util = pcall(require, "jit.util")
  local jit = rawget(_G, "jit")
  if ok and ok_util and jit and type(ffi) == "table" and ffi.cast then
    -- the opcode a blacklisted function starts with: the one after FUNCF,
    -- which a function never called (never hot) starts with
    local IFUNCF = jit_util.funcbc(function() end, 0) % 256 + 1
    local ffi_cast, ffi_string = ffi.cast, ffi.string
    local funcbc, jit_status = jit_util.funcbc, jit.status
    local API = ffi.typeof("struct { int (*read)(void *, const char *, size_t, const char **); } *")
    local out = ffi.new("const char *[1]")
    -- whether f still runs compiled where it can: the JIT on, f not blacklisted
    local function compiles(f)
      return jit_status() and funcbc(f, 0) % 256 ~= IFUNCF
    end
    -- The index of one kind, from what fast_index hands it: no upvalues, so
    -- that its bytecode loads into a working function.
    local function index_factory(methods, mt, own_mt, c_index, read, out_slot, to_string,
                                 getmt, type_of, jit_compiles)
      local CHECK_EVERY = 1024
      local reads, index = 0, nil
      index = function(rec, key)
        local m = methods[key]
        if m ~= nil then return m end
        local rmt = getmt(rec)
        if type_of(key) == "string" and (rmt == mt or rmt == own_mt) then
          reads = reads + 1
          if reads >= CHECK_EVERY then
            reads = 0
            if not jit_compiles(index) then
              if mt.__index == index then mt.__index = c_index end
              if own_mt.__index == index then own_mt.__index = c_index end
              return c_index(rec, key)
            end
          end
          local n = read(rec, key, #key, out_slot)
          if n > 0 then return to_string(out_slot[0], n) end
          if n == -1 then return nil end
        end
        return c_index(rec, key)
      end
      return index
    end
    -- no string.dump or no bytecode loading (a sandbox): the factory itself,
    -- one prototype for all kinds (reads the same, with more loads)
    local dumped = string.dump and string.dump(index_factory)
    local getmt = debug and debug.getmetatable or getmetatable
    fast_index = function(kind, methods)
      -- mt: page records' and LuaJIT's single records'; own_mt: the same plus
      -- __gc, a single record's whose doc holds memory of its own
      -- (src/ltw_record.c orecord)
      local mt, c_index, api, own_mt = core.record_reader(kind)
      local factory = index_factory
      if dumped then   -- a sandbox may keep string.dump and take load away, or make it raise
        local loaded, f = pcall(load, dumped, "=twilio.record", "b")
        if loaded and f then factory = f end
      end
      local index = factory(methods, mt, own_mt, c_index, ffi_cast(API, api).read, out, ffi_string,
                            getmt, type, compiles)
      mt.__index = index
      own_mt.__index = index
    end
  end
end
_M.fast_reads = fast_index ~= nil

-- define(kind, methods): install methods for records of kind (plus
-- COMMON's, unless methods has its own). The records read a copy of the
-- table, taken here: changing methods afterwards changes nothing. The copy
-- is held by the index functions only, so core.set_methods is told it is
-- frozen: on Lua 5.4 a field read skips the method table for a key that
-- no method has the length of (src/ltw_record.c kind_index).
function _M.define(kind, methods)
  local own = {}
  for k, f in pairs(methods) do own[k] = f end
  for k, f in pairs(COMMON) do
    if own[k] == nil then own[k] = f end
  end
  core.set_methods(kind, own, true)
  if fast_index then fast_index(kind, own) end
end

_M.time_of = time_of
_M.released = core.record_released
_M.json = core.record_json

---------------------------------------------------------------- PhoneNumber
--   n:update{ voice_url = ..., sms_method = "POST" }  -> n (changed in place) | nil, err
--   n:update{ account_sid = "AC…" }                   moves n; later calls use the new account
--   n:release()                                        -> true | nil, err
--   n:fetch()                                          -> n (reloaded in place) | nil, err
--   n:assigned_add_ons()                               -> list of twilio.AssignedAddOn
--   n:time("date_created")                             -> epoch seconds | nil
--   n:totable(), n:json(), n:released(), n:call_info() -> { retries =, recovered = }
-- A released number refuses :update, :release and :fetch (raises).
_M.define("PhoneNumber", {
  update = function(n, params, opts)
    if type(params) ~= "table" then error("twilio: update: a table of fields expected", 2) end
    _M.not_released(n, "updated")
    return _M.reload(n, "UpdateIncomingPhoneNumber", { sid = n.sid }, params, opts)
  end,
  fetch = function(n, opts)
    _M.not_released(n, "fetched")
    return _M.reload(n, "FetchIncomingPhoneNumber", { sid = n.sid }, nil, opts)
  end,
  release = function(n, opts)
    _M.not_released(n, "released again")
    return _M.remove(n, "DeleteIncomingPhoneNumber", { sid = n.sid }, opts)
  end,
  assigned_add_ons = function(n)
    local client, _, account_sid = _M.ctx_of(n)
    return client:account(account_sid).incoming_phone_numbers:assigned_add_ons(n.sid)
  end,
  released = core.record_released,
  time = time_of,
  json = core.record_json,
})

---------------------------------------------------------------- searches
-- avail:buy{ voice_url = ..., sms_url = ... } buys this number in the account
-- that searched for it, with the same double-purchase protection as create.
_M.define("AvailablePhoneNumber", {
  buy = function(avail, params, opts)
    if params ~= nil and type(params) ~= "table" then error("twilio: buy: parameters must be a table", 2) end
    local client, ctx = _M.ctx_of(avail)
    local p = {}
    if params then for k, v in pairs(params) do p[k] = v end end
    if p.phone_number ~= nil or p.area_code ~= nil then
      error("twilio: buy: phone_number comes from the search result; do not pass it", 2)
    end
    p.phone_number = avail.phone_number
    return client:account(ctx.account_sid).incoming_phone_numbers:create(p, opts)
  end,
})

-- country:search("local", { area_code = 415 }) searches that country.
_M.define("Country", {
  search = function(c, kind, params, opts)
    local client, ctx = _M.ctx_of(c)
    return client:account(ctx.account_sid).available_phone_numbers:search(c.country_code, kind, params, opts)
  end,
})

return _M
