-- docs/DESIGN.md describes the code as it is (issue 12): every file path it
-- names exists, and every C source and Lua module is named in it (by its
-- path, or by a directory `lua/twilio/x/` or a glob `lua/twilio/x/*.lua` it
-- names, for a family of files described together).
local root = os.getenv("TWILIO_NUMBERS_ROOT") or "."

local ROOTS = { src = true, lua = true, spec = true, tests = true, fuzz = true, bench = true,
                docs = true, emulator = true, bin = true, tools = true, examples = true,
                rockspec = true }

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

-- The repository paths named in text: runs of path characters that start
-- with a top-level directory of this repository and a slash (build/ and
-- ../shared/ are not in the checkout). Globs (src/tw_*.c) are kept.
local function named_paths(text)
  local seen, out = {}, {}
  for run in text:gmatch("[%w_%-%./%*]+") do
    run = run:gsub("[%.]+$", "")
    local top = run:match("^([%w_%-]+)/")
    if top and ROOTS[top] and not seen[run] then
      seen[run] = true
      out[#out + 1] = run
    end
  end
  return out
end

-- The named paths that match nothing in the checkout at dir.
local function missing(text, dir)
  local gone = {}
  for _, path in ipairs(named_paths(text)) do
    local found
    if path:find("*", 1, true) then
      found = #lines(string.format("cd '%s' && ls -d %s 2>/dev/null", dir, path)) > 0
    else
      found = os.rename(dir .. "/" .. path, dir .. "/" .. path) ~= nil
    end
    if not found then gone[#gone + 1] = path end
  end
  return gone
end

-- Whether file is named by one of paths: exactly, under a named directory
-- ("dir/"), or by a named glob ("*" within one path segment).
local function covered(file, paths)
  for _, p in ipairs(paths) do
    if p == file or (p:sub(-1) == "/" and file:sub(1, #p) == p) then return true end
    if p:find("*", 1, true) then
      local pat = "^" .. p:gsub("[%-%.%+%[%]%(%)%$%^%%%?]", "%%%0"):gsub("%*", "[^/]*") .. "$"
      if file:match(pat) then return true end
    end
  end
  return false
end

-- Paths that describe the layout, not a family of files: naming `lua/`
-- (the Lua API lives there) or `src/*.c` names no module.
local BROAD = { ["src/"] = true, ["src/*.c"] = true, ["src/tw_*.c"] = true, ["src/ltw_*.c"] = true,
                ["lua/"] = true, ["lua/twilio/"] = true, ["lua/*.lua"] = true, ["lua/twilio/*.lua"] = true }

-- The files that no path names, other than by a broad one.
local function unnamed(files, paths)
  local left = {}
  for _, f in ipairs(files) do
    local named = false
    for _, p in ipairs(paths) do
      if not BROAD[p] and covered(f, { p }) then named = true end
    end
    if not named then left[#left + 1] = f end
  end
  return left
end

describe("docs/DESIGN.md", function()
  local text = read(root .. "/docs/DESIGN.md")

  it("names only files that exist", function()
    local paths = named_paths(text)
    assert.is_true(#paths > 40, "expected DESIGN.md to name the code's files, found " .. #paths)
    local gone = missing(text, root)
    assert.same({}, gone, "named in docs/DESIGN.md but not in the checkout: " .. table.concat(gone, ", "))
  end)

  it("names every C source and Lua module", function()
    local paths = named_paths(text)
    local files = lines("cd " .. root .. " && ls src/*.c && find lua -name '*.lua' | sort")
    assert.is_true(#files > 20)
    local left = unnamed(files, paths)
    assert.same({}, left, "not named in docs/DESIGN.md: " .. table.concat(left, ", "))
  end)

  it("a family of files may be named by its directory or a glob", function()
    local paths = { "lua/twilio/cli/", "lua/twilio/playbook/*.lua", "src/tw_*.c" }
    assert.is_true(covered("lua/twilio/cli/main.lua", paths))
    assert.is_true(covered("lua/twilio/playbook/plan.lua", paths))
    assert.is_false(covered("lua/twilio/playbook.lua", paths))
    assert.is_false(covered("lua/twilio/playbook/x/y.lua", paths))
    assert.is_false(covered("lua/twilio/client.lua", paths))
  end)

  it("the layout's directories and globs name no module", function()
    local files = { "lua/twilio/client.lua", "lua/twilio/cli/main.lua", "src/tw_json.c" }
    assert.same(files, unnamed(files, { "lua/", "lua/twilio/", "src/", "src/*.c", "src/tw_*.c" }))
    assert.same({}, unnamed(files, { "lua/twilio/client.lua", "lua/twilio/cli/", "src/tw_json.c" }))
  end)

  it("the check fails for a path that does not exist (and passes globs and directories)", function()
    local sample = "See `src/tw_gone.c`, `lua/twilio/nothing.lua`, src/tw_*.c, lua/twilio/transport/ " ..
                   "and ../shared/docs/STYLE.md, build/5.4/twilio/core.so, docs/DESIGN.md."
    assert.same({ "src/tw_gone.c", "lua/twilio/nothing.lua" }, missing(sample, root))
  end)
end)
