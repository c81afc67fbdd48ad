-- twilio-numbers writes stdout fully buffered (bin/twilio-numbers) and stderr
-- unbuffered: a message on stderr about rows already written (check's failure
-- count, a bulk command's failed items) must come after those rows on a
-- terminal or through `2>&1`, so stdout is flushed before stderr is written.
local emu = require "helpers.emulator"
local fake = require "cli.fake"
local main = require "twilio.cli.main"
local core = require "twilio.core"

describe("twilio-numbers output order", function()
  setup(function() emu.ensure() end)
  teardown(function() emu.stop_if_started() end)
  before_each(function() emu.reset() end)

  it("check: the rows come before the failure count on stderr", function()
    local client = emu.client()
    local n = emu.buy(client.incoming_phone_numbers, 1)[1]
    assert(n:update{ voice_url = "http://127.0.0.1:9/voice" })   -- nothing listens there: refused
    client:close()
    local env = fake.env()
    -- a terminal's view: stderr lands at once, stdout when flushed
    local screen, pending = {}, {}
    local sys = {
      out = function(s) pending[#pending + 1] = s end,
      flush = function() screen[#screen + 1] = table.concat(pending); pending = {} end,
      err = function(s) screen[#screen + 1] = s end,
      read_line = function() return nil end,
      isatty = function() return false end,
      getenv = function(k) return env[k] end,
      clock = core.monotonic,
      width = function() return nil end,
    }
    local code = main.main({ "check", n.phone_number, "--kind", "voice", "-o", "csv" }, sys)
    local seen = table.concat(screen) .. table.concat(pending)
    assert.equal(1, code, seen)
    local row = seen:find(n.phone_number .. ",voice", 1, true)
    local count = seen:find("1 of 1 webhook", 1, true)
    assert.truthy(row and count, seen)
    assert.is_true(row < count, seen)
  end)
end)
