/*
 * The result lines. Every line meant for the host starts with RESULT_PREFIX
 * and carries one JSON object, written with one write(2) so that it is never
 * interleaved with kernel messages on the serial console.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <time.h>
#include <unistd.h>
#include "helper.h"

#define RESULT_PREFIX "@freeze-rig "

const char *fsname = "?";
const char *current_scenario = "";
double scenario_t0;

void emit(const char *fmt, ...)
{
	char buf[1024];
	int n;
	va_list ap;

	n = snprintf(buf, sizeof(buf), RESULT_PREFIX);
	va_start(ap, fmt);
	n += vsnprintf(buf + n, sizeof(buf) - n - 1, fmt, ap);
	va_end(ap);
	if (n > (int)sizeof(buf) - 2)
		n = sizeof(buf) - 2;
	buf[n++] = '\n';
	if (write(1, buf, n) < 0)
		_exit(3);
}

void checkv(const char *name, int ret, int err, double ms, double value)
{
	/* t: when the check was made, from the scenario's start (timelines) */
	emit("{\"event\":\"check\",\"fs\":\"%s\",\"scenario\":\"%s\",\"name\":\"%s\","
	     "\"ret\":%d,\"errno\":%d,\"ms\":%.1f,\"v\":%.1f,\"t\":%.1f}",
	     fsname, current_scenario, name, ret, ret < 0 ? err : 0, ms, value,
	     now_ms() - scenario_t0);
}

void check(const char *name, int ret, int err, double ms)
{
	checkv(name, ret, err, ms, 0);
}

/* CLOCK_MONOTONIC milliseconds: what "blocked for N ms" is measured with. */
double now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000.0 + ts.tv_nsec / 1e6;
}

void sleep_ms(int ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };

	while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
		;
}
