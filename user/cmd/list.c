// SPDX-License-Identifier: GPL-2.0-only
#include "cmd/cmd.h"
#include "cmd/list.h"
#include "json.h"
#include "log.h"
#include "optparse.h"
#include "hook/iface.h"
#include "hook/kernel_probe.h"
#include "hook/netdev_genl.h"
#include "vpncap/abi.h"

#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <errno.h>
#include <fcntl.h>
#include <ifaddrs.h>
#include <linux/if_packet.h>
#include <linux/sockios.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#ifndef IFF_LOWER_UP
#define IFF_LOWER_UP 0x10000
#endif
#ifndef IFF_DORMANT
#define IFF_DORMANT 0x20000
#endif

#define LOCK_DIR "/run/vpncap"
#define VPNCAP_PROG "vpncap_xdp"
#define DISPATCHER_PROG "xdp_dispatcher"
#define TABLE_WIDTH 120

const char list_usage[] =
	"usage: vpncap list [--json]\n"
	"\n"
	"First what the running kernel accepts of what vpncap can use (probed by\n"
	"loading small BPF programs, so root is needed to know), and for each\n"
	"feature it lacks what vpncap does instead and what that costs. Then one\n"
	"row per network interface of the current network namespace: index,\n"
	"name, driver, MAC, state, MTU, RX queues, whether a vpncap capture runs on\n"
	"it (bypass or inline, as its program runs), IPv4 and IPv6 addresses; under\n"
	"a bypass capture, a line saying that other captures on the port (tcpdump,\n"
	"xdpdump) do not see the matched frames; then which XDP modes it can take (native needs\n"
	"driver support, read from the kernel on Linux 6.3 and later; skb always\n"
	"works), whether AF_XDP zero-copy is possible, the XDP RX metadata the driver\n"
	"hands a device-bound program (timestamp, hash, vlan-tag; Linux 6.8 and\n"
	"later: --timestamps needs timestamp), and the XDP programs attached\n"
	"(vpncap's own is vpncap_xdp, libxdp's dispatcher xdp_dispatcher). Without\n"
	"root, program names and captures may show as unknown.\n"
	"\n"
	"Options:\n"
	"  --json      a JSON object instead: kernel {release, probed (false without\n"
	"              the privileges to probe), unprobed (why, or null), features\n"
	"              (array of {name, what, present, forced (turned off by\n"
	"              VPNCAP_KERNEL_LACKS, a test switch), why (the kernel's refusal,\n"
	"              or null), effect (what vpncap does without it, or null),\n"
	"              costly (true when that loses something)})}, and\n"
	"              interfaces, an array with one object per interface, with the keys\n"
	"              ifindex (number), name, driver, mac (string or null),\n"
	"              state (\"UP\", \"NO-CARRIER\" or \"DOWN\"), operstate (the kernel's,\n"
	"              lower case), flags (array: UP, LOWER_UP, RUNNING, BROADCAST,\n"
	"              MULTICAST, LOOPBACK, POINTOPOINT, NOARP, PROMISC, DORMANT),\n"
	"              mtu (number or null), rx_queues (number), ipv4 and ipv6 (arrays\n"
	"              of \"ADDRESS/PREFIX\"), capturing (true, false or null),\n"
	"              capture_mode (\"bypass\", \"inline\", or null without a\n"
	"              vpncap program or when it cannot be read),\n"
	"              hidden_from_other_captures (true in bypass: tcpdump and\n"
	"              xdpdump on the port do not see the matched frames),\n"
	"              xdp: {skb (true), native, hw_offload, zero_copy (true, false,\n"
	"              or null before Linux 6.3), features (array of redirect,\n"
	"              ndo-xmit, xsk-zerocopy, hw-offload, rx-sg, ndo-xmit-sg; null\n"
	"              before Linux 6.3), zc_max_segs (number or null), rx_metadata\n"
	"              (array of timestamp, hash, vlan-tag: what the driver hands\n"
	"              XDP programs; null before Linux 6.8), programs\n"
	"              (array, null when unknown) of {id, mode (\"native\", \"skb\",\n"
	"              \"hw\"), name (null without CAP_SYS_ADMIN), owner (\"vpncap\",\n"
	"              \"libxdp\" or null), components (array: the programs behind\n"
	"              libxdp's dispatcher), vpncap (true when vpncap_xdp is among\n"
	"              them)}}\n"
	"  -h, --help  this text\n";

/* ---- pure helpers -------------------------------------------------------- */

int list_parse_args(int argc, char **argv, struct list_opts *o, char *err, size_t errlen)
{
	enum { O_JSON, O_HELP };
	static const struct optdef defs[] = { { "json", 0, 0, O_JSON, NULL }, { "help", 'h', 0, O_HELP, NULL } };
	struct optparse p;
	const char *value;
	int rc, id;

	memset(o, 0, sizeof(*o));
	optparse_init(&p, argc, argv, 0);
	while ((rc = optparse_next(&p, defs, 2, &id, &value, err, errlen)) != OPTPARSE_END) {
		if (rc == OPTPARSE_ERROR)
			return -1;
		if (rc == OPTPARSE_WORD) {
			err_set(err, errlen, "unexpected argument '%.80s'", value);
			return -1;
		}
		if (id == O_JSON)
			o->json = 1;
		else
			o->help = 1;
	}
	return 0;
}

