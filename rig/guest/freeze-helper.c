/*
 * freeze-helper: PID 1 of the freeze-rig guest.
 *
 * Runs inside a Linux 2.6.27 guest under QEMU. It sets up the little it
 * needs (2.6.27 has no devtmpfs), mounts the disk under test, runs the
 * scenarios the kernel command line names, and powers the machine off.
 * Each scenario runs in its own process under a watchdog: a scenario that
 * hangs in the kernel is reported as a hang, with the kernel's list of
 * blocked tasks (sysrq w) and held locks (sysrq d) on the console.
 *
 * Parameters (kernel command line):
 *   freeze_rig.fs=NAME          the name results carry (ext3, xfs)
 *   freeze_rig.fstype=TYPE      what to mount /dev/vda as
 *   freeze_rig.iface=IFACE      generic | xfs-legacy | ext3 | none
 *   freeze_rig.timeout=0|1      whether the interface takes a timeout
 *   freeze_rig.scenarios=A,B    scenario ids, in order
 *   freeze_rig.ask_timeout_ms=N how long to wait for the host's answer
 *   freeze_rig.disks=ID:N,...   where scenario ID's own disks start (vda = 0)
 *   freeze_rig.spin=MS          virtual time: keep the vCPU busy during disk
 *                               I/O, look every MS ms otherwise
 *
 * Built with musl-gcc -static: glibc static binaries refuse to start on a
 * kernel this old ("FATAL: kernel too old").
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/reboot.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>
#include "helper.h"

static void mknod_if_missing(const char *path, mode_t mode, int major, int minor)
{
	if (mknod(path, mode, makedev(major, minor)) < 0 && errno != EEXIST)
		emit("{\"event\":\"warn\",\"what\":\"mknod %s\",\"errno\":%d}", path, errno);
}

static void setup(void)
{
	char thresh[16];

	mkdir("/proc", 0755);
	mkdir("/sys", 0755);
	mkdir("/dev", 0755);
	mkdir(MNT, 0755);
	if (mount("proc", "/proc", "proc", 0, NULL) < 0)
		emit("{\"event\":\"warn\",\"what\":\"mount /proc\",\"errno\":%d}", errno);
	if (mount("sysfs", "/sys", "sysfs", 0, NULL) < 0)
		emit("{\"event\":\"warn\",\"what\":\"mount /sys\",\"errno\":%d}", errno);
	mknod_if_missing("/dev/null", S_IFCHR | 0666, 1, 3);
	/* virtio block devices: major 254, 16 minors each */
	mknod_if_missing(DEV, S_IFBLK | 0600, 254, 0);
	mknod_if_missing("/dev/vdb", S_IFBLK | 0600, 254, 16);
	/* the second 8250 port: the host's answers (host.c) */
	mknod_if_missing(HOST_TTY, S_IFCHR | 0600, 4, 65);
	/*
	 * A CPU stuck in the kernel starves this helper's watchdog too; the
	 * kernel's own report of it must come within a scenario's budget.
	 */
	snprintf(thresh, sizeof(thresh), "%d\n", SOFTLOCKUP_S);
	write_proc("/proc/sys/kernel/softlockup_thresh", thresh);
}

/* sync first unless a frozen fs would make sync hang. */
static void power_off(int do_sync)
{
	if (do_sync)
		sync();
	/*
	 * Our last lines may still sit in the tty buffer; the kernel's poweroff
	 * messages go to the UART directly and would land inside them.
	 */
	drain_console();
	reboot(RB_POWER_OFF);
	/* reboot() only returns on failure; PID 1 must not exit (panic) */
	for (;;)
		pause();
}

static void sysrq(char c)
{
	char key[2] = { c, 0 };

	write_proc("/proc/sysrq-trigger", key);
}

/*
 * 1 while lockdep still watches, 0 once a report switched it off (it stops
 * after its first report), -1 where the kernel has no lockdep: the host
 * says after which scenario the oracle went blind.
 */
static int lockdep_on(void)
{
	char buf[4096], *p;
	int fd = open("/proc/lockdep_stats", O_RDONLY);
	ssize_t n;

	if (fd < 0)
		return -1;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return -1;
	buf[n] = 0;
	p = strstr(buf, "debug_locks:");
	return p ? atoi(p + strlen("debug_locks:")) : -1;
}

/* Value of key=... on the kernel command line (a copy), or NULL. */
static char cmdline[4096];
static const char *param(const char *key)
{
	size_t klen = strlen(key);
	char *p = cmdline;

	while ((p = strstr(p, key)) != NULL) {
		if ((p == cmdline || p[-1] == ' ') && p[klen] == '=')
			return strndup(p + klen + 1, strcspn(p + klen + 1, " \n"));
		p += klen;
	}
	return NULL;
}

static enum iface parse_iface(const char *s)
{
	if (!s)
		return IFACE_NONE;
	if (strcmp(s, "generic") == 0)
		return IFACE_GENERIC;
	if (strcmp(s, "xfs-legacy") == 0)
		return IFACE_XFS_LEGACY;
	if (strcmp(s, "ext3") == 0)
		return IFACE_EXT3;
	return IFACE_NONE;
}

