// SPDX-License-Identifier: GPL-2.0-only
#define _GNU_SOURCE
#include "capture/session_parts.h"

/* ---- --mode auto: the host starts to use the port ----------------------------- */

/* New IDBs, for the interfaces as they are now; the writer starts a file. */
static void redescribe(struct capture_session *s)
{
	struct fileset_config cfg;

	session_prepare_idbs(s, s->opts->unmatched);
	session_fileset_config_of(s, s->is_dir, &cfg);
	writer_reconfigure(&s->writer, &cfg);
}

/*
 * Bypass was chosen because nothing on the host used the interface. Once
 * something does (networking comes up after vpncap at boot, the port joins
 * a bridge or a bond, a VLAN is created on it), taking matched frames away
 * would cut the host's own VPN traffic: copy instead, from now on.
 */
static int switch_to_inline(const struct capture_session *s, struct capture_iface *ci,
			    const struct host_use *use)
{
	char err[ERRLEN];
	int ret;

	if (!ci->cls.variant.can_copy_rx) {
		/* Bypass would go on taking the host's traffic: stop capturing here instead. */
		classifier_detach(&ci->cls);
		log_error("%s: %s now, and kernel %s cannot capture inline (no bpf_xdp_load_bytes or bpf_probe_read_kernel in XDP): capture on %s stopped, the host keeps its traffic",
			  ci->info.name, use->why, s->kf.release, ci->info.name);
		ci->auto_mode = 0;
		return -EOPNOTSUPP;
	}
	ret = classifier_set_mode(&ci->cls, VPNCAP_MODE_INLINE);
	if (ret) {
		log_error("%s: %s now, but switching to inline failed: %s", ci->info.name,
			  use->why, strerror(-ret));
		return ret;
	}
	ci->mode = CAPTURE_MODE_INLINE;
	ci->host_use = *use;
	if (classifier_attach_egress(&ci->cls, err, sizeof(err)))
		log_error("%s; transmitted frames are not captured", err);
	log_info("%s: %s now: --mode auto switched to inline, the host keeps its traffic",
		 ci->info.name, use->why);
	session_find_degradations(s, ci);
	return 0;
}

/* Every second: is a port auto gave to bypass still one nothing uses? */
void session_follow_host_use(struct capture_session *s)
{
	struct iface_info now;
	struct host_use use;
	unsigned int i;
	int switched = 0;
	char err[ERRLEN];

	for (i = 0; i < s->n_ifaces; i++) {
		struct capture_iface *ci = &s->ifaces[i];

		if (ci->gone || !ci->auto_mode || ci->mode != CAPTURE_MODE_BYPASS ||
		    iface_lookup(ci->info.name, &now, err, sizeof(err)))
			continue;
		host_use_of(&now, &use);
		if (use.kind != HOST_USE_NONE && !switch_to_inline(s, ci, &use))
			switched = 1;
	}
	if (switched)
		redescribe(s);
}

/* ---- reload -------------------------------------------------------------- */

/* Per-rule snaplen and the words for if_filter, for the rule set in s->rules. */
void session_note_rules(struct capture_session *s)
{
	frame_path_set_rules(&s->path, &s->rules);
	if (s->from_filters)
		filters_describe(&s->filters, s->rules_words, sizeof(s->rules_words));
	else
		rules_describe_exprs(&s->rules, &s->exprs, s->rules_words, sizeof(s->rules_words));
}

/*
 * What to capture: --rules, else the named filters of the configuration
 * directory (when there are any), else the VPN default. -1 with err when
 * the filter file is broken.
 */
int session_choose_rules(struct capture_session *s, const struct capture_opts *o,
			 struct vpncap_ruleset *rules, struct rule_exprs *exprs, char *err,
			 size_t errlen)
{
	s->from_filters = 0;
	memset(exprs, 0, sizeof(*exprs));
	if (o->rules && !rules_parse_any(o->rules, rules, exprs, NULL, 0))
		return 0;
	if (filters_load(s->filters_path, &s->filters, err, errlen))
		return -1;
	if (s->filters.count) {
		filters_to_ruleset(&s->filters, rules, exprs);
		s->from_filters = 1;
		return 0;
	}
	rules_default(rules);
	return 0;
}

/*
 * The expression programs of rule-set slot `slot` on one interface. 0, or
 * -errno with err: the slot's expression filters then match nothing.
 */
static int install_exprs(struct capture_iface *ci, unsigned int slot,
			 const struct rule_exprs *exprs, char *err, size_t errlen)
{
	const char *texts[VPNCAP_MAX_EXPRS];
	unsigned int i;

	for (i = 0; i < exprs->n && i < VPNCAP_MAX_EXPRS; i++)
		texts[i] = exprs->text[i];
	return expr_progs_install(&ci->cls, slot, texts, i, err, errlen);
}

/*
 * At the start, after the attach: the classifier already reads the first
 * rule set, whose expression rules match nothing until this is done.
 */
int session_start_exprs(struct capture_session *s, struct capture_iface *ci, char *err,
			size_t errlen)
{
	char why[ERRLEN];
	int ret;

	if (!s->exprs.n)
		return 0;
	ret = install_exprs(ci, ci->cls.active_rules, &s->exprs, why, sizeof(why));
	if (ret)
		err_set(err, errlen, "%s: expressions cannot run: %s", ci->info.name, why);
	return ret;
}

