-- spec/helpers/ngx_driver.lua -- handlers that run *inside* the test nginx
-- (LuaJIT) for spec/nginx/*_spec.lua: they call twilio.transport.ngx and
-- twilio.transport.pick and answer with JSON the specs can check.
-- luacheck: globals ngx
local ngx = ngx
local cjson = require "cjson.safe"

local _M = {}

local function url_for(r)
  if r.url then return r.url end
  return "http://127.0.0.1:" .. ngx.var.server_port .. (r.path or "/")
end

local function now_ms()
  ngx.update_time()
  return ngx.now() * 1000
end

local function reply(t, status)
  local s = cjson.encode(t)
  ngx.status = status or 200
  ngx.header.content_type = "application/json"
  ngx.header.content_length = #s
  ngx.print(s)
end

local function prep(r)
  return { method = r.method or "GET", url = url_for(r), headers = r.headers, body = r.body,
           timeout_ms = r.timeout_ms, connect_timeout_ms = r.connect_timeout_ms, max_body = r.max_body,
           idempotent = r.idempotent }
end

local function summarize(res, terr, with_body)
  if res then
    local out = { status = res.status, headers = res.headers, body_len = #res.body, reused = res.reused }
    if with_body ~= false then out.body = res.body end
    return { res = out }
  end
  return { err = terr }
end

-- POST /t/request  { req = {method=, path=|url=, headers=, body=, ...}, opts = {...},
--                    n = repeat count, with_body = bool }
function _M.request()
  ngx.req.read_body()
  local spec = cjson.decode(ngx.req.get_body_data() or "") or {}
  local T = require "twilio.transport.ngx"
  local t = assert(T.new(spec.opts))
  local out = {}
  for i = 1, spec.n or 1 do
    local t0 = now_ms()
    local res, terr = t:request(prep(spec.req or {}))
    local one = summarize(res, terr, spec.with_body)
    one.elapsed_ms = now_ms() - t0
    out[i] = one
  end
  t:close()
  t:close()
  reply(spec.n and out or out[1])
end

-- GET /t/load: the C core and the transport load under nginx's LuaJIT
function _M.load()
  local core = require "twilio.core"
  local T = require "twilio.transport.ngx"
  local e = core.new_error{ kind = "transport", message = "x" }
  reply{
    jit = jit and jit.version or nil,
    lua = _VERSION,
    core = type(core),
    transport = type(T.new),
    is_error = core.is_error and core.is_error(e) or false,
    error_string = tostring(e),
    core_so = package.searchpath and package.searchpath("twilio.core", package.cpath) or nil,
  }
end

-- what pick() returns in the current phase; with try_request, a request to
-- /up/count is attempted when a transport came back (it must not, outside
-- the cosocket phases)
function _M.pick_report(try_request, port)
  local phase = ngx.get_phase()
  local pick = require "twilio.transport.pick"
  local ok, t, err = pcall(pick.pick)
  local r = { phase = phase }
  if not ok then
    r.raised = tostring(t)
  elseif t then
    local mt = getmetatable(t)
    r.transport = (mt and mt.__index == require("twilio.transport.ngx")) and "ngx" or (t.name or "other")
    if try_request and port then
      local rok, res, terr = pcall(t.request, t, { method = "GET", url = "http://127.0.0.1:" .. port .. "/up/count" })
      r.request = rok and (res and res.status or (terr and terr.message)) or "raised"
    end
  else
    local core = require "twilio.core"
    r.err_kind = err and err.kind
    r.err_message = err and err.message
    r.is_error = core.is_error and core.is_error(err) or false
  end
  return cjson.encode(r)
end

function _M.store(key, try_request)
  local ok, port = pcall(function() return ngx.var.server_port end)
  ngx.shared.twtest:set(key, _M.pick_report(try_request, ok and port or 1))
end

return _M
