"""``python -m lockstep_emulator``: the same as the ``lockstep-emulator`` command."""

from lockstep_emulator.cli.app import main

if __name__ == "__main__":
    main()