/*
 * A scenario that failed half-way may leave the fs frozen; the next one must
 * not inherit that. XFS's legacy thaw returns 0 either way, so only the
 * other interfaces can tell that there was something to thaw.
 */
static void thaw_leftover(const struct scenario *s)
{
	int fd = fs_open();

	if (fd >= 0 && thaw_fd(fd) == 0 && iface != IFACE_XFS_LEGACY)
		emit("{\"event\":\"warn\",\"what\":\"%s left the fs frozen; thawed\"}", s->id);
	if (fd >= 0)
		close(fd);
}

/*
 * Runs one scenario in a child under the watchdog. Returns 0, -1 when it
 * hung, -2 when the kernel killed it (a BUG or oops in its system call,
 * which may have died holding the fs's locks): either way the filesystem
 * cannot be trusted for anything else, not even a thaw or a umount.
 */
static int run_one(const struct scenario *s)
{
	double t0 = now_ms();
	int status;
	pid_t pid;

	emit("{\"event\":\"scenario\",\"fs\":\"%s\",\"scenario\":\"%s\"}", fsname, s->id);
	pid = fork();
	if (pid == 0) {
		current_scenario = s->id;
		scenario_t0 = t0;
		s->run();
		_exit(0);
	}
	while (now_ms() - t0 < s->budget_s * 1000.0) {
		pid_t r = waitpid(pid, &status, WNOHANG);

		if (r == pid) {
			double ms = now_ms() - t0;

			/* lockdep's state after the cleanup, which is the scenario's too */
			if (!WIFSIGNALED(status))
				thaw_leftover(s);
			emit("{\"event\":\"scenario-done\",\"fs\":\"%s\",\"scenario\":\"%s\",\"ms\":%.1f,\"status\":%d,\"lockdep\":%d}",
			     fsname, s->id, ms, status, lockdep_on());
			if (WIFSIGNALED(status))
				return -2;
			/* reap the scenario's leftover processes that did finish */
			while (waitpid(-1, NULL, WNOHANG) > 0)
				;
			return 0;
		}
		sleep_ms(20);
	}
	emit("{\"event\":\"hang\",\"fs\":\"%s\",\"scenario\":\"%s\",\"after_s\":%d}", fsname, s->id, s->budget_s);
	/* what the kernel knows: every task's stack, then held locks (lockdep) */
	sysrq('t');
	sysrq('d');
	return -1;
}

/* 1 if the link at path points into dir (a cwd, an open file). */
static int link_under(const char *path, const char *dir)
{
	char target[256];
	ssize_t n = readlink(path, target, sizeof(target) - 1);
	size_t len = strlen(dir);

	if (n <= 0)
		return 0;
	target[n] = '\0';
	return strncmp(target, dir, len) == 0 && (target[len] == '/' || target[len] == '\0');
}

/*
 * umount said EBUSY: which processes still hold the fs (their cwd or an
 * open file under it), one "busy" event each, so that the host can name
 * them. Read from /proc, as fuser would.
 */
static void report_busy(const char *dir)
{
	DIR *procs = opendir("/proc");
	struct dirent *p;

	while (procs && (p = readdir(procs))) {
		char path[288];
		struct proc_stat ps;
		int pid = atoi(p->d_name), holds;
		DIR *fds;
		struct dirent *f;

		if (pid <= 1)
			continue;
		snprintf(path, sizeof(path), "/proc/%d/cwd", pid);
		holds = link_under(path, dir);
		snprintf(path, sizeof(path), "/proc/%d/fd", pid);
		fds = opendir(path);
		while (!holds && fds && (f = readdir(fds))) {
			snprintf(path, sizeof(path), "/proc/%d/fd/%s", pid, f->d_name);
			holds = link_under(path, dir);
		}
		if (fds)
			closedir(fds);
		if (!holds)
			continue;
		if (proc_stat(p->d_name, &ps) < 0)
			ps.comm[0] = '\0';
		emit("{\"event\":\"busy\",\"pid\":%d,\"comm\":\"%s\"}", pid, ps.comm);
	}
	if (procs)
		closedir(procs);
}

/*
 * Runs the scenarios on /dev/vda; returns 0, -1 if one hung, -2 if the fs
 * could not be unmounted after them (a scenario left a lock behind, e.g. a
 * freeze of a read-only fs that nothing can thaw): sync would block too.
 */
