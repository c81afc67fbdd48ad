-- docs/INSTALL.md works as pasted (issue 13 item 7): every ```sh block runs
-- in a fresh shell (env -i, a bare PATH) from the root of the clone, installs
-- into a scratch directory under /tmp, and its last command loads the
-- installed module with the VM the block is for. Run once, by the plain
-- lua5.4 pass (the blocks build and install; they do not depend on the VM
-- running the spec).
local root = os.getenv("TWILIO_NUMBERS_ROOT") or "."

local function read(path)
  local f = io.open(path, "rb")
  if not f then return nil end
  local s = f:read("*a")
  f:close()
  return s
end

local function sh_quote(s) return "'" .. tostring(s):gsub("'", "'\\''") .. "'" end

local function blocks(text)
  local out = {}
  for body in text:gmatch("\n```sh\n(.-)\n```") do out[#out + 1] = body end
  return out
end

local function have(cmd)
  local r = os.execute("command -v " .. cmd .. " >/dev/null 2>&1")
  return r == true or r == 0
end

describe("docs/INSTALL.md", function()
  local doc = read(root .. "/docs/INSTALL.md")

  it("has a block for make install, make install-jit and luarocks (5.4 and LuaJIT)", function()
    assert(doc, "docs/INSTALL.md is missing")
    local b = blocks(doc)
    assert.equal(4, #b)
    assert.matches("make install PREFIX=", b[1], 1, true)
    assert.matches("make install-jit PREFIX=", b[2], 1, true)
    assert.matches("luarocks --lua-version 5.4 make", b[3], 1, true)
    assert.matches("luarocks --lua-version 5.1 make", b[4], 1, true)
  end)

  it("every block works as pasted in a fresh shell", function()
    if os.getenv("TWILIO_TEST_VM") ~= "lua5.4" or os.getenv("TWILIO_TEST_ASAN") then
      pending("run once, by the plain lua5.4 pass")
      return
    end
    assert(doc, "docs/INSTALL.md is missing")
    local version = require("twilio.core")._VERSION
    local want = { "twilio " .. version .. " for Lua 5.4", "twilio " .. version .. " for LuaJIT",
                   "twilio " .. version .. " for Lua 5.4", "twilio " .. version .. " for LuaJIT" }
    for i, body in ipairs(blocks(doc)) do
      if body:find("luarocks", 1, true) and not have("luarocks") then
        pending("luarocks is not installed")
      else
        local script = os.tmpname()
        local f = assert(io.open(script, "wb"))
        -- the block, then the scratch directories it made are removed
        f:write("set -e\n", body, "\n",
                'case "${PREFIX:-}" in /tmp/twilio-numbers.*) rm -rf "$PREFIX";; esac\n',
                'case "${TREE:-}" in /tmp/twilio-rocks.*) rm -rf "$TREE";; esac\n')
        f:close()
        local home = sh_quote(os.getenv("HOME") or "/root")
        local p = io.popen("cd " .. sh_quote(root) .. " && env -i HOME=" .. home
                           .. " PATH=/usr/local/bin:/usr/bin:/bin bash " .. sh_quote(script)
                           .. " 2>&1; echo \"exit=$?\"")
        local out = p:read("*a")
        p:close()
        os.remove(script)
        assert.matches("exit=0", out, 1, true)
        assert.matches(want[i], out, 1, true)
        -- nothing reaches beyond this machine (the rock's dependencies come from Debian)
        assert.is_nil(out:lower():find("download", 1, true), out)
      end
    end
  end)
end)
