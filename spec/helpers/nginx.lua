-- spec/helpers/nginx.lua -- start a throw-away Debian nginx (lua-nginx-module,
-- LuaJIT) on a free loopback port for the nginx specs, talk to it over HTTP,
-- stop it. Never touches the system nginx service: own prefix directory,
-- own pid file, own error log, `nginx -p DIR -c DIR/conf/nginx.conf -e ...`.
--
--   local nginx = require "helpers.nginx"
--   local srv = assert(nginx.start{ name = "transport",
--                                   main = "...", http = "...", server = "...",
--                                   env = { NAME = "value" } })
--   local status, body, headers = srv:request{ method = "GET", path = "/x", timeout = 5 }
--   local t = srv:json{ path = "/x" }           -- decoded JSON body (errors on non-JSON)
--   srv:stop()                                  -- QUIT, wait, then KILL if needed
--
-- The specs run under lua5.4 and luajit (and lua5.4 with LD_PRELOAD=ASan);
-- nginx is always started without LD_PRELOAD. HTTP goes through lua-socket.
local socket = require "socket"
local http = require "socket.http"
local ltn12 = require "ltn12"
local ok_cjson, cjson = pcall(require, "cjson.safe")
local json_decode
if ok_cjson then
  json_decode = cjson.decode
else
  local dkjson = require "dkjson"
  json_decode = function(s) return dkjson.decode(s) end
end

local H = {}

H.NGINX = os.getenv("TWILIO_TEST_NGINX") or "/usr/sbin/nginx"
H.MODULES = "/usr/lib/nginx/modules"

local function root()
  local r = os.getenv("TWILIO_NUMBERS_ROOT")
  if r and r ~= "" then return r end
  local p = io.popen("pwd")
  r = p:read("*l")
  p:close()
  return r
end
H.root = root()

-- nginx run as root starts its workers as `nobody`, who cannot read a clone
-- in a directory only root can read (a `mktemp -d` directory, /root/src):
-- then every worker answers 500. As root, the workers run as root too (as an
-- ordinary user, nginx runs them as that user and ignores `user`).
local function is_root()
  local p = io.popen("id -u")
  local uid = p and p:read("*l")
  if p then p:close() end
  return uid == "0"
end
H.user_directive = is_root() and "user root;" or ""

local function sh_quote(s)
  return "'" .. tostring(s):gsub("'", "'\\''") .. "'"
end
H.sh_quote = sh_quote

local function file_exists(path)
  local f = io.open(path, "rb")
  if f then f:close() return true end
  return false
end

local function read_file(path)
  local f = io.open(path, "rb")
  if not f then return nil end
  local s = f:read("*a")
  f:close()
  return s
end
H.read_file = read_file

local function write_file(path, s)
  local f = assert(io.open(path, "wb"))
  assert(f:write(s))
  f:close()
end
H.write_file = write_file

function H.sleep(sec) socket.sleep(sec) end
function H.now() return socket.gettime() end

-- nginx and its Lua module are installed, and the LuaJIT build of the module exists
function H.available()
  if not file_exists(H.NGINX) then return false, "nginx not installed (" .. H.NGINX .. ")" end
  for _, m in ipairs{ "ndk_http_module.so", "ngx_http_lua_module.so" } do
    if not file_exists(H.MODULES .. "/" .. m) then return false, "missing " .. H.MODULES .. "/" .. m end
  end
  if not file_exists(H.root .. "/build/jit/twilio/core.so") then
    return false, "build/jit/twilio/core.so missing (run make)"
  end
  return true
end

-- a port nobody listens on right now (bind to :0 and close)
function H.free_port()
  local s = assert(socket.bind("127.0.0.1", 0))
  local _, port = s:getsockname()
  s:close()
  return tonumber(port)
end

math.randomseed(os.time() + math.floor((os.clock() * 1e6) % 1e6))

local function mkdtemp(name)
  local base = H.root .. "/build/nginx-spec"
  os.execute("mkdir -p " .. sh_quote(base))
  for _ = 1, 20 do
    local dir = string.format("%s/%s-%d-%d", base, name, os.time(), math.random(1, 1e9))
    local r = os.execute("mkdir " .. sh_quote(dir) .. " 2>/dev/null")
    if r == true or r == 0 then return dir end
  end
  error("cannot create a temp dir under " .. base)
end

function H.config(o)
  local dir, port, r = o.dir, o.port, H.root
  return table.concat({
    "load_module " .. H.MODULES .. "/ndk_http_module.so;",
    "load_module " .. H.MODULES .. "/ngx_http_lua_module.so;",
    H.user_directive,
    "worker_processes 1;",
    "daemon on;",
    "master_process on;",
    "pid " .. dir .. "/logs/nginx.pid;",
    "error_log " .. dir .. "/logs/error.log " .. (o.log_level or "info") .. ";",
    o.main or "",
    "events { worker_connections 512; }",
    "http {",
    "  access_log " .. dir .. "/logs/access.log;",
    "  client_body_temp_path " .. dir .. "/tmp/body;",
    "  proxy_temp_path " .. dir .. "/tmp/proxy;",
    "  fastcgi_temp_path " .. dir .. "/tmp/fastcgi;",
    "  uwsgi_temp_path " .. dir .. "/tmp/uwsgi;",
    "  scgi_temp_path " .. dir .. "/tmp/scgi;",
    "  client_body_buffer_size 1m;",
    '  lua_package_path "' .. r .. "/lua/?.lua;" .. r .. "/lua/?/init.lua;" .. r .. '/spec/?.lua;;";',
    '  lua_package_cpath "' .. r .. '/build/jit/?.so;;";',
    o.http or "",
    "  server {",
    "    listen 127.0.0.1:" .. port .. ";",
    "    location = /__ping { return 200 'pong'; }",
    o.server or "",
    "  }",
    "}",
    "",
  }, "\n")
