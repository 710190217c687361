// SPDX-License-Identifier: GPL-2.0-only
#include "textfile.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <unistd.h>

/* Grow the buffer by doubling, but never past max + 1 (to see "too large"). */
static int grow(char **text, size_t *cap, size_t max)
{
	char *bigger;

	if (*cap > max)
		return -EFBIG;
	bigger = realloc(*text, *cap * 2);
	if (!bigger)
		return -ENOMEM;
	*text = bigger;
	*cap *= 2;
	return 0;
}

int textfile_read(const char *path, size_t max, char **text, size_t *len)
{
	size_t cap = 4096;
	int fd, ret = 0;

	*text = NULL;
	*len = 0;
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
	if (fd < 0)
		return -errno;
	*text = malloc(cap);
	if (!*text)
		ret = -ENOMEM;
	while (!ret) {
		ssize_t n;

		if (*len == cap && (ret = grow(text, &cap, max)))
			break;
		n = read(fd, *text + *len, cap - *len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			ret = n < 0 ? -errno : 0;
			break;
		}
		*len += (size_t)n;
	}
	close(fd);
	if (!ret && *len > max)
		ret = -EFBIG;
	if (ret) {
		free(*text);
		*text = NULL;
		*len = 0;
	}
	return ret;
}
