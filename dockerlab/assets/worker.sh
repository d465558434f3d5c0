#!/bin/sh
# worker.sh: a server that must hear SIGTERM to shut down cleanly (flush, close).
trap 'echo "worker: got SIGTERM, shut down cleanly"; exit 0' TERM
echo "worker: running"
while :; do sleep 0.1; done
