"""Generated camera frames for the tests and the camera benchmark (not part of the device, so
the device never imports the service's code module): a QR label on a 1280x720 grey scene,
small, blurred, rotated, in perspective, low in contrast, noisy. Fixed seed: same set each run."""

from __future__ import annotations

import random
from collections.abc import Iterator
from dataclasses import dataclass

import cv2
import numpy as np
import qrcode
from qrcode.constants import ERROR_CORRECT_M

WIDTH, HEIGHT = 1280, 720


@dataclass(frozen=True)
class Frame:
    image: np.ndarray  # uint8 grey, HEIGHT x WIDTH
    text: str | None  # what the QR in it says (None: no code in the frame)
    kind: str  # which degradations were applied


def qr_image(text: str, module_px: int) -> np.ndarray:
    qr = qrcode.QRCode(error_correction=ERROR_CORRECT_M, border=4, box_size=1)
    qr.add_data(text)
    qr.make(fit=True)
    m = np.array(qr.get_matrix(), dtype=np.uint8)
    img = np.where(m, 0, 255).astype(np.uint8)
    return cv2.resize(img, None, fx=module_px, fy=module_px, interpolation=cv2.INTER_NEAREST)


def label_text(rnd: random.Random) -> str:
    from cylinder_trace.domain.codes import make_code

    code = make_code("CT", rnd.randrange(1, 36**8))
    sig = "".join(rnd.choice("ABCDEFGHIJKLMNOPQRSTUVWXYZ234567") for _ in range(8))
    return f"HTTPS://CT.EXAMPLE.CN/C/{code}/1{sig}"


def _scene(rnd: random.Random) -> np.ndarray:
    base = rnd.randint(60, 200)
    img = np.full((HEIGHT, WIDTH), base, np.float32)
    gx = np.linspace(0, rnd.uniform(-40, 40), WIDTH, dtype=np.float32)
    img += gx[None, :]
    for _ in range(rnd.randint(3, 10)):  # clutter: rectangles and lines
        x, y = rnd.randrange(WIDTH), rnd.randrange(HEIGHT)
        cv2.rectangle(img, (x, y), (x + rnd.randint(20, 300), y + rnd.randint(20, 200)),
                      float(rnd.randint(0, 255)), -1 if rnd.random() < 0.5 else 2)
    return img


def make_frame(rnd: random.Random, with_code: bool = True) -> Frame:
    img = _scene(rnd)
    if not with_code:
        noise = np.random.default_rng(rnd.randrange(2**32)).normal(0, 6, img.shape)
        return Frame(np.clip(img + noise, 0, 255).astype(np.uint8), None, "no code")
    text = label_text(rnd)
    kinds = []
    module = rnd.choice([2, 2, 3, 3, 4, 5, 6])
    if module <= 2:
        kinds.append("small")
    qr = qr_image(text, module).astype(np.float32)
    h, w = qr.shape
    # paste onto a white label, then warp onto the scene
    angle = rnd.uniform(0, 360) if rnd.random() < 0.5 else rnd.uniform(-10, 10)
    if abs(angle) > 10:
        kinds.append("rotated")
    cx, cy = rnd.uniform(w, WIDTH - w), rnd.uniform(h, HEIGHT - h)
    src = np.array([[0, 0], [w, 0], [w, h], [0, h]], dtype=np.float32)
    rot = cv2.getRotationMatrix2D((w / 2, h / 2), angle, 1.0)
    pts = cv2.transform(src[None], rot)[0]
    if rnd.random() < 0.4:
        kinds.append("perspective")
        pts += np.array([[rnd.uniform(-0.15, 0.15) * w, rnd.uniform(-0.15, 0.15) * h]
                         for _ in range(4)], dtype=np.float32)
    pts += np.array([cx - w / 2, cy - h / 2], dtype=np.float32)
    matrix = cv2.getPerspectiveTransform(src, pts.astype(np.float32))
    label = cv2.warpPerspective(qr, matrix, (WIDTH, HEIGHT), flags=cv2.INTER_LINEAR,
                                borderValue=-1.0)
    mask = cv2.warpPerspective(np.ones_like(qr), matrix, (WIDTH, HEIGHT)) > 0.5
    contrast = 1.0
    if rnd.random() < 0.35:
        kinds.append("low-contrast")
        contrast = rnd.uniform(0.25, 0.5)
    mid = float(img[mask].mean()) if mask.any() else 128.0
    img[mask] = mid + (label[mask] - 128.0) * contrast
    if rnd.random() < 0.5:
        kinds.append("blurred")
        k = rnd.choice([3, 5, 7])
        img = cv2.GaussianBlur(img, (k, k), rnd.uniform(0.8, 2.0))
    noise = np.random.default_rng(rnd.randrange(2**32)).normal(0, rnd.uniform(2, 10), img.shape)
    out = np.clip(img + noise, 0, 255).astype(np.uint8)
    return Frame(out, text, "+".join(kinds) or "plain")


def frames(n: int, seed: int = 2026, empty_share: float = 0.0) -> Iterator[Frame]:
    rnd = random.Random(seed)
    for _ in range(n):
        yield make_frame(rnd, with_code=rnd.random() >= empty_share)
