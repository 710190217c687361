#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only
#
# End-to-end: `vpncap report` on real failing VPN traffic, captured by vpncap
# on two gateways (issue 19, requirement 6).
# usage: report_failures.sh PATH/TO/vpncap PATH/TO/pcapng_dump
#
# Every namespace has one veth into a bridge namespace (one /24):
#   GW1 198.18.0.1   strongSwan responder (PSK; lo 198.18.10.1 tunnelled);
#                    TCP 443 (lb_server.py): TLS and plain HTTP answering 401;
#                    fails C4, C10, C11 and C12 on purpose
#   GW2 198.18.0.2   strongSwan responder that only takes aes256 (no match);
#                    TCP 443: closed first, then TLS answering 503
#       198.18.0.3   DEAD: not GW2's, but sent to GW2's MAC; GW2 drops it
#   CL  198.18.0.11  C1  IKEv2 to GW1 with a wrong PSK (IKE_AUTH fails), twice
#       198.18.0.12  C2  IKEv2 to GW2: NO_PROPOSAL_CHOSEN at IKE_SA_INIT, twice
#       198.18.0.13  C3  IKEv2 to GW1, tunnel up, ping through it
#       198.18.0.14  C4  sstpc to GW1, reset after its ClientHello, 4 times
#       198.18.0.15  C5  sstpc to GW2 while nothing listens (RST to SYN), 3 times
#       198.18.0.31  C7  IKEv2 to DEAD: IKE_SA_INIT never answered
#       198.18.0.33  C9  sstpc to DEAD:443: SYNs never answered, twice
#       198.18.0.34  C10 sstpc to GW1: TLS alert (no shared cipher), twice
#       198.18.0.35  C11 openssl s_client to GW1: TLS, sstpc's SSTP request, no
#                        answer (3 s)
#       198.18.0.36  C12 sstpc to GW1: TLS, then closed by GW1, twice
#   SP  198.18.0.16  C6  IKE_SA_INIT to GW1:500, IKE_AUTH to GW2:4500 (split)
#       198.18.0.32  C8  IKE_SA_INIT to GW1:500, IKE_AUTH to GW1:4500, which
#                        GW1 drops (integrity check): no IKE_AUTH response
#   PR  198.18.0.21  P1  HTTPS GET /sra_{...}/ to both gateways, every 0.5 s
#       198.18.0.22  P2  the same in clear HTTP to GW1:443 (TLS offloaded)
#       198.18.0.23  P3  TCP connect and close to GW1's 443, every 0.5 s
# C6 and C8 are crafted (ike_split.py); the other clients are strongSwan
# (charon, kernel-libipsec: IKE_AUTH and ESP on UDP 4500) and sstpc.
# vpncap captures inline on each gateway's interface (default rules: UDP
# 500/4500, TCP 443) into one directory per gateway. The script checks with
# tshark that each failure is on the wire, then runs `vpncap report` (JSON and
# text) on both directories, checks what it says about each client and prober,
# and compares a normalized JSON with tests/golden/report_failures.json
# (VPNCAP_UPDATE_GOLDEN=1 rewrites it). FAILCAPS=DIR copies the capture
# directories and a README there; RF_TCPDUMP=1 adds tcpdump's files of the
# same interfaces. Every process and namespace is removed on exit.
set -u
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"
e2e_init report-failures "$1" "$2"
trap 'exit 130' INT
trap 'exit 143' TERM HUP
export VPNCAP_CONFIG_DIR=$WORK/etc # no named filters: the default rules
mkdir -p "$VPNCAP_CONFIG_DIR"
GOLDEN=$HERE/../golden/report_failures.json

ID=$(printf '%04x%04x' $$ $RANDOM | tail -c 6)
NS_BR=vpncap-rfb-$ID
NS_GW1=vpncap-rf1-$ID
NS_GW2=vpncap-rf2-$ID
NS_CL=vpncap-rfc-$ID
NS_SP=vpncap-rfs-$ID
NS_PR=vpncap-rfp-$ID
ALL_NS=("$NS_GW1" "$NS_GW2" "$NS_CL" "$NS_SP" "$NS_PR" "$NS_BR")
GW1_IF=g1$ID
GW2_IF=g2$ID
GW1=198.18.0.1
GW2=198.18.0.2
C1=198.18.0.11
C2=198.18.0.12
C3=198.18.0.13
C4=198.18.0.14
C5=198.18.0.15
C6=198.18.0.16
C7=198.18.0.31  # IKEv2 to DEAD: no IKE_SA_INIT response
C8=198.18.0.32  # IKE_SA_INIT answered by GW1, IKE_AUTH dropped by GW1
C9=198.18.0.33  # SSTP to DEAD: SYNs unanswered
C10=198.18.0.34 # SSTP to GW1: TLS alert (no shared cipher)
C11=198.18.0.35 # SSTP to GW1: TLS, request, no answer
C12=198.18.0.36 # SSTP to GW1: TLS, then closed before any answer
# Sent to GW2's MAC (a static neighbour) but not GW2's address: GW2, which
# does not forward, drops it without a word, as a backend behind a load
# balancer that no longer serves the address.
DEAD=198.18.0.3
P1=198.18.0.21
P2=198.18.0.22
P3=198.18.0.23
GW1_NET=198.18.10.1 # on GW1's lo, tunnelled
C3_NET=198.18.20.3  # on CL's lo, C3's side of the tunnel
SRA_PATH='/sra_{BA195980-CD49-458b-9E23-C84EE0ADCD75}/'
C1_TRIES=2
C2_TRIES=2
C4_TRIES=4
C5_TRIES=3
C9_TRIES=2
C10_TRIES=2
C12_TRIES=2
PROBES=8
DIR_GW1=$WORK/caps/gw1 # a file set per gateway
DIR_GW2=$WORK/caps/gw2
PIDS=()    # background processes we started (not the captures)
TCPDUMP_PIDS=()
CAP1_PID=
CAP2_PID=

# ---- cleanup ---------------------------------------------------------------

rf_cleanup() {
	local pid
	for pid in $CAP1_PID $CAP2_PID; do
		kill -9 "$pid" 2>/dev/null
		wait "$pid" 2>/dev/null
	done
	CAP1_PID='' CAP2_PID=''
	stop_pids "${PIDS[@]}"
	netns_remove "${ALL_NS[@]}"
}
e2e_on_exit rf_cleanup

# ---- helpers ---------------------------------------------------------------

count() { # count DIR|FILE [DISPLAY FILTER]: frames of a capture (all files of a DIR)
	local f n=0
	for f in $(capture_files "$1"); do
		n=$((n + $(tshark -r "$f" ${2:+-Y "$2"} 2>/dev/null | wc -l)))
	done
	echo "$n"
}

# first_field DIR FILTER FIELD: FIELD of the first matching frame (of the
# first file), or 999999.
first_field() {
	local n
	n=$(tshark -r "$(capture_files "$1" | head -n 1)" -Y "$2" -T fields -e "$3" 2>/dev/null | head -n 1)
	echo "${n:-999999}"
}

first_frame() { first_field "$1" "$2" frame.number; } # first_frame DIR FILTER

