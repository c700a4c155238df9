/*
 * frozen-isolation: the 2008 review's "if the delay is more than 4-5
 * seconds the whole system becomes unstable", measured. A second
 * filesystem on a disk of its own (/iso) takes writes the whole time, and
 * their latency is recorded, while vda is frozen for FROZEN_MS with its
 * pages being dirtied through a mapping (which writeback then tries to
 * write: ext3 starts a journal handle and waits for the thaw), dirty
 * expiry at 1 s, and most of the free memory held by a process that
 * touched it (no swap: only the page cache can give).
 *
 *   latency-before   v: max write latency in the second before the freeze
 *   latency-p50/p99/max   v: of the writes that started while frozen
 *   writes-while-frozen   v: how many
 * The kernel's own reports (soft lockup) show on the console.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include "helper.h"

#define ROOT		"/iso"
#define FROZEN_MS	10000
#define WRITE_BYTES	(64 * 1024)
#define FSYNC_EVERY	8		/* and an fsync every 8th write: the second fs's journal commits too */
#define MAX_WRITES	8192
#define MAP_BYTES	(8 << 20)	/* vda's file dirtied through a mapping */
#define LEFT_MIB	48		/* what the memory hog leaves free */

struct lat {
	volatile int n;
	volatile double current;	/* when the write under way started, or 0 */
	volatile double start[MAX_WRITES], ms[MAX_WRITES];
};

/* Holds `mib` of anonymous memory, every page touched, until killed. */
static void hog(long mib)
{
	char *p = mmap(NULL, mib << 20, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	long i;

	if (p == MAP_FAILED)
		_exit(1);
	for (i = 0; i < mib << 20; i += 4096)
		p[i] = 1;
	for (;;)
		pause();
}

/* Dirties a page of vda's file every 20 ms through a shared mapping, never msync. */
static void dirtier(void)
{
	int fd = open(MNT "/isolation.map", O_RDWR | O_CREAT, 0644);
	char *p;
	long i;

	if (fd < 0 || ftruncate(fd, MAP_BYTES) < 0)
		_exit(1);
	p = mmap(NULL, MAP_BYTES, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (p == MAP_FAILED)
		_exit(1);
	for (i = 0;; i++) {
		p[(i * 4096) % MAP_BYTES] = (char)i;
		sleep_ms(20);
	}
}

/* Writes to the second fs until killed, each write's start and latency in l. */
static void writer(struct lat *l)
{
	static char buf[WRITE_BYTES];
	int fd = open(ROOT "/latency.dat", O_WRONLY | O_CREAT | O_TRUNC, 0644), i;

	if (fd < 0)
		_exit(1);
	memset(buf, 'i', sizeof(buf));
	for (i = 0; i < MAX_WRITES; i++) {
		double t0 = now_ms();

		if (i % 64 == 0 && lseek(fd, 0, SEEK_SET) < 0)	/* 4 MiB, rewritten */
			_exit(1);
		l->current = t0;
		if (write(fd, buf, sizeof(buf)) != (ssize_t)sizeof(buf) || (i % FSYNC_EVERY == 0 && fsync(fd) < 0))
			_exit(2);
		l->current = 0;
		l->start[i] = t0;
		l->ms[i] = now_ms() - t0;
		__sync_synchronize();
		l->n = i + 1;
		sleep_ms(10);
	}
	for (;;)
		pause();
}

static int cmp(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

static pid_t spawn(void (*fn)(void *), void *arg)
{
	pid_t pid = fork();

	if (pid == 0) {
		fn(arg);
		_exit(0);
	}
	return pid;
}

static void run_hog(void *mib) { hog(*(long *)mib); }
static void run_dirtier(void *unused) { (void)unused; dirtier(); }
static void run_writer(void *l) { writer(l); }

void frozen_isolation(void)
{
	struct lat *l = mmap(NULL, sizeof(*l), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	static double frozen[MAX_WRITES];
	struct disk disk;
	pid_t pids[3];
	double ms, t_frozen, t_thaw, before = 0;
	long mib = (meminfo_kb("MemFree") >> 10) - LEFT_MIB;
	int fd, r, i, n = 0;

	mkdir(ROOT, 0755);
	if (l == MAP_FAILED || scenario_disk(0, &disk) < 0 || mount(disk.dev, ROOT, getenv("FSTYPE"), MS_NOATIME, NULL) < 0) {
		check("setup", -1, errno, 0);
		return;
	}
	write_proc("/proc/sys/vm/dirty_expire_centisecs", "100");
	write_proc("/proc/sys/vm/dirty_writeback_centisecs", "100");
	/* v: MiB held, so that only the page cache can give */
	checkv("memory-held", mib > 0 ? 0 : -1, 0, 0, mib);
	pids[0] = mib > 0 ? spawn(run_hog, &mib) : -1;
	pids[1] = spawn(run_dirtier, NULL);
	pids[2] = spawn(run_writer, l);
	sleep_ms(1500);
	fd = fs_open();
	r = TIMED(&ms, freeze_fd(fd, 0));
	check("freeze", r, errno, ms);
	t_frozen = now_ms();
	if (r == 0) {
		sleep_ms(FROZEN_MS);
		t_thaw = now_ms();
		r = TIMED(&ms, thaw_fd(fd));
		check("thaw", r, errno, ms);
	} else {
		t_thaw = t_frozen;
	}
	close(fd);
	sleep_ms(500);
	/* a write still under way counts with what it has waited so far: a stall must not vanish */
	if (l->current > 0 && l->current >= t_frozen && l->current < t_thaw)
		frozen[n++] = now_ms() - l->current;
	for (i = 0; i < 3; i++)
		if (pids[i] > 0) {
			kill(pids[i], SIGKILL);
			waitpid(pids[i], NULL, 0);
		}
	for (i = 0; i < l->n; i++) {
		if (l->start[i] >= t_frozen - 1000 && l->start[i] < t_frozen && l->ms[i] > before)
			before = l->ms[i];
		if (l->start[i] >= t_frozen && l->start[i] < t_thaw)
			frozen[n++] = l->ms[i];
	}
	qsort(frozen, n, sizeof(frozen[0]), cmp);
	checkv("latency-before", 0, 0, 0, before);
	checkv("writes-while-frozen", 0, 0, t_thaw - t_frozen, n);
	if (n) {
		checkv("latency-p50", 0, 0, 0, frozen[n / 2]);
		checkv("latency-p99", 0, 0, 0, frozen[(n * 99) / 100]);
		checkv("latency-max", 0, 0, 0, frozen[n - 1]);
	}
	write_proc("/proc/sys/vm/dirty_expire_centisecs", "3000");
	write_proc("/proc/sys/vm/dirty_writeback_centisecs", "500");
	check("umount", umount(ROOT), errno, 0);
}
