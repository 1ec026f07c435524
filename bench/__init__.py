"""Benchmarks of Conveyor against floors measured in the same run (`python -m bench.run_all`)."""
