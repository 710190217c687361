#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only
#
# End-to-end tests of inline capture (--mode inline, and --mode auto on an
# interface with an address) on a real veth pair between two namespaces that
# both have IPv4 and IPv6 addresses, as on a VPN gateway: real UDP 500/4500
# echo exchanges and a TCP 443 connection go through while vpncap copies
# them at the XDP hook (received) and the TC egress hook (transmitted). The
# host's traffic must be untouched: every exchange completes, and every
# frame sent arrives even when the kernel ring overflows. Also: --mode auto
# switching to inline when an address appears, snaplen, named filters
# changed live, a rotating file set, a refused --unmatched drop, and a
# restart after kill -9. Nothing may stay attached after an exit.
# usage: inline.sh PATH/TO/vpncap PATH/TO/pcapng_dump
set -u
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"
e2e_init inline "$1" "$2"
# Named filters come from an empty directory of our own, never /etc/vpncap.
export VPNCAP_CONFIG_DIR=$WORK/etc
mkdir -p "$VPNCAP_CONFIG_DIR"

# The lab: $LAB_CAP ($LAB_CAP_IF, 198.18.5.1, 2001:db8:5::1) is the gateway
# vpncap captures on, $LAB_GEN ($LAB_GEN_IF, .2, ::2) its peer. lab_down (at
# exit, from lib.sh) removes both namespaces and vpncap's lock files.
CAP4=198.18.5.1 GEN4=198.18.5.2 CAP6=2001:db8:5::1 GEN6=2001:db8:5::2
inline_lab_up() {
	local id ns
	id=$(printf '%04x%04x' $$ $RANDOM | tail -c 6)
	LAB_GEN=vpncap-igen-$id
	LAB_CAP=vpncap-icap-$id
	LAB_GEN_IF=ig$id
	LAB_CAP_IF=ic$id
	ip netns add "$LAB_GEN" || return 1
	ip netns add "$LAB_CAP" || return 1
	# IPv6 without housekeeping frames (RS, DAD, MLD), set before the links exist.
	for ns in "$LAB_GEN" "$LAB_CAP"; do
		ip netns exec "$ns" sysctl -qw net.ipv6.conf.all.accept_dad=0 \
			net.ipv6.conf.default.accept_dad=0 \
			net.ipv6.conf.default.router_solicitations=0 \
			net.ipv6.conf.default.mldv1_unsolicited_report_interval=0 \
			net.ipv6.conf.default.mldv2_unsolicited_report_interval=0 || return 1
	done
	ip -n "$LAB_GEN" link add "$LAB_GEN_IF" type veth peer name "$LAB_CAP_IF" \
		netns "$LAB_CAP" || return 1
	ip -n "$LAB_CAP" addr add "$CAP4/24" dev "$LAB_CAP_IF" || return 1
	ip -n "$LAB_GEN" addr add "$GEN4/24" dev "$LAB_GEN_IF" || return 1
	ip -n "$LAB_CAP" addr add "$CAP6/64" dev "$LAB_CAP_IF" nodad || return 1
	ip -n "$LAB_GEN" addr add "$GEN6/64" dev "$LAB_GEN_IF" nodad || return 1
	ip -n "$LAB_GEN" link set "$LAB_GEN_IF" up || return 1
	ip -n "$LAB_CAP" link set "$LAB_CAP_IF" up || return 1
	ip -n "$LAB_GEN" link set lo up
	ip -n "$LAB_CAP" link set lo up
	export LAB_GEN LAB_CAP LAB_GEN_IF LAB_CAP_IF
}

# ---- traffic -----------------------------------------------------------------
# One python process holds sockets in both namespaces (setns per socket), so
# an exchange needs no server start-up race: bind both ends, then talk.
cat >"$WORK/traffic.py" <<'EOF'
import argparse, ctypes, os, socket, threading

libc = ctypes.CDLL(None, use_errno=True)
libc.syscall.restype = ctypes.c_long

def enter(ns):
    fd = os.open('/run/netns/' + ns, os.O_RDONLY)
    try:
        if libc.setns(fd, 0x40000000):  # CLONE_NEWNET
            raise OSError(ctypes.get_errno(), 'setns ' + ns)
    finally:
        os.close(fd)

def endpoint(spec):  # NS,ADDR
    ns, addr = spec.split(',', 1)
    return ns, addr

def sock_in(ns, addr, port, kind=socket.SOCK_DGRAM):
    enter(ns)
    s = socket.socket(socket.AF_INET6 if ':' in addr else socket.AF_INET, kind)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind((addr, port))
    return s

def payload(marker, seq, size):
    return (('%s-%06d-' % (marker, seq)).encode() + b'.' * size)[:size]

