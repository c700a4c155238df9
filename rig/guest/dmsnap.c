/*
 * dm-snapshot: the backup story on device-mapper, as LVM tells it. The
 * filesystem lives on a dm-linear device ("origin", over the scenario's
 * first disk, disks.c) and two writers keep fsync'ing files on it. Two
 * snapshots are taken, each the way lvcreate -s takes one: suspend the
 * origin (dm's lockfs: freeze_bdev()), activate a "snapshot" device over
 * the origin's disk and a COW disk, load the origin's "snapshot-origin"
 * table, resume it.
 *
 *   a  the fs is first frozen through the interface under test (FIFREEZE,
 *      as a backup tool would before asking LVM for a snapshot); then dm
 *      suspends it. Does dm's freeze nest in ours, or wait for our thaw?
 *      With a timeout on offer, once more with a freezer that froze with a
 *      timeout and died: the timeout must release dm's suspend.
 *   b  dm's own suspend freezes the fs; while it holds the freeze, the
 *      interface's thaw and then its freeze are called. A thaw must not end
 *      a freeze it did not make: dm's resume would thaw a second time.
 *
 * Each snapshot is copied onto a disk of its own and the host checks
 * that copy as it checks snapshot-consistent's: fsck clean, no recovery,
 * every file fsync'ed before it intact. A dm or freeze call that does not
 * return is reported (ETIMEDOUT) with every blocked task's stack (sysrq w).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/wait.h>
#include <unistd.h>
#include "helper.h"
#include "dm.h"

#define ROOT		"/dm"
#define ORIGIN		"origin"
#define CHUNK_SECTORS	"8"		/* 4 KiB exception chunks, as lvcreate's default */

/* The scenario's disks, in the order the host attaches them (src/guest/disk-images.ts, scenarioDisks). */
enum { D_ORIGIN, D_COW_A, D_COW_B, D_EXPORT_A, D_EXPORT_B, NDISKS };
static struct disk disks[NDISKS];

static unsigned long long sectors_of(const char *dev)
{
	unsigned long long bytes = 0;
	int fd = open(dev, O_RDONLY);

	if (fd >= 0 && ioctl(fd, BLKGETSIZE64, &bytes) < 0)
		bytes = 0;
	if (fd >= 0)
		close(fd);
	return bytes / 512;
}

/* ---- device-mapper: the control node and a node per device (2.6.27 has no devtmpfs, no udev) ---- */
static int control = -1;

/* The misc minor device-mapper registered (/proc/misc: "60 device-mapper"). */
static int misc_minor(void)
{
	char line[64], name[32];
	int minor = -1, m;
	FILE *f = fopen("/proc/misc", "r");

	while (f && fgets(line, sizeof(line), f))
		if (sscanf(line, "%d %31s", &m, name) == 2 && !strcmp(name, "device-mapper"))
			minor = m;
	if (f)
		fclose(f);
	return minor;
}

static int dm_open(void)
{
	int minor = misc_minor();

	if (control >= 0)
		return 0;
	if (minor < 0) {
		errno = ENODEV;		/* no device-mapper in this kernel */
		return -1;
	}
	mkdir("/dev/mapper", 0755);
	unlink("/dev/mapper/control");
	if (mknod("/dev/mapper/control", S_IFCHR | 0600, makedev(10, minor)) < 0)
		return -1;
	control = open("/dev/mapper/control", O_RDWR);
	return control < 0 ? -1 : 0;
}

static int dm_create(const char *name)
{
	unsigned long long dev;
	char path[80];

	if (dm_command(control, DMC_CREATE, name, &dev) < 0)
		return -1;
	snprintf(path, sizeof(path), "/dev/mapper/%s", name);
	unlink(path);
	return mknod(path, S_IFBLK | 0600, (dev_t)dev);
}

static int dm_load(const char *name, unsigned long long sectors, const char *type, const char *params)
{
	return dm_table_load(control, name, sectors, type, params);
}

static int dm_suspend(const char *name, int lockfs)
{
	return dm_command(control, lockfs ? DMC_SUSPEND : DMC_SUSPEND_NOLOCKFS, name, NULL);
}

static int dm_resume(const char *name)
{
	return dm_command(control, DMC_RESUME, name, NULL);
}

