/* test_json_blocks.h -- for the tests that compile their own tw_json.c
 * (test_json_scalar.c, test_json_sse2.c): its stop bits (blocks, as this
 * build makes them) against a byte loop, for every byte value at every
 * place of each of three blocks (blocks_avx2 makes two a turn, then the
 * odd one), among random bytes and among stops. Included after
 * src/tw_json.c. */
#ifndef TEST_JSON_BLOCKS_H
#define TEST_JSON_BLOCKS_H
#include "tap.h"

static void test_stop_blocks(void) {
  char blk[64 * 3];
  uint64_t got[3], want;
  unsigned long r = 12345;
  int v, j, k, ok = 1;
  for (v = 0; v < 256 && ok; v++) {
    for (j = 0; j < 64 * 3 && ok; j++) {
      for (k = 0; k < 64 * 3; k++) {
        r = r * 6364136223846793005UL + 1442695040888963407UL;
        /* around it: random bytes, or (every 4th) quotes, backslashes, NULs */
        blk[k] = (char)(v % 4 == 0 ? "\"\\\0a"[(r >> 33) % 4] : (int)(r >> 33));
      }
      blk[j] = (char)v;
      blocks(blk, 3, got);
      for (k = 0; k < 3; k++) {
        int b;
        want = 0;
        for (b = 0; b < 64; b++)
          if (IS(blk[64 * k + b], C_ST)) want |= (uint64_t)1 << b;
        if (got[k] != want) ok = 0;
      }
    }
  }
  CHECK(ok, "stop bits: every byte value at every place of three blocks, as a byte loop");
}
#define TEST_JSON_EXTRA test_stop_blocks
#endif