static int run_scenarios(void)
{
	const char *list = param("freeze_rig.scenarios");
	const char *fstype = param("freeze_rig.fstype");
	char *buf, *tok, *save;
	int r;

	fsname = param("freeze_rig.fs") ? param("freeze_rig.fs") : "?";
	iface = parse_iface(param("freeze_rig.iface"));
	have_timeout = param("freeze_rig.timeout") && strcmp(param("freeze_rig.timeout"), "1") == 0;
	if (param("freeze_rig.ask_timeout_ms"))
		ask_timeout_ms = atoi(param("freeze_rig.ask_timeout_ms"));
	if (!list || !fstype)
		return 0;
	setenv("FSTYPE", fstype, 1);
	if (param("freeze_rig.disks"))	/* a scenario's own disks (disks.c) */
		setenv("DISKS", param("freeze_rig.disks"), 1);
	if (mount(DEV, MNT, fstype, MS_NOATIME, NULL) < 0) {
		emit("{\"event\":\"error\",\"what\":\"mount %s as %s\",\"errno\":%d}", DEV, fstype, errno);
		return 0;
	}
	buf = strdup(list);
	for (tok = strtok_r(buf, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
		const struct scenario *s = find_scenario(tok);

		if (!s)
			emit("{\"event\":\"error\",\"what\":\"unknown scenario %s\"}", tok);
		else if ((r = run_one(s)) < 0)
			return r;
	}
	if (umount(MNT) < 0) {
		int err = errno;

		if (err == EBUSY)
			report_busy(MNT);
		emit("{\"event\":\"error\",\"what\":\"umount\",\"errno\":%d}", err);
		return -2;
	}
	return 0;
}

/*
 * Virtual time (freeze_rig.spin=MS): under -icount sleep=off an idle vCPU
 * jumps straight to its next timer. That is the point (a 2 s timeout costs
 * the work around it, not 2 s), except while a disk request is in flight:
 * the host completes it in real time, and a jump past it made I/O look
 * seconds long (a tickless guest jumped to the helper's own 5 s bound on a
 * dm call). So a SCHED_IDLE keeper watches the in-flight count of every
 * virtio disk and keeps the vCPU busy while it is not zero or the host is
 * being asked something (host.c), and otherwise sleeps MS ms: a request
 * started while it sleeps looks at most MS longer.
 * Everything else that waits (timeouts, heartbeats, sleeps) is skipped.
 * (musl stubs sched_setscheduler: the system call itself.)
 */
#define MAX_WATCHED 16

/* The sum of the watched disks' in-flight requests (field 9 of their stat). */
static long in_flight(const int *fds, int n)
{
	long sum = 0;
	int i;

	for (i = 0; i < n; i++) {
		char buf[256];
		ssize_t got = pread(fds[i], buf, sizeof(buf) - 1, 0);
		unsigned long f[9];

		if (got <= 0)
			continue;
		buf[got] = '\0';
		if (sscanf(buf, "%lu %lu %lu %lu %lu %lu %lu %lu %lu", &f[0], &f[1], &f[2], &f[3],
			   &f[4], &f[5], &f[6], &f[7], &f[8]) == 9)
			sum += (long)f[8];
	}
	return sum;
}

static void start_io_keeper(long period_ms)
{
	struct { int prio; } sp = { 0 };
	struct timespec nap = { period_ms / 1000, (period_ms % 1000) * 1000000L };
	int fds[MAX_WATCHED], n = 0;
	DIR *d;
	struct dirent *e;

	if (fork() != 0)
		return;
	if (syscall(SYS_sched_setscheduler, 0, 5 /* SCHED_IDLE */, &sp) < 0)
		_exit(1);
	/* the virtio disks carry every request, dm's and loop's too */
	d = opendir("/sys/block");
	while (d && (e = readdir(d)) && n < MAX_WATCHED) {
		char path[300];

		if (strncmp(e->d_name, "vd", 2) != 0)
			continue;
		snprintf(path, sizeof(path), "/sys/block/%s/stat", e->d_name);
		if ((fds[n] = open(path, O_RDONLY)) >= 0)
			n++;
	}
	if (d)
		closedir(d);
	emit("{\"event\":\"io-keeper\",\"disks\":%d,\"period_ms\":%ld}", n, period_ms);
	for (;;) {
		while (in_flight(fds, n) > 0 || host_asking() > 0) {
			int i;

			/*
			 * PAUSE ends QEMU's translated block, so its main loop
			 * can take the big lock and complete the request; the
			 * wait costs the guest's clock one instruction per
			 * exit, not a busy loop's stream of them (which still
			 * gave generic-v2 three false failures).
			 */
			for (i = 0; i < 1000; i++)
				__asm__ volatile("pause" ::: "memory");
		}
		nanosleep(&nap, NULL);
	}
}

int main(void)
{
	struct utsname u;
	long spin_ms;
	int fd, hung, r;

	setup();
	fd = open("/proc/cmdline", O_RDONLY);
	if (fd >= 0) {
		ssize_t n = read(fd, cmdline, sizeof(cmdline) - 1);

		cmdline[n > 0 ? n : 0] = '\0';
		close(fd);
	}
	if (uname(&u) < 0) {
		emit("{\"event\":\"error\",\"what\":\"uname\",\"errno\":%d}", errno);
		power_off(1);
	}
	emit("{\"event\":\"hello\",\"release\":\"%s\",\"version\":\"%s\",\"machine\":\"%s\",\"pid\":%d}",
	     u.release, u.version, u.machine, (int)getpid());
	host_open();
	spin_ms = param("freeze_rig.spin") ? atol(param("freeze_rig.spin")) : 0;
	if (spin_ms > 0)
		start_io_keeper(spin_ms);
	r = run_scenarios();
	hung = r == -1;
	emit("{\"event\":\"done\",\"hung\":%s}", hung ? "true" : "false");
	power_off(r == 0);
	return 0;
}
