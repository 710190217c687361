// SPDX-License-Identifier: GPL-2.0-only
/*
 * Frame decoder (see decode.h).
 *
 * Every read goes through need(): a layer asks for n bytes at off and gets
 * them only when off + n <= end, compared on size_t values that cannot wrap.
 * end starts as caplen and is narrowed to the IP, UDP and IKE lengths once
 * they are known, so Ethernet padding is never read as payload.
 *
 * Running out of bytes sets truncated only when the capture cut the packet
 * (c->cut: what the headers announce goes past caplen). A ClientHello that
 * continues in the next TCP segment, or an IKE message whose rest is in the
 * next IP fragment, simply ends the decoding.
 */
#include <arpa/inet.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "read/decode.h"

#define ETH_HLEN 14u
#define MAX_VLAN_TAGS 2
#define MAX_IPV6_EXT 8          /* like the classifier's bounded walk */
#define MAX_IKE_PAYLOADS 64
#define IKE_HDR 28u
#define ESP_HDR 8u
#define TLS_REC_HDR 5u
#define TLS_HS_HDR 4u

#define ETH_P_IP 0x0800
#define ETH_P_IPV6 0x86dd
#define ETH_P_8021Q 0x8100
#define ETH_P_8021AD 0x88a8
#define ETH_P_QINQ1 0x9100      /* pre-standard outer tag, still seen on switches */

#define IKE_PORT 500
#define NATT_PORT 4500

/* IKEv2 payload types (RFC 7296, RFC 7383) the walk cares about. */
#define IKE_PL_NOTIFY 41
#define IKE_PL_SK 46
#define IKE_PL_SKF 53

#define IKE_FLAG_I 0x08
#define IKE_FLAG_R 0x20

#define TLS_ALERT 21
#define TLS_HANDSHAKE 22
#define TLS_CLIENT_HELLO 1
#define TLS_EXT_SERVER_NAME 0

struct ctx {
	const uint8_t *p;
	size_t end;             /* bytes this layer may read */
	size_t wire_end;        /* where the packet ends on the wire, as far as headers say */
	int cut;                /* end is caplen and the packet went on past it */
	struct decoded *d;
};

static uint16_t rd16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

static uint32_t rd32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static uint64_t rd64(const uint8_t *p)
{
	return (uint64_t)rd32(p) << 32 | rd32(p + 4);
}

/* n bytes at off are there (no side effect). */
static int have(const struct ctx *c, size_t off, size_t n)
{
	return off <= c->end && n <= c->end - off;
}

/* Like have(), but a miss caused by the capture cutting the frame is recorded. */
static int need(struct ctx *c, size_t off, size_t n)
{
	if (have(c, off, n))
		return 1;
	if (c->cut)
		c->d->truncated = 1;
	return 0;
}

/*
 * A header says its data is len bytes from start. When that fits in what
 * we have, it becomes the new end and the frame is known not to be cut
 * there; when it does not, the packet goes on past our bytes and end stays.
 */
static void narrow(struct ctx *c, size_t start, size_t len)
{
	if (have(c, start, len)) {
		c->end = start + len;
		c->cut = 0;
	}
	c->wire_end = start + len;
}

/* ---- IKEv2 --------------------------------------------------------------- */

/* The unencrypted payload chain: notify types, and where SK/SKF starts. */
static void ike_walk(struct ctx *c, size_t off, uint8_t np)
{
	struct decode_ike *ike = &c->d->ike;
	int i;

	for (i = 0; np && i < MAX_IKE_PAYLOADS; i++) {
		uint16_t plen;

		if (!need(c, off, 4))
			return;
		plen = rd16(c->p + off + 2);
		if (plen < 4)
			return;         /* malformed: the chain cannot advance */
		if (np == IKE_PL_NOTIFY && need(c, off, 8) && ike->n_notify < DECODE_MAX_NOTIFY)
			ike->notify[ike->n_notify++] = rd16(c->p + off + 6);
		if (np == IKE_PL_SK || np == IKE_PL_SKF) {
			ike->encrypted = 1;
			if (np == IKE_PL_SKF && need(c, off, 8)) {
				ike->frag_num = rd16(c->p + off + 4);
				ike->frag_total = rd16(c->p + off + 6);
			}
			need(c, off, plen);     /* only to notice a cut */
			return;                 /* nothing after SK is readable */
		}
		if (!need(c, off, plen))
			return;
		np = c->p[off];
		off += plen;
	}
}

static void decode_ike(struct ctx *c, size_t off, int natt)
{
	struct decode_ike *ike = &c->d->ike;
	const uint8_t *h = c->p + off;

	c->d->kind = DECODE_IKE;
	ike->natt = natt;
	if (!need(c, off, IKE_HDR))
		return;
	ike->ispi = rd64(h);
	ike->rspi = rd64(h + 8);
	ike->next_payload = h[16];
	ike->version = h[17];
	ike->exchange = h[18];
	ike->flags = h[19];
	ike->initiator = !!(h[19] & IKE_FLAG_I);
	ike->response = !!(h[19] & IKE_FLAG_R);
	ike->msg_id = rd32(h + 20);
	ike->length = rd32(h + 24);
	if (ike->version >> 4 != 2 || ike->length < IKE_HDR)
		return;                 /* IKEv1 payloads differ; a bad length ends here */
	narrow(c, off, ike->length);
	ike_walk(c, off + IKE_HDR, ike->next_payload);
}

