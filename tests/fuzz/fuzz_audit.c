// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * fuzz_audit.c - libFuzzer target over `ntpguard audit`'s configuration
 * parser: audit_buffer() (user/lib/audit.h) reads an ntp.conf / chrony.conf
 * held in memory, evaluates it and prints the report, without opening a
 * file or running a program. The first byte picks the daemon (ntpd
 * 4.2.4p8, 4.2.6p1, 4.2.6p5, 4.2.8p15, ntpsec 1.1.8, ntpsec 1.2.2, any,
 * chrony) and the output form (text, JSON); the rest is the file.
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

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
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
	out = open_memstream(&text, &len);
	if (!out)
		return 0;
	sel = (unsigned)audit_buffer((const char *)data + 1, size - 1, versions[sel % 8], sel & 8, out);
	fclose(out);
	if (sel != 0 && sel != 3 && sel != 4)
		abort();        /* a verdict is safe, at risk or could not tell */
	free(text);
	return 0;
}
