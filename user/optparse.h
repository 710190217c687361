/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The command line of every subcommand, parsed one way: a table of the
 * options a command takes (struct optdef) and one call per argument. Pure:
 * it prints nothing, allocates nothing, and each error is one line naming
 * the argument ("unknown option '--x'", "option '-t' needs a value").
 *
 * Forms: "--name VALUE", "--name=VALUE", "-x VALUE", "-xVALUE", "--" ends
 * the options, "-" is a word. A long name is matched whole, never by a
 * prefix (getopt_long's abbreviations made "--comp" mean --compress): an
 * abbreviation is refused with the options it could mean. What commands
 * differ in is a flag each:
 * OPTPARSE_PERMUTE   options may follow words (else the first word ends them,
 *                    as getopt's "+": later arguments are all words)
 * OPTPARSE_CLUSTER   short flags may share one dash (-vh)
 */
#ifndef VPNCAP_OPTPARSE_H
#define VPNCAP_OPTPARSE_H

#include <stddef.h>

struct optdef {
	const char *name;       /* long name, without "--"; NULL: short only */
	char shrt;              /* short letter; 0: long only */
	int has_value;
	int id;                 /* handed back for this option */
	const char *value_name; /* "FILE": "needs a FILE" when missing; NULL: "needs a value" */
};

#define OPTPARSE_PERMUTE 0x1u
#define OPTPARSE_CLUSTER 0x4u

struct optparse {
	int argc;
	char **argv;
	int i;                  /* the next argument */
	unsigned int flags;
	int only_words;         /* after "--", or the first word without PERMUTE */
	const char *cluster;    /* the rest of "-vh" still to read */
};

enum optparse_result {
	OPTPARSE_END = 0,       /* no more arguments */
	OPTPARSE_OPTION = 1,    /* *id and *value (NULL for a flag) set */
	OPTPARSE_WORD = 2,      /* *value is a non-option argument */
	OPTPARSE_ERROR = -1,    /* err says which argument and why */
};

/* Arguments from argv[1] (argv[0] is the command's name). */
void optparse_init(struct optparse *p, int argc, char **argv, unsigned int flags);

int optparse_next(struct optparse *p, const struct optdef *defs, size_t n, int *id,
		  const char **value, char *err, size_t errlen);

#endif /* VPNCAP_OPTPARSE_H */
