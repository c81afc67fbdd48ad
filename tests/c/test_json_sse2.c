/* test_json_sse2.c -- tests/c/test_json.c again, against tw_json.c built
 * with SSE2 but without the AVX2 stop bits and the BMI1/BMI2 build of the
 * scanner (TW_JSON_NO_AVX2), which x86-64 CPUs without them take
 * (test_json.c runs both where the CPU has them).
 * That copy of tw_json.c is compiled into this file with its public names
 * renamed, so it does not clash with the one the test links. */
#define TW_JSON_NO_AVX2 1
#include "test_json_rename.h"
#include "../../src/tw_json.c"
#if TW_JSON_AVX2
#error "test_json_sse2.c: the AVX2 path was not compiled out"
#endif
#include "test_json_blocks.h"
#include "test_json.c"