unsigned int list_prefix_len(const unsigned char *mask, size_t len)
{
	unsigned int n = 0;
	size_t i;

	for (i = 0; i < len; i++) {
		unsigned char b = mask[i];

		while (b & 0x80) {
			n++;
			b <<= 1;
		}
		if (mask[i] != 0xff)
			break;
	}
	return n;
}

static const struct netdev_flag_word feature_words[] = {
	{ LIST_XDP_REDIRECT, "redirect" },
	{ LIST_XDP_NDO_XMIT, "ndo-xmit" },
	{ LIST_XDP_XSK_ZEROCOPY, "xsk-zerocopy" },
	{ LIST_XDP_HW_OFFLOAD, "hw-offload" },
	{ LIST_XDP_RX_SG, "rx-sg" },
	{ LIST_XDP_NDO_XMIT_SG, "ndo-xmit-sg" },
};

void list_feature_words(uint64_t features, char *buf, size_t len)
{
	netdev_flag_words(feature_words, sizeof(feature_words) / sizeof(feature_words[0]),
			  features, " ", buf, len);
}

const char *list_prog_owner(const struct list_prog *p)
{
	if (!strcmp(p->name, VPNCAP_PROG))
		return "vpncap";
	if (!strcmp(p->name, DISPATCHER_PROG))
		return "libxdp";
	return NULL;
}

/* vpncap's program on the hook, directly or behind the dispatcher. */
static int prog_is_vpncap(const struct list_prog *p)
{
	const char *c = p->components;
	size_t n = strlen(VPNCAP_PROG);

	if (!strcmp(p->name, VPNCAP_PROG))
		return 1;
	for (; (c = strstr(c, VPNCAP_PROG)); c += n)
		if ((c == p->components || c[-1] == ' ') && (c[n] == ' ' || !c[n]))
			return 1;
	return 0;
}

const char *list_state(const struct list_entry *e)
{
	if (!(e->flags & IFF_UP))
		return "DOWN";
	return e->flags & IFF_LOWER_UP ? "UP" : "NO-CARRIER";
}

int list_add_addr(struct list_entry *e, int ipv6, const char *addr)
{
	char ***list = ipv6 ? &e->ipv6 : &e->ipv4;
	size_t *n = ipv6 ? &e->n_ipv6 : &e->n_ipv4;
	char **grown = realloc(*list, (*n + 1) * sizeof(**list));

	if (!grown)
		return -ENOMEM;
	*list = grown;
	grown[*n] = strdup(addr);
	if (!grown[*n])
		return -ENOMEM;
	(*n)++;
	return 0;
}

void list_entries_free(struct list_entry *e, size_t n)
{
	size_t i, j;

	for (i = 0; i < n; i++) {
		for (j = 0; j < e[i].n_ipv4; j++)
			free(e[i].ipv4[j]);
		for (j = 0; j < e[i].n_ipv6; j++)
			free(e[i].ipv6[j]);
		free(e[i].ipv4);
		free(e[i].ipv6);
	}
}

/* ---- the table ------------------------------------------------------------ */

enum { COL_IDX, COL_NAME, COL_DRIVER, COL_MAC, COL_STATE, COL_MTU, COL_RXQ, COL_CAPTURE,
       COL_ADDR, N_COLS };

static const char *const col_title[N_COLS] = {
	"IDX", "NAME", "DRIVER", "MAC", "STATE", "MTU", "RXQ", "VPNCAP", "ADDRESSES",
};

/* Numbers right-aligned, words left-aligned. */
static const int col_right[N_COLS] = { [COL_IDX] = 1, [COL_MTU] = 1, [COL_RXQ] = 1 };

struct row {
	char cell[N_COLS][96];
};

static const char *capture_word(const struct list_entry *e)
{
	if (e->capturing == LIST_UNKNOWN)
		return "unknown";
	if (!e->capturing)
		return "-";
	if (e->capture_mode == LIST_CAPTURE_BYPASS)
		return "bypass";
	if (e->capture_mode == LIST_CAPTURE_INLINE)
		return "inline";
	return "capturing";
}

/* The first address goes on the row, the others on continuation lines. */
static const char *address_at(const struct list_entry *e, size_t i)
{
	if (i < e->n_ipv4)
		return e->ipv4[i];
	if (i - e->n_ipv4 < e->n_ipv6)
		return e->ipv6[i - e->n_ipv4];
	return NULL;
}

static void fill_row(const struct list_entry *e, struct row *r)
{
	const char *addr = address_at(e, 0);

	snprintf(r->cell[COL_IDX], sizeof(r->cell[0]), "%d", e->ifindex);
	snprintf(r->cell[COL_NAME], sizeof(r->cell[0]), "%s", e->name);
	snprintf(r->cell[COL_DRIVER], sizeof(r->cell[0]), "%s", e->driver);
	snprintf(r->cell[COL_MAC], sizeof(r->cell[0]), "%s", e->mac[0] ? e->mac : "-");
	snprintf(r->cell[COL_STATE], sizeof(r->cell[0]), "%s", list_state(e));
	if (e->mtu == LIST_UNKNOWN)
		snprintf(r->cell[COL_MTU], sizeof(r->cell[0]), "?");
	else
		snprintf(r->cell[COL_MTU], sizeof(r->cell[0]), "%d", e->mtu);
	snprintf(r->cell[COL_RXQ], sizeof(r->cell[0]), "%u", e->rx_queues);
	snprintf(r->cell[COL_CAPTURE], sizeof(r->cell[0]), "%s", capture_word(e));
	snprintf(r->cell[COL_ADDR], sizeof(r->cell[0]), "%s", addr ? addr : "-");
}