capture_files() { # capture_files DIR|FILE
	if [ -d "$1" ]; then
		find "$1" -maxdepth 1 -name 'vpncap-*.pcapng*' ! -name '*.part' | sort
	else
		echo "$1"
	fi
}

# veth_to_bridge NS IF ADDR...: a veth from NS into the bridge, with ADDRs /24.
veth_to_bridge() {
	local ns=$1 ifname=$2 a; shift 2
	ip -n "$NS_BR" link add "b$ifname" type veth peer name "$ifname" netns "$ns" || return 1
	ip -n "$NS_BR" link set "b$ifname" master br0 up || return 1
	for a in "$@"; do
		ip -n "$ns" addr add "$a/24" dev "$ifname" || return 1
	done
	ip -n "$ns" link set "$ifname" up
}

mac_of() { # mac_of NS IF
	ip -n "$1" -o link show "$2" | sed -n 's/.*link\/ether \([0-9a-f:]*\).*/\1/p'
}

netns_up() {
	local ns
	for ns in "${ALL_NS[@]}"; do
		ip netns add "$ns" || return 1
		# IPv4 only: no router solicitations, DAD or MLD reports.
		ip netns exec "$ns" sysctl -qw net.ipv6.conf.all.disable_ipv6=1 \
			net.ipv6.conf.default.disable_ipv6=1 || return 1
		ip -n "$ns" link set lo up || return 1
	done
	ip -n "$NS_BR" link add br0 type bridge stp_state 0 forward_delay 0 || return 1
	ip -n "$NS_BR" link set br0 up || return 1
	veth_to_bridge "$NS_GW1" "$GW1_IF" "$GW1" || return 1
	veth_to_bridge "$NS_GW2" "$GW2_IF" "$GW2" || return 1
	veth_to_bridge "$NS_CL" "cl$ID" "$C1" "$C2" "$C3" "$C4" "$C5" "$C7" "$C9" "$C10" "$C11" "$C12" || return 1
	veth_to_bridge "$NS_SP" "sp$ID" "$C6" "$C8" || return 1
	veth_to_bridge "$NS_PR" "pr$ID" "$P1" "$P2" "$P3" || return 1
	# sstpc cannot choose its source address: the route to each gateway does.
	ip -n "$NS_CL" route add "$GW1/32" dev "cl$ID" src "$C4" || return 1
	ip -n "$NS_CL" route add "$GW2/32" dev "cl$ID" src "$C5" || return 1
	ip -n "$NS_CL" route add "$DEAD/32" dev "cl$ID" src "$C9" || return 1
	ip -n "$NS_CL" neigh add "$DEAD" lladdr "$(mac_of "$NS_GW2" "$GW2_IF")" dev "cl$ID" nud permanent || return 1
	ip netns exec "$NS_GW2" sysctl -qw net.ipv4.ip_forward=0 || return 1
	# The tunnelled subnets live on lo (there are no dummy links here).
	ip -n "$NS_GW1" addr add "$GW1_NET/32" dev lo || return 1
	ip -n "$NS_CL" addr add "$C3_NET/32" dev lo || return 1
}

# start_gw_capture NS IF DIR LOG: vpncap inline on a gateway's interface into
# a file set in DIR, in the background, until it says it is capturing. Sets
# CAP_PID (`ip netns exec` execs: the pid is vpncap's).
start_gw_capture() {
	local ns=$1 ifname=$2 dir=$3 log=$4
	mkdir -p "$dir"
	ip netns exec "$ns" "$VPNCAP" capture -i "$ifname" --mode inline -w "$dir/" >"$log" 2>&1 &
	CAP_PID=$!
	for _ in $(seq 1 100); do
		grep -q 'capturing on' "$log" 2>/dev/null && return 0
		kill -0 "$CAP_PID" 2>/dev/null || break
		sleep 0.1
	done
	return 1
}

# RF_TCPDUMP=1: tcpdump too on each gateway's interface, into WORK (and
# FAILCAPS), to compare with vpncap's files by hand.
tcpdump_start() { # tcpdump_start NS IF FILE
	[ -n "${RF_TCPDUMP:-}" ] || return 0
	ip netns exec "$1" tcpdump --immediate-mode -U -i "$2" -w "$3" \
		'udp port 500 or udp port 4500 or tcp port 443' 2>"$3.log" &
	PIDS+=($!)
	TCPDUMP_PIDS+=($!)
	wait_for_line "$3.log" 'listening on'
}

stop_gw_capture() { # stop_gw_capture PID: SIGINT, then its exit status
	kill -INT "$1" 2>/dev/null
	wait "$1"
}

# ---- strongSwan ------------------------------------------------------------

ns_of() { # ns_of SIDE
	case $1 in gw1) echo "$NS_GW1" ;; gw2) echo "$NS_GW2" ;; cl) echo "$NS_CL" ;; esac
}

# swan_dirs SIDE: that charon's directories and strongswan.conf.
swan_dirs() {
	local d=$WORK/$1
	swan_base "$d" 0.5
}

# conn NAME LOCAL_ADDRS REMOTE_ADDRS LOCAL_ID REMOTE_ID PROPOSALS LOCAL_TS REMOTE_TS
conn() {
	cat <<-EOF
		$1 {
			version = 2
			local_addrs = $2
			remote_addrs = $3
			proposals = $6
			keyingtries = 1
			local {
				auth = psk
				id = $4
			}
			remote {
				auth = psk
				id = $5
			}
			children {
				net {
					local_ts = $7
					remote_ts = $8
					esp_proposals = aes128-sha256
				}
			}
		}
	EOF
}

secret() { # secret NAME ID_A ID_B PSK
	printf '%s {\n\tid-a = %s\n\tid-b = %s\n\tsecret = "%s"\n}\n' "$@"
}

swan_configs() {
	local psk1 psk3 p=aes128-sha256-modp2048
	psk1=$(openssl rand -hex 24) && psk3=$(openssl rand -hex 24) || return 1
	swan_dirs gw1
	swan_dirs gw2
	swan_dirs cl
	{
		echo 'connections {'
		conn clients "$GW1" %any gw1.vpncap.test %any "$p" 198.18.10.0/24 198.18.20.0/24
		echo '}'
		echo 'secrets {'
		secret ike-c1 gw1.vpncap.test c1.vpncap.test "$psk1"
		secret ike-c3 gw1.vpncap.test c3.vpncap.test "$psk3"
		echo '}'
	} >"$WORK/gw1/swanctl/swanctl.conf"
	# GW2 takes only aes256-sha512-modp3072: C2 offers none of it.
	{
		echo 'connections {'
		conn clients "$GW2" %any gw2.vpncap.test %any aes256-sha512-modp3072 198.18.10.0/24 198.18.20.0/24
		echo '}'
	} >"$WORK/gw2/swanctl/swanctl.conf"
	{
		echo 'connections {'
		conn c1 "$C1" "$GW1" c1.vpncap.test gw1.vpncap.test "$p" 198.18.20.1/32 198.18.10.0/24
		conn c2 "$C2" "$GW2" c2.vpncap.test gw2.vpncap.test "$p" 198.18.20.2/32 198.18.10.0/24
		conn c3 "$C3" "$GW1" c3.vpncap.test gw1.vpncap.test "$p" "$C3_NET/32" 198.18.10.0/24
		conn c7 "$C7" "$DEAD" c7.vpncap.test gw2.vpncap.test "$p" 198.18.20.7/32 198.18.10.0/24
		echo '}'
		echo 'secrets {'
		# C1's key is not GW1's.
		secret ike-c1 gw1.vpncap.test c1.vpncap.test "wrong-$psk1"
		secret ike-c2 gw2.vpncap.test c2.vpncap.test "$psk1"
		secret ike-c3 gw1.vpncap.test c3.vpncap.test "$psk3"
		echo '}'
	} >"$WORK/cl/swanctl/swanctl.conf"
}

