"""The kit's own Docker engines (:mod:`.private`: Docker 28, Debian 12's 20.10, arm64
under qemu, on Linux) and the course's base images (:mod:`.bases`: pulled, or made
offline from real Debian packages and a genuine Alpine disk)."""
