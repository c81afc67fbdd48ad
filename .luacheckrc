-- luacheck configuration: no globals anywhere; busted globals in specs;
-- ngx in the nginx transport, the emulator and the nginx specs.
std = "max"
max_line_length = 120
codes = true
self = false
files["spec/"] = { std = "+busted" }
files["emulator/"] = { globals = { "ngx" } }   -- sets ngx.status, ngx.header, ngx.ctx
files["lua/twilio/transport/ngx.lua"] = { read_globals = { "ngx" } }
files["examples/"] = { read_globals = { "ngx" } }
exclude_files = { "build/", "luarocks-tree/" }