# swan SIDE ARGS...: swanctl against that side's charon, at most 20 s.
swan() {
	local side=$1; shift
	STRONGSWAN_CONF=$WORK/$side/strongswan.conf ip netns exec "$(ns_of "$side")" \
		timeout 20 swanctl "$@" --uri "unix://$WORK/$side/charon.vici"
}

# charon_start SIDE: charon in that side's namespace, in a private mount
# namespace with its own /run (its pid file path is compiled in); then its
# configuration loaded.
charon_start() {
	local side=$1 d=$WORK/$1 pid ok=
	# shellcheck disable=SC2016 # $1 is for sh
	STRONGSWAN_CONF=$d/strongswan.conf ip netns exec "$(ns_of "$side")" \
		unshare --mount --propagation private \
		sh -c 'mount --bind "$1" /run && exec /usr/lib/ipsec/charon' charon "$d/run" \
		>"$d/charon.out" 2>&1 &
	pid=$!
	PIDS+=("$pid")
	for _ in $(seq 1 100); do
		[ -S "$d/charon.vici" ] && swan "$side" --stats >/dev/null 2>&1 && ok=1 && break
		kill -0 "$pid" 2>/dev/null || break
		sleep 0.1
	done
	[ -n "$ok" ] || return 1
	swan "$side" --load-all --noprompt --file "$d/swanctl/swanctl.conf" >"$d/load.log" 2>&1
}

# ---- TCP 443 servers and probers -------------------------------------------

# lb_server_start NS ADDR STATUS LOG [PEER=MODE...]: lb_server.py on ADDR:443.
lb_server_start() {
	local ns=$1 addr=$2 status=$3 log=$4; shift 4
	ip netns exec "$ns" "$LAB_PY" "$HERE/lb_server.py" "$addr" "$status" \
		"$WORK/tls-cert.pem" "$WORK/tls-key.pem" "$@" >"$log" 2>&1 &
	PIDS+=($!)
	wait_for_line "$log" '^listening'
}

# probe_https SRC DST: one HTTPS GET of the SSTP path; prints the status.
probe_https() {
	ip netns exec "$NS_PR" curl -sk -g --max-time 3 --interface "$1" -o /dev/null \
		-w '%{http_code}\n' "https://$2$SRA_PATH"
}

probe_http() { # probe_http SRC DST: the same in clear, to port 443
	ip netns exec "$NS_PR" curl -s -g --max-time 3 --interface "$1" -o /dev/null \
		-w '%{http_code}\n' "http://$2:443$SRA_PATH"
}

probe_tcp() { # probe_tcp SRC DST: connect to 443 and close, no data
	ip netns exec "$NS_PR" "$LAB_PY" -c '
import socket, sys
s = socket.socket()
s.settimeout(3)
s.bind((sys.argv[1], 0))
s.connect((sys.argv[2], 443))
s.close()
print("open")
' "$1" "$2" 2>/dev/null || echo closed
}

# probers: P1, P2 and P3 at their interval, in the background of the
# caller; their answers in $WORK/probe-*.log.
probers() {
	local i
	for i in $(seq 1 "$PROBES"); do
		probe_https "$P1" "$GW1" >>"$WORK/probe-p1-gw1.log" &
		probe_https "$P1" "$GW2" >>"$WORK/probe-p1-gw2.log" &
		probe_http "$P2" "$GW1" >>"$WORK/probe-p2-gw1.log" &
		probe_http "$P2" "$GW2" >>"$WORK/probe-p2-gw2.log" &
		probe_tcp "$P3" "$GW1" >>"$WORK/probe-p3-gw1.log" &
		sleep 0.5
	done
	wait
}

# sstp_tries SRC DST N LOG [SECS]: sstpc N times, each for at most SECS
# (default 8), 0.3 s, 0.6 s, 0.9 s... apart, as a user trying again: no
# regular interval that would make them look like probes. sstpc cannot
# choose its source address: the route to DST does (SRC is for the reader).
sstp_tries() {
	local dst=$2 n=$3 log=$4 secs=${5:-8} i
	for i in $(seq 1 "$n"); do
		{
			echo "# try $i"
			timeout "$secs" ip netns exec "$NS_CL" sstpc --cert-warn --log-stderr --log-level 4 \
				--user vpncap --password vpncap "$dst" noauth nodefaultroute 2>&1
			echo "# status $?"
		} >>"$log"
		[ "$i" -lt "$n" ] && sleep "0.$((3 * i))"
	done
	return 0
}

# sstp_request_hold DST SECS: TLS to DST:443, sstpc's SSTP_DUPLEX_POST, then
# wait SECS for an answer that does not come, and close. sstpc itself does
# that only 4 times in 5: its event loop sometimes ends at once after the
# request (sstp-client 1.0.18).
sstp_request_hold() {
	{
		printf 'SSTP_DUPLEX_POST %s HTTP/1.1\r\n' "$SRA_PATH"
		printf 'SSTPCORRELATIONID: {%s}\r\n' 5D6D4D1C-0B1E-4C3B-9E35-2A4E3F4B5C6D
		printf 'Content-Length: 18446744073709551615\r\nHost: %s\r\n\r\n' "$1"
		sleep "$2"
	} | timeout $(($2 + 3)) ip netns exec "$NS_CL" openssl s_client -connect "$1:443" -quiet -no_ign_eof
}

# ---- the scenarios ---------------------------------------------------------

# e. C5: SSTP to GW2 while nothing listens on 443 there.
scenario_sstp_refused() {
	sstp_tries C5 "$GW2" "$C5_TRIES" "$WORK/sstpc-c5.log"
	check "C5: sstpc to GW2 failed each time, connection refused" \
		sh -c "[ \$(grep -c '^# status 0' '$WORK/sstpc-c5.log') -eq 0 ] && [ \$(grep -c '^# status 124' '$WORK/sstpc-c5.log') -eq 0 ]"
}

