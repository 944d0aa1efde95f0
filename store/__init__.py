"""Data behind the tools: the store backend and the help-centre knowledge base."""
