// SPDX-License-Identifier: GPL-2.0-only
/*
 * pcapng_dump FILE: one line per block, "key=value" fields, for the end-to-end
 * tests to check what tshark does not print (ISB counters, EPB options).
 * Exit 2 with one line on stderr when the file is malformed.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pcapng.h"
#include "pcapng_reader.h"

enum { OPT_COMMENT = 1 };

static void print_string_opt(const char *key, const struct pcapng_option *o)
{
	printf(" %s=%.*s", key, (int)o->len, (const char *)o->value);
}

static void dump_idb(const struct pcapng_reader *r, const struct pcapng_block *b)
{
	struct pcapng_idb_view v;
	struct pcapng_option o;

	if (pcapng_parse_idb(r, b, &v))
		return;
	printf("IDB linktype=%u snaplen=%u", v.linktype, v.snaplen);
	while (pcapng_option_next(&v.opts, &o) == 1) {
		if (o.code == 2)
			print_string_opt("name", &o);
		else if (o.code == 3)
			printf(" description=\"%.*s\"", (int)o.len, (const char *)o.value);
		else if (o.code == 9 && o.len == 1)
			printf(" tsresol=%u", o.value[0]);
		else if (o.code == 11 && o.len >= 1)
			printf(" filter_code=%u filter=\"%.*s\"", o.value[0], (int)o.len - 1,
			       (const char *)o.value + 1);
		else if (o.code == 1)
			printf(" comment=\"%.*s\"", (int)o.len, (const char *)o.value);
	}
	printf("\n");
}

static void dump_epb(const struct pcapng_reader *r, const struct pcapng_block *b)
{
	struct pcapng_epb_view v;
	struct pcapng_option o;

	if (pcapng_parse_epb(r, b, &v))
		return;
	printf("EPB if=%u ts=%llu caplen=%u origlen=%u", v.if_id, (unsigned long long)v.ts_raw,
	       v.caplen, v.origlen);
	while (pcapng_option_next(&v.opts, &o) == 1) {
		if (o.code == 2 && o.len == 4)
			printf(" flags=0x%x", pcapng_u32(r->swapped, o.value));
		else if (o.code == 6 && o.len == 4)
			printf(" queue=%u", pcapng_u32(r->swapped, o.value));
		else if (o.code == 7 && o.len == 9)
			printf(" verdict_type=%u verdict=%llu", o.value[0],
			       (unsigned long long)pcapng_u64(r->swapped, o.value + 1));
	}
	printf("\n");
}

static void dump_isb(const struct pcapng_reader *r, const struct pcapng_block *b)
{
	static const char *const names[] = { NULL, NULL, "starttime", "endtime", "ifrecv",
					     "ifdrop", "filteraccept", "osdrop", "usrdeliv" };
	struct pcapng_option_iter it;
	struct pcapng_option o;

	if (b->body_len < 12 || pcapng_block_options(r, b, &it))
		return;
	printf("ISB if=%u", pcapng_u32(r->swapped, b->body));
	while (pcapng_option_next(&it, &o) == 1) {
		if (o.code == OPT_COMMENT)
			printf(" comment=\"%.*s\"", (int)o.len, (const char *)o.value);
		else if ((o.code == 2 || o.code == 3) && o.len == 8)
			printf(" %s=%llu", names[o.code],
			       ((unsigned long long)pcapng_u32(r->swapped, o.value) << 32) |
			       pcapng_u32(r->swapped, o.value + 4));
		else if (o.code >= 4 && o.code <= 8 && o.len == 8)
			printf(" %s=%llu", names[o.code],
			       (unsigned long long)pcapng_u64(r->swapped, o.value));
	}
	printf("\n");
}

static void *read_file(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	void *buf = NULL;
	long size;

	if (!f)
		return NULL;
	if (fseek(f, 0, SEEK_END) == 0 && (size = ftell(f)) >= 0 && fseek(f, 0, SEEK_SET) == 0) {
		buf = malloc((size_t)size + 1);
		if (buf && fread(buf, 1, (size_t)size, f) != (size_t)size) {
			free(buf);
			buf = NULL;
		}
		*len = (size_t)size;
	}
	fclose(f);
	return buf;
}

int main(int argc, char **argv)
{
	struct pcapng_reader r;
	struct pcapng_block b;
	size_t len = 0;
	void *data;
	int ret;

	if (argc != 2) {
		fprintf(stderr, "usage: pcapng_dump FILE\n");
		return 2;
	}
	data = read_file(argv[1], &len);
	if (!data) {
		fprintf(stderr, "pcapng_dump: %s: cannot read\n", argv[1]);
		return 2;
	}
	pcapng_reader_init(&r, data, len);
	while ((ret = pcapng_next_block(&r, &b)) == 1) {
		if (b.type == PCAPNG_BT_SHB)
			printf("SHB\n");
		else if (b.type == PCAPNG_BT_IDB)
			dump_idb(&r, &b);
		else if (b.type == PCAPNG_BT_EPB)
			dump_epb(&r, &b);
		else if (b.type == PCAPNG_BT_ISB)
			dump_isb(&r, &b);
		else
			printf("BLOCK type=0x%x\n", b.type);
	}
	free(data);
	if (ret < 0) {
		fprintf(stderr, "pcapng_dump: %s: %s\n", argv[1], r.error);
		return 2;
	}
	return 0;
}
