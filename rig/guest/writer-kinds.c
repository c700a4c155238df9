/*
 * no-device-writes, widened: the paths by which data reaches a device
 * other than write(2)+fsync, each given a frozen window of its own so that
 * the host's counters name the writer that leaked. The kernel's background
 * work is made eager first (ext3 commit=1, XFS's sync daemon and dirty
 * expiry at 1 s), so that a window of HOLD_MS outlasts every interval, and
 * the fs is remounted without noatime so that reads update atime.
 *
 *   mmap    stores into a shared mapping, then msync(MS_SYNC)
 *   odirect O_DIRECT pwrite into allocated blocks
 *   splice  splice(2) from a pipe into allocated blocks
 *   atime   read(2), which updates atime
 *
 * Each writer is a child looping every 50 ms with a count of its completed
 * operations; a writer blocked by the freeze is fine, a byte on the device
 * is not. The host compares the counters read at "frozen-K" and
 * "frozen-K-end" (host-device-writes-frozen-K).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/wait.h>
#include <unistd.h>
#include "helper.h"

#define FILE_BYTES	(256 * 1024)	/* written and fsync'ed before: the writers rewrite allocated blocks */
#define STEP		4096
#define PERIOD_MS	50

static const char *const kinds[] = { "mmap", "odirect", "splice", "atime" };
#define NKINDS (int)(sizeof(kinds) / sizeof(kinds[0]))

/* Eager background writeback and journalling (1 s), atime on; or back to the rig's defaults. */
static int eager(int on)
{
	const int ext3 = !strcmp(getenv("FSTYPE"), "ext3");

	write_proc("/proc/sys/vm/dirty_expire_centisecs", on ? "100" : "3000");
	write_proc("/proc/sys/vm/dirty_writeback_centisecs", on ? "100" : "500");
	if (!ext3)
		write_proc("/proc/sys/fs/xfs/xfssyncd_centisecs", on ? "100" : "3000");
	return mount(DEV, MNT, getenv("FSTYPE"), MS_REMOUNT | (on ? 0 : MS_NOATIME),
		     ext3 ? (on ? "commit=1" : "commit=5") : NULL);
}

/* One operation of writer `kind` on fd (map: its mapping), step i. */
static int writer_op(int kind, int fd, char *map, char *buf, int pfd[2], long i)
{
	off_t off = (i * STEP) % FILE_BYTES;
	loff_t loff = off;

	switch (kind) {
	case 0:
		map[off] = (char)i;
		return msync(map, FILE_BYTES, MS_SYNC);
	case 1:
		buf[0] = (char)i;
		return pwrite(fd, buf, STEP, off) == STEP ? 0 : -1;
	case 2:
		buf[0] = (char)i;
		if (write(pfd[1], buf, STEP) != STEP)
			return -1;
		return splice(pfd[0], NULL, fd, &loff, STEP, 0) == STEP ? 0 : -1;
	default:
		return pread(fd, buf, STEP, off) == STEP ? 0 : -1;
	}
}

/* The child: writer `kind` until killed, its completed operations in *ops. */
static void writer_loop(int kind, const char *path, volatile long *ops)
{
	static char buf[STEP] __attribute__((aligned(4096)));
	int fd = open(path, kind == 1 ? O_RDWR | O_DIRECT : O_RDWR), pfd[2] = { -1, -1 };
	char *map = NULL;
	long i;

	if (fd < 0 || (kind == 2 && pipe(pfd) < 0))
		_exit(1);
	if (kind == 0 && (map = mmap(NULL, FILE_BYTES, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0)) == MAP_FAILED)
		_exit(1);
	for (i = 0;; i++) {
		if (writer_op(kind, fd, map, buf, pfd, i) < 0)
			_exit(2);
		++*ops;
		sleep_ms(PERIOD_MS);
	}
}

/* A file of FILE_BYTES, written and fsync'ed: its blocks are allocated before any window. */
static int allocated_file(const char *path)
{
	static char buf[FILE_BYTES];
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644), ok;

	memset(buf, 'k', sizeof(buf));
	ok = fd >= 0 && write(fd, buf, sizeof(buf)) == (ssize_t)sizeof(buf) && fsync(fd) == 0;
	if (fd >= 0)
		close(fd);
	return ok ? 0 : -1;
}

/*
 * One frozen window for writer `kind`: the writer runs 300 ms, the fs is
 * frozen, the host reads the counters, HOLD_MS later again, thaw.
 *   ops-before-K     v: operations before the freeze (none: the window proves nothing)
 *   freeze-K, thaw-K the calls
 *   ops-while-frozen-K  v: operations completed while frozen
 */
static void window(int kind, volatile long *ops, int hold_ms)
{
	char path[64], label[32], name[48];
	double ms;
	long before;
	pid_t pid;
	int fd, r;

	snprintf(path, sizeof(path), MNT "/kind-%s", kinds[kind]);
	if (allocated_file(path) < 0) {
		check("setup", -1, errno, 0);
		return;
	}
	*ops = 0;
	pid = fork();
	if (pid == 0)
		writer_loop(kind, path, ops);
	sleep_ms(300);
	snprintf(name, sizeof(name), "ops-before-%s", kinds[kind]);
	checkv(name, 0, 0, 300, *ops);
	fd = fs_open();
	r = TIMED(&ms, freeze_fd(fd, 0));
	snprintf(name, sizeof(name), "freeze-%s", kinds[kind]);
	check(name, r, errno, ms);
	if (r == 0) {
		before = *ops;
		snprintf(label, sizeof(label), "frozen-%s", kinds[kind]);
		if (ask_checked("blockstats", label) == 0) {
			sleep_ms(hold_ms);
			snprintf(label, sizeof(label), "frozen-%s-end", kinds[kind]);
			ask_checked("blockstats", label);
		}
		snprintf(name, sizeof(name), "ops-while-frozen-%s", kinds[kind]);
		checkv(name, 0, 0, hold_ms, *ops - before);
		r = TIMED(&ms, thaw_fd(fd));
		snprintf(name, sizeof(name), "thaw-%s", kinds[kind]);
		check(name, r, errno, ms);
	}
	close(fd);
	/* after the thaw a writer blocked by the freeze returns, and is then killed */
	kill(pid, SIGKILL);
	waitpid(pid, NULL, 0);
}

/* The widened part of no-device-writes: one window per writer kind. */
void writer_kind_windows(void)
{
	volatile long *ops = mmap(NULL, sizeof(long), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	int k, r;

	if (ops == MAP_FAILED) {
		check("setup", -1, errno, 0);
		return;
	}
	r = eager(1);
	check("eager-writeback", r, errno, 0);
	/* longer than every interval made eager above: 1 s, and 1.5 s of them */
	for (k = 0; r == 0 && k < NKINDS; k++)
		window(k, ops, 2500);
	check("eager-writeback-off", eager(0), errno, 0);
}
