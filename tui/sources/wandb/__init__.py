"""Weights & Biases local run logs."""
