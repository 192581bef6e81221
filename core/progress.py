"""Progress bars for long operations whose total is known only once they start."""

import sys

from tqdm import tqdm


class ProgressBar:
    """A ``progress(done, total)`` callback for services that draws a bar on stderr.

    The bar appears on the first call (when the total is known) and only for totals of at
    least ``min_total``, so small runs stay quiet. Use as a context manager to close it.
    """

    def __init__(self, *, desc: str, unit: str, min_total: int = 1):
        self.desc, self.unit, self.min_total = desc, unit, min_total
        self._bar: tqdm | None = None

    def __call__(self, done: int, total: int) -> None:
        if self._bar is None:
            self._bar = tqdm(
                total=total, unit=self.unit, desc=self.desc, disable=total < self.min_total, file=sys.stderr
            )
        self._bar.update(done - self._bar.n)

    def __enter__(self) -> "ProgressBar":
        return self

    def __exit__(self, *exc) -> None:
        if self._bar is not None:
            self._bar.close()