static int dm_remove(const char *name)
{
	char path[80];

	snprintf(path, sizeof(path), "/dev/mapper/%s", name);
	unlink(path);
	return dm_command(control, DMC_REMOVE, name, NULL);
}

/* One call that may block (a dm suspend, a freeze of a dm-frozen fs), in a child (call_start). */
enum dm_call { CALL_SUSPEND, CALL_RESUME, CALL_FREEZE, CALL_THAW };
struct dm_call_arg {
	enum dm_call op;
	int fsfd;
};

static int dm_call_run(const void *arg)
{
	const struct dm_call_arg *a = arg;

	return a->op == CALL_SUSPEND ? dm_suspend(ORIGIN, 1)
	     : a->op == CALL_RESUME  ? dm_resume(ORIGIN)
	     : a->op == CALL_FREEZE  ? freeze_fd(a->fsfd, 0)
				     : thaw_fd(a->fsfd);
}

static void dm_call_start(struct call *c, enum dm_call op, int fsfd)
{
	struct dm_call_arg a = { op, fsfd };

	/* a call that could not start is reported as done with its error */
	call_start(c, dm_call_run, &a);
}

/*
 * Set once a call never returned: the fs or the device is wedged, so the
 * later waits (writers, the umount) would only cost their whole bounds.
 */
static int wedged;

/*
 * Reports `name` for a call waited for up to ms: ret 0/-1 and errno when it
 * returned, ETIMEDOUT (with every blocked task's stack) when it did not.
 * v: 1 if it returned within `within` ms of its start.
 */
static int call_checked(const char *name, struct call *c, int ms, int within)
{
	int back = call_wait(c, ms);
	double took = now_ms() - c->started;

	if (!back) {
		checkv(name, -1, ETIMEDOUT, took, 0);
		write_proc("/proc/sysrq-trigger", "w");
		wedged = 1;
		return -1;
	}
	checkv(name, c->ret, c->err, took, took <= within);
	return c->ret;
}

/*
 * lvcreate -s with the origin already suspended: the snapshot device over
 * the origin's disk and COW disk `cow`, then the origin's table becomes
 * snapshot-origin (so that its writes copy old chunks out first) and the
 * origin resumes, which thaws what its suspend froze.
 */
static int activate_snapshot(const char *snap, int cow, unsigned long long sectors)
{
	char params[64];

	snprintf(params, sizeof(params), "%s %s P " CHUNK_SECTORS, disks[D_ORIGIN].majmin, disks[cow].majmin);
	if (dm_create(snap) < 0 || dm_load(snap, sectors, "snapshot", params) < 0 || dm_resume(snap) < 0)
		return -1;
	return dm_load(ORIGIN, sectors, "snapshot-origin", disks[D_ORIGIN].majmin);
}

/* Copies snapshot `snap` to export disk `disk`, tells the host, and removes it. */
static void export_snapshot(const char *label, const char *snap, int disk)
{
	char from[64], to[32], name[32];
	double ms;
	int mib;

	snprintf(from, sizeof(from), "/dev/mapper/%s", snap);
	snprintf(to, sizeof(to), "%s", disks[disk].dev);
	snprintf(name, sizeof(name), "export-%s", label);
	mib = TIMED(&ms, copy_device(from, to));
	checkv(name, mib < 0 ? -1 : 0, mib < 0 ? errno : 0, ms, mib);
	if (mib >= 0)
		emit_export(label, &disks[disk]);
	snprintf(name, sizeof(name), "remove-%s", snap);
	check(name, dm_remove(snap), errno, 0);
}

