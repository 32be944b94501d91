// The event-driven half of the shim: waiting for a non-blocking TCP connect to finish, and
// receiving UDP datagrams together with their TTL / hop limit.
//
// Both use a libuv `uv_poll_t` on Node's own event loop (napi_get_uv_event_loop): no threads, and
// the JS callbacks run on the main thread like any other I/O callback. A "watch" is one such poll
// plus the JS callback; `watchStop(handle)` ends it. After `uv_poll_stop` libuv has removed the fd
// from its epoll set, so the fd may then be closed by JS or handed to `net.Socket`.
//
// Why recvmsg: RFC 5881 §5 requires single-hop BFD to discard packets whose TTL is not 255, and the
// TTL of a datagram is only available as an IP_TTL / IPV6_HOPLIMIT control message (with
// IP_RECVTTL / IPV6_RECVHOPLIMIT set), which Node's dgram does not read.
#define _GNU_SOURCE
#include "shim.h"

#include <arpa/inet.h>
#include <errno.h>
#include <net/if.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <uv.h>

typedef enum { WATCH_CONNECT, WATCH_UDP } watch_kind;

typedef struct {
  uv_poll_t poll;  // first member: the uv handle pointer is the watch pointer
  napi_env env;
  napi_ref callback;
  napi_async_context async;
  watch_kind kind;
  int fd;
  int active;
  int closed;        // uv_close finished
  int unreferenced;  // the JS handle (napi external) was garbage-collected, or never made
} watch_t;

#define MAX_DATAGRAM 2048        // BFD control packets are 24-100 octets; more is not BFD
#define MAX_PER_WAKEUP 64        // bound the work per readiness event so timers still run

// The memory is shared by libuv (until uv_close completes) and the JS handle (until it is
// collected), so it is freed when both are done with it; a late watchStop() stays safe.
static void maybe_free(watch_t *w) {
  if (w->closed && w->unreferenced) free(w);
}
static void on_closed(uv_handle_t *h) {
  ((watch_t *)h)->closed = 1;
  maybe_free((watch_t *)h);
}
static void on_finalize(napi_env env, void *data, void *hint) {
  (void)env, (void)hint;
  ((watch_t *)data)->unreferenced = 1;
  maybe_free((watch_t *)data);
}

// Stops polling and releases the JS callback. Safe to call twice. Memory goes in on_closed.
static void watch_end(watch_t *w) {
  if (!w->active) return;
  w->active = 0;
  uv_poll_stop(&w->poll);
  napi_delete_reference(w->env, w->callback);
  napi_async_destroy(w->env, w->async);
  uv_close((uv_handle_t *)&w->poll, on_closed);
}

// Calls the JS callback as an I/O callback (so promises and nextTicks run after it). An exception
// thrown by the callback is reported as uncaught, exactly like one thrown from a dgram listener.
static void watch_call(watch_t *w, size_t argc, napi_value *argv) {
  napi_value cb, global, result;
  napi_get_reference_value(w->env, w->callback, &cb);
  napi_get_global(w->env, &global);
  if (napi_make_callback(w->env, w->async, global, cb, argc, argv, &result) == napi_pending_exception) {
    napi_value err;
    napi_get_and_clear_last_exception(w->env, &err);
    napi_fatal_exception(w->env, err);
  }
}

static watch_t *watch_start(napi_env env, int fd, napi_value cb, watch_kind kind, int events, uv_poll_cb on_event) {
  napi_valuetype t;
  if (napi_typeof(env, cb, &t) != napi_ok || t != napi_function) return shim_throw_type(env, "callback must be a function"), NULL;
  uv_loop_t *loop;
  if (napi_get_uv_event_loop(env, &loop) != napi_ok) return shim_throw_type(env, "no event loop"), NULL;
  watch_t *w = calloc(1, sizeof *w);
  if (!w) return shim_throw_errno(env, ENOMEM, "watch"), NULL;
  int rc = uv_poll_init(loop, &w->poll, fd);
  if (rc != 0) {
    free(w);
    shim_throw_errno(env, -rc, "uv_poll_init");
    return NULL;
  }
  napi_value name;
  napi_create_string_utf8(env, kind == WATCH_CONNECT ? "metallb.tcpConnect" : "metallb.udpReceive", NAPI_AUTO_LENGTH, &name);
  napi_async_init(env, NULL, name, &w->async);
  napi_create_reference(env, cb, 1, &w->callback);
  w->env = env;
  w->kind = kind;
  w->fd = fd;
  w->active = 1;
  rc = uv_poll_start(&w->poll, events, on_event);
  if (rc != 0) {
    w->unreferenced = 1;
    watch_end(w);
    shim_throw_errno(env, -rc, "uv_poll_start");
    return NULL;
  }
  return w;
}

