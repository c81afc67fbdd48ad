-- examples/playbook.lua: a twilio-numbers playbook (data only: it runs in a
-- sandbox with no os, io or require). `make demo` plans and applies it
-- against the emulator:
--
--   twilio-numbers plan examples/playbook.lua
--   twilio-numbers apply examples/playbook.lua
--
-- Declares, for the credentials' own account ("main"): one exact number
-- with its webhooks, and a pool of 3 San Francisco numbers with SMS named
-- "Sales 1".."Sales 3", bought until there are 3. The support line is
-- protected: `apply --prune` never releases it.
return {
  defaults = {
    sms_method = "POST",
    voice_method = "POST",
  },
  accounts = {
    main = {
      numbers = {
        ["+14155550100"] = {
          friendly_name = "Support line",
          voice_url = "https://hooks.example.com/voice/support",
          sms_url = "https://hooks.example.com/sms",
        },
      },
      pools = {
        sales = {
          country = "US", type = "local", count = 3,
          search = { area_code = 415, sms_enabled = true },
          friendly_name = "Sales %d",
          voice_url = "https://hooks.example.com/voice/sales",
        },
      },
      protect = { "+14155550100" },
    },
  },
}
