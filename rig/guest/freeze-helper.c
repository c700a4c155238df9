/*
 * freeze-helper: PID 1 of the freeze-rig guest.
 *
 * Runs inside a Linux 2.6.27 guest under QEMU. It sets up the little it
 * needs (2.6.27 has no devtmpfs), reports on the serial console, and powers
 * the machine off. Every line meant for the host starts with RESULT_PREFIX
 * followed by one JSON object, so the host can parse the console strictly
 * and ignore everything the kernel prints around it.
 *
 * Built with musl-gcc -static: glibc static binaries refuse to start on a
 * kernel this old ("FATAL: kernel too old").
 */
#include <errno.h>
#include <poll.h>
#include <sys/ioctl.h>
#include <sys/wait.h>
#include <time.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/reboot.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/utsname.h>
#include <unistd.h>

#define RESULT_PREFIX "@freeze-rig "
#define MNT "/mnt"

/*
 * The freeze interface comes from the patched tree's exported headers
 * (make headers_install), never from a copy: kernel-ioctls.c reads them. A
 * revision without FIFREEZE gives a helper that reports it absent.
 */
extern const int have_fifreeze, have_reset_timeout;
extern const unsigned long nr_fifreeze, nr_fithaw, nr_reset_timeout;

/* XFS's own ioctls: fs/xfs/xfs_fs.h is not exported in 2.6.27, so these are
 * xfsprogs' definitions, exactly as xfs_freeze issues them. */
#define XFS_IOC_FREEZE	_IOWR('X', 119, int)
#define XFS_IOC_THAW	_IOWR('X', 120, int)

/* One JSON line for the host. Values are written by the caller's format. */
static void emit(const char *fmt, ...)
{
	char buf[1024];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	/* one write: the line is never interleaved with kernel messages */
	dprintf(1, RESULT_PREFIX "%s\n", buf);
}

static void mknod_if_missing(const char *path, mode_t mode, int major, int minor)
{
	if (mknod(path, mode, makedev(major, minor)) < 0 && errno != EEXIST)
		emit("{\"event\":\"warn\",\"what\":\"mknod %s\",\"errno\":%d}", path, errno);
}

static void setup(void)
{
	mkdir("/proc", 0755);
	mkdir("/sys", 0755);
	mkdir("/dev", 0755);
	mkdir("/mnt", 0755);
	if (mount("proc", "/proc", "proc", 0, NULL) < 0)
		emit("{\"event\":\"warn\",\"what\":\"mount /proc\",\"errno\":%d}", errno);
	if (mount("sysfs", "/sys", "sysfs", 0, NULL) < 0)
		emit("{\"event\":\"warn\",\"what\":\"mount /sys\",\"errno\":%d}", errno);
	mknod_if_missing("/dev/null", S_IFCHR | 0666, 1, 3);
	/* virtio block devices: major 254, 16 minors each */
	mknod_if_missing("/dev/vda", S_IFBLK | 0600, 254, 0);
	mknod_if_missing("/dev/vdb", S_IFBLK | 0600, 254, 16);
}

static void power_off(void)
{
	sync();
	reboot(RB_POWER_OFF);
	/* reboot() only returns on failure; PID 1 must not exit (panic) */
	for (;;)
		pause();
}

/* CLOCK_MONOTONIC milliseconds: what "blocked for N ms" is measured with. */
static double now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000.0 + ts.tv_nsec / 1e6;
}

/* Value of key=... on the kernel command line (a copy), or NULL. */
static char cmdline[4096];
static const char *param(const char *key)
{
	char val[512];
	size_t klen = strlen(key);
	char *p = cmdline;

	while ((p = strstr(p, key)) != NULL) {
		if ((p == cmdline || p[-1] == ' ') && p[klen] == '=') {
			size_t n = strcspn(p + klen + 1, " \n");

			if (n >= sizeof(val))
				n = sizeof(val) - 1;
			memcpy(val, p + klen + 1, n);
			val[n] = '\0';
			return strdup(val);
		}
		p += klen;
	}
	return NULL;
}

static const char *fsname = "?";
static const char *iface = "generic";

/* One observation. ret/err are the system call's result and errno. */
static void check(const char *scenario, const char *name, int ret, int err, double ms)
{
	emit("{\"event\":\"check\",\"fs\":\"%s\",\"scenario\":\"%s\",\"name\":\"%s\",\"ret\":%d,\"errno\":%d,\"ms\":%.1f}",
	     fsname, scenario, name, ret, err, ms);
}

static int do_freeze(int fd)
{
	int level = 1;	/* xfs_freeze passes a pointer to an int 1 */

	if (strcmp(iface, "xfs-legacy") == 0)
		return ioctl(fd, XFS_IOC_FREEZE, &level);
	if (!have_fifreeze) {
		errno = ENOSYS;	/* the revision's headers have no FIFREEZE */
		return -1;
	}
	return ioctl(fd, nr_fifreeze, 0);
}

static int do_thaw(int fd)
{
	int level = 1;

	if (strcmp(iface, "xfs-legacy") == 0)
		return ioctl(fd, XFS_IOC_THAW, &level);
	if (!have_fifreeze) {
		errno = ENOSYS;
		return -1;
	}
	return ioctl(fd, nr_fithaw, 0);
}

