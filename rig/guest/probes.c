/*
 * Probes: each is a real process doing one file operation, so that
 * "blocked" means a system call that has not returned. The process writes
 * one byte to a pipe when the operation returned; the parent measures with
 * CLOCK_MONOTONIC how long that took. A process blocked in the kernel (D
 * state) cannot be killed, so a probe is reaped only once it finished.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include "helper.h"

const char probe_payload[] = "freeze-rig probe payload\n";

static int do_op(enum op op, const char *path, const char *path2)
{
	struct stat st;
	char buf[256];
	int fd, r, err;

	switch (op) {
	case OP_WRITE_FSYNC:
		fd = open(path, O_WRONLY | O_APPEND);
		if (fd < 0)
			return -1;
		r = write(fd, probe_payload, sizeof(probe_payload) - 1) == (ssize_t)(sizeof(probe_payload) - 1) && fsync(fd) == 0;
		err = errno;
		close(fd);
		errno = err;
		return r ? 0 : -1;
	case OP_CREATE:
		fd = open(path, O_WRONLY | O_CREAT | O_EXCL, 0644);
		if (fd < 0)
			return -1;
		close(fd);
		return 0;
	case OP_MKDIR:
		return mkdir(path, 0755);
	case OP_RENAME:
		return rename(path, path2);
	case OP_UNLINK:
		return unlink(path);
	case OP_STAT:
		return stat(path, &st);
	case OP_READ:
		fd = open(path, O_RDONLY);
		if (fd < 0)
			return -1;
		r = read(fd, buf, sizeof(buf));
		close(fd);
		return r > 0 ? 0 : -1;
	}
	return -1;
}

void probe_start(struct probe *p, enum op op, const char *path, const char *path2)
{
	int pfd[2];

	memset(p, 0, sizeof(*p));
	p->fd = -1;
	if (pipe(pfd) < 0)
		return;
	p->started = now_ms();
	p->pid = fork();
	if (p->pid == 0) {
		unsigned char msg[2];

		close(pfd[0]);
		/* '1' or '0', then the errno of a failure */
		msg[0] = do_op(op, path, path2) == 0 ? '1' : '0';
		msg[1] = msg[0] == '1' ? 0 : (unsigned char)errno;
		if (write(pfd[1], msg, 2) < 0)
			_exit(2);
		_exit(0);
	}
	close(pfd[1]);
	p->fd = pfd[0];
}

int probe_wait(struct probe *p, int ms)
{
	struct pollfd pfd = { .fd = p->fd, .events = POLLIN };
	double deadline = now_ms() + ms;
	unsigned char msg[2];

	if (p->finished)
		return 1;
	if (p->fd < 0)
		return 0;
	/*
	 * Wait by CLOCK_MONOTONIC, not by poll's timeout alone: poll counts
	 * jiffies, and a TCG guest short of CPU gets its timer ticks in a
	 * catch-up burst, so a 1200 ms poll has returned after 943 ms.
	 */
	for (;;) {
		int left = (int)(deadline - now_ms() + 0.999);
		int r = poll(&pfd, 1, left > 0 ? left : 0);

		if (r == 1 && read(p->fd, msg, 2) >= 1) {
			p->finished = now_ms();
			p->ok = msg[0] == '1';
			p->err = p->ok ? 0 : msg[1];
			return 1;
		}
		if (r < 0 && errno != EINTR)
			return 0;
		if (now_ms() >= deadline)
			return 0;
	}
}

void probe_reap(struct probe *p)
{
	if (p->finished && p->pid > 0)
		waitpid(p->pid, NULL, 0);
	if (p->fd >= 0)
		close(p->fd);
	p->fd = -1;
}

