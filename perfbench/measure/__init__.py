"""Measurement: the loops that drive inference requests and time them.

Owns the closed loop (async pool and sync), the open loop (server scenario), the window
tracker and its clock, bounded latency recording, the per-layer profiling pass and the
device-peak kernels. Produces raw timings (``Measurement``), no conclusions.
May import: ``model``, ``stats``, ``results.types``, ``settings``, ``errors``, OpenVINO.
"""
