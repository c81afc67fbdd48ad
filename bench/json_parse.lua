-- bench/json_parse.lua -- micro-benchmark of core.parse_page and field reads.
--   LUA_CPATH="build/5.4/?.so;;" lua5.4 bench/json_parse.lua [pages] [per_page]
--   LUA_CPATH="build/jit/?.so;;" luajit bench/json_parse.lua
-- Builds a page of per_page (1000) realistic IncomingPhoneNumber objects,
-- then: parse only; parse + read sid and phone_number of every item; the
-- same through record_totable; and memory (collectgarbage("count") and
-- VmRSS) over many pages, to show pages are freed.
-- luacheck: no max line length
--   ... bench/json_parse.lua reads [N] | parse-once: for callgrind, only
--   parse one page and read sid and phone_number of every item N (50)
--   times, or only parse it; the difference / (N x 2000) is the
--   instructions per field read.
--   ... bench/json_parse.lua pages [N]: for callgrind, parse N pages, each
--   from a fresh body string (as from the transport), reading sid and
--   phone_number of every item and dropping the page (list-all's work
--   per page, GC included); (pages N - pages 0) / N is the instructions
--   per page.
local core = require "twilio.core"
local mode = (arg[1] == "reads" or arg[1] == "parse-once" or arg[1] == "pages")
  and table.remove(arg, 1) or nil
local pages = tonumber(arg[1]) or 50
local per_page = tonumber(arg[2]) or 1000
local clock = os.clock

local function number_json(i)
  local sid = string.format("PN%032x", i)
  return ([[{"account_sid":"ACaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa","address_requirements":"none","address_sid":"ADaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa","api_version":"2010-04-01","beta":false,"capabilities":{"voice":true,"sms":false,"mms":true,"fax":false},"date_created":"Thu, 30 Jul 2015 23:19:04 +0000","date_updated":"Thu, 30 Jul 2015 23:19:04 +0000","emergency_status":"Active","emergency_address_sid":"ADaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa","emergency_address_status":"registered","friendly_name":"(808) 925-5327","identity_sid":"RIaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa","origin":"origin","phone_number":"+1808%07d","sid":"SID","sms_application_sid":"","sms_fallback_method":"POST","sms_fallback_url":"","sms_method":"POST","sms_url":"","status_callback":"","status_callback_method":"POST","trunk_sid":null,"uri":"/2010-04-01/Accounts/ACaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa/IncomingPhoneNumbers/SID.json","voice_receive_mode":"voice","voice_application_sid":"","voice_caller_id_lookup":false,"voice_fallback_method":"POST","voice_fallback_url":null,"voice_method":"POST","voice_url":"https://example.com/voice","bundle_sid":"BUaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa","status":"in-use","type":"local","subresource_uris":{"assigned_add_ons":"/2010-04-01/Accounts/ACaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa/IncomingPhoneNumbers/SID/AssignedAddOns.json"}}]])
    :format(i):gsub("SID", sid)
end

local items = {}
for i = 1, per_page do items[i] = number_json(i) end
local body = '{"end":999,"first_page_uri":"/2010-04-01/Accounts/AC/IncomingPhoneNumbers.json?PageSize=1000&Page=0",'
  .. '"incoming_phone_numbers":[' .. table.concat(items, ",") .. '],'
  .. '"next_page_uri":"/2010-04-01/Accounts/AC/IncomingPhoneNumbers.json?PageSize=1000&Page=1&PageToken=PAxx",'
  .. '"page":0,"page_size":1000,"previous_page_uri":null,"start":0,"uri":"/x"}'

if mode == "pages" then
  local count = 0
  for p = 1, pages do
    local its = assert(core.parse_page("PhoneNumber", "incoming_phone_numbers", body .. (p % 2 == 0 and " " or "\n")))
    for i = 1, #its do
      local n = its[i]
      if n.sid and n.phone_number then count = count + 1 end
    end
  end
  print(mode, count)
  return
elseif mode then
  local its = assert(core.parse_page("PhoneNumber", "incoming_phone_numbers", body))
  local count = 0
  if mode == "reads" then
    for _ = 1, pages do
      for i = 1, #its do
        local n = its[i]
        if n.sid and n.phone_number then count = count + 1 end
      end
    end
  end
  print(mode, count)
  return
