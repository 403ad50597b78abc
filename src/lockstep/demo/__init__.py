"""``lockstep demo``: the main job on embedded defaults, narrated step by step.

- ``runner``        — the seed scenarios one after the other, and the verdict;
- ``ams_migration`` — seed 003, ``org_sync`` — seed 002, ``service_app`` — seed 001;
- ``narrator``      — titles, steps, checks and their tally;
- ``environment``   — the examples, the emulator logins a config reads, org counts;
- ``ams_data``, ``hub_data``, ``app_data`` — the scenarios' databases;
- ``emulator_tour`` — ``lockstep demo --tour``: the emulator through simple-salesforce.
"""
