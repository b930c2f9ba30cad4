"""Personal names as compared at a kiosk: the Python twin of SQL macro person_name()."""

from __future__ import annotations

import re

_CJK = re.compile(r"[\u3400-\u9fff]")
_DOTS = re.compile(r"[•・．.‧･]")


def normalise(name: str) -> str:
    """Trim; a CJK name loses inner spaces and its middle dots become ·; other names keep one space."""
    name = name.strip().strip("\u3000")
    if _CJK.search(name):
        return _DOTS.sub("·", re.sub(r"\s+", "", name))
    return re.sub(r"\s+", " ", name)