end

local Server = {}
Server.__index = Server

-- HTTP request to this server; returns status, body, headers (nil, err on failure)
function Server:request(o)
  o = o or {}
  local chunks = {}
  local headers = o.headers or {}
  if o.body then headers["Content-Length"] = tostring(#o.body) end
  local timeout = o.timeout or 10
  local _, status, rheaders = http.request{
    url = (o.url or self.url) .. (o.path or "/"),
    method = o.method or "GET",
    headers = headers,
    source = o.body and ltn12.source.string(o.body) or nil,
    sink = ltn12.sink.table(chunks),
    create = function()
      local s = socket.tcp()
      s:settimeout(timeout)
      return s
    end,
  }
  if type(status) ~= "number" then return nil, status end
  return status, table.concat(chunks), rheaders
end

-- HTTP request to any loopback URL (o.url is complete): status, body, headers
function H.request_url(o)
  local oo = {}
  for k, v in pairs(o) do oo[k] = v end
  oo.path = oo.path or ""
  return Server.request({}, oo)
end

function Server:json(o)
  local status, body = self:request(o)
  if not status then error("request to " .. tostring(o.path) .. " failed: " .. tostring(body)) end
  local t = json_decode(body)
  if type(t) ~= "table" then
    error("non-JSON answer from " .. tostring(o.path) .. " (HTTP " .. status .. "): " .. body:sub(1, 400))
  end
  return t, status
end

function Server:error_log()
  return read_file(self.dir .. "/logs/error.log") or ""
end

function Server:pid()
  local s = read_file(self.dir .. "/logs/nginx.pid")
  return s and tonumber(s:match("%d+"))
end

local function alive(pid)
  local r = os.execute("kill -0 " .. pid .. " 2>/dev/null")
  return r == true or r == 0
end

function Server:stop()
  if self.stopped then return end
  self.stopped = true
  local pid = self:pid()
  if not pid then return end
  os.execute("kill -QUIT " .. pid .. " 2>/dev/null")
  for _ = 1, 100 do
    if not alive(pid) then break end
    socket.sleep(0.05)
  end
  if alive(pid) then os.execute("kill -KILL " .. pid .. " 2>/dev/null") end
  if not os.getenv("TWILIO_KEEP_NGINX") and not self.keep then
    os.execute("rm -rf " .. sh_quote(self.dir))
  end
end

-- o: name, main, http, server (config snippets), env (table), unset (names), conf (a full
-- config text with ${PORT}, ${DIR}, ${ROOT} placeholders instead of the template)
function H.start(o)
  local okv, why = H.available()
  if not okv then return nil, why end
  local last_err
  for _ = 1, 3 do  -- a free port can be taken by someone else in between: retry
    local dir = mkdtemp(o.name or "nginx")
    for _, d in ipairs{ "conf", "logs", "tmp" } do os.execute("mkdir -p " .. sh_quote(dir .. "/" .. d)) end
    local port = H.free_port()
    local conf
    if o.conf then
      conf = o.conf:gsub("%${(%w+)}", { PORT = tostring(port), DIR = dir, ROOT = H.root })
      if not conf:find("\n%s*user%s") and not conf:find("^%s*user%s") then
        conf = H.user_directive .. "\n" .. conf
      end
    else
      conf = H.config{ dir = dir, port = port, main = o.main, http = o.http, server = o.server,
                       log_level = o.log_level }
    end
    write_file(dir .. "/conf/nginx.conf", conf)
    local envs = {}
    for _, k in ipairs(o.unset or {}) do envs[#envs + 1] = "-u " .. k end
    for k, v in pairs(o.env or {}) do envs[#envs + 1] = k .. "=" .. sh_quote(v) end
    local cmd = "env -u LD_PRELOAD -u ASAN_OPTIONS -u UBSAN_OPTIONS " .. table.concat(envs, " ") .. " "
      .. H.NGINX .. " -p " .. sh_quote(dir) .. " -c " .. sh_quote(dir .. "/conf/nginx.conf")
      .. " -e " .. sh_quote(dir .. "/logs/error.log")
      .. " >" .. sh_quote(dir .. "/logs/start.out") .. " 2>&1"
    os.execute(cmd)
    local srv = setmetatable({ dir = dir, port = port, url = "http://127.0.0.1:" .. port }, Server)
    local up = false
    for _ = 1, 100 do  -- up to ~5 s
      -- any HTTP answer means it is up (a custom conf may not have /__ping)
      local status = srv:request{ path = "/__ping", timeout = 0.5 }
      if status then up = true break end
      if not srv:pid() and file_exists(dir .. "/logs/start.out")
         and (read_file(dir .. "/logs/start.out") or ""):find("emerg") then
        break
      end
      socket.sleep(0.05)
    end
    if up then return srv end
    last_err = (read_file(dir .. "/logs/start.out") or "") .. srv:error_log():sub(-2000)
    srv.keep = true
    srv:stop()
    if not last_err:find("Address already in use", 1, true) then break end
  end
  return nil, "nginx did not start: " .. tostring(last_err)
end

H.json_decode = json_decode

return H
