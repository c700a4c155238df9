/*
 * The timeout scenarios: a frozen fs thaws by itself when its timeout
 * expires (timeout-fires), a heartbeat of resets keeps it frozen
 * (timeout-reset), the argument forms an old or a 32-bit caller passes
 * (timeout-compat-args), the freezer that deadlocks on its own fs is
 * rescued (self-deadlock-rescue), and a thaw that races the expiry
 * (thaw-timeout-race). The timeout requested is contract.h's TIMEOUT_S.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include "helper.h"

/*
 * timeout-fires: a 2 s timeout thaws the fs by itself; the blocked writer
 * resumes; a later thaw is EINVAL (there is nothing left to thaw).
 */
void timeout_fires(void)
{
	const char *path = MNT "/timeout-fires.dat";
	struct probe p;
	double t_frozen;
	int fd = freeze_after_prepare(path, "", TIMEOUT_S), done;

	if (fd < 0)
		return;
	t_frozen = now_ms();
	probe_start(&p, OP_WRITE_FSYNC, path, NULL);
	done = probe_wait(&p, TIMEOUT_S * 1000 + 3000);
	/* ms: from the freeze to the writer's return, i.e. expiry + wake-up */
	checkv("expired", done, 0, (done ? p.finished : now_ms()) - t_frozen, TIMEOUT_S * 1000.0);
	thaw_checked("thaw-after-expiry", fd);
	if (!done)
		probe_wait(&p, WAKE_MS);
	probe_reap(&p);
	close(fd);
}

/*
 * timeout-reset: a heartbeat resets a 2 s timeout every second for 6 s:
 * the fs stays frozen throughout, then thaws about 2 s after the last
 * reset. A reset on the thawed fs is EINVAL.
 */
void timeout_reset(void)
{
	const char *path = MNT "/timeout-reset.dat";
	struct probe p;
	double t_frozen, t_last = 0, ms;
	int fd = freeze_after_prepare(path, "", TIMEOUT_S), i, r, done;

	if (fd < 0)
		return;
	t_frozen = now_ms();
	probe_start(&p, OP_WRITE_FSYNC, path, NULL);
	for (i = 1; i <= HEARTBEAT_RESETS; i++) {
		double wait = t_frozen + i * 1000.0 - now_ms();

		if (wait > 0)
			sleep_ms((int)wait);
		r = TIMED(&ms, reset_fd(fd, TIMEOUT_S));
		t_last = now_ms();
		checkv("reset", r, errno, t_last - t_frozen, i);
	}
	check("frozen-through-heartbeat", !probe_wait(&p, 0), 0, now_ms() - t_frozen);
	done = probe_wait(&p, TIMEOUT_S * 1000 + 3000);
	checkv("thawed-after-last-reset", done, 0, (done ? p.finished : now_ms()) - t_last, TIMEOUT_S * 1000.0);
	if (!done) {
		thaw_fd(fd);
		probe_wait(&p, WAKE_MS);
	}
	r = TIMED(&ms, reset_fd(fd, TIMEOUT_S));
	check("reset-thawed", r, errno, ms);
	probe_reap(&p);
	close(fd);
}

/*
 * timeout-compat-args: the argument forms callers really pass. For each,
 * report whether the freeze took, whether the fs was still frozen 1.6 s
 * later (a 1 s timeout would have fired) and what the thaw returned.
 */
void timeout_compat_args(void)
{
	static const struct { const char *name; enum targ t; } forms[] = {
		{ "zero", TARG_ZERO },
		{ "one", TARG_ONE },
		{ "null", TARG_NULL },
		{ "int1-garbage", TARG_INT1_GARBAGE },
	};
	const char *path = MNT "/compat-args.dat";
	char name[64];
	int fd, i;

	if (prepare(path, "") < 0)
		return;
	fd = fs_open();
	for (i = 0; i < 4; i++) {
		struct probe p;
		double ms, t;
		int r, done;

		r = TIMED(&ms, freeze_arg(fd, forms[i].t));
		snprintf(name, sizeof(name), "freeze-%s", forms[i].name);
		checkv(name, r, errno, ms, i);
		if (r < 0)
			continue;
		t = now_ms();
		probe_start(&p, OP_WRITE_FSYNC, path, NULL);
		done = probe_wait(&p, 1600);
		snprintf(name, sizeof(name), "held-%s", forms[i].name);
		checkv(name, !done, 0, (done ? p.finished : now_ms()) - t, i);
		r = TIMED(&ms, thaw_fd(fd));
		snprintf(name, sizeof(name), "thaw-%s", forms[i].name);
		checkv(name, r, errno, ms, i);
		probe_wait(&p, WAKE_MS);
		probe_reap(&p);
	}
	close(fd);
}

