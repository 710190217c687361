/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Which frames of a capture file `vpncap show` prints: a tcpdump expression
 * (the grammar of capture filters, compiled by libpcap) and four class
 * words that stand alone or combine with and/or/not and parentheses:
 *   ike   UDP 500, or UDP 4500 behind the four zero bytes of the non-ESP marker
 *   natt  UDP 4500 (IKE, ESP-in-UDP and keepalives)
 *   esp   IP protocol 50, or UDP 4500 that is neither IKE nor a keepalive
 *   sstp  TCP 443
 * as decode.c names frames (its IKE and ESP columns). libpcap's transport
 * offsets stop at IPv4, so on UDP 4500 over IPv6 the marker is read just
 * after the fixed IPv6 header (no extension headers). Each link type a file
 * carries gets its own compiled program; an expression that cannot apply to
 * a link type ("ether host" on raw IP) matches none of its frames.
 */
#ifndef VPNCAP_READ_FRAME_FILTER_H
#define VPNCAP_READ_FRAME_FILTER_H

#include <stddef.h>
#include <stdint.h>

struct frame_filter;    /* opaque */

/*
 * Compiled for Ethernet at once, so a bad expression is refused before any
 * file is read: NULL with libpcap's reason in err (no quoting, no prefix).
 */
struct frame_filter *frame_filter_new(const char *text, char *err, size_t errlen);

/*
 * 1 when the frame matches, 0 when not; -1 (a non-match) the first time a
 * link type is met that the expression cannot be compiled for, with why in
 * err: the caller says so once; later frames of it return 0.
 */
int frame_filter_match(struct frame_filter *f, uint16_t linktype, const uint8_t *data,
		       uint32_t caplen, uint32_t origlen, char *err, size_t errlen);

void frame_filter_free(struct frame_filter *f);

/*
 * The expression libpcap compiles: text with the class words replaced by
 * their expressions. Returns like snprintf (the length it needs).
 */
int frame_filter_expand(const char *text, char *out, size_t len);

#endif /* VPNCAP_READ_FRAME_FILTER_H */