/* Cells padded to their column; the last one is not, so no trailing blanks. */
static void print_cells(FILE *f, char cell[N_COLS][96], const int *width)
{
	int c;

	for (c = 0; c < N_COLS; c++) {
		const char *sep = c ? "  " : "";

		if (c == N_COLS - 1)
			fprintf(f, "%s%s\n", sep, cell[c]);
		else if (col_right[c])
			fprintf(f, "%s%*s", sep, width[c], cell[c]);
		else
			fprintf(f, "%s%-*s", sep, width[c], cell[c]);
	}
}

static void print_more_addresses(FILE *f, const struct list_entry *e, const int *width)
{
	int c, indent = 0;
	const char *addr;
	size_t i;

	for (c = 0; c < COL_ADDR; c++)
		indent += width[c] + 2;
	for (i = 1; (addr = address_at(e, i)); i++)
		fprintf(f, "%*s%s\n", indent, "", addr);
}

static void xdp_modes_text(const struct list_entry *e, char *buf, size_t len)
{
	char words[128];

	if (!e->features_known) {
		snprintf(buf, len, "native unknown (kernel < 6.3), skb");
		return;
	}
	if (!(e->xdp_features & LIST_XDP_BASIC)) {
		snprintf(buf, len, "skb only (no native XDP in the driver)");
		return;
	}
	list_feature_words(e->xdp_features & ~(uint64_t)(LIST_XDP_XSK_ZEROCOPY | LIST_XDP_HW_OFFLOAD),
			   words, sizeof(words));
	snprintf(buf, len, "native%s%s%s, skb%s", words[0] ? " (" : "", words,
		 words[0] ? ")" : "", e->xdp_features & LIST_XDP_HW_OFFLOAD ? ", hw" : "");
}

static void zero_copy_text(const struct list_entry *e, char *buf, size_t len)
{
	if (!e->features_known)
		snprintf(buf, len, "zero-copy unknown");
	else if (e->xdp_features & LIST_XDP_XSK_ZEROCOPY)
		snprintf(buf, len, "zero-copy yes");
	else
		snprintf(buf, len, "zero-copy no");
}

/* What --timestamps can get from the driver: the NIC's receive stamp needs "timestamp". */
static void rx_metadata_text(const struct list_entry *e, char *buf, size_t len)
{
	char words[64];

	if (!e->rx_meta_known) {
		snprintf(buf, len, "rx metadata unknown (kernel < 6.8)");
		return;
	}
	netdev_rx_meta_words(e->rx_metadata, words, sizeof(words));
	snprintf(buf, len, "rx metadata: %s", words[0] ? words : "none");
}

static void prog_text(const struct list_prog *p, char *buf, size_t len)
{
	const char *owner = list_prog_owner(p);

	if (!p->name[0])
		snprintf(buf, len, "program id %u (%s; name unknown, needs CAP_SYS_ADMIN)",
			 p->id, p->mode);
	else if (p->components[0])
		snprintf(buf, len, "program %s id %u (%s; %s: %s)", p->name, p->id, p->mode,
			 owner ? owner : "components", p->components);
	else
		snprintf(buf, len, "program %s id %u (%s%s%s)", p->name, p->id, p->mode,
			 owner ? "; " : "", owner ? owner : "");
}

/* "; "-separated parts, wrapped before a part that would pass TABLE_WIDTH. */
static void print_parts(FILE *f, int indent, char parts[][200], int n)
{
	int i, col = indent;

	fprintf(f, "%*s", indent, "");
	for (i = 0; i < n; i++) {
		int len = (int)strlen(parts[i]);

		if (i && col + 2 + len > TABLE_WIDTH) {
			fprintf(f, ";\n%*s", indent + 5, "");
			col = indent + 5;
		} else if (i) {
			fputs("; ", f);
			col += 2;
		}
		fputs(parts[i], f);
		col += len;
	}
	fputc('\n', f);
}

static void print_xdp_line(FILE *f, const struct list_entry *e, int indent)
{
	char parts[6][200];
	int n = 0, i;

	snprintf(parts[n], sizeof(parts[n]), "xdp: ");
	xdp_modes_text(e, parts[n] + 5, sizeof(parts[n]) - 5);
	n++;
	zero_copy_text(e, parts[n++], sizeof(parts[0]));
	if (!e->progs_known)
		snprintf(parts[n++], sizeof(parts[0]), "program unknown");
	else if (!e->n_progs)
		snprintf(parts[n++], sizeof(parts[0]), "no program");
	for (i = 0; e->progs_known && i < e->n_progs; i++)
		prog_text(&e->progs[i], parts[n++], sizeof(parts[0]));
	/* Last: what is attached stays on the "xdp:" line, this part wraps first. */
	rx_metadata_text(e, parts[n++], sizeof(parts[0]));
	print_parts(f, indent, parts, n);
}

