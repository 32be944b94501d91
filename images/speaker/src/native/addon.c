// metallb native shim: socket creation and socket options Node.js core does not expose.
//
// Every function works on a plain file descriptor number. Sockets are created non-blocking and
// close-on-exec; once configured (and, for TCP, connected by watch.c) JavaScript wraps the fd in a
// `net.Socket`. Errors are thrown as JS Errors with `code` set to the errno name.
#define _GNU_SOURCE
#include "shim.h"

#include <errno.h>
#include <net/if.h>
#include <netinet/tcp.h>
#include <arpa/inet.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

// ---- helpers shared with watch.c -------------------------------------------------------------

void shim_throw_errno(napi_env env, int err, const char *what) {
  char msg[256];
  snprintf(msg, sizeof msg, "%s: %s", what, strerror(err));
  napi_value m, e, code, num;
  napi_create_string_utf8(env, msg, NAPI_AUTO_LENGTH, &m);
  napi_create_error(env, NULL, m, &e);
  const char *name = strerrorname_np(err);
  napi_create_string_utf8(env, name ? name : "EUNKNOWN", NAPI_AUTO_LENGTH, &code);
  napi_create_int32(env, err, &num);
  napi_set_named_property(env, e, "code", code);
  napi_set_named_property(env, e, "errno", num);
  napi_throw(env, e);
}

void shim_throw_type(napi_env env, const char *msg) { napi_throw_type_error(env, NULL, msg); }

int shim_arg_int(napi_env env, napi_value v, int *out, const char *name) {
  if (napi_get_value_int32(env, v, out) != napi_ok) {
    char msg[128];
    snprintf(msg, sizeof msg, "%s must be a number", name);
    shim_throw_type(env, msg);
    return -1;
  }
  return 0;
}

int shim_arg_string(napi_env env, napi_value v, char *buf, size_t len, const char *name) {
  size_t n = 0;
  if (napi_get_value_string_utf8(env, v, buf, len, &n) != napi_ok || n + 1 >= len) {
    char msg[128];
    snprintf(msg, sizeof msg, "%s must be a string shorter than %zu bytes", name, len - 1);
    shim_throw_type(env, msg);
    return -1;
  }
  return 0;
}

socklen_t shim_parse_addr(napi_env env, const char *text, int port, struct sockaddr_storage *ss) {
  memset(ss, 0, sizeof *ss);
  if (port < 0 || port > 65535) {
    shim_throw_type(env, "port out of range");
    return 0;
  }
  struct sockaddr_in *v4 = (struct sockaddr_in *)ss;
  if (inet_pton(AF_INET, text, &v4->sin_addr) == 1) {
    v4->sin_family = AF_INET;
    v4->sin_port = htons((uint16_t)port);
    return sizeof *v4;
  }
  // IPv6, optionally with a zone ("fe80::1%eth0") for link-local peers.
  char host[INET6_ADDRSTRLEN + IF_NAMESIZE + 2];
  snprintf(host, sizeof host, "%s", text);
  char *zone = strchr(host, '%');
  if (zone) *zone++ = 0;
  struct sockaddr_in6 *v6 = (struct sockaddr_in6 *)ss;
  if (inet_pton(AF_INET6, host, &v6->sin6_addr) == 1) {
    v6->sin6_family = AF_INET6;
    v6->sin6_port = htons((uint16_t)port);
    if (zone) {
      v6->sin6_scope_id = if_nametoindex(zone);
      if (v6->sin6_scope_id == 0) {
        shim_throw_errno(env, errno, "unknown IPv6 zone");
        return 0;
      }
    }
    return sizeof *v6;
  }
  char msg[160];
  snprintf(msg, sizeof msg, "not an IP address: %.100s", text);
  shim_throw_type(env, msg);
  return 0;
}

socklen_t shim_arg_sockaddr(napi_env env, napi_value address, napi_value port, struct sockaddr_storage *ss) {
  char addr[INET6_ADDRSTRLEN + IF_NAMESIZE + 2];
  int p;
  if (shim_arg_string(env, address, addr, sizeof addr, "address") || shim_arg_int(env, port, &p, "port")) return 0;
  return shim_parse_addr(env, addr, p, ss);
}

int shim_export(napi_env env, napi_value exports, const char *name, napi_callback fn) {
  napi_value f;
  if (napi_create_function(env, name, NAPI_AUTO_LENGTH, fn, NULL, &f) != napi_ok) return -1;
  return napi_set_named_property(env, exports, name, f) == napi_ok ? 0 : -1;
}

