// SPDX-License-Identifier: GPL-2.0
/*
 * The channel's one consumer (PROTOCOL.md section 6): only the process that
 * holds the claim may acknowledge. Two consumers acking one channel would
 * each free sub-buffers the other has not read.
 *
 * The claim is a reference to the holder's thread group pid, not an open
 * file: an open file of ours would pin the module, and the operator must be
 * able to unload it under a running collector. No exit hook releases it: a
 * claim counts only while its process lives, which is checked whenever it
 * matters, so a holder killed with SIGKILL leaves nothing behind.
 *
 * The claim is read and written under krelay_control_lock only.
 */
#include <linux/lockdep.h>
#include <linux/pid.h>
#include <linux/rcupdate.h>
#include <linux/sched.h>
#include <linux/seq_file.h>
#include <linux/string.h>

#include "krelay.h"

static struct pid *krelay_consumer;
static char krelay_consumer_name[KRELAY_CONSUMER_NAME_MAX + 1];

/*
 * The holder lives while its thread group leader has a task that is not
 * exiting: a holder that was killed or exited, reaped or still a zombie, has
 * lost its claim.
 */
static bool krelay_consumer_alive(void)
{
	struct task_struct *task;
	bool alive;

	if (!krelay_consumer)
		return false;
	rcu_read_lock();
	task = pid_task(krelay_consumer, PIDTYPE_TGID);
	alive = task && !(READ_ONCE(task->flags) & PF_EXITING);
	rcu_read_unlock();
	return alive;
}

static bool krelay_consumer_is_caller(void)
{
	return krelay_consumer && krelay_consumer == task_tgid(current);
}

/* Takes over @pid's reference */
static void krelay_consumer_set(struct pid *pid, const char *name)
{
	put_pid(krelay_consumer);
	krelay_consumer = pid;
	strscpy(krelay_consumer_name, name, sizeof(krelay_consumer_name));
}

/* 0 if the caller's process may consume: it holds the claim or none lives */
int krelay_claim_check(void)
{
	lockdep_assert_held(&krelay_control_lock);
	if (krelay_consumer_is_caller() || !krelay_consumer_alive())
		return 0;
	return -EBUSY;
}

/* @name: 1..KRELAY_CONSUMER_NAME_MAX characters, checked by the caller */
int krelay_claim(const char *name)
{
	int err = krelay_claim_check();

	if (err)
		return err;
	if (krelay_consumer_is_caller())
		strscpy(krelay_consumer_name, name, sizeof(krelay_consumer_name));
	else
		krelay_consumer_set(get_task_pid(current, PIDTYPE_TGID), name);
	return 0;
}

/* After an ack: a consumer that never wrote claim holds the channel as "-" */
void krelay_claim_implicit(void)
{
	lockdep_assert_held(&krelay_control_lock);
	if (!krelay_consumer_is_caller())
		krelay_consumer_set(get_task_pid(current, PIDTYPE_TGID), "-");
}

int krelay_release(void)
{
	int err = krelay_claim_check();

	if (!err)
		krelay_consumer_set(NULL, "");
	return err;
}

/* The info keys; the pid as seen from the reader's pid namespace */
void krelay_claim_show(struct seq_file *m)
{
	mutex_lock(&krelay_control_lock);
	if (krelay_consumer_alive())
		seq_printf(m, "consumer_pid %d\nconsumer_name %s\n",
			   pid_vnr(krelay_consumer), krelay_consumer_name);
	else
		seq_puts(m, "consumer_pid 0\nconsumer_name -\n");
	mutex_unlock(&krelay_control_lock);
}

/* At unload, once no command runs and info is gone */
void krelay_claim_drop(void)
{
	mutex_lock(&krelay_control_lock);
	krelay_consumer_set(NULL, "");
	mutex_unlock(&krelay_control_lock);
}