int call_start(struct call *c, int (*fn)(const void *arg), const void *arg)
{
	int pfd[2];

	memset(c, 0, sizeof(*c));
	c->started = now_ms();
	if (pipe(pfd) < 0)
		goto failed;
	c->pid = fork();
	if (c->pid == 0) {
		int res[2];

		close(pfd[0]);
		res[0] = fn(arg);
		res[1] = errno;
		_exit(write(pfd[1], res, sizeof(res)) == sizeof(res) ? 0 : 2);
	}
	close(pfd[1]);
	if (c->pid < 0) {
		int err = errno;

		close(pfd[0]);
		errno = err;
		goto failed;
	}
	c->fd = pfd[0];
	return 0;
failed:
	c->done = 1, c->ret = -1, c->err = errno;
	return -1;
}

int call_wait(struct call *c, int ms)
{
	struct pollfd pl = { .fd = c->fd, .events = POLLIN };
	double deadline = now_ms() + ms;
	int res[2], r;

	if (c->done)
		return 1;
	/* by CLOCK_MONOTONIC: poll's own timeout counts jiffies (see probe_wait) */
	while ((r = poll(&pl, 1, ms > 0 ? ms : 0)) == 0 && now_ms() < deadline)
		ms = (int)(deadline - now_ms() + 0.999);
	if (r != 1)
		return 0;
	if (read(c->fd, res, sizeof(res)) == sizeof(res))
		c->ret = res[0], c->err = res[1];
	else
		c->ret = -1, c->err = EIO;	/* the child died in the call (a BUG) */
	close(c->fd);
	/* this child only: the scenario's writers (and a user's workload) are children too */
	waitpid(c->pid, NULL, 0);
	c->done = 1;
	return 1;
}

int write_file(const char *path, const char *data)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	int ok;

	if (fd < 0)
		return -1;
	ok = write(fd, data, strlen(data)) == (ssize_t)strlen(data) && fsync(fd) == 0;
	close(fd);
	return ok ? 0 : -1;
}

int file_equals(const char *path, const char *data)
{
	char buf[4096];
	int fd = open(path, O_RDONLY);
	ssize_t n;

	if (fd < 0)
		return 0;
	n = read(fd, buf, sizeof(buf));
	close(fd);
	return n == (ssize_t)strlen(data) && memcmp(buf, data, n) == 0;
}

/*
 * A write+fsync appended to path: 0 if it succeeded within ms, -1 with
 * *err if it failed, 1 if it had not returned (still blocked by a freeze).
 */
int append_fsync_outcome(const char *path, int ms, int *err)
{
	struct probe p;
	int r;

	probe_start(&p, OP_WRITE_FSYNC, path, NULL);
	r = !probe_wait(&p, ms) ? 1 : p.ok ? 0 : -1;
	*err = p.err;
	probe_reap(&p);
	return r;
}

/* 1 if appending to path and fsync'ing it succeeds within ms (a file made before, on a fs other than MNT too). */
int append_fsync_within(const char *path, int ms)
{
	int err;

	return append_fsync_outcome(path, ms, &err) == 0;
}

/*
 * "pid (comm) state ppid pgrp ... num_threads" (field 20). comm may hold
 * spaces or ')': it ends at the last ')'.
 */
int proc_stat(const char *pid, struct proc_stat *ps)
{
	char path[288], stat[512], *open_p, *close_p;
	int fd;
	ssize_t n;

	snprintf(path, sizeof(path), "/proc/%s/stat", pid);
	fd = open(path, O_RDONLY);
	if (fd < 0)
		return -1;
	n = read(fd, stat, sizeof(stat) - 1);
	close(fd);
	stat[n > 0 ? n : 0] = '\0';
	open_p = strchr(stat, '(');
	close_p = strrchr(stat, ')');
	if (!open_p || close_p <= open_p)
		return -1;
	snprintf(ps->comm, sizeof(ps->comm), "%.*s", (int)(close_p - open_p - 1), open_p + 1);
	ps->threads = 1;
	if (sscanf(close_p + 1, " %c %*d %d %*d %*d %*d %*u %*u %*u %*u %*u %*u %*u %*d %*d %*d %*d %ld",
		   &ps->state, &ps->pgrp, &ps->threads) < 2)
		return -1;
	return 0;
}