static void decode_esp(struct ctx *c, size_t off, int udp)
{
	c->d->kind = DECODE_ESP;
	c->d->esp.udp_encap = udp;
	if (!need(c, off, ESP_HDR))
		return;
	c->d->esp.spi = rd32(c->p + off);
	c->d->esp.seq = rd32(c->p + off + 4);
}

/* UDP 4500 (RFC 3948): keepalive, IKE behind the zero marker, or ESP. */
static void decode_natt(struct ctx *c, size_t off)
{
	if (c->d->l4_len == 1 && have(c, off, 1) && c->p[off] == 0xff) {
		c->d->kind = DECODE_KEEPALIVE;
		return;
	}
	if (!need(c, off, 4))
		return;
	if (rd32(c->p + off) == 0)
		decode_ike(c, off + 4, 1);
	else
		decode_esp(c, off, 1);
}

/* ---- TLS ----------------------------------------------------------------- */

/* Copies the host name, printable ASCII only: it goes straight to a terminal. */
static void copy_name(char *dst, size_t room, const uint8_t *src, size_t n)
{
	size_t i;

	if (n > room - 1)
		n = room - 1;
	for (i = 0; i < n; i++)
		dst[i] = src[i] > 0x20 && src[i] < 0x7f ? (char)src[i] : '?';
	dst[n] = '\0';
}

static void tls_sni(struct ctx *c, size_t off)
{
	uint16_t n;

	/* server_name_list length, then the first entry: type, length, name. */
	if (!need(c, off, 5) || c->p[off + 2] != 0)
		return;
	n = rd16(c->p + off + 3);
	if (!need(c, off + 5, n))
		return;
	copy_name(c->d->tcp.sni, sizeof(c->d->tcp.sni), c->p + off + 5, n);
}

/* Skips a vector with an n-byte length prefix; 0 when the prefix is missing. */
static int skip_vec(struct ctx *c, size_t *pos, size_t n)
{
	size_t len;

	if (!need(c, *pos, n))
		return 0;
	len = n == 1 ? c->p[*pos] : rd16(c->p + *pos);
	*pos += n + len;
	return 1;
}

/* off: the handshake header. Walks to the server_name extension. */
static void tls_client_hello(struct ctx *c, size_t off)
{
	size_t pos = off + TLS_HS_HDR + 2 + 32;        /* version, random */
	size_t ext_end;

	if (!skip_vec(c, &pos, 1) || !skip_vec(c, &pos, 2) || !skip_vec(c, &pos, 1))
		return;         /* session id, cipher suites, compression methods */
	if (!need(c, pos, 2))
		return;
	ext_end = pos + 2 + rd16(c->p + pos);
	pos += 2;
	while (pos < ext_end) {         /* each step moves on at least 4 bytes */
		uint16_t type, len;

		if (!need(c, pos, 4))
			return;
		type = rd16(c->p + pos);
		len = rd16(c->p + pos + 2);
		if (type == TLS_EXT_SERVER_NAME) {
			tls_sni(c, pos + 4);
			return;
		}
		pos += 4u + len;
	}
}

/* A record header any TLS or SSL 3.0 stack writes: type 20-23, version 3.0-3.4. */
static int tls_looking(const uint8_t *r)
{
	return r[0] >= 20 && r[0] <= 23 && r[1] == 3 && r[2] <= 4;
}

static void decode_tls(struct ctx *c, size_t off)
{
	struct decode_tcp *t = &c->d->tcp;

	if (!have(c, off, 3) || !tls_looking(c->p + off))
		return;
	if (!need(c, off, TLS_REC_HDR))
		return;
	t->tls_type = c->p[off];
	/* An alert in clear is 2 bytes (level, description); an encrypted one is longer. */
	if (t->tls_type == TLS_ALERT && rd16(c->p + off + 3) == 2 && have(c, off + TLS_REC_HDR, 2)) {
		c->d->tls_alert_seen = 1;
		c->d->tls_alert = c->p[off + TLS_REC_HDR + 1];
	}
	if (t->tls_type != TLS_HANDSHAKE || rd16(c->p + off + 3) == 0)
		return;
	if (!need(c, off + TLS_REC_HDR, 1))
		return;
	t->tls_handshake = c->p[off + TLS_REC_HDR];
	if (t->tls_handshake == TLS_CLIENT_HELLO)
		tls_client_hello(c, off + TLS_REC_HDR);
}

/* ---- HTTP in clear ----------------------------------------------------------- */

static int http_token_char(uint8_t ch)
{
	return (ch >= 'A' && ch <= 'Z') || ch == '_' || ch == '-';
}

/* "HTTP/1.1 401 ...": the status, or 0. */
static uint16_t http_status(const uint8_t *p, size_t n)
{
	unsigned int v = 0, i;

	if (n < 12 || memcmp(p, "HTTP/1.", 7) || p[8] != ' ')
		return 0;
	for (i = 9; i < 12; i++) {
		if (p[i] < '0' || p[i] > '9')
			return 0;
		v = v * 10 + (unsigned int)(p[i] - '0');
	}
	return v >= 100 && v <= 599 ? (uint16_t)v : 0;
}

/*
 * "METHOD /path HTTP/1.x": method and path, or nothing. Only a request
 * line that names HTTP/1.x counts, so binary payloads that happen to
 * start with capitals do not.
 */
