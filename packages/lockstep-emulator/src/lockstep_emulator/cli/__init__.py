"""The emulator's command line: ``lockstep-emulator serve`` and the admin commands, also
mounted by lockstep as ``lockstep emulator …``."""
