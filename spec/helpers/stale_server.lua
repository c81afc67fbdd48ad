-- spec/helpers/stale_server.lua -- an HTTP/1.1 server whose kept-alive
-- connections go stale: it answers the first request of each connection
-- (200, Content-Length, no "Connection: close", so the client pools the
-- connection), and then, by mode:
--   read_close    reads the next request on that connection in full, logs
--                 it, acts on it (a DELETE deletes) and closes without
--                 answering (the race RFC 9112 9.3.1 warns about: the
--                 server acted on it, the client cannot know);
--   answer_close  closes the connection right after the first answer (an
--                 idle timeout of zero); a request sent on it is never read.
-- Requests under /_ctl/ (on their own connection) are answered and not logged:
--   /_ctl/mode?m=read_close|answer_close   set the mode, clear the log and
--                                           forget what was deleted
--   /_ctl/gone?p=/path                      /path is absent (a DELETE of it: 404)
--   /_ctl/log                               the log: one line per request,
--                                           "conn method path answered|unanswered"
-- Answers: GET -> an empty IncomingPhoneNumbers page; POST -> a phone number
-- (phone_number taken from the form's PhoneNumber); DELETE -> 204, or 404
-- (Twilio's error body) when that path is absent or was deleted before.
--
-- Run as a process of its own (the specs' HTTP clients block):
--   local stale = require "helpers.stale_server"
--   local srv = stale.start()          -- srv.port, srv.url; srv:mode("read_close")
--   srv:gone("/path")                  -- a DELETE of /path answers 404
--   srv:log() -> { { conn = 1, method = "GET", path = "/x", answered = true }, ... }
--   srv:stop()
-- It exits by itself after 120 s without a request (a spec that died
-- leaves nothing behind for long). Loopback only.
local socket = require "socket"

local _M = {}

-- Server ----------------------------------------------------------------------

local function serve(portfile)
  local srv = assert(socket.bind("127.0.0.1", 0))
  srv:settimeout(0)
  local _, port = srv:getsockname()
  local tmp = portfile .. ".tmp"
  local f = assert(io.open(tmp, "w"))
  f:write(port, "\n")
  f:close()
  assert(os.rename(tmp, portfile))

  local mode, log, next_id = "read_close", {}, 0
  local gone = {}             -- path -> true: deleted, or absent from the start
  local conns = {}            -- socket -> { id, buf, served, peer_closed }
  local last = socket.gettime()

  local function close(c)
    conns[c] = nil
    c:close()
  end

  local function answer(c, status, body, extra)
    local head = "HTTP/1.1 " .. status .. "\r\nContent-Type: application/json\r\nContent-Length: " .. #body
      .. "\r\n" .. (extra or "") .. "\r\n"
    c:settimeout(2)
    c:send(head .. body)
    c:settimeout(0)
  end

  local function handle(c, st, method, path, body)
    if path:sub(1, 6) == "/_ctl/" then
      if path:find("^/_ctl/mode") then
        mode = path:match("[?&]m=([%w_]+)") or mode
        log, gone = {}, {}
        answer(c, "200 OK", '{"mode":"' .. mode .. '"}', "Connection: close\r\n")
      elseif path:find("^/_ctl/gone") then
        gone[path:match("[?&]p=([^&]+)") or ""] = true
        answer(c, "200 OK", "{}", "Connection: close\r\n")
      else
        local lines = {}
        for _, e in ipairs(log) do lines[#lines + 1] = table.concat(e, " ") end
        answer(c, "200 OK", table.concat(lines, "\n"), "Connection: close\r\n")
      end
      return close(c)
    end
    st.served = st.served + 1
    if st.served > 1 then                      -- a request on a kept-alive connection
      log[#log + 1] = { st.id, method, path, "unanswered" }
      if method == "DELETE" then gone[path] = true end   -- applied, answer lost
      return close(c)
    end
    log[#log + 1] = { st.id, method, path, "answered" }
    if method == "DELETE" and gone[path] then
      answer(c, "404 Not Found", '{"code":20404,"message":"The requested resource ' .. path ..
        ' was not found","more_info":"https://www.twilio.com/docs/errors/20404","status":404}')
    elseif method == "DELETE" then
      gone[path] = true
      answer(c, "204 No Content", "")
    elseif method == "POST" then
      local number = (body:match("PhoneNumber=([^&]*)") or ""):gsub("%%2B", "+")
      answer(c, "201 Created", '{"sid":"PN' .. string.rep("a", 32) .. '","phone_number":"' .. number ..
        '","account_sid":"AC' .. string.rep("b", 32) .. '","conn":' .. st.id .. '}')
    else
      answer(c, "200 OK", '{"incoming_phone_numbers":[],"next_page_uri":null,"page":0,"page_size":50,' ..
        '"conn":' .. st.id .. '}')
    end
    if mode == "answer_close" then return close(c) end
  end

  -- complete requests in st.buf, handled in order
  local function drain(c, st)
    while conns[c] do
      local e = st.buf:find("\r\n\r\n", 1, true)
      if not e then return end
      local head = st.buf:sub(1, e - 1)
      local method, path = head:match("^(%u+) (%S+) HTTP/1%.%d")
      if not method then return close(c) end
      local len = tonumber(head:lower():match("\r\ncontent%-length:%s*(%d+)") or "0")
      if #st.buf < e + 3 + len then return end
      local body = st.buf:sub(e + 4, e + 3 + len)
      st.buf = st.buf:sub(e + 4 + len)
      handle(c, st, method, path, body)
    end
  end

  while socket.gettime() - last < 120 do
    local r = { srv }
    for c in pairs(conns) do r[#r + 1] = c end
    local ready = socket.select(r, nil, 0.5)
    for _, s in ipairs(ready) do
      if s == srv then
        local c = srv:accept()
        if c then
          c:settimeout(0)
          next_id = next_id + 1
          conns[c] = { id = next_id, buf = "", served = 0 }
        end
      elseif conns[s] then
        local st = conns[s]
        local data, err, partial = s:receive(65536)
        data = data or partial
        if data and #data > 0 then
          st.buf = st.buf .. data
          last = socket.gettime()
          drain(s, st)
        end
        if err == "closed" and conns[s] then close(s) end
      end
    end
  end
end

if arg and arg[0] and arg[0]:find("stale_server%.lua$") and arg[1] then
  serve(arg[1])
  os.exit(0)
end

-- Client side (the specs) -------------------------------------------------------

local function sh_quote(s) return "'" .. tostring(s):gsub("'", "'\\''") .. "'" end

local function read(path)
  local f = io.open(path, "rb")
  if not f then return nil end
  local s = f:read("*a")
  f:close()
  return s
end

local Server = {}
Server.__index = Server

-- one request on a connection of its own: status, body
local function request(port, path)
  local c = assert(socket.tcp())
  c:settimeout(5)
  assert(c:connect("127.0.0.1", port))
  assert(c:send("GET " .. path .. " HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n"))
  local raw = c:receive("*a")
  c:close()
  local status = tonumber(raw:match("^HTTP/1%.1 (%d+)"))
  return status, raw:match("\r\n\r\n(.*)$") or ""
end

function Server:mode(m)
  local status = request(self.port, "/_ctl/mode?m=" .. m)
  assert(status == 200, "stale server: mode " .. m)
end

-- path (as the server sees it, e.g. "/2010-04-01/.../PN….json") is absent
function Server:gone(path)
  local status = request(self.port, "/_ctl/gone?p=" .. path)
  assert(status == 200, "stale server: gone " .. path)
end

function Server:log()
  local _, body = request(self.port, "/_ctl/log")
  local out = {}
  for line in body:gmatch("[^\n]+") do
    local conn, method, path, how = line:match("^(%d+) (%S+) (%S+) (%S+)$")
    out[#out + 1] = { conn = tonumber(conn), method = method, path = path, answered = how == "answered" }
  end
  return out
end

-- how many requests of `method` the server read (answered or not)
function Server:count(method)
  local n = 0
  for _, e in ipairs(self:log()) do if e.method == method then n = n + 1 end end
  return n
end

function Server:stop()
  if self.pid then os.execute("kill " .. self.pid .. " 2>/dev/null") end
  self.pid = nil
  os.remove(self.portfile)
end

-- start() -> server | nil, why. The server runs under the plain interpreter
-- running this spec (without LD_PRELOAD: the ASan pass preloads libasan).
function _M.start()
  local here = debug.getinfo(1, "S").source:sub(2)
  local vm = os.getenv("TWILIO_TEST_VM") or "lua5.4"
  local portfile = os.tmpname()
  os.remove(portfile)
  local pidfile = portfile .. ".pid"
  local cmd = string.format('env -u LD_PRELOAD -u ASAN_OPTIONS sh -c "echo \\$\\$ > %s; exec %s %s %s" ' ..
                            ">/dev/null 2>&1 &", pidfile, vm, sh_quote(here), portfile)
  os.execute(cmd)
  for _ = 1, 100 do
    local port = tonumber((read(portfile) or ""):match("%d+"))
    if port then
      local pid = tonumber((read(pidfile) or ""):match("%d+"))
      os.remove(pidfile)
      return setmetatable({ port = port, url = "http://127.0.0.1:" .. port, pid = pid,
                            portfile = portfile }, Server)
    end
    socket.sleep(0.05)
  end
  return nil, "the stale server did not start (" .. vm .. " " .. here .. ")"
end

return _M