void list_print_table(FILE *f, const struct list_entry *e, size_t n)
{
	struct row *rows = calloc(n ? n : 1, sizeof(*rows));
	char title[N_COLS][96];
	int width[N_COLS], c;
	size_t i;

	if (!rows)
		return;
	for (c = 0; c < N_COLS; c++) {
		snprintf(title[c], sizeof(title[c]), "%s", col_title[c]);
		width[c] = (int)strlen(col_title[c]);
	}
	for (i = 0; i < n; i++) {
		fill_row(&e[i], &rows[i]);
		for (c = 0; c < N_COLS; c++)
			if ((int)strlen(rows[i].cell[c]) > width[c])
				width[c] = (int)strlen(rows[i].cell[c]);
	}
	print_cells(f, title, width);
	for (i = 0; i < n; i++) {
		print_cells(f, rows[i].cell, width);
		print_more_addresses(f, &e[i], width);
		if (e[i].capture_mode == LIST_CAPTURE_BYPASS)
			fprintf(f, "%*sbypass: tcpdump and xdpdump here do not see the matched frames (vpncap takes them off the port)\n",
				width[COL_IDX] + 2, "");
		print_xdp_line(f, &e[i], width[COL_IDX] + 2);
	}
	free(rows);
}

/* ---- the kernel's features ------------------------------------------------- */

/* text at indent, wrapped at TABLE_WIDTH with a hanging indent of 4 more. */
static void print_wrapped(FILE *f, int indent, const char *text)
{
	int col = indent, width;

	fprintf(f, "%*s", indent, "");
	while (*text) {
		size_t word = strcspn(text, " ");

		width = (int)word;
		if (col > indent && col + 1 + width > TABLE_WIDTH) {
			fprintf(f, "\n%*s", indent + 4, "");
			col = indent + 4;
		} else if (col > indent) {
			fputc(' ', f);
			col++;
		}
		fwrite(text, 1, word, f);
		col += width;
		text += word;
		while (*text == ' ')
			text++;
	}
	fputc('\n', f);
}

void list_print_kernel(FILE *f, const struct kernel_features *kf)
{
	char line[1024];
	size_t used;
	int i, costly;

	if (!kf->probed) {
		snprintf(line, sizeof(line), "kernel %s: features unknown (%s)", kf->release,
			 kf->unprobed);
		print_wrapped(f, 0, line);
		return;
	}
	used = (size_t)snprintf(line, sizeof(line), "kernel %s has:", kf->release);
	for (i = 0; i < KFEAT_COUNT && used < sizeof(line); i++)
		if (kernel_has(kf, (enum kfeat)i))
			used += (size_t)snprintf(line + used, sizeof(line) - used, " %s",
						 kfeat_name((enum kfeat)i));
	print_wrapped(f, 0, line);
	for (i = 0; i < KFEAT_COUNT; i++) {
		const char *effect;

		if (kernel_has(kf, (enum kfeat)i))
			continue;
		effect = kfeat_effect(kf, (enum kfeat)i, &costly);
		snprintf(line, sizeof(line), "lacks %s, %s (%s): %s%s", kfeat_name((enum kfeat)i),
			 kfeat_what((enum kfeat)i), kf->why[i], costly ? "" : "no loss, ", effect);
		print_wrapped(f, 2, line);
	}
}

void list_print_kernel_json(FILE *f, const struct kernel_features *kf)
{
	int i, costly;

	fputs("{\"release\": ", f);
	json_string(f, kf->release);
	fprintf(f, ", \"probed\": %s, \"unprobed\": ", kf->probed ? "true" : "false");
	json_string(f, kf->probed ? NULL : kf->unprobed);
	fputs(", \"features\": [", f);
	for (i = 0; i < KFEAT_COUNT; i++) {
		int has = kernel_has(kf, (enum kfeat)i);
		const char *effect = kfeat_effect(kf, (enum kfeat)i, &costly);

		fputs(i ? ",\n    {\"name\": " : "\n    {\"name\": ", f);
		json_string(f, kfeat_name((enum kfeat)i));
		fputs(", \"what\": ", f);
		json_string(f, kfeat_what((enum kfeat)i));
		fprintf(f, ", \"present\": %s, \"forced\": %s, \"why\": ",
			has ? "true" : "false", (kf->denied >> i) & 1 ? "true" : "false");
		json_string(f, has ? NULL : kf->why[i]);
		fputs(", \"effect\": ", f);
		json_string(f, has ? NULL : effect);
		fprintf(f, ", \"costly\": %s}", !has && costly ? "true" : "false");
	}
	fputs("]}", f);
}

/* ---- JSON ----------------------------------------------------------------- */

static void json_string_array(FILE *f, char **s, size_t n)
{
	size_t i;

	fputc('[', f);
	for (i = 0; i < n; i++) {
		if (i)
			fputs(", ", f);
		json_string(f, s[i]);
	}
	fputc(']', f);
}

