"""hoi-dap: question answering over Vietnamese news articles, with cited, verbatim answers."""
from __future__ import annotations

__version__ = "0.1.0"

from .engine import Engine, load  # noqa: E402
from .errors import QAError  # noqa: E402
from .records import Answer, Article, Chunk, Hit  # noqa: E402
from .settings import Settings  # noqa: E402

__all__ = ["load", "Engine", "Hit", "Answer", "Article", "Chunk", "Settings", "QAError", "__version__"]