def udp_echo(a):
    """The client sends COUNT datagrams to the server, which echoes each back.
    Prints how many replies came back equal to what was sent; --save writes
    the payloads in hex, one a line."""
    sns, saddr = endpoint(a.server)
    cns, caddr = endpoint(a.client)
    srv = sock_in(sns, saddr, a.port)
    cli = sock_in(cns, caddr, a.port)
    srv.settimeout(2)
    cli.settimeout(2)
    sizes = [int(x) for x in a.sizes.split(',')]
    ok, sent = 0, []
    for i in range(a.count):
        p = payload(a.marker, i, sizes[i % len(sizes)])
        try:
            cli.sendto(p, (saddr, a.port))
            d, peer = srv.recvfrom(65535)
            srv.sendto(d, peer)
            r, _ = cli.recvfrom(65535)
        except socket.timeout:
            break
        sent.append(p)
        ok += r == p
    if a.save:
        with open(a.save, 'w') as f:
            f.writelines(p.hex() + '\n' for p in sent)
    print(ok)

def recv_exact(s, n):
    buf = bytearray()
    while len(buf) < n:
        d = s.recv(min(65536, n - len(buf)))
        if not d:
            break
        buf += d
    return bytes(buf)

def tcp(a):
    """One connection: the client sends UP bytes, the server answers DOWN
    bytes, both close. Prints ok when every byte arrived as sent."""
    sns, saddr = endpoint(a.server)
    cns, caddr = endpoint(a.client)
    lst = sock_in(sns, saddr, a.port, socket.SOCK_STREAM)
    lst.listen(1)
    lst.settimeout(5)
    cli = sock_in(cns, caddr, 0, socket.SOCK_STREAM)
    cli.settimeout(5)
    cli.connect((saddr, a.port))
    conn, _ = lst.accept()
    conn.settimeout(5)
    up = (a.marker + '-up-').encode().ljust(a.up, b'u')
    down = (a.marker + '-down-').encode().ljust(a.down, b'd')
    got = {}
    def server():
        got['up'] = recv_exact(conn, len(up))
        conn.sendall(down)
        conn.shutdown(socket.SHUT_WR)
        got['eof'] = conn.recv(1)
    t = threading.Thread(target=server)
    t.start()
    cli.sendall(up)
    r = recv_exact(cli, len(down))
    cli.shutdown(socket.SHUT_WR)
    t.join(10)
    cli.close()
    conn.close()
    print('ok' if got.get('up') == up and r == down and got.get('eof') == b'' else 'bad')

def blast(a):
    """COUNT datagrams of SIZE bytes as fast as possible; a thread counts
    them at the receiving socket (with a buffer large enough for all).
    Prints 'SENT RECEIVED'."""
    rns, raddr = endpoint(a.to)
    sns, saddr = endpoint(a.frm)
    rcv = sock_in(rns, raddr, a.port)
    rcv.setsockopt(socket.SOL_SOCKET, 33, 256 << 20)  # SO_RCVBUFFORCE
    snd = sock_in(sns, saddr, a.port)
    count = [0]
    done = threading.Event()
    def receiver():
        rcv.settimeout(0.5)
        while True:
            try:
                rcv.recv(65535)
                count[0] += 1
            except socket.timeout:
                if done.is_set():
                    return
    t = threading.Thread(target=receiver)
    t.start()
    p, dst, sent = b'B' * a.size, (raddr, a.port), 0
    for _ in range(a.count):
        snd.sendto(p, dst)
        sent += 1
    done.set()
    t.join()
    print(sent, count[0])

def tcx_egress(a):
    """Programs attached at tcx egress of NS's IFNAME (BPF_PROG_QUERY on
    BPF_TCX_EGRESS, which Debian 12's bpftool cannot show); 0 without tcx."""
    enter(a.ns)
    ids = (ctypes.c_uint32 * 64)()
    attr = ctypes.create_string_buffer(128)
    ctypes.c_uint32.from_buffer(attr, 0).value = socket.if_nametoindex(a.ifname)
    ctypes.c_uint32.from_buffer(attr, 4).value = 47   # BPF_TCX_EGRESS
    ctypes.c_uint64.from_buffer(attr, 16).value = ctypes.addressof(ids)
    ctypes.c_uint32.from_buffer(attr, 24).value = 64
    if libc.syscall(321, 16, attr, ctypes.c_uint(128)) < 0:  # bpf(BPF_PROG_QUERY)
        e = ctypes.get_errno()
        print(0 if e == 22 else 'error %d' % e)
        return
    print(ctypes.c_uint32.from_buffer(attr, 24).value)

