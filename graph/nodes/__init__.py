"""Graph nodes, one per file; each ``make_*`` returns the node bound to its dependencies."""