# a, b, c: IKEv2 clients C1 (wrong PSK), C2 (no proposal), C3 (good).
scenario_ikev2() {
	local i
	for i in $(seq 1 "$C1_TRIES"); do
		swan cl --initiate --ike c1 --child net --timeout 10 >>"$WORK/cl/initiate-c1.log" 2>&1
	done
	checkl "$WORK/cl/initiate-c1.log" "C1: IKE_AUTH failed (AUTHENTICATION_FAILED), $C1_TRIES times" \
		sh -c "[ \$(grep -c 'received AUTHENTICATION_FAILED notify error' '$WORK/cl/initiate-c1.log') -eq $C1_TRIES ]"
	for i in $(seq 1 "$C2_TRIES"); do
		swan cl --initiate --ike c2 --child net --timeout 10 >>"$WORK/cl/initiate-c2.log" 2>&1
	done
	checkl "$WORK/cl/initiate-c2.log" "C2: IKE_SA_INIT answered NO_PROPOSAL_CHOSEN, $C2_TRIES times" \
		sh -c "[ \$(grep -c 'received NO_PROPOSAL_CHOSEN notify error' '$WORK/cl/initiate-c2.log') -eq $C2_TRIES ]"
	swan cl --initiate --ike c3 --child net --timeout 10 >"$WORK/cl/initiate-c3.log" 2>&1
	checkl "$WORK/cl/initiate-c3.log $WORK/gw1/charon.log" "C3: swanctl --initiate succeeds" \
		grep -q 'initiate completed successfully' "$WORK/cl/initiate-c3.log"
	checkl "$WORK/ping-c3.log" "C3: ping through the tunnel" \
		sh -c "ip netns exec '$NS_CL' ping -c 3 -i 0.2 -W 2 -I '$C3_NET' '$GW1_NET' >'$WORK/ping-c3.log' 2>&1"
}

# gw1_sstp ADDR: the source of sstpc's next connections to GW1.
gw1_sstp() { ip -n "$NS_CL" route replace "$GW1/32" dev "cl$ID" src "$1"; }

# server_said PEER TEXT N: GW1's TCP 443 server logged N such connections.
# (up to 2 s: it logs a connection once it has ended).
server_said() {
	for _ in $(seq 1 20); do
		[ "$(grep -c "^$1 $2" "$WORK/lb-gw1.log")" -eq "$3" ] && return 0
		sleep 0.1
	done
	return 1
}

# d. C4: SSTP to GW1, whose server resets after the ClientHello; then the
# other ways GW1's server fails SSTP clients, each from its own address.
scenario_sstp_gw1() {
	gw1_sstp "$C4"
	sstp_tries C4 "$GW1" "$C4_TRIES" "$WORK/sstpc-c4.log"
	check "C4: GW1's server reset $C4_TRIES connections from C4" server_said "$C4" reset "$C4_TRIES"
	gw1_sstp "$C10"
	sstp_tries C10 "$GW1" "$C10_TRIES" "$WORK/sstpc-c10.log"
	check "C10: GW1's server refused $C10_TRIES TLS handshakes from C10 (no shared cipher)" \
		server_said "$C10" "alert (NO_SHARED_CIPHER)" "$C10_TRIES"
	gw1_sstp "$C11"
	sstp_request_hold "$GW1" 3 >"$WORK/sstp-c11.log" 2>&1
	check "C11: GW1's server read C11's SSTP request and never answered" \
		server_said "$C11" "silent after SSTP_DUPLEX_POST" 1
	gw1_sstp "$C12"
	sstp_tries C12 "$GW1" "$C12_TRIES" "$WORK/sstpc-c12.log"
	check "C12: GW1's server closed $C12_TRIES connections from C12 after the TLS handshake" \
		server_said "$C12" "closed after the TLS handshake" "$C12_TRIES"
	gw1_sstp "$C4"
}

# C7 and C9, in the background: what DEAD never answers. C7's charon tries
# 3 times (retransmit_tries 2), C9's SYNs are retransmitted by the kernel.
scenario_dead_start() {
	swan cl --initiate --ike c7 --child net --timeout 10 >"$WORK/cl/initiate-c7.log" 2>&1 &
	DEAD_PIDS=($!)
	sstp_tries C9 "$DEAD" "$C9_TRIES" "$WORK/sstpc-c9.log" 3.5 &
	DEAD_PIDS+=($!)
	PIDS+=("${DEAD_PIDS[@]}")
}

scenario_dead_check() {
	wait "${DEAD_PIDS[@]}"
	checkl "$WORK/cl/initiate-c7.log" "C7: IKE_SA_INIT to $DEAD never answered, charon gave up" \
		sh -c "grep -q 'giving up after 2 retransmits' '$WORK/cl/initiate-c7.log' && ! grep -q 'completed successfully' '$WORK/cl/initiate-c7.log'"
	checkl "$WORK/sstpc-c9.log" "C9: each sstpc to $DEAD:443 timed out connecting ($C9_TRIES)" \
		[ "$(grep -c '^# status 124' "$WORK/sstpc-c9.log")" -eq "$C9_TRIES" ]
}

# g. C6: IKE_SA_INIT to GW1, IKE_AUTH to GW2. C8: both to GW1, whose
# charon drops the IKE_AUTH (its integrity check fails): no response.
scenario_ike_split() {
	checkl "$WORK/split.log" "C6: GW1 answered the IKE_SA_INIT; IKE_AUTH sent to GW2" \
		sh -c "ip netns exec '$NS_SP' '$LAB_PY' '$HERE/ike_split.py' '$C6' '$GW1' '$GW2' >'$WORK/split.log' 2>&1"
	checkl "$WORK/noauth.log" "C8: GW1 answered the IKE_SA_INIT; IKE_AUTH sent to GW1 too" \
		sh -c "ip netns exec '$NS_SP' '$LAB_PY' '$HERE/ike_split.py' '$C8' '$GW1' '$GW1' >'$WORK/noauth.log' 2>&1"
}

# ---- what the wire shows (tshark on vpncap's files) --------------------------

