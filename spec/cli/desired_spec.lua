-- twilio-numbers plan / apply / import against the emulator (issue 17):
-- the command's side of playbooks (exit codes, confirmation, saved plans,
-- output formats); the engine's own behaviour is specified with it.
local emu = require "helpers.emulator"
local fake = require "cli.fake"
local cjson = require "cjson"

local run = fake.run

local function write(path, text)
  local f = assert(io.open(path, "w"))
  f:write(text)
  f:close()
  return path
end

local function read(path)
  local f = assert(io.open(path, "rb"))
  local s = f:read("*a")
  f:close()
  return s
end

local BOOK = [[
return {
  accounts = {
    main = {
      numbers = {
        ["+14155550100"] = { friendly_name = "Support line", voice_url = "https://hooks.example.com/voice" },
      },
      pools = {
        sales = { country = "US", type = "local", count = 2, search = { area_code = 510 },
                  friendly_name = "Sales %d" },
      },
      protect = { "+14155550100" },
    },
  },
}
]]

describe("twilio-numbers plan/apply/import", function()
  local client, numbers, dir, book

  setup(function()
    emu.ensure()
    dir = os.tmpname()
    os.remove(dir)
    assert(os.execute("mkdir -p " .. dir))
  end)
  teardown(function()
    os.execute("rm -rf " .. dir)
    emu.stop_if_started()
  end)

  before_each(function()
    emu.reset()
    client = emu.client()
    numbers = client.incoming_phone_numbers
    book = write(dir .. "/book.lua", BOOK)
  end)
  after_each(function() client:close() end)

  it("plan shows the changes, exits 2 with --detailed-exitcode, and buys nothing", function()
    local code, out, err = run{ "plan", book }
    assert.equals(0, code, err)
    assert.matches("+ buy +14155550100 in main", out, 1, true)
    assert.matches('+ buy "Sales 1"', out, 1, true)
    assert.matches("\nPlan: 3 to buy, 0 to change, 0 to move, 0 to release.\n", out, 1, true)
    assert.matches("\nWarning: buying", out, 1, true)
    assert.not_matches("\27", out, 1, true)
    code = run{ "plan", book, "--detailed-exitcode" }
    assert.equals(2, code)
    assert.equals(0, emu.stats().purchases)
  end)

  it("plan -o json parses back with the summary and the changes", function()
    local code, out = run{ "plan", book, "-o", "json" }
    assert.equals(0, code)
    local doc = cjson.decode(out)
    assert.same({ buy = 3, change = 0, move = 0, release = 0 }, doc.summary)
    assert.equals(3, #doc.changes)
    assert.equals("buy", doc.changes[1].action)
  end)

  it("apply refuses without --auto-approve off a terminal, and buys nothing", function()
    local code, out, err = run{ "apply", book }
    assert.equals(3, code)
    assert.matches("Plan: 3 to buy", out, 1, true)
    assert.matches("pass --auto-approve", err, 1, true)
    assert.equals(0, emu.stats().purchases)
  end)

  it("apply asks on a terminal; yes applies, then plan shows no changes (exit 0)", function()
    local code, _, err = run({ "apply", book }, { tty = { [0] = true, [2] = true }, input = { "nope" } })
    assert.equals(3, code)
    assert.matches('Type "yes" to apply these 3 changes', err, 1, true)
    assert.equals(0, emu.stats().purchases)
    local out
    code, out, err = run({ "apply", book, "--parallel", "4" }, { tty = { [0] = true, [2] = true }, input = { "yes" } })
    assert.equals(0, code, err)
    assert.matches("Apply complete: 3 bought", out, 1, true)
    assert.equals(3, emu.stats().purchases)
    assert.equals(3, #numbers:list())
    code, out = run{ "plan", book, "--detailed-exitcode" }
    assert.equals(0, code)
    assert.matches("No changes.", out, 1, true)
    -- and again: nothing is bought twice
    code = run{ "apply", book, "--auto-approve" }
    assert.equals(0, code)
    assert.equals(3, emu.stats().purchases)
  end)

  it("apply of a saved plan works, and is refused once the account drifted", function()
    local plan_file = dir .. "/book.plan"
    local code, out = run{ "plan", book, "-out", plan_file }
    assert.equals(0, code)
    assert.matches("Saved the plan to " .. plan_file, out, 1, true)
    assert.equals("twilio-numbers plan", cjson.decode(read(plan_file)).format)
    code = run{ "apply", plan_file, "--auto-approve" }
    assert.equals(0, code)
    assert.equals(3, emu.stats().purchases)

    -- a plan saved now, then a change made behind its back
    code = run{ "plan", book, "--out", plan_file }
    assert.equals(0, code)
    local n = assert(numbers:find("+14155550100"))
    assert(n:update{ voice_url = "https://elsewhere.example.com/" })
    local _, err
    code, _, err = run{ "apply", plan_file, "--auto-approve" }
    assert.equals(1, code)
    assert.matches("stale", err, 1, true)
    assert.equals("https://elsewhere.example.com/", assert(numbers:fetch(n.sid)).voice_url)
  end)

  it("refuses a playbook with a typo with file, line, field and suggestion, sending nothing", function()
    local typo = write(dir .. "/typo.lua", (BOOK:gsub("voice_url =", "voice_ulr =")))
    for _, argv in ipairs{ { "plan", typo }, { "apply", typo, "--auto-approve" } } do
      local code, out, err = run(argv)
      assert.equals(1, code)
      assert.equals("", out)
      assert.matches(typo .. ":5:", err, 1, true)
      assert.matches("voice_ulr", err, 1, true)
      assert.matches("did you mean 'voice_url'", err, 1, true)
    end
    assert.same({}, emu.requests())
  end)

  it("import and export -o playbook write a playbook whose plan has no changes", function()
    local b = emu.buy(numbers, 3)
    assert(b[1]:update{ friendly_name = "Front, \"desk\"", sms_url = "https://hooks.example.com/s" })
    local code, out = run{ "import" }
    assert.equals(0, code)
    local exported = write(dir .. "/exported.lua", out)
    local _, out2 = run{ "export", "-o", "playbook" }
    assert.equals(out, out2)
    code, out = run{ "plan", exported, "--detailed-exitcode" }
    assert.equals(0, code, out)
    assert.matches("Plan: 0 to buy, 0 to change, 0 to move, 0 to release.", out, 1, true)
    code = run{ "import", "--out", dir .. "/file.lua" }
    assert.equals(0, code)
    assert.equals(out2, read(dir .. "/file.lua"))
  end)

  it("--prune releases what the playbook does not declare, never a protected number", function()
    assert.equals(0, (run{ "apply", book, "--auto-approve" }))
    local extra = emu.buy(numbers, 1)[1]
    local only_pool = write(dir .. "/pool.lua", (BOOK:gsub('%["%+14155550100"%] = {[^\n]*\n', "")))
    local code, out = run{ "plan", only_pool, "--prune" }
    assert.equals(0, code)
    assert.matches("- release " .. extra.phone_number, out, 1, true)
    assert.not_matches("- release +14155550100", out, 1, true)
    code = run{ "apply", only_pool, "--prune", "--auto-approve" }
    assert.equals(0, code)
    assert.is_nil((numbers:find(extra.phone_number)))
    assert.truthy(numbers:find("+14155550100"))
  end)

  it("says --account does not apply to playbooks (exit 64)", function()
    local code, _, err = run{ "plan", book, "--account", emu.sub_sid() }
    assert.equals(64, code)
    assert.matches("a playbook names its accounts", err, 1, true)
  end)
end)
