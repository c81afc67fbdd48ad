-- twilio.core utilities: rfc2822_to_epoch, retry_after, csv_parse, csv_write.
-- (The C tests in tests/c/test_time.c and test_csv.c cover the grammar in
-- depth; this checks the Lua binding on both VMs.)
local core = require "twilio.core"

local NOW = 1438298344   -- Thu, 30 Jul 2015 23:19:04 GMT

describe("core.rfc2822_to_epoch", function()
  it("parses Twilio's dates", function()
    assert.equal(NOW, core.rfc2822_to_epoch("Thu, 30 Jul 2015 23:19:04 +0000"))
    assert.equal(NOW, core.rfc2822_to_epoch("Fri, 31 Jul 2015 01:19:04 +0200"))
    assert.equal(NOW, core.rfc2822_to_epoch("30 Jul 2015 18:19:04 EST"))
    assert.equal(0, core.rfc2822_to_epoch("Thu, 01 Jan 1970 00:00:00 GMT"))
    assert.equal(2147483648, core.rfc2822_to_epoch("Tue, 19 Jan 2038 03:14:08 +0000"))
    assert.equal(253402300799, core.rfc2822_to_epoch("Fri, 31 Dec 9999 23:59:59 +0000"))
  end)

  it("returns an integer", function()
    local v = core.rfc2822_to_epoch("Thu, 30 Jul 2015 23:19:04 +0000")
    if math.type then assert.equal("integer", math.type(v)) end
    assert.equal(v, math.floor(v))
  end)

  it("returns nil for anything else", function()
    assert.is_nil(core.rfc2822_to_epoch(""))
    assert.is_nil(core.rfc2822_to_epoch("2015-07-30T23:19:04Z"))
    assert.is_nil(core.rfc2822_to_epoch("Fri, 30 Jul 2015 23:19:04 +0000"))   -- wrong weekday
    assert.is_nil(core.rfc2822_to_epoch("Wed, 29 Feb 2023 00:00:00 +0000"))
    assert.is_nil(core.rfc2822_to_epoch("Thu, 30 Jul 2015 23:19:04 +0000\0"))
  end)

  it("raises for a non-string", function()
    assert.has_error(function() core.rfc2822_to_epoch({}) end)
  end)
end)

describe("core.retry_after", function()
  it("reads delta-seconds", function()
    assert.equal(0, core.retry_after("0", NOW))
    assert.equal(120, core.retry_after(" 120 ", NOW))
    assert.equal(120, core.retry_after("120"))
    assert.equal(5, core.retry_after(5))
    assert.equal(2147483648, core.retry_after("99999999999999999999", NOW))
  end)

  it("reads HTTP-dates relative to now", function()
    assert.equal(60, core.retry_after("Thu, 30 Jul 2015 23:20:04 GMT", NOW))
    assert.equal(0, core.retry_after("Thu, 30 Jul 2015 23:00:00 GMT", NOW))
    assert.equal(30, core.retry_after("Thursday, 30-Jul-15 23:19:34 GMT", NOW))
    assert.equal(10, core.retry_after("Thu Jul 30 23:19:14 2015", NOW))
  end)

  it("uses the clock when now is not given", function()
    local v = core.retry_after("Fri, 31 Dec 9999 23:59:59 GMT")
    assert.is_true(v > 0)
  end)

  it("returns nil for anything else", function()
    assert.is_nil(core.retry_after("", NOW))
    assert.is_nil(core.retry_after("-5", NOW))
    assert.is_nil(core.retry_after("1.5", NOW))
    assert.is_nil(core.retry_after("soon", NOW))
    assert.is_nil(core.retry_after(-1, NOW))
    assert.is_nil(core.retry_after(0.5, NOW))
  end)
end)

describe("core.csv_parse", function()
  it("parses records, quotes, doubled quotes and embedded newlines", function()
    local rows = assert(core.csv_parse('sid,name\r\nPN1,"Desk, ""main"""\r\nPN2,"two\nlines"\r\n'))
    assert.same({ { "sid", "name" }, { "PN1", 'Desk, "main"' }, { "PN2", "two\nlines" } }, rows)
  end)

  it("accepts LF, a BOM, no final newline, and skips empty lines", function()
    assert.same({ { "a", "b" }, { "1", "2" } }, core.csv_parse("\239\187\191a,b\n\n1,2"))
  end)

  it("keeps empty fields and NUL bytes", function()
    assert.same({ { "", "x\0y", "" } }, core.csv_parse(",x\0y,"))
  end)

  it("returns an empty table for empty input", function()
    assert.same({}, core.csv_parse(""))
  end)

  it("reports malformed input with a line number", function()
    local rows, err = core.csv_parse('a,b\n1,"open\n')
    assert.is_nil(rows)
    assert.equal("decode", err.kind)
    assert.equal(2, err.line)
    assert.matches("line 2: unterminated quoted field", err.message)
    assert.is_true(core.is_error(err))

    rows, err = core.csv_parse('a,b"c\n')
    assert.is_nil(rows)
    assert.matches("line 1: quote inside an unquoted field", err.message)
  end)

  it("reports ragged rows unless allowed", function()
    local rows, err = core.csv_parse("a,b\n1,2\n3\n")
    assert.is_nil(rows)
    assert.equal("decode", err.kind)
    assert.equal("line 3: ragged record: 1 fields, expected 2", err.message)
    assert.same({ { "a", "b" }, { "1", "2" }, { "3" } },
                core.csv_parse("a,b\n1,2\n3\n", { allow_ragged = true }))
  end)

  it("raises for a non-string", function()
    assert.has_error(function() core.csv_parse(nil) end)
  end)
end)

describe("core.csv_write", function()
  it("quotes only when needed, with CRLF line ends", function()
    local text = core.csv_write{
      { "sid", "friendly_name", "note" },
      { "PN1", "Desk, main", 'say "hi"' },
      { "PN2", " padded ", "two\nlines" },
      { 1, 2.5, "" },
    }
    assert.equal('sid,friendly_name,note\r\n' ..
                 'PN1,"Desk, main","say ""hi"""\r\n' ..
                 'PN2," padded ","two\nlines"\r\n' ..
                 '1,2.5,\r\n', text)
  end)

  it("round-trips through csv_parse", function()
    local rows = {
      { "a", "b,c", 'd"e', "f\r\ng" },
      { "", "", "", "" },
      { " x", "y ", "\t", "\0" },
    }
    assert.same(rows, core.csv_parse(core.csv_write(rows)))
    assert.same({ { "" } }, core.csv_parse(core.csv_write{ { "" } }))
  end)

  it("writes nothing for no rows", function()
    assert.equal("", core.csv_write{})
  end)

  it("raises for fields that are not strings or numbers", function()
    assert.has_error(function() core.csv_write{ { true } } end)
    assert.has_error(function() core.csv_write{ "row" } end)
    assert.has_error(function() core.csv_write("x") end)
  end)
end)
