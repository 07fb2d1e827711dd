"""Errors a user can act on; the CLI prints them as one line and exits with code 2."""


class QAError(Exception):
    """Base class: the message says what went wrong and how to fix it."""


class CorpusError(QAError):
    """A seed file or folder cannot be read as articles."""


class IndexProblem(QAError):
    """The index folder is missing, corrupt, stale or built in an incompatible way."""


class QuestionError(QAError):
    """The question cannot be answered as given (empty, too long)."""


class ModelError(QAError):
    """The embedding model cannot be loaded."""



class IndexFolderError(QAError):
    """The index cannot be written there: the folder overlaps the seeds, holds other files, or the
    disk refused (full, read-only, permission, busy). The previous index is left as it was."""


class BackendError(QAError):
    """The store that holds an index's vectors and terms (a Milvus server or Milvus Lite file) cannot be
    reached, or does not hold this index (no collection, another model or dimension, another schema)."""