ap = argparse.ArgumentParser()
sub = ap.add_subparsers(dest='cmd', required=True)
p = sub.add_parser('udp-echo'); p.set_defaults(f=udp_echo)
p.add_argument('--server', required=True); p.add_argument('--client', required=True)
p.add_argument('--port', type=int, required=True); p.add_argument('--count', type=int, default=1)
p.add_argument('--sizes', default='100'); p.add_argument('--marker', default='VPNCAP')
p.add_argument('--save')
p = sub.add_parser('tcp'); p.set_defaults(f=tcp)
p.add_argument('--server', required=True); p.add_argument('--client', required=True)
p.add_argument('--port', type=int, default=443); p.add_argument('--up', type=int, default=1000)
p.add_argument('--down', type=int, default=1000); p.add_argument('--marker', default='VPNCAP')
p = sub.add_parser('blast'); p.set_defaults(f=blast)
p.add_argument('--from', dest='frm', required=True); p.add_argument('--to', required=True)
p.add_argument('--port', type=int, default=500); p.add_argument('--count', type=int, default=4000)
p.add_argument('--size', type=int, default=1358)
p = sub.add_parser('tcx-egress'); p.set_defaults(f=tcx_egress)
p.add_argument('ns'); p.add_argument('ifname')
a = ap.parse_args()
a.f(a)
EOF

traffic() { "$LAB_PY" "$WORK/traffic.py" "$@"; }
# udp_echo PORT COUNT SIZES MARKER [v6] [SAVE]: GEN -> CAP, echoed back; prints replies.
udp_echo() {
	local s=$LAB_CAP,$CAP4 c=$LAB_GEN,$GEN4
	[ "${5:-}" = v6 ] && { s=$LAB_CAP,$CAP6; c=$LAB_GEN,$GEN6; }
	traffic udp-echo --server "$s" --client "$c" --port "$1" --count "$2" --sizes "$3" \
		--marker "$4" ${6:+--save "$6"}
}

# ---- checks ------------------------------------------------------------------

count() { # count FILE [DISPLAY FILTER]: frames; -1 if tshark fails (a bad filter too)
	local out
	out=$(tshark -r "$1" ${2:+-Y "$2"} 2>/dev/null) || { echo -1; return; }
	if [ -z "$out" ]; then echo 0; else printf '%s\n' "$out" | wc -l; fi
}
epbs() { "$DUMP" "$1" | grep -c "^EPB.*$2"; }
isb_num() { # isb_num FILE 'TEXT' -> the number after TEXT in the first ISB comment
	"$DUMP" "$1" | sed -n "/^ISB/{s/.*$2 \([0-9]*\).*/\1/p;q}"
}
# Sum of a numeric field over the frames a display filter selects.
field_sum() { # field_sum FILE FIELD FILTER
	tshark -r "$1" -Y "$3" -T fields -e "$2" 2>/dev/null | awk '{s += $1} END {print s + 0}'
}

xdp_on() { ip -n "$LAB_CAP" link show "$1" | grep -q 'prog/xdp'; }
# A program at TC egress: a tcx program, or a clsact filter on older kernels.
egress_on() {
	[ "$(traffic tcx-egress "$LAB_CAP" "$1")" != 0 ] ||
		tc -n "$LAB_CAP" filter show dev "$1" egress 2>/dev/null | grep -q .
}
nothing_left() { # nothing_left IF...: neither an XDP nor an egress program on any
	local i
	for i in "$@"; do
		xdp_on "$i" && return 1
		egress_on "$i" && return 1
	done
	return 0
}

# ---- cases -------------------------------------------------------------------

