/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
#ifndef NG_CMDS_H
#define NG_CMDS_H

/* Each command parses its own options; returns an NG_EXIT_* code. */
int cmd_load(int argc, char **argv);
int cmd_unload(int argc, char **argv);
int cmd_allow(int argc, char **argv);
int cmd_stats(int argc, char **argv);
int cmd_top(int argc, char **argv);
int cmd_export(int argc, char **argv);  /* daemon unless --once */
int cmd_set(int argc, char **argv);
int cmd_watch(int argc, char **argv);   /* daemon: runs until SIGTERM */
int cmd_check(int argc, char **argv);   /* exit 3: a host is vulnerable */
int cmd_audit(int argc, char **argv);   /* exit 3: at risk, 4: could not tell */
int cmd_status(int argc, char **argv);

/* stats --watch (stats_watch.c) */
int ng_stats_watch(double interval);

#endif