static void http_request(struct decode_http *h, const uint8_t *p, size_t n)
{
	size_t m = 0, path, end;

	while (m < n && m < sizeof(h->method) - 1 && http_token_char(p[m]))
		m++;
	if (m < 3 || m >= n || p[m] != ' ')
		return;
	path = m + 1;
	for (end = path; end < n && p[end] > ' ' && p[end] < 0x7f; end++)
		;
	if (end == path || end + 9 > n || p[end] != ' ' || memcmp(p + end + 1, "HTTP/1.", 7))
		return;
	memcpy(h->method, p, m);
	h->method[m] = '\0';
	n = end - path < sizeof(h->path) - 1 ? end - path : sizeof(h->path) - 1;
	memcpy(h->path, p + path, n);
	h->path[n] = '\0';
}

static void decode_http(struct ctx *c, size_t off)
{
	struct decode_http *h = &c->d->http;
	size_t n = off < c->end ? c->end - off : 0;

	if (!n || c->d->tcp.tls_type)
		return;
	h->status = http_status(c->p + off, n);
	if (!h->status)
		http_request(h, c->p + off, n);
}

/* ---- transport ----------------------------------------------------------- */

static uint32_t wire_left(const struct ctx *c, size_t off)
{
	return off < c->wire_end ? (uint32_t)(c->wire_end - off) : 0;
}

static void decode_udp(struct ctx *c, size_t off)
{
	struct decoded *d = c->d;
	uint16_t ulen;

	d->kind = DECODE_UDP;
	if (!need(c, off, 4))
		return;
	d->sport = rd16(c->p + off);
	d->dport = rd16(c->p + off + 2);
	d->has_ports = 1;
	if (!need(c, off, 8))
		return;
	d->l4_complete = 1;
	ulen = rd16(c->p + off + 4);
	if (ulen >= 8)
		narrow(c, off, ulen);
	d->l4_len = wire_left(c, off + 8);
	off += 8;
	if (d->sport == NATT_PORT || d->dport == NATT_PORT)
		decode_natt(c, off);
	else if (d->sport == IKE_PORT || d->dport == IKE_PORT)
		decode_ike(c, off, 0);
}

static void decode_tcp(struct ctx *c, size_t off)
{
	struct decoded *d = c->d;
	const uint8_t *h = c->p + off;
	size_t doff;

	d->kind = DECODE_TCP;
	if (!need(c, off, 4))
		return;
	d->sport = rd16(h);
	d->dport = rd16(h + 2);
	d->has_ports = 1;
	if (!need(c, off, 20))
		return;
	d->tcp.seq = rd32(h + 4);
	d->tcp.ack = rd32(h + 8);
	d->tcp.flags = h[13];
	doff = (size_t)(h[12] >> 4) * 4;
	if (doff < 20 || !need(c, off, doff))
		return;
	d->l4_complete = 1;
	off += doff;
	d->l4_len = wire_left(c, off);
	d->tcp.payload_len = off < c->end ? (uint32_t)(c->end - off) : 0;
	decode_tls(c, off);
	decode_http(c, off);
}

static void decode_icmp(struct ctx *c, size_t off)
{
	c->d->kind = DECODE_ICMP;
	if (!need(c, off, 4))
		return;
	c->d->icmp_type = c->p[off];
	c->d->icmp_code = c->p[off + 1];
	c->d->l4_complete = 1;
	c->d->l4_len = wire_left(c, off + 4);
}

static void decode_l4(struct ctx *c, size_t off, uint8_t proto)
{
	c->d->l4_proto = proto;
	switch (proto) {
	case IPPROTO_UDP:
		decode_udp(c, off);
		break;
	case IPPROTO_TCP:
		decode_tcp(c, off);
		break;
	case IPPROTO_ESP:
		decode_esp(c, off, 0);
		break;
	case IPPROTO_ICMP:
	case IPPROTO_ICMPV6:
		decode_icmp(c, off);
		break;
	default:
		break;
	}
}

/* ---- IP ------------------------------------------------------------------ */

static void set_addrs(struct decoded *d, int family, const uint8_t *src, const uint8_t *dst)
{
	size_t n = family == 4 ? 4 : 16;
	int af = family == 4 ? AF_INET : AF_INET6;

	d->family = family;
	memcpy(d->src_bin, src, n);
	memcpy(d->dst_bin, dst, n);
	inet_ntop(af, src, d->src, sizeof(d->src));
	inet_ntop(af, dst, d->dst, sizeof(d->dst));
}

static void decode_ipv4(struct ctx *c, size_t off)
{
	struct decoded *d = c->d;
	const uint8_t *ip = c->p + off;
	size_t ihl;
	uint16_t total, frag;

	if (!need(c, off, 20) || ip[0] >> 4 != 4)
		return;
	set_addrs(d, 4, ip + 12, ip + 16);
	d->l4_proto = ip[9];
	ihl = (size_t)(ip[0] & 0xf) * 4;
	total = rd16(ip + 2);
	if (ihl < 20)
		return;
	if (total >= ihl)       /* 0 from segmentation offload: caplen is all we know */
		narrow(c, off, total);
	if (!need(c, off, ihl))
		return;
	frag = rd16(ip + 6);
	d->frag_id = rd16(ip + 4);
	d->frag_offset = (uint32_t)(frag & 0x1fff) * 8;
	d->more_fragments = !!(frag & 0x2000);
	d->is_fragment = d->more_fragments || d->frag_offset;
	if (d->frag_offset) {
		d->kind = DECODE_FRAGMENT;
		d->l4_len = wire_left(c, off + ihl);
		return;
	}
	decode_l4(c, off + ihl, ip[9]);
}

