/*
 * The scenario catalogue. Each scenario runs in its own process on the
 * mounted filesystem and reports facts with check(): what a system call
 * returned and how long it took. It decides nothing: the host judges the
 * facts against the revision's manifest, so one guest binary serves every
 * revision, good or known-bad.
 *
 * Waits are the ones the catalogue states (1 s blocked, 2 s
 * timeouts, a 1 s heartbeat); nothing sleeps longer than a check needs.
 * The timeout scenarios are in timeouts.c, the backup ones in backup.c,
 * umount and remount of a frozen fs in mounts.c.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
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

#define NOBODY		65534

/* Creates path (empty, fsync'ed) before a freeze; reports a failure. */
int prepare(const char *path, const char *data)
{
	if (write_file(path, data) == 0)
		return 0;
	check("setup", -1, errno, 0);
	return -1;
}

/* Freezes fd, reporting it as `name`; returns the result, errno kept. */
int freeze_checked(const char *name, int fd, int seconds)
{
	double ms;
	int r = TIMED(&ms, freeze_fd(fd, seconds));

	checkv(name, r, errno, ms, seconds * 1000.0);
	return r;
}

int thaw_checked(const char *name, int fd)
{
	double ms;
	int r = TIMED(&ms, thaw_fd(fd));

	check(name, r, errno, ms);
	return r;
}

/*
 * The start of most scenarios: path created and fsync'ed, then the fs
 * frozen (reported as "freeze"). Returns the fd the fs was frozen through,
 * or -1 when set-up or the freeze failed.
 */
int freeze_after_prepare(const char *path, const char *data, int seconds)
{
	int fd;

	if (prepare(path, data) < 0)
		return -1;
	fd = fs_open();
	if (freeze_checked("freeze", fd, seconds) < 0) {
		close(fd);
		return -1;
	}
	return fd;
}

/*
 * A real writer's write+fsync of path on the fs frozen through fd: it must
 * still be blocked after BLOCK_MS, then `thaw` runs (reported as "thaw")
 * and the writer must return soon after.
 */
void writer_blocks_until_thaw(int fd, const char *path, int (*thaw)(int))
{
	struct probe p;
	double ms, t_thaw;
	int r, done;

	probe_start(&p, OP_WRITE_FSYNC, path, NULL);
	done = probe_wait(&p, BLOCK_MS);
	/* ret 1: the writer was still blocked when we looked */
	check("blocked-while-frozen", !done, 0, now_ms() - p.started);
	t_thaw = now_ms();
	r = TIMED(&ms, thaw(fd));
	check("thaw", r, errno, ms);
	done = probe_wait(&p, WAKE_MS);
	check("writer-resumed", done && p.ok, 0, (done ? p.finished : now_ms()) - t_thaw);
	probe_reap(&p);
}

/* 1 if a write+fsync to path completes within ms (the fs is not frozen). */
int writable_within(const char *path, int ms)
{
	struct probe p;
	int done;

	probe_start(&p, OP_WRITE_FSYNC, path, NULL);
	done = probe_wait(&p, ms);
	if (!done) {
		/* still frozen: thaw it so that later scenarios can run */
		int fd = fs_open();

		thaw_fd(fd);
		close(fd);
		probe_wait(&p, WAKE_MS);
	}
	probe_reap(&p);
	return done;
}

/* freeze-thaw: freeze and thaw succeed. */
static void freeze_thaw(void)
{
	int fd = fs_open();

	freeze_checked("freeze", fd, 0);
	thaw_checked("thaw", fd);
	close(fd);
}

/*
 * writes-block: a real writer's write+fsync is still blocked after 1.2 s
 * frozen, returns soon after the thaw, and its data reads back.
 */
static void writes_block(void)
{
	const char *path = MNT "/writes-block.dat";
	int fd = freeze_after_prepare(path, "", 0);

	if (fd < 0)
		return;
	writer_blocks_until_thaw(fd, path, thaw_fd);
	check("data-reads-back", file_equals(path, probe_payload), 0, 0);
	close(fd);
}

