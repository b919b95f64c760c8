#!/usr/bin/env python3
"""Runs a command on a terminal of a set size, as a user at a terminal would, and types nothing
it is not told to (script(1), at the end of its own stdin, types a NUL or ^D into a terminal).

    pty-drive.py run ROWSxCOLS -- CMD...
        CMD on a new pty of that size (its controlling terminal); what it writes goes to stdout;
        the exit status is CMD's.
    pty-drive.py login ROWSxCOLS NEWROWSxNEWCOLS TRANSCRIPT -- CMD...
        For `hako login`: at the guest's "login: " logs in as root (a password-less root), asks
        the guest's shell for `stty size` and prints "size ROWS COLS"; then resizes the
        terminal (TIOCSWINSZ, and SIGWINCH to CMD, as a terminal emulator does), asks again until
        the answer changes, prints it, and detaches with ^]^]^]. What CMD wrote goes to
        TRANSCRIPT. Exits non-zero when an answer does not come."""
import fcntl
import os
import re
import select
import signal
import struct
import subprocess
import sys
import termios
import time

DEADLINE = 60 * int(os.environ.get("HAKO_TEST_SLOW", "1"))


def set_size(fd, size):
    rows, cols = (int(x) for x in size.split("x"))
    fcntl.ioctl(fd, termios.TIOCSWINSZ, struct.pack("HHHH", rows, cols, 0, 0))


def spawn(size, cmd):
    """CMD on a new pty of size, as its controlling terminal: the master and the process."""
    master, slave = os.openpty()
    set_size(slave, size)

    def ctty():
        fcntl.ioctl(0, termios.TIOCSCTTY, 0)

    child = subprocess.Popen(cmd, stdin=slave, stdout=slave, stderr=slave, start_new_session=True,
                             preexec_fn=ctty, close_fds=True)
    os.close(slave)
    return master, child


def read_some(master):
    """What the terminal has, b"" once every writer is gone."""
    try:
        return os.read(master, 4096)
    except OSError:  # EIO: the slave side is closed
        return b""


class Term:
    def __init__(self, master, transcript):
        self.master = master
        self.out = b""
        self.seen = 0
        self.transcript = transcript

    def expect(self, pattern):
        """Waits for pattern in what came after the last match; its match."""
        end = time.monotonic() + DEADLINE
        rx = re.compile(pattern)
        while True:
            m = rx.search(self.out, self.seen)
            if m:
                self.seen = m.end()
                return m
            left = end - time.monotonic()
            if left <= 0:
                sys.exit("pty-drive: no %r in: %r" % (pattern, self.out[self.seen:]))
            ready, _, _ = select.select([self.master], [], [], left)
            if not ready:
                continue
            data = read_some(self.master)
            if not data:
                sys.exit("pty-drive: the terminal closed before %r: %r" % (pattern, self.out[self.seen:]))
            self.out += data
            self.transcript.write(data)
            self.transcript.flush()

    def send(self, text):
        os.write(self.master, text.encode())

    def size(self):
        """The guest shell's `stty size`, as "ROWS COLS"."""
        self.send("echo SZ=$(stty size)=\r")
        return self.expect(rb"SZ=(\d+ \d+)=").group(1).decode()


def wait(child):
    try:
        return child.wait(DEADLINE)
    except subprocess.TimeoutExpired:
        child.kill()
        sys.exit("pty-drive: %s did not end" % child.args[0])


def run(size, cmd):
    master, child = spawn(size, cmd)
    while True:
        data = read_some(master)
        if not data:
            break
        sys.stdout.buffer.write(data)
        sys.stdout.buffer.flush()
    return wait(child)


def login(first, second, transcript, cmd):
    master, child = spawn(first, cmd)
    with open(transcript, "wb") as t:
        term = Term(master, t)
        term.expect(rb"login: ")
        term.send("root\r")
        term.expect(rb"# ")
        old = term.size()
        print("size", old, flush=True)
        set_size(master, second)
        os.kill(child.pid, signal.SIGWINCH)
        # The signal and the question race in hako's relay: asked again until the answer changes.
        now = old
        end = time.monotonic() + DEADLINE
        while now == old and time.monotonic() < end:
            now = term.size()
        print("size", now, flush=True)
        term.send("\x1d\x1d\x1d")
        status = wait(child)
        while True:
            data = read_some(master)
            if not data:
                break
            t.write(data)
    return status


def main():
    sep = sys.argv.index("--")
    mode, args, cmd = sys.argv[1], sys.argv[2:sep], sys.argv[sep + 1:]
    if mode == "run":
        sys.exit(run(*args, cmd))
    sys.exit(login(*args, cmd))


if __name__ == "__main__":
    main()
