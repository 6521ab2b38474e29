"""How each style name of a layout looks (XlsxWriter format properties): the book's look."""

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
    "blank": {**_FONT, **_BORDER},
}
