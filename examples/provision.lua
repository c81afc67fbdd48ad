#!/usr/bin/env lua5.4
-- examples/provision.lua: a provisioning playbook, the one `make demo` runs
-- against the bundled emulator. It works the same against the real API.
--
--   search local numbers with SMS in an area code, buy one, configure its
--   voice and SMS webhooks, attach an add-on, list every number with
--   pagination, export them as CSV, move one to a subaccount, and release
--   what it bought.
--
-- Configuration (environment):
--   TWILIO_ACCOUNT_SID, TWILIO_AUTH_TOKEN   credentials (or TWILIO_API_KEY/SECRET)
--   TWILIO_BASE_URL                          the emulator's URL (unset: api.twilio.com)
--   SUBACCOUNT_SID                           where to move the number (step 7)
--   INSTALLED_ADD_ON_SID                     an add-on installed in the account (step 5)
--   AREA_CODE (415), CSV_OUT (numbers.csv), WEBHOOK_BASE (https://hooks.example.com)
local twilio = require "twilio"

local getenv = os.getenv
local area_code = tonumber(getenv("AREA_CODE") or "415")
local csv_out = getenv("CSV_OUT") or "numbers.csv"
local hooks = getenv("WEBHOOK_BASE") or "https://hooks.example.com"
local sub_sid = getenv("SUBACCOUNT_SID")
local addon_sid = getenv("INSTALLED_ADD_ON_SID")

local step_no = 0
local function step(fmt, ...)
  step_no = step_no + 1
  io.write(string.format("%d. " .. fmt .. "\n", step_no, ...))
end
local function detail(fmt, ...) io.write(string.format("   " .. fmt .. "\n", ...)) end
local function fail(what, err)
  io.stderr:write(string.format("FAILED: %s: %s\n", what, tostring(err)))
  os.exit(1)
end

local client, err = twilio.new{}
if not client then fail("twilio.new", err) end
local numbers = client.incoming_phone_numbers
io.write(string.format("twilio-numbers %s, account %s\n\n", twilio._VERSION, client:account_sid()))

-- 1. Search
local found
found, err = client.available_phone_numbers:search("US", "local",
  { area_code = area_code, sms_enabled = true, limit = 5 })
if not found then fail("search", err) end
if #found == 0 then fail("search", "no local numbers with SMS in area code " .. area_code) end
step("Searched US local numbers with SMS in area code %d: %d offered", area_code, #found)
for i, a in ipairs(found) do
  detail("%s  %-14s %s, %s  sms=%s voice=%s", i == 1 and "->" or "  ", a.phone_number,
         a.locality or "?", a.region or "?", tostring(a.capabilities.sms), tostring(a.capabilities.voice))
end

-- 2. Buy (never twice: an unknown outcome is checked, not resent)
local n
n, err = found[1]:buy{ friendly_name = "Demo support line" }
if not n then fail("buy " .. found[1].phone_number, err) end
step("Bought %s as %s (%s)", n.phone_number, n.sid, n.friendly_name)

-- 3. Configure webhooks
local ok
ok, err = n:update{
  voice_url = hooks .. "/voice", voice_method = "POST",
  sms_url = hooks .. "/sms", sms_method = "POST",
  status_callback = hooks .. "/status",
}
if not ok then fail("update", err) end
step("Configured webhooks: voice %s %s, sms %s %s", n.voice_method, n.voice_url, n.sms_method, n.sms_url)

-- 4. Exact lookup by E.164 (the API's filter also matches partial numbers)
local again
again, err = numbers:find(n.phone_number)
if not again then fail("find", err) end
step("Looked %s up exactly: %s", n.phone_number, again.sid)

-- 5. Add-on
if addon_sid then
  local addons = n:assigned_add_ons()
  local a
  a, err = addons:create{ installed_add_on_sid = addon_sid }
  if not a then fail("assign add-on", err) end
  local exts = assert(a:extensions():list())
  step("Attached add-on %s (%s) with %d extension(s)", a.unique_name or a.friendly_name or "?", a.sid, #exts)
  for _, e in ipairs(exts) do detail("%s  %s  enabled=%s", e.sid, e.product_name or "?", tostring(e.enabled)) end
else
  step("Add-on skipped (set INSTALLED_ADD_ON_SID)")
end

-- 6. List every number, page by page
local pages, count = 0, 0
local page
page, err = numbers:page{ page_size = 50 }
if not page then fail("list", err) end
local all = {}
while page do
  pages = pages + 1
  for _, m in ipairs(page.items) do count = count + 1; all[count] = m end
  if not page:has_next() then break end
  page, err = page:next()
  if not page then fail("next page", err) end
end
step("Listed %d numbers in %d page%s of up to 50", count, pages, pages == 1 and "" or "s")

-- 7. CSV export
local f = assert(io.open(csv_out, "wb"))
f:write(twilio.csv.write(all))
f:close()
local back = assert(twilio.csv.read(assert(io.open(csv_out, "rb")):read("*a")))
step("Exported %d numbers to %s (%d columns); read back %d rows by header", count, csv_out,
     #twilio.csv.COLUMNS, #back)

-- 8. Move to a subaccount
if sub_sid then
  ok, err = n:update{ account_sid = sub_sid }
  if not ok then fail("move", err) end
  local there = assert(client:account(sub_sid).incoming_phone_numbers:fetch(n.sid))
  local _, gone = numbers:fetch(n.sid)
  step("Moved %s to subaccount %s (fetch there: %s; under the main account: HTTP %s)",
       n.phone_number, n.account_sid, there.sid, tostring(gone and gone.status))
else
  step("Move skipped (set SUBACCOUNT_SID)")
end

-- 9. Release what we bought
ok, err = n:release()
if not ok then fail("release", err) end
step("Released %s (%s)", n.phone_number, n:released() and "released" or "?")

io.write("\ndone\n")
client:close()
