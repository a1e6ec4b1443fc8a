"""The exception types a user is meant to see, and how runtime messages are shortened.

Anything raised as :class:`UsageError` is printed by the CLI as a single line on stderr
with exit status 2; :class:`RunFailed` as one line with exit status 1; everything else is a
bug and keeps its traceback.
"""


class UsageError(Exception):
    """Bad input from the user: a flag, a profile, a model file, a device name."""


class RunFailed(Exception):
    """The runtime failed while measuring; carries the runtime's own message."""


class NothingCompleted(RunFailed):
    """No inference completed in the measured time (those in flight at the stop were cut):
    there is no latency or FPS to give, and a figure of 0 would be a wrong one."""


class Interrupted(Exception):
    """A signal arrived before anything was measured: there is nothing to report."""


def runtime_message(exc: BaseException) -> str:
    """The most telling line of an OpenVINO error.

    OpenVINO stacks "Exception from <file>:<line>:" and "Check '...'" lines in front of the
    plugin's own words; those are noise to a user, so the first other line is kept.
    """
    lines = [line.strip() for line in str(exc).splitlines() if line.strip()]
    for line in lines:
        if not line.startswith(("Exception from", "Check '")):
            return line[:300]
    return (lines[-1] if lines else type(exc).__name__)[:300]
