"""Experiment plans in, runs and results out: the XLM-R intermediate-task replication harness."""
