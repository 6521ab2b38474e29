"""How each style name of a layout looks (XlsxWriter format properties): the book's look.

STYLES are cell formats; CONDITIONAL are conditional formats (XlsxWriter `conditional_format`
options), whose "format", if any, names a style of STYLES. Every cell style has a `blank_` twin for
the cells a student fills in: the same number format (what the student's formula gives shows as the
answer's does), in the light fill and dashed border of an empty cell to fill.

WIDEST: per style, the value its cells are sized for beyond the values written (a student's Solver
run moves the parameters; C_T of 96 images reaches three digits): columns are made wide enough for
both (layout/measure.py), so no cell shows ###.
"""

_FONT = {"font_name": "Microsoft YaHei", "font_size": 10}
_PARAM_FILL = "#E2EFDA"  # the light fill of the parameter cells
_BORDER = {"border": 1, "border_color": "#A6A6A6"}

STYLES: dict[str, dict] = {
    "label": {**_FONT},
    "title": {**_FONT, "bold": True, "font_size": 12},
    "header": {**_FONT, "bold": True, "align": "center"},
    "unit": {**_FONT, "align": "center"},
    "image_no": {**_FONT, "align": "center", "bold": True, "bottom": 2},
    "pixel": {**_FONT, "align": "center", "num_format": "0", **_BORDER},
    "digit": {**_FONT, "align": "center", "num_format": "0"},
    "teacher": {**_FONT, "align": "center", "num_format": "0"},
    "param": {**_FONT, "num_format": "0.000_ ", "bg_color": _PARAM_FILL, **_BORDER},
    "number": {**_FONT, "num_format": "0.000_ "},
    "cost": {**_FONT, "num_format": "0.000000_ "},
    "total": {**_FONT, "num_format": "0.000000_ ", "bold": True, "bg_color": "#FFF2CC", **_BORDER},
    "percent": {**_FONT, "num_format": "0.0%", "bold": True, **_BORDER},
    "verdict": {**_FONT, "align": "center"},
    "verdict_digit": {**_FONT, "align": "center", "num_format": "0", "bold": True, "bg_color": "#FFF2CC", **_BORDER},
    # the test pattern drawn again: the number hidden (;;;), the ink comes from the conditional format
    "drawn": {**_FONT, "num_format": ";;;", **_BORDER},
    "ink": {"bg_color": "#262626", "font_color": "#262626"},
    # chapter 2: measured data with one decimal like the book's table, the line's two parameters to six
    # decimals (the book's p = 0.41 and q = −12.06 show their digits), the objective, positions and steps
    "measure": {**_FONT, "align": "center", "num_format": "0.0", **_BORDER},
    "coefficient": {**_FONT, "num_format": "0.000000_ ", "bg_color": _PARAM_FILL, **_BORDER},
    "fitted": {**_FONT, "num_format": "0.00_ "},
    "objective": {**_FONT, "num_format": "0.0000_ ", "bold": True, "bg_color": "#FFF2CC", **_BORDER},
    "coordinate": {**_FONT, "num_format": "0.0000_ "},
    "start": {**_FONT, "num_format": "0.0##_ ", "bg_color": _PARAM_FILL, **_BORDER},
}

# where the student types a formula: a light fill and a dashed border, unlike any given cell
_BLANK = {"bg_color": "#EAF1FB", "border": 3, "border_color": "#8EA9DB"}
STYLES.update({f"blank_{name}": {**props, **_BLANK} for name, props in list(STYLES.items()) if name != "ink"})


def blank_style(style: str) -> str:
    """The style of an empty cell the student fills in, where the answer has `style`."""
    return f"blank_{style}"


WIDEST: dict[str, float] = {
    "param": -99.999,  # a trained weight (the book's reach ±25)
    "number": -99.999,  # z, a, δ and gradients
    "cost": 9.999999,  # C of one image: at most 1.5
    "total": 999.999999,  # C_T: at most 64 × 1 or 96 × 1.5
    "percent": 1.0,  # 100.0%
    "digit": 9,
    "verdict_digit": 9,
}

_INK, _PAPER = "#7F7F7F", "#FFFFFF"

CONDITIONAL: dict[str, dict] = {
    # pixels are 0 or 1: a fixed scale, so an image's paper stays white whatever its ink
    "pixel_scale": {"type": "2_color_scale", "min_type": "num", "min_value": 0, "max_type": "num", "max_value": 1,
                    "min_color": _PAPER, "max_color": _INK},
    # weights: negative blue, zero white, positive red — where a hidden unit looks for ink
    "weight_scale": {"type": "3_color_scale", "mid_type": "num", "mid_value": 0,
                     "min_color": "#5A8AC6", "mid_color": "#FFFFFF", "max_color": "#F8696B"},
    "ink": {"type": "cell", "criteria": "==", "value": 1, "format": "ink"},
    # activations a = σ(z) lie in 0…1 but a feature map's are mostly below 0.1: a fixed scale (maps
    # compare across images) with its middle at 0.1, so that a weak answer already shows
    "activation_scale": {"type": "3_color_scale", "min_type": "num", "min_value": 0, "mid_type": "num",
                         "mid_value": 0.1, "max_type": "num", "max_value": 1,
                         "min_color": _PAPER, "mid_color": "#F4B183", "max_color": "#C00000"},
}
