/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * For the output file tests (cmocka, included after <cmocka.h>): a file
 * read whole, and the check that it is exactly the bytes expected.
 */
#ifndef VPNCAP_TEST_FILE_BYTES_H
#define VPNCAP_TEST_FILE_BYTES_H

#include <fcntl.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static inline uint8_t *read_file(const char *path, size_t *len)
{
	struct stat st;
	uint8_t *buf;
	int fd = open(path, O_RDONLY);

	assert_true(fd >= 0);
	assert_int_equal(fstat(fd, &st), 0);
	buf = malloc((size_t)st.st_size + 1);
	assert_non_null(buf);
	assert_int_equal(pread(fd, buf, (size_t)st.st_size, 0), st.st_size);
	close(fd);
	*len = (size_t)st.st_size;
	return buf;
}

/* The file is exactly the bytes encoded: same size, same bytes. */
static inline void assert_file_is(const char *path, const uint8_t *want, size_t n)
{
	size_t len, i;
	uint8_t *got = read_file(path, &len);

	if (len != n || memcmp(got, want, n)) {
		for (i = 0; i < len && i < n && got[i] == want[i]; i++)
			;
		print_message("%s: %zu bytes, %zu expected; first difference at %zu\n", path, len,
			      n, i);
		fail();
	}
	free(got);
}

#endif /* VPNCAP_TEST_FILE_BYTES_H */
