#!/bin/sh
# wrapper.sh: a start-up script that launches the worker and waits for it.
# Like many real entrypoint scripts, it does not pass signals on: on SIGTERM
# it just keeps waiting for the worker (the trap only interrupts the first wait).
/worker.sh &
trap ':' TERM
wait
wait
