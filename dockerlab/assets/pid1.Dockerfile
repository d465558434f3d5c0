# The PID 1 lesson's image: Alpine, plus the tools every variant shares.
# BUILDER and ALPINE are the catalog's builder and alpine references.
ARG BUILDER
ARG ALPINE

FROM ${BUILDER} AS build
# The real dumb-init, from its PyPI source distribution (checked by sha256 before
# the build). Debian's dumb-init package is linked against glibc and runs on
# Debian only; built statically with musl it runs on Alpine and FROM scratch.
COPY dumb-init.tar.gz /src/dumb-init.tar.gz
COPY procstat.c orphans.c /src/
WORKDIR /src
RUN tar xzf dumb-init.tar.gz --strip-components=1 \
    && musl-gcc -static -Os -o /out-dumb-init dumb-init.c \
    && musl-gcc -static -Os -o /out-procstat procstat.c \
    && musl-gcc -static -Os -o /out-orphans orphans.c \
    && strip /out-dumb-init /out-procstat /out-orphans

FROM ${ALPINE}
COPY --from=build /out-dumb-init /usr/local/bin/dumb-init
COPY --from=build /out-procstat /procstat
COPY --from=build /out-orphans /orphans
COPY reaper.sh worker.sh wrapper.sh /
# No ENTRYPOINT: each variant of the lesson chooses its own PID 1.
CMD ["sleep", "30"]
