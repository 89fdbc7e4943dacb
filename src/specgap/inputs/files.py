"""Files and directory trees taken as written by the agent (every line counts as added)."""
from specgap.model import ChangeSet
def load_files(paths, roles=None) -> ChangeSet:
    raise NotImplementedError
