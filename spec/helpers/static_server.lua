-- spec/helpers/static_server.lua -- a throw-away Debian nginx on a free
-- loopback port with fixed endpoints for the libcurl transport spec.
--
--   local server = require "helpers.static_server"
--   local srv = assert(server.start())
--   srv.url            -- "http://127.0.0.1:<port>"
--   srv:stop()         -- idempotent; removes the prefix directory
--
-- Endpoints:
--   /echo          JSON { method, uri, headers (lower-case names), body }
--                  (and any path under /2010-04-01/, so a client's calls echo)
--   /2010-04-01/Accounts/AC0...099/IncomingPhoneNumbers/PN<32 hex>.json
--                  a number's JSON of about 1.3 KB at once (sid, method, uri,
--                  pad), as Twilio's (bulk_lane_heap_spec)
--   /status?code=N  empty body with that status
--   /redirect      302 to /echo
--   /slow?ms=N     sleeps N ms, then "slow"
--   /drop          reads the request, then closes the connection without a reply
--   /big?n=N       N bytes of "x"
--   /dup           two X-Dup headers ("one", then "two")
--   /kept?code=N   status N (200), every header the handles keep by default,
--                  Retry-After twice ("1", then "7"), names in odd cases,
--                  a value with spaces around it, and others; body "{}"
-- Own prefix, pid file and error log; LD_PRELOAD is removed for nginx (the
-- ASan run preloads it into lua5.4 only).
local socket = require "socket"

local _M = {}

local MODULES = "/usr/lib/nginx/modules"

local function sh(s) return "'" .. tostring(s):gsub("'", "'\\''") .. "'" end

local function free_port()
  local s = assert(socket.bind("127.0.0.1", 0))
  local _, port = s:getsockname()
  s:close()
  return tonumber(port)
end

-- the repository root, found once by the nginx spec helper
local function root() return require("helpers.nginx").root end

local CONF = [[
daemon on;
master_process on;
worker_processes 1;
pid @DIR@/nginx.pid;
error_log @DIR@/error.log warn;
@USER@
load_module @MODULES@/ndk_http_module.so;
load_module @MODULES@/ngx_http_lua_module.so;
events { worker_connections 512; }
http {
  access_log off;
  client_body_temp_path @DIR@/body;
  proxy_temp_path @DIR@/proxy;
  fastcgi_temp_path @DIR@/fastcgi;
  uwsgi_temp_path @DIR@/uwsgi;
  scgi_temp_path @DIR@/scgi;
  keepalive_timeout 60s;
  keepalive_requests 10000;
  client_body_buffer_size 1m;
  client_max_body_size 4m;
  server {
    listen 127.0.0.1:@PORT@ backlog=512;
    location ~ "^/2010-04-01/Accounts/AC0{30}99/IncomingPhoneNumbers/(PN[0-9a-f]{32})[.]json$" {
      content_by_lua_block {
        local sid = ngx.var[1]
        ngx.req.read_body()
        ngx.header["Content-Type"] = "application/json"
        ngx.print('{"sid": "', sid, '", "method": "', ngx.req.get_method(), '", "uri": "',
                  ngx.var.uri, '", "pad": "', string.rep("x", 1100), '"}')
      }
    }
    location ~ ^(/echo|/2010-04-01/.*)$ {
      content_by_lua_block {
        local cjson = require "cjson"
        ngx.req.read_body()
        local body = ngx.req.get_body_data() or ""
        ngx.header["Content-Type"] = "application/json"
        ngx.print(cjson.encode{ method = ngx.req.get_method(), uri = ngx.var.request_uri,
                                headers = ngx.req.get_headers(200), body = body })
      }
    }
    location = /status {
      content_by_lua_block { ngx.exit(tonumber(ngx.var.arg_code) or 500) }
    }
    location = /redirect { return 302 /echo; }
    location = /slow {
      content_by_lua_block {
        ngx.sleep((tonumber(ngx.var.arg_ms) or 0) / 1000)
        ngx.print("slow ", ngx.var.arg_i or "")
      }
    }
    location = /drop {
      content_by_lua_block { ngx.req.read_body() ngx.exit(444) }
    }
    location = /big {
      content_by_lua_block { ngx.print(string.rep("x", tonumber(ngx.var.arg_n) or 0)) }
    }
    location = /kept {
      content_by_lua_block {
        ngx.status = tonumber(ngx.var.arg_code) or 200
        ngx.header["Content-Type"] = "application/json; charset=utf-8"
        ngx.header["retry-after"] = { "1", "7" }
        ngx.header["LOCATION"] = "/2010-04-01/x"
        ngx.header["WWW-Authenticate"] = 'Basic realm="t"'
        ngx.header["Twilio-Request-Id"] = "  RQ0123  "
        ngx.header["X-Other"] = "o"
        ngx.header["Content-Length"] = 2
        ngx.print("{}")
      }
    }
    location = /dup {
      content_by_lua_block { ngx.header["X-Dup"] = { "one", "two" } ngx.print("dup") }
    }
  }
}
]]

