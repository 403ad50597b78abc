"""The ``lockstep`` command line: a thin layer that parses flags and calls library code."""