#define ARGS(n)                                                                   \
  size_t argc = n;                                                                \
  napi_value argv[n];                                                             \
  napi_get_cb_info(env, info, &argc, argv, NULL, NULL);                           \
  if (argc < n) {                                                                 \
    shim_throw_type(env, "expected " #n " arguments");                           \
    return NULL;                                                                  \
  }

static napi_value int_value(napi_env env, int v) {
  napi_value r;
  napi_create_int32(env, v, &r);
  return r;
}

// ---- exported functions ----------------------------------------------------------------------

// socket(family: 4 | 6, type: 'tcp' | 'udp'): fd. Non-blocking and close-on-exec.
static napi_value js_socket(napi_env env, napi_callback_info info) {
  ARGS(2);
  int family;
  char type[8];
  if (shim_arg_int(env, argv[0], &family, "family") || shim_arg_string(env, argv[1], type, sizeof type, "type"))
    return NULL;
  if (family != 4 && family != 6) return shim_throw_type(env, "family must be 4 or 6"), NULL;
  int tcp = strcmp(type, "tcp") == 0;
  if (!tcp && strcmp(type, "udp") != 0) return shim_throw_type(env, "type must be tcp or udp"), NULL;
  int fd = socket(family == 4 ? AF_INET : AF_INET6, (tcp ? SOCK_STREAM : SOCK_DGRAM) | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0) return shim_throw_errno(env, errno, "socket"), NULL;
  if (family == 6) {
    // Separate IPv4 and IPv6 sockets may then bind the same port (BFD 3784 on both families).
    int one = 1;
    setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof one);
  }
  return int_value(env, fd);
}

// setIntOption(fd, level, name, value): setsockopt with an int (TTL, MINTTL, RECVTTL, REUSEADDR...).
static napi_value js_set_int_option(napi_env env, napi_callback_info info) {
  ARGS(4);
  int fd, level, name, value;
  if (shim_arg_int(env, argv[0], &fd, "fd") || shim_arg_int(env, argv[1], &level, "level") ||
      shim_arg_int(env, argv[2], &name, "name") || shim_arg_int(env, argv[3], &value, "value"))
    return NULL;
  if (setsockopt(fd, level, name, &value, sizeof value) != 0) {
    char what[64];
    snprintf(what, sizeof what, "setsockopt(level %d, option %d)", level, name);
    return shim_throw_errno(env, errno, what), NULL;
  }
  return NULL;
}

// setMd5Key(fd, peerAddress, prefixLength, key: Buffer): RFC 2385 key for one peer address, or
// for a whole prefix on a listening socket (prefixLength >= 0 uses TCP_MD5SIG_EXT). An empty key
// removes the entry. On a client socket it must be set before connect(): the SYN is signed too.
static napi_value js_set_md5_key(napi_env env, napi_callback_info info) {
  ARGS(4);
  int fd, prefix;
  char addr[INET6_ADDRSTRLEN + IF_NAMESIZE + 2];
  void *key;
  size_t keylen;
  bool is_buffer;
  if (shim_arg_int(env, argv[0], &fd, "fd") || shim_arg_string(env, argv[1], addr, sizeof addr, "peerAddress") ||
      shim_arg_int(env, argv[2], &prefix, "prefixLength"))
    return NULL;
  if (napi_is_buffer(env, argv[3], &is_buffer) != napi_ok || !is_buffer)
    return shim_throw_type(env, "key must be a Buffer"), NULL;
  napi_get_buffer_info(env, argv[3], &key, &keylen);
  if (keylen > TCP_MD5SIG_MAXKEYLEN) return shim_throw_type(env, "TCP-MD5 key longer than 80 bytes"), NULL;

  // struct tcp_md5sig (216 octets): sockaddr_storage, flags, prefixlen, keylen, pad/ifindex, key.
  struct tcp_md5sig sig;
  memset(&sig, 0, sizeof sig);
  if (!shim_parse_addr(env, addr, 0, &sig.tcpm_addr)) return NULL;
  sig.tcpm_keylen = (uint16_t)keylen;
  memcpy(sig.tcpm_key, key, keylen);
  int opt = TCP_MD5SIG;
  if (prefix >= 0) {
    opt = TCP_MD5SIG_EXT;
    sig.tcpm_flags = TCP_MD5SIG_FLAG_PREFIX;
    sig.tcpm_prefixlen = (uint8_t)prefix;
  }
  if (setsockopt(fd, IPPROTO_TCP, opt, &sig, sizeof sig) != 0)
    return shim_throw_errno(env, errno, "setsockopt(TCP_MD5SIG)"), NULL;
  return NULL;
}

