-- The rockspec lists every source, and `luarocks make` installs a module
-- that loads and works (issue 2).
local root = os.getenv("TWILIO_NUMBERS_ROOT") or "."
-- Installing is a test of the repository, not of a VM: it belongs to the
-- plain lua5.4 pass only (elsewhere it is not defined, so not counted as a skip).
local once = os.getenv("TWILIO_TEST_VM") == "lua5.4" and not os.getenv("TWILIO_TEST_ASAN")

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

  it("names no architecture directory (it must build on any multiarch triplet)", function()
    for line in text:gmatch("[^\n]+") do
      if not line:match("^%s*%-%-") then
        assert.is_nil(line:match("[%w_]+%-linux%-gnu%w*"), "architecture path in the rockspec: " .. line)
      end
    end
  end)

  it("lists every Lua module", function()
    for _, f in ipairs(lines("cd " .. root .. " && find lua -name '*.lua' | sort")) do
      local mod = f:gsub("^lua/", ""):gsub("%.lua$", ""):gsub("/init$", ""):gsub("/", ".")
      assert.truthy(text:find('["' .. mod .. '"] = "' .. f .. '"', 1, true), f .. " is missing from the rockspec")
    end
  end)

  if once then it("luarocks make installs a module that loads under Lua 5.4", function()
    if not os.execute("command -v luarocks >/dev/null 2>&1") then
      pending("luarocks is not installed")
      return
    end
    -- built in a copy, so that luarocks' objects do not land in the checkout
    local tree, src = root .. "/build/rocktree", root .. "/build/rocksrc"
    os.execute("rm -rf " .. tree .. " " .. src .. " && mkdir -p " .. src .. " && cp -r " .. root .. "/src " ..
               root .. "/lua " .. root .. "/rockspec " .. root .. "/bin " .. src .. "/")
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
    -- install.bin: the command's luarocks wrapper runs from the tree (a
    -- --tree the loader is not configured for needs its paths given)
    local man = lines(string.format("cd /tmp && env LUA_PATH='%s/share/lua/5.4/?.lua;;' " ..
                                    "LUA_CPATH='%s/lib/lua/5.4/?.so;;' %s/bin/twilio-numbers help", tree, tree, tree))
    assert.equals("TWILIO-NUMBERS(1)", man[1])
  end) end
end)

describe("make install", function()
  if not once then return end
  it("installs for Lua 5.4 (install) and LuaJIT (install-jit) into a DESTDIR, and both load", function()
    local dest = root .. "/build/dest"
    local ok = os.execute(string.format("rm -rf %s && cd %s && make -s install install-jit DESTDIR=%s " ..
                                        "PREFIX=/usr/local >/dev/null 2>&1", dest, root, dest))
    assert.truthy(ok == true or ok == 0, "make install failed")
    for _, vm in ipairs{ { "lua5.4", "5.4" }, { "luajit", "5.1" } } do
      local pre = dest .. "/usr/local"
      local code = table.concat({
        "package.path = '%s/share/lua/%s/?.lua'",
        "package.cpath = '%s/lib/lua/%s/?.so'",
        "local t = require 'twilio'",
        "io.write(t._VERSION, ' ', package.searchpath('twilio.core', package.cpath))",
      }, "; "):format(pre, vm[2], pre, vm[2])
      local p = io.popen(string.format("cd /tmp && env -u LUA_PATH -u LUA_CPATH %s -e %q 2>&1", vm[1], code))
      local out = p:read("*a")
      p:close()
      assert.matches("^%d+%.%d+%.%d+ " .. (pre .. "/lib/lua/" .. vm[2]):gsub("%p", "%%%0"), out)
    end
  end)
end)
