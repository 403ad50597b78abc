"""Exit codes of the emulator's commands: the same contract as lockstep's (0 done,
1 done with failed records, 2 bad usage, 3 could not run)."""

EXIT_OK = 0
EXIT_FAILED_RECORDS = 1
EXIT_USAGE = 2
EXIT_CANNOT_RUN = 3
