#!/usr/bin/env bash
# One measured run, called by hyperfine from bench/run.sh:
#   measure.sh EVENTS ACCESS_LOG LABEL 'shell command'
# Records where nginx's access log stood when the run started (report.py sums $bytes_sent from
# there to the next run's start) and the run's peak RSS (GNU time %M: the largest process of the
# command, children included), appended to EVENTS as one tab-separated line:
#   LABEL  log_offset  peak_rss_kib  exit_code
# Exits with the command's exit code, except that downloaders count 404s as failures, so a
# label ending in "~" is always reported as success (its real code is still recorded).
set -u
events=$1 log=$2 label=$3 cmd=$4
offset=$(stat -c %s "$log" 2>/dev/null || echo 0)
rss_file=$(mktemp)
/usr/bin/time -f %M -o "$rss_file" bash -c "$cmd"
rc=$?
printf '%s\t%s\t%s\t%s\n' "$label" "$offset" "$(tail -n 1 "$rss_file")" "$rc" >>"$events"
rm -f "$rss_file"
case $label in *"~") exit 0 ;; esac
exit "$rc"
