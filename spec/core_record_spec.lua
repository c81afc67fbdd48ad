-- core_record_spec.lua -- twilio.core records, pages and error bodies
-- (src/ltw_record.c, src/tw_json.c): the "Records and pages" contract of
-- docs/DESIGN.md, with canned bodies, then every example body of the
-- OpenAPI document and every response body of the peer vectors in ../shared.
local core = require "twilio.core"

local function number_body(over)
  local t = {
    '"sid":"PNaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"', '"phone_number":"+14155550100"',
    '"friendly_name":"caf\\u00e9 \\ud83d\\ude00 \\"q\\" \\/ \\\\ \\n"',
    '"beta":false', '"voice_caller_id_lookup":true',
    '"capabilities":{"voice":true,"sms":false,"mms":true,"fax":false}',
    '"sms_application_sid":""', '"trunk_sid":null', '"voice_url":"https://example.com/v"',
    '"n_int":42', '"n_neg":-7', '"n_float":1.5', '"n_exp":2e3', '"latitude":"19.720000"',
    '"configuration":[1,null,"x",{"deep":[true]}]', '"empty_obj":{}', '"empty_arr":[]',
  }
  if over then t[#t + 1] = over end
  return "{" .. table.concat(t, ",") .. "}"
end

local function page_body(key, items, next_uri)
  return '{"end":0,"' .. key .. '":[' .. table.concat(items, ",") .. '],'
    .. '"next_page_uri":' .. (next_uri and ('"' .. next_uri .. '"') or "null")
    .. ',"page":0,"page_size":50,"previous_page_uri":null,"start":0,"uri":"/x"}'
end

describe("core.parse_record", function()
  it("reads every field type", function()
    local n = assert(core.parse_record("PhoneNumber", number_body()))
    assert.equal("PNaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", n.sid)
    assert.equal("+14155550100", n.phone_number)
    assert.is_false(n.beta)
    assert.is_true(n.voice_caller_id_lookup)
    assert.is_true(n.capabilities.voice)
    assert.is_false(n.capabilities.sms)
    assert.equal(42, n.n_int)
    assert.equal(-7, n.n_neg)
    assert.equal(1.5, n.n_float)
    assert.equal(2000, n.n_exp)
    if math.type then
      assert.equal("integer", math.type(n.n_int))
      assert.equal("float", math.type(n.n_float))
    end
    assert.equal("19.720000", n.latitude)               -- strings stay strings
    assert.same({ 1, nil, "x", { deep = { true } } }, n.configuration)
    assert.same({}, n.empty_obj)
    assert.same({}, n.empty_arr)
  end)

  it("reads null, \"\", missing and non-string keys as nil", function()
    local n = assert(core.parse_record("PhoneNumber", number_body()))
    assert.is_nil(n.sms_application_sid)
    assert.is_nil(n.trunk_sid)
    assert.is_nil(n.no_such_field)
    assert.is_nil(n[1])
    assert.is_nil(n[true])
  end)

  it("unescapes strings to UTF-8", function()
    local n = assert(core.parse_record("PhoneNumber", number_body()))
    assert.equal("caf\195\169 \240\159\152\128 \"q\" / \\ \n", n.friendly_name)
    local r, err = core.parse_record("Country", '{"country":"\\u00"}')
    assert.is_nil(r)                                    -- "\u00" is not JSON
    assert.equal("decode", err.kind)
  end)

  it("replaces lone surrogates with U+FFFD", function()
    local r = assert(core.parse_record("Country", '{"country":"a\\ud800b\\udc00c","k\\u0065y":1}'))
    assert.equal("a\239\191\189b\239\191\189c", r.country)
    assert.equal(1, r.key)                              -- escaped keys match
  end)

  it("objects and arrays decode to fresh tables", function()
    local n = assert(core.parse_record("PhoneNumber", number_body()))
    local a, b = n.capabilities, n.capabilities
    assert.are_not.equal(a, b)
    a.voice = "changed"
    assert.is_true(n.capabilities.voice)
  end)

  it("fields are read-only and point to update", function()
    local n = assert(core.parse_record("PhoneNumber", number_body()))
    local ok, err = pcall(function() n.voice_url = "https://x" end)
    assert.is_false(ok)
    assert.matches("twilio.PhoneNumber: field 'voice_url' is read-only; use n:update{ voice_url = ... }",
      err, 1, true)
    local c = assert(core.parse_record("Country", '{"country_code":"US"}'))
    ok, err = pcall(function() c.country_code = "CA" end)
    assert.is_false(ok)
    assert.matches("twilio.Country: field 'country_code' is read-only", err, 1, true)
    assert.equal("US", c.country_code)
  end)

  it("uses one named metatable per kind", function()
    local bodies = { PhoneNumber = "twilio.PhoneNumber",
      AvailablePhoneNumber = "twilio.AvailablePhoneNumber", AssignedAddOn = "twilio.AssignedAddOn",
      Extension = "twilio.AddOnExtension", Country = "twilio.Country" }
    for kind, mt in pairs(bodies) do
      local r = assert(core.parse_record(kind, '{"sid":"X"}'))
      assert.equal(mt, getmetatable(r).__name)
      assert.equal(kind, core.record_kind(r))
    end
    assert.has_error(function() core.parse_record("Nope", "{}") end)
  end)

  it("tostring shows kind, sid and number only", function()
    local n = assert(core.parse_record("PhoneNumber", number_body()))
    assert.equal("twilio.PhoneNumber: PNaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa +14155550100", tostring(n))
    core.record_release(n)
    assert.equal("twilio.PhoneNumber: PNaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa +14155550100 (released)", tostring(n))
    local a = assert(core.parse_record("AvailablePhoneNumber", '{"phone_number":"+15005550006","friendly_name":"x"}'))
    assert.equal("twilio.AvailablePhoneNumber: +15005550006", tostring(a))
    local c = assert(core.parse_record("Country", '{"country_code":"GB","country":"United Kingdom"}'))
    assert.equal("twilio.Country: GB", tostring(c))
    local x = assert(core.parse_record("Extension", '{"sid":"XF1","unique_name":"secret-ish"}'))
    assert.equal("twilio.AddOnExtension: XF1", tostring(x))
  end)

  it("release marks the record but keeps its fields", function()
    local n = assert(core.parse_record("PhoneNumber", number_body()))
    assert.is_false(core.record_released(n))
    core.record_release(n)
    assert.is_true(core.record_released(n))
    assert.equal("+14155550100", n.phone_number)
  end)

  it("consults the kind's methods before fields", function()
    local methods = {
      describe = function(self) return "number " .. self.phone_number end,
      sid = function() return "method wins" end,
    }
    core.set_methods("AssignedAddOn", methods)
    finally(function() core.set_methods("AssignedAddOn", nil) end)
    local r = assert(core.parse_record("AssignedAddOn", '{"sid":"XE1","phone_number":"+1"}'))
    assert.equal("number +1", r:describe())
    assert.equal("method wins", r.sid())
    assert.equal("XE1", core.record_get(r, "sid"))       -- bypasses methods
    methods.later = function() return "added later" end -- the table is used live
    assert.equal("added later", r:later())
    local other = assert(core.parse_record("Country", '{"describe":"field"}'))
    assert.equal("field", other.describe)               -- other kinds unaffected
  end)

  it("keeps ctx in the uservalue", function()
    local ctx = { client = "c" }
    local n = assert(core.parse_record("PhoneNumber", number_body(), ctx))
    assert.equal(ctx, core.record_ctx(n))
    local m = assert(core.parse_record("PhoneNumber", number_body()))
    local shared = core.record_ctx(m)
    assert.same({}, shared)
    assert.equal(shared, core.record_ctx(assert(core.parse_record("Country", "{}"))))
    local ctx2 = {}
    core.record_set_ctx(m, ctx2)
    assert.equal(ctx2, core.record_ctx(m))
    core.record_set_ctx(m, nil)
    assert.equal(shared, core.record_ctx(m))
    assert.has_error(function() core.parse_record("PhoneNumber", "{}", "not a table") end)
  end)

  it("record_replace takes the other's data in place", function()
    local ctx = {}
    local n = assert(core.parse_record("PhoneNumber", '{"sid":"PN1","voice_url":"old"}', ctx))
    do
      local u = assert(core.parse_record("PhoneNumber", '{"sid":"PN1","voice_url":"new"}'))
      assert.equal(n, core.record_replace(n, u))
    end
    assert.equal("new", n.voice_url)
    assert.equal(ctx, core.record_ctx(n))
    collectgarbage(); collectgarbage()                  -- the other record is gone
    assert.equal("new", n.voice_url)
    assert.equal('{"sid":"PN1","voice_url":"new"}', core.record_json(n))
    local c = assert(core.parse_record("Country", "{}"))
    assert.has_error(function() core.record_replace(n, c) end)
    assert.has_error(function() core.record_replace(n, {}) end)
  end)

  it("record_detach gives a page's record a copy of its own: the page can go", function()
    local getuv = debug.getuservalue or debug.getfenv
    local ctx = { account_sid = "AC1" }
    local weak = setmetatable({}, { __mode = "v" })
    local rec, keep
    do
      local body = page_body("incoming_phone_numbers", {
        '{"sid":"PN1","voice_url":"a"}', '{"sid":"PN2","voice_url":"b","n":[1,{"x":true}]}' })
      local items = assert(core.parse_page("PhoneNumber", "incoming_phone_numbers", body, ctx))
      rec, keep = items[2], { items[1] }
      weak.box = getuv(rec)[3]                          -- the page's doc box
    end
    core.record_release(rec)
    assert.equal(rec, core.record_detach(rec))
    collectgarbage(); collectgarbage()
    assert.equal("PN1", keep[1].sid)
    assert.is_not_nil(weak.box)                          -- keep[1] still holds the page
    keep[1] = nil
    collectgarbage(); collectgarbage()
    assert.is_nil(weak.box)                              -- rec no longer does
    assert.equal("PN2", rec.sid)
    assert.equal("b", rec.voice_url)
    assert.is_true(rec.n[2].x)
    assert.equal('{"sid":"PN2","voice_url":"b","n":[1,{"x":true}]}', core.record_json(rec))
    assert.equal(ctx, core.record_ctx(rec))
    assert.is_true(core.record_released(rec))
    assert.equal("twilio.PhoneNumber", getmetatable(rec).__name)
    assert.equal(rec, core.record_detach(rec))           -- again: same content
    assert.equal("b", rec.voice_url)
    if _VERSION ~= "Lua 5.1" then                        -- __close: 5.4 only
      getmetatable(rec).__close(rec)
      assert.equal(rec, core.record_detach(rec))         -- closed stays closed
      assert.has_error(function() return rec.sid end)
    end
    assert.has_error(function() core.record_detach({}) end)
  end)

  it("record_totable decodes every field; record_json gives the object text", function()
    local n = assert(core.parse_record("PhoneNumber", number_body()))
    local t = core.record_totable(n)
    assert.equal("PNaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", t.sid)
    assert.is_nil(t.sms_application_sid)
    assert.is_nil(t.trunk_sid)
    assert.same({ voice = true, sms = false, mms = true, fax = false }, t.capabilities)
    assert.is_nil(getmetatable(t))
    assert.equal(number_body(), core.record_json(n))
    local p = assert(core.parse_page("PhoneNumber", "incoming_phone_numbers",
      page_body("incoming_phone_numbers", { '{"sid":"PN1"}', ' {"sid":"PN2"} ' })))
    assert.equal('{"sid":"PN2"}', core.record_json(p[2]))
  end)

  it("a page's records have no __gc; a single record's idempotent __gc (5.4) frees its own doc", function()
    local p = assert(core.parse_page("PhoneNumber", "incoming_phone_numbers",
      page_body("incoming_phone_numbers", { '{"sid":"PN1"}' })))
    assert.is_nil(rawget(getmetatable(p[1]), "__gc"))  -- the page's doc box owns the data
    local n = assert(core.parse_record("PhoneNumber", number_body()))
    local gc = rawget(getmetatable(n), "__gc")
    if _VERSION ~= "Lua 5.4" then                       -- LuaJIT: made as a page's record
      assert.is_nil(gc)
      return
    end
    assert.equal("function", type(gc))
    assert.equal("twilio.PhoneNumber", getmetatable(n).__name)
    gc(n); gc(n)                                        -- idempotent; then reads as closed
    assert.has_error(function() return n.sid end, "twilio.PhoneNumber: record is closed")
    assert.matches("(closed)", tostring(n), 1, true)
    gc(p[1])                                            -- any other record: nothing to free
    assert.equal("PN1", p[1].sid)
    assert.has_error(function() gc({}) end)             -- not a record
  end)

  it("__close (5.4) marks the record closed and later use raises", function()
    local n = assert(core.parse_record("PhoneNumber", number_body()))
    local mt = getmetatable(n)
    local close = rawget(mt, "__close")
    if _VERSION ~= "Lua 5.4" then
      assert.is_nil(close)
      return
    end
    close(n); close(n)                                  -- idempotent
    assert.has_error(function() return n.sid end, "twilio.PhoneNumber: record is closed")
    assert.has_error(function() core.record_totable(n) end)
    assert.has_error(function() core.record_json(n) end)
    assert.matches("(closed)", tostring(n), 1, true)
    assert.has_error(function() close({}) end)          -- not a record
    -- a <close> variable closes at the end of its block
    local f = assert(load([[
      local core, body, out = ...
      do
        local r <close> = assert(core.parse_record("PhoneNumber", body))
        out.r = r
        out.sid = r.sid
      end
    ]]))
    local out = {}
    f(core, number_body(), out)
    assert.equal("PNaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", out.sid)
    assert.has_error(function() return out.r.sid end)
  end)

  it("rejects bodies that are not one JSON object", function()
    for _, body in ipairs { "", "   ", "[]", '"s"', "{", '{"a":1,}', "<html></html>", "{}x" } do
      local r, err = core.parse_record("PhoneNumber", body)
      assert.is_nil(r)
      assert.is_true(core.is_error(err))
      assert.equal("decode", err.kind)
      assert.is_string(err.message)
    end
    local _, err = core.parse_record("PhoneNumber", '{"a": [1, 2,]}')
    assert.equal("response is not valid JSON at byte 13", err.message)
  end)
end)

describe("core.parse_page", function()
  local key = "incoming_phone_numbers"

  it("returns records and next_page_uri", function()
    local items, nxt, err = core.parse_page("PhoneNumber", key,
      page_body(key, { number_body(), '{"sid":"PN2","phone_number":"+2"}' },
        "/2010-04-01/x.json?Page=1&PageToken=PA\\u0041"))
    assert.is_nil(err)
    assert.equal(2, #items)
    assert.equal("+14155550100", items[1].phone_number)
    assert.equal("PN2", items[2].sid)
    assert.equal("/2010-04-01/x.json?Page=1&PageToken=PAA", nxt)
    assert.equal("twilio.PhoneNumber", getmetatable(items[2]).__name)
  end)

  it("gives nil for a null, missing or empty next_page_uri", function()
    local _, nxt = core.parse_page("PhoneNumber", key, page_body(key, {}))
    assert.is_nil(nxt)
    _, nxt = core.parse_page("PhoneNumber", key, '{"' .. key .. '":[],"next_page_uri":""}')
    assert.is_nil(nxt)
    local items
    items, nxt = core.parse_page("PhoneNumber", key, '{"' .. key .. '":[{}]}')
    assert.equal(1, #items)
    assert.is_nil(nxt)
  end)

  it("refuses a next_page_uri that is not a string: a broken envelope is not the last page", function()
    for _, v in ipairs{ "7", "true", '{"a":1}', '["/x"]' } do
      local items, nxt, err = core.parse_page("PhoneNumber", key, '{"' .. key .. '":[],"next_page_uri":' .. v .. '}')
      assert.is_nil(items)
      assert.is_nil(nxt)
      assert.equal("decode", err.kind)
      assert.matches("next_page_uri", err.message)
    end
  end)

  it("passes ctx to every record", function()
    local ctx = {}
    local items = core.parse_page("PhoneNumber", key, page_body(key, { "{}", "{}" }), ctx)
    assert.equal(ctx, core.record_ctx(items[1]))
    assert.equal(ctx, core.record_ctx(items[2]))
  end)

  it("records outlive their page", function()
    local keep, weak
    do
      local items = core.parse_page("PhoneNumber", key,
        page_body(key, { number_body(), '{"sid":"PN2","capabilities":{"sms":true}}' }))
      keep = items[2]
      weak = setmetatable({ items }, { __mode = "v" })
    end
    collectgarbage(); collectgarbage()
    assert.is_nil(weak[1])                               -- the page table is gone
    assert.equal("PN2", keep.sid)
    assert.is_true(keep.capabilities.sms)
    assert.equal('{"sid":"PN2","capabilities":{"sms":true}}', core.record_json(keep))
  end)

  -- a body built at run time: a fresh string the GC can free, like the transport's
  local function fresh_page(items, tag)
    return page_body(key, items) .. string.rep(" ", tag or 1)
  end

  it("records stay readable after the body string and the items array are dropped", function()
    local a, b, weak
    do
      local body = fresh_page({ number_body(), '{"sid":"PN2","phone_number":"+2"}', '{"sid":"PN3"}' })
      local items = assert(core.parse_page("PhoneNumber", key, body))
      a, b = items[1], items[3]
      weak = setmetatable({ items = items, body = body }, { __mode = "v" })
    end
    collectgarbage(); collectgarbage()
    assert.is_nil(weak.items)
    -- churn: other pages come and go, so freed memory is reused
    for i = 1, 20 do
      local its = core.parse_page("PhoneNumber", key, fresh_page({ '{"sid":"PNX","phone_number":"+9"}' }, i))
      assert.equal("PNX", its[1].sid)
    end
    collectgarbage(); collectgarbage()
    assert.equal("+14155550100", a.phone_number)
    assert.equal("caf\195\169 \240\159\152\128 \"q\" / \\ \n", a.friendly_name)
    assert.equal("PN3", b.sid)
    assert.equal('{"sid":"PN3"}', core.record_json(b))
    assert.equal("twilio.PhoneNumber: PN3", tostring(b))
    assert.same({ voice = true, sms = false, mms = true, fax = false }, a.capabilities)
  end)

  it("record_set_ctx and record_replace change one record, not the rest of its page", function()
    local ctx, ctx2 = {}, {}
    local items = assert(core.parse_page("PhoneNumber", key,
      fresh_page({ '{"sid":"PN1","voice_url":"a"}', '{"sid":"PN2","voice_url":"b"}',
        '{"sid":"PN3","voice_url":"c"}' }), ctx))
    core.record_set_ctx(items[1], ctx2)
    assert.equal(ctx2, core.record_ctx(items[1]))
    assert.equal(ctx, core.record_ctx(items[2]))
    assert.equal(ctx, core.record_ctx(items[3]))
    do
      local u = assert(core.parse_record("PhoneNumber", '{"sid":"PN2","voice_url":"new"}' .. string.rep(" ", 3)))
      core.record_replace(items[2], u)
    end
    collectgarbage(); collectgarbage()                  -- the other record and its body are gone
    assert.equal("new", items[2].voice_url)
    assert.equal(ctx, core.record_ctx(items[2]))       -- replace keeps the record's ctx
    assert.equal("a", items[1].voice_url)
    assert.equal("c", items[3].voice_url)
    assert.equal('{"sid":"PN3","voice_url":"c"}', core.record_json(items[3]))
    assert.equal(ctx, core.record_ctx(items[3]))
    -- the replaced record no longer needs its old page; the others still do
    local kept1, kept3 = items[1], items[3]
    local replaced = items[2]
    items = nil -- luacheck: ignore (drops the page)
    collectgarbage(); collectgarbage()
    assert.equal("a", kept1.voice_url)
    assert.equal("c", kept3.voice_url)
    assert.equal("new", replaced.voice_url)
    if _VERSION == "Lua 5.4" then                       -- closing one leaves the others open
      getmetatable(kept1).__close(kept1)
      assert.has_error(function() return kept1.sid end)
      assert.equal("PN3", kept3.sid)
    end
  end)

  it("records of different pages are independent", function()
    local p1 = assert(core.parse_page("PhoneNumber", key, fresh_page({ '{"sid":"PA1"}', '{"sid":"PA2"}' }, 1)))
    local p2 = assert(core.parse_page("PhoneNumber", key, fresh_page({ '{"sid":"PB1"}', '{"sid":"PB2"}' }, 2)))
    local a2 = p1[2]
    core.record_replace(p1[1], p2[2])                   -- across pages
    if _VERSION == "Lua 5.4" then
      getmetatable(p2[1]).__close(p2[1])
      assert.equal("PA2", a2.sid)                       -- another page's records stay open
      assert.equal("PB2", p2[2].sid)
    end
    local a1 = p1[1]
    p1, p2 = nil, nil -- luacheck: ignore (drops both pages)
    collectgarbage(); collectgarbage()                  -- page 2's array and other records are gone
    assert.equal("PB2", a1.sid)
    assert.equal('{"sid":"PB2"}', core.record_json(a1))
    assert.equal("PA2", a2.sid)
    a1 = nil -- luacheck: ignore (drops the replaced record)
    collectgarbage(); collectgarbage()
    assert.equal("PA2", a2.sid)
  end)

  if _VERSION == "Lua 5.4" then
    it("a record resurrected by another finalizer after its page's box reads as closed", function()
      local seen = {}
      -- marked for finalization before the page: finalized after its box
      local holder = setmetatable({}, { __gc = function(o)
        seen.ok, seen.err = pcall(function() return o.rec.sid end)
      end })
      holder.rec = assert(core.parse_page("PhoneNumber", key, fresh_page({ '{"sid":"PN1"}' })))[1]
      holder = nil -- luacheck: ignore (drops the holder)
      collectgarbage(); collectgarbage(); collectgarbage()
      assert.is_false(seen.ok)
      assert.matches("record is closed", seen.err, 1, true)
    end)
  end

  it("reports every malformed shape as a decode error", function()
    local cases = {
      { "", "response body is empty" },
      { "not json", "response is not valid JSON at byte 2" },
      { "<html>", "response is not valid JSON at byte 1" },
      { '{"' .. key .. '":[{}', "truncated" },
      { "[]", "page is not a JSON object" },
      { "{}", "page has no 'incoming_phone_numbers' array" },
      { '{"' .. key .. '":{}}', "page has no 'incoming_phone_numbers' array" },
      { '{"' .. key .. '":null}', "page has no 'incoming_phone_numbers' array" },
      { '{"' .. key .. '":[{},1]}', "item 2 of 'incoming_phone_numbers' is not an object" },
      { '{"' .. key .. '":["PN1"]}', "item 1 of 'incoming_phone_numbers' is not an object" },
      { '{"' .. key .. '":[{}],}', "not valid JSON" },
    }
    for _, c in ipairs(cases) do
      local n = select("#", core.parse_page("PhoneNumber", key, c[1]))
      local items, nxt, err = core.parse_page("PhoneNumber", key, c[1])
      assert.equal(3, n)
      assert.is_nil(items)
      assert.is_nil(nxt)
      assert.equal("decode", err.kind)
      assert.matches(c[2], err.message, 1, true)
    end
  end)

  it("handles a large page", function()
    local its = {}
    for i = 1, 3000 do
      its[i] = ('{"sid":"PN%032d","phone_number":"+1415%07d","n":%d}'):format(i, i, i)
    end
    local items, _, err = core.parse_page("PhoneNumber", key, page_body(key, its))
    assert.is_nil(err)
    assert.equal(3000, #items)
    for i = 1, 3000, 97 do
      assert.equal(("+1415%07d"):format(i), items[i].phone_number)
      assert.equal(i, items[i].n)
    end
  end)
end)

describe("core.parse_error", function()
  it("reads a Twilio error body", function()
    local e = core.parse_error(404, '{"code":20404,"message":"The requested resource /x was not found",'
      .. '"more_info":"https://www.twilio.com/docs/errors/20404","status":404}', "application/json")
    assert.is_true(core.is_error(e))
    assert.equal("api", e.kind)
    assert.equal(404, e.status)
    assert.equal(20404, e.code)
    assert.equal("The requested resource /x was not found", e.message)
    assert.equal("https://www.twilio.com/docs/errors/20404", e.more_info)
  end)

  it("keeps details and the HTTP status over the body's", function()
    local e = core.parse_error(400, '{"status":418,"message":"Bad request","code":20001,'
      .. '"more_info":"https://www.twilio.com/docs/errors/20001","details":{"foo":"bar"}}')
    assert.equal(400, e.status)
    assert.same({ foo = "bar" }, e.details)
  end)

  it("reads RFC 9457 problem details", function()
    local e = core.parse_error(422, '{"type":"https://www.twilio.com/docs/api/errors/20001",'
      .. '"title":"Validation failed","status":422,"code":20001,"detail":"Request validation failed",'
      .. '"instance":"/api/v1/x","errors":[{"detail":"must be a positive integer","pointer":"#/age"}]}',
      "application/problem+json")
    assert.equal(422, e.status)
    assert.equal(20001, e.code)
    assert.equal("Request validation failed", e.message)
    assert.equal("https://www.twilio.com/docs/api/errors/20001", e.more_info)
    assert.equal("/api/v1/x", e.instance)
    assert.equal("#/age", e.details[1].pointer)
    e = core.parse_error(400, '{"type":"about:blank","title":"Invalid parameter"}')
    assert.equal("Invalid parameter", e.message)
    assert.is_nil(e.more_info)
    assert.equal(400, e.code)
  end)

  it("falls back to the HTTP status for bodies without a usable object", function()
    local e = core.parse_error(500, "")
    assert.equal(500, e.status)
    assert.equal(500, e.code)
    assert.equal("api", e.kind)
    assert.equal("HTTP 500 (empty body)", e.message)
    e = core.parse_error(500, "{}")
    assert.equal(500, e.code)
    assert.matches("HTTP 500", e.message, 1, true)
    e = core.parse_error(502, "<html>\r\n<head><title>502 Bad Gateway</title></head>\r\n<body>"
      .. string.rep("x", 500) .. "</body></html>", "text/html")
    assert.equal(502, e.code)
    assert.matches("^HTTP 502 %(non%-JSON body: text/html%): <html> <head><title>502 Bad Gateway", e.message)
    assert.is_true(#e.message < 200)
    e = core.parse_error(500, "This is not JSON")
    assert.equal("HTTP 500 (non-JSON body): This is not JSON", e.message)
    e = core.parse_error(400, '{\n\t"status": 400,\n\t"code":20001,\n\t"message":"Bad request",\n}',
      "application/json")
    assert.equal(400, e.status)
    assert.equal(400, e.code)
    assert.matches("HTTP 400 (invalid JSON body at byte", e.message, 1, true)
    e = core.parse_error(503, "\1\2\255 binary", "application/octet-stream")
    assert.equal("HTTP 503 (non-JSON body: application/octet-stream): ??? binary", e.message)
    e = core.parse_error(404, '"just a string"')
    assert.matches("HTTP 404", e.message, 1, true)
    e = core.parse_error(404, '{"message":"Resource not found"}')
    assert.equal(404, e.code)
    assert.equal("Resource not found", e.message)
    e = core.parse_error(400, '{"message":"Invalid phone number","code":"21211"}')
    assert.equal(21211, e.code)
  end)
end)

-- Bodies from ../shared: every example of the OpenAPI document for our
-- resources, and every response body of the peer vectors.
describe("bodies from ../shared", function()
  local shared = require "helpers.shared"
  local ok_json, json = pcall(require, "dkjson")
  -- inside a test: the shared directory holding `file`, or the test is pending
  local function need(file)
    if not ok_json then pending("dkjson is not installed") end
    return shared.need(pending, file, "shared bodies")
  end

  local items_keys = {
    incoming_phone_numbers = "PhoneNumber", assigned_add_ons = "AssignedAddOn",
    extensions = "Extension", available_phone_numbers = "AvailablePhoneNumber",
    countries = "Country",
  }
  local function kind_of_path(path)
    if path:find("/Extensions") then return "Extension" end
    if path:find("/AssignedAddOns") then return "AssignedAddOn" end
    if path:find("/IncomingPhoneNumbers") then return "PhoneNumber" end
    if path:find("/AvailablePhoneNumbers/[^/]+/") then return "AvailablePhoneNumber" end
    if path:find("/AvailablePhoneNumbers") then return "Country" end
  end

  -- The value a field must read as: null and "" -> nil, nested null -> absent.
  local function expected(v, top)
    if v == json.null then return nil end
    if top and v == "" then return nil end
    if type(v) == "table" then
      local t = {}
      for k, x in pairs(v) do t[k] = expected(x, false) end
      return t
    end
    return v
  end

  local function check_record(rec, obj, where)
    for k, v in pairs(obj) do
      local want, got = expected(v, true), core.record_get(rec, k)
      assert.same(want, got, where .. ": field " .. k)
      if type(want) ~= "table" then assert.equal(want, rec[k], where .. ": rec." .. k) end
    end
    local t = core.record_totable(rec)
    for k in pairs(t) do assert.is_not_nil(obj[k], where .. ": extra key " .. k) end
    assert.is_truthy(tostring(rec):find("^twilio%."))
  end

  local function check_body(kind_hint, obj, where)
    local text = json.encode(obj)
    for key, kind in pairs(items_keys) do
      if type(obj[key]) == "table" then
        local items, nxt, err = core.parse_page(kind, key, text)
        assert.is_nil(err, where)
        assert.equal(#obj[key], #items, where)
        for i, it in ipairs(obj[key]) do check_record(items[i], it, where .. "[" .. i .. "]") end
        local want = obj.next_page_uri
        if want == json.null or want == "" then want = nil end
        assert.equal(want, nxt, where .. ": next_page_uri")
        return 1
      end
    end
    local rec, err = core.parse_record(kind_hint or "PhoneNumber", text)
    assert.is_nil(err, where)
    check_record(rec, obj, where)
    return 1
  end

  it("loads every example body of the OpenAPI document", function()
    local dir = need("twilio-oai/twilio_api_v2010.json")
    local f = assert(io.open(dir .. "/twilio-oai/twilio_api_v2010.json", "rb"))
    local doc = json.decode(f:read("*a"), 1, json.null)
    f:close()
    local n = 0
    for path, item in pairs(doc.paths) do
      local kind = kind_of_path(path)
      if kind and (path:find("IncomingPhoneNumbers") or path:find("AvailablePhoneNumbers")) then
        for method, op in pairs(item) do
          if type(op) == "table" and type(op.responses) == "table" then
            for status, resp in pairs(op.responses) do
              local c = type(resp.content) == "table" and resp.content["application/json"]
              if type(c) == "table" and type(c.examples) == "table" then
                for name, ex in pairs(c.examples) do
                  if type(ex.value) == "table" then
                    n = n + check_body(kind, ex.value, path .. " " .. method .. " " .. status .. " " .. name)
                  end
                end
              end
            end
          end
        end
      end
    end
    assert.is_true(n >= 30, "examples found: " .. n)
  end)

  it("loads every response body of the peer vectors", function()
    local dir = need("conformance/peer-vectors.json")
    local f = assert(io.open(dir .. "/conformance/peer-vectors.json", "rb"))
    local vs = json.decode(f:read("*a"), 1, json.null)
    f:close()
    local n = 0
    for _, v in ipairs(vs) do
      local r = v.response
      if type(r) == "table" and r.status then
        local bodies = { r.body }
        for _, s in ipairs(type(r.sequence) == "table" and r.sequence or {}) do
          if type(s.response) == "table" then bodies[#bodies + 1] = s.response.body end
        end
        for _, s in ipairs(type(r.additional_mocks) == "table" and r.additional_mocks or {}) do
          if type(s) == "table" and type(s.response) == "table" then bodies[#bodies + 1] = s.response.body
          elseif type(s) == "table" then bodies[#bodies + 1] = s.body end
        end
        for _, body in ipairs(bodies) do
          local text = type(body) == "table" and json.encode(body) or (type(body) == "string" and body or "")
          if r.status >= 400 then
            local e = core.parse_error(r.status, text, "application/json")
            assert.equal(r.status, e.status, v.name)
            assert.is_not_nil(e.code, v.name)
            assert.is_string(e.message, v.name)
            n = n + 1
          elseif type(body) == "table" and next(body) ~= nil then
            local kind = kind_of_path(v.request and v.request.url or "") or "PhoneNumber"
            n = n + check_body(kind, body, v.name)
          end
        end
      end
    end
    assert.is_true(n >= 150, "bodies checked: " .. n)
  end)
end)