wire_checks() {
	local g1=$DIR_GW1 g2=$DIR_GW2 n
	check "files: vpncap wrote a file set in each gateway's directory" \
		[ -n "$(capture_files "$g1")" -a -n "$(capture_files "$g2")" ]
	# a. C1: IKE_SA_INIT answered, IKE_AUTH answered by a short error (no IDr/AUTH).
	check "wire C1: $C1_TRIES IKE_SA_INIT exchanges with GW1 (request and response)" \
		sh -c "[ $(count "$g1" "isakmp.exchangetype==34 && ip.src==$C1") -eq $C1_TRIES ] && [ $(count "$g1" "isakmp.exchangetype==34 && ip.dst==$C1") -eq $C1_TRIES ]"
	n=$(count "$g1" "isakmp.exchangetype==35 && ip.dst==$C1 && udp.length < 120")
	check "wire C1: $C1_TRIES IKE_AUTH responses, all short (an encrypted AUTHENTICATION_FAILED) ($n)" \
		sh -c "[ $n -eq $C1_TRIES ] && [ $(count "$g1" "isakmp.exchangetype==35 && ip.dst==$C1") -eq $C1_TRIES ]"
	check "wire C1: no ESP for C1" [ "$(count "$g1" "esp && ip.addr==$C1")" -eq 0 ]
	# b. C2: NO_PROPOSAL_CHOSEN in clear in the IKE_SA_INIT response.
	check "wire C2: GW2 answered each IKE_SA_INIT with NO_PROPOSAL_CHOSEN (notify 14)" \
		[ "$(count "$g2" "isakmp.exchangetype==34 && ip.dst==$C2 && isakmp.notify.msgtype==14")" -eq "$C2_TRIES" ]
	check "wire C2: nothing on UDP 4500 for C2" [ "$(count "$g2" "udp.port==4500 && ip.addr==$C2")" -eq 0 ]
	# c. C3: a whole handshake, ESP both ways.
	check "wire C3: IKE_AUTH request and response, then ESP both ways" \
		sh -c "[ $(count "$g1" "isakmp.exchangetype==35 && ip.src==$C3") -eq 1 ] && [ $(count "$g1" "isakmp.exchangetype==35 && ip.dst==$C3") -eq 1 ] && [ $(count "$g1" "esp && ip.src==$C3") -ge 3 ] && [ $(count "$g1" "esp && ip.dst==$C3") -ge 3 ]"
	# d. C4: ClientHello, then a RST from GW1, each time.
	check "wire C4: $C4_TRIES ClientHellos to GW1, $C4_TRIES RSTs from GW1, no ServerHello" \
		sh -c "[ $(count "$g1" "tls.handshake.type==1 && ip.src==$C4") -eq $C4_TRIES ] && [ $(count "$g1" "tcp.flags.reset==1 && ip.src==$GW1 && ip.dst==$C4") -eq $C4_TRIES ] && [ $(count "$g1" "tls.handshake.type==2 && ip.dst==$C4") -eq 0 ]"
	# e. C5: SYN, RST-ACK, no handshake.
	check "wire C5: $C5_TRIES SYNs to GW2:443 or more, each answered by RST, no SYN-ACK" \
		sh -c "[ $(count "$g2" "tcp.flags.syn==1 && tcp.flags.ack==0 && ip.src==$C5") -ge $C5_TRIES ] && [ $(count "$g2" "tcp.flags.reset==1 && ip.dst==$C5") -eq $(count "$g2" "tcp.flags.syn==1 && tcp.flags.ack==0 && ip.src==$C5") ] && [ $(count "$g2" "tcp.flags.syn==1 && tcp.flags.ack==1 && ip.dst==$C5") -eq 0 ]"
	# f. probers.
	check "wire P1: $PROBES TLS handshakes to each gateway" \
		sh -c "[ $(count "$g1" "tls.handshake.type==1 && ip.src==$P1") -eq $PROBES ] && [ $(count "$g2" "tls.handshake.type==1 && ip.src==$P1") -eq $PROBES ]"
	check "wire P2: $PROBES clear HTTP GETs of the SSTP path to GW1:443, answered 401" \
		sh -c "[ $(count "$g1" "http.request.method==\"GET\" && ip.src==$P2 && http.request.uri contains \"sra_\"") -eq $PROBES ] && [ $(count "$g1" "http.response.code==401 && ip.dst==$P2") -eq $PROBES ]"
	check "wire P2: $PROBES clear HTTP GETs of the SSTP path to GW2:443, answered 503" \
		sh -c "[ $(count "$g2" "http.request.method==\"GET\" && ip.src==$P2 && http.request.uri contains \"sra_\"") -eq $PROBES ] && [ $(count "$g2" "http.response.code==503 && ip.dst==$P2") -eq $PROBES ]"
	check "wire P3: $PROBES TCP connects to GW1, no payload either way, none to GW2" \
		sh -c "[ $(count "$g1" "tcp.flags.syn==1 && tcp.flags.ack==0 && ip.src==$P3") -eq $PROBES ] && [ $(count "$g1" "tcp.len>0 && ip.addr==$P3") -eq 0 ] && [ $(count "$g2" "ip.addr==$P3") -eq 0 ]"
	check "wire: the HTTPS and HTTP probes end without RST" \
		[ "$(count "$g1" "tcp.flags.reset==1 && (ip.addr==$P1 || ip.addr==$P2)")" -eq 0 -a "$(count "$g2" "tcp.flags.reset==1 && ip.addr==$P1")" -eq 0 ]
	# C7: IKE_SA_INIT requests to DEAD, retransmitted, nothing back.
	check "wire C7: 3 IKE_SA_INIT requests to $DEAD at GW2 (2 retransmissions), nothing to C7" \
		sh -c "[ $(count "$g2" "isakmp.exchangetype==34 && ip.src==$C7 && ip.dst==$DEAD") -eq 3 ] && [ $(count "$g2" "ip.dst==$C7") -eq 0 ]"
	# C8: IKE_SA_INIT answered, IKE_AUTH sent 3 times, never answered.
	check "wire C8: IKE_SA_INIT answered by GW1, 3 IKE_AUTH requests on 4500, nothing back on 4500" \
		sh -c "[ $(count "$g1" "isakmp.exchangetype==34 && ip.dst==$C8") -eq 1 ] && [ $(count "$g1" "isakmp.exchangetype==35 && ip.src==$C8 && udp.dstport==4500") -eq 3 ] && [ $(count "$g1" "udp.srcport==4500 && ip.dst==$C8") -eq 0 ]"
	# C9: SYNs to DEAD, retransmitted, nothing back.
	check "wire C9: SYNs to $DEAD:443 at GW2 ($C9_TRIES connections, retransmitted), nothing to C9" \
		sh -c "[ $(count "$g2" "tcp.flags.syn==1 && tcp.flags.ack==0 && ip.src==$C9 && !tcp.analysis.retransmission") -eq $C9_TRIES ] && [ $(count "$g2" "tcp.flags.syn==1 && ip.src==$C9 && tcp.analysis.retransmission") -ge $C9_TRIES ] && [ $(count "$g2" "ip.dst==$C9") -eq 0 ]"
	# C10: ClientHello, then a fatal handshake_failure alert, no ServerHello.
	check "wire C10: $C10_TRIES ClientHellos, $C10_TRIES fatal handshake_failure alerts from GW1, no ServerHello" \
		sh -c "[ $(count "$g1" "tls.handshake.type==1 && ip.src==$C10") -eq $C10_TRIES ] && [ $(count "$g1" "tls.alert_message.desc==40 && ip.src==$GW1 && ip.dst==$C10") -eq $C10_TRIES ] && [ $(count "$g1" "tls.handshake.type==2 && ip.dst==$C10") -eq 0 ]"
	# C11: TLS up, C11 sends its request, GW1 sends nothing after its
	# session tickets; sstpc gives up 3 s later (close_notify), then FINs.
	check "wire C11: ServerHello, then 2.5 s or more of silence up to GW1's FIN, no RST" \
		sh -c "[ $(count "$g1" "tls.handshake.type==2 && ip.dst==$C11") -eq 1 ] && [ $(count "$g1" "tcp.flags.reset==1 && ip.addr==$C11") -eq 0 ] && $LAB_PY -c 'import sys; sys.exit(not float(sys.argv[2]) - float(sys.argv[1]) >= 2.5)' $(first_field "$g1" "tls.handshake.type==2 && ip.dst==$C11" frame.time_epoch) $(first_field "$g1" "tcp.flags.fin==1 && ip.src==$GW1 && ip.dst==$C11" frame.time_epoch)"
	# C12: TLS up, then GW1's close_notify and FIN come first (sstpc
	# answers with a FIN or, when its request was still unread, a RST).
	check "wire C12: $C12_TRIES ServerHellos, GW1 closes first (FIN with its close_notify), no RST from GW1" \
		sh -c "[ $(count "$g1" "tls.handshake.type==2 && ip.dst==$C12") -eq $C12_TRIES ] && [ $(first_frame "$g1" "tcp.flags.fin==1 && ip.src==$GW1 && ip.dst==$C12") -lt $(first_frame "$g1" "(tcp.flags.fin==1 || tcp.flags.reset==1) && ip.src==$C12") ] && [ $(count "$g1" "tcp.flags.reset==1 && ip.src==$GW1 && ip.dst==$C12") -eq 0 ]"
	# g. C6: UDP 500 at GW1 only, UDP 4500 at GW2 only.
	check "wire C6: IKE_SA_INIT both ways at GW1, no 4500 there; IKE_AUTH requests at GW2, no 500 there" \
		sh -c "[ $(count "$g1" "isakmp.exchangetype==34 && ip.addr==$C6") -eq 2 ] && [ $(count "$g1" "udp.port==4500 && ip.addr==$C6") -eq 0 ] && [ $(count "$g2" "udp.dstport==4500 && ip.src==$C6") -eq 3 ] && [ $(count "$g2" "udp.port==500 && ip.addr==$C6") -eq 0 ]"
}