/* metadata-blocks: create, mkdir, rename and unlink block like writes. */
static void metadata_blocks(void)
{
	static const struct { const char *name; enum op op; const char *path, *path2; } ops[] = {
		{ "create", OP_CREATE, MNT "/md/new", NULL },
		{ "mkdir", OP_MKDIR, MNT "/md/dir", NULL },
		{ "rename", OP_RENAME, MNT "/md/a", MNT "/md/a2" },
		{ "unlink", OP_UNLINK, MNT "/md/b", NULL },
	};
	struct probe p[4];
	char name[64];
	struct stat st;
	double t_thaw;
	int fd, i, effects;

	mkdir(MNT "/md", 0755);
	if (prepare(MNT "/md/a", "a") < 0 || prepare(MNT "/md/b", "b") < 0)
		return;
	sync();
	fd = fs_open();
	if (freeze_checked("freeze", fd, 0) < 0)
		return;
	for (i = 0; i < 4; i++)
		probe_start(&p[i], ops[i].op, ops[i].path, ops[i].path2);
	sleep_ms(BLOCK_MS);
	for (i = 0; i < 4; i++) {
		snprintf(name, sizeof(name), "%s-blocked", ops[i].name);
		check(name, !probe_wait(&p[i], 0), 0, now_ms() - p[i].started);
	}
	t_thaw = now_ms();
	thaw_checked("thaw", fd);
	for (i = 0; i < 4; i++) {
		int done = probe_wait(&p[i], WAKE_MS);

		snprintf(name, sizeof(name), "%s-resumed", ops[i].name);
		check(name, done && p[i].ok, 0, (done ? p[i].finished : now_ms()) - t_thaw);
		probe_reap(&p[i]);
	}
	effects = stat(MNT "/md/new", &st) == 0 && stat(MNT "/md/dir", &st) == 0 && S_ISDIR(st.st_mode) &&
		  stat(MNT "/md/a2", &st) == 0 && stat(MNT "/md/a", &st) < 0 && stat(MNT "/md/b", &st) < 0;
	check("effects-visible", effects, 0, 0);
	close(fd);
}

/* reads-proceed: stat and read of existing data do not block (noatime). */
static void reads_proceed(void)
{
	const char *path = MNT "/reads.dat";
	struct probe st, rd;
	int fd = freeze_after_prepare(path, "freeze-rig data to read while frozen\n", 0), d1, d2;

	if (fd < 0)
		return;
	probe_start(&st, OP_STAT, path, NULL);
	probe_start(&rd, OP_READ, path, NULL);
	d1 = probe_wait(&st, 1000);
	d2 = probe_wait(&rd, 1000);
	check("stat-proceeds", d1 && st.ok, 0, (d1 ? st.finished : now_ms()) - st.started);
	check("read-proceeds", d2 && rd.ok, 0, (d2 ? rd.finished : now_ms()) - rd.started);
	thaw_checked("thaw", fd);
	probe_wait(&st, WAKE_MS);
	probe_wait(&rd, WAKE_MS);
	probe_reap(&st);
	probe_reap(&rd);
	close(fd);
}

/* Runs freeze (what = 'f') or thaw ('t') on fd as user nobody; returns ret, errno set. */
static int as_nobody(int fd, char what)
{
	int status;
	pid_t pid = fork();

	if (pid == 0) {
		int r;

		if (setgid(NOBODY) < 0 || setuid(NOBODY) < 0)
			_exit(255);
		r = what == 'f' ? freeze_fd(fd, 0) : thaw_fd(fd);
		_exit(r == 0 ? 0 : (errno & 0x7f));
	}
	if (pid < 0 || waitpid(pid, &status, 0) < 0 || !WIFEXITED(status))
		return errno = EIO, -1;
	if (WEXITSTATUS(status) == 0)
		return 0;
	errno = WEXITSTATUS(status) == 255 ? EIO : WEXITSTATUS(status);
	return -1;
}

/*
 * errors: thaw of a thawed fs, a second freeze, freeze and thaw by a
 * non-root process, and a filesystem that cannot freeze (tmpfs).
 */