# Both directions while the host talks: every exchange completes, the file
# has exactly the matched frames, each in its direction from its hook.
case_both_directions() {
	local out=$WORK/both.pcapng log=$WORK/both.log rc r tcp sent
	start_capture "$log" -i "$LAB_CAP_IF" -w "$out" --mode inline ||
		{ fail "inline: did not start: $(cat "$log")"; return; }
	check "inline: says it captures both directions" grep -q "capturing on $LAB_CAP_IF (inline, both directions: xdp native, .*, tc egress" "$log"
	check "inline: XDP and egress programs attached" sh -c "ip -n '$LAB_CAP' link show '$LAB_CAP_IF' | grep -q prog/xdp && [ \"\$0\" != 0 ]" "$(traffic tcx-egress "$LAB_CAP" "$LAB_CAP_IF")"
	check "inline: ping (IPv4) works" ip netns exec "$LAB_GEN" ping -c 3 -i 0.2 -W 1 -q "$CAP4" >/dev/null
	check "inline: ping (IPv6) works" ip netns exec "$LAB_GEN" ping -6 -c 3 -i 0.2 -W 1 -q "$CAP6" >/dev/null
	r=$(udp_echo 500 6 60,1400,300 IKE500 v4 "$WORK/ike500.hex")
	check "inline: UDP 500 echo, 6 of 6 ($r)" [ "$r" = 6 ]
	r=$(udp_echo 4500 5 200,1350 NATT4500)
	check "inline: UDP 4500 echo, 5 of 5 ($r)" [ "$r" = 5 ]
	r=$(udp_echo 500 4 100,1400 IKE6 v6)
	check "inline: UDP 500 echo over IPv6, 4 of 4 ($r)" [ "$r" = 4 ]
	r=$(udp_echo 53 3 40 DNS)
	check "inline: UDP 53 (not matched) echo, 3 of 3 ($r)" [ "$r" = 3 ]
	tcp=$(traffic tcp --server "$LAB_CAP,$CAP4" --client "$LAB_GEN,$GEN4" --port 443 --up 3000 --down 200000 --marker SSTP443)
	check "inline: TCP 443 connection, 3000 bytes up and 200000 down, intact" [ "$tcp" = ok ]
	sleep 0.3
	stop_capture INT; rc=$?
	check "inline SIGINT: exit status 0" [ "$rc" -eq 0 ]
	check "inline SIGINT: no XDP program left" no_xdp_left
	check "inline SIGINT: no TC egress program left" sh -c "[ \"\$0\" = 0 ] && ! tc -n '$LAB_CAP' filter show dev '$LAB_CAP_IF' egress 2>/dev/null | grep -q ." "$(traffic tcx-egress "$LAB_CAP" "$LAB_CAP_IF")"
	check "inline: tshark opens the file" tshark -r "$out" -c 1 >/dev/null 2>&1

	# 15 UDP exchanges: 15 requests received, 15 replies transmitted.
	check "inline: 30 UDP frames ($(count "$out" udp))" [ "$(count "$out" udp)" -eq 30 ]
	check "inline: 15 UDP requests inbound, from the peer" [ "$(count "$out" "udp and frame.packet_flags_direction == 1 and (ip.src == $GEN4 or ipv6.src == $GEN6)")" -eq 15 ]
	check "inline: 15 UDP replies outbound, from the gateway" [ "$(count "$out" "udp and frame.packet_flags_direction == 2 and (ip.src == $CAP4 or ipv6.src == $CAP6)")" -eq 15 ]
	check "inline: per port and family: 12 on 500/IPv4, 10 on 4500, 8 on 500/IPv6" sh -c "[ $(count "$out" 'ip and udp.port == 500') -eq 12 ] && [ $(count "$out" 'udp.port == 4500') -eq 10 ] && [ $(count "$out" 'ipv6 and udp.port == 500') -eq 8 ]"
	check "inline: no frame in the wrong direction" [ "$(count "$out" "(frame.packet_flags_direction == 1 and (ip.src == $CAP4 or ipv6.src == $CAP6)) or (frame.packet_flags_direction == 2 and (ip.src == $GEN4 or ipv6.src == $GEN6))")" -eq 0 ]
	check "inline: nothing but UDP 500/4500 and TCP 443 (no DNS, ICMP, ARP, ND)" [ "$(count "$out" 'not (udp.port in {500, 4500} or tcp.port == 443)')" -eq 0 ]
	check "inline: received frames: XDP verdict XDP_PASS (verdict_type 2, verdict 2)" sh -c "[ $(epbs "$out" 'flags=0x1 ') -gt 0 ] && [ $(epbs "$out" 'flags=0x1 ') -eq $(epbs "$out" 'flags=0x1 .*verdict_type=2 verdict=2$') ]"
	check "inline: transmitted frames: TC verdict (verdict_type 1)" sh -c "[ $(epbs "$out" 'flags=0x2 ') -gt 0 ] && [ $(epbs "$out" 'flags=0x2 ') -eq $(epbs "$out" 'flags=0x2 .*verdict_type=1 ') ]"
	check "inline: every frame has a direction" [ "$(epbs "$out" '')" -eq "$(( $(epbs "$out" 'flags=0x1 ') + $(epbs "$out" 'flags=0x2 ') ))" ]

	sent=$(cat "$WORK/ike500.hex")
	check "inline: UDP 500 requests byte for byte as sent" [ "$(tshark -r "$out" -Y "ip and udp.port == 500 and frame.packet_flags_direction == 1" -T fields -e udp.payload 2>/dev/null)" = "$sent" ]
	check "inline: UDP 500 replies byte for byte as sent" [ "$(tshark -r "$out" -Y "ip and udp.port == 500 and frame.packet_flags_direction == 2" -T fields -e udp.payload 2>/dev/null)" = "$sent" ]
	check "inline: UDP frames whole (caplen = origlen = 42 + payload)" [ "$(count "$out" 'ip and udp and frame.cap_len == frame.len and frame.len == udp.length + 34')" -eq 22 ]
	check "inline: TCP 443 handshake seen both ways (SYN in, SYN-ACK out)" sh -c "[ $(count "$out" 'tcp.flags.syn == 1 and tcp.flags.ack == 0 and frame.packet_flags_direction == 1') -eq 1 ] && [ $(count "$out" 'tcp.flags.syn == 1 and tcp.flags.ack == 1 and frame.packet_flags_direction == 2') -eq 1 ]"
	check "inline: TCP 443 all 3000 bytes up captured inbound" [ "$(field_sum "$out" tcp.len 'tcp.dstport == 443 and frame.packet_flags_direction == 1 and not tcp.analysis.retransmission')" -eq 3000 ]
	check "inline: TCP 443 all 200000 bytes down captured outbound" [ "$(field_sum "$out" tcp.len 'tcp.srcport == 443 and frame.packet_flags_direction == 2 and not tcp.analysis.retransmission')" -eq 200000 ]
	check "inline: TCP payload starts with the marker" [ "$(count "$out" 'tcp contains "SSTP443-up-"')" -eq 1 ]
	check "inline: ISB received copies = inbound frames, egress copied = outbound frames" \
		sh -c "[ '$(isb_num "$out" 'received copies:')' = $(epbs "$out" 'flags=0x1 ') ] && [ '$(isb_num "$out" 'egress hook: seen [0-9]*, matched [0-9]*, copied')' = $(epbs "$out" 'flags=0x2 ') ]"
	check "inline: summary written = matched = frames in file, dropped 0" grep -q "^vpncap: summary: seen [0-9]*, matched $(count "$out"), written $(count "$out"), dropped 0" "$log"
	check "inline: IDB says inline" sh -c "'$DUMP' '$out' | grep '^IDB' | grep -q 'mode inline'"
}