static int ipv6_is_ext(uint8_t nh)
{
	switch (nh) {
	case IPPROTO_HOPOPTS:
	case IPPROTO_ROUTING:
	case IPPROTO_DSTOPTS:
	case IPPROTO_FRAGMENT:
	case IPPROTO_AH:
	case 135:               /* Mobility */
	case 139:               /* HIP */
	case 140:               /* Shim6 */
		return 1;
	default:
		return 0;
	}
}

/* Length of the extension header nh at off, 0 when its length byte is missing. */
static size_t ipv6_ext_len(struct ctx *c, size_t off, uint8_t nh)
{
	if (nh == IPPROTO_FRAGMENT)
		return 8;
	if (!need(c, off, 2))
		return 0;
	if (nh == IPPROTO_AH)
		return ((size_t)c->p[off + 1] + 2) * 4;
	return ((size_t)c->p[off + 1] + 1) * 8;
}

static void ipv6_fragment(struct decoded *d, const uint8_t *fh)
{
	uint16_t fo = rd16(fh + 2);

	d->is_fragment = 1;
	d->frag_offset = fo & 0xfff8;
	d->more_fragments = fo & 1;
	d->frag_id = rd32(fh + 4);
}

static void decode_ipv6(struct ctx *c, size_t off)
{
	struct decoded *d = c->d;
	const uint8_t *ip = c->p + off;
	uint16_t plen;
	uint8_t nh;
	int i;

	if (!need(c, off, 40) || ip[0] >> 4 != 6)
		return;
	set_addrs(d, 6, ip + 8, ip + 24);
	plen = rd16(ip + 4);
	if (plen)               /* 0: jumbogram or offload, caplen is all we know */
		narrow(c, off + 40, plen);
	nh = ip[6];
	d->l4_proto = nh;
	off += 40;
	for (i = 0; ipv6_is_ext(nh); i++) {
		size_t len;

		if (i == MAX_IPV6_EXT)
			return;         /* gave up walking: the transport is unknown */
		len = ipv6_ext_len(c, off, nh);
		if (!len || !need(c, off, len))
			return;
		if (nh == IPPROTO_FRAGMENT)
			ipv6_fragment(d, c->p + off);
		nh = c->p[off];
		d->l4_proto = nh;
		off += len;
		if (d->frag_offset) {
			d->kind = DECODE_FRAGMENT;
			d->l4_len = wire_left(c, off);
			return;
		}
	}
	decode_l4(c, off, nh);
}

/* ---- link ---------------------------------------------------------------- */

static int decode_l3(struct ctx *c, size_t off, uint16_t ethertype)
{
	c->d->ethertype = ethertype;
	if (ethertype == ETH_P_IP)
		decode_ipv4(c, off);
	else if (ethertype == ETH_P_IPV6)
		decode_ipv6(c, off);
	else
		return -1;
	return 0;
}

static int is_vlan(uint16_t type)
{
	return type == ETH_P_8021Q || type == ETH_P_8021AD || type == ETH_P_QINQ1;
}

static int decode_eth(struct ctx *c)
{
	size_t off = 12;        /* the EtherType (or TPID) */
	uint16_t type;
	int tags;

	if (!need(c, 0, ETH_HLEN))
		return -1;
	type = rd16(c->p + off);
	for (tags = 0; tags < MAX_VLAN_TAGS && is_vlan(type); tags++) {
		if (!need(c, off + 2, 4))
			return -1;
		if (!tags)
			c->d->vlan = rd16(c->p + off + 2) & 0x0fff;
		type = rd16(c->p + off + 4);
		off += 4;
	}
	if (is_vlan(type))
		c->d->ethertype = type;         /* a third tag: not decoded */
	return is_vlan(type) ? -1 : decode_l3(c, off + 2, type);
}

/* Raw IP: the version nibble says which. */
static int decode_raw(struct ctx *c)
{
	if (!need(c, 0, 1))
		return -1;
	return decode_l3(c, 0, c->p[0] >> 4 == 6 ? ETH_P_IPV6 : ETH_P_IP);
}

static int decode_link(struct ctx *c, uint16_t linktype)
{
	switch (linktype) {
	case 1:                 /* Ethernet */
		return decode_eth(c);
	case 12:                /* DLT_RAW on some systems */
	case 14:
	case 101:               /* LINKTYPE_RAW */
		return decode_raw(c);
	case 228:               /* LINKTYPE_IPV4 */
		return decode_l3(c, 0, ETH_P_IP);
	case 229:               /* LINKTYPE_IPV6 */
		return decode_l3(c, 0, ETH_P_IPV6);
	case 113:               /* Linux cooked: protocol at 14, header 16 */
		if (!need(c, 0, 16))
			return -1;
		return decode_l3(c, 16, rd16(c->p + 14));
	case 276:               /* Linux cooked v2: protocol at 0, header 20 */
		if (!need(c, 0, 20))
			return -1;
		return decode_l3(c, 20, rd16(c->p));
	default:
		return -1;
	}
}

