/* tap.h -- a three-macro TAP harness for the C tests of the core
 * (hiredis test.c style). Each check prints "ok N - name" or "not ok N - name";
 * TAP_DONE() prints the plan and returns the exit code. */
#ifndef TW_TAP_H
#define TW_TAP_H
#include <stdio.h>
#include <string.h>

static int tap_n, tap_failed;

#define CHECK(cond, name) do { \
    ++tap_n; \
    if (cond) printf("ok %d - %s\n", tap_n, (name)); \
    else { ++tap_failed; printf("not ok %d - %s\n# %s:%d: %s\n", tap_n, (name), \
                                 __FILE__, __LINE__, #cond); } \
  } while (0)

#define CHECK_STR(got, want, name) do { \
    const char *g_ = (got), *w_ = (want); \
    int ok_ = (g_ && w_ && strcmp(g_, w_) == 0) || (!g_ && !w_); \
    CHECK(ok_, name); \
    if (!ok_) printf("#   got:  '%s'\n#   want: '%s'\n", g_ ? g_ : "(null)", w_ ? w_ : "(null)"); \
  } while (0)

#define TAP_DONE() (printf("1..%d\n", tap_n), tap_failed ? 1 : 0)

#endif