local Server = {}
Server.__index = Server

function Server:stop()
  if self.stopped then return end
  self.stopped = true
  os.execute("env -u LD_PRELOAD /usr/sbin/nginx -p " .. sh(self.dir) .. " -c " .. sh(self.dir .. "/nginx.conf")
             .. " -e " .. sh(self.dir .. "/error.log") .. " -s stop >/dev/null 2>&1")
  -- wait (bounded) until the port is closed
  for _ = 1, 50 do
    local c = socket.tcp()
    c:settimeout(0.1)
    local ok = c:connect("127.0.0.1", self.port)
    c:close()
    if not ok then break end
    socket.sleep(0.05)
  end
  os.execute("rm -rf " .. sh(self.dir))
end

function _M.start()
  local port = free_port()
  local dir = root() .. "/build/static-server-" .. port
  os.execute("rm -rf " .. sh(dir) .. " && mkdir -p " .. sh(dir))
  local user = require("helpers.nginx").user_directive   -- "user root;" when run as root
  local conf = CONF:gsub("@(%u+)@", { DIR = dir, PORT = tostring(port), MODULES = MODULES, USER = user })
  local f = assert(io.open(dir .. "/nginx.conf", "w"))
  f:write(conf)
  f:close()
  local cmd = "env -u LD_PRELOAD /usr/sbin/nginx -p " .. sh(dir) .. " -c " .. sh(dir .. "/nginx.conf")
              .. " -e " .. sh(dir .. "/error.log") .. " >" .. sh(dir .. "/start.log") .. " 2>&1"
  local ok = os.execute(cmd)
  if ok ~= true and ok ~= 0 then
    local lf = io.open(dir .. "/start.log")
    local msg = lf and lf:read("*a") or "?"
    if lf then lf:close() end
    return nil, "nginx did not start: " .. msg
  end
  local srv = setmetatable({ dir = dir, port = port, url = "http://127.0.0.1:" .. port }, Server)
  for _ = 1, 100 do                         -- bounded: up to ~5 s
    local c = socket.tcp()
    c:settimeout(0.1)
    local up = c:connect("127.0.0.1", port)
    c:close()
    if up then return srv end
    socket.sleep(0.05)
  end
  srv:stop()
  return nil, "nginx did not listen on port " .. port
end

-- A listening socket whose accept queue is full, so a new connect() gets
-- no SYN-ACK and times out (loopback only). Returns { port=, close=fn } or nil.
function _M.black_hole()
  local l = socket.tcp()
  if not l:bind("127.0.0.1", 0) then return nil end
  if not l:listen(0) then return nil end
  local _, port = l:getsockname()
  local fillers = {}
  for _ = 1, 8 do                            -- fill the accept queue; never accept
    local c = socket.tcp()
    c:settimeout(0.05)
    c:connect("127.0.0.1", tonumber(port))
    fillers[#fillers + 1] = c
  end
  return {
    port = tonumber(port),
    close = function()
      for _, c in ipairs(fillers) do c:close() end
      l:close()
    end,
  }
end

return _M