/* Wait up to ms for a byte on fd; 1 if it came. */
static int wait_byte(int fd, int ms)
{
	struct pollfd p = { .fd = fd, .events = POLLIN };
	char c;

	if (poll(&p, 1, ms) == 1 && read(fd, &c, 1) == 1)
		return 1;
	return 0;
}

static void scenario_freeze_thaw(int dfd)
{
	double t = now_ms();
	int r = do_freeze(dfd);
	int e = r < 0 ? errno : 0;

	check("freeze-thaw", "freeze", r, e, now_ms() - t);
	t = now_ms();
	r = do_thaw(dfd);
	check("freeze-thaw", "thaw", r, r < 0 ? errno : 0, now_ms() - t);
}

#define BLOCK_MS 1200	/* "still blocked after at least 1 s frozen" */
#define WAKE_MS 5000

/*
 * A real writer process: write + fsync of a file created before the
 * freeze. While frozen it must not return; after the thaw it must, soon.
 */
static void scenario_writes_block(int dfd)
{
	static const char data[] = "freeze-rig writes-block payload\n";
	int pipefd[2], fd, r, done;
	double t0, t_thaw;
	pid_t pid;
	char back[sizeof(data)];

	fd = open(MNT "/writes-block.dat", O_WRONLY | O_CREAT | O_TRUNC, 0644);
	if (fd < 0 || fsync(fd) < 0) {
		check("writes-block", "setup", -1, errno, 0);
		return;
	}
	close(fd);
	if (pipe(pipefd) < 0)
		return;
	t0 = now_ms();
	r = do_freeze(dfd);
	check("writes-block", "freeze", r, r < 0 ? errno : 0, now_ms() - t0);
	if (r < 0)
		return;
	t0 = now_ms();
	pid = fork();
	if (pid == 0) {
		fd = open(MNT "/writes-block.dat", O_WRONLY);
		if (fd >= 0 && write(fd, data, sizeof(data) - 1) == (ssize_t)(sizeof(data) - 1) && fsync(fd) == 0)
			r = write(pipefd[1], "x", 1);
		_exit(0);
	}
	done = wait_byte(pipefd[0], BLOCK_MS);
	/* ret 1 = the writer was still blocked when we looked */
	check("writes-block", "blocked-while-frozen", !done, 0, now_ms() - t0);
	t_thaw = now_ms();
	r = do_thaw(dfd);
	check("writes-block", "thaw", r, r < 0 ? errno : 0, now_ms() - t_thaw);
	if (!done)
		done = wait_byte(pipefd[0], WAKE_MS);
	check("writes-block", "writer-resumed", done, 0, now_ms() - t_thaw);
	waitpid(pid, NULL, 0);
	fd = open(MNT "/writes-block.dat", O_RDONLY);
	r = fd >= 0 ? (int)read(fd, back, sizeof(back)) : -1;
	check("writes-block", "data-reads-back",
	      r == (int)(sizeof(data) - 1) && memcmp(back, data, r) == 0, 0, 0);
	if (fd >= 0)
		close(fd);
	close(pipefd[0]);
	close(pipefd[1]);
}

static void run_scenarios(void)
{
	const char *list = param("freeze_rig.scenarios");
	const char *fstype = param("freeze_rig.fstype");
	char buf[512], *tok, *save;
	int dfd;

	fsname = param("freeze_rig.fs") ? param("freeze_rig.fs") : "?";
	iface = param("freeze_rig.iface") ? param("freeze_rig.iface") : "generic";
	if (!list || !fstype)
		return;
	if (mount("/dev/vda", MNT, fstype, MS_NOATIME, NULL) < 0) {
		emit("{\"event\":\"error\",\"what\":\"mount /dev/vda as %s\",\"errno\":%d}", fstype, errno);
		return;
	}
	dfd = open(MNT, O_RDONLY | O_DIRECTORY);
	snprintf(buf, sizeof(buf), "%s", list);
	for (tok = strtok_r(buf, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
		emit("{\"event\":\"scenario\",\"fs\":\"%s\",\"scenario\":\"%s\"}", fsname, tok);
		if (strcmp(tok, "freeze-thaw") == 0)
			scenario_freeze_thaw(dfd);
		else if (strcmp(tok, "writes-block") == 0)
			scenario_writes_block(dfd);
		else
			emit("{\"event\":\"error\",\"what\":\"unknown scenario %s\"}", tok);
	}
	close(dfd);
	if (umount(MNT) < 0)
		emit("{\"event\":\"error\",\"what\":\"umount\",\"errno\":%d}", errno);
}

int main(void)
{
	struct utsname u;
	int fd;

	setup();
	fd = open("/proc/cmdline", O_RDONLY);
	if (fd >= 0) {
		ssize_t n = read(fd, cmdline, sizeof(cmdline) - 1);

		cmdline[n > 0 ? n : 0] = '\0';
		close(fd);
	}
	if (uname(&u) < 0) {
		emit("{\"event\":\"error\",\"what\":\"uname\",\"errno\":%d}", errno);
		power_off();
	}
	emit("{\"event\":\"hello\",\"release\":\"%s\",\"version\":\"%s\",\"machine\":\"%s\",\"pid\":%d}",
	     u.release, u.version, u.machine, (int)getpid());
	run_scenarios();
	emit("{\"event\":\"done\"}");
	power_off();
	return 0;
}
