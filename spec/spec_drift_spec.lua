-- spec_drift_spec.lua: the C operation tables (core.operations()) against the
-- official OpenAPI document ../shared/twilio-oai/twilio_api_v2010.json.
--
-- For every covered operation: method and path; for every parameter (path,
-- query, form): present on both sides with the same wire name, location,
-- type, enum, pattern, format, minimum/maximum and required flag, and no
-- extra ones on either side. Our snake_case names must be the snake form of
-- the wire names. Where our table adds a rule the spec lacks (a min/max or a
-- pattern that is prose only) the entry must carry a `note`. Also: every
-- spec operation under /IncomingPhoneNumbers or /AvailablePhoneNumbers is
-- covered, and x-twilio.conditional matches our one_of rule.
-- The tests that read the document are pending when ../shared is absent;
-- the ones that check our own tables run anyway.
local core = require "twilio.core"
local shared = require "helpers.shared"


local function snake(wire)
  return (wire:gsub("(%l)(%u)", "%1_%2"):gsub("(%u)(%u%l)", "%1_%2"):lower())
end

local function resolve(spec, schema)
  if schema and schema["$ref"] then
    local name = schema["$ref"]:match("^#/components/schemas/(.+)$")
    return spec.components.schemas[name]
  end
  return schema
end

local function same_list(a, b)
  if a == nil or b == nil then return a == b end
  if #a ~= #b then return false end
  for i = 1, #a do if a[i] ~= b[i] then return false end end
  return true
end

local function fmt(v)
  if type(v) == "table" then
    local out = {}
    for i = 1, #v do out[i] = tostring(v[i]) end
    return "{" .. table.concat(out, ",") .. "}"
  end
  return tostring(v)
end

-- The spec's view of one operation: { method, path, params = { ["in:Wire"] = {...} }, conditional }
local function spec_ops(spec)
  local ops = {}
  for path, item in pairs(spec.paths) do
    for method, op in pairs(item) do
      if type(op) == "table" and op.operationId then
        local params = {}
        for _, p in ipairs(op.parameters or {}) do
          local s = resolve(spec, p.schema)
          params[p["in"] .. ":" .. p.name] = { wire = p.name, ["in"] = p["in"], schema = s,
                                               required = p.required == true }
        end
        local body = op.requestBody and op.requestBody.content
          and op.requestBody.content["application/x-www-form-urlencoded"]
        if body then
          local req = {}
          for _, r in ipairs(body.schema.required or {}) do req[r] = true end
          for name, s in pairs(body.schema.properties or {}) do
            params["form:" .. name] = { wire = name, ["in"] = "form", schema = resolve(spec, s),
                                        required = req[name] == true }
          end
        end
        local x = op["x-twilio"]
        ops[op.operationId] = { method = method:upper(), path = path, params = params,
                                conditional = x and x.conditional }
      end
    end
  end
  return ops
end

