"""One module per practice that needs more than the core: each imports only the layers
below it (core, inspect, registry, assets), never another lesson, so a practice's
notebook and module change together and touch nothing else."""