// bindToDevice(fd, ifname): SO_BINDTODEVICE, for VRFs and per-interface (link-local) sessions.
static napi_value js_bind_to_device(napi_env env, napi_callback_info info) {
  ARGS(2);
  int fd;
  char dev[IF_NAMESIZE + 1];
  if (shim_arg_int(env, argv[0], &fd, "fd") || shim_arg_string(env, argv[1], dev, sizeof dev, "device")) return NULL;
  if (setsockopt(fd, SOL_SOCKET, SO_BINDTODEVICE, dev, (socklen_t)strlen(dev)) != 0)
    return shim_throw_errno(env, errno, "setsockopt(SO_BINDTODEVICE)"), NULL;
  return NULL;
}

// bind(fd, address, port): source address (and port; 0 = kernel's choice).
static napi_value js_bind(napi_env env, napi_callback_info info) {
  ARGS(3);
  int fd;
  if (shim_arg_int(env, argv[0], &fd, "fd")) return NULL;
  struct sockaddr_storage ss;
  socklen_t len = shim_arg_sockaddr(env, argv[1], argv[2], &ss);
  if (!len) return NULL;
  if (bind(fd, (struct sockaddr *)&ss, len) != 0) return shim_throw_errno(env, errno, "bind"), NULL;
  return NULL;
}

// listen(fd, backlog).
static napi_value js_listen(napi_env env, napi_callback_info info) {
  ARGS(2);
  int fd, backlog;
  if (shim_arg_int(env, argv[0], &fd, "fd") || shim_arg_int(env, argv[1], &backlog, "backlog")) return NULL;
  if (listen(fd, backlog) != 0) return shim_throw_errno(env, errno, "listen"), NULL;
  return NULL;
}

// close(fd): for sockets never handed to Node (Node closes the ones it wraps).
static napi_value js_close(napi_env env, napi_callback_info info) {
  ARGS(1);
  int fd;
  if (shim_arg_int(env, argv[0], &fd, "fd")) return NULL;
  if (close(fd) != 0) return shim_throw_errno(env, errno, "close"), NULL;
  return NULL;
}

// The option numbers, so the TypeScript side never hard-codes them.
static void export_constants(napi_env env, napi_value exports) {
  napi_value c;
  napi_create_object(env, &c);
  struct { const char *name; int value; } k[] = {
      {"SOL_SOCKET", SOL_SOCKET},           {"SO_REUSEADDR", SO_REUSEADDR},
      {"IPPROTO_IP", IPPROTO_IP},           {"IPPROTO_IPV6", IPPROTO_IPV6},
      {"IP_TTL", IP_TTL},                   {"IP_MINTTL", IP_MINTTL},
      {"IP_RECVTTL", IP_RECVTTL},           {"IPV6_UNICAST_HOPS", IPV6_UNICAST_HOPS},
      {"IPV6_MINHOPCOUNT", IPV6_MINHOPCOUNT}, {"IPV6_RECVHOPLIMIT", IPV6_RECVHOPLIMIT},
  };
  for (size_t i = 0; i < sizeof k / sizeof k[0]; i++) napi_set_named_property(env, c, k[i].name, int_value(env, k[i].value));
  napi_set_named_property(env, exports, "constants", c);
}

static napi_value init(napi_env env, napi_value exports) {
  struct { const char *name; napi_callback fn; } fns[] = {
      {"socket", js_socket},
      {"setIntOption", js_set_int_option},
      {"setMd5Key", js_set_md5_key},
      {"bindToDevice", js_bind_to_device},
      {"bind", js_bind},
      {"listen", js_listen},
      {"close", js_close},
      {"tcpConnect", shim_tcp_connect},
      {"udpReceive", shim_udp_receive},
      {"udpSend", shim_udp_send},
      {"watchStop", shim_watch_stop},
  };
  for (size_t i = 0; i < sizeof fns / sizeof fns[0]; i++)
    if (shim_export(env, exports, fns[i].name, fns[i].fn)) return NULL;
  export_constants(env, exports);
  return exports;
}

NAPI_MODULE(NODE_GYP_MODULE_NAME, init)
