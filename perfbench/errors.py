"""The one exception type a user is meant to see.

Anything raised as :class:`UsageError` is printed by the CLI as a single line on stderr
with exit status 2; everything else is a bug and keeps its traceback.
"""


class UsageError(Exception):
    """Bad input from the user: a flag, a profile, a model file, a device name."""


class RunFailed(Exception):
    """The runtime failed while measuring; carries the runtime's own message."""