/* a: frozen through the interface, then dm suspends (lvcreate -s of a frozen fs). */
static void frozen_then_snapshot(int fd, unsigned long long sectors)
{
	struct call suspend, resume;
	double ms, t_thaw = 0;
	int r, nested;

	r = TIMED(&ms, freeze_fd(fd, 0));
	check("freeze-a", r, errno, ms);
	if (r < 0)
		return;
	dm_call_start(&suspend, CALL_SUSPEND, fd);
	nested = call_wait(&suspend, BLOCK_MS);
	/* v 1: dm's suspend returned while the fs was frozen by us (it nests) */
	checkv("dm-suspend-while-frozen", nested ? suspend.ret : 0, nested ? suspend.err : 0, now_ms() - suspend.started, nested);
	if (!nested) {
		t_thaw = now_ms();
		r = TIMED(&ms, thaw_fd(fd));
		check("thaw-a", r, errno, ms);
		/* after our thaw, dm's suspend gets the freeze: v 1 within WAKE_MS of the thaw */
		if (call_checked("dm-suspend-after-thaw", &suspend, WAKE_MS, (int)(t_thaw - suspend.started) + WAKE_MS) < 0)
			return;
	} else if (suspend.ret < 0) {
		thaw_fd(fd);
		return;
	}
	r = TIMED(&ms, activate_snapshot("snap-a", D_COW_A, sectors));
	check("snapshot-a", r, errno, ms);
	dm_call_start(&resume, CALL_RESUME, fd);
	if (call_checked("dm-resume-a", &resume, WAKE_MS, WAKE_MS) < 0 || r < 0)
		return;
	if (nested) {
		struct probe p;
		int done;

		/* dm's resume ended dm's freeze only: ours still holds (ret 1: a write still blocked) */
		probe_start(&p, OP_WRITE_FSYNC, ROOT "/writable", NULL);
		done = probe_wait(&p, 300);
		check("frozen-after-dm-resume", !done, 0, now_ms() - p.started);
		r = TIMED(&ms, thaw_fd(fd));
		check("thaw-a", r, errno, ms);
		t_thaw = now_ms();
		probe_wait(&p, WAKE_MS);
		probe_reap(&p);
	}
	export_snapshot("a", "snap-a", D_EXPORT_A);
	(void)t_thaw;
}

/*
 * The timeout's half of a: the freezer froze with a timeout and died (it
 * never thaws), then LVM suspends. A suspend that waits for the thaw must
 * be released by the timeout, about TIMEOUT_S after the freeze.
 *   dm-suspend-after-timeout  ms: from the freeze; v 1 if it returned
 */
static void frozen_with_timeout_then_suspend(int fd)
{
	struct call suspend, resume;
	double ms, t_freeze, left;
	int r;

	r = TIMED(&ms, freeze_fd(fd, TIMEOUT_S));
	t_freeze = now_ms();
	check("freeze-t", r, errno, ms);
	if (r < 0)
		return;
	/* started right after the freeze: its ms count from there; v 1 once it returned */
	dm_call_start(&suspend, CALL_SUSPEND, fd);
	call_checked("dm-suspend-after-timeout", &suspend, TIMEOUT_S * 1000 + WAKE_MS, TIMEOUT_S * 1000 + WAKE_MS);
	if (wedged)
		return;
	dm_call_start(&resume, CALL_RESUME, fd);
	call_checked("dm-resume-t", &resume, WAKE_MS, WAKE_MS);
	/* a suspend that nests returned at once: the timeout is still to come */
	left = t_freeze + TIMEOUT_S * 1000 + 500 - now_ms();
	if (left > 0)
		sleep_ms((int)left);
	/* the timeout ended the freeze: a thaw now finds nothing to end (the manifest's thawAfterExpiry) */
	r = thaw_fd(fd);
	check("thaw-after-timeout", r, errno, 0);
}

/*
 * b: dm's own suspend holds the freeze; the interface's thaw, then its
 * freeze, are called while it does, each in a child since it may block.
 * After dm's resume, a freeze that waited for it has frozen the fs: it is
 * thawed again.
 */
