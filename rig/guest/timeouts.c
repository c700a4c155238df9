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
#include <sched.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>
#include "helper.h"

/*
 * The calling process's scheduling policy. Through the system call itself:
 * musl's sched_setscheduler() always fails (ENOSYS), since POSIX means it
 * for the whole process and Linux applies it to one thread.
 */
static int set_policy(int policy, int prio)
{
	struct sched_param sp = { .sched_priority = prio };

	return syscall(SYS_sched_setscheduler, 0, policy, &sp);
}

/* The calling process on the CPUs in mask. Through the system call, with a plain mask: no cpu_set_t needed for two CPUs. */
static void set_cpus(unsigned long mask)
{
	syscall(SYS_sched_setaffinity, 0, sizeof(mask), &mask);
}

/*
 * The calling process on CPU 0 only (on), or on every CPU again (off). A
 * forced interleaving needs its actors and the timeout's work on one CPU:
 * the timer fires on the CPU whose ioctl armed it and queues the work to
 * that CPU's keventd, so a SCHED_FIFO task there keeps it from running, on
 * an SMP kernel as on a uniprocessor one. A no-op on one CPU.
 */
static void pin_cpu0(int on)
{
	set_cpus(on ? 1UL : ~0UL);
}

/*
 * SCHED_FIFO spinners on CPUs 1..ncpu-1 until *stop is set or `until`
 * (now_ms) passes. With the freezer spinning on CPU 0, a timeout's work
 * whose thread is not bound to a CPU (a single-threaded workqueue's, in
 * 2.6.27) then cannot run anywhere either, as keventd's cannot on CPU 0.
 * Their pids in pids; returns how many.
 */
