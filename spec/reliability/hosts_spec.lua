-- Credentials never go to another host (issue 6): a next_page_uri, or any
-- URI handed to get_page, is only followed on the configured API host; and
-- libcurl's proxy environment variables are honoured (a loopback proxy).
local emu = require "helpers.emulator"
local core = require "twilio.core"
local socket = require "socket"

describe("hosts and proxies", function()
  local client, numbers, listener, other

  setup(function() emu.ensure() end)
  teardown(function() emu.stop_if_started() end)

  before_each(function()
    emu.reset()
    emu.seed(emu.account_sid(), 3)
    client = emu.client{ retries = 0 }
    numbers = client.incoming_phone_numbers
    -- another loopback "host": it must never see a connection
    listener = assert(socket.bind("127.0.0.1", 0))
    local _, port = listener:getsockname()
    other = "http://127.0.0.1:" .. port
    listener:settimeout(0)
  end)

  after_each(function()
    emu.clear_faults()
    client:close()
    local c = listener:accept()
    listener:close()
    assert.is_nil(c, "a connection reached the other host")
  end)

  it("foreign_next_page: list, each and page:next fail with an error, nothing sent elsewhere", function()
    emu.fault{ fault = "foreign_next_page", method = "GET" }
    local l, err = numbers:list{ page_size = 2 }
    assert.is_nil(l)
    assert.equals("invalid", err.kind)
    assert.matches("evil%.example%.invalid", err.message)
    emu.fault{ fault = "foreign_next_page", method = "GET" }
    local ok, ierr = pcall(function() for _ in numbers:each{ page_size = 2 } do end end)
    assert.is_false(ok)
    assert.is_true(core.is_error(ierr))
    emu.fault{ fault = "foreign_next_page", method = "GET" }
    local page = assert(numbers:page{ page_size = 2 })
    local p2, perr = page:next()
    assert.is_nil(p2)
    assert.equals("invalid", perr.kind)
    for _, e in ipairs(emu.log()) do assert.is_nil(e.path:find("evil", 1, true)) end
  end)

  it("get_page refuses another port, another host name, another scheme", function()
    local path = "/2010-04-01/Accounts/" .. emu.account_sid() .. "/IncomingPhoneNumbers.json?PageSize=1"
    local port = emu.url():match(":(%d+)$")
    for _, uri in ipairs{ other .. path, "http://localhost:" .. port .. path,
                          "https://127.0.0.1:" .. port .. path, "//127.0.0.1:" .. port .. path } do
      local p, err = numbers:get_page(uri)
      assert.is_nil(p, uri)
      assert.equals("invalid", err.kind, uri)
    end
    assert(numbers:get_page(emu.url() .. path))    -- the configured host itself is fine
    assert(numbers:get_page(path))
  end)

  it("http_proxy from the environment is used (loopback proxy, a child process)", function()
    local vm = os.getenv("TWILIO_TEST_VM") or "lua5.4"
    local out = os.tmpname()
    local _, pport = listener:getsockname()
    local code = ([[
      local twilio = require "twilio"
      local c = assert(twilio.new{ base_url = %q, account_sid = %q, auth_token = %q, retries = 0, timeout = 5 })
      local l, err = c.incoming_phone_numbers:list{ page_size = 5 }
      io.write(l and ("items " .. #l) or ("error " .. tostring(err.message)))
    ]]):format(emu.url(), emu.account_sid(), emu.auth_token())
    local cmd = ("env http_proxy=http://127.0.0.1:%d NO_PROXY= no_proxy= LUA_PATH=%q LUA_CPATH=%q %s -e %q >%s 2>&1 &")
      :format(pport, package.path, package.cpath, vm, code, out)
    os.execute(cmd)
    listener:settimeout(10)
    local conn = assert(listener:accept(), "the client did not come to the proxy")
    listener:settimeout(0)
    conn:settimeout(5)
    local request_line = conn:receive("*l")
    repeat local h = conn:receive("*l") until not h or h == ""
    local body = '{"incoming_phone_numbers": [], "next_page_uri": null, "page": 0, "page_size": 5}'
    conn:send("HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: " .. #body
              .. "\r\nConnection: close\r\n\r\n" .. body)
    conn:close()
    -- the proxy got the absolute-form request for the API host
    assert.matches("^GET " .. emu.url():gsub("%p", "%%%0") .. "/2010%-04%-01/Accounts/AC%x+/IncomingPhoneNumbers%.json",
                   request_line)
    local text
    for _ = 1, 100 do
      local fh = io.open(out, "rb")
      text = fh and fh:read("*a") or ""
      if fh then fh:close() end
      if text ~= "" then break end
      socket.sleep(0.05)
    end
    os.remove(out)
    assert.equals("items 0", text)
    assert.equals(0, #emu.log())   -- the emulator itself saw nothing: it all went through the proxy
  end)
end)
