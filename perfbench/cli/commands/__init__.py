"""One module per CLI sub-command, each owning its arguments and its run:

- ``add_parser(sub)``: its sub-parser (name, aliases, help, options) on ``sub``, the
  ``add_subparsers`` object of the ``perfbench`` parser;
- ``run(args) -> int``: the checks, the work and the exit status;
- ``HANDLES_SIGNALS``: whether it stops on a signal itself (``cli.signals``), keeping what
  it measured; the others get the default behaviour back once the program has started;
- optionally ``check_argv(argv)``, a check before parsing (run: benchmark_app's spellings),
  and ``check_settings(args)``, its settings checked without running (the commands fleet run
  sends to its nodes: run, sweep, suite).

The other modules here are parts of one command (``ab_attribute``: ab --attribute;
``suite_ab``: suite --ab; ``server_search``: sweep --scenario server) or of the two that
measure one configuration (``single_run``, ``shapes``: run and benchmark-app).  No command
imports another.
"""

#: The commands (module names here), in the order ``perfbench --help`` lists them.  The
#: command is the module's name with ``-`` for ``_``.
COMMANDS = ("run", "ab", "save_model", "info", "profiles", "compare", "sweep", "history",
            "peak", "fleet", "report", "suite", "benchmark_app")