static int spin_other_cpus(long ncpu, volatile int *stop, double until, pid_t *pids, int max)
{
	int n = 0;
	long cpu;

	for (cpu = 1; cpu < ncpu && n < max; cpu++) {
		pid_t pid = fork();

		if (pid == 0) {
			set_cpus(1UL << cpu);
			set_policy(SCHED_FIFO, 50);
			while (!*stop && now_ms() < until)
				;
			_exit(0);
		}
		if (pid > 0)
			pids[n++] = pid;
	}
	return n;
}

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
 * The forced round of thaw-timeout-race: two thaws meet inside the running
 * timeout. The work prints "freeze timeout on ... expired" and then sleeps
 * in the thaw (ext3 writes its superblock synchronously, XFS its log).
 * Thawer A waits in /proc/kmsg for that line and thaws at once, so its
 * cancel_delayed_work_sync() takes the work's pending bit and sleeps until
 * the work is done; thawer B, woken by A just before, thaws second and
 * finds the bit taken. Both run SCHED_FIFO at one priority, so neither
 * overtakes the other, and the work's barriers complete B before A: B runs
 * first. A kernel that lets two such cancels run at once spins in B for a
 * bit only A can clear, and A never gets the CPU on a kernel without
 * preemption (ext3-v1's livelock); one that serialises them lets B wait.
 * Reports each thaw's outcome and whether A saw the line.
 */
static void forced_thawer(int fd, int kfd, int wake_b, int report)
{
	char buf[1024], seen[2048] = "";
	int r[3] = { -1, 0, 0 };	/* thaw's result, errno, 1 when the line was seen */
	double deadline = now_ms() + TIMEOUT_S * 1000.0 + 3000;

	set_policy(SCHED_FIFO, 10);
	if (kfd >= 0) {
		/* A: wait for the work's line; keep the tail of what was read, lines span reads */
		while (!strstr(seen, "freeze timeout on") && now_ms() < deadline) {
			struct pollfd pl = { .fd = kfd, .events = POLLIN };
			ssize_t n;

			/*
			 * Short polls, not one long one: 2.6.27 wakes a reader of
			 * /proc/kmsg from the next tick, and a tickless CPU may
			 * have none for seconds (measured: 3 s late on ext3).
			 */
			int ready = poll(&pl, 1, 1);

			if (ready < 0)
				break;
			if (ready == 0)
				continue;
			n = read(kfd, buf, sizeof(buf) - 1);
			if (n <= 0)
				break;
			buf[n] = '\0';
			if (strlen(seen) + n >= sizeof(seen))
				memmove(seen, seen + strlen(seen) - 256, 257);
			strcat(seen, buf);
		}
		r[2] = strstr(seen, "freeze timeout on") != NULL;
		if (write(wake_b, "x", 1) < 0)
			_exit(2);
	} else {
		/* B: woken by A, at A's priority, so A goes on into its thaw first */
		struct pollfd pl = { .fd = wake_b, .events = POLLIN };

		r[2] = poll(&pl, 1, TIMEOUT_S * 1000 + 4000) == 1;
	}
	r[0] = thaw_fd(fd);
	r[1] = errno;
	if (write(report, r, sizeof(r)) < 0)
		_exit(2);
	_exit(0);
}

static void forced_round(int fd, const char *path, int round)
{
	int kfd, wake[2], rep[2], i, res[2][3] = { { -1, 0, 0 }, { -1, 0, 0 } };
	double t_frozen;
	char drain[1024];

	/* the kernel's log from now on: drain what is there, then block for more */
	kfd = open("/proc/kmsg", O_RDONLY | O_NONBLOCK);
	if (kfd < 0 || pipe(wake) < 0 || pipe(rep) < 0) {
		checkv("forced-setup", -1, errno, 0, round);
		return;
	}
	while (read(kfd, drain, sizeof(drain)) > 0)
		;
	fcntl(kfd, F_SETFL, 0);
	/* the freeze (so the timer and its work), A and B on one CPU; the children inherit it */
	pin_cpu0(1);
	if (freeze_checked("freeze", fd, TIMEOUT_S) < 0) {
		pin_cpu0(0);
		return;
	}
	t_frozen = now_ms();
	if (fork() == 0)
		forced_thawer(fd, kfd, wake[1], rep[1]);
	if (fork() == 0)
		forced_thawer(fd, -1, wake[0], rep[1]);
	close(kfd);
	close(rep[1]);
	/* the two results, in the order they come; each says which thawer it is */
	for (i = 0; i < 2; i++) {
		struct pollfd pl = { .fd = rep[0], .events = POLLIN };
		int r[3];

		if (poll(&pl, 1, TIMEOUT_S * 1000 + 5000) != 1 || read(rep[0], r, sizeof(r)) != sizeof(r))
			break;
		memcpy(res[i], r, sizeof(r));
	}
	close(rep[0]);
	close(wake[0]);
	close(wake[1]);
	while (waitpid(-1, NULL, WNOHANG) > 0)
		;
	checkv("hammers-returned", i == 2, 0, now_ms() - t_frozen, round);
	checkv("manual-thaws-succeeded", (res[0][0] == 0) + (res[1][0] == 0), 0, 0, round);
	checkv("thaws-einval", (res[0][0] < 0 && res[0][1] == EINVAL) + (res[1][0] < 0 && res[1][1] == EINVAL), 0, 0, round);
	checkv("thaws-other-errno", i - (res[0][0] == 0) - (res[1][0] == 0) -
	       (res[0][0] < 0 && res[0][1] == EINVAL) - (res[1][0] < 0 && res[1][1] == EINVAL), 0, 0, round);
	checkv("expiry-seen", res[0][2] && res[1][2], 0, 0, round);
	pin_cpu0(0);
	checkv("thawed-after-race", writable_within(path, 1000), 0, 0, round);
}

/*
 * thaw-timeout-race: four processes hammer the thaw across the moment a
 * 2 s timeout expires, in three rounds shifted by 4 ms, then the forced
 * round above makes the worst interleaving happen on purpose. Whoever wins,
 * the fs is thawed exactly once: at most one manual thaw succeeds, the rest
 * are EINVAL, and nothing hangs.
 */
#define HAMMERS 4
#define RACE_ROUNDS 3
void thaw_timeout_race(void)
{
	static const int offsets_ms[RACE_ROUNDS] = { -4, 0, 4 };
	const char *path = MNT "/race.dat";
	int fd, round;

	if (prepare(path, "") < 0)
		return;
	fd = fs_open();
	for (round = 0; round < RACE_ROUNDS; round++) {
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
	if (round == RACE_ROUNDS)
		forced_round(fd, path, RACE_ROUNDS);
	close(fd);
}

/*
 * reset-at-expiry: the heartbeat arrives in the moment the timer fires.
 * The freezer sleeps until just before the deadline, then runs SCHED_FIFO
 * and spins past it, so keventd cannot run the timeout's work before the
 * reset: the timer has fired and its work is queued, not yet run. Each
 * round resets a little later past the deadline (EXPIRY_LATE_MS), in case
 * the guest's tick came late. The reset must still leave a timer: a writer
 * blocked after it returns TIMEOUT_S after the reset. The first round that
 * shows a lost timer is the last.
 */
void reset_at_expiry(void)
{
	static const int late_ms[EXPIRY_ROUNDS] = EXPIRY_LATE_MS;
	const char *path = MNT "/reset-at-expiry.dat";
	/* counted before pinning: musl counts the CPUs this process may run on */
	long ncpu = sysconf(_SC_NPROCESSORS_ONLN);
	volatile int *stop = mmap(NULL, sizeof(int), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	int fd, round;

	if (stop == MAP_FAILED || prepare(path, "") < 0)
		return;
	fd = fs_open();
	/* the freeze arms the timer on this CPU: the spinning freezer keeps its work from running */
	pin_cpu0(1);
	for (round = 0; round < EXPIRY_ROUNDS; round++) {
		struct probe p;
		double t_call, t_frozen, t_reset, deadline, ms;
		pid_t spinners[8];
		int r, e, done, i, n;

		t_call = now_ms();
		if (freeze_checked("freeze", fd, TIMEOUT_S) < 0)
			break;
		/*
		 * The kernel armed its timer somewhere inside the call (a freeze
		 * under TCG takes up to ~150 ms): it fires between t_call and
		 * t_frozen, + TIMEOUT_S. Spin across all of that.
		 */
		t_frozen = now_ms();
		deadline = t_frozen + TIMEOUT_S * 1000.0;
		sleep_ms((int)(t_call + TIMEOUT_S * 1000.0 - 30 - now_ms()));
		/* under 300 ms: far below the 950 ms a second RT throttling allows */
		*stop = 0;
		n = spin_other_cpus(ncpu, stop, deadline + late_ms[round] + 200, spinners, 8);
		set_policy(SCHED_FIFO, 50);
		while (now_ms() < deadline + late_ms[round])
			;
		r = TIMED(&ms, reset_fd(fd, TIMEOUT_S));
		e = errno;
		t_reset = now_ms();
		*stop = 1;
		set_policy(SCHED_OTHER, 0);
		for (i = 0; i < n; i++)
			waitpid(spinners[i], NULL, 0);
		/* ms: when the reset came, from the freeze (v: how late past the deadline) */
		errno = e;
		checkv("reset", r, e, t_reset - t_frozen, late_ms[round]);
		probe_start(&p, OP_WRITE_FSYNC, path, NULL);
		done = probe_wait(&p, TIMEOUT_S * 1000 + 3000);
		checkv("thawed-after-reset", done, 0, (done ? p.finished : now_ms()) - t_reset, round);
		if (!done) {
			/*
			 * The timer is gone: that is the finding, and more rounds
			 * would only wait for it again. End the freeze by hand.
			 */
			thaw_checked("thaw-by-hand", fd);
			probe_wait(&p, WAKE_MS);
			probe_reap(&p);
			break;
		}
		probe_reap(&p);
	}
	pin_cpu0(0);
	close(fd);
}
