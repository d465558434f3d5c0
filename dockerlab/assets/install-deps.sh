#!/bin/sh
# install-deps.sh: stands for `pip install -r requirements.txt` or `npm ci`, offline.
# For every library named in the file given as $1, generate its C source and
# compile it into /deps: real work that takes a few seconds, and no network.
set -eu
mkdir -p /deps
while read -r name; do
    [ -n "$name" ] || continue
    i=0
    while [ "$i" -lt 400 ]; do
        echo "int ${name}_f$i(int x) { return x * $i + 1; }"
        i=$((i + 1))
    done > "/deps/$name.c"
    gcc -O2 -c -o "/deps/$name.o" "/deps/$name.c"
    rm "/deps/$name.c"
    echo "installed $name"
done < "$1"
