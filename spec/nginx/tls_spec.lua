-- TLS through the nginx transport: sslhandshake(nil, host, ssl_verify) with
-- verification on by default, against two loopback TLS servers of the test
-- nginx (one trusted through lua_ssl_trusted_certificate, one not).
local nginx = require "helpers.nginx"
local cjson = require "cjson"

local function have_openssl()
  local r = os.execute("command -v openssl >/dev/null 2>&1")
  return r == true or r == 0
end

local function make_cert(dir, name)
  local cmd = "openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj /CN=127.0.0.1"
    .. " -addext subjectAltName=DNS:localhost,IP:127.0.0.1,DNS:127.0.0.1"
    .. " -keyout " .. nginx.sh_quote(dir .. "/" .. name .. ".key")
    .. " -out " .. nginx.sh_quote(dir .. "/" .. name .. ".crt") .. " >/dev/null 2>&1"
  local r = os.execute(cmd)
  assert(r == true or r == 0, "openssl failed")
end

describe("nginx transport over TLS", function()
  local srv, why, certs, trusted_port, untrusted_port

  setup(function()
    if not have_openssl() then why = "openssl not installed" return end
    certs = nginx.root .. "/build/nginx-spec/certs-" .. os.time() .. "-" .. math.random(1, 1e9)
    os.execute("mkdir -p " .. nginx.sh_quote(certs))
    make_cert(certs, "trusted")
    make_cert(certs, "untrusted")
    trusted_port, untrusted_port = nginx.free_port(), nginx.free_port()
    local function tls_server(port, name)
      return table.concat{
        "  server {\n",
        "    listen 127.0.0.1:", port, " ssl;\n",
        "    ssl_certificate ", certs, "/", name, ".crt;\n",
        "    ssl_certificate_key ", certs, "/", name, ".key;\n",
        "    location = /hello { content_by_lua_block { ngx.print('hello over ', ngx.var.ssl_protocol) } }\n",
        "  }\n" }
    end
    srv, why = nginx.start{
      name = "tls",
      http = "  lua_ssl_trusted_certificate " .. certs .. "/trusted.crt;\n  lua_ssl_verify_depth 2;\n"
        .. tls_server(trusted_port, "trusted") .. tls_server(untrusted_port, "untrusted"),
      server = "    location = /t/request { content_by_lua_block { require('helpers.ngx_driver').request() } }",
    }
  end)
  teardown(function()
    if srv then srv:stop() end
    if certs then os.execute("rm -rf " .. nginx.sh_quote(certs)) end
  end)

  local function call(port, opts, n)
    if not srv then error("test nginx did not start: " .. tostring(why)) end
    return srv:json{ method = "POST", path = "/t/request", timeout = 10, body = cjson.encode{
      req = { method = "GET", url = "https://127.0.0.1:" .. port .. "/hello" }, opts = opts, n = n } }
  end

  it("verifies the certificate by default and reuses the TLS connection", function()
    local rs = call(trusted_port, nil, 2)
    assert.is_nil(rs[1].err)
    assert.equal(200, rs[1].res.status)
    assert.truthy(rs[1].res.body:find("hello over TLS", 1, true))
    assert.is_true(rs[2].res.reused >= 1)
  end)

  it("refuses an untrusted certificate before sending anything (sent = false)", function()
    local r = call(untrusted_port)
    assert.is_nil(r.res)
    assert.equal("transport", r.err.kind)
    assert.is_false(r.err.sent)
    assert.truthy(r.err.message:find("TLS handshake", 1, true))
  end)

  it("ssl_verify = false accepts it (and uses a separate pool)", function()
    local r = call(untrusted_port, { ssl_verify = false })
    assert.is_nil(r.err)
    assert.equal(200, r.res.status)
  end)
end)
