"""Metrics: the PAN verification suite, ECE/MCE, retrieval (Recall@k, MRR), evaluation tasks and tables of systems."""
