"""Keys take effect in the order they were typed, even when a terminal read delivers a burst.

Why this exists (issue 14, "fast typing loses input"). Textual handles one key in two places:
- a printable character is inserted by the focused Input in its own message handler, at once;
- every other key (backspace, delete, arrows, home/end, tab, enter, escape, F-keys, ctrl+s ...)
  is a *binding*: it takes effect only when the Key event has bubbled back up through the
  message queue of every ancestor (Input -> FormField -> form -> ... -> Screen) to the App,
  which then runs the binding (App._on_key -> _check_bindings).
And the App forwards each key to the widget that is focused *when the App dequeues it*.
So when keys arrive together (a read of several bytes, as tmux send-keys or a fast typist on a
busy app produce), the App forwards the whole burst to the focused Input before any binding in
it has run: characters typed after a backspace are inserted before the backspace deletes
("ab<BS><BS>20" leaves "ab"), characters typed after Tab land in the field being left, and a
file name typed after Ctrl+S goes into the form instead of the prompt. An invalid intermediate
value makes it likelier at human speed: the field mounts its error line and restyles, which
slows every hop of the bubbling key.

The fix: the App dispatches one key at a time. After forwarding a key it posts a `KeyFence`
message to the same widget; the fence bubbles along the same path behind the key (each message
pump handles its queue in order), so when it reaches the App the key has been fully handled
(stopped on the way, or run as a binding). The next key is dispatched one App-queue turn later,
so focus changes requested with `Widget.focus()` (a `call_later`) happen first; a screen pushed
by a key is waited for until it is mounted (its `on_mount` sets the focus). A fence that never
comes back (its widget was removed) is given up after `FENCE_TIMEOUT_S`, so keys cannot stall.
"""

from __future__ import annotations

from collections import deque

from textual import events
from textual.app import App
from textual.message import Message
from textual.timer import Timer
from textual.widgets import Input

FENCE_TIMEOUT_S = 0.5
"""How long a key may be in flight before the next one is dispatched anyway."""
SETTLING = -1
"""`_fence_pending` while the App takes one more queue turn after a fence came back."""


class KeyFence(Message):
    """Posted behind a forwarded key; reaching the App means that key has been handled."""

    def __init__(self, serial: int) -> None:
        super().__init__()
        self.serial = serial


class OrderedKeysMixin(App):
    """Mix into an App (before App) to dispatch keys strictly one after another."""

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self._keys_waiting: deque[events.Key] = deque()
        self._fence_serial = 0
        self._fence_pending: int | None = None
        self._fence_timer: Timer | None = None

    async def on_event(self, event: events.Event) -> None:
        if isinstance(event, events.Key) and not event.is_forwarded:
            self._keys_waiting.append(event)
            if self._fence_pending is None:
                await self._dispatch_keys()
            return
        await super().on_event(event)

    async def _dispatch_keys(self) -> None:
        while self._keys_waiting and self._fence_pending is None:
            screen = self.screen
            if not screen.is_mounted:  # a key pushed this screen: its on_mount sets the focus
                self._fence(screen)
                return
            event = self._keys_waiting.popleft()
            target = self.focused or screen
            await super().on_event(event)  # priority bindings, else forward to the focused widget
            if event.is_forwarded and not (event.is_printable and isinstance(target, Input)):
                # an Input inserts every printable key itself (it never bubbles): the next key can
                # follow it into the same queue at once; any other key is waited for
                self._fence(target)

    def _fence(self, target) -> None:
        self._fence_serial += 1
        self._fence_pending = self._fence_serial
        target.post_message(KeyFence(self._fence_serial))
        if self._fence_timer is not None:
            self._fence_timer.stop()
        self._fence_timer = self.set_timer(FENCE_TIMEOUT_S, lambda serial=self._fence_serial: self._release(serial))

    def _release(self, serial: int) -> None:
        if self._fence_pending != serial:
            return  # stale
        self._fence_pending = SETTLING  # keys arriving meanwhile wait in the queue
        if self._fence_timer is not None:
            self._fence_timer.stop()
            self._fence_timer = None
        # one more turn of the App's queue: focus() calls made while handling the key land first
        self.call_later(self._settled)

    async def _settled(self) -> None:
        if self._fence_pending == SETTLING:
            self._fence_pending = None
            await self._dispatch_keys()

    def on_key_fence(self, message: KeyFence) -> None:
        message.stop()
        self._release(message.serial)
