/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The expression programs of an attached classifier (vpncap/abi.h,
 * "Expressions"): each expression compiled by libpcap (hook/expr.c),
 * translated into one XDP and one TC program (hook/cbpf_xlate.c) and put
 * in the rule-set slot's bank of expr_progs_xdp / expr_progs_tc, and the
 * resume copy of the classifier that the last of them tail-calls.
 */
#ifndef VPNCAP_HOOK_EXPR_PROGS_H
#define VPNCAP_HOOK_EXPR_PROGS_H

#include <stddef.h>

#include "hook/classifier.h"

/*
 * Fills the bank of rule-set slot `slot` with texts[0..n) (n <=
 * VPNCAP_MAX_EXPRS) and empties the rest of it; call it before the rule set
 * that uses them becomes active. n == 0 only empties the bank. The
 * classifier must be attached (its programs loaded). 0, or -errno with err:
 * the bank is then empty, so the set's expression rules match nothing.
 */
int expr_progs_install(struct classifier *c, unsigned int slot, const char *const *texts,
		       unsigned int n, char *err, size_t errlen);

#endif /* VPNCAP_HOOK_EXPR_PROGS_H */
