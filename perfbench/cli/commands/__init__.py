"""One module per CLI sub-command: each turns parsed options into output and an exit code."""