/*
 * self-deadlock-rescue: the freezer writes to the fs it froze, which
 * blocks it; only the timeout can end that.
 */
void self_deadlock_rescue(void)
{
	const char *path = MNT "/self-deadlock.dat";
	double t_frozen;
	int fd = freeze_after_prepare(path, "", TIMEOUT_S), wfd, ok;

	if (fd < 0)
		return;
	t_frozen = now_ms();
	wfd = open(path, O_WRONLY | O_APPEND);
	ok = wfd >= 0 && write(wfd, probe_payload, strlen(probe_payload)) > 0 && fsync(wfd) == 0;
	checkv("rescued", ok, 0, now_ms() - t_frozen, TIMEOUT_S * 1000.0);
	if (wfd >= 0)
		close(wfd);
	thaw_checked("thaw-after-rescue", fd);
	close(fd);
}

/*
 * thaw-timeout-race: four processes hammer FITHAW across the moment a
 * 2 s timeout expires, in three rounds shifted by 4 ms. Whoever wins,
 * the fs is thawed exactly once: at most one manual thaw succeeds, the
 * rest are EINVAL, and nothing hangs.
 */
#define HAMMERS 4
void thaw_timeout_race(void)
{
	static const int offsets_ms[] = { -4, 0, 4 };
	const char *path = MNT "/race.dat";
	int fd, round;

	if (prepare(path, "") < 0)
		return;
	fd = fs_open();
	for (round = 0; round < 3; round++) {
		int pfd[2], h, succeeded = 0, einval = 0, other = 0;
		double t_frozen, start;

		if (freeze_checked("freeze", fd, TIMEOUT_S) < 0)
			break;
		t_frozen = now_ms();
		start = t_frozen + TIMEOUT_S * 1000.0 + offsets_ms[round];
		if (pipe(pfd) < 0)
			break;
		for (h = 0; h < HAMMERS; h++) {
			if (fork() == 0) {
				int counts[3] = { 0, 0, 0 };

				close(pfd[0]);
				while (now_ms() < start - 3)
					sleep_ms(1);
				while (now_ms() < start)
					;
				while (now_ms() < start + 60) {
					if (thaw_fd(fd) == 0)
						counts[0]++;
					else
						counts[errno == EINVAL ? 1 : 2]++;
				}
				if (write(pfd[1], counts, sizeof(counts)) < 0)
					_exit(2);
				_exit(0);
			}
		}
		close(pfd[1]);
		for (h = 0; h < HAMMERS; h++) {
			struct pollfd pl = { .fd = pfd[0], .events = POLLIN };
			int counts[3];

			if (poll(&pl, 1, TIMEOUT_S * 1000 + 5000) != 1 ||
			    read(pfd[0], counts, sizeof(counts)) != sizeof(counts))
				break;
			succeeded += counts[0];
			einval += counts[1];
			other += counts[2];
		}
		close(pfd[0]);
		while (waitpid(-1, NULL, WNOHANG) > 0)
			;
		checkv("hammers-returned", h == HAMMERS, 0, now_ms() - t_frozen, round);
		checkv("manual-thaws-succeeded", succeeded, 0, 0, round);
		checkv("thaws-einval", einval, 0, 0, round);
		checkv("thaws-other-errno", other, 0, 0, round);
		checkv("thawed-after-race", writable_within(path, 1000), 0, 0, round);
	}
	close(fd);
}