# --mode auto: inline where there is an address, bypass where there is none,
# and inline once an address appears.
case_auto() {
	local out=$WORK/auto.pcapng log=$WORK/auto.log g2=ig2$$ c2=ic2$$ mac t0 t1 r rc
	ip -n "$LAB_GEN" link add "$g2" type veth peer name "$c2" netns "$LAB_CAP"
	ip -n "$LAB_GEN" addr add 198.18.6.2/24 dev "$g2"
	ip -n "$LAB_GEN" link set "$g2" up
	ip -n "$LAB_CAP" link set "$c2" up
	mac=$(ip -n "$LAB_CAP" -o link show "$c2" | sed -n 's/.*link\/ether \([0-9a-f:]*\).*/\1/p')
	# The peer can send to 198.18.6.1 before it exists (no ARP reply in bypass).
	ip -n "$LAB_GEN" neigh replace 198.18.6.1 lladdr "$mac" dev "$g2" nud permanent
	start_capture "$log" -i "$LAB_CAP_IF" -i "$c2" -w "$out" ||
		{ fail "auto: did not start: $(cat "$log")"; ip -n "$LAB_GEN" link del "$g2"; return; }
	check "auto: interface with an address: chose inline" grep -q "^vpncap: $LAB_CAP_IF: --mode auto chose inline" "$log"
	check "auto: interface without address: chose bypass" grep -q "^vpncap: $c2: --mode auto chose bypass" "$log"
	check "auto: bypass interface: XDP program, no egress program" sh -c "ip -n '$LAB_CAP' link show '$c2' | grep -q prog/xdp && [ \"\$0\" = 0 ]" "$(traffic tcx-egress "$LAB_CAP" "$c2")"
	r=$(udp_echo 4500 2 500 AUTOIN)
	check "auto: UDP 4500 echo on the inline interface, 2 of 2 ($r)" [ "$r" = 2 ]
	ip netns exec "$LAB_GEN" "$LAB_PY" -c "
import socket
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.bind(('198.18.6.2', 500))
for i in range(3): s.sendto(b'BYPASS-%d' % i, ('198.18.6.1', 500))"
	sleep 0.3
	t0=$(date +%s%N)
	ip -n "$LAB_CAP" addr add 198.18.6.1/24 dev "$c2"
	check "auto: address appears: switched to inline" wait_for_line "$log" "^vpncap: $c2: it has the address 198.18.6.1 now: --mode auto switched to inline"
	t1=$(date +%s%N)
	check "auto: switched within 2 s ($(( (t1 - t0) / 1000000 )) ms)" [ $(( (t1 - t0) / 1000000 )) -le 2000 ]
	check "auto: egress program attached after the switch" egress_on "$c2"
	r=$(traffic udp-echo --server "$LAB_CAP,198.18.6.1" --client "$LAB_GEN,198.18.6.2" --port 500 --count 4 --sizes 300 --marker SWITCHED)
	check "auto: after the switch, UDP 500 echo to the new address, 4 of 4 ($r)" [ "$r" = 4 ]
	sleep 0.3
	stop_capture INT; rc=$?
	check "auto: exit status 0" [ "$rc" -eq 0 ]
	check "auto: two IDBs" [ "$("$DUMP" "$out" | grep -c '^IDB')" -eq 2 ]
	check "auto: inline interface, 2 in and 2 out" sh -c "[ $(count "$out" 'frame.interface_id == 0 and frame.packet_flags_direction == 1') -eq 2 ] && [ $(count "$out" 'frame.interface_id == 0 and frame.packet_flags_direction == 2') -eq 2 ]"
	check "auto: before the address, 3 frames taken in bypass (XDP_REDIRECT)" [ "$(epbs "$out" 'if=1 .*flags=0x1 .*verdict_type=2 verdict=4$')" -eq 3 ]
	check "auto: after the switch, 4 requests in (XDP_PASS) and 4 replies out (TC)" sh -c "[ $(epbs "$out" 'if=1 .*flags=0x1 .*verdict_type=2 verdict=2$') -eq 4 ] && [ $(epbs "$out" 'if=1 .*flags=0x2 .*verdict_type=1 ') -eq 4 ]"
	check "auto: after the switch, the payloads are those sent" [ "$(count "$out" 'frame.interface_id == 1 and udp contains "SWITCHED-"')" -eq 8 ]
	check "auto: nothing left on either interface" nothing_left "$LAB_CAP_IF" "$c2"
	ip -n "$LAB_GEN" link del "$g2"
}

