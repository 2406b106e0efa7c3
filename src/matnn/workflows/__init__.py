"""Workflows: one folder per area, each prepare → train → analyse, calling models and data."""