int decode_packet(uint16_t linktype, const uint8_t *frame, size_t caplen, struct decoded *out)
{
	struct ctx c = { frame, frame ? caplen : 0, frame ? caplen : 0, 1, out };

	memset(out, 0, sizeof(*out));
	out->tcp.tls_handshake = -1;
	out->linktype = linktype;
	return decode_link(&c, linktype);
}

int decode_frame(const uint8_t *frame, size_t caplen, struct decoded *out)
{
	return decode_packet(1, frame, caplen, out);
}

/* ---- names --------------------------------------------------------------- */

struct name {
	uint16_t value;
	const char *name;
};

static const char *lookup(const struct name *t, size_t n, unsigned int v)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (t[i].value == v)
			return t[i].name;
	return NULL;
}

#define LOOKUP(table, v) lookup(table, sizeof(table) / sizeof(table[0]), v)

static const struct name ike_exchanges[] = {
	{ 34, "IKE_SA_INIT" }, { 35, "IKE_AUTH" }, { 36, "CREATE_CHILD_SA" },
	{ 37, "INFORMATIONAL" }, { 38, "IKE_SESSION_RESUME" }, { 39, "GSA_AUTH" },
	{ 40, "GSA_REGISTRATION" }, { 41, "GSA_REKEY" }, { 43, "IKE_INTERMEDIATE" },
	{ 44, "IKE_FOLLOWUP_KE" },
};

/* IANA "IKEv2 Notify Message Types": errors below 16384, status above. */
static const struct name ike_notifies[] = {
	{ 1, "UNSUPPORTED_CRITICAL_PAYLOAD" }, { 4, "INVALID_IKE_SPI" },
	{ 5, "INVALID_MAJOR_VERSION" }, { 7, "INVALID_SYNTAX" },
	{ 9, "INVALID_MESSAGE_ID" }, { 11, "INVALID_SPI" },
	{ 14, "NO_PROPOSAL_CHOSEN" }, { 17, "INVALID_KE_PAYLOAD" },
	{ 24, "AUTHENTICATION_FAILED" }, { 34, "SINGLE_PAIR_REQUIRED" },
	{ 35, "NO_ADDITIONAL_SAS" }, { 36, "INTERNAL_ADDRESS_FAILURE" },
	{ 37, "FAILED_CP_REQUIRED" }, { 38, "TS_UNACCEPTABLE" },
	{ 39, "INVALID_SELECTORS" }, { 40, "UNACCEPTABLE_ADDRESSES" },
	{ 41, "UNEXPECTED_NAT_DETECTED" }, { 42, "USE_ASSIGNED_HoA" },
	{ 43, "TEMPORARY_FAILURE" }, { 44, "CHILD_SA_NOT_FOUND" },
	{ 45, "INVALID_GROUP_ID" }, { 46, "AUTHORIZATION_FAILED" },
	{ 47, "STATE_NOT_FOUND" },
	{ 16384, "INITIAL_CONTACT" }, { 16385, "SET_WINDOW_SIZE" },
	{ 16386, "ADDITIONAL_TS_POSSIBLE" }, { 16387, "IPCOMP_SUPPORTED" },
	{ 16388, "NAT_DETECTION_SOURCE_IP" }, { 16389, "NAT_DETECTION_DESTINATION_IP" },
	{ 16390, "COOKIE" }, { 16391, "USE_TRANSPORT_MODE" },
	{ 16392, "HTTP_CERT_LOOKUP_SUPPORTED" }, { 16393, "REKEY_SA" },
	{ 16394, "ESP_TFC_PADDING_NOT_SUPPORTED" }, { 16395, "NON_FIRST_FRAGMENTS_ALSO" },
	{ 16396, "MOBIKE_SUPPORTED" }, { 16397, "ADDITIONAL_IP4_ADDRESS" },
	{ 16398, "ADDITIONAL_IP6_ADDRESS" }, { 16399, "NO_ADDITIONAL_ADDRESSES" },
	{ 16400, "UPDATE_SA_ADDRESSES" }, { 16401, "COOKIE2" },
	{ 16402, "NO_NATS_ALLOWED" }, { 16403, "AUTH_LIFETIME" },
	{ 16404, "MULTIPLE_AUTH_SUPPORTED" }, { 16405, "ANOTHER_AUTH_FOLLOWS" },
	{ 16406, "REDIRECT_SUPPORTED" }, { 16407, "REDIRECT" },
	{ 16408, "REDIRECTED_FROM" }, { 16409, "TICKET_LT_OPAQUE" },
	{ 16410, "TICKET_REQUEST" }, { 16411, "TICKET_ACK" },
	{ 16412, "TICKET_NACK" }, { 16413, "TICKET_OPAQUE" },
	{ 16414, "LINK_ID" }, { 16415, "USE_WESP_MODE" },
	{ 16416, "ROHC_SUPPORTED" }, { 16417, "EAP_ONLY_AUTHENTICATION" },
	{ 16418, "CHILDLESS_IKEV2_SUPPORTED" }, { 16419, "QUICK_CRASH_DETECTION" },
	{ 16420, "IKEV2_MESSAGE_ID_SYNC_SUPPORTED" },
	{ 16421, "IPSEC_REPLAY_COUNTER_SYNC_SUPPORTED" },
	{ 16422, "IKEV2_MESSAGE_ID_SYNC" }, { 16423, "IPSEC_REPLAY_COUNTER_SYNC" },
	{ 16424, "SECURE_PASSWORD_METHODS" }, { 16425, "PSK_PERSIST" },
	{ 16426, "PSK_CONFIRM" }, { 16427, "ERX_SUPPORTED" },
	{ 16428, "IFOM_CAPABILITY" }, { 16429, "SENDER_REQUEST_ID" },
	{ 16430, "IKEV2_FRAGMENTATION_SUPPORTED" }, { 16431, "SIGNATURE_HASH_ALGORITHMS" },
	{ 16432, "CLONE_IKE_SA_SUPPORTED" }, { 16433, "CLONE_IKE_SA" },
	{ 16434, "PUZZLE" }, { 16435, "USE_PPK" }, { 16436, "PPK_IDENTITY" },
	{ 16437, "NO_PPK_AUTH" }, { 16438, "INTERMEDIATE_EXCHANGE_SUPPORTED" },
	{ 16439, "IP4_ALLOWED" }, { 16440, "IP6_ALLOWED" },
	{ 16441, "ADDITIONAL_KEY_EXCHANGE" }, { 16442, "USE_AGGFRAG" },
};

