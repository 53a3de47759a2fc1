"""logsleuth: why do SSH connections drop, and what should I change?

Public API: :func:`scan` builds a :class:`Report` from log sources, :func:`render`
turns it into text, and :func:`load_catalogue` loads the pattern catalogue.
"""

from __future__ import annotations

__version__ = "0.1.0"
