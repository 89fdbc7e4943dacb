"""Two directory trees compared."""
from specgap.model import ChangeSet
def load_trees(before_dir, after_dir, roles=None) -> ChangeSet:
    raise NotImplementedError
