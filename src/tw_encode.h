/* tw_encode.h -- byte encodings for requests: percent-encoding for form
 * bodies and query strings, and base64 for the Basic Authorization header.
 *
 * No lua.h, no allocation: the caller owns every buffer. Each encoder has a
 * _len function giving the exact output size (no NUL counted) so callers can
 * size a buffer, and a chunked variant the Lua binding feeds through
 * luaL_prepbuffer without ever holding heap memory across a Lua call. */
#ifndef TW_ENCODE_H
#define TW_ENCODE_H

#include <stddef.h>

/* 1 when c is kept as is by tw_urlencode (RFC 3986 unreserved:
 * A-Z a-z 0-9 - . _ ~); every other byte becomes %XX, upper-case hex.
 * So '+' -> %2B, ' ' -> %20, '&' -> %26, '=' -> %3D, UTF-8 bytes -> %XX. */
int tw_url_unreserved(unsigned char c);

/* Exact encoded size of in[0..n). */
size_t tw_urlencode_len(const char *in, size_t n);

/* Encodes in[0..n) into out, which must hold tw_urlencode_len(in, n) bytes.
 * Returns the bytes written. Does not NUL-terminate. */
size_t tw_urlencode(char *out, const char *in, size_t n);

/* Chunked: encodes as much of in[0..n) as fits in out[0..cap) without
 * splitting an escape; *used receives the input bytes consumed. Returns the
 * bytes written. With cap >= 3 it always consumes at least one byte (n > 0). */
size_t tw_urlencode_some(char *out, size_t cap, const char *in, size_t n,
                         size_t *used);

/* Exact base64 size of n input bytes (standard alphabet, '=' padding). */
size_t tw_base64_len(size_t n);

/* Encodes in[0..n) into out (tw_base64_len(n) bytes). Returns bytes written.
 * Chunked use: feed multiples of 3 bytes except for the last chunk. */
size_t tw_base64(char *out, const void *in, size_t n);

#endif
