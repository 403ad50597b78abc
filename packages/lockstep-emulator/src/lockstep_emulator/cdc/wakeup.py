"""Waking long polls when events commit, from whichever thread committed them.

Writes commit on the event loop (REST) or on worker threads (Bulk jobs); long polls
wait on the loop. ``notify_threadsafe`` hops onto the loop. Each notification sets
the current ``asyncio.Event`` and replaces it, so a poll takes its ``token()``
*before* looking for events: a commit landing between the look and the wait has
then already set the token it waits on, and no wake-up is ever lost.
"""

from __future__ import annotations

import asyncio
import contextlib


class Wakeup:
    """A broadcast "something changed" for the coroutines of one event loop."""

    def __init__(self) -> None:
        self._loop: asyncio.AbstractEventLoop | None = None
        self._event = asyncio.Event()
        self.closed = False

    def bind(self) -> None:
        """Remember the running loop (call from it) so other threads can reach it."""
        if self._loop is None:
            self._loop = asyncio.get_running_loop()

    def token(self) -> asyncio.Event:
        """What to wait on: set by the next notification."""
        return self._event

    def notify(self) -> None:
        """Wake every waiter (on the loop's thread)."""
        event, self._event = self._event, asyncio.Event()
        event.set()

    def notify_threadsafe(self) -> None:
        """Wake every waiter, from any thread; nothing to do before any poll or after close."""
        loop = self._loop
        if loop is None or loop.is_closed():
            return
        with contextlib.suppress(RuntimeError):  # the loop closed meanwhile
            loop.call_soon_threadsafe(self.notify)

    def close(self) -> None:
        """End every wait now and every later one at once (the server is stopping)."""
        self.closed = True
        self.notify()

    @staticmethod
    async def wait(token: asyncio.Event, timeout: float) -> None:
        """Until ``token`` is set or ``timeout`` seconds pass."""
        if timeout <= 0:
            return
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(token.wait(), timeout)