static void errors(void)
{
	int fd = fs_open(), tfd, r;
	double ms;

	r = TIMED(&ms, thaw_fd(fd));
	check("thaw-thawed", r, errno, ms);

	/* a freeze "took" when it did not fail: a kernel may return 1 */
	if (freeze_checked("first-freeze", fd, 0) >= 0) {
		r = TIMED(&ms, freeze_fd(fd, 0));
		check("second-freeze", r, errno, ms);
		thaw_checked("thaw-after-second", fd);
		check("thawed-after-one-thaw", writable_within(MNT "/errors.dat", 1000), 0, 0);
	}

	r = as_nobody(fd, 'f');
	check("nonroot-freeze", r, errno, 0);
	if (r >= 0)
		thaw_fd(fd);

	if (freeze_checked("root-freeze", fd, 0) >= 0) {
		r = as_nobody(fd, 't');
		check("nonroot-thaw", r, errno, 0);
		thaw_checked("root-thaw", fd);
	}
	close(fd);

	/* tmpfs has no ->write_super_lockfs and no block device */
	mkdir("/tmpfs", 0755);
	if (mount("tmpfs", "/tmpfs", "tmpfs", 0, NULL) < 0) {
		check("cannot-freeze", -1, EIO, 0);
		return;
	}
	tfd = open("/tmpfs", O_RDONLY | O_DIRECTORY);
	r = TIMED(&ms, freeze_fd(tfd, 0));
	check("cannot-freeze", r, errno, ms);
	if (r >= 0)
		thaw_fd(tfd);
	close(tfd);
	umount("/tmpfs");
}

/* legacy-xfs-ioctl: 'X' 119/120 with a pointer to an int 1, as xfs_freeze. */
static void legacy_xfs_ioctl(void)
{
	const char *path = MNT "/legacy.dat";
	double ms;
	int fd, r;

	if (prepare(path, "") < 0)
		return;
	fd = fs_open();
	r = TIMED(&ms, legacy_freeze(fd));
	check("freeze", r, errno, ms);
	if (r >= 0)
		writer_blocks_until_thaw(fd, path, legacy_thaw);
	close(fd);
}

/* Processes that keep the fs busy; they count what they complete. */
struct load { volatile int stop; volatile long ops[4]; };

static void load_writer(struct load *l, int i)
{
	static char buf[64 * 1024];
	char path[64];
	long n;

	memset(buf, 'a' + i, sizeof(buf));
	for (n = 0; !l->stop; n++) {
		int fd;

		snprintf(path, sizeof(path), MNT "/load/w%d-%ld", i, n % 4);
		fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
		if (fd >= 0 && write(fd, buf, sizeof(buf)) == (ssize_t)sizeof(buf) && fsync(fd) == 0)
			l->ops[i]++;
		if (fd >= 0)
			close(fd);
	}
}

static void load_metadata(struct load *l, int i)
{
	char a[64], b[64], d[64];
	long n;

	for (n = 0; !l->stop; n++) {
		snprintf(a, sizeof(a), MNT "/load/m%ld", n);
		snprintf(b, sizeof(b), MNT "/load/m%ld.renamed", n);
		snprintf(d, sizeof(d), MNT "/load/d%ld", n);
		if (write_file(a, "m") == 0 && rename(a, b) == 0 && mkdir(d, 0755) == 0 &&
		    rmdir(d) == 0 && unlink(b) == 0)
			l->ops[i]++;
	}
}

/*
 * The user's own static workloads: /workload-N in the initramfs, arguments
 * one per line in /workload-N.args, "{dir}" replaced by its directory
 * MNT/workload-N. Each runs in a process group of its own, so that it and
 * every child it forks can be stopped at its bound. Its stdout and stderr
 * go through a pipe to a collector that counts them and keeps the last
 * OUT_TAIL bytes: a file size limit would also cap the files the workload
 * writes on the fs under test, and a full pipe would stall it.
 */
#define OUT_TAIL	16384

struct output {
	long bytes;		/* all it wrote */
	char tail[OUT_TAIL];	/* a ring: byte k at tail[k % OUT_TAIL] */
};

struct workload {
	pid_t pid;		/* 0: none */
	int status;
	int done;		/* reaped, status set */
	pid_t collector;
	int collected;		/* collector reaped */
	struct output *out;	/* shared with the collector */
};

static void workload_path(char *buf, size_t n, const char *prefix, int i, const char *suffix)
{
	snprintf(buf, n, "%s/workload-%d%s", prefix, i, suffix);
}

/* The collector: reads until every writer has closed the pipe (or it is killed). */
static void collect_output(int fd, struct output *o)
{
	char buf[4096];
	ssize_t n, i;

	if (chdir("/") < 0)
		_exit(1);
	while ((n = read(fd, buf, sizeof(buf))) > 0 || (n < 0 && errno == EINTR))
		for (i = 0; i < n; i++)
			o->tail[o->bytes++ % OUT_TAIL] = buf[i];
	_exit(0);
}

