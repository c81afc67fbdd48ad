-- twilio.defaults: every transport and client default, in one table, and
-- the limits option checks enforce. The runtime (twilio.runtime), the client
-- (twilio.client) and both transports (twilio.transport.curl/.ngx, which are
-- also usable alone) read them from here; nothing else states a default.
--
-- Seconds for the client's options, milliseconds for a transport's request
-- fields (the unit libcurl and cosockets take): one value, two spellings.
local _M = {}

_M.timeout = 30                   -- s: the whole request, after connecting
_M.connect_timeout = 10           -- s: TCP connect (and TLS handshake)
_M.max_body = 32 * 1024 * 1024    -- bytes: the largest answer accepted
_M.timeout_ms = _M.timeout * 1000
_M.connect_timeout_ms = _M.connect_timeout * 1000

-- nginx cosockets (twilio.transport.ngx)
_M.ssl_verify = true
_M.pool_size = 32                 -- keep-alive connections per host and worker
_M.keepalive_timeout_ms = 30000   -- below nginx's 75 s and typical server idle limits

-- bulk work (twilio.bulk)
_M.concurrency = 8
_M.max_concurrency = 256

-- Limits of what the transports accept (libcurl takes whole milliseconds,
-- 1 ms to 24 h; see src/ltw_curl.c): the client refuses anything outside
-- them up front instead of every later call raising from the transport.
_M.min_timeout = 0.001            -- s
_M.max_timeout = 24 * 3600        -- s
_M.max_max_body = 1024 * 1024 * 1024

return _M
