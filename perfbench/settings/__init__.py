"""Settings: what the user asked for, from flags, profiles or the Python API.

Owns the frozen :class:`~perfbench.settings.config.BenchmarkConfig` (every setting declared
once, with its parser, default and help), the value parsers, benchmark_app's ``--shape``
syntax, and the TOML profiles (shipped as package data in ``builtin_profiles``).
May import: ``perfbench.errors`` only. Nothing here touches OpenVINO.
"""