/* Starts workload n, if the host sent one; 1 if it did. */
static int start_user_workload(int n, struct workload *w)
{
	char *argv[32], line[256], *args[32], bin[64], argf[64], dir[64];
	int argc = 0, i, out[2];
	FILE *f;

	workload_path(bin, sizeof(bin), "", n, "");
	workload_path(argf, sizeof(argf), "", n, ".args");
	workload_path(dir, sizeof(dir), MNT, n, "");
	if (access(bin, X_OK) < 0)
		return 0;
	w->out = mmap(NULL, sizeof(*w->out), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (w->out == MAP_FAILED || pipe(out) < 0) {
		emit("{\"event\":\"error\",\"what\":\"workload-%d output\",\"errno\":%d}", n, errno);
		w->out = NULL;
		return 0;
	}
	w->out->bytes = 0;
	mkdir(dir, 0755);
	argv[argc++] = bin;
	f = fopen(argf, "r");
	while (f && argc < 31 && fgets(line, sizeof(line), f)) {
		line[strcspn(line, "\n")] = '\0';
		args[argc] = strcmp(line, "{dir}") == 0 ? strdup(dir) : strdup(line);
		argv[argc] = args[argc];
		argc++;
	}
	if (f)
		fclose(f);
	argv[argc] = NULL;
	w->collector = fork();
	if (w->collector == 0) {
		close(out[1]);
		collect_output(out[0], w->out);
	}
	if (w->collector < 0) {
		emit("{\"event\":\"error\",\"what\":\"workload-%d output\",\"errno\":%d}", n, errno);
		close(out[0]);
		close(out[1]);
		return 0;
	}
	w->pid = fork();
	if (w->pid < 0) {
		emit("{\"event\":\"error\",\"what\":\"workload-%d fork\",\"errno\":%d}", n, errno);
		kill(w->collector, SIGKILL);
		waitpid(w->collector, NULL, 0);
		close(out[0]);
		close(out[1]);
		w->pid = 0;
		return 0;
	}
	if (w->pid == 0) {
		setpgid(0, 0);
		/* its output is not ours: keep the console for result lines */
		dup2(out[1], 1);
		dup2(out[1], 2);
		close(out[0]);
		close(out[1]);
		if (chdir(dir) == 0)
			execv(argv[0], argv);
		fprintf(stderr, "freeze-rig: cannot run the workload: %s\n", strerror(errno));
		_exit(127);
	}
	setpgid(w->pid, w->pid);	/* as the child does: whichever runs first */
	close(out[0]);
	close(out[1]);
	for (i = 1; i < argc; i++)
		free(args[i]);
	emit("{\"event\":\"workload\",\"fs\":\"%s\",\"n\":%d,\"pid\":%d}", fsname, n, (int)w->pid);
	return 1;
}

/*
 * Emits the last WORKLOAD_OUTPUT_LINES lines of workload n's output (its
 * collector reaped) for the host to keep and quote.
 */
static void emit_workload_output(int n, struct workload *w)
{
	static char buf[OUT_TAIL + 1];
	struct output *o = w->out;
	long len, k;
	int lines = 0;
	char *p, *line;

	len = o->bytes < OUT_TAIL ? o->bytes : OUT_TAIL;
	for (k = 0; k < len; k++)
		buf[k] = o->tail[(o->bytes - len + k) % OUT_TAIL];
	buf[len] = '\0';
	if (len == 0)
		return;
	/* from the start of the last WORKLOAD_OUTPUT_LINES lines */
	for (p = buf + len - 1; p > buf; p--)
		if (*p == '\n' && p[1] && ++lines > WORKLOAD_OUTPUT_LINES)
			break;
	p = p > buf || *p == '\n' ? p + 1 : p;
	emit("{\"event\":\"workload-output\",\"fs\":\"%s\",\"n\":%d,\"bytes\":%ld}", fsname, n, o->bytes);
	for (line = strtok(p, "\n"); line; line = strtok(NULL, "\n")) {
		line[strcspn(line, "\r")] = '\0';
		if (strlen(line) > 300)
			line[300] = '\0';
		emit("{\"event\":\"workload-line\",\"fs\":\"%s\",\"n\":%d,\"text\":\"%s\"}", fsname, n, line);
	}
}

/* 1 while child pid (0: none) has not been reaped yet; reaps it once it ended. */
static int unreaped(pid_t pid, int *reaped, int *status)
{
	if (pid > 0 && !*reaped)
		*reaped = waitpid(pid, status, WNOHANG) == pid;
	return pid > 0 && !*reaped;
}

/* 1 while any workload runs (reaping those that ended). */
static int workloads_running(struct workload *w)
{
	int i, running = 0;

	for (i = 0; i < MAX_WORKLOADS; i++)
		running |= unreaped(w[i].pid, &w[i].done, &w[i].status);
	return running;
}

/* 1 if pgrp is the process group of one of the workloads. */
static int workload_group(const struct workload *w, int pgrp)
{
	int i;

	for (i = 0; i < MAX_WORKLOADS; i++)
		if (w[i].pid > 0 && w[i].pid == pgrp)
			return 1;
	return 0;
}

/*
 * How many processes of the workloads' process groups are still alive.
 * A killed workload's children are reparented to PID 1, not to this
 * scenario's process, so waitpid() here cannot see them die; /proc can.
 * A zombie is gone, unless other threads of it still run (a leader that
 * called pthread_exit shows Z): they share its files and cwd. A process
 * closes its files and drops its cwd before it becomes a zombie, so once
 * none is alive none holds the fs.
 */
static int groups_alive(const struct workload *w)
{
	DIR *procs = opendir("/proc");
	struct dirent *p;
	int alive = 0;

	while (procs && (p = readdir(procs))) {
		struct proc_stat ps;

		if (atoi(p->d_name) > 0 && proc_stat(p->d_name, &ps) == 0 && workload_group(w, ps.pgrp) &&
		    ((ps.state != 'Z' && ps.state != 'X') || ps.threads > 1))
			alive++;
	}
	if (procs)
		closedir(procs);
	return alive;
}

/* 1 while any workload's output collector still reads (reaping those that ended). */
static int collectors_running(struct workload *w)
{
	int i, running = 0, status;

	for (i = 0; i < MAX_WORKLOADS; i++)
		running |= unreaped(w[i].pid > 0 ? w[i].collector : 0, &w[i].collected, &status);
	return running;
}

/*
 * The user's workloads at the end of the cycles: each reaped if it ended by
 * itself, else killed with its whole process group, as fstests' freeze
 * tests stop fsstress. Whatever of a group outlived its leader goes too, so
 * that the fs can be unmounted.
 *   workload-exited  one per workload, in order; ret: its exit status, or
 *                    minus the signal that ended it; v 1: killed at its
 *                    bound; ms: from the start
 */
static void stop_user_workloads(struct workload *w, double started)
{
	double t;
	int i, killed[MAX_WORKLOADS] = { 0 };

	workloads_running(w);
	for (i = 0; i < MAX_WORKLOADS; i++)
		if (w[i].pid > 0 && !w[i].done) {
			killed[i] = 1;
			kill(-w[i].pid, SIGTERM);
		}
	for (t = now_ms(); workloads_running(w) && now_ms() - t < 1000; sleep_ms(20))
		;
	/*
	 * Every group at once, then one deadline for all: leaders reaped, the
	 * rest dead. SIGKILL again each round, for a child forked after the
	 * first.
	 */
	for (t = now_ms(); now_ms() - t < 5000; sleep_ms(20)) {
		for (i = 0; i < MAX_WORKLOADS; i++)
			if (w[i].pid > 0)
				kill(-w[i].pid, SIGKILL);
		if (!workloads_running(w) && !groups_alive(w))
			break;
	}
	/* the output: a collector ends when the last writer closes its pipe; one that escaped the group may never */
	for (t = now_ms(); collectors_running(w) && now_ms() - t < 1000; sleep_ms(20))
		;
	for (i = 0; i < MAX_WORKLOADS; i++) {
		if (w[i].pid <= 0)
			continue;
		if (!w[i].collected) {
			kill(w[i].collector, SIGKILL);
			waitpid(w[i].collector, NULL, 0);
		}
		/* a leader still not reaped is stuck dying from the SIGKILL it was sent */
		checkv("workload-exited", !w[i].done ? -SIGKILL : WIFEXITED(w[i].status) ? WEXITSTATUS(w[i].status) : -WTERMSIG(w[i].status),
		       0, now_ms() - started, killed[i]);
		emit_workload_output(i, &w[i]);
	}
}

/*
 * freeze-under-load: two writers, one metadata process and the user's
 * workload, ten freeze/thaw cycles, more while the workload runs (up to
 * WORKLOAD_BOUND_MS from its start). Nothing may hang; the host checks the
 * image (e2fsck -fn, xfs_repair -n) after shutdown.
 */
static void freeze_under_load(void)
{
	struct load *l = mmap(NULL, sizeof(*l), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	struct workload user[MAX_WORKLOADS];
	pid_t pids[3];
	int fd, c, i, finished = 0, users = 0;
	double t0, t_user;

	if (l == MAP_FAILED)
		return;
	memset((void *)l, 0, sizeof(*l));
	mkdir(MNT "/load", 0755);
	for (i = 0; i < 3; i++) {
		pids[i] = fork();
		if (pids[i] == 0) {
			if (i < 2)
				load_writer(l, i);
			else
				load_metadata(l, i);
			_exit(0);
		}
	}
	memset(user, 0, sizeof(user));
	for (i = 0; i < MAX_WORKLOADS; i++)
		users += start_user_workload(i, &user[i]);
	t_user = now_ms();
	fd = fs_open();
	for (c = 0; c < 10 || (users && workloads_running(user) && now_ms() - t_user < WORKLOAD_BOUND_MS); c++) {
		long before, during;
		double ms;
		int r;

		sleep_ms(300);
		r = TIMED(&ms, freeze_fd(fd, 0));
		checkv("freeze", r, errno, ms, c);
		before = l->ops[0] + l->ops[1] + l->ops[2];
		sleep_ms(300);
		during = l->ops[0] + l->ops[1] + l->ops[2] - before;
		checkv("ops-while-frozen", 0, 0, 300, during);
		r = TIMED(&ms, thaw_fd(fd));
		checkv("thaw", r, errno, ms, c);
	}
	l->stop = 1;
	t0 = now_ms();
	/* the rig's own load, reaped by pid: waitpid(-1) would take the user's workload's status too */
	while (finished < 3 && now_ms() - t0 < 10000) {
		for (i = 0; i < 3; i++)
			if (pids[i] > 0 && waitpid(pids[i], NULL, WNOHANG) == pids[i]) {
				pids[i] = 0;
				finished++;
			}
		if (finished < 3)
			sleep_ms(20);
	}
	check("workers-finished", finished == 3, 0, now_ms() - t0);
	checkv("ops", 0, 0, 0, l->ops[0] + l->ops[1] + l->ops[2]);
	if (users)
		stop_user_workloads(user, t_user);
	close(fd);
}

/*
 * emergency-thaw: frozen with no timeout (a freezer that died would leave
 * it so), a writer blocked, then SysRq j through /proc/sysrq-trigger, the
 * handler the key combination reaches too. With an emergency thaw the
 * writer resumes and the interface's thaw finds nothing left to end;
 * without one the fs stays frozen until that thaw.
 *   resumed-after-sysrq  ret 1: the writer resumed within WAKE_MS of SysRq j
 */
static void emergency_thaw(void)
{
	const char *path = MNT "/emergency-thaw.dat";
	int fd = freeze_after_prepare(path, "", 0), done, r;
	struct probe p;
	double t, ms;

	if (fd < 0)
		return;
	probe_start(&p, OP_WRITE_FSYNC, path, NULL);
	done = probe_wait(&p, BLOCK_MS);
	check("blocked-while-frozen", !done, 0, now_ms() - p.started);
	t = now_ms();
	write_proc("/proc/sysrq-trigger", "j");
	done = probe_wait(&p, WAKE_MS);
	check("resumed-after-sysrq", done && p.ok, 0, (done ? p.finished : now_ms()) - t);
	t = now_ms();
	r = TIMED(&ms, thaw_fd(fd));
	check("thaw-after-sysrq", r, errno, ms);
	if (!done) {
		done = probe_wait(&p, WAKE_MS);
		check("writer-resumed", done && p.ok, 0, (done ? p.finished : now_ms()) - t);
	}
	probe_reap(&p);
	close(fd);
}

/* dmesg-clean is judged by the host from the whole console; nothing to do. */
static void dmesg_clean(void)
{
}

/* The table comes from the rig's catalogue (contract.h), so ids and budgets match the judge's. */
#define SCENARIO_ROW(id, fn, budget_s) { id, fn, budget_s },
const struct scenario scenarios[] = {
	SCENARIO_TABLE(SCENARIO_ROW)
	{ NULL, NULL, 0 },
};

const struct scenario *find_scenario(const char *id)
{
	const struct scenario *s;

	for (s = scenarios; s->id; s++)
		if (strcmp(s->id, id) == 0)
			return s;
	return NULL;
}
