// SPDX-License-Identifier: GPL-2.0
/*
 * The generator: one kthread per online CPU writes a known sequence of
 * records through the ordinary write path (PROTOCOL.md section 7).
 *
 * Start and stop run under krelay_control_lock. A thread that has written
 * its records exits by itself; its task_struct is kept referenced so that
 * kthread_stop() still works on it when the run is reaped.
 */
#include <linux/atomic.h>
#include <linux/cpu.h>
#include <linux/err.h>
#include <linux/hrtimer.h>
#include <linux/kthread.h>
#include <linux/math64.h>
#include <linux/sched.h>
#include <linux/sched/task.h>

#include "krelay.h"

#define KRELAY_GEN_BATCH	32			/* records between cond_resched() */
#define KRELAY_GEN_SLACK_NS	(50 * NSEC_PER_USEC)	/* of the pacing sleep */

struct krelay_gen_worker {
	struct task_struct *task;
	u64 count;
	u32 rate;
	u32 run;
	u32 cpu;
};

static DEFINE_PER_CPU(struct krelay_gen_worker, krelay_gen_workers);
static atomic_t krelay_gen_active = ATOMIC_INIT(0);
static u32 krelay_gen_runs;

static void krelay_gen_record(const struct krelay_gen_worker *w, u64 index)
{
	struct {
		struct krelay_gen_payload hdr;
		u8 fill[KRELAY_GEN_FILL_MOD - 1];
	} p;
	unsigned int level = index % (KRELAY_LEVEL_MAX + 1);
	unsigned int i, n;

	if (index & 1) {
		krelay_emitf(level, KRELAY_TYPE_GEN, "gen run=%u cpu=%u index=%llu",
			     w->run, w->cpu, index);
		return;
	}
	p.hdr.index = index;
	p.hdr.cpu = w->cpu;
	p.hdr.run = w->run;
	n = index % KRELAY_GEN_FILL_MOD;
	for (i = 0; i < n; i++)
		p.fill[i] = (index + i) & 0xff;
	krelay_emit(level, KRELAY_TYPE_GEN, &p, sizeof(p.hdr) + n);
}

/* Returns false when the thread is to stop */
static bool krelay_gen_sleep_until(u64 t)
{
	ktime_t expires = ns_to_ktime(t);

	while (ktime_get_ns() < t) {
		set_current_state(TASK_INTERRUPTIBLE);
		if (kthread_should_stop()) {
			__set_current_state(TASK_RUNNING);
			return false;
		}
		schedule_hrtimeout_range(&expires, KRELAY_GEN_SLACK_NS,
					 HRTIMER_MODE_ABS);
	}
	return !kthread_should_stop();
}

static int krelay_gen_fn(void *data)
{
	struct krelay_gen_worker *w = data;
	u64 start = ktime_get_ns();
	u64 i;

	for (i = 0; i < w->count; i++) {
		/* also when paced: a run behind its schedule does not sleep */
		if (!(i % KRELAY_GEN_BATCH)) {
			if (kthread_should_stop())
				break;
			cond_resched();
		}
		if (w->rate && !krelay_gen_sleep_until(start +
				div_u64(i * NSEC_PER_SEC, w->rate)))
			break;
		krelay_gen_record(w, i);
	}
	atomic_dec(&krelay_gen_active);
	return 0;
}

bool krelay_gen_running(void)
{
	return atomic_read(&krelay_gen_active) > 0;
}

/* Stops the threads of the current run, or reaps those that finished */
void krelay_gen_stop(void)
{
	struct krelay_gen_worker *w;
	unsigned int cpu;

	for_each_possible_cpu(cpu) {
		w = per_cpu_ptr(&krelay_gen_workers, cpu);
		if (!w->task)
			continue;
		/* -EINTR: stopped before krelay_gen_fn() ran */
		if (kthread_stop(w->task) == -EINTR)
			atomic_dec(&krelay_gen_active);
		put_task_struct(w->task);
		w->task = NULL;
	}
}

int krelay_gen_start(u64 count, u32 rate)
{
	struct krelay_gen_worker *w;
	struct task_struct *t;
	unsigned int cpu;
	int err = 0;

	if (krelay_gen_running())
		return -EBUSY;
	krelay_gen_stop();

	cpus_read_lock();
	for_each_online_cpu(cpu) {
		w = per_cpu_ptr(&krelay_gen_workers, cpu);
		w->count = count;
		w->rate = rate;
		w->run = krelay_gen_runs + 1;
		w->cpu = cpu;
		t = kthread_create_on_cpu(krelay_gen_fn, w, cpu, "krelay_gen/%u");
		if (IS_ERR(t)) {
			err = PTR_ERR(t);
			break;
		}
		get_task_struct(t);
		w->task = t;
		atomic_inc(&krelay_gen_active);
	}
	if (!err)
		for_each_online_cpu(cpu)
			wake_up_process(per_cpu(krelay_gen_workers, cpu).task);
	cpus_read_unlock();

	if (err) {
		krelay_gen_stop();
		return err;
	}
	WRITE_ONCE(krelay_gen_runs, krelay_gen_runs + 1);
	return 0;
}

/* The number of the last run started, 0 before the first */
u32 krelay_gen_last_run(void)
{
	return READ_ONCE(krelay_gen_runs);
}
