/*
 * freeze-io-error: the freeze's flush meets write errors. The filesystem
 * is a disk of its own (the next scenarios keep a sound vda), with files
 * fsync'ed and 8 MiB written without fsync. Then every request to that
 * disk is made to fail (FAIL_MAKE_REQUEST: make-it-fail on the disk,
 * probability 100) around the freeze call only, and the failures are
 * counted (the attribute's "times" counts down).
 *
 * Injected in the guest rather than by QEMU's blkdebug: armed and disarmed
 * by the caller of the freeze itself, on that disk only, so it is exact to
 * the call and the same every run; blkdebug's rules cannot be armed from
 * QMP at a given moment. It fails reads too, which a freeze does not need.
 *
 * The promise: a freeze that returns 0 left a consistent disk (so the
 * guest copies the frozen disk for the host to check, as a backup would);
 * one that fails returns an error and leaves the filesystem writable.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>
#include "helper.h"

#define ROOT		"/ioerr"
#define KNOBS		"/sys/kernel/debug/fail_make_request/"
#define TIMES		1000000		/* failures allowed; what is left tells how many happened */

static int put(const char *path, long value)
{
	char buf[24];
	int fd = open(path, O_WRONLY), n = snprintf(buf, sizeof(buf), "%ld\n", value), ok;

	ok = fd >= 0 && write(fd, buf, n) == n;
	if (fd >= 0)
		close(fd);
	return ok ? 0 : -1;
}

static long get(const char *path)
{
	char buf[24] = "";
	int fd = open(path, O_RDONLY);
	ssize_t n = fd >= 0 ? read(fd, buf, sizeof(buf) - 1) : -1;

	if (fd >= 0)
		close(fd);
	return n > 0 ? atol(buf) : -1;
}

/* Every request to disk `name` fails (1), or none (0). */
static int arm(const char *name, int on)
{
	char path[64];

	snprintf(path, sizeof(path), "/sys/block/%s/make-it-fail", name);
	if (on && (put(KNOBS "probability", 100) < 0 || put(KNOBS "interval", 1) < 0 ||
		   put(KNOBS "times", TIMES) < 0 || put(KNOBS "space", 0) < 0 || put(KNOBS "verbose", 0) < 0))
		return -1;
	return put(path, on);
}

void freeze_io_error(void)
{
	long reported[WRITERS] = { 0, 0 };
	struct disk fsdisk, copy;
	pid_t pids[WRITERS];
	struct load *l;
	double ms;
	long kb, left;
	int fd, r, err, mib;

	mkdir(ROOT, 0755);
	mkdir("/sys/kernel/debug", 0755);
	if (scenario_disk(0, &fsdisk) < 0 || scenario_disk(1, &copy) < 0 ||
	    (mount("debugfs", "/sys/kernel/debug", "debugfs", 0, NULL) < 0 && errno != EBUSY) ||
	    get(KNOBS "times") == -1 ||
	    mount(fsdisk.dev, ROOT, getenv("FSTYPE"), MS_NOATIME, NULL) < 0 ||
	    write_file(ROOT "/writable", "before\n") < 0) {
		check("setup", -1, errno, 0);	/* no FAIL_MAKE_REQUEST, or no disk from the host */
		return;
	}
	/* files fsync'ed, then 8 MiB written without: all reported, so all must be in a good freeze's disk */
	l = start_writers(ROOT "/snap", pids);
	if (!l) {
		check("setup", -1, errno, 0);
		return;
	}
	sleep_ms(300);
	stop_writers(l, pids);
	report_files(l, ROOT, ROOT "/snap", reported);
	if (write_dirty(ROOT, ROOT "/buffered") < 0) {
		check("setup", -1, errno, 0);
		return;
	}
	fd = open(ROOT, O_RDONLY | O_DIRECTORY);
	kb = meminfo_kb("Dirty");
	if (arm(fsdisk.dev + 5, 1) < 0) {
		check("setup", -1, errno, 0);
		return;
	}
	r = TIMED(&ms, freeze_fd(fd, 0));
	err = errno;
	arm(fsdisk.dev + 5, 0);
	left = get(KNOBS "times");
	/* v: the dirty data the freeze had to write, in kB */
	checkv("freeze", r, err, ms, kb);
	/* v: requests that failed during the freeze call */
	checkv("injected", 0, 0, 0, left >= 0 ? TIMES - left : -1);
	if (r == 0) {
		/* frozen: the disk is what a snapshot now would take */
		mib = TIMED(&ms, copy_device(fsdisk.dev, copy.dev));
		checkv("copy-frozen", mib < 0 ? -1 : 0, mib < 0 ? errno : 0, ms, mib);
		if (mib >= 0)
			emit_export("frozen", &copy);
		r = TIMED(&ms, thaw_fd(fd));
		check("thaw", r, errno, ms);
	}
	if (r == 0) {
		check("writable-after", append_fsync_within(ROOT "/writable", WAKE_MS), 0, 0);
	} else {
		/* not frozen: returns at once, 0 or the fs's own error (ret 1: still blocked) */
		r = TIMED(&ms, append_fsync_outcome(ROOT "/writable", WAKE_MS, &err));
		check("write-after-failed-freeze", r, err, ms);
	}
	close(fd);
	check("umount", umount(ROOT), errno, 0);
}
