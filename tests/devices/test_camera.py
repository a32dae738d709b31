"""Camera decoding on generated frames (a fixed seed): the cascade, de-duplication, and no
false reads on frames without a code."""

from __future__ import annotations

from cylinder_scanner.decode import Decoder, regions, zxing
from cylinder_scanner.sources.camera import CameraSource
from tests.devices.framegen import frames, make_frame, qr_image


def test_the_cascade_reads_more_than_zxing_alone_and_never_misreads() -> None:
    sample = list(frames(40, seed=7))
    decoder = Decoder()
    plain = sum(f.text in zxing(f.image) for f in sample)
    cascade = 0
    for f in sample:
        found = decoder.decode(f.image)
        assert all(t == f.text for t in found)  # whatever it reads is right
        cascade += f.text in found
    assert cascade >= plain and cascade >= 30


def test_frames_without_a_code_read_nothing() -> None:
    import random

    rnd = random.Random(3)
    decoder = Decoder()
    for _ in range(15):
        assert decoder.decode(make_frame(rnd, with_code=False).image) == []


def test_the_region_finder_crops_where_the_code_is() -> None:
    f = next(frames(1, seed=11))
    crops = regions(f.image)
    assert crops and crops[0].shape == (360, 360)


def test_camera_source_deduplicates_a_code_seen_in_consecutive_frames() -> None:
    import numpy as np

    text = "HTTPS://CT.EXAMPLE.CN/C/CT0000001ZK/1ABCDEFGH"
    img = np.full((720, 1280), 200, np.uint8)
    qr = qr_image(text, 4)
    img[100:100 + qr.shape[0], 100:100 + qr.shape[1]] = qr
    source = CameraSource(iter([img, img, img]), dedup_window=60)
    first = source.read(1)
    assert first is not None and first.text == text and first.source == "camera"
    assert source.read(1) is None  # same code again, and then no more frames
