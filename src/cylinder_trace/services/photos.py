"""Photos people send (a public report, a regulator's inspection): size-limited, and type-checked
by decoding the whole image, not by trusting its name, its declared type or its first bytes."""

from __future__ import annotations

import io

from PIL import Image, UnidentifiedImageError

from ..config import get_settings
from ..domain.errors import Invalid
from ..domain.reports import Photo, photo_type


def checked_photo(data: bytes) -> Photo:
    limit = get_settings().report_photo_max_bytes
    if len(data) > limit:
        raise Invalid(f"A photo may be at most {limit // 1024} KiB", reason="PHOTO_TOO_LARGE")
    media_type = photo_type(data)
    if media_type is None:
        raise Invalid("A photo must be a JPEG or PNG image", reason="PHOTO_TYPE")
    try:  # the first bytes can lie: the whole file must decode as an image
        with Image.open(io.BytesIO(data)) as image:
            image.verify()
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError) as exc:
        raise Invalid("The photo is not a readable image", reason="PHOTO_TYPE") from exc
    return Photo(media_type, data)
