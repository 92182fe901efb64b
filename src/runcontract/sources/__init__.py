"""Sources: files, folders and stdin turned into observations of run objects and read errors.

`read_paths` is the one entry point; see README.md in this folder for the formats it reads.
"""

from runcontract.sources.limits import DEFAULT_LIMITS, Limits
from runcontract.sources.reader import FileDone, read_paths

__all__ = ["DEFAULT_LIMITS", "FileDone", "Limits", "read_paths"]