-- Returns a list of differences (strings); empty when the tables match.
local function compare(spec, ours)
  local problems = {}
  local function bad(...) problems[#problems + 1] = string.format(...) end
  local theirs = spec_ops(spec)
  local n = 0
  for id, op in pairs(ours) do
    n = n + 1
    local s = theirs[id]
    if not s then
      bad("%s: not in the spec", id)
    else
      if s.method ~= op.method then bad("%s: method %s, spec %s", id, op.method, s.method) end
      if s.path ~= op.path then bad("%s: path %s, spec %s", id, op.path, s.path) end
      local seen = {}
      for _, p in ipairs(op.params) do
        local key = p["in"] .. ":" .. p.wire
        local sp = s.params[key]
        if seen[key] then bad("%s: %s listed twice", id, key) end
        seen[key] = true
        if not sp then
          bad("%s: extra parameter %s (not in the spec)", id, key)
        else
          local sc = sp.schema or {}
          if p.name ~= snake(p.wire) then bad("%s: %s named %s, expected %s", id, key, p.name, snake(p.wire)) end
          if p.type ~= sc.type then bad("%s: %s type %s, spec %s", id, key, p.type, tostring(sc.type)) end
          if not same_list(p.enum, sc.enum) then
            bad("%s: %s enum %s, spec %s", id, key, fmt(p.enum), fmt(sc.enum))
          end
          if sc.pattern then
            if p.pattern ~= sc.pattern then
              bad("%s: %s pattern %s, spec %s", id, key, tostring(p.pattern), sc.pattern)
            end
          elseif p.pattern then
            bad("%s: %s has pattern %s, the spec has none", id, key, p.pattern)
          end
          if p.format ~= sc.format then
            bad("%s: %s format %s, spec %s", id, key, tostring(p.format), tostring(sc.format))
          end
          for _, m in ipairs({ { "min", "minimum" }, { "max", "maximum" } }) do
            local mine, spec_v = p[m[1]], sc[m[2]]
            if spec_v ~= nil then
              if mine ~= spec_v then bad("%s: %s %s %s, spec %s", id, key, m[1], tostring(mine), tostring(spec_v)) end
            elseif mine ~= nil and not p.note then
              bad("%s: %s has %s %s the spec lacks, without a note", id, key, m[1], tostring(mine))
            end
          end
          if sc.maxLength and p.max_length ~= sc.maxLength then
            bad("%s: %s max_length %s, spec maxLength %s", id, key, tostring(p.max_length), tostring(sc.maxLength))
          end
          if p.required ~= sp.required then
            bad("%s: %s required=%s, spec %s", id, key, tostring(p.required), tostring(sp.required))
          end
        end
      end
      for key in pairs(s.params) do
        if not seen[key] then bad("%s: missing parameter %s", id, key) end
      end
      -- the conditional create rule
      local cond = s.conditional
      if cond then
        for _, group in ipairs(cond) do
          if op.one_of ~= table.concat(group, "|") then
            bad("%s: x-twilio.conditional %s, ours %s", id, table.concat(group, "|"), tostring(op.one_of))
          end
        end
      elseif op.one_of then
        bad("%s: one_of %s but the spec has no conditional", id, op.one_of)
      end
    end
  end
  -- every operation of the covered resources is covered
  for id, s in pairs(theirs) do
    local p = s.path
    if (p:find("/IncomingPhoneNumbers", 1, true) or p:find("/AvailablePhoneNumbers", 1, true))
        and not ours[id] then
      bad("%s (%s %s): in the spec but not in our tables", id, s.method, p)
    end
  end
  if n ~= 26 then bad("expected 26 operations, have %d", n) end
  return problems
end

local function deepcopy(v)
  if type(v) ~= "table" then return v end
  local t = {}
  for k, x in pairs(v) do t[k] = deepcopy(x) end
  return setmetatable(t, getmetatable(v))
end

describe("operation tables vs the OpenAPI spec", function()
  local FILE = "twilio-oai/twilio_api_v2010.json"
  local ours = core.operations()
  local spec
  -- inside a test: the decoded document (read once), or the test is pending
  local function need_spec()
    if spec then return spec end
    local dir = shared.need(pending, FILE, "spec drift")
    local f = assert(io.open(dir .. "/" .. FILE, "rb"))
    local text = f:read("*a")
    f:close()
    spec = assert(require("cjson.safe").decode(text), "the OpenAPI document must decode")
    return spec
  end

  it("matches: methods, paths, parameters, types, enums, patterns, ranges", function()
    need_spec()
    local problems = compare(spec, ours)
    assert.are.same({}, problems)
  end)

  it("covers the 26 operations of API.md section 4", function()
    local want = {
      "ListIncomingPhoneNumber", "CreateIncomingPhoneNumber", "FetchIncomingPhoneNumber",
      "UpdateIncomingPhoneNumber", "DeleteIncomingPhoneNumber",
      "ListIncomingPhoneNumberLocal", "CreateIncomingPhoneNumberLocal",
      "ListIncomingPhoneNumberMobile", "CreateIncomingPhoneNumberMobile",
      "ListIncomingPhoneNumberTollFree", "CreateIncomingPhoneNumberTollFree",
      "ListIncomingPhoneNumberAssignedAddOn", "CreateIncomingPhoneNumberAssignedAddOn",
      "FetchIncomingPhoneNumberAssignedAddOn", "DeleteIncomingPhoneNumberAssignedAddOn",
      "ListIncomingPhoneNumberAssignedAddOnExtension", "FetchIncomingPhoneNumberAssignedAddOnExtension",
      "ListAvailablePhoneNumberCountry", "FetchAvailablePhoneNumberCountry",
      "ListAvailablePhoneNumberLocal", "ListAvailablePhoneNumberTollFree", "ListAvailablePhoneNumberMobile",
      "ListAvailablePhoneNumberNational", "ListAvailablePhoneNumberVoip",
      "ListAvailablePhoneNumberSharedCost", "ListAvailablePhoneNumberMachineToMachine",
    }
    for _, id in ipairs(want) do assert.is_table(ours[id], id) end
  end)

  it("every deviation from the spec's schema carries a note", function()
    for id, op in pairs(ours) do
      for _, p in ipairs(op.params) do
        -- prose-only checks: formats we enforce beyond the schema
        if p.check == "contains" or p.check == "latlong" or p.check == "area_code"
            or p.check == "country" or p.check == "e164" or p.check == "phone_filter"
            or p.check == "api_version" then
          assert.is_string(p.note, id .. " " .. p.name)
        end
      end
    end
  end)

  describe("fails when the tables drift", function()
    local function mutated(fn)
      local copy = deepcopy(need_spec())
      fn(copy)
      return compare(copy, ours)
    end
    local update = "/2010-04-01/Accounts/{AccountSid}/IncomingPhoneNumbers/{Sid}.json"
    local form = function(s)
      return s.paths[update].post.requestBody.content["application/x-www-form-urlencoded"].schema
    end

    it("an enum value changes", function()
      local p = mutated(function(s)
        s.components.schemas.incoming_phone_number_enum_emergency_status.enum = { "Active", "Inactive", "Pending" }
      end)
      assert.is_true(#p > 0)
      assert.matches("enum", p[1])
    end)
    it("a parameter is added", function()
      local p = mutated(function(s) form(s).properties.SmsReceiveMode = { type = "string" } end)
      assert.matches("missing parameter form:SmsReceiveMode", table.concat(p, "\n"), 1, true)
    end)
    it("a parameter is removed", function()
      local p = mutated(function(s) form(s).properties.TrunkSid = nil end)
      assert.matches("extra parameter form:TrunkSid", table.concat(p, "\n"), 1, true)
    end)
    it("a pattern changes", function()
      local p = mutated(function(s) form(s).properties.BundleSid.pattern = "^BU[0-9a-f]{32}$" end)
      assert.matches("pattern", table.concat(p, "\n"))
    end)
    it("a range changes", function()
      local p = mutated(function(s)
        local list = s.paths["/2010-04-01/Accounts/{AccountSid}/IncomingPhoneNumbers.json"].get
        for _, prm in ipairs(list.parameters) do
          if prm.name == "PageSize" then prm.schema.maximum = 500 end
        end
      end)
      assert.matches("max 1000, spec 500", table.concat(p, "\n"), 1, true)
    end)
    it("a method or path changes, or an operation appears", function()
      local p = mutated(function(s)
        local item = s.paths[update]
        item.put, item.post = item.post, nil
        item.put.operationId = "UpdateIncomingPhoneNumber"
        s.paths["/2010-04-01/Accounts/{AccountSid}/IncomingPhoneNumbers/Bulk.json"] =
          { post = { operationId = "CreateIncomingPhoneNumberBulk" } }
      end)
      local all = table.concat(p, "\n")
      assert.matches("method POST, spec PUT", all, 1, true)
      assert.matches("CreateIncomingPhoneNumberBulk", all, 1, true)
    end)
    it("a type changes", function()
      local p = mutated(function(s) form(s).properties.VoiceCallerIdLookup = { type = "string" } end)
      assert.matches("type boolean, spec string", table.concat(p, "\n"), 1, true)
    end)
  end)
end)
