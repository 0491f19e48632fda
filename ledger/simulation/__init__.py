"""The demo and the traffic simulator: tools that sign with demo keys on a simulated clock. A leaf:
only the command line imports it (an import-linter contract)."""
