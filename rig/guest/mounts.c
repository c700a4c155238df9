/*
 * umount and remount of a frozen filesystem: umount-frozen, remount-frozen,
 * lazy-umount-frozen. Every mount call that may block runs in a child, so
 * the scenario can say "still blocked after 1.2 s" and go on to thaw; a
 * thaw that never returns is left to the guest's watchdog, which reports
 * the hang with the kernel's stacks.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/wait.h>
#include <unistd.h>
#include "helper.h"

/* The flags the fs is mounted with (freeze-helper.c mounts it so). */
#define MNT_FLAGS	MS_NOATIME

/*
 * The timeout of a freeze around a remount: a safety net that ends a hang,
 * far beyond the ~1.5 s the step takes, so that a guest the host leaves
 * without CPU for seconds (measured: ~5 s, ten TCG guests on two cores) is
 * not thawed by its timeout in the middle of the step.
 */
#define SAFETY_S	(10 * TIMEOUT_S)

/* umount(MNT) ('u'), mount(DEV, MNT) ('m') or a remount of MNT with flags ('r'), in a child (call_start). */
struct fs_call_arg {
	char what;
	unsigned long flags;
};

static int fs_call_run(const void *arg)
{
	const struct fs_call_arg *a = arg;

	return a->what == 'u' ? umount(MNT)
	     : a->what == 'm' ? mount(DEV, MNT, getenv("FSTYPE"), MNT_FLAGS, NULL)
			      : mount(DEV, MNT, getenv("FSTYPE"), MS_REMOUNT | a->flags, NULL);
}

static int fs_call_start(struct call *c, char what, unsigned long flags)
{
	struct fs_call_arg a = { what, flags };

	return call_start(c, fs_call_run, &a);
}

/*
 * umount-frozen: with no file open on it, umount a frozen fs. It may fail
 * (EBUSY) or wait for the thaw; it must succeed after the thaw, and the
 * fs must mount again. With a timeout on offer, the freeze asks for 3 s,
 * so that a umount that waits is ended by it rather than hanging.
 */
void umount_frozen(void)
{
	int fd = fs_open(), done;
	struct call u, m;
	double t_frozen;

	if (freeze_checked("freeze", fd, have_timeout ? 3 : 0) < 0) {
		close(fd);
		return;
	}
	close(fd);
	t_frozen = now_ms();
	if (fs_call_start(&u, 'u', 0) < 0)
		return;
	done = call_wait(&u, 1000);
	/* ret 1 = still blocked after 1 s: the umount waits */
	if (done)
		check("umount-while-frozen", u.ret, u.err, now_ms() - t_frozen);
	else
		check("umount-while-frozen", 1, 0, now_ms() - t_frozen);

	if (done && u.ret < 0) {
		int ret;

		fd = fs_open();
		thaw_checked("thaw", fd);
		close(fd);
		ret = umount(MNT);
		check("umount-after-thaw", ret, errno, 0);
	} else if (!done) {
		done = call_wait(&u, have_timeout ? 6000 : 0);
		check("umount-after-thaw", done ? u.ret : -1, done ? u.err : ETIMEDOUT, now_ms() - t_frozen);
		if (!done)
			return;		/* the fs is detached and frozen: nothing to remount */
	} else if (have_timeout) {
		/* umount succeeded while frozen: let the timeout thaw the orphan */
		sleep_ms(3500 - (int)(now_ms() - t_frozen));
	}
	if (fs_call_start(&m, 'm', 0) < 0)
		return;
	done = call_wait(&m, 8000);
	check("mount-again", done ? m.ret : -1, done ? m.err : ETIMEDOUT, now_ms() - t_frozen);
}

/*
 * 1 when MNT is mounted read-only, from /proc/mounts: statvfs() cannot say
 * on 2.6.27, whose statfs has no f_flags yet (2.6.36).
 */
static int read_only(void)
{
	char dev[64], dir[64], type[32], opts[256];
	int ro = 0;
	FILE *f = fopen("/proc/mounts", "r");

	while (f && fscanf(f, "%63s %63s %31s %255s %*d %*d", dev, dir, type, opts) == 4)
		if (strcmp(dir, MNT) == 0)
			ro = strncmp(opts, "ro", 2) == 0 && (opts[2] == ',' || opts[2] == '\0');
	if (f)
		fclose(f);
	return ro;
}

/*
 * One remount of the frozen fs, named `label`: the host reads the device's
 * write counters before it and again once it returned or 1.2 s passed,
 * both while frozen; then the fs is thawed and a remount still blocked is
 * given WAKE_MS more. Reports:
 *   remount-L-returned   1 if it returned while frozen (ms: when)
 *   remount-L            its result, whenever it came (v: 1 while frozen)
 *   thaw-L               the thaw's result and time
 */
static void remount_while_frozen(int fd, const char *label, unsigned long flags)
{
	char name[64], before[48], after[56];
	double t_thaw;
	struct call r;
	int done;

	snprintf(before, sizeof(before), "remount-%s", label);
	snprintf(after, sizeof(after), "remount-%s-end", label);
	ask_checked("blockstats", before);
	if (fs_call_start(&r, 'r', flags) < 0)
		return;
	done = call_wait(&r, BLOCK_MS);
	snprintf(name, sizeof(name), "remount-%s-returned", label);
	check(name, done, 0, now_ms() - r.started);
	ask_checked("blockstats", after);
	snprintf(name, sizeof(name), "thaw-%s", label);
	t_thaw = now_ms();
	thaw_checked(name, fd);
	if (!done && !call_wait(&r, WAKE_MS)) {
		r.ret = -1;
		r.err = ETIMEDOUT;
	}
	snprintf(name, sizeof(name), "remount-%s", label);
	checkv(name, r.ret, r.err, now_ms() - (done ? r.started : t_thaw), done);
}

