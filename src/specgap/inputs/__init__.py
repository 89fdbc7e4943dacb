"""Everything that turns what an agent left behind into a `ChangeSet`.

git ranges and worktrees (`load_git`), unified diffs (`load_diff`), files and directory trees,
including transcripts found among them (`load_files`), and two trees compared (`load_trees`).
"""

from specgap.inputs.diff import load_diff
from specgap.inputs.errors import InputFailure
from specgap.inputs.files import load_files
from specgap.inputs.git import load_git, load_staged, read_at
from specgap.inputs.roles import RoleConfig
from specgap.inputs.trees import load_trees

__all__ = ["InputFailure", "RoleConfig", "load_diff", "load_files", "load_git", "load_staged", "load_trees", "read_at"]
