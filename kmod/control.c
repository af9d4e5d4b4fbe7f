// SPDX-License-Identifier: GPL-2.0
/*
 * The control file: one command per write() (PROTOCOL.md section 6).
 * A malformed command fails with -EINVAL before anything changes.
 */
#include <linux/ctype.h>
#include <linux/debugfs.h>
#include <linux/err.h>
#include <linux/fs.h>
#include <linux/kernel.h>
#include <linux/limits.h>
#include <linux/module.h>
#include <linux/string.h>
#include <linux/uaccess.h>

#include "krelay.h"

#define KRELAY_CMD_MAX		127
#define KRELAY_CMD_WORDS	3
#define KRELAY_GEN_COUNT_MAX	1000000000ULL
#define KRELAY_GEN_RATE_MAX	10000000ULL

/* Serializes control writes; never taken by writers or the flush worker */
DEFINE_MUTEX(krelay_control_lock);

static const char * const krelay_level_names[KRELAY_LEVEL_MAX + 1] = {
	"emerg", "alert", "crit", "err", "warning", "notice", "info", "debug",
};

/* Decimal digits only: kstrtou64() alone would take "+5" and "5\n" */
static int krelay_parse_u64(const char *word, u64 max, u64 *val)
{
	const char *p;

	if (!*word)
		return -EINVAL;
	for (p = word; *p; p++)
		if (!isdigit(*p))
			return -EINVAL;
	if (kstrtou64(word, 10, val) || *val > max)
		return -EINVAL;
	return 0;
}

/* Only the channel's consumer acks; the first ack makes its process that */
static int krelay_cmd_ack(char **args)
{
	u64 cpu, seq;
	int err;

	if (krelay_parse_u64(args[0], UINT_MAX, &cpu) ||
	    krelay_parse_u64(args[1], U64_MAX, &seq))
		return -EINVAL;
	err = krelay_claim_check();
	if (!err)
		err = krelay_ack(cpu, seq);
	if (!err)
		krelay_claim_implicit();
	return err;
}

static int krelay_cmd_claim(char **args)
{
	const char *p;

	if (strlen(args[0]) > KRELAY_CONSUMER_NAME_MAX)
		return -EINVAL;
	for (p = args[0]; *p; p++)
		if (!isascii(*p) || (!isalnum(*p) && !strchr("._-", *p)))
			return -EINVAL;
	return krelay_claim(args[0]);
}

static int krelay_cmd_release(char **args)
{
	return krelay_release();
}

static int krelay_cmd_flush(char **args)
{
	krelay_flush_all();
	return 0;
}

static int krelay_cmd_start(char **args)
{
	WRITE_ONCE(krelay_running, true);
	return 0;
}

static int krelay_cmd_stop(char **args)
{
	WRITE_ONCE(krelay_running, false);
	return 0;
}

static int krelay_cmd_level(char **args)
{
	u64 level;
	int i;

	i = match_string(krelay_level_names, ARRAY_SIZE(krelay_level_names),
			 args[0]);
	if (i >= 0)
		level = i;
	else if (krelay_parse_u64(args[0], KRELAY_LEVEL_MAX, &level))
		return -EINVAL;
	WRITE_ONCE(krelay_min_level, level);
	return 0;
}

static int krelay_cmd_reset_stats(char **args)
{
	krelay_reset_stats();
	return 0;
}

static int krelay_cmd_gen(char **args)
{
	u64 count, rate;

	if (krelay_parse_u64(args[0], KRELAY_GEN_COUNT_MAX, &count) ||
	    krelay_parse_u64(args[1], KRELAY_GEN_RATE_MAX, &rate) || !count)
		return -EINVAL;
	return krelay_gen_start(count, rate);
}

static int krelay_cmd_gen_stop(char **args)
{
	krelay_gen_stop();
	return 0;
}

static int krelay_cmd_source(char **args)
{
	if (strcmp(args[0], "sched"))
		return -EINVAL;
	if (!strcmp(args[1], "on"))
		return krelay_sched_source_set(true);
	if (!strcmp(args[1], "off"))
		return krelay_sched_source_set(false);
	return -EINVAL;
}

struct krelay_cmd {
	const char *name;
	int nargs;
	int (*run)(char **args);
};

static const struct krelay_cmd krelay_cmds[] = {
	{ "ack",		2, krelay_cmd_ack },
	{ "flush",		0, krelay_cmd_flush },
	{ "start",		0, krelay_cmd_start },
	{ "stop",		0, krelay_cmd_stop },
	{ "level",		1, krelay_cmd_level },
	{ "reset-stats",	0, krelay_cmd_reset_stats },
	{ "gen",		2, krelay_cmd_gen },
	{ "gen-stop",		0, krelay_cmd_gen_stop },
	{ "source",		2, krelay_cmd_source },
	{ "claim",		1, krelay_cmd_claim },
	{ "release",		0, krelay_cmd_release },
};

/* Split @line at single spaces; empty words are malformed */
static int krelay_split(char *line, char **words)
{
	int n = 0;

	while (line) {
		if (n == KRELAY_CMD_WORDS)
			return -EINVAL;
		words[n] = strsep(&line, " ");
		if (!*words[n])
			return -EINVAL;
		n++;
	}
	return n;
}

static ssize_t krelay_control_write(struct file *file, const char __user *ubuf,
				    size_t count, loff_t *ppos)
{
	char *words[KRELAY_CMD_WORDS];
	char line[KRELAY_CMD_MAX + 1];
	const struct krelay_cmd *cmd;
	size_t len = count;
	int n, ret;

	if (!count || count > KRELAY_CMD_MAX)
		return -EINVAL;
	if (copy_from_user(line, ubuf, count))
		return -EFAULT;
	line[len] = '\0';
	if (line[len - 1] == '\n')
		line[--len] = '\0';
	if (strlen(line) != len)
		return -EINVAL;

	n = krelay_split(line, words);
	if (n < 0)
		return n;
	for (cmd = krelay_cmds; cmd < krelay_cmds + ARRAY_SIZE(krelay_cmds); cmd++)
		if (!strcmp(cmd->name, words[0]))
			break;
	if (cmd == krelay_cmds + ARRAY_SIZE(krelay_cmds) || n != cmd->nargs + 1)
		return -EINVAL;

	mutex_lock(&krelay_control_lock);
	if (READ_ONCE(krelay_accepting))
		ret = cmd->run(words + 1);
	else
		ret = -ENODEV;
	mutex_unlock(&krelay_control_lock);
	return ret ? ret : count;
}

/* no owner and no release: the file holds no module reference (unpinned.c) */
static const struct file_operations krelay_control_fops = {
	.open	= nonseekable_open,
	.write	= krelay_control_write,
};

int krelay_control_init(struct dentry *dir)
{
	return krelay_create_unpinned("control", 0200, dir,
				      &krelay_control_fops);
}

/* After this no command runs, and none is running */
void krelay_control_shutdown(void)
{
	mutex_lock(&krelay_control_lock);
	WRITE_ONCE(krelay_accepting, false);
	mutex_unlock(&krelay_control_lock);
}