static const struct {
	unsigned int bit;
	const char *word;
} flag_words[] = {
	{ IFF_UP, "UP" }, { IFF_LOWER_UP, "LOWER_UP" }, { IFF_RUNNING, "RUNNING" },
	{ IFF_BROADCAST, "BROADCAST" }, { IFF_MULTICAST, "MULTICAST" },
	{ IFF_LOOPBACK, "LOOPBACK" }, { IFF_POINTOPOINT, "POINTOPOINT" },
	{ IFF_NOARP, "NOARP" }, { IFF_PROMISC, "PROMISC" }, { IFF_DORMANT, "DORMANT" },
};

static void json_flags(FILE *f, unsigned int flags)
{
	size_t i;
	int first = 1;

	fputc('[', f);
	for (i = 0; i < sizeof(flag_words) / sizeof(flag_words[0]); i++) {
		if (!(flags & flag_words[i].bit))
			continue;
		fprintf(f, "%s\"%s\"", first ? "" : ", ", flag_words[i].word);
		first = 0;
	}
	fputc(']', f);
}

static void json_tristate(FILE *f, int known, int value)
{
	fputs(!known ? "null" : value ? "true" : "false", f);
}

static void json_features(FILE *f, const struct list_entry *e)
{
	size_t i;
	int first = 1;

	if (!e->features_known) {
		fputs("null", f);
		return;
	}
	fputc('[', f);
	for (i = 0; i < sizeof(feature_words) / sizeof(feature_words[0]); i++) {
		if (!(e->xdp_features & feature_words[i].bit))
			continue;
		fprintf(f, "%s\"%s\"", first ? "" : ", ", feature_words[i].word);
		first = 0;
	}
	fputc(']', f);
}

/* The space-separated component names as a JSON array. */
static void json_components(FILE *f, const char *s)
{
	int first = 1;

	fputc('[', f);
	while (*s) {
		size_t n = strcspn(s, " ");
		char word[64];

		if (n) {
			snprintf(word, sizeof(word), "%.*s", (int)n, s);
			fputs(first ? "" : ", ", f);
			json_string(f, word);
			first = 0;
		}
		s += n;
		s += strspn(s, " ");
	}
	fputc(']', f);
}

static void json_programs(FILE *f, const struct list_entry *e)
{
	int i;

	if (!e->progs_known) {
		fputs("null", f);
		return;
	}
	fputc('[', f);
	for (i = 0; i < e->n_progs; i++) {
		const struct list_prog *p = &e->progs[i];

		fprintf(f, "%s{\"id\": %u, \"mode\": ", i ? ", " : "", p->id);
		json_string(f, p->mode);
		fputs(", \"name\": ", f);
		json_string(f, p->name[0] ? p->name : NULL);
		fputs(", \"owner\": ", f);
		json_string(f, list_prog_owner(p));
		fputs(", \"components\": ", f);
		json_components(f, p->components);
		fprintf(f, ", \"vpncap\": %s}", prog_is_vpncap(p) ? "true" : "false");
	}
	fputc(']', f);
}

/* What the driver hands XDP programs (6.8+): ["timestamp", ...], or null when unknown. */
static void json_rx_metadata(FILE *f, const struct list_entry *e)
{
	const char *sep = "";
	size_t i;

	if (!e->rx_meta_known) {
		fputs("null", f);
		return;
	}
	fputc('[', f);
	for (i = 0; i < netdev_rx_meta_count; i++) {
		if (!(e->rx_metadata & netdev_rx_meta_names[i].bit))
			continue;
		fputs(sep, f);
		json_string(f, netdev_rx_meta_names[i].word);
		sep = ", ";
	}
	fputc(']', f);
}

static void json_xdp(FILE *f, const struct list_entry *e)
{
	int k = e->features_known;

	fputs("{\"skb\": true, \"native\": ", f);
	json_tristate(f, k, e->xdp_features & LIST_XDP_BASIC);
	fputs(", \"hw_offload\": ", f);
	json_tristate(f, k, e->xdp_features & LIST_XDP_HW_OFFLOAD);
	fputs(", \"zero_copy\": ", f);
	json_tristate(f, k, e->xdp_features & LIST_XDP_XSK_ZEROCOPY);
	fputs(", \"features\": ", f);
	json_features(f, e);
	if (k)
		fprintf(f, ", \"zc_max_segs\": %u", e->zc_max_segs);
	else
		fputs(", \"zc_max_segs\": null", f);
	fputs(", \"rx_metadata\": ", f);
	json_rx_metadata(f, e);
	fputs(", \"programs\": ", f);
	json_programs(f, e);
	fputc('}', f);
}

