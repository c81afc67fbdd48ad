/* bench/polltime.c -- where a client's wall time goes between its own work
 * and waiting: an LD_PRELOAD shim that times poll(), send() and recv()
 * (libcurl's calls for a plain HTTP transfer) and prints at exit the total
 * wall time, the time inside each and the rest ("other": the process's own
 * work and any other syscall). Not part of `make bench` (docs/PERFORMANCE-HISTORY.md,
 * "Round 6").
 *
 *   cc -O2 -shared -fPIC -o build/polltime.so bench/polltime.c -ldl
 *   LD_PRELOAD=build/polltime.so build/bench/baseline fetch URL ACCOUNT x 2200 SIDS
 *   LD_PRELOAD=build/polltime.so lua5.4 bench/ours.lua fetch URL ACCOUNT x 2200 SIDS
 *
 * (and the same with 200 calls: the difference is 2,000 calls without the
 * start-up). Output on stderr:
 *   polltime: total T ms poll P ms (n) send S ms (n) recv R ms (n) other O ms */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <poll.h>
#include <stdio.h>
#include <sys/socket.h>
#include <time.h>

static double t_start, t_poll, t_send, t_recv;
static long n_poll, n_send, n_recv;

static double now(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

__attribute__((constructor)) static void start(void) { t_start = now(); }

__attribute__((destructor)) static void report(void) {
  double total = now() - t_start;
  fprintf(stderr, "polltime: total %.3f ms poll %.3f ms (%ld) send %.3f ms (%ld) recv %.3f ms (%ld)"
          " other %.3f ms\n", total * 1e3, t_poll * 1e3, n_poll, t_send * 1e3, n_send,
          t_recv * 1e3, n_recv, (total - t_poll - t_send - t_recv) * 1e3);
}

/* Each wrapper finds the real function once (dlsym RTLD_NEXT) and adds the
 * call's wall time to its total. */
int poll(struct pollfd *fds, nfds_t n, int timeout) {
  static int (*real)(struct pollfd *, nfds_t, int);
  double a;
  int r;
  if (!real) *(void **)&real = dlsym(RTLD_NEXT, "poll");
  a = now();
  r = real(fds, n, timeout);
  t_poll += now() - a;
  n_poll++;
  return r;
}

ssize_t send(int fd, const void *buf, size_t len, int flags) {
  static ssize_t (*real)(int, const void *, size_t, int);
  double a;
  ssize_t r;
  if (!real) *(void **)&real = dlsym(RTLD_NEXT, "send");
  a = now();
  r = real(fd, buf, len, flags);
  t_send += now() - a;
  n_send++;
  return r;
}

ssize_t recv(int fd, void *buf, size_t len, int flags) {
  static ssize_t (*real)(int, void *, size_t, int);
  double a;
  ssize_t r;
  if (!real) *(void **)&real = dlsym(RTLD_NEXT, "recv");
  a = now();
  r = real(fd, buf, len, flags);
  t_recv += now() - a;
  n_recv++;
  return r;
}
