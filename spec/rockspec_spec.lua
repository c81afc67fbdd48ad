-- The rockspec lists every source, and `luarocks make` installs a module
-- that loads and works (issue 2).
local root = os.getenv("TWILIO_NUMBERS_ROOT") or "."

local function read(path)
  local f = assert(io.open(path, "rb"))
  local s = f:read("*a")
  f:close()
  return s
end

local function lines(cmd)
  local p = assert(io.popen(cmd))
  local out = {}
  for l in p:lines() do out[#out + 1] = l end
  p:close()
  return out
end

describe("rockspec", function()
  local text = read(root .. "/rockspec/twilio-numbers-scm-1.rockspec")

  it("lists every C source of the module", function()
    for _, f in ipairs(lines("cd " .. root .. " && ls src/*.c")) do
      assert.truthy(text:find('"' .. f .. '"', 1, true), f .. " is missing from the rockspec")
    end
  end)

  it("lists every Lua module", function()
    for _, f in ipairs(lines("cd " .. root .. " && find lua -name '*.lua' | sort")) do
      local mod = f:gsub("^lua/", ""):gsub("%.lua$", ""):gsub("/init$", ""):gsub("/", ".")
      assert.truthy(text:find('["' .. mod .. '"] = "' .. f .. '"', 1, true), f .. " is missing from the rockspec")
    end
  end)

  it("luarocks make installs a module that loads under Lua 5.4", function()
    if os.getenv("TWILIO_TEST_VM") == "luajit" or os.getenv("TWILIO_TEST_ASAN") then
      pending("installed once, by the lua5.4 run")
      return
    end
    if not os.execute("command -v luarocks >/dev/null 2>&1") then
      pending("luarocks is not installed")
      return
    end
    -- built in a copy, so that luarocks' objects do not land in the checkout
    local tree, src = root .. "/build/rocktree", root .. "/build/rocksrc"
    os.execute("rm -rf " .. tree .. " " .. src .. " && mkdir -p " .. src .. " && cp -r " .. root .. "/src " ..
               root .. "/lua " .. root .. "/rockspec " .. src .. "/")
    local cmd = string.format("cd %s && luarocks --lua-version 5.4 --tree %s make --deps-mode=none " ..
                              "rockspec/twilio-numbers-scm-1.rockspec >%s/build/rock.log 2>&1", src, tree, root)
    local ok = os.execute(cmd)
    assert.truthy(ok == true or ok == 0, "luarocks make failed: see build/rock.log\n" ..
                  (io.open(root .. "/build/rock.log") and read(root .. "/build/rock.log") or ""))
    local code = table.concat({
      "package.path = '%s/share/lua/5.4/?.lua;%s/share/lua/5.4/?/init.lua'",
      "package.cpath = '%s/lib/lua/5.4/?.so'",
      "local t = require 'twilio'",
      "assert(t.new{ account_sid = 'AC' .. ('a'):rep(32), auth_token = 'x' })",
      "io.write(t._VERSION, ' ', package.searchpath('twilio.core', package.cpath))",
    }, "; "):format(tree, tree, tree)
    local probe = string.format("cd /tmp && env -u LUA_PATH -u LUA_CPATH lua5.4 -e %q", code)
    local out = lines(probe)[1] or ""
    assert.matches("^%d+%.%d+%.%d+ " .. tree:gsub("%p", "%%%0"), out)
  end)
end)
