// SPDX-License-Identifier: GPL-2.0-only
/*
 * -i any (PktMon's --comp nics): every interface hook/iface.h's
 * iface_any_wants() takes, each judged by --mode as if named, each with its
 * own IDB. Interfaces are followed while the capture runs: one that appears
 * (or comes up) is attached and its IDB appended to the file; one that goes
 * away ends its own part only. Its slot stays, so every interface keeps the
 * IDB number its frames were written with.
 */
#define _GNU_SOURCE
#include "capture/session_parts.h"

/* Interfaces looked at per scan: more than a run captures, so none is passed over unsaid. */
#define ANY_SCAN_MAX 256
_Static_assert(sizeof(((struct capture_session *)0)->refused) / sizeof(int) >= ANY_SCAN_MAX,
	       "every interface of a scan can be refused once");
#define ANY_TOO_MANY "-i any captures at most 16 interfaces in one run (gone ones included)"
_Static_assert(CAPTURE_MAX_IFACES == 16, "ANY_TOO_MANY says 16");

static int is_captured(const struct capture_session *s, int ifindex)
{
	unsigned int i;

	for (i = 0; i < s->n_ifaces; i++)
		if (!s->ifaces[i].gone && s->ifaces[i].info.ifindex == ifindex)
			return 1;
	for (i = 0; i < s->n_refused; i++)
		if (s->refused[i] == ifindex)
			return 1;
	return 0;
}

/* Tried once: an interface vpncap cannot take is said once, not every 250 ms. */
static void refuse(struct capture_session *s, const struct iface_pick *p, const char *why)
{
	const unsigned int room = sizeof(s->refused) / sizeof(s->refused[0]);

	log_error("%s: not captured: %s", p->name, why);
	/* Full: the oldest goes (its interface is likely gone by then). */
	s->refused[s->refused_next++ % room] = p->ifindex;
	if (s->n_refused < room)
		s->n_refused++;
}

int session_pick_any(struct capture_session *s, char *err, size_t errlen)
{
	struct iface_pick picks[ANY_SCAN_MAX];
	unsigned int n = iface_list_any(picks, ANY_SCAN_MAX), i;
	char names[CAPTURE_MAX_IFACES * (IF_NAMESIZE + 2)] = "", why[ERRLEN];
	size_t used = 0;

	for (i = 0; i < n; i++) {
		struct capture_iface *ci = &s->ifaces[s->n_ifaces];

		if (s->n_ifaces >= CAPTURE_MAX_IFACES) {
			refuse(s, &picks[i], ANY_TOO_MANY);
			continue;
		}
		if (session_check_iface(ci, picks[i].name, s->opts, why, sizeof(why))) {
			memset(ci, 0, sizeof(*ci));
			refuse(s, &picks[i], why);
			continue;
		}
		s->n_ifaces++;
		used += (size_t)snprintf(names + used, sizeof(names) - used, "%s%s",
					 used ? ", " : "", picks[i].name);
	}
	if (!s->n_ifaces) {
		err_set(err, errlen, "-i any: no interface to capture (none is up, with Ethernet framing, and not loopback or stacked on another)");
		return -1;
	}
	log_info("-i any: chose %s (up, Ethernet, not loopback or stacked); interfaces that appear later are added",
		 names);
	return 0;
}

/*
 * A bypass interface's sockets need consumer threads: new ones, each with a
 * writer queue of its own (the running ones' socket lists are theirs alone).
 */
