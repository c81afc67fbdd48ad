-- helpers.finalizer_race: what a finalizer reads of a record that dies in
-- the same collection (its own __gc may have run first). Round by round a
-- record is made before or after an object whose finalizer reads it, both
-- are dropped and fully collected; every read must give the value or
-- raise "record is closed", never read freed memory (ASan would say).
--
--   local results = finalizer_race.run(rounds, make, read)
--     make(round) -> record; read(record) -> a field's value
-- Returns { { pcall results }, ... }, one per finalizer run.
local _M = {}

local function full_gc() collectgarbage(); collectgarbage(); collectgarbage() end

function _M.run(rounds, make, read)
  local newproxy = rawget(_G, "newproxy")
  local results = {}
  local function setup(round)
    local holder = {}
    local function fin()
      results[#results + 1] = { pcall(function() return read(holder.rec) end) }
    end
    -- the proxy is held until both are made: a large parse runs collector
    -- steps, which would finalize a dropped proxy first
    local proxy
    if round % 2 == 0 then holder.rec = make(round) end
    if newproxy then
      proxy = newproxy(true)
      getmetatable(proxy).__gc = fin
    else
      proxy = setmetatable({}, { __gc = fin })
    end
    if round % 2 == 1 then holder.rec = make(round) end
    return proxy
  end
  for round = 1, rounds do
    local proxy = setup(round)
    assert(proxy ~= nil)
    proxy = nil -- luacheck: ignore
    full_gc()
  end
  return results
end

return _M