# A full kernel ring loses copies, never traffic: every datagram arrives, and
# what was not written is counted.
case_ring_full() {
	local out=$WORK/ring.pcapng log=$WORK/ring.log in_r out_r matched written dropped lost_in lost_out qfull
	start_capture "$log" -i "$LAB_CAP_IF" -w "$out" --mode inline --ring-size 64k ||
		{ fail "ring: did not start: $(cat "$log")"; return; }
	# Both hooks at once: 4000 frames of 1400 bytes in, 4000 out.
	traffic blast --from "$LAB_GEN,$GEN4" --to "$LAB_CAP,$CAP4" --port 500 --count 4000 --size 1358 >"$WORK/blast-in" &
	out_r=$(traffic blast --from "$LAB_CAP,$CAP4" --to "$LAB_GEN,$GEN4" --port 4500 --count 4000 --size 1358)
	wait $!
	in_r=$(cat "$WORK/blast-in")
	sleep 0.3
	stop_capture INT
	check "ring: every received datagram delivered ($in_r)" [ "$in_r" = "4000 4000" ]
	check "ring: every transmitted datagram delivered ($out_r)" [ "$out_r" = "4000 4000" ]
	matched=$(sed -n 's/^vpncap: summary: .* matched \([0-9]*\),.*/\1/p' "$log")
	written=$(sed -n 's/^vpncap: summary: .* written \([0-9]*\),.*/\1/p' "$log")
	dropped=$(sed -n 's/^vpncap: summary: .* dropped \([0-9]*\).*/\1/p' "$log")
	lost_in=$(isb_num "$out" 'received copies: [0-9]*, lost to a full ring')
	lost_out=$(isb_num "$out" 'egress hook: seen [0-9]*, matched [0-9]*, copied [0-9]*, lost to a full ring')
	qfull=$(isb_num "$out" 'writer queue full')
	check "ring: summary matched 8000 (${matched:-?})" [ "${matched:-0}" -eq 8000 ]
	check "ring: written + lost to a full ring + queue full = matched ($written + $lost_in + $lost_out + $qfull)" \
		[ $(( ${written:-0} + ${lost_in:-0} + ${lost_out:-0} + ${qfull:-0} )) -eq "${matched:-0}" ]
	check "ring: summary dropped = the copies lost ($dropped)" [ "${dropped:--1}" -eq $(( ${lost_in:-0} + ${lost_out:-0} + ${qfull:-0} )) ]
	check "ring: file holds what was written" [ "$(count "$out")" -eq "${written:--1}" ]
	echo "# ring of 64k: $((lost_in + lost_out)) of $matched copies lost to a full ring (received $lost_in, transmitted $lost_out), queue full $qfull"
}

