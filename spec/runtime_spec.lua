-- The Lua structure (issue 12): one runtime per client that alone decides
-- transport, sleeping and parallel work; record methods installed by
-- `require "twilio.client"` alone; no require cycle and no lazy require;
-- client options checked up front (issue 13, item 5).
local root = os.getenv("TWILIO_NUMBERS_ROOT") or "."
local core = require "twilio.core"
local child = require "helpers.child"
local runtime = require "twilio.runtime"
local twilio = require "twilio"

local SID = "AC" .. ("a"):rep(32)

local function read(path)
  local f = assert(io.open(path, "rb"))
  local s = f:read("*a")
  f:close()
  return s
end

local function lua_files()
  local p = assert(io.popen("cd " .. root .. " && find lua -name '*.lua' | sort"))
  local out = {}
  for l in p:lines() do out[#out + 1] = l end
  p:close()
  return out
end

local function module_of(path)
  return (path:gsub("^lua/", ""):gsub("%.lua$", ""):gsub("/init$", ""):gsub("/", "."))
end

-- Runs `code` in a fresh interpreter (the VM under test) with this
-- checkout's paths: its stdout.
local function fresh(code) return child.run(code) end

describe("the require graph of lua/", function()
  local graph = {}
  setup(function()
    for _, f in ipairs(lua_files()) do
      local deps = {}
      local text = read(root .. "/" .. f)
      local code = text:gsub("%-%-%[(=*)%[.-%]%1%]", ""):gsub("%-%-[^\n]*", "")
      for name in code:gmatch("require%s*%(?%s*[\"']([%w_.]+)[\"']") do deps[#deps + 1] = name end
      graph[module_of(f)] = { file = f, deps = deps, text = text }
    end
  end)

  it("has no cycle", function()
    local state, cycle = {}, nil
    local function visit(m, stack)
      if cycle then return end
      state[m] = "loading"
      stack[#stack + 1] = m
      for _, d in ipairs(graph[m] and graph[m].deps or {}) do
        if state[d] == "loading" then
          local from
          for i, s in ipairs(stack) do if s == d then from = i end end
          cycle = table.concat(stack, " -> ", from) .. " -> " .. d
          return
        elseif not state[d] and graph[d] then
          visit(d, stack)
        end
      end
      stack[#stack] = nil
      state[m] = "done"
    end
    for m in pairs(graph) do if not state[m] then visit(m, {}) end end
    assert.is_nil(cycle, "require cycle: " .. tostring(cycle))
    assert.truthy(next(graph), "no module found under lua/")
  end)

  it("requires only at the top level of a module (no lazy require inside a function)", function()
    for m, g in pairs(graph) do
      local n = 0
      for line in (g.text .. "\n"):gmatch("([^\n]*)\n") do
        n = n + 1
        local code = line:gsub("%-%-.*$", "")
        if code:find("require%s*%(?%s*[\"']") and code:find("^%s") then
          error(("%s:%d requires inside a block (lazy require): %s"):format(g.file, n, line), 0)
        end
      end
      assert.truthy(m)
    end
  end)

  it("names every twilio.* module it requires", function()
    for _, g in pairs(graph) do
      for _, d in ipairs(g.deps) do
        if d:match("^twilio%.") and d ~= "twilio.core" then
          assert.truthy(graph[d], g.file .. " requires " .. d .. ", which does not exist")
        end
      end
    end
  end)
end)

describe("require 'twilio.client' alone", function()
  it("gives records with all their methods", function()
    local out = fresh([[
      local client = require "twilio.client"
      assert(package.loaded["twilio"] == nil)
      local core = require "twilio.core"
      local c = assert(client.new{ account_sid = "]] .. SID .. [[", auth_token = "x" })
      local ctx = { client = c, account_sid = "]] .. SID .. [[" }
      local function rec(kind, json) return assert(core.parse_record(kind, json, ctx)) end
      local n = rec("PhoneNumber", '{"sid":"PN]] .. ("b"):rep(32) .. [[","phone_number":"+14155550100"}')
      local a = rec("AssignedAddOn", '{"sid":"XE]] .. ("c"):rep(32) .. [[","resource_sid":"PN]] ..
        ("b"):rep(32) .. [["}')
      local e = rec("Extension", '{"sid":"XF]] .. ("d"):rep(32) .. [["}')
      local av = rec("AvailablePhoneNumber", '{"phone_number":"+14155550100"}')
      local co = rec("Country", '{"country_code":"US"}')
      local want = {
        { n, "update", "fetch", "release", "assigned_add_ons", "time", "totable", "json", "released", "call_info" },
        { a, "delete", "fetch", "extensions", "time", "totable", "call_info" },
        { e, "fetch", "totable", "call_info" },
        { av, "buy", "totable" },
        { co, "search", "totable" },
      }
      local missing = {}
      for _, w in ipairs(want) do
        for i = 2, #w do
          if type(w[1][w[i] ]) ~= "function" then missing[#missing + 1] = core.record_kind(w[1]) .. "." .. w[i] end
        end
      end
      io.write(#missing == 0 and "all methods" or ("missing: " .. table.concat(missing, ", ")))
    ]])
    assert.equals("all methods", out)
  end)
end)

describe("twilio.new options (issue 13, item 5)", function()
  it("suggests the option a misspelt one meant", function()
    local ok, err = pcall(twilio.new, { account_sid = SID, auth_token = "x", timout = 5 })
    assert.is_false(ok)
    assert.matches("unknown option 'timout' for twilio.new; did you mean 'timeout'?", err, 1, true)
    ok, err = pcall(twilio.new, { account_sid = SID, auth_token = "x", retires = 1 })
    assert.is_false(ok)
    assert.matches("did you mean 'retries'?", err, 1, true)
    ok, err = pcall(twilio.new, { account_sid = SID, auth_token = "x", zzzzzzzz = 1 })
    assert.is_false(ok)
    assert.is_nil(err:find("did you mean", 1, true))
  end)

  it("refuses a timeout the transport cannot take, up front", function()
    for _, bad in ipairs{ 0.0001, 0, -1, 1e5, 0 / 0 } do
      local ok, err = pcall(twilio.new, { account_sid = SID, auth_token = "x", timeout = bad })
      assert.is_false(ok, "timeout = " .. tostring(bad) .. " was accepted")
      assert.matches("option 'timeout' must be a number of seconds from 0.001 to 86400", err, 1, true)
    end
    assert.has_error(function() twilio.new{ account_sid = SID, auth_token = "x", connect_timeout = 0.0004 } end)
    assert.has_error(function() twilio.new{ account_sid = SID, auth_token = "x", max_body = 1.5 } end)
    assert.has_error(function() twilio.new{ account_sid = SID, auth_token = "x", max_body = 0 } end)
    -- the floor itself works: a call fails with a timeout error object, it does not raise
    local c = assert(twilio.new{ account_sid = SID, auth_token = "x", timeout = 0.001, retries = 0,
                                 base_url = "http://127.0.0.1:9" })
    local ok, res, err = pcall(c.incoming_phone_numbers.list, c.incoming_phone_numbers)
    assert.is_true(ok, tostring(res))
    assert.is_nil(res)
    assert.truthy(core.is_error(err))
    -- per call too
    assert.has_error(function() c.incoming_phone_numbers:list({}, { timeout = 0.0001 }) end)
    c:close()
  end)
end)

describe("twilio.runtime", function()
  it("is chosen once per client: curl outside nginx, the caller's object, never a bad name", function()
    local c = assert(twilio.new{ account_sid = SID, auth_token = "x" })
    assert.equals("curl", c.runtime.name)
    assert.equals(c.runtime:transport(), c.runtime:transport())     -- one kept handle per client
    c:close()
    local spy = { name = "spy", request = function() return { status = 204, headers = {}, body = "" } end }
    c = assert(twilio.new{ account_sid = SID, auth_token = "x", transport = spy })
    assert.equals("spy", c.runtime.name)
    assert.equals(spy, c.runtime:transport())
    assert.has_error(function() twilio.new{ account_sid = SID, auth_token = "x", transport = "carrier pigeon" } end)
    assert.has_error(function() twilio.new{ account_sid = SID, auth_token = "x", transport = {} } end)
    -- forced cosockets outside nginx: an error object per call, nothing raised
    local rt = runtime.new{ transport = "ngx" }
    local t, err = rt:transport()
    assert.is_nil(t)
    assert.equals("invalid", err.kind)
    assert.matches("needs nginx", err.message)
  end)

  it("names the transport in the User-Agent and in debug lines", function()
    local lines = {}
    local seen
    local spy = { name = "spy", request = function(_, req)
      seen = req.headers["User-Agent"]
      return { status = 200, headers = { ["content-type"] = "application/json" },
               body = '{"incoming_phone_numbers":[],"next_page_uri":null}' }
    end }
    local c = assert(twilio.new{ account_sid = SID, auth_token = "x", transport = spy,
                                 debug = function(l) lines[#lines + 1] = l end })
    assert(c.incoming_phone_numbers:list())
    assert.matches("^twilio%-numbers/%S+ %(.-; spy transport%)$", seen)
    assert.matches("%(%d+ ms, spy%)$", lines[1])
    assert.matches("libcurl/%d", runtime.new():user_agent())
  end)

  it("runs a group's sleeps side by side, sleeping (not spinning)", function()
    local rt = runtime.new{ transport = { request = function() end } }
    local g = rt:group(4)
    local done = 0
    for _ = 1, 4 do g:spawn(function() rt:sleep(0.3); done = done + 1 end) end
    local cpu0, t0 = os.clock(), core.monotonic()
    g:wait()
    local cpu, elapsed = os.clock() - cpu0, core.monotonic() - t0
    assert.equals(4, done)
    assert.is_true(elapsed >= 0.29 and elapsed < 0.6, ("4 sleeps of 0.3 s took %.2f s"):format(elapsed))
    assert.is_true(cpu < 0.1, ("%.3f s of CPU"):format(cpu))
  end)

  it("raises a group task's error again from wait, and can run again after", function()
    local rt = runtime.new()
    local g = rt:group(2)
    g:spawn(function() rt:sleep(0.01) end)
    g:spawn(function() error("boom") end)
    assert.has_error(function() g:wait() end, "boom")
    local ran = false
    g = rt:group(1)
    g:spawn(function() ran = true end)
    g:wait()
    assert.is_true(ran)
    rt:close()
    rt:close()
  end)
end)
