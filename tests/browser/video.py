"""A test video for Chromium's fake camera: a cylinder's QR label held in front of the lens,
as Y4M (the raw format `--use-file-for-fake-video-capture` plays, looping)."""

from __future__ import annotations

from pathlib import Path

import qrcode
from PIL import Image, ImageDraw


def label_frame(text: str, size: tuple[int, int] = (640, 480), shift: int = 0) -> Image.Image:
    frame = Image.new("RGB", size, (96, 104, 112))  # the cylinder's grey steel
    draw = ImageDraw.Draw(frame)
    qr = qrcode.QRCode(border=4, box_size=6, error_correction=qrcode.constants.ERROR_CORRECT_M)
    qr.add_data(text)
    img = qr.make_image(fill_color="black", back_color="white").convert("RGB")
    side = min(300, size[1] - 80)
    img = img.resize((side, side), Image.Resampling.NEAREST)
    x, y = (size[0] - side) // 2 + shift, (size[1] - side) // 2
    draw.rectangle([x - 20, y - 20, x + side + 20, y + side + 40], fill=(250, 250, 250))
    frame.paste(img, (x, y))
    return frame


def write_y4m(path: Path, text: str, seconds: float = 2.0, fps: int = 15,
              size: tuple[int, int] = (640, 480)) -> Path:
    """YUV 4:2:0 frames of the label, swaying a little so no two frames are the same."""
    w, h = size
    with open(path, "wb") as out:
        out.write(f"YUV4MPEG2 W{w} H{h} F{fps}:1 Ip A1:1 C420jpeg\n".encode())
        for i in range(int(seconds * fps)):
            ycc = label_frame(text, size, shift=(i % 7) - 3).convert("YCbCr")
            y, cb, cr = ycc.split()
            out.write(b"FRAME\n")
            out.write(y.tobytes())
            out.write(cb.resize((w // 2, h // 2), Image.Resampling.BILINEAR).tobytes())
            out.write(cr.resize((w // 2, h // 2), Image.Resampling.BILINEAR).tobytes())
    return path
