"""Built-in profiles, shipped as package data (installed as
``perfbench.settings.builtin_profiles``)."""