static const struct name ike_payloads[] = {
	{ 33, "SA" }, { 34, "KE" }, { 35, "IDi" }, { 36, "IDr" }, { 37, "CERT" },
	{ 38, "CERTREQ" }, { 39, "AUTH" }, { 40, "Nonce" }, { 41, "N" }, { 42, "D" },
	{ 43, "V" }, { 44, "TSi" }, { 45, "TSr" }, { 46, "SK" }, { 47, "CP" },
	{ 48, "EAP" }, { 49, "GSPM" }, { 53, "SKF" },
};

static const struct name ikev1_exchanges[] = {
	{ 2, "Main Mode" }, { 4, "Aggressive Mode" }, { 5, "Informational" },
	{ 32, "Quick Mode" },
};

static const struct name tls_types[] = {
	{ 20, "ChangeCipherSpec" }, { 21, "Alert" }, { 22, "Handshake" },
	{ 23, "ApplicationData" },
};

static const struct name tls_handshakes[] = {
	{ 0, "HelloRequest" }, { 1, "ClientHello" }, { 2, "ServerHello" },
	{ 4, "NewSessionTicket" }, { 8, "EncryptedExtensions" }, { 11, "Certificate" },
	{ 12, "ServerKeyExchange" }, { 13, "CertificateRequest" },
	{ 14, "ServerHelloDone" }, { 15, "CertificateVerify" },
	{ 16, "ClientKeyExchange" }, { 20, "Finished" },
};

static const struct name icmp4_types[] = {
	{ 0, "echo reply" }, { 3, "unreachable" }, { 5, "redirect" },
	{ 8, "echo request" }, { 11, "time exceeded" }, { 12, "parameter problem" },
};

static const struct name icmp6_types[] = {
	{ 1, "unreachable" }, { 2, "packet too big" }, { 3, "time exceeded" },
	{ 4, "parameter problem" }, { 128, "echo request" }, { 129, "echo reply" },
	{ 133, "router solicitation" }, { 134, "router advertisement" },
	{ 135, "neighbor solicitation" }, { 136, "neighbor advertisement" },
	{ 137, "redirect" },
};

static const struct name ip_protos[] = {
	{ 1, "ICMP" }, { 2, "IGMP" }, { 4, "IPIP" }, { 6, "TCP" }, { 17, "UDP" },
	{ 41, "IPv6" }, { 47, "GRE" }, { 50, "ESP" }, { 51, "AH" }, { 58, "ICMPv6" },
	{ 89, "OSPF" }, { 103, "PIM" }, { 112, "VRRP" }, { 132, "SCTP" },
};

static const struct name ethertypes[] = {
	{ 0x0806, "ARP" }, { 0x8035, "RARP" }, { 0x88cc, "LLDP" }, { 0x8863, "PPPoE discovery" },
	{ 0x8864, "PPPoE session" }, { 0x8847, "MPLS" }, { 0x88e5, "MACsec" },
	{ 0x888e, "EAPOL" }, { 0x8100, "802.1Q" }, { 0x88a8, "802.1ad" },
};

const char *decode_ike_exchange_name(uint8_t exchange)
{
	return LOOKUP(ike_exchanges, exchange);
}

const char *decode_ike_notify_name(uint16_t type)
{
	return LOOKUP(ike_notifies, type);
}

/* ---- text ---------------------------------------------------------------- */

/* An snprintf that appends and never runs past the buffer. */
struct text {
	char *buf;
	size_t len, pos;
};

__attribute__((format(printf, 2, 3)))
static void put(struct text *t, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (t->pos + 1 >= t->len)
		return;
	va_start(ap, fmt);
	n = vsnprintf(t->buf + t->pos, t->len - t->pos, fmt, ap);
	va_end(ap);
	if (n > 0)
		t->pos += (size_t)n < t->len - t->pos ? (size_t)n : t->len - t->pos - 1;
}

/* A table's name, or the number. */
static void put_name(struct text *t, const char *name, unsigned int v)
{
	if (name)
		put(t, "%s", name);
	else
		put(t, "%u", v);
}

static void put_spi(struct text *t, const char *what, uint64_t spi)
{
	if (spi)
		put(t, " %s 0x%016llx", what, (unsigned long long)spi);
	else
		put(t, " %s 0", what);
}

