/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Decoding one captured frame for people: addresses, ports, and what the VPN
 * protocols carry (IKEv2 header and payload chain, ESP, TLS records). Pure
 * (no I/O, no allocation), bounds-checked against caplen: a truncated or
 * malformed frame decodes as far as its bytes go and says so. Used by the
 * real-time view of `vpncap capture --realtime`, by `vpncap show` and by
 * `vpncap report`; fuzzed.
 */
#ifndef VPNCAP_READ_DECODE_H
#define VPNCAP_READ_DECODE_H

#include <netinet/in.h>
#include <stddef.h>
#include <stdint.h>

#define DECODE_MAX_NOTIFY 8

enum decode_kind {
	DECODE_OTHER = 0,       /* not IP, or a protocol decoded no further */
	DECODE_IKE,             /* UDP 500, or UDP 4500 behind the non-ESP marker */
	DECODE_ESP,             /* IP protocol 50, or ESP-in-UDP on 4500 */
	DECODE_KEEPALIVE,       /* NAT-T keepalive (one 0xff byte on UDP 4500) */
	DECODE_TCP,             /* TCP (TLS records decoded on any port when the payload looks like TLS) */
	DECODE_UDP,             /* other UDP */
	DECODE_ICMP,
	DECODE_FRAGMENT,        /* a later IP fragment: no transport header */
};

enum decode_dir { DECODE_DIR_UNKNOWN = 0, DECODE_DIR_IN, DECODE_DIR_OUT };

struct decode_ike {
	uint64_t ispi, rspi;    /* host order */
	uint8_t exchange;       /* 34 IKE_SA_INIT, 35 IKE_AUTH, 36 CREATE_CHILD_SA, 37 INFORMATIONAL, 43 IKE_INTERMEDIATE */
	uint8_t flags;          /* the header's flags octet */
	int initiator;          /* flag I */
	int response;           /* flag R */
	uint32_t msg_id;
	uint8_t next_payload;   /* first payload type */
	uint8_t version;        /* major << 4 | minor */
	uint32_t length;        /* from the header */
	int natt;               /* carried on UDP 4500 behind the non-ESP marker */
	uint16_t notify[DECODE_MAX_NOTIFY]; /* notify message types, in order (unencrypted payloads) */
	unsigned int n_notify;
	int encrypted;          /* an SK (46) or SKF (53) payload */
	uint16_t frag_num, frag_total; /* SKF (RFC 7383), 0 when not fragmented */
};

struct decode_esp {
	uint32_t spi, seq;
	int udp_encap;
};

struct decode_tcp {
	uint8_t flags;          /* FIN 0x01 SYN 0x02 RST 0x04 PSH 0x08 ACK 0x10 */
	uint32_t seq, ack;
	uint32_t payload_len;   /* bytes after the TCP header, as far as captured */
	uint8_t tls_type;       /* first TLS record's content type (20-23), 0 if none */
	int tls_handshake;      /* first handshake message type (1 ClientHello, 2 ServerHello...), -1 if none */
	char sni[256];          /* ClientHello server_name, "" if none or not captured */
};

struct decoded {
	enum decode_kind kind;
	int family;             /* 4, 6, or 0 when not IP */
	char src[INET6_ADDRSTRLEN], dst[INET6_ADDRSTRLEN];
	uint8_t src_bin[16], dst_bin[16]; /* IPv4 in the first 4 bytes */
	uint8_t l4_proto;
	uint16_t sport, dport;  /* valid when has_ports */
	int has_ports;
	uint16_t vlan;          /* outer VLAN ID, 0 if untagged */
	int is_fragment;        /* any IP fragment (first or later) */
	uint32_t frag_offset;   /* bytes */
	int more_fragments;
	uint32_t frag_id;
	int truncated;          /* the frame ended inside a header being decoded */
	struct decode_ike ike;
	struct decode_esp esp;
	struct decode_tcp tcp;
	/* Appended (source-compatible): */
	uint16_t linktype;      /* 1 Ethernet; see decode_packet() */
	uint16_t ethertype;     /* after any VLAN tags; 0 when the link has none */
	uint8_t icmp_type, icmp_code; /* DECODE_ICMP */
	uint32_t l4_len;        /* transport payload length on the wire (IP/UDP lengths), not just captured */
	int l4_complete;        /* the transport header (UDP 8, TCP data offset, ICMP 4) was captured whole */
	/*
	 * HTTP in clear at the start of a TCP payload (a health check to a
	 * gateway whose TLS the balancer offloads): a request line or a status
	 * line, as far as captured. Empty method and status 0 when none.
	 */
	struct decode_http {
		char method[20];        /* "GET", "SSTP_DUPLEX_POST" */
		char path[160];         /* cut at 159 bytes */
		uint16_t status;        /* of a response, 100-599 */
	} http;
	int tls_alert_seen;     /* a TLS alert record in clear: */
	uint8_t tls_alert;      /* its description */
};

/* Decode an Ethernet frame of caplen captured bytes. Always fills out; 0, or -1 when not IP. */
int decode_frame(const uint8_t *frame, size_t caplen, struct decoded *out);

/*
 * The same for any link type a capture file may carry: 1 Ethernet, 101 (and
 * DLT 12/14) raw IP, 228 IPv4, 229 IPv6, 113 Linux cooked, 276 Linux cooked
 * v2. Others fill only linktype, kind DECODE_OTHER, and return -1.
 */
int decode_packet(uint16_t linktype, const uint8_t *frame, size_t caplen, struct decoded *out);

/* Name of an IKEv2 exchange type ("IKE_SA_INIT"), or NULL when unknown. */
const char *decode_ike_exchange_name(uint8_t exchange);
/* Name of an IKEv2 notify type ("NAT_DETECTION_SOURCE_IP"), or NULL when unknown. */
const char *decode_ike_notify_name(uint16_t type);

/*
 * The protocol summary of a decoded frame, one line without newline, e.g.
 * "IKE_SA_INIT request (I) msgid 0 ispi 0x1a2b.. rspi 0 first SA notify NAT_DETECTION_SOURCE_IP"
 * or "ESP spi 0xc0ffee01 seq 7" or "TLS Handshake ClientHello sni vpn.example.com".
 * Returns the length written (truncated to len - 1).
 */
size_t decode_summary(const struct decoded *d, char *buf, size_t len);

/* One frame's line of the real-time view and of `vpncap show`. */
struct decode_line {
	uint64_t ts_ns;         /* wall clock */
	const char *iface;      /* may be NULL */
	int queue;              /* -1 when unknown */
	enum decode_dir dir;
	uint32_t caplen, origlen;
	int colour;             /* ANSI colours (a terminal) */
	/* Appended (source-compatible): */
	int date;               /* "2026-12-06 " before the time of day */
};

/*
 * "14:03:07.123456789 eth1 q0 in  198.18.0.2:500 > 198.18.0.1:500 IKE  IKE_SA_INIT request ... (254 bytes)"
 * Time of day in UTC, after the date ("2026-12-06 14:03:07.1...") when
 * l->date; iface, queue and direction only when known; a 4-wide
 * protocol column (IKE, ESP, NAT-T, TLS, TCP, UDP, ICMP, FRAG, IP, ETH), then
 * the summary without its repeated first word; "(N bytes)", or
 * "(caplen of origlen bytes)" for a frame cut by the snap length.
 * Returns the length written (truncated to len - 1).
 */
size_t decode_format_line(const struct decode_line *l, const struct decoded *d, char *buf,
			  size_t len);

#endif /* VPNCAP_READ_DECODE_H */
