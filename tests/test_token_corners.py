"""A region's plan reads the corners of each template token at all of an item's cells at once
(Layout._token_corners, index arrays); Layout.token_span says the same one cell at a time. The two
must name the same rectangles: for every token of every kind's templates, at every cell of an item,
at first, second and last iterations and images."""

import numpy as np
import pytest

from sheetnet.layout.model import _TOKEN, TYPED
from sheetnet.mirror.kinds import KINDS

N_IMAGES, N_ITERATIONS = 5, 3


def _regions(q):
    """(template, iterations, images) where each of q's templates applies, as Layout._plans reads them."""
    its = range(N_ITERATIONS if q.per_iteration else 1)
    imgs = range(N_IMAGES if q.per_image else 1)
    later = 0
    if q.first_iteration is not None:
        yield q.first_iteration, its[:1], imgs
        later = 1
    if q.first_formula is not None:
        yield q.first_formula, its[later:], imgs[:1]
        yield q.formula, its[later:], imgs[1:]
    else:
        yield q.formula, its[later:], imgs


@pytest.mark.parametrize("kind", KINDS, ids=lambda k: k.name)
def test_token_corners_name_what_token_span_names(kind):
    layout = kind.layout
    tokens = 0
    for q in layout.quantities:
        units, (rows, cols) = q.place.units, q.place.shape
        cells = [(u, r, c) for u in range(units) for r in range(rows) for c in range(cols)]
        unit, r, c = (np.array(v, dtype=np.int64) for v in zip(*cells))
        for template, its, imgs in _regions(q):
            if not template or template == TYPED or not template.startswith("=") or not its or not imgs:
                continue
            for m in _TOKEN.finditer(template):
                if m.group(2) == "label":
                    continue
                for it in sorted({its[0], its[min(1, len(its) - 1)], its[-1]}):
                    for image in sorted({imgs[0], imgs[min(1, len(imgs) - 1)], imgs[-1]}):
                        at_once = layout._token_corners(m, q, N_IMAGES, N_ITERATIONS, it, image, unit, r, c)
                        one_by_one = [layout.token_span(m, q, N_IMAGES, (image, *cell, it, N_ITERATIONS)).corners
                                      for cell in cells]
                        assert at_once.tolist() == [list(x) for x in one_by_one], (q.name, m.group(0), it, image)
                        tokens += 1
    assert tokens  # every kind has formulas with references
