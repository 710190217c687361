/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The netlink transport the hook's kernel queries share: one request, every
 * reply message handed over until the answer is complete, and a checked
 * walk over attributes. Generic netlink (netdev_genl.c) and rtnetlink
 * (host_use.c) each add their own message header on top.
 *
 * Replies are outside input: nl_next_attr() checks every length.
 */
#ifndef VPNCAP_HOOK_NETLINK_H
#define VPNCAP_HOOK_NETLINK_H

#include <linux/netlink.h>
#include <stddef.h>
#include <stdint.h>

/* Called with each reply message of the request (not ACKs, errors or DONE). */
typedef void (*nl_msg_fn)(void *ctx, const struct nlmsghdr *h);

/* A netlink socket of PROTOCOL (NETLINK_GENERIC, NETLINK_ROUTE); -errno. */
int nl_open(int protocol);

/*
 * Send the request at req (nlmsg_len bytes; NLM_F_ACK is added) and feed
 * every reply message to fn until the answer is complete: the ACK of a
 * single request, NLMSG_DONE of a dump. 0 or -errno (the kernel's error).
 */
int nl_talk(int fd, struct nlmsghdr *req, nl_msg_fn fn, void *ctx);

/*
 * The attribute at *p of the *rem bytes left: 1 and the attribute, 0 at
 * the end, -1 when it claims more bytes than there are. The header is
 * copied out: crafted input need not be aligned.
 */
int nl_next_attr(const char **p, size_t *rem, uint16_t *type, const void **data, size_t *len);

#endif /* VPNCAP_HOOK_NETLINK_H */
