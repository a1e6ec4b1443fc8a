"""System: where a result was measured and whether the machine disturbed it.

Owns the environment description, the psutil monitor sampled once per window, and the
noise checks that turn what it saw into warnings with remedies.
May import: ``stats``, ``results.types``, psutil; OpenVINO only for its version string.
"""
