"""Built-in profiles, shipped as package data (installed as ``perfbench.builtin_profiles``)."""