end

local function rss_kb()
  local f = io.open("/proc/self/status")
  if not f then return 0 end
  local s = f:read("a") or f:read("*a"); f:close()
  return tonumber(s:match("VmRSS:%s*(%d+)")) or 0
end

local function run(label, n, fn)
  collectgarbage(); collectgarbage()
  local t0 = clock()
  for _ = 1, n do fn() end
  local dt = clock() - t0
  print(string.format("%-34s %4d pages  %8.2f ms total  %6.3f ms/page", label, n, dt * 1e3, dt * 1e3 / n))
end

print(string.format("%s; page of %d numbers, %.2f MB", _VERSION .. (jit and (" / " .. jit.version) or ""),
  per_page, #body / 1e6))
run("parse_page", pages, function()
  local its = assert(core.parse_page("PhoneNumber", "incoming_phone_numbers", body))
  assert(#its == per_page)
end)
local sink = 0
run("parse_page + read sid, phone_number", pages, function()
  local its = assert(core.parse_page("PhoneNumber", "incoming_phone_numbers", body))
  for i = 1, #its do
    local n = its[i]
    if n.sid and n.phone_number then sink = sink + 1 end
  end
end)
do
  -- field reads alone, on a page parsed once: ns per read (n.sid, n.phone_number)
  local its = assert(core.parse_page("PhoneNumber", "incoming_phone_numbers", body))
  local t0 = clock()
  for _ = 1, pages do
    for i = 1, #its do
      local n = its[i]
      if n.sid and n.phone_number then sink = sink + 1 end
    end
  end
  local dt = clock() - t0
  print(string.format("%-34s %4d pages  %8.2f ms total  %6.3f ms/page  (%.0f ns per read)",
    "read sid, phone_number (no parse)", pages, dt * 1e3, dt * 1e3 / pages, dt * 1e9 / (pages * #its * 2)))
end
run("parse_page + read 6 fields", pages, function()
  local its = assert(core.parse_page("PhoneNumber", "incoming_phone_numbers", body))
  for i = 1, #its do
    local n = its[i]
    if n.sid and n.phone_number and n.friendly_name and n.voice_url
      and n.capabilities.sms ~= nil and n.beta == false then sink = sink + 1 end
  end
end)
run("parse_page + record_totable (all)", math.max(1, math.floor(pages / 5)), function()
  local its = assert(core.parse_page("PhoneNumber", "incoming_phone_numbers", body))
  for i = 1, #its do core.record_totable(its[i]) end
end)
local ok, cjson = pcall(require, "cjson")
if ok then
  run("(reference) cjson.decode", math.max(1, math.floor(pages / 5)), function() cjson.decode(body) end)
end

-- Memory: many pages, keeping one record of each page alive for a while.
-- (Lua heap peak sampled every page: the body strings live in the Lua heap.)
local total = tonumber(os.getenv("BENCH_MEM_PAGES")) or 500
collectgarbage(); collectgarbage()
local rss0, lua0 = rss_kb(), collectgarbage("count")
local keep, peak, lpeak = {}, 0, 0
local t0 = clock()
for p = 1, total do
  -- a fresh body string per page, as from the transport (records anchor it)
  local its = core.parse_page("PhoneNumber", "incoming_phone_numbers", body .. (p % 2 == 0 and " " or "\n"))
  for i = 1, #its do local _ = its[i].sid end
  keep[p % 10 + 1] = its[p % per_page + 1]   -- a few records outlive their page
  if p % 50 == 0 then peak = math.max(peak, rss_kb()) end
  lpeak = math.max(lpeak, collectgarbage("count"))
end
local dt = clock() - t0
collectgarbage(); collectgarbage()
print(string.format("memory: %d pages (%d numbers) in %.2f s; RSS start %d KB, peak %d KB, end %d KB; Lua heap %d -> %d KB (peak %d KB)",
  total, total * per_page, dt, rss0, peak, rss_kb(), math.floor(lua0), math.floor(collectgarbage("count")), math.floor(lpeak)))
assert(keep[1].sid)
