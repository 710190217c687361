#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-only
"""TCP 443 server of a test gateway, for report_failures.sh (stdlib only).

usage: lb_server.py ADDR STATUS CERT KEY [PEER=MODE...]

Listens on ADDR:443. A connection from a PEER named with a MODE gets:
  reset   its first bytes (a TLS ClientHello) read, then a close with
          SO_LINGER 0: the kernel sends a RST (an SSTP server that resets)
  alert   a TLS server sharing no cipher with it: a handshake_failure alert
  silent  TLS, its HTTP request read, then no answer until it closes
  close   TLS, then close_notify and FIN at once, before any HTTP answer
Any other connection:
  - nothing sent, closed: closed in turn (an L4 probe);
  - a TLS ClientHello (first byte 0x16): TLS handshake, then the HTTP
    request answered with STATUS (a load balancer's HTTPS probe); the
    prober closes (close_notify, FIN), then we do (FIN): no RST;
  - anything else: plain HTTP answered with STATUS (TLS offloaded before us).
One line per connection on stdout; "listening" once ready.
"""
import socket
import ssl
import struct
import sys
import threading

REASONS = {401: "Unauthorized", 503: "Service Unavailable", 200: "OK"}


def read_request(conn):
    data = b""
    while b"\r\n\r\n" not in data and len(data) < 65536:
        chunk = conn.recv(4096)
        if not chunk:
            break
        data += chunk
    return data


def first_line(req):
    return req.split(b"\r\n", 1)[0].decode(errors="replace")


def answer(conn, status):
    head = "HTTP/1.1 %d %s\r\nContent-Length: 0\r\nConnection: close\r\n\r\n" % (
        status, REASONS.get(status, "Status"))
    conn.sendall(head.encode())


def drain(conn):
    """FIN, then read up to the peer's FIN: a close without RST, as a web
    server that is done with a connection."""
    try:
        conn.shutdown(socket.SHUT_WR)
        while conn.recv(4096):
            pass
    except OSError:
        pass  # the peer was quicker


def tls_close(tls):
    """close_notify (and the peer's, if it sends one), then FIN and drain."""
    try:
        tls.unwrap()
    except (OSError, ssl.SSLError):
        pass  # the peer closed without its close_notify
    drain(tls)


def await_close(tls):
    """Up to the peer's close_notify or FIN, then FIN: the prober closes
    first, so that no close_notify of ours reaches a closed socket (RST)."""
    try:
        while tls.recv(4096):
            pass
    except (OSError, ssl.SSLError):
        pass
    try:
        tls.shutdown(socket.SHUT_WR)
    except OSError:
        pass


def serve(conn, mode, status, ctxs, socks):
    """One connection; returns what it was, for the log. A TLS socket made
    here goes into socks, for the caller to close: it owns the descriptor
    now, and closing conn would not send the FIN."""
    first = conn.recv(1, socket.MSG_PEEK)
    if not first:
        return "tcp-only"
    if mode == "reset":
        conn.recv(65536)
        conn.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        return "reset"
    if mode == "alert":
        try:
            socks.append(ctxs["alert"].wrap_socket(conn, server_side=True,
                                                   do_handshake_on_connect=False))
            socks[-1].do_handshake()
        except ssl.SSLError as e:
            return "alert (%s)" % e.reason
        return "alert: handshake completed?"
    if first[0] != 0x16:
        req = read_request(conn)
        answer(conn, status)
        drain(conn)
        return "http " + first_line(req)
    tls = ctxs["ok"].wrap_socket(conn, server_side=True, do_handshake_on_connect=False)
    socks.append(tls)
    tls.do_handshake()
    if mode == "close":
        tls_close(tls)
        return "closed after the TLS handshake"
    req = read_request(tls)
    if mode == "silent":
        while tls.recv(4096):
            pass
        return "silent after " + first_line(req)
    answer(tls, status)
    await_close(tls)
    return "tls " + first_line(req)


def handle(conn, peer, mode, status, ctxs):
    socks = [conn]
    try:
        conn.settimeout(5 if mode != "silent" else 30)
        kind = serve(conn, mode, status, ctxs, socks)
    except (OSError, ssl.SSLError) as e:
        kind = "%s (%s: %s)" % (mode or "?", e.__class__.__name__, e)
    finally:
        for s in reversed(socks):
            s.close()
    print("%s %s" % (peer[0], kind), flush=True)


def contexts(cert, key):
    ok = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ok.load_cert_chain(cert, key)
    # No TLS 1.3 session tickets: sstpc's event loop sometimes fails on
    # them (an RST at once instead of the behaviour under test).
    ok.num_tickets = 0
    # TLS 1.2 with a PSK cipher only: no client offers it without a PSK.
    alert = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    alert.load_cert_chain(cert, key)
    alert.maximum_version = ssl.TLSVersion.TLSv1_2
    alert.set_ciphers("PSK-AES128-CBC-SHA")
    return {"ok": ok, "alert": alert}


def main():
    addr, status, cert, key = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4]
    modes = dict(arg.split("=", 1) for arg in sys.argv[5:])
    ctxs = contexts(cert, key)
    srv = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    srv.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    srv.bind((addr, 443))
    srv.listen(64)
    print("listening", flush=True)
    while True:
        conn, peer = srv.accept()
        threading.Thread(target=handle, args=(conn, peer, modes.get(peer[0]), status, ctxs),
                         daemon=True).start()


if __name__ == "__main__":
    main()
