"""The core: the engine and what every lesson does with it.

Its modules form a chain, each importing only those before it (checked by
``tests/unit/test_layering.py``, which holds the order): the kit's settings, labels,
tar streams, Dockerfiles, where the engine is, the engine, transfers, the
image catalog, demo containers, building, cleaning up, pinned downloads, charts, and the
notebook's setup.
"""
