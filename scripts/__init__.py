"""Launchers and tools of the project (`make run`, the replicas set-up, the benchmark, the test services);
importable as `scripts.<module>` once the project is installed (pyproject.toml)."""
