/*
 * The handshake with the host, for what only the host can do while the fs
 * is frozen: snapshot the disk, read the device's write counters.
 *
 * The guest asks on the console (an "ask" result line, so the request is
 * in the log beside everything else) and the host answers on the second
 * serial port, /dev/ttyS1, one line: "<id> ok <text>" or "<id> err <text>".
 * The guest waits a bounded time for it: a host that stops answering is
 * reported (ETIMEDOUT), never waited on forever.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <termios.h>
#include <unistd.h>
#include "helper.h"

static int chan = -1;
static int next_id = 1;
int ask_timeout_ms = 20000;
/*
 * Asks in progress, in a page every process of the guest shares (the
 * scenarios run in children): in virtual time the I/O keeper keeps the
 * vCPU busy while one is, so the guest's clock runs on while the host
 * works in real time instead of jumping to the ask's deadline.
 */
static volatile int *asking;

int host_asking(void)
{
	return asking ? *asking : 0;
}

void host_open(void)
{
	struct termios t;
	void *page = mmap(NULL, sizeof(int), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);

	if (page != MAP_FAILED)
		asking = page;
	chan = open(HOST_TTY, O_RDWR | O_NOCTTY);
	if (chan < 0) {
		emit("{\"event\":\"warn\",\"what\":\"open %s\",\"errno\":%d}", HOST_TTY, errno);
		return;
	}
	/* raw: no echo back to the host, no line editing, 8 bits through */
	if (tcgetattr(chan, &t) == 0) {
		cfmakeraw(&t);
		tcsetattr(chan, TCSANOW, &t);
	}
}

/* Reads one line from the channel within the deadline; 0, or -1 on timeout. */
static int read_line(char *line, size_t n, double deadline)
{
	size_t len = 0;

	while (len + 1 < n) {
		struct pollfd p = { .fd = chan, .events = POLLIN };
		int left = (int)(deadline - now_ms());
		char c;

		if (left <= 0)
			return -1;
		/* poll may return early (it counts jiffies): the deadline decides */
		if (poll(&p, 1, left) != 1 || read(chan, &c, 1) != 1)
			continue;
		if (c == '\n')
			break;
		if (c != '\r')
			line[len++] = c;
	}
	line[len] = '\0';
	return 0;
}

static int ask(const char *what, const char *label, char *reply, size_t n)
{
	double deadline = now_ms() + ask_timeout_ms;
	int id = next_id++;
	char line[256];

	if (chan < 0)
		return errno = ENODEV, -1;
	emit("{\"event\":\"ask\",\"fs\":\"%s\",\"scenario\":\"%s\",\"id\":%d,\"what\":\"%s\",\"label\":\"%s\"}",
	     fsname, current_scenario, id, what, label);
	for (;;) {
		char *text;
		int got;

		if (read_line(line, sizeof(line), deadline) < 0)
			return errno = ETIMEDOUT, -1;
		/* an answer to an earlier ask that timed out is stale: skip it */
		got = (int)strtol(line, &text, 10);
		if (got != id)
			continue;
		while (*text == ' ')
			text++;
		if (reply)
			snprintf(reply, n, "%s", text);
		if (strncmp(text, "ok", 2) == 0)
			return 0;
		return errno = EIO, -1;
	}
}

int host_ask(const char *what, const char *label, char *reply, size_t n)
{
	int r, e;

	if (asking)
		__atomic_add_fetch(asking, 1, __ATOMIC_SEQ_CST);
	r = ask(what, label, reply, n);
	e = errno;
	if (asking)
		__atomic_sub_fetch(asking, 1, __ATOMIC_SEQ_CST);
	errno = e;
	return r;
}

/* Asks the host; the check "ask-<what>-<label>" carries the outcome. */
int ask_checked(const char *what, const char *label)
{
	char name[64], reply[128];
	double ms;
	int r = TIMED(&ms, host_ask(what, label, reply, sizeof(reply)));

	snprintf(name, sizeof(name), "ask-%s-%s", what, label);
	check(name, r, errno, ms);
	return r;
}
