import asyncio

import pytest

from writing7.serve.batching import MicroBatcher


class Recorder:
    """A real batch function (squares numbers) that records the size of every batch it ran."""

    def __init__(self, fail_on=None):
        self.sizes, self.fail_on = [], fail_on

    def __call__(self, items):
        self.sizes.append(len(items))
        if self.fail_on in items:
            raise ValueError(f"cannot square {self.fail_on}")
        return [item * item for item in items]


def run(coroutine):
    return asyncio.run(coroutine)


async def submit_all(batcher, requests):
    await batcher.start()
    try:
        return await asyncio.gather(*(batcher.submit(items) for items in requests), return_exceptions=True)
    finally:
        await batcher.stop()


def test_concurrent_requests_share_batches_and_get_their_own_results():
    recorder = Recorder()
    batcher = MicroBatcher(recorder, max_batch_size=8, max_wait_ms=50)
    requests = [[number] for number in range(20)]
    results = run(submit_all(batcher, requests))
    assert results == [[number * number] for number in range(20)]
    assert sum(recorder.sizes) == 20 and max(recorder.sizes) <= 8
    assert len(recorder.sizes) <= 5  # 20 one-item requests in batches of up to 8
    assert batcher.stats()["items"] == 20 and batcher.stats()["batches"] == len(recorder.sizes)


def test_multi_item_requests_are_never_split():
    recorder = Recorder()
    batcher = MicroBatcher(recorder, max_batch_size=4, max_wait_ms=20)
    requests = [[1, 2, 3], [4, 5, 6], [7, 8, 9, 10, 11]]  # the last one is larger than a batch: it runs alone
    results = run(submit_all(batcher, requests))
    assert results == [[1, 4, 9], [16, 25, 36], [49, 64, 81, 100, 121]]
    assert sorted(recorder.sizes) == [3, 3, 5]


def test_a_failing_batch_fails_each_of_its_requests_and_the_batcher_keeps_working():
    recorder = Recorder(fail_on=13)
    batcher = MicroBatcher(recorder, max_batch_size=64, max_wait_ms=20)

    async def scenario():
        await batcher.start()
        try:
            first = await asyncio.gather(batcher.submit([2]), batcher.submit([13]), return_exceptions=True)
            second = await batcher.submit([3])
            return first, second
        finally:
            await batcher.stop()

    first, second = run(scenario())
    assert all(isinstance(result, ValueError) for result in first)
    assert second == [9]


def test_disabled_batching_runs_one_forward_per_request():
    recorder = Recorder()
    batcher = MicroBatcher(recorder, max_batch_size=64, enabled=False)
    results = run(submit_all(batcher, [[1], [2], [3, 4]]))
    assert results == [[1], [4], [9, 16]]
    assert sorted(recorder.sizes) == [1, 1, 2]


def test_submitting_before_start_is_an_error():
    batcher = MicroBatcher(Recorder())
    with pytest.raises(RuntimeError, match="not started: call start"):
        run(batcher.submit([1]))


def test_stop_fails_waiting_requests_with_a_retry_message():
    def slow(items):
        import time

        time.sleep(0.2)
        return items

    batcher = MicroBatcher(slow, max_batch_size=1, max_wait_ms=0)

    async def scenario():
        await batcher.start()
        first = asyncio.create_task(batcher.submit([1]))
        waiting = asyncio.create_task(batcher.submit([2]))
        await asyncio.sleep(0.05)
        await batcher.stop()
        return await asyncio.gather(first, waiting, return_exceptions=True)

    results = run(scenario())
    assert all(isinstance(result, RuntimeError) and "shutting down" in str(result) for result in results)
