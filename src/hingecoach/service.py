"""Running under systemd: sd_notify (READY, WATCHDOG, STOPPING, STATUS) and a clean SIGTERM.

No extra dependency: the notify protocol is one datagram of ``KEY=VALUE`` lines sent to the
``AF_UNIX``/``SOCK_DGRAM`` socket named by ``$NOTIFY_SOCKET`` (a path, or ``@name`` for the
abstract namespace); see sd_notify(3). Outside systemd ``NOTIFY_SOCKET`` is unset and every
call is a no-op, so the same loop runs in a terminal, in tests and on the Pi.

The watchdog must be pinged from the frame loop itself, never from a helper thread: a hung
camera read then stops the pings and systemd restarts the service (``WatchdogSec=`` in
systemd/hingecoach.service). :meth:`Service.tick` pings at most every half interval.

Usage in the app loop::

    svc = Service.from_env()
    with svc.handle_signals():                 # SIGTERM / SIGINT -> svc.stop_requested
        svc.ready("waiting for 'start hinge drill'")
        while not svc.stop_requested:
            ...one frame...
            svc.tick(time.monotonic())         # WATCHDOG=1 every WatchdogSec/2
        svc.stopping()                         # STOPPING=1, then finish the DB write,
        ...                                    # say goodbye, return 0
"""

from __future__ import annotations

import os
import signal
import socket
import time
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from types import FrameType


class Notifier:
    """Sends sd_notify datagrams; silent when there is no socket.

    Attributes:
        address: the socket address (``\\0``-prefixed for abstract sockets), or ``None``.
        sent: every message sent, in order (a timeline for tests and logs).
    """

    def __init__(self, address: str | None) -> None:
        if address and address.startswith("@"):
            address = "\0" + address[1:]
        self.address = address or None
        self.sent: list[str] = []
        self.failed = False

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> Notifier:
        """Read ``$NOTIFY_SOCKET``."""
        env = os.environ if env is None else env
        return cls(env.get("NOTIFY_SOCKET"))

    @property
    def enabled(self) -> bool:
        """Whether a notify socket was given (i.e. we run under ``Type=notify``)."""
        return self.address is not None

    def notify(self, *fields: str) -> bool:
        """Send ``fields`` (``"READY=1"``, ...) as one datagram. Returns whether it was sent.

        Errors (the socket vanished) are swallowed and remembered in :attr:`failed`: a
        notification must never stop the coach.
        """
        if not self.address:
            return False
        message = "\n".join(fields)
        try:
            with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM | socket.SOCK_CLOEXEC) as sock:
                sock.connect(self.address)
                sock.sendall(message.encode("utf-8"))
        except OSError:
            self.failed = True
            return False
        self.sent.append(message)
        return True


def watchdog_interval(env: Mapping[str, str] | None = None, pid: int | None = None) -> float | None:
    """The watchdog timeout in seconds from ``$WATCHDOG_USEC``, or ``None`` when off.

    Honours ``$WATCHDOG_PID`` (the watchdog is for that process only), like
    sd_watchdog_enabled(3).
    """
    env = os.environ if env is None else env
    usec = env.get("WATCHDOG_USEC")
    if not usec:
        return None
    wd_pid = env.get("WATCHDOG_PID")
    if wd_pid and int(wd_pid) != (os.getpid() if pid is None else pid):
        return None
    try:
        value = int(usec)
    except ValueError:
        return None
    return value / 1_000_000 if value > 0 else None


class Service:
    """The service side of the app loop: readiness, watchdog pings, stop requests.

    Args:
        notifier: where notifications go.
        watchdog_s: the watchdog timeout in seconds, or ``None`` for no pings.

    Attributes:
        stop_requested: set by SIGTERM/SIGINT (see :meth:`handle_signals`) or :meth:`request_stop`.
        stop_signal: the signal number that asked us to stop, if any.
    """

    def __init__(self, notifier: Notifier, watchdog_s: float | None = None) -> None:
        self.notifier = notifier
        self.watchdog_s = watchdog_s
        self._last_ping: float | None = None
        self.stop_requested = False
        self.stop_signal: int | None = None

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> Service:
        """Build from ``NOTIFY_SOCKET``, ``WATCHDOG_USEC`` and ``WATCHDOG_PID``."""
        return cls(Notifier.from_env(env), watchdog_interval(env))

    def ready(self, status: str | None = None) -> None:
        """Tell systemd start-up is done (``Type=notify`` waits for this)."""
        fields = ["READY=1", f"MAINPID={os.getpid()}"]
        if status:
            fields.append(f"STATUS={status}")
        self.notifier.notify(*fields)

    def status(self, text: str) -> None:
        """Set the one-line status ``systemctl status`` shows."""
        self.notifier.notify(f"STATUS={text}")

    def tick(self, now: float) -> bool:
        """Ping the watchdog if half the interval has passed since the last ping.

        Args:
            now: a monotonic time in seconds (``time.monotonic()``; never the wall clock).

        Returns:
            whether a ``WATCHDOG=1`` was sent.
        """
        if self.watchdog_s is None:
            return False
        if self._last_ping is not None and now - self._last_ping < self.watchdog_s / 2:
            return False
        self._last_ping = now
        return self.notifier.notify("WATCHDOG=1")

    def stopping(self, status: str = "stopping: saving and saying goodbye") -> None:
        """Tell systemd we are shutting down cleanly."""
        self.notifier.notify("STOPPING=1", f"STATUS={status}")

    def request_stop(self, signum: int | None = None) -> None:
        """Ask the loop to finish (what the signal handler does)."""
        self.stop_requested = True
        if signum is not None and self.stop_signal is None:
            self.stop_signal = signum

    @contextmanager
    def handle_signals(
        self, signals: tuple[int, ...] = (signal.SIGTERM, signal.SIGINT, signal.SIGHUP)
    ) -> Iterator[Service]:
        """Within the block, the given signals set :attr:`stop_requested` instead of killing us.

        The handler only sets a flag: the loop finishes the frame and the database write in
        hand, then exits. A second signal of the same kind while stopping raises
        ``KeyboardInterrupt`` so an impatient Ctrl-C still works. Previous handlers are
        restored on exit. Must be entered in the main thread (a Python rule for signals).
        """
        previous: dict[int, Callable | int | None] = {}

        def handler(signum: int, frame: FrameType | None) -> None:
            if self.stop_requested and self.stop_signal == signum and signum == signal.SIGINT:
                raise KeyboardInterrupt
            self.request_stop(signum)

        for sig in signals:
            previous[sig] = signal.signal(sig, handler)
        try:
            yield self
        finally:
            for sig, old in previous.items():
                signal.signal(sig, old if old is not None else signal.SIG_DFL)


def sleep_until_stop(service: Service, seconds: float, step: float = 0.1,
                     clock: Callable[[], float] = time.monotonic,
                     sleep: Callable[[float], None] = time.sleep) -> None:
    """Sleep up to ``seconds`` but wake early when a stop is requested; keep the watchdog fed.

    For waits outside the frame loop (e.g. the camera back-off): the process stays
    responsive to ``systemctl stop`` and is not killed by the watchdog while it waits on
    purpose.
    """
    end = clock() + seconds
    while not service.stop_requested:
        now = clock()
        service.tick(now)
        if now >= end:
            return
        sleep(min(step, end - now))