static void json_entry(FILE *f, const struct list_entry *e)
{
	fprintf(f, "{\"ifindex\": %d, \"name\": ", e->ifindex);
	json_string(f, e->name);
	fputs(", \"driver\": ", f);
	json_string(f, e->driver);
	fputs(", \"mac\": ", f);
	json_string(f, e->mac[0] ? e->mac : NULL);
	fprintf(f, ", \"state\": \"%s\", \"operstate\": ", list_state(e));
	json_string(f, e->operstate);
	fputs(", \"flags\": ", f);
	json_flags(f, e->flags);
	if (e->mtu == LIST_UNKNOWN)
		fputs(", \"mtu\": null", f);
	else
		fprintf(f, ", \"mtu\": %d", e->mtu);
	fprintf(f, ", \"rx_queues\": %u, \"ipv4\": ", e->rx_queues);
	json_string_array(f, e->ipv4, e->n_ipv4);
	fputs(", \"ipv6\": ", f);
	json_string_array(f, e->ipv6, e->n_ipv6);
	fputs(", \"capturing\": ", f);
	json_tristate(f, e->capturing != LIST_UNKNOWN, e->capturing == 1);
	fputs(", \"capture_mode\": ", f);
	json_string(f, e->capture_mode == LIST_CAPTURE_BYPASS ? "bypass" :
		       e->capture_mode == LIST_CAPTURE_INLINE ? "inline" : NULL);
	fputs(", \"hidden_from_other_captures\": ", f);
	json_tristate(f, e->capture_mode != LIST_UNKNOWN, e->capture_mode == LIST_CAPTURE_BYPASS);
	fputs(", \"xdp\": ", f);
	json_xdp(f, e);
	fputc('}', f);
}

/* One object per line: readable, and still one JSON document. */
void list_print_json(FILE *f, const struct list_entry *e, size_t n)
{
	size_t i;

	if (!n) {
		fputs("[]\n", f);
		return;
	}
	for (i = 0; i < n; i++) {
		fputs(i ? ",\n  " : "[\n  ", f);
		json_entry(f, &e[i]);
	}
	fputs("\n]\n", f);
}

/* ---- gathering: links and addresses (getifaddrs) ---------------------------- */

struct entries {
	struct list_entry *e;
	size_t n, cap;
};

static struct list_entry *entry_new(struct entries *l)
{
	if (l->n == l->cap) {
		size_t cap = l->cap ? 2 * l->cap : 16;
		struct list_entry *grown = realloc(l->e, cap * sizeof(*grown));

		if (!grown)
			return NULL;
		l->e = grown;
		l->cap = cap;
	}
	memset(&l->e[l->n], 0, sizeof(l->e[0]));
	return &l->e[l->n++];
}

/*
 * IPv4 addresses carry their label, which may be "eth0:1" for an old-style
 * alias: the part before ':' names the interface.
 */
static struct list_entry *entry_by_name(struct entries *l, const char *name)
{
	size_t i, len = strcspn(name, ":");

	for (i = 0; i < l->n; i++)
		if (!strcmp(l->e[i].name, name))
			return &l->e[i];
	for (i = 0; i < l->n; i++)
		if (strlen(l->e[i].name) == len && !strncmp(l->e[i].name, name, len))
			return &l->e[i];
	return NULL;
}

static void format_mac(const struct sockaddr_ll *sll, char *buf, size_t len)
{
	size_t used = 0;
	int i;

	buf[0] = '\0';
	for (i = 0; i < sll->sll_halen && i < 8 && used + 3 < len; i++)
		used += (size_t)snprintf(buf + used, len - used, "%s%02x", i ? ":" : "",
					 sll->sll_addr[i]);
}

static int add_link(struct entries *l, const struct ifaddrs *ifa)
{
	struct list_entry *e = entry_new(l);
	const struct sockaddr_ll *sll = (const struct sockaddr_ll *)ifa->ifa_addr;

	if (!e)
		return -ENOMEM;
	snprintf(e->name, sizeof(e->name), "%s", ifa->ifa_name);
	e->flags = ifa->ifa_flags;
	e->ifindex = sll ? sll->sll_ifindex : (int)if_nametoindex(ifa->ifa_name);
	if (sll)
		format_mac(sll, e->mac, sizeof(e->mac));
	return 0;
}

static int add_address(struct entries *l, const struct ifaddrs *ifa)
{
	int family = ifa->ifa_addr->sa_family;
	struct list_entry *e = entry_by_name(l, ifa->ifa_name);
	char text[INET6_ADDRSTRLEN], full[INET6_ADDRSTRLEN + 8];
	const void *addr, *mask = NULL;
	size_t mask_len;

	if (!e)
		return 0;
	if (family == AF_INET) {
		addr = &((const struct sockaddr_in *)ifa->ifa_addr)->sin_addr;
		if (ifa->ifa_netmask)
			mask = &((const struct sockaddr_in *)ifa->ifa_netmask)->sin_addr;
		mask_len = 4;
	} else {
		addr = &((const struct sockaddr_in6 *)ifa->ifa_addr)->sin6_addr;
		if (ifa->ifa_netmask)
			mask = &((const struct sockaddr_in6 *)ifa->ifa_netmask)->sin6_addr;
		mask_len = 16;
	}
	if (!inet_ntop(family, addr, text, sizeof(text)))
		return 0;
	snprintf(full, sizeof(full), "%s/%u", text,
		 mask ? list_prefix_len(mask, mask_len) : (unsigned int)mask_len * 8);
	return list_add_addr(e, family == AF_INET6, full);
}

/* Links first (AF_PACKET entries), so every address finds its link. */
static int read_links(struct entries *l)
{
	struct ifaddrs *list, *ifa;
	int ret = 0, pass;

	if (getifaddrs(&list))
		return -errno;
	for (pass = 0; pass < 2 && !ret; pass++) {
		for (ifa = list; ifa && !ret; ifa = ifa->ifa_next) {
			int family = ifa->ifa_addr ? ifa->ifa_addr->sa_family : AF_UNSPEC;

			if (pass == 0 && family == AF_PACKET && !entry_by_name(l, ifa->ifa_name))
				ret = add_link(l, ifa);
			else if (pass == 1 && (family == AF_INET || family == AF_INET6))
				ret = add_address(l, ifa);
		}
	}
	freeifaddrs(list);
	return ret;
}