# ---- the report ------------------------------------------------------------

# normalize JSON: what the golden file keeps of a report: addresses,
# reasons, counts; not times, ports (but 443), SPIs, byte counts, paths.
normalize() {
	"$LAB_PY" - "$1" "$DIR_GW1" "$DIR_GW2" "$GW1_IF" "$GW2_IF" "$GW1" "$GW2" <<-'EOF'
		import json, os, sys
		r = json.load(open(sys.argv[1]))
		# A gateway may be named by its directory, interface or address: the
		# first two hold a random part, which the golden file cannot.
		exact, inside = {}, {}
		for label, d, ifname, addr in (("GW1", sys.argv[2], sys.argv[4], sys.argv[6]),
		                               ("GW2", sys.argv[3], sys.argv[5], sys.argv[7])):
		    exact.update({os.path.basename(d): label, addr: label})
		    inside.update({d: label, ifname: label})
		def gw(v):
		    if isinstance(v, str):
		        if v in exact:
		            return exact[v]
		        for k, label in inside.items():
		            if k in v:
		                return label
		    return v
		def pick(d, keys):
		    return {k: gw(d[k]) if k == "gateway" else d[k] for k in keys if k in d}
		out = {}
		out["clients"] = sorted(
		    ({**pick(c, ("address", "protocol", "attempts", "successes", "failures")),
		      "gateways": [gw(g) for g in c.get("gateways", [])],
		      "reasons": {str(x.get("reason")): x.get("count") for x in c.get("reasons", [])}}
		     for c in r.get("clients", [])),
		    key=lambda c: (c.get("address", ""), c.get("protocol", "")))
		h = r.get("health", {})
		out["probers"] = sorted((pick(p, ("address", "kind", "probes", "healthy", "unhealthy", "inferred"))
		                         for p in h.get("probers", [])), key=lambda p: (p.get("address", ""), p.get("kind", "")))
		out["backends"] = sorted(({**pick(b, ("address", "port", "kind", "probes", "healthy", "unhealthy",
		                                      "status", "last_probe", "http_status", "inferred")),
		                           "changes": len(b.get("changes", []))}
		                          for b in h.get("backends", [])),
		                         key=lambda b: (b.get("address", ""), b.get("port", 0), b.get("kind", "")))
		out["tls_answer_sizes_differ"] = h.get("tls_answer_sizes_differ")
		# Per gateway: its own clients and health, summed.
		out["gateways"] = {gw(g.get("name")): pick(g, ("ike_sas", "ike_established", "sstp_sessions",
		                                              "clients_total", "failing_clients", "probes_healthy",
		                                              "probes_unhealthy", "backends_unhealthy"))
		                   for g in r.get("gateways", [])}
		out["warnings"] = sorted((pick(w, ("kind", "client")) for w in r.get("warnings", [])), key=str)
		json.dump(out, sys.stdout, indent=1, sort_keys=True)
		print()
	EOF
}

