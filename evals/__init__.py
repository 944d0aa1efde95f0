"""Offline evaluations: datasets in ``evals/datasets/``, one module per suite."""
