-- The debug hook never leaks a secret (issue 6): every line of a full
-- workflow, with errors and retries, for a token client and an API-key
-- client, is searched for the token, the secret, their base64 forms and
-- "Authorization". Error messages are searched too. And (issue 16) the
-- tostring of every object a caller can hold (client, config, lists,
-- accounts, pages, records, errors, transports), and every string reachable
-- from them, holds none of these, the `Basic ...` form included.
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

  local function secrets_of()
    return {
      emu.auth_token(), emu.api_secret(),
      core.base64(emu.account_sid() .. ":" .. emu.auth_token()),
      core.base64(emu.api_key() .. ":" .. emu.api_secret()),
      core.base64(emu.auth_token()), core.base64(emu.api_secret()),
      "Basic ",
    }
  end

  local function new_client(who, extra)
    local opts = { retries = FAST, timeout = 0.3 }
    for k, v in pairs(extra or {}) do opts[k] = v end
    opts.base_url, opts.account_sid = emu.url(), emu.account_sid()
    if who == "API key" then
      opts.api_key, opts.api_secret = emu.api_key(), emu.api_secret()
    else
      opts.auth_token = emu.auth_token()
    end
    return assert(require("twilio").new(opts))
  end

  for _, who in ipairs{ "auth token", "API key" } do
    it("no object's tostring, and no string reachable from it, holds a secret, with " .. who, function()
      emu.reset()
      local secrets = secrets_of()
      local client = new_client(who)
      local numbers = client.incoming_phone_numbers
      local avail = assert(client.available_phone_numbers:search("US", "local", { area_code = 415, limit = 2 }))
      local n = assert(numbers:create{ phone_number = avail[1].phone_number })
      local add_on = assert(n:assigned_add_ons():create{
        installed_add_on_sid = emu.control("GET", "info").installed_add_ons[1].sid })
      local ext = assert(add_on:extensions():list{})[1]
      local page = assert(numbers:page{ page_size = 1 })
      local errs = {}
      local function fail(_, err) errs[#errs + 1] = assert(err) end
      fail(numbers:fetch("PN00000000000000000000000000000000"))              -- 404
      fail(numbers:create{ phone_number = "+10000000000" })                  -- 400
      emu.fault{ fault = "drop_after", method = "POST", path = "IncomingPhoneNumbers%.json$" }
      emu.fault{ fault = "status", status = 503, count = -1, method = "GET", path = "IncomingPhoneNumbers%.json$" }
      fail(numbers:create{ phone_number = avail[2].phone_number })          -- lost, lookup failing
      emu.clear_faults()
      fail(numbers:update("PN00000000000000000000000000000000", { voice_url = "ftp://x" }))  -- invalid
      local bad = require("twilio").new{ base_url = emu.url(), account_sid = emu.account_sid(),
                                         auth_token = "0" .. emu.auth_token():sub(2), retries = 0 }
      fail(bad.incoming_phone_numbers:page{})                                 -- 401
      bad:close()
      local objects = {
        client = client, config = client.cfg, numbers = numbers, available = client.available_phone_numbers,
        account = client:account(emu.sub_sid()), number = n, add_on = add_on, extension = ext,
        page = page, found = avail[1], transport = client.runtime:transport(), runtime = client.runtime,
        add_ons = n:assigned_add_ons(),
        info = n:call_info(), table = n:totable(),
      }
      for i, e in ipairs(errs) do objects["error " .. i] = e end
      local seen, checked = {}, 0
      local function check(text, where)
        checked = checked + 1
        for _, s in ipairs(secrets) do
          assert.is_nil(text:find(s, 1, true), where .. ": " .. text)
        end
        assert.is_nil(text:lower():find("authorization", 1, true), where .. ": " .. text)
      end
      local function walk(v, where)
        if type(v) == "string" then return check(v, where) end
        if (type(v) ~= "table" and type(v) ~= "userdata") or seen[v] then return end
        seen[v] = true
        check(tostring(v), "tostring(" .. where .. ")")
        if type(v) == "table" then
          for k, x in pairs(v) do
            walk(k, where .. " key")
            walk(x, where .. "." .. tostring(k))
          end
        end
      end
      for name, obj in pairs(objects) do walk(obj, name) end
      for i, e in ipairs(errs) do check(tostring(e.message), "error " .. i .. " message") end
      assert.is_true(checked >= 100, "strings checked: " .. checked)
      assert.equals(5, #errs)
      assert(n:release())
      client:close()
    end)

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