static void summary_ikev1(struct text *t, const struct decode_ike *ike)
{
	put(t, "IKEv1 ");
	put_name(t, LOOKUP(ikev1_exchanges, ike->exchange), ike->exchange);
	put(t, " msgid %u", ike->msg_id);
	put_spi(t, "ispi", ike->ispi);
	put_spi(t, "rspi", ike->rspi);
}

static void summary_ike(struct text *t, const struct decode_ike *ike)
{
	unsigned int i;

	if (!ike->version) {
		put(t, "IKE");         /* the header itself was not captured */
		return;
	}
	if (ike->version >> 4 != 2) {
		summary_ikev1(t, ike);
		return;
	}
	put_name(t, decode_ike_exchange_name(ike->exchange), ike->exchange);
	put(t, " %s%s msgid %u", ike->response ? "response" : "request",
	    ike->initiator ? " (I)" : "", ike->msg_id);
	put_spi(t, "ispi", ike->ispi);
	put_spi(t, "rspi", ike->rspi);
	if (ike->next_payload) {
		put(t, " first ");
		put_name(t, LOOKUP(ike_payloads, ike->next_payload), ike->next_payload);
	}
	for (i = 0; i < ike->n_notify; i++) {
		put(t, i ? "," : " notify ");
		put_name(t, decode_ike_notify_name(ike->notify[i]), ike->notify[i]);
	}
	if (ike->frag_total)
		put(t, " fragment %u/%u", ike->frag_num, ike->frag_total);
	else if (ike->encrypted && ike->next_payload != IKE_PL_SK)
		put(t, " encrypted");
	if (ike->natt)
		put(t, " [NAT-T]");     /* on UDP 4500 behind the non-ESP marker */
}

/* tcpdump's flag letters; '.' is ACK. */
static void put_tcp_flags(struct text *t, uint8_t flags)
{
	static const char letters[] = "FSRPUEW";
	static const uint8_t bits[] = { 0x01, 0x02, 0x04, 0x08, 0x20, 0x40, 0x80 };
	size_t i;

	put(t, "[");
	for (i = 0; i < sizeof(bits); i++)
		if (flags & bits[i])
			put(t, "%c", letters[i]);
	if (flags & 0x10)
		put(t, ".");
	if (!flags)
		put(t, "none");
	put(t, "]");
}

static void summary_tcp(struct text *t, const struct decoded *d)
{
	const struct decode_tcp *tcp = &d->tcp;

	if (tcp->tls_type) {
		put(t, "TLS ");
		put_name(t, LOOKUP(tls_types, tcp->tls_type), tcp->tls_type);
		if (tcp->tls_handshake >= 0) {
			put(t, " ");
			put_name(t, LOOKUP(tls_handshakes, (unsigned int)tcp->tls_handshake),
				 (unsigned int)tcp->tls_handshake);
		}
		if (tcp->sni[0])
			put(t, " sni %s", tcp->sni);
		if (d->tls_alert_seen)
			put(t, " description %u", d->tls_alert);
		put(t, " ");
	} else if (d->http.status) {
		put(t, "HTTP %u ", d->http.status);
	} else if (d->http.method[0]) {
		put(t, "HTTP %s %s ", d->http.method, d->http.path);
	} else {
		put(t, "TCP ");
	}
	if (!d->l4_complete) {
		put(t, "header");      /* cut inside the TCP header */
		return;
	}
	put_tcp_flags(t, tcp->flags);
	put(t, " seq %u", tcp->seq);
	if (tcp->flags & 0x10)
		put(t, " ack %u", tcp->ack);
	put(t, " len %u", d->l4_len);
}

static void summary_icmp(struct text *t, const struct decoded *d)
{
	const char *name = d->family == 6 ? LOOKUP(icmp6_types, d->icmp_type)
					  : LOOKUP(icmp4_types, d->icmp_type);

	put(t, d->family == 6 ? "ICMP6" : "ICMP");
	if (!d->l4_complete)
		return;
	if (name)
		put(t, " %s", name);
	else
		put(t, " type %u", d->icmp_type);
	if (d->icmp_code)
		put(t, " code %u", d->icmp_code);
}

static void summary_other(struct text *t, const struct decoded *d)
{
	if (d->family) {
		put(t, "%s proto ", d->family == 6 ? "IP6" : "IP");
		put_name(t, LOOKUP(ip_protos, d->l4_proto), d->l4_proto);
	} else if (d->ethertype == ETH_P_IP || d->ethertype == ETH_P_IPV6) {
		/* cut inside the IP header, or not really IP */
		put(t, "%s header", d->ethertype == ETH_P_IPV6 ? "IP6" : "IP");
	} else if (d->ethertype) {
		put(t, "ETH type 0x%04x", d->ethertype);
		if (LOOKUP(ethertypes, d->ethertype))
			put(t, " %s", LOOKUP(ethertypes, d->ethertype));
	} else if (d->linktype != 1) {
		put(t, "LINK linktype %u", d->linktype);
	} else {
		put(t, "ETH");
	}
}