static napi_value watch_handle(napi_env env, watch_t *w) {
  napi_value h;
  napi_create_external(env, w, on_finalize, NULL, &h);
  return h;
}

// ---- TCP connect -----------------------------------------------------------------------------

static void on_connect_event(uv_poll_t *p, int status, int events) {
  (void)events;
  watch_t *w = (watch_t *)p;
  napi_handle_scope scope;
  napi_open_handle_scope(w->env, &scope);
  // Writable means the handshake ended; SO_ERROR says how (0 = connected). libuv reports a socket
  // error (POLLERR, e.g. a refused connect) as status UV_EBADF, so SO_ERROR is read in that case too.
  int err = 0;
  socklen_t len = sizeof err;
  if (getsockopt(w->fd, SOL_SOCKET, SO_ERROR, &err, &len) != 0) err = errno;
  if (err == 0 && status < 0) err = -status;
  napi_env env = w->env;
  napi_value cb, global, arg, result;
  napi_get_reference_value(env, w->callback, &cb);
  napi_async_context async = w->async;
  // One-shot: end the poll before JS sees the fd (it may wrap it in a net.Socket at once), but keep
  // the callback and async context alive for the call below.
  w->active = 0;
  uv_poll_stop(&w->poll);
  napi_create_int32(env, err, &arg);
  napi_get_global(env, &global);
  if (napi_make_callback(env, async, global, cb, 1, &arg, &result) == napi_pending_exception) {
    napi_value e;
    napi_get_and_clear_last_exception(env, &e);
    napi_fatal_exception(env, e);
  }
  napi_delete_reference(env, w->callback);
  napi_async_destroy(env, async);
  uv_close((uv_handle_t *)&w->poll, on_closed);
  napi_close_handle_scope(env, scope);
}

// tcpConnect(fd, address, port, callback(errno)): starts a non-blocking connect and calls back
// once with 0 (connected) or the errno. Returns a handle for watchStop (to abandon on timeout; the
// caller then closes the fd). Errors detected at once (ENETUNREACH...) are thrown.
napi_value shim_tcp_connect(napi_env env, napi_callback_info info) {
  size_t argc = 4;
  napi_value argv[4];
  napi_get_cb_info(env, info, &argc, argv, NULL, NULL);
  if (argc < 4) return shim_throw_type(env, "expected 4 arguments"), NULL;
  int fd;
  if (shim_arg_int(env, argv[0], &fd, "fd")) return NULL;
  struct sockaddr_storage ss;
  socklen_t len = shim_arg_sockaddr(env, argv[1], argv[2], &ss);
  if (!len) return NULL;
  if (connect(fd, (struct sockaddr *)&ss, len) != 0 && errno != EINPROGRESS)
    return shim_throw_errno(env, errno, "connect"), NULL;
  // Also when connect() returned 0 at once: a connected socket is writable, so the callback
  // still comes asynchronously, from one code path.
  watch_t *w = watch_start(env, fd, argv[3], WATCH_CONNECT, UV_WRITABLE, on_connect_event);
  return w ? watch_handle(env, w) : NULL;
}

// ---- UDP with TTL ----------------------------------------------------------------------------

// Reads the TTL (IPv4) or hop limit (IPv6) from the control messages; -1 if absent.
static int datagram_ttl(struct msghdr *msg) {
  for (struct cmsghdr *c = CMSG_FIRSTHDR(msg); c; c = CMSG_NXTHDR(msg, c)) {
    if ((c->cmsg_level == IPPROTO_IP && c->cmsg_type == IP_TTL) ||
        (c->cmsg_level == IPPROTO_IPV6 && c->cmsg_type == IPV6_HOPLIMIT)) {
      int ttl;
      memcpy(&ttl, CMSG_DATA(c), sizeof ttl);
      return ttl;
    }
  }
  return -1;
}