# report_assert: what the report must say, against the JSON schema of issue 19.
report_assert() {
	"$LAB_PY" - "$1" "$C1" "$C2" "$C3" "$C4" "$C5" "$C6" "$P1" "$P2" "$P3" "$GW1" "$GW2" \
		"$C4_TRIES" "$C5_TRIES" "$C1_TRIES" "$C2_TRIES" \
		"$C7" "$C8" "$C9" "$C10" "$C11" "$C12" "$C9_TRIES" "$C10_TRIES" "$C12_TRIES" <<-'EOF'
		import json, sys
		r = json.load(open(sys.argv[1]))
		C1, C2, C3, C4, C5, C6, P1, P2, P3, GW1, GW2 = sys.argv[2:13]
		c4_tries, c5_tries, c1_tries, c2_tries = map(int, sys.argv[13:17])
		C7, C8, C9, C10, C11, C12 = sys.argv[17:23]
		c9_tries, c10_tries, c12_tries = map(int, sys.argv[23:26])
		bad = []
		def expect(cond, what):
		    print("#   %s %s" % ("ok " if cond else "NOT", what))
		    if not cond:
		        bad.append(what)
		clients = r.get("clients")
		expect(isinstance(clients, list), 'top-level "clients" is a list')
		clients = clients if isinstance(clients, list) else []
		def client(addr, proto):
		    return [c for c in clients if c.get("address") == addr and c.get("protocol") == proto]
		def reasons(cs):
		    out = {}
		    for c in cs:
		        for x in c.get("reasons", []):
		            out[x.get("reason")] = out.get(x.get("reason"), 0) + x.get("count", 0)
		    return out
		def total(cs, key):
		    return sum(c.get(key, 0) for c in cs)
		c1 = client(C1, "ikev2")
		expect(c1 and reasons(c1).get("auth_failed") == c1_tries and total(c1, "successes") == 0,
		       "C1 %s: ikev2, auth_failed x%d, no success (%s)" % (C1, c1_tries, reasons(c1)))
		c2 = client(C2, "ikev2")
		expect(c2 and reasons(c2).get("init_error:NO_PROPOSAL_CHOSEN") == c2_tries and total(c2, "successes") == 0,
		       "C2 %s: ikev2, init_error:NO_PROPOSAL_CHOSEN x%d (%s)" % (C2, c2_tries, reasons(c2)))
		c3 = client(C3, "ikev2")
		expect(c3 and total(c3, "successes") >= 1 and total(c3, "failures") == 0 and not reasons(c3),
		       "C3 %s: ikev2, succeeded, no failure (%s)" % (C3, c3))
		c4 = client(C4, "sstp")
		expect(c4 and reasons(c4).get("tls_reset") == total(c4, "attempts") == c4_tries,
		       "C4 %s: sstp, tls_reset x attempts (%d) (%s)" % (C4, c4_tries, c4))
		c5 = client(C5, "sstp")
		expect(c5 and reasons(c5).get("tcp_refused", 0) >= c5_tries and total(c5, "successes") == 0,
		       "C5 %s: sstp, tcp_refused x%d or more (%s)" % (C5, c5_tries, reasons(c5)))
		for addr, proto, reason, n in ((C7, "ikev2", "no_init_response", 1),
		                               (C8, "ikev2", "no_auth_response", 1),
		                               (C9, "sstp", "tcp_timeout", c9_tries),
		                               (C10, "sstp", "tls_alert", c10_tries),
		                               (C11, "sstp", "no_sstp_response", 1),
		                               (C12, "sstp", "closed_early", c12_tries)):
		    c = client(addr, proto)
		    expect(c and reasons(c).get(reason) == n and total(c, "successes") == 0,
		           "%s: %s, %s x%d (%s)" % (addr, proto, reason, n, reasons(c)))
		for p in (P1, P2, P3):
		    expect(not [c for c in clients if c.get("address") == p], "prober %s is no client" % p)
		failing = [c.get("failures", 0) > 0 for c in clients]
		expect(any(failing) and failing == sorted(failing, reverse=True), "clients: failing first")
		health = r.get("health", {})
		probers = {p.get("address"): p for p in health.get("probers", [])}
		expect(P1 in probers and probers[P1].get("kind") == "tls" and probers[P1].get("probes", 0) >= 12,
		       "P1 %s: a TLS prober, both gateways' probes (%s)" % (P1, probers.get(P1)))
		expect(P2 in probers and probers[P2].get("kind") == "http" and probers[P2].get("healthy") == 8
		       and probers[P2].get("unhealthy") == 8 and not probers[P2].get("inferred"),
		       "P2 %s: an HTTP prober, GW1's 8 probes healthy, GW2's 8 not (%s)" % (P2, probers.get(P2)))
		expect(P3 in probers and probers[P3].get("kind") == "tcp", "P3 %s: a TCP prober (%s)" % (P3, probers.get(P3)))
		backends = {(b.get("address"), b.get("port"), b.get("kind")): b for b in health.get("backends", [])}
		for kind in ("tls", "http", "tcp"):
		    b1 = backends.get((GW1, 443, kind), {})
		    expect(b1.get("status") == "healthy" and b1.get("unhealthy", 1) == 0 and b1.get("probes") == 8,
		           "backend GW1 %s:443 by %s: 8 probes, healthy (%s)" % (GW1, kind, b1))
		b2 = backends.get((GW2, 443, "http"), {})
		expect(b2.get("status") == "unhealthy" and b2.get("unhealthy") == 8 and b2.get("http_status") == 503
		       and b2.get("last_probe") == "answered 503",
		       "backend GW2 %s:443 by http (in clear): unhealthy, answered 503 (%s)" % (GW2, b2))
		# Inside TLS the 503 is hidden: judged by shape, said to be inferred,
		# and the answers' sizes differ from GW1's 401.
		b2 = backends.get((GW2, 443, "tls"), {})
		expect(b2.get("inferred") is True and b2.get("probes") == 8 and b2.get("http_status") is None,
		       "backend GW2 %s:443 by tls: judged by shape, inferred (%s)" % (GW2, b2))
		expect(health.get("tls_answer_sizes_differ") is True,
		       "TLS answers of GW1 (401) and GW2 (503) differ in size, and the report says so")
		expect(len(r.get("gateways", [])) == 2, "two gateways")
		expect([w for w in r.get("warnings", []) if w.get("kind") == "ike_split" and w.get("client") == C6],
		       "warning ike_split for C6 %s" % C6)
		sys.exit(1 if bad else 0)
	EOF
}

report_checks() {
	local json=$WORK/report.json txt=$WORK/report.txt rc norm=$WORK/report.norm.json
	"$VPNCAP" report --json "$DIR_GW1" "$DIR_GW2" >"$json" 2>"$WORK/report-json.err"; rc=$?
	checkl "$WORK/report-json.err" "report --json on both directories exits 0 ($rc)" [ "$rc" -eq 0 ]
	"$VPNCAP" report "$DIR_GW1" "$DIR_GW2" >"$txt" 2>"$WORK/report-txt.err"; rc=$?
	checkl "$WORK/report-txt.err" "report (text) on both directories exits 0 ($rc)" [ "$rc" -eq 0 ]
	[ -n "${FAILCAPS:-}" ] && cp "$json" "$txt" "$FAILCAPS/" 2>/dev/null
	checkl "$txt" "report --json: clients, reasons and health as issue 19 says" report_assert "$json"
	check "report (text): names C1, C2, C4, C5 and their reasons" \
		sh -c "grep -q '$C1' '$txt' && grep -q '$C2' '$txt' && grep -q '$C4' '$txt' && grep -q '$C5' '$txt' && grep -qi 'NO_PROPOSAL_CHOSEN' '$txt'"
	normalize "$json" >"$norm" 2>"$WORK/normalize.err" || { fail "report: normalize the JSON"; show_log "$WORK/normalize.err"; return; }
	if [ -n "${VPNCAP_UPDATE_GOLDEN:-}" ]; then
		cp "$norm" "$GOLDEN" && echo "# golden file rewritten: $GOLDEN"
	fi
	if cmp -s "$norm" "$GOLDEN"; then
		ok "report --json, normalized, is the golden file"
	else
		fail "report --json, normalized, is the golden file (VPNCAP_UPDATE_GOLDEN=1 rewrites it)"
		diff -u "$GOLDEN" "$norm" 2>&1 | head -n 80 | sed 's/^/# /'
	fi
}

# ---- copies for a look by hand ---------------------------------------------

