#!/bin/sh
# reaper.sh: a shell as PID 1 that does an init's two jobs.
#
# 1. It reaps. The shell's `wait` collects whichever child exits, orphans the
#    kernel handed to PID 1 included, not just the one it waits for.
# 2. It passes SIGTERM on. The trap runs while `wait` waits (a trap never runs
#    while a foreground command runs: hence `&` then `wait`, not a plain command).
trap 'kill -TERM "$child" 2>/dev/null' TERM INT
"$@" &
child=$!
while kill -0 "$child" 2>/dev/null; do
    wait "$child"
    status=$?
done
exit "$status"
