-- luarocks --lua-version 5.4 make rockspec/twilio-numbers-scm-1.rockspec
-- (LuaJIT / OpenResty: luarocks --lua-version 5.1 make ... with LuaJIT's headers,
--  e.g. LUA_INCDIR=/usr/include/luajit-2.1)
-- spec/rockspec_spec.lua checks that every src/*.c and lua/**/*.lua is listed here
-- and installs the rock into a scratch tree.
rockspec_format = "3.0"
package = "twilio-numbers"
version = "scm-1"
source = {
  url = "git+file:///dev/null/twilio-numbers",   -- `luarocks make` builds the checkout it runs in
}
description = {
  summary = "Own Twilio phone numbers as code: a C core with a Lua API for IncomingPhoneNumbers",
  detailed = [[
Search, buy, configure, move, list and release Twilio phone numbers from Lua
5.4, LuaJIT and OpenResty: validation against Twilio's own spec, lazy
zero-copy JSON records, safe retries with no double purchase, bulk calls over
libcurl's multi interface, non-blocking inside nginx.]],
  license = "MIT",
}
dependencies = {
  "lua >= 5.1, <= 5.4",
  "argparse >= 0.7",   -- bin/twilio-numbers only (Debian: lua-argparse)
  "dkjson >= 2.5",     -- saved plans of twilio.playbook (Debian: lua-dkjson)
}
external_dependencies = {
  -- a header check fails on Debian's multiarch layout (STYLE.md section 2); check the library
  CURL = { library = "curl" },
  CRYPTO = { library = "crypto" },     -- OpenSSL libcrypto: webhook signatures (libssl-dev)
}
build = {
  type = "builtin",
  modules = {
    ["twilio.core"] = {
      sources = {
        "src/ltw_body.c", "src/ltw_call.c", "src/ltw_clock.c", "src/ltw_config.c", "src/ltw_core.c", "src/ltw_csv.c",
        "src/ltw_curl.c", "src/ltw_encode.c", "src/ltw_error.c", "src/ltw_invalid.c", "src/ltw_lane.c",
        "src/ltw_operations.c", "src/ltw_rebuild.c", "src/ltw_record.c", "src/ltw_request.c",
        "src/ltw_time.c", "src/ltw_webhook.c",
        "src/tw_csv.c", "src/tw_curl.c", "src/tw_encode.c", "src/tw_json.c", "src/tw_ops.c",
        "src/tw_request.c", "src/tw_time.c", "src/tw_validate.c", "src/tw_webhook.c",
      },
      libraries = { "curl", "crypto" },
      -- no architecture directory: the compiler already searches Debian's
      -- multiarch include directory, where curl/curl.h and openssl/ live
      incdirs = { "src", "$(CURL_INCDIR)" },
      libdirs = { "$(CURL_LIBDIR)", "$(CRYPTO_LIBDIR)" },
      defines = { "_POSIX_C_SOURCE=200809L" },
    },
    ["twilio"] = "lua/twilio.lua",
    ["twilio.account"] = "lua/twilio/account.lua",
    ["twilio.available"] = "lua/twilio/available.lua",
    ["twilio.bulk"] = "lua/twilio/bulk.lua",
    ["twilio.client"] = "lua/twilio/client.lua",
    ["twilio.csv"] = "lua/twilio/csv.lua",
    ["twilio.errors"] = "lua/twilio/errors.lua",
    ["twilio.list"] = "lua/twilio/list.lua",
    ["twilio.record"] = "lua/twilio/record.lua",
    ["twilio.runtime"] = "lua/twilio/runtime.lua",
    ["twilio.addons"] = "lua/twilio/addons.lua",
    ["twilio.defaults"] = "lua/twilio/defaults.lua",
    ["twilio.retry"] = "lua/twilio/retry.lua",
    ["twilio.transport.curl"] = "lua/twilio/transport/curl.lua",
    ["twilio.transport.ngx"] = "lua/twilio/transport/ngx.lua",
    ["twilio.transport.pick"] = "lua/twilio/transport/pick.lua",
    ["twilio.webhook"] = "lua/twilio/webhook.lua",
    ["twilio.webhook.check"] = "lua/twilio/webhook/check.lua",
    ["twilio.webhook.ngx"] = "lua/twilio/webhook/ngx.lua",
    -- desired state (twilio.playbook), which the command's plan/apply/import run on
    ["twilio.playbook"] = "lua/twilio/playbook.lua",
    ["twilio.playbook.apply"] = "lua/twilio/playbook/apply.lua",
    ["twilio.playbook.export"] = "lua/twilio/playbook/export.lua",
    ["twilio.playbook.load"] = "lua/twilio/playbook/load.lua",
    ["twilio.playbook.plan"] = "lua/twilio/playbook/plan.lua",
    ["twilio.playbook.render"] = "lua/twilio/playbook/render.lua",
    ["twilio.playbook.schema"] = "lua/twilio/playbook/schema.lua",
    -- the command (bin/twilio-numbers), on lua-argparse
    ["twilio.cli.args"] = "lua/twilio/cli/args.lua",
    ["twilio.cli.check"] = "lua/twilio/cli/check.lua",
    ["twilio.cli.desired"] = "lua/twilio/cli/desired.lua",
    ["twilio.cli.explain"] = "lua/twilio/cli/explain.lua",
    ["twilio.cli.help"] = "lua/twilio/cli/help.lua",
    ["twilio.cli.main"] = "lua/twilio/cli/main.lua",
    ["twilio.cli.numbers"] = "lua/twilio/cli/numbers.lua",
    ["twilio.cli.ops"] = "lua/twilio/cli/ops.lua",
    ["twilio.cli.output"] = "lua/twilio/cli/output.lua",
    ["twilio.cli.term"] = "lua/twilio/cli/term.lua",
  },
  install = {
    bin = { ["twilio-numbers"] = "bin/twilio-numbers" },
  },
}
