"""Benchmarks of freelance-assistant against a real Dovecot: see bench/README.md."""
