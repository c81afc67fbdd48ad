/* bench/pagefault.c -- what a first touch of a fresh page costs on this
 * machine (docs/PERFORMANCE-HISTORY.md, round 4: "Wall time: page faults and
 * instructions per second"). Not part of `make bench`:
 *
 *   cc -std=c99 -O2 -o build/pagefault bench/pagefault.c && build/pagefault 1500
 *
 * Maps N anonymous pages, writes one byte in each (one fault each, the
 * kernel zeroing the page), prints the time per fault. */
#define _DEFAULT_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <time.h>

int main(int argc, char **argv) {
  size_t n = argc > 1 ? (size_t)strtoul(argv[1], NULL, 10) : 1500, i;
  struct timespec a, b;
  char *p;
  if (n == 0) return 2;
  p = mmap(NULL, n * 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (p == MAP_FAILED) return 1;
  clock_gettime(CLOCK_MONOTONIC, &a);
  for (i = 0; i < n; i++) p[i * 4096] = 1;
  clock_gettime(CLOCK_MONOTONIC, &b);
  printf("%zu faults: %.2f us each\n", n,
         ((double)(b.tv_sec - a.tv_sec) * 1e9 + (double)(b.tv_nsec - a.tv_nsec)) / 1e3 / (double)n);
  munmap(p, n * 4096);
  return 0;
}
