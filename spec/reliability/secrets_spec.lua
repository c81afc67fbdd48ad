-- The debug hook never leaks a secret (issue 6): every line of a full
-- workflow, with errors and retries, for a token client and an API-key
-- client, is searched for the token, the secret, their base64 forms and
-- "Authorization". Error messages are searched too.
local emu = require "helpers.emulator"
local core = require "twilio.core"

local FAST = { max = 2, base = 0.01, cap = 0.05 }

describe("debug log and secrets", function()
  setup(function() emu.ensure() end)
  teardown(function() emu.stop_if_started() end)

  local function workflow(client, out)
    local numbers = client.incoming_phone_numbers
    local function note(v, err)
      if err then out[#out + 1] = tostring(err) .. " " .. tostring(err.message) end
      return v
    end
    local P = "IncomingPhoneNumbers%.json$"
    emu.fault{ fault = "status", status = 429, retry_after = "0", method = "GET", path = "Local%.json$" }
    local avail = assert(client.available_phone_numbers:search("US", "local", { area_code = 415, limit = 2 }))
    emu.fault{ fault = "drop_after", method = "POST", path = P }
    local n = assert(numbers:create{ phone_number = avail[1].phone_number })
    emu.fault{ fault = "status", status = 503, method = "POST", path = P }
    note(numbers:create{ phone_number = avail[2].phone_number })
    note(numbers:create{ phone_number = "+10000000000" })                  -- 400
    emu.fault{ fault = "delay", delay_ms = 600, method = "GET", path = "/PN%x+%.json$" }
    assert(numbers:fetch(n.sid))                                            -- timeout, retried
    emu.fault{ fault = "status", status = 502, body_type = "html", method = "POST", path = "/PN%x+%.json$" }
    assert(n:update{ friendly_name = "secret check" })
    local a = assert(n:assigned_add_ons():create{
      installed_add_on_sid = emu.control("GET", "info").installed_add_ons[1].sid })
    emu.fault{ fault = "drop_after", method = "DELETE" }
    assert(a:delete())
    emu.fault{ fault = "foreign_next_page", method = "GET", path = P }
    note(numbers:list{})
    emu.fault{ fault = "malformed", method = "GET", path = P }
    note(numbers:list{})
    note(numbers:fetch("PN00000000000000000000000000000000"))              -- 404
    assert(n:release())
    core.sleep(0.6)
  end

  for _, who in ipairs{ "auth token", "API key" } do
    it("no line, with " .. who .. ", holds a secret or an Authorization header", function()
      emu.reset()
      local lines = {}
      local opts = { retries = FAST, timeout = 0.3, debug = function(l) lines[#lines + 1] = l end }
      opts.base_url, opts.account_sid = emu.url(), emu.account_sid()
      if who == "API key" then
        opts.api_key, opts.api_secret = emu.api_key(), emu.api_secret()
      else
        opts.auth_token = emu.auth_token()
      end
      local client = assert(require("twilio").new(opts))
      local messages = {}
      workflow(client, messages)
      client:close()
      assert.is_true(#lines >= 15)
      local retried = false
      for _, l in ipairs(lines) do if l:find("retry", 1, true) then retried = true end end
      assert.is_true(retried)
      local secrets = {
        emu.auth_token(), emu.api_secret(),
        core.base64(emu.account_sid() .. ":" .. emu.auth_token()),
        core.base64(emu.api_key() .. ":" .. emu.api_secret()),
        core.base64(emu.auth_token()), core.base64(emu.api_secret()),
      }
      for _, text in ipairs(lines) do
        for _, s in ipairs(secrets) do assert.is_nil(text:find(s, 1, true), text) end
        assert.is_nil(text:lower():find("authorization", 1, true), text)
        assert.is_nil(text:find("Basic ", 1, true), text)
      end
      assert.is_true(#messages >= 4)
      for _, text in ipairs(messages) do
        for _, s in ipairs(secrets) do assert.is_nil(text:find(s, 1, true), text) end
      end
    end)
  end
end)
