# The kit's compiler image, dockerlab/builder:trixie (online recipe).
# gcc + libc6-dev compile glibc programs for Debian; musl-gcc (musl-tools)
# compiles programs that run on Alpine. Lessons use it as a build stage and
# COPY only the binaries into their final image.
FROM debian:trixie-slim

# Versions are left to the trixie suite on purpose: pinning exact Debian
# versions breaks this build at every security update of libc6-dev.
# hadolint ignore=DL3008
RUN apt-get update \
    && apt-get install -y --no-install-recommends gcc libc6-dev musl-tools \
    && rm -rf /var/lib/apt/lists/*

CMD ["bash"]
