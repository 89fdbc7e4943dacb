"""Pages of the checks that run outside `specgap scan`: SG7xx (`verify`) and SG8xx (`monitor`).

Identity and documentation only, importing neither pillar: the pillars import their ids and
pages from here, and the registry documents them beside the scan rules.
"""