static int by_ifindex(const void *a, const void *b)
{
	const struct list_entry *x = a, *y = b;

	return (x->ifindex > y->ifindex) - (x->ifindex < y->ifindex);
}

/* ---- gathering: per-interface facts ------------------------------------------ */

static void read_mtu(int sock, struct list_entry *e)
{
	struct ifreq ifr = {};

	e->mtu = LIST_UNKNOWN;
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", e->name);
	if (sock >= 0 && ioctl(sock, SIOCGIFMTU, &ifr) == 0)
		e->mtu = ifr.ifr_mtu;
}

static void read_operstate(struct list_entry *e)
{
	char path[96];
	FILE *f;

	snprintf(e->operstate, sizeof(e->operstate), "unknown");
	snprintf(path, sizeof(path), "/sys/class/net/%s/operstate", e->name);
	f = fopen(path, "re");
	if (!f)
		return;
	if (fgets(e->operstate, sizeof(e->operstate), f))
		e->operstate[strcspn(e->operstate, "\n")] = '\0';
	fclose(f);
}

/*
 * A capture holds an exclusive flock on its lock file (lock_interface() in
 * hook/classifier.c). A shared try-lock fails exactly while one does; the probe
 * lock is dropped at once, so at worst a capture starting in that instant
 * is told the interface is busy and can be started again.
 */
static int read_capturing(unsigned long netns, const char *ifname)
{
	char path[128];
	int fd, busy;

	snprintf(path, sizeof(path), LOCK_DIR "/%lu-%s.lock", netns, ifname);
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	if (fd < 0)
		return errno == ENOENT ? 0 : LIST_UNKNOWN;
	busy = flock(fd, LOCK_SH | LOCK_NB) != 0;
	if (busy && errno != EWOULDBLOCK) {
		close(fd);
		return LIST_UNKNOWN;
	}
	close(fd);
	return busy;
}

/* ---- XDP features and RX metadata: the netdev family (Linux 6.3, 6.8) -------- */

static void store_dev(void *ctx, const struct netdev_dev *d)
{
	struct entries *l = ctx;
	size_t i;

	for (i = 0; i < l->n; i++) {
		struct list_entry *e = &l->e[i];

		if (e->ifindex != (int)d->ifindex)
			continue;
		e->features_known = d->has_xdp_features;
		e->xdp_features = d->xdp_features;
		e->zc_max_segs = d->zc_max_segs;
		e->rx_meta_known = d->has_rx_metadata;
		e->rx_metadata = d->rx_metadata;
	}
}

/*
 * Fill the XDP features and RX metadata of every entry the kernel reports.
 * Before Linux 6.3 there is no netdev family: nothing is filled.
 */
static void read_xdp_features(struct entries *l)
{
	int ret = netdev_dump(store_dev, l);

	if (ret == -ENOENT)
		log_debug("no netdev generic netlink family (kernel < 6.3): XDP features unknown");
	else if (ret)
		log_debug("netdev family: the device dump failed: %s", strerror(-ret));
}

/* ---- attached XDP programs (bpf_xdp_query, bpf()) ----------------------------- */

static void prog_name(uint32_t id, char *buf, size_t len)
{
	struct bpf_prog_info info = {};
	uint32_t info_len = sizeof(info);
	int fd = bpf_prog_get_fd_by_id(id);

	buf[0] = '\0';
	if (fd < 0)
		return;
	if (bpf_obj_get_info_by_fd(fd, &info, &info_len) == 0)
		snprintf(buf, len, "%s", info.name);
	close(fd);
}

/*
 * Behind libxdp's dispatcher the programs are freplace extensions linked to
 * it; walking the BPF links finds them without libxdp's pins in bpffs
 * (`ip netns exec` hides those).
 */
static void dispatcher_components(struct list_prog *p)
{
	uint32_t id = 0;

	p->components[0] = '\0';
	while (bpf_link_get_next_id(id, &id) == 0) {
		struct bpf_link_info info = {};
		uint32_t len = sizeof(info);
		char name[16];
		size_t used;
		int fd = bpf_link_get_fd_by_id(id);

		if (fd < 0)
			continue;
		if (bpf_obj_get_info_by_fd(fd, &info, &len) == 0 &&
		    info.type == BPF_LINK_TYPE_TRACING &&
		    info.tracing.target_obj_id == p->id) {
			prog_name(info.prog_id, name, sizeof(name));
			if (!strcmp(name, VPNCAP_PROG))
				p->vpncap_id = info.prog_id;
			used = strlen(p->components);
			if (name[0] && used + strlen(name) + 2 < sizeof(p->components))
				snprintf(p->components + used, sizeof(p->components) - used, "%s%s",
					 used ? " " : "", name);
		}
		close(fd);
	}
}

