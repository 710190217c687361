// SPDX-License-Identifier: GPL-2.0-only
#include "hook/netlink.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#define NL_BUF_SIZE 65536

int nl_next_attr(const char **p, size_t *rem, uint16_t *type, const void **data, size_t *len)
{
	struct nlattr a;
	size_t step;

	if (!*rem)
		return 0;
	if (*rem < NLA_HDRLEN)
		return -1;
	memcpy(&a, *p, sizeof(a));
	if (a.nla_len < NLA_HDRLEN || a.nla_len > *rem)
		return -1;
	*type = a.nla_type & NLA_TYPE_MASK;
	*data = *p + NLA_HDRLEN;
	*len = a.nla_len - NLA_HDRLEN;
	/* The last attribute may come without its padding. */
	step = NLA_ALIGN((size_t)a.nla_len);
	if (step > *rem)
		step = *rem;
	*p += step;
	*rem -= step;
	return 1;
}

int nl_open(int protocol)
{
	struct timeval tv = { .tv_sec = 2 };
	int fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, protocol);

	if (fd < 0)
		return -errno;
	/* The kernel answers at once; the timeout only guards against a bug. */
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	return fd;
}

/* 1: the answer is complete, with *ret; 0: more messages follow. */
static int reply_message(const struct nlmsghdr *h, int dump, nl_msg_fn fn, void *ctx, int *ret)
{
	if (h->nlmsg_type == NLMSG_DONE) {
		*ret = 0;
		return 1;
	}
	if (h->nlmsg_type == NLMSG_ERROR) {
		const struct nlmsgerr *e = NLMSG_DATA(h);

		if (h->nlmsg_len < NLMSG_LENGTH(sizeof(*e))) {
			*ret = -EIO;
			return 1;
		}
		*ret = e->error;
		/* A dump ends with DONE; its ACK (0) may come first or not at all. */
		return *ret || !dump;
	}
	fn(ctx, h);
	return 0;
}

int nl_talk(int fd, struct nlmsghdr *req, nl_msg_fn fn, void *ctx)
{
	struct sockaddr_nl kernel = { .nl_family = AF_NETLINK };
	int dump = !!(req->nlmsg_flags & NLM_F_DUMP);
	char *buf = malloc(NL_BUF_SIZE);
	int ret = -EIO;

	if (!buf)
		return -ENOMEM;
	req->nlmsg_flags |= NLM_F_ACK;
	if (sendto(fd, req, req->nlmsg_len, 0, (struct sockaddr *)&kernel, sizeof(kernel)) < 0) {
		ret = -errno;
		goto out;
	}
	for (;;) {
		ssize_t got = recv(fd, buf, NL_BUF_SIZE, 0);
		struct nlmsghdr *h;
		int len = (int)got;

		if (got < 0) {
			ret = -errno;
			goto out;
		}
		/* NLMSG_OK() spelled out: it compares an int with a __u32. */
		for (h = (struct nlmsghdr *)buf;
		     len >= (int)sizeof(*h) && h->nlmsg_len >= sizeof(*h) && (int)h->nlmsg_len <= len;
		     h = NLMSG_NEXT(h, len))
			if (h->nlmsg_seq == req->nlmsg_seq && reply_message(h, dump, fn, ctx, &ret))
				goto out;
	}
out:
	free(buf);
	return ret;
}
