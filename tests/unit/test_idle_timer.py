import asyncio
import math

from cligate.idle_timer import IdleTimer


def run(scenario: object) -> None:
    asyncio.run(scenario)  # type: ignore[arg-type]


def test_fires_once_the_connection_goes_quiet() -> None:
    fired: list[float] = []

    async def scenario() -> None:
        loop = asyncio.get_running_loop()
        started = loop.time()
        timer = IdleTimer(loop, 0.05, lambda: fired.append(loop.time() - started))
        await asyncio.sleep(0.2)
        assert timer.expired

    run(scenario())
    assert len(fired) == 1 and fired[0] >= 0.05


def test_activity_postpones_it() -> None:
    fired: list[bool] = []

    async def scenario() -> None:
        timer = IdleTimer(asyncio.get_running_loop(), 0.1, lambda: fired.append(True))
        for _ in range(10):  # 0.3 s of activity, never 0.1 s quiet
            await asyncio.sleep(0.03)
            timer.touch()
        timer.cancel()

    run(scenario())
    assert fired == []


def test_infinite_allowance_never_fires_and_a_shorter_one_applies_at_once() -> None:
    fired: list[bool] = []

    async def scenario() -> None:
        timer = IdleTimer(asyncio.get_running_loop(), math.inf, lambda: fired.append(True))
        await asyncio.sleep(0.1)
        assert fired == []
        timer.set_timeout(0.05)
        await asyncio.sleep(0.2)

    run(scenario())
    assert fired == [True]