failcaps_copy() {
	local d=${FAILCAPS:-}
	[ -n "$d" ] || return 0
	mkdir -p "$d" || return 0
	# Only what an earlier run copied there.
	rm -rf "$d/gw1" "$d/gw2" "$d"/*.log "$d"/tcpdump-gw*.pcap "$d"/report.json "$d"/report.txt
	cp "$GOLDEN" "$d/expected-normalized.json" 2>/dev/null
	cp -r "$DIR_GW1" "$d/gw1" && cp -r "$DIR_GW2" "$d/gw2" &&
		cp "$WORK"/tcpdump-gw*.pcap "$WORK"/lb-gw*.log "$WORK"/probe-*.log "$WORK"/sstp*.log \
			"$WORK"/split.log "$WORK"/noauth.log "$d/" 2>/dev/null
	cat >"$d/README.txt" <<-EOF
		Captures of tests/e2e/report_failures.sh (issue 19, requirement 6), $(date -u +%FT%TZ).
		vpncap capture --mode inline (default rules: UDP 500/4500, TCP 443) on each gateway's
		interface: gw1/ is GW1 $GW1 (iface $GW1_IF), gw2/ is GW2 $GW2 (iface $GW2_IF).
		All addresses on one bridged /24.

		C1 $C1  IKEv2 -> GW1, wrong PSK, $C1_TRIES attempts: IKE_SA_INIT ok, IKE_AUTH (UDP 4500)
		                answered by a short encrypted AUTHENTICATION_FAILED            (gw1)
		C2 $C2  IKEv2 -> GW2, proposal mismatch, $C2_TRIES attempts: IKE_SA_INIT response carries
		                notify NO_PROPOSAL_CHOSEN (14), nothing on 4500                (gw2)
		C3 $C3  IKEv2 -> GW1, good: IKE_SA_INIT, IKE_AUTH, ESP-in-UDP both ways (ping)  (gw1)
		C4 $C4  sstpc -> GW1:443, $C4_TRIES attempts: SYN, SYN-ACK, ClientHello, RST from GW1
		                (server closes with SO_LINGER 0 after reading the ClientHello) (gw1)
		C5 $C5  sstpc -> GW2:443 while nothing listens, $C5_TRIES attempts: SYN, RST-ACK     (gw2)
		C6 $C6  IKE split: real IKE_SA_INIT to GW1:500 (answered), then 3 IKE_AUTH-looking
		                UDP 4500 packets with the same SPIs to GW2:4500 (no answer)  (gw1 500, gw2 4500)
		C7 $C7  IKEv2 -> $DEAD (sent to GW2's MAC; not GW2's address, GW2 drops it silently):
		                3 IKE_SA_INIT requests (2 retransmissions), no response      (gw2)
		C8 $C8  crafted: IKE_SA_INIT -> GW1:500 (answered), then 3 IKE_AUTH-looking requests
		                -> GW1:4500 with the same SPIs that GW1's charon drops (integrity):
		                no IKE_AUTH response                                            (gw1)
		C9 $C9  sstpc -> $DEAD:443, $C9_TRIES attempts of 3.5 s: SYN + retransmissions, nothing
		                back                                                            (gw2)
		C10 $C10 sstpc -> GW1:443, $C10_TRIES attempts: ClientHello, fatal TLS alert
		                handshake_failure (40) from GW1 in clear, FIN                  (gw1)
		C11 $C11 openssl s_client -> GW1:443, 1 attempt: TLS 1.3 up, SSTP_DUPLEX_POST sent,
		                GW1 never answers; the client gives up after 3 s: close_notify,
		                FIN                                                             (gw1)
		C12 $C12 sstpc -> GW1:443, $C12_TRIES attempts: TLS 1.3 up, GW1 sends close_notify + FIN
		                right after the handshake (request unanswered); sstpc then FIN
		                or RST                                                          (gw1)
		P1 $P1  LB HTTPS probe GET $SRA_PATH every 0.5 s, $PROBES to each gateway;
		                GW1 answers 401 (healthy), GW2 answers 503 (unhealthy)        (gw1, gw2)
		P2 $P2  the same in clear HTTP to GW1:443 (TLS offloaded), $PROBES probes, 401  (gw1)
		P3 $P3  L4 probe: TCP connect then close, no data, every 0.5 s, $PROBES to GW1  (gw1)
		GW1's TCP 443 server and GW2's (from after C5's attempts on) log one line per
		connection in lb-gw1.log / lb-gw2.log; probe-*.log hold the probers' answers.
		report.json / report.txt: vpncap report of both directories at that time.
		expected-normalized.json: tests/golden/report_failures.json, what the test wants
		the normalized report.json to be (clients failing or not, reasons, probers,
		backends, gateways, the ike_split warning for C6; C6 itself is in no client list).
		tcpdump-gw*.pcap (with RF_TCPDUMP=1): tcpdump on the same interfaces, for comparison.
		The TLS servers (tests/e2e/lb_server.py) send no TLS 1.3 session tickets.
	EOF
}

# ---- main ------------------------------------------------------------------

netns_up || { echo "not ok - could not build the namespaces"; exit 1; }
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 1 \
	-subj /CN=gw.vpncap.test -keyout "$WORK/tls-key.pem" -out "$WORK/tls-cert.pem" \
	>/dev/null 2>&1 || { echo "not ok - openssl req"; exit 1; }
swan_configs || { echo "not ok - strongSwan configurations"; exit 1; }
for side in gw1 gw2 cl; do
	charon_start "$side" || {
		echo "not ok - charon $side did not start"
		show_log "$WORK/$side/charon.out" "$WORK/$side/load.log"
		exit 1
	}
done
start_gw_capture "$NS_GW1" "$GW1_IF" "$DIR_GW1" "$WORK/cap-gw1.log" ||
	{ echo "not ok - vpncap on GW1: $(cat "$WORK/cap-gw1.log")"; exit 1; }
CAP1_PID=$CAP_PID
start_gw_capture "$NS_GW2" "$GW2_IF" "$DIR_GW2" "$WORK/cap-gw2.log" ||
	{ echo "not ok - vpncap on GW2: $(cat "$WORK/cap-gw2.log")"; exit 1; }
CAP2_PID=$CAP_PID
tcpdump_start "$NS_GW1" "$GW1_IF" "$WORK/tcpdump-gw1.pcap"
tcpdump_start "$NS_GW2" "$GW2_IF" "$WORK/tcpdump-gw2.pcap"

scenario_sstp_refused
lb_server_start "$NS_GW1" "$GW1" 401 "$WORK/lb-gw1.log" \
	"$C4=reset" "$C10=alert" "$C11=silent" "$C12=close" || fail "GW1's TCP 443 server did not start"
lb_server_start "$NS_GW2" "$GW2" 503 "$WORK/lb-gw2.log" || fail "GW2's TCP 443 server did not start"
probers &
PROBERS_PID=$!
PIDS+=("$PROBERS_PID")
scenario_dead_start
scenario_ikev2
scenario_sstp_gw1
scenario_ike_split
scenario_dead_check
wait "$PROBERS_PID"
check "P1: GW1 answered 401 to each HTTPS probe, GW2 503" \
	sh -c "[ \$(grep -c '^401' '$WORK/probe-p1-gw1.log') -eq $PROBES ] && [ \$(grep -c '^503' '$WORK/probe-p1-gw2.log') -eq $PROBES ]"
check "P2: GW1 answered 401 to each clear HTTP probe, GW2 503" \
	sh -c "[ \$(grep -c '^401' '$WORK/probe-p2-gw1.log') -eq $PROBES ] && [ \$(grep -c '^503' '$WORK/probe-p2-gw2.log') -eq $PROBES ]"
check "P3: each TCP probe connected" [ "$(grep -c '^open' "$WORK/probe-p3-gw1.log")" -eq "$PROBES" ]
sleep 0.5
stop_gw_capture "$CAP1_PID"; rc1=$?
stop_gw_capture "$CAP2_PID"; rc2=$?
CAP1_PID='' CAP2_PID=''
for pid in "${TCPDUMP_PIDS[@]}"; do
	kill -INT "$pid" && wait "$pid"
done
checkl "$WORK/cap-gw1.log $WORK/cap-gw2.log" "vpncap on both gateways exits 0 ($rc1, $rc2)" \
	[ "$rc1$rc2" = 00 ]
echo "# frames: GW1 $(count "$DIR_GW1"), GW2 $(count "$DIR_GW2")"
wire_checks
failcaps_copy
report_checks

e2e_finish