/*
 * Back to read-write, as the next step and scenario expect; reported when
 * it fails or blocks (in a child: a kernel that leaked s_umount blocks it
 * for ever).
 */
static void back_to_rw(void)
{
	struct call r;

	if (!read_only() || fs_call_start(&r, 'r', MNT_FLAGS) < 0)
		return;
	if (!call_wait(&r, BLOCK_MS)) {
		r.ret = -1;
		r.err = ETIMEDOUT;
	}
	if (r.ret < 0)
		check("remount-rw-again", r.ret, r.err, 0);
}

/*
 * remount-frozen: a remount with the flags the fs has, and remount,ro, each
 * of a frozen fs. Each freeze asks for a timeout (SAFETY_S) where there is
 * one, as a safety net: the thaw by hand comes after ~1.5 s. The manifest says what
 * each remount does (an errno, or waits for the thaw); nothing may reach
 * the device while frozen, and every thaw must return.
 */
void remount_frozen(void)
{
	const char *path = MNT "/remount.dat";
	int fd;

	if (prepare(path, "") < 0)
		return;
	fd = fs_open();
	if (freeze_checked("freeze-same", fd, have_timeout ? SAFETY_S : 0) == 0)
		remount_while_frozen(fd, "same", MNT_FLAGS);
	check("writable-after-same", append_fsync_within(path, 1000), 0, 0);

	if (freeze_checked("freeze-ro", fd, have_timeout ? SAFETY_S : 0) == 0)
		remount_while_frozen(fd, "ro", MNT_FLAGS | MS_RDONLY);
	check("read-only-after-ro", read_only(), 0, 0);
	back_to_rw();
	check("writable-after-ro", append_fsync_within(path, 1000), 0, 0);
	close(fd);
}


/*
 * freeze-read-only: a read-only fs frozen, remounted rw while frozen, and
 * thawed. The manifest says what the freeze, the remount and the thaw do;
 * nothing may reach the device while frozen, and the fs must be writable
 * after.
 */
void freeze_read_only(void)
{
	const char *path = MNT "/read-only.dat";
	int fd, r;

	if (prepare(path, "") < 0)
		return;
	fd = fs_open();
	r = mount(DEV, MNT, getenv("FSTYPE"), MS_REMOUNT | MNT_FLAGS | MS_RDONLY, NULL);
	check("remount-ro", r, errno, 0);
	if (r == 0) {
		if (freeze_checked("freeze", fd, have_timeout ? SAFETY_S : 0) == 0)
			remount_while_frozen(fd, "rw", MNT_FLAGS);
		back_to_rw();
	}
	check("writable-after", append_fsync_within(path, 1000), 0, 0);
	close(fd);
}

/*
 * lazy-umount-frozen: freeze, detach the mount (umount2 MNT_DETACH), close
 * the last fd, so that only the freeze keeps the superblock; then the
 * timeout thaws it (where there is none, the thaw comes through the fd
 * before it is closed). No oops, no use after free (the debug kernel's
 * object and slab checks watch), and the disk mounts again with the file
 * written before the freeze.
 */
void lazy_umount_frozen(void)
{
	const char *path = MNT "/lazy.dat";
	int fd, go[2], r, done;
	double t_frozen, ms;
	struct call m;
	pid_t pid;

	if (prepare(path, "lazy") < 0)
		return;
	fd = fs_open();
	if (freeze_checked("freeze", fd, have_timeout ? TIMEOUT_S : 0) < 0) {
		close(fd);
		return;
	}
	t_frozen = now_ms();
	r = TIMED(&ms, umount2(MNT, MNT_DETACH));
	check("lazy-umount", r, errno, ms);
	if (r < 0) {
		thaw_checked("thaw", fd);
		close(fd);
		return;
	}
	if (!have_timeout)
		thaw_checked("thaw-detached", fd);
	/*
	 * The last reference to the detached mount goes with this close: in a
	 * child, since a kernel that keeps s_umount across the freeze blocks
	 * the last mntput until the thaw.
	 */
	if (pipe(go) < 0) {
		check("setup", -1, errno, 0);
		return;
	}
	pid = fork();
	if (pid == 0) {
		/* closes its copy once the parent's is gone: this one is the last */
		char c;

		close(go[1]);
		_exit(read(go[0], &c, 1) != 1 || close(fd) < 0);
	}
	close(go[0]);
	close(fd);
	if (write(go[1], "x", 1) < 0)
		check("setup", -1, errno, 0);
	close(go[1]);
	done = 0;
	for (r = 0; r < (TIMEOUT_S * 1000 + 3000) / 10 && !done; r++) {
		done = waitpid(pid, NULL, WNOHANG) == pid;
		if (!done)
			sleep_ms(10);
	}
	check("last-close-returned", done, 0, now_ms() - t_frozen);
	if (have_timeout)
		sleep_ms((int)(t_frozen + TIMEOUT_S * 1000 + 1000 - now_ms()));
	if (fs_call_start(&m, 'm', 0) < 0)
		return;
	done = call_wait(&m, 8000);
	check("mount-again", done ? m.ret : -1, done ? m.err : ETIMEDOUT, now_ms() - t_frozen);
	if (done && m.ret == 0)
		check("file-intact", file_equals(path, "lazy"), 0, 0);
}
