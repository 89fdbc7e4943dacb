"""Pages of the checks that run outside `specgap scan`: SG7xx (`verify`), SG8xx (`monitor`) and
SG10xx (`probe`, `impossible`: `propensity`).

Identity and documentation only, importing neither pillar: the pillars import their ids and
pages from here, and the registry documents them beside the scan rules.
"""