/*
 * New rules and unmatched action on every interface, each swapped in one
 * store; the expressions of the new set go into its slot's bank first.
 */
static void install_rules(struct capture_session *s, const struct vpncap_ruleset *rules,
			  const struct rule_exprs *exprs, const struct capture_opts *n)
{
	struct capture_iface *ci;
	char why[ERRLEN];
	unsigned int i;

	for (i = 0; i < s->n_ifaces; i++) {
		ci = &s->ifaces[i];
		ci->cls.frag_timeout_ns = n->fragment_timeout_ms * 1000000ull;
		ci->cls.host_window_ns = n->fragment_window_ms * 1000000ull;
		/* An interface gone (-i any) runs nothing more: no line about it. */
		if (!ci->gone && install_exprs(ci, ci->cls.active_rules ^ 1, exprs, why, sizeof(why)))
			log_error("%s: expressions cannot run: %s; their filters match nothing",
				  ci->info.name, why);
		if (classifier_apply_rules(&ci->cls, rules, n->unmatched))
			log_error("%s: cannot update the rules: %s", ci->info.name,
				  strerror(errno));
	}
	s->rules = *rules;
	s->exprs = *exprs;
	session_note_rules(s);
	session_prepare_idbs(s, n->unmatched);
}

static int rules_changed(const struct capture_session *s, const struct vpncap_ruleset *rules,
			 const struct rule_exprs *exprs, const struct capture_opts *n)
{
	return memcmp(rules, &s->rules, sizeof(*rules)) ||
	       memcmp(exprs, &s->exprs, sizeof(*exprs)) || n->unmatched != s->opts->unmatched ||
	       n->fragment_timeout_ms != s->opts->fragment_timeout_ms ||
	       n->fragment_window_ms != s->opts->fragment_window_ms;
}

void session_remember_filters_file(struct capture_session *s)
{
	if (stat(s->filters_path, &s->filters_stat))
		memset(&s->filters_stat, 0, sizeof(s->filters_stat));
}

/*
 * `vpncap filter add/remove` while capturing: the file changed, so load it
 * and swap the rule set in (within a second); a broken file changes nothing.
 */
void session_follow_filters_file(struct capture_session *s)
{
	struct vpncap_ruleset rules;
	struct rule_exprs exprs;
	struct fileset_config cfg;
	struct stat st;
	char err[512];

	if (s->opts->rules)
		return;
	if (stat(s->filters_path, &st))
		memset(&st, 0, sizeof(st));
	if (st.st_ino == s->filters_stat.st_ino && st.st_size == s->filters_stat.st_size &&
	    st.st_mtim.tv_sec == s->filters_stat.st_mtim.tv_sec &&
	    st.st_mtim.tv_nsec == s->filters_stat.st_mtim.tv_nsec)
		return;
	s->filters_stat = st;
	if (session_choose_rules(s, s->opts, &rules, &exprs, err, sizeof(err))) {
		log_error("filters: %s; keeping the running filters", err);
		return;
	}
	install_rules(s, &rules, &exprs, s->opts);
	session_fileset_config_of(s, s->is_dir, &cfg);
	writer_reconfigure(&s->writer, &cfg);
	log_info("filters: now capturing %s", s->rules_words);
}

/*
 * SIGHUP: read the configuration again. An invalid one changes nothing;
 * otherwise rules, unmatched action, rotation, retention, sync, compression
 * and the on-rotate command apply at once, without stopping capture: the
 * rings, the queue and the current file stay as they are.
 */
void session_reload(struct capture_session *s)
{
	struct capture_opts *n = calloc(1, sizeof(*n));
	struct vpncap_ruleset rules;
	struct rule_exprs exprs;
	struct fileset_config cfg;
	char err[ERRLEN] = "";
	const char *what;

	if (!n || !s->reloader) {
		log_error("reload: nothing to reload (no --config)");
		free(n);
		return;
	}
	sd_notify(0, "RELOADING=1");
	if (s->reloader->load(s->reloader->ctx, n, err, sizeof(err)) ||
	    session_check_output(n, s->is_dir, err, sizeof(err))) {
		log_error("reload: %s; keeping the running configuration", err);
		free(n);
		sd_notify(0, "READY=1");
		return;
	}
	what = capture_opts_restart_needed(s->opts, n);
	if (what) {
		log_error("reload: a change of '%s' needs a restart; keeping the running configuration",
			  what);
		free(n);
		sd_notify(0, "READY=1");
		return;
	}
	if (session_choose_rules(s, n, &rules, &exprs, err, sizeof(err))) {
		log_error("reload: %s; keeping the running configuration", err);
		free(n);
		sd_notify(0, "READY=1");
		return;
	}
	if (rules_changed(s, &rules, &exprs, n))
		install_rules(s, &rules, &exprs, n);
	free(s->reloaded);
	s->reloaded = n;
	s->opts = n;
	session_fileset_config_of(s, s->is_dir, &cfg);
	writer_reconfigure(&s->writer, &cfg);
	log_info("reload: applied (%s)", s->filter);
	sd_notify(0, "READY=1");
}
