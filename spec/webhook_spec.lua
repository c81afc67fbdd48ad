-- twilio.webhook: X-Twilio-Signature validation (issue 14).
-- 1. every case of ../shared/conformance/webhook-vectors.json (the official
--    libraries' vectors), read at run time (pending when ../shared is absent);
-- 2. our own cases, which need nothing outside the clone: rotation, port
--    policy, JSON bodies, shared keys (HMAC-SHA256), error reasons, and
--    signatures checked against the openssl command as an independent oracle.
local webhook = require "twilio.webhook"
local json = require "dkjson"

local shared = require "helpers.shared"
local FILE = "conformance/webhook-vectors.json"
local CASES = 22   -- the issue's count; with the file present a spec checks it

describe("webhook-vectors.json (../shared)", function()
  local dir = shared.dir(FILE)
  if not dir then
    -- one skip per test the file would have given: the count, each case, the reasons
    for i = 1, CASES + 2 do
      it("webhook vector " .. i, function() pending(shared.reason(FILE, "webhook vectors")) end)
    end
    return
  end
  local f = assert(io.open(dir .. "/" .. FILE, "rb"))
  local doc = assert(json.decode(f:read("a")))
  f:close()

  it("has the 22 cases the issue names", function()
    assert.equal(CASES, #doc.cases)
  end)

  for _, c in ipairs(doc.cases) do
    it(c.id .. " is " .. (c.valid and "valid" or "refused"), function()
      local ok, err = webhook.validate{ token = c.auth_token, url = c.received_url, params = c.params,
                                        body = c.body, signature = c.signature }
      if c.valid then
        assert.is_true(ok, tostring(err))
      else
        assert.is_nil(ok)
        assert.equal("signature", err.kind)
        assert.truthy(err.reason)
        assert.falsy(tostring(err):find(c.auth_token, 1, true), "the token leaked into the error")
      end
    end)
  end

  it("says why each refused case failed", function()
    local want = { ["json-body-tampered"] = "body_hash_mismatch", ["empty-signature"] = "no_signature",
                   ["tampered-param"] = "bad_signature", ["wrong-token"] = "bad_signature",
                   ["sort-by-key-wrong"] = "bad_signature", ["other-path"] = "bad_signature" }
    for _, c in ipairs(doc.cases) do
      if not c.valid then
        local _, err = webhook.validate{ token = c.auth_token, url = c.received_url, params = c.params,
                                         body = c.body, signature = c.signature }
        assert.equal(want[c.id], err.reason, c.id)
      end
    end
  end)
end)

-- An independent HMAC: the openssl command (same library, separate code path
-- and a separate signed string built here in Lua).
local function openssl_sig(key, data, alg)
  local tmp = os.tmpname()
  local fh = assert(io.open(tmp, "wb"))
  fh:write(data)
  fh:close()
  local p = assert(io.popen(("openssl dgst -%s -hmac '%s' -binary < '%s' | base64"):format(alg or "sha1", key, tmp)))
  local out = p:read("*l")
  p:close()
  os.remove(tmp)
  return out
end

local function has_openssl()
  local r = os.execute("command -v openssl >/dev/null 2>&1")
  return r == true or r == 0
end

describe("twilio.webhook (own cases)", function()
  local URL = "https://hooks.example.test/voice?site=a%27b&x=1"
  local P = { { "To", "+14155550100" }, { "From", "+14155550199" }, { "Digits", "9" }, { "Digits", "1" },
              { "Digits", "9" }, { "Body", "Grüße & <tags>" }, { "Empty", "" } }

  it("builds the signed string: URL, keys sorted, each unique value sorted", function()
    assert.equal(URL .. "BodyGrüße & <tags>Digits1Digits9EmptyFrom+14155550199To+14155550100",
                 webhook.signed_string(URL, P))
    -- the map form with repeated values as a list gives the same string
    local map = { To = "+14155550100", From = "+14155550199", Digits = { "9", "1", "9" },
                  Body = "Grüße & <tags>", Empty = "" }
    assert.equal(webhook.signed_string(URL, P), webhook.signed_string(URL, map))
    assert.same(map, webhook.to_map(P))
    assert.equal(URL .. "N42", webhook.signed_string(URL, { N = 42 }))
  end)

  it("signs as the openssl command does (HMAC-SHA1 and HMAC-SHA256, base64)", function()
    if not has_openssl() then pending("openssl command not installed") return end
    local data = webhook.signed_string(URL, P)
    assert.equal(openssl_sig("tok-1", data, "sha1"), webhook.sign{ token = "tok-1", url = URL, params = P })
    assert.equal(openssl_sig("tok-1", data, "sha256"),
                 webhook.sign{ token = "tok-1", url = URL, params = P, algorithm = "sha256" })
  end)

  it("accepts any of several tokens (rotation, secondary token, subaccounts) and says which", function()
    local sig = webhook.sign{ token = "new-token", url = URL, params = P }
    local ok, info = webhook.validate{ tokens = { "old-token", "new-token" }, url = URL, params = P, signature = sig }
    assert.is_true(ok)
    assert.same({ key = 2, variant = "received", algorithm = "sha1" }, info)
    local bad, err = webhook.validate{ tokens = { "old-token", "other" }, url = URL, params = P, signature = sig }
    assert.is_nil(bad)
    assert.equal("bad_signature", err.reason)
    assert.matches("2 keys", err.message)
    for _, secret in ipairs{ "old-token", "other", "new-token" } do
      assert.falsy(tostring(err):find(secret, 1, true))
    end
  end)

  it("refuses a tampered, missing or repeated parameter", function()
    local sig = webhook.sign{ token = "t", url = URL, params = P }
    local changed = { { "To", "+14155550101" } }
    for i = 2, #P do changed[i] = P[i] end
    assert.is_nil((webhook.validate{ token = "t", url = URL, params = changed, signature = sig }))
    local fewer = { P[1], P[2], P[3] }
    assert.is_nil((webhook.validate{ token = "t", url = URL, params = fewer, signature = sig }))
    local more = { { "Extra", "1" } }
    for i, kv in ipairs(P) do more[i + 1] = kv end
    assert.is_nil((webhook.validate{ token = "t", url = URL, params = more, signature = sig }))
    -- a value repeated again changes nothing (unique values), a new value does
    local again = { { "Digits", "1" } }
    for i, kv in ipairs(P) do again[i + 1] = kv end
    assert.is_true((webhook.validate{ token = "t", url = URL, params = again, signature = sig }))
  end)

  it("says no_signature for an absent or empty header, and refuses a repeated header", function()
    for _, s in ipairs{ false, "" } do
      local ok, err = webhook.validate{ token = "t", url = URL, params = P, signature = s or nil }
      assert.is_nil(ok)
      assert.equal("no_signature", err.reason)
      assert.matches("X%-Twilio%-Signature", tostring(err))
    end
    local _, err = webhook.validate{ token = "t", url = URL, signature = { "a", "b" } }
    assert.equal("bad_signature", err.reason)
  end)

  it("tries the port variant unless port_variants = false, and says which it tried", function()
    local sig = webhook.sign{ token = "t", url = "https://h.test:443/v", params = P }
    local ok, info = webhook.validate{ token = "t", url = "https://h.test/v", params = P, signature = sig }
    assert.is_true(ok)
    assert.equal("port_added", info.variant)
    local no, err = webhook.validate{ token = "t", url = "https://h.test/v", params = P, signature = sig,
                                      port_variants = false }
    assert.is_nil(no)
    assert.matches("as received, port variants off", err.message, 1, true)
    sig = webhook.sign{ token = "t", url = "http://127.0.0.1/v", params = P }
    ok, info = webhook.validate{ token = "t", url = "http://127.0.0.1:8080/v", params = P, signature = sig }
    assert.is_true(ok)
    assert.equal("port_stripped", info.variant)
    local _, e2 = webhook.validate{ token = "x", url = "http://127.0.0.1:8080/v", params = P, signature = sig }
    assert.matches("as received and with the port stripped", e2.message, 1, true)
  end)

  it("never shows the password of a URL's userinfo", function()
    local url = "https://alice:s3cret-pw@h.test/v"
    local _, err = webhook.validate{ token = "t", url = url, params = P, signature = "AAAA" }
    assert.falsy(tostring(err):find("s3cret-pw", 1, true))
    assert.matches("alice:***@h.test", err.message, 1, true)
  end)

  it("checks a JSON body against bodySHA256 (signature over the URL, no params)", function()
    local body = '{"CallSid":"CA1","Status":"ringing"}'
    local url = webhook.with_body_hash("https://h.test/json?x=1", body)
    assert.matches("^https://h%.test/json%?x=1&bodySHA256=%x+$", url)
    local sig = webhook.sign{ token = "t", url = url }
    assert.is_true((webhook.validate{ token = "t", url = url, body = body, signature = sig }))
    -- form params given by a framework next to a JSON body are ignored, as Twilio signs none
    assert.is_true((webhook.validate{ token = "t", url = url, body = body, params = { a = "b" }, signature = sig }))
    local _, err = webhook.validate{ token = "t", url = url, body = body .. " ", signature = sig }
    assert.equal("body_hash_mismatch", err.reason)
    _, err = webhook.validate{ token = "t", url = url, signature = sig }
    assert.equal("no_body", err.reason)
    -- upper-case hex in the URL is the same hash
    local upper = url:gsub("bodySHA256=(%x+)", function(h) return "bodySHA256=" .. h:upper() end)
    sig = webhook.sign{ token = "t", url = upper }
    assert.is_true((webhook.validate{ token = "t", url = upper, body = body, signature = sig }))
  end)

  it("uses the shared key and HMAC-SHA256 when X-Twilio-Webhooks-Signature-Settings says so", function()
    local sig = webhook.sign{ token = "shared-secret", url = URL, params = P, algorithm = "sha256" }
    local settings = "key=KS0123,algorithm=HMAC_SHA256"
    local ok, info = webhook.validate{ token = "auth", shared_keys = { KS0123 = "shared-secret" }, url = URL,
                                       params = P, signature = sig, settings = settings }
    assert.is_true(ok)
    assert.equal("sha256", info.algorithm)
    assert.is_true((webhook.validate{ token = "auth", shared_key = "shared-secret", url = URL, params = P,
                                      signature = sig, settings = settings }))
    -- the same signature is not accepted as the auth token's HMAC-SHA1
    assert.is_nil((webhook.validate{ token = "shared-secret", url = URL, params = P, signature = sig }))
    local _, err = webhook.validate{ token = "auth", url = URL, params = P, signature = sig, settings = settings }
    assert.equal("no_shared_key", err.reason)
    _, err = webhook.validate{ token = "auth", shared_keys = { KS9 = "x" }, url = URL, params = P,
                               signature = sig, settings = settings }
    assert.equal("no_shared_key", err.reason)
    _, err = webhook.validate{ token = "auth", shared_key = "x", url = URL, params = P, signature = sig,
                               settings = "key=KS1,algorithm=HMAC_MD5" }
    assert.equal("unsupported_algorithm", err.reason)
  end)

  it("decodes form bodies keeping every pair", function()
    assert.same({ { "a", "1" }, { "b", "x y" }, { "a", "2" }, { "c", "" }, { "d=", "=" } },
                webhook.parse_form("a=1&b=x+y&a=2&c&d%3D=%3D"))
    assert.same({}, webhook.parse_form(""))
  end)

  it("raises on misuse", function()
    assert.has_error(function() webhook.validate{ url = URL, signature = "x" } end)
    assert.has_error(function() webhook.validate{ token = "", url = URL, signature = "x" } end)
    assert.has_error(function() webhook.validate{ token = "t", url = "", signature = "x" } end)
    assert.has_error(function() webhook.validate{ token = "t", url = URL, params = "a=b", signature = "x" } end)
    assert.has_error(function()
      webhook.validate{ token = "t", url = URL, params = { a = {}, [1] = 2 }, signature = "x" }
    end)
    assert.has_error(function() webhook.sign{ url = URL } end)
  end)
end)
