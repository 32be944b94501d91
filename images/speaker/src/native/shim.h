// Shared helpers of the metallb native shim (see README.md).
//
// Node.js core cannot set TCP_MD5SIG, IP_MINTTL or SO_BINDTODEVICE, and cannot read the TTL of a
// received datagram. This addon creates such sockets itself and hands the file descriptor back to
// JavaScript; everything after that is plain Node (`net.Socket`) or the small UDP path in udp.c.
#ifndef METALLB_SHIM_H
#define METALLB_SHIM_H

#define NAPI_VERSION 8
#include <node_api.h>
#include <sys/socket.h>
#include <netinet/in.h>

// Throws a JS Error with `code` = errno name (e.g. "EINVAL") and `errno` = the number.
void shim_throw_errno(napi_env env, int err, const char *what);
// Throws a JS TypeError with a plain message.
void shim_throw_type(napi_env env, const char *msg);

// Reads argument i as int32 / string (into buf, NUL-terminated). Return 0 on success; on failure a
// JS exception is pending.
int shim_arg_int(napi_env env, napi_value v, int *out, const char *name);
int shim_arg_string(napi_env env, napi_value v, char *buf, size_t len, const char *name);

// Parses "192.0.2.1", "2001:db8::1" or "fe80::1%eth0" plus a port into a sockaddr. Returns the
// address length, or 0 after throwing.
socklen_t shim_parse_addr(napi_env env, const char *text, int port, struct sockaddr_storage *ss);
// Reads an address argument and a port argument (names "address", "port") and parses them as
// shim_parse_addr does. Returns the address length, or 0 after throwing.
socklen_t shim_arg_sockaddr(napi_env env, napi_value address, napi_value port, struct sockaddr_storage *ss);

// Registers a function as exports[name].
int shim_export(napi_env env, napi_value exports, const char *name, napi_callback fn);

// Exports of udp.c / poll.c, registered from addon.c.
napi_value shim_tcp_connect(napi_env env, napi_callback_info info);
napi_value shim_udp_receive(napi_env env, napi_callback_info info);
napi_value shim_udp_send(napi_env env, napi_callback_info info);
napi_value shim_watch_stop(napi_env env, napi_callback_info info);

#endif