case_snaplen() {
	local out=$WORK/snap.pcapng log=$WORK/snap.log r tcp
	start_capture "$log" -i "$LAB_CAP_IF" -w "$out" --mode inline -s 100 ||
		{ fail "snaplen: did not start: $(cat "$log")"; return; }
	r=$(udp_echo 500 8 20,58,200,1400 SNAP)          # frames of 62, 100, 242, 1442 bytes
	r=$r/$(udp_echo 4500 2 1000 SNAP6 v6)            # 1062 bytes
	tcp=$(traffic tcp --server "$LAB_CAP,$CAP4" --client "$LAB_GEN,$GEN4" --port 443 --up 2000 --down 100000 --marker SNAPTCP)
	sleep 0.3
	stop_capture INT
	check "snaplen: traffic intact ($r, $tcp)" [ "$r/$tcp" = "8/2/ok" ]
	check "snaplen: IDB snaplen 100" sh -c "'$DUMP' '$out' | grep -q '^IDB linktype=1 snaplen=100 '"
	check "snaplen: no frame longer than 100 bytes in the file" [ "$(count "$out" 'frame.cap_len > 100')" -eq 0 ]
	check "snaplen: short frames whole, both directions (4 each)" sh -c "[ $(count "$out" 'udp and frame.len <= 100 and frame.cap_len == frame.len and frame.packet_flags_direction == 1') -eq 4 ] && [ $(count "$out" 'udp and frame.len <= 100 and frame.cap_len == frame.len and frame.packet_flags_direction == 2') -eq 4 ]"
	check "snaplen: long UDP frames cut to 100 with their length, inbound (242, 1442, 1062)" sh -c "[ $(count "$out" 'frame.cap_len == 100 and frame.packet_flags_direction == 1 and frame.len in {242, 1442, 1062}') -eq 6 ]"
	check "snaplen: long UDP frames cut to 100 with their length, outbound" sh -c "[ $(count "$out" 'frame.cap_len == 100 and frame.packet_flags_direction == 2 and frame.len in {242, 1442, 1062}') -eq 6 ]"
	check "snaplen: TCP 443 down: all 100000 bytes accounted for in cut outbound frames" [ "$(field_sum "$out" tcp.len 'tcp.srcport == 443 and frame.packet_flags_direction == 2 and not tcp.analysis.retransmission')" -eq 100000 ]
	check "snaplen: TCP frames cut, not dropped (outbound data frames all 100 bytes)" [ "$(count "$out" 'tcp.srcport == 443 and tcp.len > 34 and frame.cap_len != 100')" -eq 0 ]
}

# A named filter added during the capture applies to both hooks.
case_filters() {
	local out=$WORK/filt.pcapng log=$WORK/filt.log r1 r2 r3 r4
	start_capture "$log" -i "$LAB_CAP_IF" -w "$out" --mode inline ||
		{ fail "filters: did not start: $(cat "$log")"; return; }
	r1=$(udp_echo 5000 3 100 BEFORE5000)
	r2=$(udp_echo 500 2 100 BEFORE500)
	"$VPNCAP" filter add Port5000 -t udp -p 5000 >/dev/null || fail "filters: filter add failed"
	check "filters: the capture applies the new filter" wait_for_line "$log" 'filters: now capturing Port5000: udp port 5000'
	r3=$(udp_echo 5000 4 700 AFTER5000)
	r4=$(udp_echo 500 2 100 LATER500)
	sleep 0.3
	stop_capture INT
	check "filters: traffic intact ($r1 $r2 $r3 $r4)" [ "$r1 $r2 $r3 $r4" = "3 2 4 2" ]
	check "filters: UDP 5000 not captured before the filter" [ "$(count "$out" 'udp contains "BEFORE5000"')" -eq 0 ]
	check "filters: UDP 5000 after: 4 in, 4 out" sh -c "[ $(count "$out" 'udp.port == 5000 and udp contains "AFTER5000" and frame.packet_flags_direction == 1') -eq 4 ] && [ $(count "$out" 'udp.port == 5000 and udp contains "AFTER5000" and frame.packet_flags_direction == 2') -eq 4 ]"
	check "filters: default rules before (UDP 500: 2 in, 2 out)" [ "$(count "$out" 'udp contains "BEFORE500"')" -eq 4 ]
	check "filters: named filters replace the default after (no UDP 500)" [ "$(count "$out" 'udp contains "LATER500"')" -eq 0 ]
	"$VPNCAP" filter remove --all >/dev/null
}

