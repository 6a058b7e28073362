"""The numpy engine: memory fit, throughput, TCO, calibration, scoring. Pure functions, no I/O."""
