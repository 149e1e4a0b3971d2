#!/bin/sh
# SPDX-License-Identifier: MIT
# sweep-job.sh JOBS OUTDIR [INDEX] - run one job of a sweep: line INDEX+1 of
# JOBS (INDEX defaults to $SLURM_ARRAY_TASK_ID, so a Slurm job array runs line
# i for task i), a line being the arguments of one vmlab command, e.g.
#     sim -p lru -n 4096 --output json /data/traces/app1.vmt
# The result goes to OUTDIR/job-INDEX.json (or .csv when the line asks for
# --output csv), written by vmlab -o so a failed job leaves no file; join them
# with `vmlab merge OUTDIR/job-*.json` (docs/sweeps.md).  VMLAB names the
# binary (default: vmlab on the PATH).
set -eu
jobs=$1 outdir=$2 index=${3:-${SLURM_ARRAY_TASK_ID:?set SLURM_ARRAY_TASK_ID or give INDEX}}
vmlab=${VMLAB:-vmlab}
line=$(sed -n "$((index + 1))p" "$jobs")
[ -n "$line" ] || { echo "vmlab: $jobs: no job line $((index + 1)) (expected one per array index)" >&2; exit 2; }
case $line in *"--output csv"*) ext=csv ;; *) ext=json ;; esac
mkdir -p "$outdir"
# shellcheck disable=SC2086 # the job line is a list of arguments by design
exec "$vmlab" $line -o "$outdir/job-$index.$ext"