case_fileset() {
	local dir=$WORK/set log=$WORK/set.log r files f total=0 n in=0 outb=0
	start_capture "$log" -i "$LAB_CAP_IF" -w "$dir/" --rotate-size 64k --mode inline ||
		{ fail "file set: did not start: $(cat "$log")"; return; }
	r=$(udp_echo 500 60 1400 SET)
	sleep 0.3
	stop_capture INT
	check "file set: traffic intact ($r of 60)" [ "$r" = 60 ]
	mapfile -t files < <(find "$dir" -maxdepth 1 -type f -name "vpncap-$LAB_CAP_IF-*-*.pcapng" | sort)
	check "file set: rotated at least twice (${#files[@]} files)" [ "${#files[@]}" -ge 3 ]
	check "file set: no .part left" sh -c "! ls '$dir' | grep -q '\.part$'"
	check "file set: every file at most 64 KiB" sh -c "! find '$dir' -name 'vpncap-*.pcapng' -size +64k | grep -q ."
	for f in "${files[@]}"; do
		tshark -r "$f" >/dev/null 2>&1 || { fail "file set: $f does not open in tshark"; continue; }
		n=$(count "$f"); total=$((total + n))
		in=$((in + $(count "$f" 'frame.packet_flags_direction == 1')))
		outb=$((outb + $(count "$f" 'frame.packet_flags_direction == 2')))
	done
	check "file set: all files open, 120 frames over the set ($total)" [ "$total" -eq 120 ]
	check "file set: 60 in, 60 out ($in, $outb)" [ "$in/$outb" = 60/60 ]
}

case_refused() {
	local out=$WORK/refused.pcapng err rc
	err=$(lab_in_cap "$VPNCAP" capture -i "$LAB_CAP_IF" -w "$out" --mode inline --unmatched drop 2>&1); rc=$?
	check "--mode inline --unmatched drop: exit 2 ($rc)" [ "$rc" -eq 2 ]
	check "--mode inline --unmatched drop: one line naming --unmatched drop" sh -c "[ \$(printf '%s\n' \"\$0\" | wc -l) -eq 1 ] && printf '%s' \"\$0\" | grep -q -- '--unmatched drop'" "$err"
	check "refused: no file" [ ! -e "$out" ]
	check "refused: no program attached" nothing_left "$LAB_CAP_IF"
}

# kill -9 leaves no vpncap to clean up: the host's traffic must go on, and
# the next vpncap must start, capture and leave nothing behind.
case_kill9() {
	local out=$WORK/k9.pcapng log=$WORK/k9.log log2=$WORK/k9b.log r rc
	start_capture "$log" -i "$LAB_CAP_IF" -w "$out" --mode inline ||
		{ fail "kill -9: did not start: $(cat "$log")"; return; }
	udp_echo 500 3 100 K9A >/dev/null
	kill -9 "$VPNCAP_PID"; wait "$VPNCAP_PID" 2>/dev/null; VPNCAP_PID=
	r=$(udp_echo 500 3 100 K9ORPHAN)
	check "kill -9: traffic goes on with whatever is left attached ($r of 3)" [ "$r" = 3 ]
	check "kill -9: ping goes on" ip netns exec "$LAB_GEN" ping -c 2 -i 0.2 -W 1 -q "$CAP4" >/dev/null
	echo "# kill -9 left: $(xdp_on "$LAB_CAP_IF" && echo 'an XDP program' || echo 'no XDP program'), $(egress_on "$LAB_CAP_IF" && echo 'an egress program' || echo 'no egress program')"
	if start_capture "$log2" -i "$LAB_CAP_IF" -w "$out" --mode inline; then
		ok "kill -9: a new vpncap starts on the interface"
	else
		fail "kill -9: a new vpncap starts on the interface: $(cat "$log2")"; return
	fi
	r=$(udp_echo 500 3 100 K9B)
	sleep 0.3
	stop_capture INT; rc=$?
	check "kill -9: restarted capture: traffic intact ($r of 3), exit 0" [ "$r/$rc" = 3/0 ]
	check "kill -9: restarted capture: 3 in, 3 out" sh -c "[ $(count "$out" 'udp contains "K9B" and frame.packet_flags_direction == 1') -eq 3 ] && [ $(count "$out" 'udp contains "K9B" and frame.packet_flags_direction == 2') -eq 3 ]"
	check "kill -9: after the clean exit, no XDP or egress program left" nothing_left "$LAB_CAP_IF"
}

inline_lab_up || { echo "not ok - could not build the lab"; exit 1; }
case_both_directions
case_auto
case_ring_full
case_snaplen
case_filters
case_fileset
case_refused
case_kill9

e2e_finish
