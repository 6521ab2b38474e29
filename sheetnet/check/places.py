"""What sits at a cell: the layout read backwards, (sheet, row, col) → (quantity, index).

Formula analysis asks it what a student's reference points at ("image 9's x", "w2 of unit 2"),
and how to name places as the student sees them.
"""

from __future__ import annotations

from functools import cached_property
from itertools import product, repeat

from sheetnet.i18n import _
from sheetnet.memo import Memo
from sheetnet.mirror.load import Loaded
from sheetnet.xlsx.refs import cell_name, range_name

Place = tuple[str, tuple[int, ...]]  # (quantity name, index into its layout shape)


_AT = Memo(8)  # a layout's cells → places, per images, iterations and sheets present: never changed


def _places(layout, n: int, n_iterations: int, roles: frozenset) -> dict[tuple[str, int, int], Place]:
    at = {}
    for q in layout.quantities:
        if q.sheet not in roles:
            continue
        pos = layout.positions(q, n, n_iterations)
        shape = pos.shape[:-1]
        flat = pos.reshape(-1, 2)
        at.update(zip(zip(repeat(q.sheet), flat[:, 0].tolist(), flat[:, 1].tolist()),
                      zip(repeat(q.name), product(*map(range, shape)))))
    return at


class Places:
    def __init__(self, loaded: Loaded):
        self.loaded = loaded
        self.layout = loaded.layout
        self.n = loaded.n_images
        self.n_iterations = loaded.n_iterations
        self.role_of_sheet = {name.upper(): role for role, name in loaded.sheet_names.items()}

    @cached_property
    def _at(self) -> dict[tuple[str, int, int], Place]:
        roles = frozenset(q.sheet for q in self.layout.quantities if q.sheet in self.loaded.sheet_names)
        return _AT.get(self.layout, (self.n, self.n_iterations, roles),  # the next workbook alike (a class check)
                       lambda: _places(self.layout, self.n, self.n_iterations, roles))

    def at(self, role: str, row: int, col: int) -> Place | None:
        return self._at.get((role, row, col))

    def role(self, sheet: str | None, own_role: str) -> str | None:
        """The role of the sheet a reference names (None: a sheet the layout does not know)."""
        if sheet is None:
            return own_role
        return self.role_of_sheet.get(sheet.upper())

    def image_shift(self, role: str, image: int) -> int:
        """How many columns image `image` (0-based) sits to the right of image 1 on a sheet."""
        return self.layout.sheet(role).image_step[1] * image

    # -- names as the student sees them --------------------------------------------------------
    def label(self, name: str, index: tuple[int, ...]) -> str:
        """'a2_1', 'x(2,3)', 'C_T' — numbered from 1 like the book."""
        return self.layout.label(name, index)

    def describe(self, places: set[Place], addresses: bool = True) -> str:
        """A set of cells in the student's terms: 'w2_2 (学习!D9:F12)', 'z2 of image 4 (学习!AA11:AA13)'."""
        groups: dict[tuple, list] = {}
        for name, index in places:
            q = self.layout[name]
            it, image, *_rest = self.layout.index_parts(q, index)
            groups.setdefault((name, it if q.per_iteration else None, image if q.per_image else None), []).append(index)
        order = {q.name: i for i, q in enumerate(self.layout.quantities)}
        parts = []
        for (name, it, image), indexes in sorted(groups.items(),
                                                 key=lambda g: (g[0][1] or 0, order[g[0][0]], g[0][2] or 0)):
            q = self.layout[name]
            units = sorted({self.layout.index_parts(q, i)[2] for i in indexes})
            what = self.layout.shown(name)
            if len(indexes) == 1 and q.place.shape != (1, 1):
                what = self.layout.shown_label(name, indexes[0])
            elif q.place.units > 1 and len(units) < q.place.units:
                what += "_" + ",".join(str(u + 1) for u in units)
            if image is not None:
                what = _("{what} of image {n}").format(what=what, n=image + 1)
            if it is not None and self.n_iterations > 1:
                what = _("{what} in iteration {n}").format(what=what, n=it + 1)
            parts.append(f"{what} ({self.address(name, indexes)})" if addresses else what)
        return ", ".join(parts)

    def address(self, name: str, indexes: list[tuple[int, ...]]) -> str:
        """The cells of one quantity as an address: a range when they fill their bounding box."""
        q = self.layout[name]
        pos = self.layout.positions(q, self.n, self.n_iterations)
        cells = [tuple(int(v) for v in pos[i]) for i in indexes]
        rows, cols = [r for r, _c in cells], [c for _r, c in cells]
        box = (max(rows) - min(rows) + 1) * (max(cols) - min(cols) + 1)
        if box == len(set(cells)):
            text = range_name(min(rows), min(cols), max(rows), max(cols))
        else:
            text = ",".join(cell_name(r, c) for r, c in sorted(set(cells)))
        return f"{self.loaded.sheet_names[q.sheet]}!{text}"


def image_range(images, noun: str = "image", plural: str = "images") -> str:
    """[0, 1, 2, 5] → 'images 1–3, 6' (0-based in, 1-based out, like the book); the layout's nouns
    ('students 1–7', 'steps 1–8')."""
    images = sorted(set(images))
    return f"{_(noun) if len(images) == 1 else _(plural)} {number_runs(images)}"


def count_text(layout, n_images: int, n_iterations: int) -> str:
    """'64 images', '7 students', or for a layout without items its steps: '8 steps'."""
    if layout.has_items:
        n, one, many = n_images, layout.item_noun, layout.item_plural
    else:
        n, one, many = n_iterations, layout.iteration_noun, layout.iteration_plural
    return _("{n} {items}").format(n=n, items=_(one) if n == 1 else _(many))  # '64 个图像', '画像数 64'


def number_runs(numbers) -> str:
    """[0, 1, 2, 5] → '1–3, 6' (0-based in, 1-based out)."""
    numbers = sorted(set(numbers))
    runs, start = [], None
    for k, i in enumerate(numbers):
        start = i if start is None else start
        if k + 1 == len(numbers) or numbers[k + 1] != i + 1:
            runs.append(f"{start + 1}" if start == i else f"{start + 1}–{i + 1}")
            start = None
    return ", ".join(runs)
