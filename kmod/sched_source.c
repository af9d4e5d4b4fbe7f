// SPDX-License-Identifier: GPL-2.0
/*
 * The scheduler source: a text record for every exec and fork, from the
 * sched_process_exec and sched_process_fork tracepoints. Those are not
 * exported to modules as symbols, so they are looked up by name.
 *
 * Switched under krelay_control_lock, and off at unload.
 */
#include <linux/binfmts.h>
#include <linux/sched.h>
#include <linux/string.h>
#include <linux/tracepoint.h>

#include "krelay.h"

static struct tracepoint *krelay_tp_exec;
static struct tracepoint *krelay_tp_fork;
static bool krelay_sched_on;

static void krelay_probe_exec(void *data, struct task_struct *p,
			      pid_t old_pid, struct linux_binprm *bprm)
{
	krelay_emitf(KRELAY_LEVEL_INFO, KRELAY_TYPE_SCHED_EXEC,
		     "exec filename=%s pid=%d old_pid=%d",
		     bprm->filename, p->pid, old_pid);
}

static void krelay_probe_fork(void *data, struct task_struct *parent,
			      struct task_struct *child)
{
	char comm[TASK_COMM_LEN];

	/* a stable copy: both vsnprintf() passes must see the same text */
	strscpy(comm, child->comm, sizeof(comm));
	krelay_emitf(KRELAY_LEVEL_INFO, KRELAY_TYPE_SCHED_FORK,
		     "fork parent=%d child=%d child_comm=%s",
		     parent->pid, child->pid, comm);
}

static void krelay_find_tracepoint(struct tracepoint *tp, void *priv)
{
	if (!strcmp(tp->name, "sched_process_exec"))
		krelay_tp_exec = tp;
	else if (!strcmp(tp->name, "sched_process_fork"))
		krelay_tp_fork = tp;
}

static int krelay_sched_register(void)
{
	int err;

	if (!krelay_tp_exec || !krelay_tp_fork)
		for_each_kernel_tracepoint(krelay_find_tracepoint, NULL);
	if (!krelay_tp_exec || !krelay_tp_fork)
		return -ENOENT;

	err = tracepoint_probe_register(krelay_tp_exec, krelay_probe_exec,
					NULL);
	if (err)
		return err;
	err = tracepoint_probe_register(krelay_tp_fork, krelay_probe_fork,
					NULL);
	if (err) {
		tracepoint_probe_unregister(krelay_tp_exec, krelay_probe_exec,
					    NULL);
		tracepoint_synchronize_unregister();
	}
	return err;
}

static void krelay_sched_unregister(void)
{
	tracepoint_probe_unregister(krelay_tp_fork, krelay_probe_fork, NULL);
	tracepoint_probe_unregister(krelay_tp_exec, krelay_probe_exec, NULL);
	tracepoint_synchronize_unregister();
}

int krelay_sched_source_set(bool on)
{
	int err;

	if (on == krelay_sched_on)
		return 0;
	if (on) {
		err = krelay_sched_register();
		if (err)
			return err;
	} else {
		krelay_sched_unregister();
	}
	WRITE_ONCE(krelay_sched_on, on);
	return 0;
}

bool krelay_sched_source_on(void)
{
	return READ_ONCE(krelay_sched_on);
}
