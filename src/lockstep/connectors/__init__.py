"""One module or package per kind of system, each behind ``base.Connector``."""
