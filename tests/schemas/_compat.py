"""Keep hypothesis-jsonschema 0.23.1 (its latest release) working on newer Hypothesis.

hypothesis-jsonschema builds objects with the private ``hypothesis.internal.conjecture.utils.many``
through ``while elements.more(): ...``. Hypothesis 6.168.3 still has that method; by 6.170 ``many``
became a context manager iterated with ``for _ in elements`` and ``more()`` is gone, so every object
schema fails with ``AttributeError: 'many' object has no attribute 'more'``.

``install()`` gives ``many`` a ``more()`` that drives the new class through the same steps its
iterator takes (finish the previous element's span, draw the continue/stop decision, open the
next element), so the choice sequence and span tree look as they would with the ``for`` loop. It
does nothing on a Hypothesis that still has ``more()``. Remove this module once the project pins a
Hypothesis that hypothesis-jsonschema supports, or hypothesis-jsonschema catches up.
"""

from __future__ import annotations

from typing import Any

from hypothesis.internal.conjecture import utils as conjecture_utils


def _more(self: Any) -> bool:
    if self._depth is None:
        self._depth = self.data.depth
        self._iterated = True
    self._finish_element()
    if not self._decide():
        self._closed = True
        return False
    self.count += 1
    self._in_element = True
    self._rejected = False
    return True


def install() -> None:
    many = conjecture_utils.many
    if hasattr(many, "more"):
        return
    many.more = _more  # type: ignore[attr-defined]