static int add_consumers(struct capture_session *s, struct capture_iface *ci, unsigned int if_id,
			 char *err, size_t errlen)
{
	const struct capture_opts *o = s->opts;
	struct consumer *c = NULL;
	unsigned int j, first = s->n_consumers;
	int ret;

	for (j = 0; j < ci->n_queues; j++) {
		if (!c || c->n_socks >= CONSUMER_MAX_SOCKETS) {
			if (s->n_consumers >= s->cap_consumers || s->n_outs >= WRITER_MAX_QUEUES) {
				err_set(err, errlen, "no room for another capture thread (at most %u)",
					s->cap_consumers);
				return -ENOSPC;
			}
			c = &s->consumers[s->n_consumers];
			ret = consumer_init(c, &s->path, s->queue_share,
					    o->n_cpus ? (int)o->cpus[s->n_consumers % o->n_cpus] : -1,
					    o->busy_poll);
			if (ret) {
				err_set(err, errlen, "cannot allocate a writer queue: %s", strerror(-ret));
				return ret;
			}
			s->n_consumers++;
			s->outs[s->n_outs++] = &c->out;
			if (s->has_output)
				writer_add_queue(&s->writer, &c->out.queue);
		}
		consumer_add_socket(c, &ci->queues[j], if_id, ci->info.name, &ci->queue_taken[j]);
	}
	for (j = first; j < s->n_consumers; j++) {
		ret = consumer_start(&s->consumers[j]);
		if (ret) {
			err_set(err, errlen, "cannot start a capture thread: %s", strerror(-ret));
			return ret;
		}
	}
	return 0;
}

/*
 * Attached, then its IDB handed to the writer, then its frames taken: the
 * writer never meets a frame of an interface its file has no IDB for
 * (inline frames are taken by this thread after this; bypass sockets hold
 * theirs until the new consumer threads start).
 */
static void add_iface(struct capture_session *s, const struct iface_pick *p)
{
	unsigned int id = s->n_ifaces;
	struct capture_iface *ci = &s->ifaces[id];
	struct fileset_config cfg;
	char err[ERRLEN] = "";

	memset(ci, 0, sizeof(*ci));
	if (session_check_iface(ci, p->name, s->opts, err, sizeof(err))) {
		memset(ci, 0, sizeof(*ci));
		refuse(s, p, err);
		return;
	}
	ci->ring_ctx = (struct ring_ctx){ .s = s, .if_id = id };
	s->ifnames[id] = ci->info.name;
	s->n_ifaces++; /* its slot stays, also when it fails: it may hold sockets */
	if (session_start_iface(s, ci, err, sizeof(err))) {
		classifier_detach(&ci->cls);
		ci->gone = 1;
		refuse(s, p, err[0] ? err : "cannot start the capture");
		return;
	}
	session_prepare_idbs(s, s->opts->unmatched);
	session_fileset_config_of(s, s->is_dir, &cfg);
	writer_reconfigure(&s->writer, &cfg);
	if (ci->mode == CAPTURE_MODE_BYPASS && add_consumers(s, ci, id, err, sizeof(err))) {
		classifier_detach(&ci->cls);
		ci->gone = 1;
		refuse(s, p, err);
		return;
	}
	log_info("-i any: %s appeared: capturing it too (%s)", ci->info.name,
		 session_mode_name(ci->mode));
}

/* An interface gone in -i any: its part ends, the capture goes on. */
static void note_gone(struct capture_session *s)
{
	unsigned int i;

	for (i = 0; i < s->n_ifaces; i++) {
		struct capture_iface *ci = &s->ifaces[i];

		if (ci->gone || !iface_gone(ci->info.ifindex))
			continue;
		ci->gone = 1;
		log_info("%s: the interface went away; its capture ended, the others go on",
			 ci->info.name);
	}
}

void session_follow_any(struct capture_session *s)
{
	struct iface_pick picks[ANY_SCAN_MAX];
	unsigned int n, i;

	note_gone(s);
	n = iface_list_any(picks, ANY_SCAN_MAX);
	for (i = 0; i < n; i++) {
		if (is_captured(s, picks[i].ifindex))
			continue;
		if (s->n_ifaces >= CAPTURE_MAX_IFACES) {
			refuse(s, &picks[i], ANY_TOO_MANY);
			continue;
		}
		add_iface(s, &picks[i]);
	}
}
