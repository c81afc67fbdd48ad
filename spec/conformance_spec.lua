-- Peer conformance: replay the request/response vectors taken from the
-- official Twilio libraries' own tests (../shared/conformance) through this
-- library, against the emulator's canned responses ("respond" faults).
--
-- For each vector: install its response(s), make the equivalent call through
-- the Lua API, then check the request the emulator logged (method, path with
-- the mapped SIDs, asserted params) and the outcome (objects with readable
-- fields, lists of the right length, true for deletes, error objects with
-- status/code/message). Vectors that do not map onto the library are listed
-- as pending with the reason. See docs/CONFORMANCE.md.
local vectors = require "helpers.vectors"
local shared = require "helpers.shared"

local all, why = vectors.load()

describe("peer conformance vectors", function()
  if not all then
    -- as many skips as there would be tests: one per vector, and the tally
    local reason = shared.reason("conformance/peer-vectors.json", "peer vectors")
    if shared.dir("conformance/peer-vectors.json") then
      reason = "peer vectors unreadable: " .. tostring(why)   -- present but broken: not a skip
      it("loads ../shared/conformance/peer-vectors.json", function() error(reason) end)
      return
    end
    for i = 1, vectors.TOTAL do pending(("vector %d of %d: %s"):format(i, vectors.TOTAL, reason)) end
    pending("accounts for every vector: " .. reason)
    return
  end

  local twilio = require "twilio"
  local emu = require "helpers.emulator"
  local null = vectors.null
  local client

  local counts = { replayed = 0, passed = 0, not_applicable = 0, groups = {}, reasons = {}, differs = {} }
  for _, g in ipairs(vectors.GROUPS) do counts.groups[g.id] = { replayed = 0, passed = 0, na = 0 } end

  setup(function()
    emu.ensure()
    client = emu.client()          -- the emulator's main account, retries = 0
  end)

  teardown(function()
    if client then client:close() end
    emu.stop_if_started()
  end)

  before_each(function()
    emu.clear_faults()
    emu.clear_log()
  end)

  -- helpers ---------------------------------------------------------------------

  local function escape(s)
    return (s:gsub("[%^%$%(%)%%%.%[%]%*%+%-%?]", "%%%0"))
  end

  local function install(responses)
    for _, r in ipairs(responses or {}) do
      emu.fault{ fault = "respond", method = r.method, path = "^" .. escape(r.path), count = 1,
                 status = r.status, headers = r.headers, body = r.body or "" }
    end
  end

  local function requests()
    return emu.requests()
  end

  local function describe_log(log)
    local t = {}
    for i, e in ipairs(log) do
      t[i] = string.format("%s %s?%s [%s]", e.method, e.path, e.query or "", e.body or "")
    end
    return table.concat(t, "\n")
  end

  -- The request the vector asserted: method, path, params (decoded).
  local function check_request(want, got)
    assert(got, "no request reached the emulator")
    assert.are.equal(want.method, got.method)
    assert.are.equal(want.path, got.path)
    local params
    if want.location == "form" then
      params = vectors.parse_form(got.body)
    elseif want.location == "query" then
      params = vectors.parse_form(got.query)
    else
      params = vectors.parse_form(got.query)
      for k, v in pairs(vectors.parse_form(got.body)) do params[k] = v end
    end
    for k, v in pairs(want.params or {}) do
      assert.are.equal(tostring(v), params[k], "request parameter " .. k)
    end
  end

  -- A nested JSON value against what the record returned for it.
  local function deep_match(got, want, where)
    if want == null then return end                   -- absent, nil or a null marker
    if type(want) ~= "table" then
      if want == "" and got == nil then return end
      assert.are.equal(want, got, where)
      return
    end
    assert.are.equal("table", type(got), where .. " should be a table")
    for k, v in pairs(want) do deep_match(got[k], v, where .. "." .. tostring(k)) end
  end

  -- Every field of the JSON object is readable on the record: null and ""
  -- read as nil, scalars as themselves, objects as tables; dates parse.
  local function check_record(rec, obj, kind)
    assert.is_not_nil(rec, "no object returned")
    local plain
    for k, want in pairs(obj) do
      local got = rec[k]
      if type(got) == "function" then          -- a method shadows the field
        plain = plain or rec:totable()
        got = plain[k]
      end
      if want == null or want == "" then
        assert.is_nil(got, kind .. "." .. k .. " should read as nil")
      elseif type(want) == "table" then
        deep_match(got, want, kind .. "." .. k)
      else
        assert.are.equal(want, got, kind .. "." .. k)
      end
      if type(want) == "string" and k:find("^date_") and type(rec.time) == "function" then
        local epoch = twilio.parse_date(want)
        assert.is_not_nil(epoch, "twilio.parse_date(" .. want .. ")")
        assert.are.equal(epoch, rec:time(k), kind .. ":time('" .. k .. "')")
      end
    end
  end

  local function check_items(got, want, kind)
    assert.are.equal("table", type(got), "no list returned")
    assert.are.equal(#want, #got, "number of " .. kind .. " objects")
    for i = 1, #want do check_record(got[i], want[i], kind) end
  end

  -- The error object for an HTTP error response.
  local function check_error(plan, err)
    assert.is_not_nil(err, "no error returned")
    assert.is_true(twilio.is_error(err), "not a twilio.Error: " .. tostring(err))
    assert.are.equal("api", err.kind, tostring(err))
    assert.are.equal(plan.status, err.status, tostring(err))
    local body = plan.body
    if plan.body_invalid then
      body = nil
    elseif type(body) == "string" then
      body = vectors.decode(body) or body
    end
    local code = type(body) == "table" and tonumber(body.code) or plan.status
    assert.are.equal(code, err.code, "err.code: " .. tostring(err))
    if type(body) == "table" then
      if type(body.message) == "string" then assert.are.equal(body.message, err.message) end
      if type(body.more_info) == "string" then assert.are.equal(body.more_info, err.more_info) end
    end
  end

  local function result_list(plan, out)
    if plan.action == "each" then return out.items end
    if plan.action == "page" or plan.action == "get_page" then return out.value and out.value.items end
    return out.value
  end

  -- error.parse vectors: the fields each peer asserted, in our names.
  local function check_error_parse(plan, err)
    check_error(plan, err)
    local f = plan.expect.fields or {}
    local body = plan.body
    if f.Message then assert.are.equal(f.Message, err.message) end
    if f.MoreInfo then assert.are.equal(f.MoreInfo, err.more_info) end
    if f.Details ~= nil then
      if f.Details == null then
        assert.is_nil(err.details)
      else
        deep_match(err.details, f.Details, "err.details")
      end
    end
    if f.msg_contains then
      assert.is_truthy(tostring(err.message):find(f.msg_contains, 1, true), tostring(err))
    end
    -- RFC 9457 problem details (core.parse_error): err.message is message,
    -- else detail, else title; err.more_info is more_info, else type (unless
    -- about:blank); err.instance is instance; err.details is details, else
    -- the "errors" array.
    if type(body) == "table" and body.title then
      assert.are.equal(body.message or body.detail or body.title, err.message)
      if body.type and body.type ~= "about:blank" then assert.are.equal(body.type, err.more_info) end
      if body.instance then assert.are.equal(body.instance, err.instance) end
      if f.errors_len then
        local d = err.details
        assert.are.equal("table", type(d), "err.details")
        assert.are.equal(f.errors_len, #d)
        assert.are.equal(f["errors[0].detail"], d[1].detail)
        assert.are.equal(f["errors[0].pointer"], d[1].pointer)
      end
    end
    if plan.expect.message_contains then
      -- Go: "error decoding the response for an HTTP error code: 400"
      assert.is_truthy(tostring(err):find(tostring(plan.status), 1, true), tostring(err))
    end
  end

  -- run one plan -----------------------------------------------------------------

  local function run(plan)
    local ex = plan.expect

    if plan.check == "credentials" then
      local c = plan.credentials
      local account_sid = c.username
      if not account_sid:find("\n", 1, true) then account_sid = emu.account_sid() end
      local cl, err = twilio.new{ account_sid = account_sid, auth_token = c.password,
                                  base_url = emu.url(), retries = 0 }
      assert.is_nil(cl, "credentials with a newline were accepted")
      assert.is_true(twilio.is_error(err))
      assert.are.equal("invalid", err.kind, tostring(err))
      assert.are.equal(0, #requests(), "a request was sent")
      return
    end

    local opts = {}
    if plan.action == "get_page" then
      -- the library follows only its own host: the api.twilio.com URL is refused
      local l = vectors.target(plan, client)
      local page, err = l:get_page(plan.page_url)
      assert.is_nil(page, "get_page followed " .. plan.page_url)
      assert.are.equal("invalid", err and err.kind, tostring(err))
      assert.are.equal(0, #requests(), "a request was sent to another host")
      -- replayed rebased onto the emulator
      opts.page_url = emu.url() .. plan.page_url:gsub("^https?://[^/]+", "")
      local q = plan.page_url:match("%?(.*)$")
      plan.request.params = vectors.parse_form(q)
      plan.request.location = "query"
    end

    install(plan.responses)
    local out = vectors.invoke(plan, client, opts)
    local log = requests()
    local logtext = describe_log(log)

    if plan.refused then
      assert.is_nil(out.value, "expected a client-side refusal")
      assert.are.equal(plan.refused, out.err and out.err.kind, tostring(out.err))
      if plan.refused_field then assert.are.equal(plan.refused_field, out.err.field) end
      assert.are.equal(0, #log, "nothing may be sent; got:\n" .. logtext)
      return
    end

    if plan.request then check_request(plan.request, log[1]) end
    if ex.requests then assert.are.equal(ex.requests, #log, "requests sent:\n" .. logtext) end

    if ex.error then
      local err = out.err
      if plan.action == "each" then
        assert.is_true(out.raised == true, "each() did not raise")
      else
        assert.is_nil(out.value)
      end
      if plan.check == "error_parse" then check_error_parse(plan, err) else check_error(plan, err) end
      return
    end

    assert.is_nil(out.err, out.err and tostring(out.err))

    if plan.check == "next_page" then
      local page = out.value
      assert.is_not_nil(page)
      if not ex.next_refused then assert.is_nil(out.next_err, tostring(out.next_err)) end
      if ex.next_refused then
        assert.is_nil(out.next_page)
        assert.are.equal(ex.next_refused, out.next_err and out.next_err.kind, tostring(out.next_err))
      elseif ex.no_next then
        assert.is_nil(page.next_page_uri)
        assert.is_nil(out.next_page)
      else
        assert.is_not_nil(out.next_page, "page:next() returned no page")
        local second = log[2]
        assert.are.equal("GET", second.method)
        assert.are.equal(plan.next_path, second.path)
        assert.are.same(vectors.parse_form(plan.next_query), vectors.parse_form(second.query))
      end
      return
    end

    if ex.value ~= nil then
      assert.are.equal(ex.value, out.value)
      return
    end
    if ex.object then
      check_record(out.value, ex.object, plan.kind)
      return
    end
    if ex.items then
      local got = result_list(plan, out)
      if ex.max_items then
        assert.is_true(#got <= ex.max_items, "more than " .. ex.max_items .. " objects")
        local want = {}
        for i = 1, math.min(ex.max_items, #ex.items) do want[i] = ex.items[i] end
        check_items(got, want, plan.kind)
      else
        check_items(got, ex.items, plan.kind)
      end
    end
  end

  -- one `it` per vector ------------------------------------------------------------

  for _, v in ipairs(all) do
    local ok, plan = pcall(vectors.plan, v)
    if not ok then
      plan = { name = v.name, group = vectors.group_of(v), applicable = true, broken = plan }
    end
    local g = counts.groups[plan.group]
    if plan.applicable then
      counts.replayed = counts.replayed + 1
      g.replayed = g.replayed + 1
      if plan.differs then counts.differs[#counts.differs + 1] = v.name .. ": " .. plan.differs end
      it(v.name, function()
        assert(not plan.broken, plan.broken)
        run(plan)
        counts.passed = counts.passed + 1
        g.passed = g.passed + 1
      end)
    else
      counts.not_applicable = counts.not_applicable + 1
      g.na = g.na + 1
      counts.reasons[plan.reason] = (counts.reasons[plan.reason] or 0) + 1
      pending(v.name .. " -- not applicable: " .. plan.reason)
    end
  end

  it("accounts for every vector (replayed + not applicable == " .. vectors.TOTAL .. ")", function()
    local lines = { string.format("conformance: %d vectors: %d replayed (%d passed), %d not applicable",
      #all, counts.replayed, counts.passed, counts.not_applicable) }
    for _, gdef in ipairs(vectors.GROUPS) do
      local g = counts.groups[gdef.id]
      lines[#lines + 1] = string.format("  %-48s replayed %3d, passed %3d, not applicable %d",
        gdef.title, g.replayed, g.passed, g.na)
    end
    for reason, n in pairs(counts.reasons) do
      lines[#lines + 1] = string.format("  not applicable (%d): %s", n, reason)
    end
    io.stderr:write(table.concat(lines, "\n"), "\n")
    assert.are.equal(vectors.TOTAL, #all)
    assert.are.equal(vectors.TOTAL, counts.replayed + counts.not_applicable)
  end)
end)