size_t decode_summary(const struct decoded *d, char *buf, size_t len)
{
	struct text t = { buf, len, 0 };

	if (!len)
		return 0;
	buf[0] = '\0';
	switch (d->kind) {
	case DECODE_IKE:
		summary_ike(&t, &d->ike);
		break;
	case DECODE_ESP:
		if (d->esp.spi)
			put(&t, "ESP spi 0x%08x seq %u", d->esp.spi, d->esp.seq);
		else
			put(&t, "ESP");
		break;
	case DECODE_KEEPALIVE:
		put(&t, "NAT-T keepalive");
		break;
	case DECODE_TCP:
		summary_tcp(&t, d);
		break;
	case DECODE_UDP:
		put(&t, "UDP");
		if (d->l4_complete)
			put(&t, " len %u", d->l4_len);
		break;
	case DECODE_ICMP:
		summary_icmp(&t, d);
		break;
	case DECODE_FRAGMENT:
		put(&t, "FRAG id %u offset %u%s proto ", d->frag_id, d->frag_offset,
		    d->more_fragments ? " more" : "");
		put_name(&t, LOOKUP(ip_protos, d->l4_proto), d->l4_proto);
		break;
	default:
		summary_other(&t, d);
		break;
	}
	if (d->is_fragment && d->kind != DECODE_FRAGMENT)
		put(&t, " [first fragment id %u]", d->frag_id);
	if (d->truncated)
		put(&t, " [truncated]");
	return t.pos;
}

/* ---- the line ------------------------------------------------------------ */

#define C_RESET "\033[0m"
#define C_GREEN "\033[32m"
#define C_YELLOW "\033[33m"
#define C_BLUE "\033[34m"
#define C_MAGENTA "\033[35m"
#define C_CYAN "\033[36m"
#define C_DIM "\033[2m"

/* The protocol column and its colour. */
static const char *kind_label(const struct decoded *d, const char **colour)
{
	*colour = NULL;
	switch (d->kind) {
	case DECODE_IKE:
		*colour = C_CYAN;
		return "IKE";
	case DECODE_ESP:
		*colour = C_GREEN;
		return "ESP";
	case DECODE_KEEPALIVE:
		*colour = C_DIM;
		return "NAT-T";
	case DECODE_TCP:
		if (d->tcp.tls_type) {
			*colour = C_YELLOW;
			return "TLS";
		}
		if (d->http.status || d->http.method[0])
			return "HTTP";
		return "TCP";
	case DECODE_UDP:
		return "UDP";
	case DECODE_ICMP:
		return d->family == 6 ? "ICMP6" : "ICMP";
	case DECODE_FRAGMENT:
		return "FRAG";
	default:
		if (d->family == 6 || (!d->family && d->ethertype == ETH_P_IPV6))
			return "IP6";
		if (d->family || d->ethertype == ETH_P_IP)
			return "IP";
		return d->linktype == 1 ? "ETH" : "LINK";
	}
}

static void put_endpoint(struct text *t, const struct decoded *d, const char *addr,
			 uint16_t port)
{
	if (!d->has_ports)
		put(t, "%s", addr);
	else if (d->family == 6)
		put(t, "[%s]:%u", addr, port);
	else
		put(t, "%s:%u", addr, port);
}

/* UTC, so the same file prints the same everywhere (tests, other machines). */
static void put_time(struct text *t, uint64_t ts_ns, int date)
{
	time_t sec = (time_t)(ts_ns / 1000000000u);
	struct tm tm;

	if (!gmtime_r(&sec, &tm))
		memset(&tm, 0, sizeof(tm));
	if (date)
		put(t, "%04d-%02d-%02d ", tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday);
	put(t, "%02d:%02d:%02d.%09u", tm.tm_hour, tm.tm_min, tm.tm_sec,
	    (unsigned int)(ts_ns % 1000000000u));
}

static void put_prefix(struct text *t, const struct decode_line *l)
{
	put_time(t, l->ts_ns, l->date);
	if (l->iface)
		put(t, " %s", l->iface);
	if (l->queue >= 0)
		put(t, " q%d", l->queue);
	if (l->dir == DECODE_DIR_IN)
		put(t, l->colour ? " " C_BLUE "in " C_RESET : " in ");
	else if (l->dir == DECODE_DIR_OUT)
		put(t, l->colour ? " " C_MAGENTA "out" C_RESET : " out");
}

size_t decode_format_line(const struct decode_line *l, const struct decoded *d, char *buf,
			  size_t len)
{
	struct text t = { buf, len, 0 };
	char sum[512];
	const char *colour, *label = kind_label(d, &colour), *s = sum;
	size_t n = strlen(label);

	if (!len)
		return 0;
	buf[0] = '\0';
	put_prefix(&t, l);
	if (d->src[0]) {
		put(&t, " ");
		put_endpoint(&t, d, d->src, d->sport);
		put(&t, " > ");
		put_endpoint(&t, d, d->dst, d->dport);
	}
	decode_summary(d, sum, sizeof(sum));
	/* The column names the protocol; a summary that starts with it need not. */
	if (!strncmp(sum, label, n) && sum[n] == ' ')
		s += n + 1;
	else if (!strcmp(sum, label))
		s += n;
	put(&t, " %s%-4s%s", l->colour && colour ? colour : "", label,
	    l->colour && colour ? C_RESET : "");
	if (*s)
		put(&t, " %s", s);
	if (l->caplen < l->origlen)
		put(&t, " (%u of %u bytes)", l->caplen, l->origlen);
	else
		put(&t, " (%u bytes)", l->origlen);
	return t.pos;
}