static void snapshot_then_interface(int fd, unsigned long long sectors, struct load *l)
{
	struct call suspend, thaw, freeze, resume;
	int r, thaw_back = 1, freeze_back = 1;
	double ms, t_thaw, wake;

	dm_call_start(&suspend, CALL_SUSPEND, fd);
	if (call_checked("dm-suspend-b", &suspend, WAKE_MS, WAKE_MS) < 0)
		return;
	if (iface != IFACE_NONE) {
		/* ret 1 = still blocked after BLOCK_MS; where it waits is shown (sysrq w) */
		dm_call_start(&thaw, CALL_THAW, fd);
		thaw_back = call_wait(&thaw, BLOCK_MS);
		check("thaw-during-dm-suspend", thaw_back ? thaw.ret : 1, thaw_back ? thaw.err : 0, now_ms() - thaw.started);
		dm_call_start(&freeze, CALL_FREEZE, fd);
		freeze_back = call_wait(&freeze, BLOCK_MS);
		check("freeze-during-dm-suspend", freeze_back ? freeze.ret : 1, freeze_back ? freeze.err : 0, now_ms() - freeze.started);
		if (!thaw_back || !freeze_back)
			write_proc("/proc/sysrq-trigger", "w");
	}
	r = TIMED(&ms, activate_snapshot("snap-b", D_COW_B, sectors));
	check("snapshot-b", r, errno, ms);
	dm_call_start(&resume, CALL_RESUME, fd);
	if (call_checked("dm-resume-b", &resume, WAKE_MS, WAKE_MS) < 0)
		return;
	if (iface != IFACE_NONE) {
		/* what waited for dm's resume returns now: ret/errno, v 1 within WAKE_MS */
		if (!thaw_back)
			call_checked("thaw-after-dm-resume", &thaw, WAKE_MS, WAKE_MS);
		if (!freeze_back)
			call_checked("freeze-after-dm-resume", &freeze, WAKE_MS, WAKE_MS);
		if (freeze.done && freeze.ret == 0) {
			int t = TIMED(&ms, thaw_fd(fd));

			check("thaw-b", t, errno, ms);
		}
	}
	/* the writers go on after the last resume or thaw (measured before the copy, which outlasts them on XFS) */
	t_thaw = now_ms();
	wake = wedged ? -1 : writers_wake(l, t_thaw);
	if (!wedged)
		check("writer-resumed", wake >= 0, 0, wake >= 0 ? wake : WAKE_MS);
	if (r == 0)
		export_snapshot("b", "snap-b", D_EXPORT_B);
}

void dm_snapshot(void)
{
	long reported[WRITERS] = { 0, 0 };
	unsigned long long sectors;
	char params[64];
	pid_t pids[WRITERS];
	struct load *l;
	int fd, i;

	for (i = 0; i < NDISKS; i++)
		if (scenario_disk(i, &disks[i]) < 0 || dm_open() < 0) {
			check("setup", -1, errno, 0);	/* the host attached no dm disks */
			return;
		}
	sectors = sectors_of(disks[D_ORIGIN].dev);
	snprintf(params, sizeof(params), "%s 0", disks[D_ORIGIN].majmin);
	mkdir(ROOT, 0755);
	if (dm_create(ORIGIN) < 0 || dm_load(ORIGIN, sectors, "linear", params) < 0 || dm_resume(ORIGIN) < 0 ||
	    mount("/dev/mapper/" ORIGIN, ROOT, getenv("FSTYPE"), MS_NOATIME, NULL) < 0) {
		check("setup", -1, errno, 0);
		return;
	}
	if (write_file(ROOT "/writable", "before\n") < 0) {
		check("setup", -1, errno, 0);
		return;
	}
	l = start_writers(ROOT "/snap", pids);
	fd = open(ROOT, O_RDONLY | O_DIRECTORY);
	if (!l || fd < 0) {
		check("setup", -1, errno, 0);
		return;
	}
	if (iface != IFACE_NONE) {
		sleep_ms(300);
		write_dirty(ROOT, ROOT "/snap/buffered-a");
		report_files(l, ROOT, ROOT "/snap", reported);
		frozen_then_snapshot(fd, sectors);
		if (have_timeout && !wedged)
			frozen_with_timeout_then_suspend(fd);
	}
	if (!wedged) {
		sleep_ms(300);
		write_dirty(ROOT, ROOT "/snap/buffered-b");
		report_files(l, ROOT, ROOT "/snap", reported);
		snapshot_then_interface(fd, sectors, l);
	}
	if (wedged) {
		/* a task is stuck (its stack is on the console): what is left would wait out its bounds */
		check("wedged", 1, 0, 0);
		return;
	}
	check("writers-finished", stop_writers(l, pids), 0, 0);
	check("writable-after", append_fsync_within(ROOT "/writable", WAKE_MS), 0, 0);
	close(fd);
	check("dm-umount", umount(ROOT), errno, 0);
	check("dm-remove-origin", dm_remove(ORIGIN), errno, 0);
}