static void on_udp_event(uv_poll_t *p, int status, int events) {
  (void)events;
  watch_t *w = (watch_t *)p;
  if (status < 0) return;  // a poll error on a datagram socket: the next event retries
  napi_env env = w->env;
  for (int i = 0; i < MAX_PER_WAKEUP && w->active; i++) {
    unsigned char data[MAX_DATAGRAM];
    unsigned char control[CMSG_SPACE(sizeof(int)) * 4];
    struct sockaddr_storage from;
    struct iovec iov = {data, sizeof data};
    struct msghdr msg = {.msg_name = &from, .msg_namelen = sizeof from, .msg_iov = &iov, .msg_iovlen = 1,
                         .msg_control = control, .msg_controllen = sizeof control};
    ssize_t n = recvmsg(w->fd, &msg, MSG_DONTWAIT);
    if (n < 0) break;  // EAGAIN: drained (other errors, e.g. ICMP-reported ECONNREFUSED: ignore)
    if (msg.msg_flags & MSG_TRUNC) continue;  // larger than any BFD packet

    char host[INET6_ADDRSTRLEN] = "";
    int port = 0;
    if (from.ss_family == AF_INET) {
      struct sockaddr_in *a = (struct sockaddr_in *)&from;
      inet_ntop(AF_INET, &a->sin_addr, host, sizeof host);
      port = ntohs(a->sin_port);
    } else if (from.ss_family == AF_INET6) {
      struct sockaddr_in6 *a = (struct sockaddr_in6 *)&from;
      inet_ntop(AF_INET6, &a->sin6_addr, host, sizeof host);
      port = ntohs(a->sin6_port);
    }
    napi_handle_scope scope;
    napi_open_handle_scope(env, &scope);
    napi_value argv[4];
    void *copy;
    napi_create_buffer_copy(env, (size_t)n, data, &copy, &argv[0]);
    napi_create_string_utf8(env, host, NAPI_AUTO_LENGTH, &argv[1]);
    napi_create_int32(env, port, &argv[2]);
    napi_create_int32(env, datagram_ttl(&msg), &argv[3]);
    watch_call(w, 4, argv);
    napi_close_handle_scope(env, scope);
  }
}

// udpReceive(fd, callback(data: Buffer, address, port, ttl)): calls back for every datagram until
// watchStop(handle). Enables IP_RECVTTL / IPV6_RECVHOPLIMIT itself (ttl is -1 if unavailable).
napi_value shim_udp_receive(napi_env env, napi_callback_info info) {
  size_t argc = 2;
  napi_value argv[2];
  napi_get_cb_info(env, info, &argc, argv, NULL, NULL);
  if (argc < 2) return shim_throw_type(env, "expected 2 arguments"), NULL;
  int fd;
  if (shim_arg_int(env, argv[0], &fd, "fd")) return NULL;
  struct sockaddr_storage ss;
  socklen_t len = sizeof ss;
  if (getsockname(fd, (struct sockaddr *)&ss, &len) != 0) return shim_throw_errno(env, errno, "getsockname"), NULL;
  int one = 1;
  int rc = ss.ss_family == AF_INET6 ? setsockopt(fd, IPPROTO_IPV6, IPV6_RECVHOPLIMIT, &one, sizeof one)
                                    : setsockopt(fd, IPPROTO_IP, IP_RECVTTL, &one, sizeof one);
  if (rc != 0) return shim_throw_errno(env, errno, "setsockopt(RECVTTL)"), NULL;
  watch_t *w = watch_start(env, fd, argv[1], WATCH_UDP, UV_READABLE, on_udp_event);
  return w ? watch_handle(env, w) : NULL;
}

// udpSend(fd, data: Buffer, address, port): one datagram, non-blocking. Returns 0 or the errno
// (EAGAIN when the socket buffer is full: for BFD a lost packet, which the protocol tolerates).
napi_value shim_udp_send(napi_env env, napi_callback_info info) {
  size_t argc = 4;
  napi_value argv[4];
  napi_get_cb_info(env, info, &argc, argv, NULL, NULL);
  if (argc < 4) return shim_throw_type(env, "expected 4 arguments"), NULL;
  int fd;
  void *data;
  size_t n;
  bool is_buffer;
  if (shim_arg_int(env, argv[0], &fd, "fd")) return NULL;
  if (napi_is_buffer(env, argv[1], &is_buffer) != napi_ok || !is_buffer) return shim_throw_type(env, "data must be a Buffer"), NULL;
  napi_get_buffer_info(env, argv[1], &data, &n);
  struct sockaddr_storage ss;
  socklen_t len = shim_arg_sockaddr(env, argv[2], argv[3], &ss);
  if (!len) return NULL;
  int err = sendto(fd, data, n, MSG_DONTWAIT, (struct sockaddr *)&ss, len) < 0 ? errno : 0;
  napi_value r;
  napi_create_int32(env, err, &r);
  return r;
}

// watchStop(handle): ends a tcpConnect or udpReceive watch; its callback is not called again.
napi_value shim_watch_stop(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  napi_get_cb_info(env, info, &argc, argv, NULL, NULL);
  void *w = NULL;
  if (argc < 1 || napi_get_value_external(env, argv[0], &w) != napi_ok || !w) return shim_throw_type(env, "not a watch handle"), NULL;
  watch_end((watch_t *)w);
  return NULL;
}
