// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * fuzz_audit.c - libFuzzer target over `ntpguard audit`'s configuration
 * parser: audit_buffer() (user/lib/audit.h) reads an ntp.conf / chrony.conf
 * held in memory, evaluates it and prints the report, without opening a
 * file or running a program. The first byte picks the daemon (ntpd
 * 4.2.4p8, 4.2.6p1, 4.2.6p5, 4.2.8p15, ntpsec 1.1.8, ntpsec 1.2.2, any,
 * chrony) and the output form (text, JSON); the rest is the file.
 *
 * Checked besides ASan/UBSan: the verdict is 0, 3 or 4; JSON output is
 * valid UTF-8 with no raw control character, whatever the file's bytes
 * (checked by a decoder written here: code points, not byte patterns).
 *
 * `make fuzz` builds it with the audit modules (Makefile: AUDIT_SRCS) and
 * runs it with tests/fuzz/fuzz_audit.seeds (every file of tests/audit/) as
 * seeds.
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include "audit.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Valid UTF-8 (RFC 3629: shortest form, no surrogates, at most U+10FFFF),
 * no octet below 0x20. */
static int json_text_ok(const unsigned char *s, size_t len)
{
	static const unsigned min[5] = { 0, 0, 0x80, 0x800, 0x10000 };

	for (size_t i = 0; i < len;) {
		unsigned c = s[i], n = c < 0x80 ? 1 : c >> 5 == 6 ? 2 : c >> 4 == 14 ? 3 :
				       c >> 3 == 30 ? 4 : 0;

		if (c < 0x20 || !n || i + n > len)
			return 0;
		if (n > 1)
			c &= 0x3f >> (n - 1);
		for (unsigned k = 1; k < n; k++) {
			if ((s[i + k] & 0xc0) != 0x80)
				return 0;
			c = c << 6 | (s[i + k] & 0x3f);
		}
		if (c < min[n] || c > 0x10ffff || (c >= 0xd800 && c <= 0xdfff))
			return 0;
		i += n;
	}
	return 1;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	int json;
	static const char *const versions[] = {
		"4.2.4p8", "4.2.6p1", "4.2.6p5", "4.2.8p15", "ntpsec-1.1.8", "ntpsec-1.2.2",
		NULL, "chrony"
	};
	char *text = NULL;
	size_t len = 0;
	FILE *out;
	unsigned sel;

	if (size < 1)
		return 0;
	sel = data[0];
	json = (sel & 8) != 0;
	out = open_memstream(&text, &len);
	if (!out)
		return 0;
	sel = (unsigned)audit_buffer((const char *)data + 1, size - 1, versions[sel % 8], json, out);
	fclose(out);
	if (sel != 0 && sel != 3 && sel != 4)
		abort();        /* a verdict is safe, at risk or could not tell */
	if (json && !json_text_ok((const unsigned char *)text, len))
		abort();
	free(text);
	return 0;
}
