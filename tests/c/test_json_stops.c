/* test_json_stops.c -- the stop bits of tw_json.c as this build and this
 * CPU make them (AVX2 where the CPU has it), against a byte loop
 * (test_json_blocks.h; test_json_scalar.c and test_json_sse2.c check the
 * other two ways). That copy of tw_json.c is compiled into this file with
 * its public names renamed, so it does not clash with the one the test
 * links. */
#include "test_json_rename.h"
#include "../../src/tw_json.c"
#include "test_json_blocks.h"

int main(void) {
  test_stop_blocks();
  return TAP_DONE();
}
