/*
 * The result lines. Every line meant for the host starts with RESULT_PREFIX
 * and carries one JSON object, written with one write(2) so that it is never
 * interleaved with kernel messages on the serial console.
 */
#include <errno.h>
#include <fcntl.h>
#include <sys/ioctl.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>
#include "helper.h"

#define RESULT_PREFIX "@freeze-rig "

/*
 * Waits until the UART has sent what was written to stdout, as tcdrain()
 * does, and while the tty buffer makes no progress for 100 ms, makes a
 * termios change and undoes it: the 8250 driver then rewrites the UART's
 * interrupt enable register, which re-arms a transmit interrupt the guest
 * lost. Made for SMP guests that fell silent with their line unsent (a
 * SysRq's console write let it out); in the silent guests seen since, the
 * line had already left the tty buffer, so this has not yet been seen to
 * help. Not a tty (a test): nothing to wait for.
 */
void drain_console(void)
{
	struct termios t;
	int queued, last = -1, still = 0;

	if (tcgetattr(1, &t) < 0)
		return;
	while (ioctl(1, TIOCOUTQ, &queued) == 0 && queued > 0) {
		still = queued == last ? still + 1 : 0;
		last = queued;
		if (still == 100) {
			struct termios nudge = t;

			nudge.c_iflag ^= INPCK;
			tcsetattr(1, TCSANOW, &nudge);
			tcsetattr(1, TCSANOW, &t);
			still = 0;
		}
		sleep_ms(1);
	}
	tcdrain(1);
}

const char *fsname = "?";
const char *current_scenario = "";
double scenario_t0;

/* s as the inside of a JSON string: quotes, backslashes and control characters escaped. */
static size_t json_escape(char *out, size_t room, const char *s)
{
	size_t k = 0;

	for (; s && *s && k + 7 < room; s++) {
		unsigned char c = (unsigned char)*s;

		if (c == '"' || c == '\\') {
			out[k++] = '\\';
			out[k++] = c;
		} else if (c < 0x20) {
			k += snprintf(out + k, room - k, "\\u%04x", c);
		} else {
			out[k++] = c;
		}
	}
	return k;
}

/*
 * printf for result lines, with one difference: every %s is written
 * JSON-escaped, because every string the helper emits (a scenario id from
 * the command line, a path, uname's version) sits inside a JSON string.
 */
void emit(const char *fmt, ...)
{
	char buf[1024], spec[16];
	size_t n = sizeof(RESULT_PREFIX) - 1, len;
	va_list ap;

	memcpy(buf, RESULT_PREFIX, n);
	va_start(ap, fmt);
	while (*fmt && n < sizeof(buf) - 2) {
		const char *start = fmt;
		size_t room = sizeof(buf) - 1 - n;
		int w = 0;

		if (*fmt != '%') {
			buf[n++] = *fmt++;
			continue;
		}
		for (fmt++; *fmt && !strchr("diouxXfeEgGs%", *fmt); fmt++)
			;
		if (!*fmt || (len = fmt - start + 1) >= sizeof(spec))
			break;
		memcpy(spec, start, len);
		spec[len] = 0;
		switch (*fmt++) {
		case 's':
			w = json_escape(buf + n, room, va_arg(ap, const char *));
			break;
		case '%':
			buf[n] = '%';
			w = 1;
			break;
		case 'f': case 'e': case 'E': case 'g': case 'G':
			w = snprintf(buf + n, room, spec, va_arg(ap, double));
			break;
		case 'd': case 'i':
			w = strstr(spec, "ll") ? snprintf(buf + n, room, spec, va_arg(ap, long long)) :
			    strchr(spec, 'l') ? snprintf(buf + n, room, spec, va_arg(ap, long)) :
			    snprintf(buf + n, room, spec, va_arg(ap, int));
			break;
		default:	/* o u x X */
			w = strstr(spec, "ll") ? snprintf(buf + n, room, spec, va_arg(ap, unsigned long long)) :
			    strchr(spec, 'l') ? snprintf(buf + n, room, spec, va_arg(ap, unsigned long)) :
			    snprintf(buf + n, room, spec, va_arg(ap, unsigned int));
			break;
		}
		n += (size_t)w < room ? (size_t)w : room - 1;
	}
	va_end(ap);
	buf[n++] = '\n';
	if (write(1, buf, n) < 0)
		_exit(3);
	/*
	 * Wait until the UART has sent the line: the kernel writes its own
	 * messages to the port directly, and one caused by the scenario's next
	 * call (XFS's "Disabling barriers" on the mount after a result) landed
	 * inside an undelivered line and made it unreadable.
	 */
	drain_console();
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

/* Writes a value into a /proc or /sys file; a failure is a warning on the console. */
void write_proc(const char *path, const char *value)
{
	int fd = open(path, O_WRONLY);
	ssize_t n = (ssize_t)strlen(value);

	if (fd < 0 || write(fd, value, n) != n)
		emit("{\"event\":\"warn\",\"what\":\"%s\",\"errno\":%d}", path, errno);
	if (fd >= 0)
		close(fd);
}
