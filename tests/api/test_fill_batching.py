"""The fill authorizations' batches (services/authorizing.py): a batch smaller than the one
before lingers for the scans on their way back; a lone scan after a lone scan does not wait;
every scan still gets its own committed decision."""

from __future__ import annotations

import asyncio
import time
from typing import Any

from cylinder_trace.db.engine import get_engine, libpq_url
from cylinder_trace.services.authorizing import Authorizer, ScanRequest, key_hash
from tests.factories import GOOD


def _batches(world: Any, n: int) -> tuple[Authorizer, list[int], list[ScanRequest]]:
    e = world.enterprise()
    key = world.api_key(world.station(e["id"])["id"])["X-API-Key"]
    scans = [ScanRequest(key_hash(key), world.cylinder(e["id"], **GOOD)["qr_text"], None, None)
             for _ in range(n)]
    authorizer = Authorizer(libpq_url(get_engine().url.render_as_string(hide_password=False)))
    sizes: list[int] = []
    run = authorizer._run

    async def counted(batch: list[Any]) -> None:
        sizes.append(len(batch))
        await run(batch)

    authorizer._run = counted  # type: ignore[method-assign]
    return authorizer, sizes, scans


def test_a_smaller_batch_waits_for_the_scans_on_their_way(world: Any) -> None:
    authorizer, sizes, scans = _batches(world, 4)
    authorizer.linger = 0.2  # long enough to be sure of on a busy machine

    async def main() -> list[Any]:
        await authorizer.open()
        try:
            authorizer.last_batch = 8  # as after a batch of 8
            first = asyncio.ensure_future(authorizer.authorize(scans[0]))
            await asyncio.sleep(0.02)  # the three others come back while the first lingers
            rest = [asyncio.ensure_future(authorizer.authorize(s)) for s in scans[1:]]
            return await asyncio.gather(first, *rest)
        finally:
            await authorizer.close()

    answers = asyncio.run(main())
    assert sizes == [4]  # one batch, not one and then three
    assert [a["decision"] for a in answers] == ["allow"] * 4
    assert len({a["authorization_id"] for a in answers}) == 4


def test_a_lone_scan_after_a_lone_scan_does_not_wait(world: Any) -> None:
    authorizer, sizes, scans = _batches(world, 3)
    authorizer.linger = 5.0  # a wait would show

    async def main() -> float:
        await authorizer.open()
        try:
            started = time.perf_counter()
            for scan in scans:  # one station's scanner, one cylinder after another
                assert (await authorizer.authorize(scan))["decision"] == "allow"  # type: ignore[index]
            return time.perf_counter() - started
        finally:
            await authorizer.close()

    assert asyncio.run(main()) < 5.0
    assert sizes == [1, 1, 1]
