-- twilio_emulator.state: all mutable state of the emulator, in module-level
-- tables of the single nginx worker (worker_processes 1 keeps it consistent).
local util = require "twilio_emulator.util"
local inventory = require "twilio_emulator.inventory"

local ngx = ngx
local md5 = ngx.md5
local remove, insert = table.remove, table.insert
local floor = math.floor
local setmetatable, rawget = setmetatable, rawget

local _M = {}

-- Accounts ------------------------------------------------------------------

local function account(key, friendly_name, owner)
  return {
    sid = util.sid("AC", "twilio-emulator-account-" .. key),
    auth_token = md5("twilio-emulator-token-" .. key),
    friendly_name = friendly_name,
    owner_account_sid = owner and owner.sid or nil,
    numbers = {},            -- array of number records sorted by sid
  }
end

-- The fixed catalogue of installed add-ons (XE) with their extensions.
_M.ADDONS = {
  { key = "spam", friendly_name = "Emulator Spam Score", unique_name = "emulator_spam_score",
    description = "Scores inbound calls by their spam likelihood",
    configuration = { threshold = 50, block = false },
    extensions = {
      { friendly_name = "Incoming Voice Call", product_name = "Programmable Voice",
        unique_name = "spam-score-incoming-voice", enabled = true },
    } },
  { key = "ident", friendly_name = "Emulator Caller Identity", unique_name = "emulator_caller_identity",
    description = "Adds the caller's name and address to inbound calls and messages",
    configuration = { fields = { "name", "address" }, lookup = true },
    extensions = {
      { friendly_name = "Incoming Voice Call", product_name = "Programmable Voice",
        unique_name = "caller-identity-incoming-voice", enabled = true },
      { friendly_name = "Incoming SMS", product_name = "Programmable SMS",
        unique_name = "caller-identity-incoming-sms", enabled = false },
    } },
  { key = "transcribe", friendly_name = "Emulator Transcription", unique_name = "emulator_transcription",
    description = "Automatic transcription and keyword extraction",
    configuration = { bad_words = true, language = "en-US" },
    extensions = {
      { friendly_name = "Record Verb", product_name = "Programmable Voice",
        unique_name = "transcription-record-verb", enabled = true },
      { friendly_name = "Call Recording", product_name = "Programmable Voice",
        unique_name = "transcription-call-recording", enabled = true },
      { friendly_name = "Conference Recording", product_name = "Programmable Voice",
        unique_name = "transcription-conference-recording", enabled = false },
    } },
}
_M.addon_by_sid = {}
for _, a in ipairs(_M.ADDONS) do
  a.sid = util.sid("XE", "twilio-emulator-installed-" .. a.key)
  _M.addon_by_sid[a.sid] = a
end

local function zero_stats()
  return { requests = 0, purchases = 0, releases = 0, updates = 0, fetches = 0, lists = 0,
           searches = 0, addon_assigns = 0, addon_removals = 0, errors = 0, auth_failures = 0,
           faults_applied = 0, seeded = 0, control_requests = 0 }
end

-- reset: the initial state (also run at worker start).
function _M.reset()
  local main = account("main", "Emulator main account")
  local sub1 = account("sub1", "Emulator subaccount 1", main)
  local sub2 = account("sub2", "Emulator subaccount 2", main)
  _M.main, _M.subaccounts = main, { sub1, sub2 }
  _M.accounts = { [main.sid] = main, [sub1.sid] = sub1, [sub2.sid] = sub2 }
  _M.account_list = { main, sub1, sub2 }
  _M.api_key = { sid = util.sid("SK", "twilio-emulator-apikey-main"),
                 secret = md5("twilio-emulator-apisecret-main"), account = main }
  -- user name -> { secret, account }
  _M.credentials = {
    [main.sid] = { secret = main.auth_token, account = main },
    [sub1.sid] = { secret = sub1.auth_token, account = sub1 },
    [sub2.sid] = { secret = sub2.auth_token, account = sub2 },
    [_M.api_key.sid] = { secret = _M.api_key.secret, account = main },
  }
  inventory.build()
  _M.numbers = {}         -- sid -> number record
  _M.owned_phone = {}     -- phone_number -> number record
  _M.counters = { pn = 0, xe = 0, seed = 0, csv = 0 }
  _M.stats = zero_stats()
  _M.log = {}
  _M.log_first = 1        -- index of the oldest entry kept
  _M.log_next = 1
  _M.config = { latency_ms = 0, log_max = 10000 }
  _M.faults = {}