static void add_prog(struct list_entry *e, uint32_t id, const char *mode)
{
	struct list_prog *p;

	if (!id || e->n_progs >= 3)
		return;
	p = &e->progs[e->n_progs++];
	p->id = id;
	p->mode = mode;
	prog_name(id, p->name, sizeof(p->name));
	if (!strcmp(p->name, VPNCAP_PROG))
		p->vpncap_id = id;
	if (!strcmp(p->name, DISPATCHER_PROG))
		dispatcher_components(p);
}

/* The mode in a settings map of vpncap's, or LIST_UNKNOWN when it is not one. */
static int settings_mode(uint32_t map_id)
{
	struct bpf_map_info m = {};
	struct vpncap_settings set;
	uint32_t len = sizeof(m), key = 0;
	int fd = bpf_map_get_fd_by_id(map_id), mode = LIST_UNKNOWN;

	if (fd < 0)
		return LIST_UNKNOWN;
	if (bpf_obj_get_info_by_fd(fd, &m, &len) == 0 && !strcmp(m.name, "settings_map") &&
	    m.value_size == sizeof(set) && bpf_map_lookup_elem(fd, &key, &set) == 0)
		mode = set.mode == VPNCAP_MODE_INLINE ? LIST_CAPTURE_INLINE : LIST_CAPTURE_BYPASS;
	close(fd);
	return mode;
}

/* How vpncap's program prog_id treats matched frames, from its own maps. */
static int prog_capture_mode(uint32_t prog_id)
{
	struct bpf_prog_info info = {};
	uint32_t len = sizeof(info), map_ids[16], i;
	int fd = bpf_prog_get_fd_by_id(prog_id), mode = LIST_UNKNOWN;

	if (fd < 0)
		return LIST_UNKNOWN;
	info.nr_map_ids = sizeof(map_ids) / sizeof(map_ids[0]);
	info.map_ids = (uint64_t)(uintptr_t)map_ids;
	if (bpf_obj_get_info_by_fd(fd, &info, &len) == 0)
		for (i = 0; i < info.nr_map_ids && i < sizeof(map_ids) / sizeof(map_ids[0]) &&
			    mode == LIST_UNKNOWN; i++)
			mode = settings_mode(map_ids[i]);
	close(fd);
	return mode;
}

static void read_capture_mode(struct list_entry *e)
{
	int i;

	e->capture_mode = e->progs_known ? LIST_CAPTURE_NONE : LIST_UNKNOWN;
	for (i = 0; e->progs_known && i < e->n_progs; i++)
		if (e->progs[i].vpncap_id)
			e->capture_mode = prog_capture_mode(e->progs[i].vpncap_id);
}

static void read_xdp_progs(struct list_entry *e)
{
	LIBBPF_OPTS(bpf_xdp_query_opts, q);

	e->progs_known = bpf_xdp_query(e->ifindex, 0, &q) == 0;
	if (!e->progs_known)
		return;
	add_prog(e, q.drv_prog_id, "native");
	add_prog(e, q.skb_prog_id, "skb");
	add_prog(e, q.hw_prog_id, "hw");
}

/* ---- the command -------------------------------------------------------------- */

static void read_details(struct entries *l)
{
	int sock = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	unsigned long netns = 0;
	struct stat ns;
	size_t i;

	if (stat("/proc/self/ns/net", &ns) == 0)
		netns = (unsigned long)ns.st_ino;
	read_xdp_features(l);
	for (i = 0; i < l->n; i++) {
		struct list_entry *e = &l->e[i];

		iface_driver(e->name, e->driver, sizeof(e->driver));
		e->rx_queues = iface_rx_queue_count(e->name);
		read_mtu(sock, e);
		read_operstate(e);
		read_xdp_progs(e);
		read_capture_mode(e);
		e->capturing = read_capturing(netns, e->name);
	}
	if (sock >= 0)
		close(sock);
}

int cmd_list(int argc, char **argv)
{
	struct kernel_features kf;
	struct entries l = {};
	struct list_opts o;
	char err[256];
	int ret;

	if (list_parse_args(argc, argv, &o, err, sizeof(err))) {
		err_one_line(err, sizeof(err));
		log_error("list: %s (see 'vpncap list --help')", err);
		return EXIT_USAGE;
	}
	if (o.help) {
		fputs(list_usage, stdout);
		return EXIT_OK;
	}
	ret = read_links(&l);
	if (ret) {
		log_error("list: cannot read the interfaces: %s", strerror(-ret));
		list_entries_free(l.e, l.n);
		free(l.e);
		return EXIT_RUNTIME;
	}
	qsort(l.e, l.n, sizeof(*l.e), by_ifindex);
	read_details(&l);
	if (kernel_probe(&kf, err, sizeof(err))) {
		log_error("list: %s", err);
		list_entries_free(l.e, l.n);
		free(l.e);
		return EXIT_USAGE;
	}
	if (o.json) {
		fputs("{\"kernel\": ", stdout);
		list_print_kernel_json(stdout, &kf);
		fputs(",\n\"interfaces\": ", stdout);
		list_print_json(stdout, l.e, l.n);
		fputs("}\n", stdout);
	} else {
		list_print_kernel(stdout, &kf);
		fputc('\n', stdout);
		list_print_table(stdout, l.e, l.n);
	}
	list_entries_free(l.e, l.n);
	free(l.e);
	return EXIT_OK;
}
