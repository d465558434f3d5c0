"""Registries: :mod:`.api` reads a registry's API (manifests, tags, digests) without
pulling; :mod:`.server` runs a real registry of the kit's own for the lessons."""
