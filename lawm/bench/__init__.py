"""The benchmark: grids of tasks x datasets x methods x seeds run as independent cells, and their report."""