end

-- May `principal` (an account) act on `target` (an account)?
function _M.can_access(principal, target)
  return principal == target or target.owner_account_sid == principal.sid
end

-- Sorted arrays by sid -------------------------------------------------------

local function lower_bound(arr, sid) -- first index with arr[i].sid >= sid
  local lo, hi = 1, #arr + 1
  while lo < hi do
    local mid = floor((lo + hi) / 2)
    if arr[mid].sid < sid then lo = mid + 1 else hi = mid end
  end
  return lo
end
_M.lower_bound = lower_bound

function _M.sorted_insert(arr, rec)
  local n = #arr
  if n == 0 or arr[n].sid < rec.sid then arr[n + 1] = rec; return end
  insert(arr, lower_bound(arr, rec.sid), rec)
end

function _M.sorted_remove(arr, rec)
  local i = lower_bound(arr, rec.sid)
  if arr[i] == rec then remove(arr, i) end
end

-- Numbers -------------------------------------------------------------------

function _M.next_pn_sid()
  _M.counters.pn = _M.counters.pn + 1
  return util.ordered_sid("PN", _M.counters.pn)
end

function _M.next_xe_sid()
  _M.counters.xe = _M.counters.xe + 1
  return util.ordered_sid("XE", _M.counters.xe), _M.counters.xe
end

-- Fields every new number starts with; records only hold what differs
-- (a metatable supplies the rest), which keeps a 50,000-number account small.
-- Fields whose default is non-nil are never set to nil (cleared URLs and
-- application SIDs become "").
local DEFAULTS = {
  origin = "twilio", api_version = util.API_VERSION,
  sms_application_sid = "", sms_fallback_method = "POST", sms_fallback_url = "",
  sms_method = "POST", sms_url = "", status_callback = "", status_callback_method = "POST",
  voice_application_sid = "", voice_caller_id_lookup = false, voice_fallback_method = "POST",
  voice_method = "POST", voice_receive_mode = "voice",
  emergency_status = "Inactive", emergency_address_status = "unregistered", status = "in-use",
}
local NUMBER_MT = { __index = DEFAULTS }
_M.NUMBER_DEFAULTS = DEFAULTS

-- Build a number record from an inventory record (or a plain table for seeding).
function _M.new_number(acct, src, now)
  local date = util.rfc2822(now)
  return setmetatable({
    sid = _M.next_pn_sid(), account_sid = acct.sid,
    phone_number = src.phone_number, friendly_name = src.friendly_name,
    type = src.type, beta = src.beta,
    capabilities = src.capabilities, address_requirements = src.address_requirements,
    date_created = date, date_updated = date,
    inv = src.owned ~= nil and src or nil,
  }, NUMBER_MT)
end

-- The assigned add-ons of a number (created on first use).
function _M.addons(rec)
  local a = rawget(rec, "addons")
  if not a then a = {}; rec.addons = a end
  return a
end

function _M.add_number(acct, rec)
  _M.numbers[rec.sid] = rec
  _M.owned_phone[rec.phone_number] = rec
  if rec.inv then rec.inv.owned = true end
  _M.sorted_insert(acct.numbers, rec)
end

function _M.remove_number(rec)
  local acct = _M.accounts[rec.account_sid]
  _M.sorted_remove(acct.numbers, rec)
  _M.numbers[rec.sid] = nil
  _M.owned_phone[rec.phone_number] = nil
  if rec.inv then rec.inv.owned = false end
end

function _M.move_number(rec, target)
  local from = _M.accounts[rec.account_sid]
  _M.sorted_remove(from.numbers, rec)
  rec.account_sid = target.sid
  _M.sorted_insert(target.numbers, rec)
end

-- Log -----------------------------------------------------------------------

function _M.log_add(entry)
  local i = _M.log_next
  _M.log[i] = entry
  _M.log_next = i + 1
  local max = _M.config.log_max
  while _M.log_next - _M.log_first > max do
    _M.log[_M.log_first] = nil
    _M.log_first = _M.log_first + 1
  end
end

function _M.log_entries()
  local out = {}
  for i = _M.log_first, _M.log_next - 1 do out[#out + 1] = _M.log[i] end
  return out
end

function _M.log_clear()
  _M.log, _M.log_first, _M.log_next = {}, 1, 1
end

_M.reset()
return _M
