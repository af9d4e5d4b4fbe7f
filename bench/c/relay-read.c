// SPDX-License-Identifier: GPL-2.0
/*
 * The baseline consumer of bench/capture-vm.ts: what blktrace does with a
 * relay channel. One thread per CPU file, pinned to its CPU as blktrace pins
 * its readers, poll() on the relay file (relay wakes it when a sub-buffer
 * completes; the timeout is blktrace's 500 ms) and read() of everything
 * available into a file per CPU, until SIGTERM or SIGINT; then it reads
 * what is left (read() returns the partly filled sub-buffer too) and prints
 * the bytes it read per CPU.
 *
 *	relay-read <channel dir> <out dir>
 *
 * Acknowledging: relay's read() consumes sub-buffers itself
 * (relay_file_read_consume() calls relay_subbufs_consumed()), and krelay's
 * no-overwrite check is relay's own relay_buf_full(), which counts exactly
 * that. So a read() consumer frees its slots by reading and must NOT write
 * "ack" to the control file: krelay_ack() calls relay_subbufs_consumed()
 * again, which would count each sub-buffer twice (clamped at produced) and
 * let the kernel reuse slots this reader has not read yet. Hence krelay's
 * own consumed count stays 0 under this consumer, and krelay's flush timer,
 * which leaves a CPU alone while consumed < produced, does not close part
 * filled sub-buffers: the reader gets whole sub-buffers (and the partial one
 * through read()), as blktrace gets them from a relay client with no timer.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define MAX_CPUS	256
#define BUF_SIZE	(1 << 20)
#define POLL_MS		500

struct reader {
	pthread_t thread;
	int cpu;
	int in;
	int out;
	unsigned long long bytes;
	int err;
};

static volatile sig_atomic_t stopping;

static void on_signal(int sig)
{
	(void)sig;
	stopping = 1;
}

static int write_all(int fd, const char *p, size_t n)
{
	while (n) {
		ssize_t w = write(fd, p, n);

		if (w < 0) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		p += w;
		n -= (size_t)w;
	}
	return 0;
}

/* Reads until read() has nothing more; returns -1 on an error */
static int drain(struct reader *r, char *buf)
{
	for (;;) {
		ssize_t n = read(r->in, buf, BUF_SIZE);

		if (n < 0 && (errno == EINTR || errno == EAGAIN))
			return 0;
		if (n < 0)
			return -1;
		if (!n)
			return 0;
		if (write_all(r->out, buf, (size_t)n))
			return -1;
		r->bytes += (unsigned long long)n;
	}
}

static void *reader_fn(void *arg)
{
	struct reader *r = arg;
	struct pollfd pfd = { .fd = r->in, .events = POLLIN };
	cpu_set_t set;
	char *buf = malloc(BUF_SIZE);

	if (!buf) {
		r->err = ENOMEM;
		return NULL;
	}
	CPU_ZERO(&set);
	CPU_SET(r->cpu, &set);
	/* as blktrace; a CPU that is offline now just leaves the thread unpinned */
	pthread_setaffinity_np(pthread_self(), sizeof(set), &set);
	while (!stopping) {
		if (poll(&pfd, 1, POLL_MS) < 0 && errno != EINTR) {
			r->err = errno;
			break;
		}
		if (drain(r, buf)) {
			r->err = errno;
			break;
		}
	}
	if (!r->err && drain(r, buf))
		r->err = errno;
	free(buf);
	return NULL;
}

/* The "cpus" line of the channel's info file */
static int read_cpus(const char *dir, int *cpus)
{
	char path[4096], line[4096];
	int n = 0;
	FILE *f;

	snprintf(path, sizeof(path), "%s/info", dir);
	f = fopen(path, "r");
	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f)) {
		char *p = line + 5, *end;

		if (strncmp(line, "cpus ", 5))
			continue;
		while (n < MAX_CPUS) {
			long c = strtol(p, &end, 10);

			if (end == p)
				break;
			cpus[n++] = (int)c;
			p = end;
		}
	}
	fclose(f);
	return n;
}

int main(int argc, char **argv)
{
	static struct reader readers[MAX_CPUS];
	int cpus[MAX_CPUS], n, i, status = 0;
	struct sigaction sa = { .sa_handler = on_signal };
	char path[4096];

	if (argc != 3) {
		fprintf(stderr, "usage: relay-read <channel dir> <out dir>\n");
		return 2;
	}
	n = read_cpus(argv[1], cpus);
	if (n <= 0) {
		fprintf(stderr, "relay-read: no cpus in %s/info\n", argv[1]);
		return 1;
	}
	/* no SA_RESTART: the signal interrupts poll() */
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	for (i = 0; i < n; i++) {
		struct reader *r = &readers[i];

		r->cpu = cpus[i];
		snprintf(path, sizeof(path), "%s/cpu%d", argv[1], r->cpu);
		r->in = open(path, O_RDONLY | O_NONBLOCK);
		if (r->in < 0) {
			fprintf(stderr, "relay-read: %s: %s\n", path, strerror(errno));
			return 1;
		}
		snprintf(path, sizeof(path), "%s/cpu%d", argv[2], r->cpu);
		r->out = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
		if (r->out < 0) {
			fprintf(stderr, "relay-read: %s: %s\n", path, strerror(errno));
			return 1;
		}
	}
	for (i = 0; i < n; i++)
		if (pthread_create(&readers[i].thread, NULL, reader_fn, &readers[i])) {
			fprintf(stderr, "relay-read: cannot start a thread\n");
			return 1;
		}
	printf("reading %d cpus\n", n);
	fflush(stdout);
	for (i = 0; i < n; i++) {
		struct reader *r = &readers[i];

		pthread_join(r->thread, NULL);
		close(r->in);
		if (close(r->out) && !r->err)
			r->err = errno;
		if (r->err) {
			fprintf(stderr, "relay-read: cpu%d: %s\n", r->cpu, strerror(r->err));
			status = 1;
		}
		printf("cpu%d %llu bytes\n", r->cpu, r->bytes);
	}
	return status;
}
