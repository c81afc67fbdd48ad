/* test_json_scalar.c -- tests/c/test_json.c again, against tw_json.c built
 * without SIMD (TW_JSON_NO_SIMD: the stop bits made 8 bytes at a time in a
 * 64-bit word, the string skips of the accessors in C), the path a compiler without SSE2
 * (or not x86) takes. That copy of tw_json.c is compiled into this file
 * with its public names renamed, so it does not clash with the one the
 * test links. */
#define TW_JSON_NO_SIMD 1
#include "test_json_rename.h"
#include "../../src/tw_json.c"
#if TW_JSON_SSE2 || TW_JSON_AVX2
#error "test_json_scalar.c: the SIMD paths were not compiled out"
#endif
#include "test_json_blocks.h"
#include "test_json.c"
